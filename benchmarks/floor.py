"""The floor: what DuckDB needs just to read the same bytes, with no rule applied.

- Raw: `count(*)` over `read_csv` of each CSV file of the raw folder, every column as text.
- Parquet: one pass over the columns `firms aggregate --by region,tech` reads, each value hashed so that
  every value is decoded (a bare `count(*)` would be answered from the Parquet metadata).
"""

from __future__ import annotations

import codecs
from pathlib import Path

import duckdb

# The tables and columns the models behind `aggregate` read (sql/, tech mode primary), from the data
# folder that `firms ingest` writes.
AGGREGATE_COLUMNS: dict[str, tuple[str, ...]] = {
    "patents": ("app_year",),
    "firms": ("firm_id", "name", "region", "province", "city", "tech", "rd_staff"),
    "fct_firm_patent_years": ("firm_id", "app_year", "patents", "invention_patents", "solo_patents",
                              "solo_invention_patents"),
    "fct_shared_patents": ("firm_id", "patent_id", "app_year", "is_invention"),
    "hightech": ("firm_id", "issue_year"),
    "financing": ("firm_id", "date", "year", "round", "is_c_plus", "is_top_vc_led"),
}


def raw_csv_files(raw: Path) -> dict[Path, str]:
    """Each CSV file of the raw folder with the encoding DuckDB should read it in.

    DuckDB reads UTF-8 and Latin-1 but not GB18030 without an extension that this machine cannot
    download; Latin-1 maps every byte to a character, so a GB18030 file is read byte for byte.
    (.xlsx files need DuckDB's excel extension, likewise out of reach: they are left out.)
    """
    return {path: "utf-8" if _is_utf8(path) else "latin-1" for path in sorted(raw.glob("*.csv"))}


def _is_utf8(path: Path, chunk: int = 1 << 24) -> bool:
    """Whether the file decodes as UTF-8, read a chunk at a time (a scale-100 patents file is 10 GB)."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        with path.open("rb") as file:
            while block := file.read(chunk):
                decoder.decode(block)
            decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def read_raw(files: dict[Path, str]) -> int:
    """Rows read from every file."""
    with duckdb.connect() as con:
        return sum(
            con.execute("select count(*) from read_csv($path, all_varchar = true, encoding = $encoding)",
                        {"path": str(path), "encoding": encoding}).fetchone()[0]
            for path, encoding in files.items())


def scan_parquet(data: Path) -> int:
    """Rows scanned over every table of AGGREGATE_COLUMNS."""
    rows = 0
    with duckdb.connect() as con:
        for table, columns in AGGREGATE_COLUMNS.items():
            relation = con.read_parquet(str(data / f"{table}.parquet"))
            # Column names come from the fixed list above, never from input.
            hashed = ", ".join(f'sum(hash("{c}"))' for c in columns)
            rows += relation.aggregate(f"count(*), {hashed}").fetchall()[0][0]
    return rows
