"""Fuzzy linking at full size: the blocked matcher against scoring every pair (rapidfuzz cdist).

    python benchmarks/linking.py [--firms 80000] [--patents 1000000] [--sample 3000] [--raw DIR]

Builds (once, cached under benchmarks/.cache) the synthetic raw folder of benchmarks/synthetic.py, or
reads DIR (a demo raw folder, e.g. `firms demo-data --scale 10`), takes the names that exact linking
leaves over (the fuzzy residue: people, universities, outside firms, typos), and times both matchers
on the same random sample of them; the blocked matcher also on the whole residue, with the number of
candidate pairs it scores. Checks that both give the same links on the sample.
"""

from __future__ import annotations

import argparse
import random
import time
from pathlib import Path

import numpy as np
from rapidfuzz import fuzz, process
from synthetic import cached

from fintech_firms.ingest import schema
from fintech_firms.rules.fuzzy import ChoiceIndex, FuzzyOptions, match_best
from fintech_firms.rules.names import normalize_name, split_list
from fintech_firms.tabular.reader import find_file, read_table


def column(raw: Path, stem: str, name: str) -> list[str]:
    """A column of a raw file, read as the ingest reads it (encodings, Chinese headers, .xlsx)."""
    spec = next(s for s in schema.INPUT_FILES if s.stem == stem)
    path = find_file(raw, stem)
    if path is None:
        raise SystemExit(f"{raw}: no {stem}.csv")
    table = read_table(path, lambda h: schema.canonical_header(h, spec), {name})
    return table.frame[name].drop_nulls().unique().to_list()


def residue(raw: Path) -> tuple[list[str], list[str]]:
    names = sorted({normalize_name(n) for n in column(raw, "firms", "name")})
    known = set(names)
    cells = column(raw, "patents", "applicants")
    queries = sorted({k for c in cells for a in split_list(c) if (k := normalize_name(a)) not in known})
    return names, queries


def brute_force(queries, names, options: FuzzyOptions):
    cutoff = options.threshold - options.margin
    scores = process.cdist(queries, names, scorer=fuzz.ratio, score_cutoff=cutoff, dtype=np.float32,
                           workers=options.workers)
    out = []
    for row in scores:
        hits = np.flatnonzero(row)
        ranked = sorted(((float(row[i]), int(i)) for i in hits), reverse=True)
        if not ranked or round(ranked[0][0], 2) < options.threshold:
            out.append(None)
        elif len(ranked) > 1 and (round(ranked[0][0], 2) - round(ranked[1][0], 2) < options.margin
                                  or ranked[0][0] == ranked[1][0]):
            out.append(None)
        else:
            out.append(ranked[0][1])
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--firms", type=int, default=80_000)
    parser.add_argument("--patents", type=int, default=1_000_000)
    parser.add_argument("--sample", type=int, default=3_000)
    parser.add_argument("--raw", type=Path, help="a raw folder to read instead of the synthetic one")
    args = parser.parse_args()
    raw = args.raw or cached(args.firms, args.patents)
    names, queries = residue(raw)
    options = FuzzyOptions()
    print(f"choices (firm names): {len(names):,}; fuzzy residue (distinct names): {len(queries):,}")

    cutoff = options.threshold - options.margin
    t = time.perf_counter()
    index = ChoiceIndex(names, list(range(len(names))))
    t_index = time.perf_counter() - t
    # The tuples of step 6 (rules/fuzzy.py) are built on a cut-off's first use: timed apart.
    t = time.perf_counter()
    if index.use_tuples:
        index._tuples(cutoff)
    t_tuples = time.perf_counter() - t
    t = time.perf_counter()
    pairs = sum(q.size for q, _ in index.candidate_pairs(queries, cutoff))
    t_pairs = time.perf_counter() - t
    t = time.perf_counter()
    full = match_best(queries, index, options)
    t_full = time.perf_counter() - t
    print(f"blocked, whole residue: index {t_index:.2f} s + tuples {t_tuples:.2f} s + match {t_full:.2f} s "
          f"(of which finding the {pairs:,} candidate pairs to score {t_pairs:.2f} s), "
          f"{sum(r.key is not None for r in full):,} linked")

    sample = random.Random(1).sample(queries, min(args.sample, len(queries)))
    t = time.perf_counter()
    ours = match_best(sample, index, options)
    t_ours = time.perf_counter() - t
    t = time.perf_counter()
    base = brute_force(sample, names, options)
    t_base = time.perf_counter() - t
    same = sum(a.key == b for a, b in zip(ours, base))
    print(f"sample of {len(sample):,}: blocked {t_ours:.2f} s, every pair (cdist) {t_base:.2f} s, "
          f"{t_base / t_ours:.0f}x faster; same links for {same:,} of {len(sample):,}")
    print(f"every pair on the whole residue would take about {t_base * len(queries) / len(sample):.0f} s")


if __name__ == "__main__":
    main()
