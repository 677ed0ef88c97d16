"""How the applicants' fuzzy linking grows with the names (issue 14: "at most linearly").

    python benchmarks/fuzzy_growth.py LABEL=DIR [LABEL=DIR ...] [--rounds 3] [--code NAME=SRC ...]
                                      [--lock FILE] [--lock-from 10] [--save DIR] [--json FILE] [--dump]

Each DIR is what `firms ingest` wrote (firms.parquet and patent_applicants.parquet), or a folder
holding one in `parquet/`, or a dump of the fuzzy step's own inputs (queries.parquet, column q: the
residue names handed to match_best; choices.parquet, columns c and k: the index's texts and keys);
LABEL names its scale (1, 10, 30). For every round, for every folder, for every version of the code
(--code: a `src` folder to import fintech_firms from; default this checkout), one fresh process does
exactly the engine's work of the stage "Fuzzy-linking applicants", and nothing else is timed:

- from an ingest folder: the `Linker` of the firms' USCCs, names and former names (normalised as
  ingest does, from firms.parquet's lists; its cost is the stage "Indexing firm names", shown apart),
  then `attach_links` over the distinct applicant keys, as the ingest calls it (since 5ddf582 on parts of
  them while the patents are parsed, ingest.applicant_links; here on all at once): `link_frame`'s
  joins, the residue to `match_best`, whose first call builds the 4-tuples index;
- from a dump (or, with --dump, a folder holding both): `ChoiceIndex` of the choices, then
  `match_best` of the queries.

Per step, the CPU of the process (user + sys) and the wall: "tuples index" (its build on first use),
"candidates" (steps 1-7 of rules/fuzzy.py, the index's build excluded), "scoring" (scores and
decisions), "match_best" (all three), "attach_links" (the stage; `match_best` in it) and "joins"
(attach_links without match_best); and the counts: choices, queries, candidate pairs found (before
the count filter, then after it), names linked. A markdown table gives each step's median per scale,
and its growth from one scale to the next divided by the growth of the choices (the names): 1.0 or
less is linear. --save writes each run's results (match_best's (key, score, ambiguous) per query,
and a digest of attach_links's link columns) as pickles, to compare versions; the last line says
whether every version and round gave the same results (those digests) at every scale.

Scales 10 and 30 must run one at a time on the shared machine: --lock FILE wraps the children of the
folders labelled --lock-from (10) or more in `flock FILE`.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import pickle
import statistics
import subprocess
import sys
import time
from pathlib import Path

STEPS = ("linker", "tuples index", "candidates", "scoring", "match_best", "joins", "attach_links")
COUNTS = ("choices", "queries", "found", "kept", "linked")


# ---------------------------------------------------------------- the child: one measured run


class _Clock:
    """CPU (process) and wall per named step, summed over calls."""

    def __init__(self) -> None:
        self.cpu: dict[str, float] = {}
        self.wall: dict[str, float] = {}

    def wrap(self, name, function):
        def timed(*args, **kwargs):
            cpu, wall = time.process_time(), time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                self.cpu[name] = self.cpu.get(name, 0.0) + time.process_time() - cpu
                self.wall[name] = self.wall.get(name, 0.0) + time.perf_counter() - wall
        return timed


def _inputs(folder: Path, dump: bool = False) -> tuple[str, Path]:
    """('stage', ingest output folder) or ('dump', folder of queries/choices; with `dump`, preferred)."""
    if dump and (folder / "queries.parquet").exists():
        return "dump", folder
    for candidate in (folder, folder / "parquet"):
        if (candidate / "firms.parquet").exists() and (candidate / "patent_applicants.parquet").exists():
            return "stage", candidate
    if (folder / "queries.parquet").exists() and (folder / "choices.parquet").exists():
        return "dump", folder
    raise SystemExit(f"{folder}: neither an ingest output folder nor a dump (queries/choices.parquet)")


def linker_inputs(parquet: Path):
    """The firms' (uscc, firm_id), (name_key, firm_id) and (_key, firm_id) frames as ingest.firms hands
    them to the Linker: firms.parquet's `names` and `former_names` hold one spelling per normalised
    name of each firm (the first), in the order the merge found them."""
    import polars as pl

    from fintech_firms.rules.names import normalize_names

    firms = pl.read_parquet(parquet / "firms.parquet", columns=["firm_id", "uscc", "names", "former_names"])
    usccs = firms.filter(pl.col("uscc").is_not_null()).select("uscc", "firm_id")

    def keyed(column: str, key: str) -> pl.DataFrame:
        items = firms.select("firm_id", column).explode(column).drop_nulls(column)
        distinct = items[column].unique(maintain_order=True)
        keys = pl.DataFrame({column: distinct, key: normalize_names(distinct)})
        return items.join(keys, on=column, how="left", maintain_order="left").select(key, "firm_id")

    return usccs, keyed("names", "name_key"), keyed("former_names", "_key")


def child(folder: Path, save: Path | None, dump: bool = False) -> dict:
    import gc

    import polars as pl

    from fintech_firms.ingest import linking
    from fintech_firms.rules import fuzzy

    kind, where = _inputs(folder, dump)
    clock = _Clock()
    counts = dict.fromkeys(COUNTS, 0)
    batch_pairs = fuzzy.ChoiceIndex._batch_pairs

    def counting(self, queries, cutoff, *rest):
        pair_q, pair_c, found = batch_pairs(self, queries, cutoff, *rest)
        counts["found"] += found
        counts["kept"] += int(pair_q.size)
        return pair_q, pair_c, found

    fuzzy.ChoiceIndex._batch_pairs = clock.wrap("candidates+", counting)
    fuzzy.ChoiceIndex._tuples = clock.wrap("tuples index", fuzzy.ChoiceIndex._tuples)
    fuzzy._score = clock.wrap("scoring", fuzzy._score)
    seen: list[list] = []
    match_best = fuzzy.match_best

    def matching(queries, index, options, progress=None):
        counts["queries"] += len(queries)
        out = match_best(queries, index, options, progress)
        seen.append([(r.key, r.score, r.ambiguous) for r in out])
        return out

    linking.match_best = clock.wrap("match_best", matching)
    options = fuzzy.FuzzyOptions()  # ingest's defaults: threshold 90, margin 3
    links_digest = None
    if kind == "dump":
        queries = pl.read_parquet(where / "queries.parquet")["q"].to_list()
        choices = pl.read_parquet(where / "choices.parquet")
        gc.collect()
        index = clock.wrap("linker", lambda: fuzzy.ChoiceIndex(choices["c"], choices["k"]))()
        counts["choices"] = index.size
        linking.match_best(queries, index, options)
    else:
        usccs, names, former = linker_inputs(where)
        # The distinct applicant keys, as ingest.patents' Applicants.keys holds them (first seen first).
        keys = (pl.read_parquet(where / "patent_applicants.parquet", columns=["applicant_key"])
                .select(pl.col("applicant_key").unique(maintain_order=True)))
        gc.collect()
        linker = clock.wrap("linker", lambda: linking.Linker(usccs, names, former, options))()
        counts["choices"] = linker._index.size
        links = clock.wrap("attach_links", linking.attach_links)(keys, linker, "applicant_key", None)
        links = links.select("applicant_key", "firm_id", "link_method", "link_score", "unlinked")
        links_digest = hashlib.sha256(pickle.dumps(links.rows())).hexdigest()
    results = seen[0] if seen else []
    counts["linked"] = sum(key is not None for key, _, _ in results)
    cpu, wall = clock.cpu, clock.wall
    for table in (cpu, wall):
        table["candidates"] = table.get("candidates+", 0.0) - table.get("tuples index", 0.0)
        table.pop("candidates+", None)
        if "attach_links" in table:
            table["joins"] = table["attach_links"] - table.get("match_best", 0.0)
    if save:
        save.parent.mkdir(parents=True, exist_ok=True)
        save.write_bytes(pickle.dumps({"match_best": results, "links": links_digest}))
    return {"kind": kind, "cpu": cpu, "wall": wall, "counts": counts,
            "digest": hashlib.sha256(pickle.dumps(results)).hexdigest(), "links": links_digest}


# ---------------------------------------------------------------- the parent: rounds and the table


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def run_child(folder: Path, src: Path | None, lock: str | None, save: Path | None, dump: bool = False) -> dict:
    argv = [sys.executable, str(Path(__file__).resolve()), "--child", str(folder)] + (["--dump"] if dump else [])
    if save:
        argv += ["--save", str(save)]
    if lock:
        argv = ["flock", lock] + argv
    env = dict(os.environ)
    if src:
        env["PYTHONPATH"] = str(src) + os.pathsep + env.get("PYTHONPATH", "")
    done = subprocess.run(argv, capture_output=True, text=True, env=env, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed ({done.returncode}):\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def table(runs: list[dict], labels: list[str], codes: list[str]) -> str:
    """Markdown: per version and step, median CPU (min-max) and wall per scale, and the growth per
    scale step divided by the names' growth."""
    def pick(code, label):
        return [r for r in runs if r["code"] == code and r["label"] == label]

    first = pick(codes[0], labels[0])[0]
    steps = [s for s in STEPS if s in first["cpu"]]
    choices = {label: pick(codes[0], label)[0]["counts"]["choices"] for label in labels}
    growths = [f"{a}→{b}" for a, b in zip(labels, labels[1:])]
    head = ["version", "step"] + [f"scale {label}: CPU s (min-max) / wall s" for label in labels] + [
        f"CPU growth / names growth, {g}" for g in growths]
    lines = ["| " + " | ".join(head) + " |", "|" + " --- |" * len(head)]
    for code in codes:
        for step in steps:
            cells, medians = [], []
            for label in labels:
                cpu = [r["cpu"].get(step, 0.0) for r in pick(code, label)]
                wall = [r["wall"].get(step, 0.0) for r in pick(code, label)]
                medians.append(_median(cpu))
                cells.append(f"{_median(cpu):.3f} ({min(cpu):.3f}-{max(cpu):.3f}) / {_median(wall):.3f}")
            for a, b, (x, y) in zip(labels, labels[1:], zip(medians, medians[1:])):
                names = choices[b] / choices[a]
                cells.append(f"{y / x:.1f}× / {names:.1f}× = **{y / x / names:.2f}**" if x > 0 else "-")
            lines.append(f"| {code} | {step} | " + " | ".join(cells) + " |")
    lines.append("")
    lines.append("| version | " + " | ".join(f"scale {label}" for label in labels) + " |")
    lines.append("|" + " --- |" * (len(labels) + 1))
    for code in codes:
        cells = []
        for label in labels:
            c = pick(code, label)[0]["counts"]
            cells.append(f"choices {c['choices']:,}; queries {c['queries']:,}; pairs {c['found']:,} → "
                         f"{c['kept']:,}; linked {c['linked']:,}")
        lines.append(f"| {code} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("folders", nargs="*", help="LABEL=DIR, smallest scale first")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--code", action="append", default=[], help="NAME=SRC: a src folder to import from")
    parser.add_argument("--lock", help="flock this file around the runs of the larger scales")
    parser.add_argument("--lock-from", type=float, default=10.0)
    parser.add_argument("--save", type=Path, help="folder for each run's results (pickles)")
    parser.add_argument("--json", type=Path, help="write every run's figures here")
    parser.add_argument("--dump", action="store_true",
                        help="where a folder holds both, time the dump (ChoiceIndex + match_best), not the stage")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(child(args.child, args.save, args.dump)))
        return 0
    folders = [tuple(f.split("=", 1)) for f in args.folders]
    if not folders or any(len(f) != 2 for f in folders):
        parser.error("give folders as LABEL=DIR")
    codes = [tuple(c.split("=", 1)) for c in args.code] or [("this", "")]
    runs = []
    for round_no in range(args.rounds):
        for label, folder in folders:
            for code, src in codes:
                try:
                    locked = float(label) >= args.lock_from
                except ValueError:
                    locked = True
                save = args.save / f"{code}-{label}-{round_no}.pkl" if args.save else None
                load = _load()
                run = run_child(Path(folder), Path(src) if src else None,
                                args.lock if locked else None, save, args.dump)
                run.update(code=code, label=label, round=round_no, load=load)
                runs.append(run)
                print(f"round {round_no + 1} scale {label} {code} (load {load}): "
                      + ", ".join(f"{s} {run['cpu'][s]:.3f}/{run['wall'][s]:.3f}" for s in STEPS if s in run["cpu"])
                      + f" | {run['counts']}", file=sys.stderr, flush=True)
    labels = [label for label, _ in folders]
    print(table(runs, labels, [c for c, _ in codes]))
    same = all(len({(r["digest"], r["links"]) for r in runs if r["label"] == label}) == 1 for label in labels)
    print(f"\nresults identical across versions and rounds at every scale: {'yes' if same else 'NO'}")
    if args.json:
        args.json.write_text(json.dumps(runs, indent=1), encoding="utf-8")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
