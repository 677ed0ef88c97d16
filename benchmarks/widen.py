"""A wide export from a demo raw folder: the same files, the patents with columns the contract does not use.

    python benchmarks/widen.py SRC DEST [--abstract-chars 250] [--seed 1]
    python benchmarks/widen.py SRC DEST --firms-scope 300 [--seed 1]
    python benchmarks/widen.py SRC DEST --financing-scope 500 [--seed 1]

Real patent exports carry a title, an abstract, inventors and more beside the columns ingest reads;
the demo's patents.csv has only those. DEST gets SRC's files, and a patents.csv whose rows are SRC's
with five more columns after them: title (25 characters), abstract (--abstract-chars), inventors
(12), agent (8), all drawn from common Chinese characters, and country ("CN"). The same SRC and seed
give the same bytes. Ingest reads and checks every column (a quarantined row keeps its whole
record), so such a file costs more to read; `firms ingest --timings` on both folders shows how much
(docs/ingest.md, Performance).

With --firms-scope N the firms are widened instead, and only they are written: DEST/firms.csv is SRC's
in UTF-8 as a plain export (no quoted cell: a comma inside a cell, which the demo writes in quotes, is
written as the full-width "，"), with a business scope (经营范围, a column the contract does not use)
of N common Chinese characters after its columns (0: none; the header again, where a row repeats it);
SRC's other files are linked (symlinks), not copied. Ingest reads such a file a chunk at a time.
With --financing-scope N the same is done to financing.csv, with a description (项目介绍) of N
characters.
"""

from __future__ import annotations

import argparse
import csv
import io
import shutil
import sys
from pathlib import Path

import numpy as np
import polars as pl

# Common characters, none of them a delimiter, quote or white space: the rows stay plain CSV.
CHARACTERS = (
    "的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工也能下过子说产种面"
    "而方后多定行学法所民得经十三之进着等部度家电力里如水化高自二理起小物现实加量都两体制机当使点从业本去把"
    "性好应开它合还因由其些然前外天政四日那社义事平形相全表间样与关各重新线内数正心反你明看原又么利比或但质"
)
EXTRA = {"title": 25, "inventors": 12, "agent": 8}


def widen(src: Path, dest: Path, abstract_chars: int = 250, seed: int = 1) -> Path:
    """Write the wide folder; returns its patents.csv."""
    if not (src / "patents.csv").is_file():
        raise SystemExit(f"{src}: no patents.csv (a demo raw folder, from `firms demo-data`)")
    dest.mkdir(parents=True, exist_ok=True)
    for path in sorted(src.iterdir()):
        if path.is_file() and path.name != "patents.csv":
            shutil.copyfile(path, dest / path.name)
    patents = pl.read_csv(src / "patents.csv", infer_schema=False)
    rng = np.random.default_rng(seed)
    alphabet = np.array(list(CHARACTERS))
    lengths = {**EXTRA, "abstract": abstract_chars}

    def text(width: int) -> pl.Series:
        picks = alphabet[rng.integers(0, alphabet.size, size=(patents.height, width))]
        return pl.Series(["".join(row) for row in picks], dtype=pl.Utf8)

    patents = patents.with_columns(
        *(text(lengths[name]).alias(name) for name in ("title", "abstract", "inventors", "agent")),
        pl.lit("CN").alias("country"))
    out = dest / "patents.csv"
    patents.write_csv(out)
    return out


SCOPE = "经营范围"
DESCRIPTION = "项目介绍"  # a financing export's description of the firm or the round
# The scopes are cut from one random text of this many characters, at random places: as random as
# drawing each, without an array of every character of every row.
_SCOPE_POOL = 1 << 20


def widen_firms(src: Path, dest: Path, scope_chars: int = 300, seed: int = 1) -> Path:
    """Write DEST/firms.csv (see --firms-scope) and link SRC's other files; returns the firms file."""
    return _widen_file(src, dest, "firms", SCOPE, scope_chars, seed)


def widen_financing(src: Path, dest: Path, description_chars: int = 500, seed: int = 1) -> Path:
    """Write DEST/financing.csv (see --financing-scope) and link SRC's other files; returns it."""
    return _widen_file(src, dest, "financing", DESCRIPTION, description_chars, seed)


def _widen_file(src: Path, dest: Path, stem: str, column: str, chars: int, seed: int) -> Path:
    """DEST/{stem}.csv: SRC's in UTF-8 as a plain export, with `column` of `chars` common characters
    after its columns (0: none); SRC's other files linked."""
    from fintech_firms.tabular.reader import decode  # the demo's firms are GB18030: decoded as ingest does

    source = src / f"{stem}.csv"
    if not source.is_file():
        raise SystemExit(f"{src}: no {stem}.csv (a demo raw folder, from `firms demo-data`)")
    dest.mkdir(parents=True, exist_ok=True)
    for path in sorted(src.iterdir()):
        if path.is_file() and path.name != source.name and not (dest / path.name).exists():
            (dest / path.name).symlink_to(path.resolve())
    text = decode(source.read_bytes())[0]
    rng = np.random.default_rng(seed)
    pool = "".join(np.array(list(CHARACTERS))[rng.integers(0, len(CHARACTERS), _SCOPE_POOL)])
    rows = csv.reader(io.StringIO(text, newline=""))
    header = next(rows)
    out = dest / source.name
    with out.open("w", encoding="utf-8", newline="\n") as file:
        file.write(",".join([*header, column] if chars else header) + "\n")
        for row in rows:
            if any('"' in cell or "\n" in cell or "\r" in cell for cell in row):
                raise SystemExit(f"{source}: a cell with a quote or a line break; not written as plain CSV")
            cells = [cell.replace(",", "，") for cell in row]
            if chars and row:  # a row of blank cells stays blank
                start = int(rng.integers(0, _SCOPE_POOL - chars))
                filled = any(cell.strip() for cell in row)
                cells.append(column if row == header else pool[start:start + chars] if filled else "")
            file.write(",".join(cells) + "\n")
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("src", type=Path)
    parser.add_argument("dest", type=Path)
    parser.add_argument("--abstract-chars", type=int, default=250)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--firms-scope", type=int, default=None, metavar="N",
                        help="widen the firms instead: UTF-8, plain, with a business scope of N characters")
    parser.add_argument("--financing-scope", type=int, default=None, metavar="N",
                        help="widen the financing instead: UTF-8, plain, with a description of N characters")
    args = parser.parse_args(argv)
    if args.firms_scope is not None and args.financing_scope is not None:
        parser.error("--firms-scope and --financing-scope widen one file each: give one")
    if args.firms_scope is not None:
        out = widen_firms(args.src, args.dest, args.firms_scope, args.seed)
    elif args.financing_scope is not None:
        out = widen_financing(args.src, args.dest, args.financing_scope, args.seed)
    else:
        out = widen(args.src, args.dest, args.abstract_chars, args.seed)
    print(f"{out}: {out.stat().st_size / 1e6:,.0f} MB")


if __name__ == "__main__":
    sys.exit(main())
