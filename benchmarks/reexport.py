"""The same raw folder as another export tool would write it: GB18030 instead of UTF-8, or every field quoted.

    python benchmarks/reexport.py SRC DEST [--encoding gb18030] [--quote-all] [--files patents,firms]

The demo writes its patents in UTF-8 without a quote character, the kind of file the reader streams
fastest; exports from Chinese databases are often GB18030, and some tools quote every field. DEST gets
SRC's files, those named by --files (CSV ones; default patents) written again: decoded as the reader
decodes them, then encoded in --encoding (default: as they were) and, with --quote-all, every field
quoted (a quote inside doubled). The cells are the same, so `firms ingest` on both folders gives the
same tables; `--timings` shows what each way of writing costs (docs/ingest.md, Performance). The same
SRC and options give the same bytes.
"""

from __future__ import annotations

import argparse
import csv
import io
import shutil
import sys
from pathlib import Path

from fintech_firms.tabular.reader import decode

ENCODINGS = ("utf-8", "gb18030")


def reexport(src: Path, dest: Path, files: list[str], encoding: str | None = None,
             quote_all: bool = False) -> list[Path]:
    """Write DEST; returns the files written again."""
    if src.resolve() == dest.resolve():
        raise SystemExit("DEST must be another folder than SRC")
    dest.mkdir(parents=True, exist_ok=True)
    written = []
    for path in sorted(src.iterdir()):
        if not path.is_file():
            continue
        if path.suffix.lower() != ".csv" or path.stem.lower() not in files:
            shutil.copyfile(path, dest / path.name)
            continue
        text, was, damaged = decode(path.read_bytes())
        if damaged:
            raise SystemExit(f"{path}: holds bytes invalid for {was}; re-export a clean file")
        if quote_all:
            out = io.StringIO(newline="")
            writer = csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\n")
            writer.writerows(csv.reader(io.StringIO(text, newline="")))
            text = out.getvalue()
        (dest / path.name).write_bytes(text.encode(encoding or was.removesuffix("-sig")))
        written.append(dest / path.name)
    return written


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("src", type=Path)
    parser.add_argument("dest", type=Path)
    parser.add_argument("--encoding", choices=ENCODINGS)
    parser.add_argument("--quote-all", action="store_true")
    parser.add_argument("--files", default="patents", help="stems of the CSV files to write again, comma-separated")
    args = parser.parse_args(argv)
    files = [f.strip().lower() for f in args.files.split(",") if f.strip()]
    for out in reexport(args.src, args.dest, files, args.encoding, args.quote_all):
        print(f"{out}: {out.stat().st_size / 1e6:,.0f} MB")


if __name__ == "__main__":
    sys.exit(main())
