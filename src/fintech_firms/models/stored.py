"""The stored models (catalog.STORED) computed by integer arithmetic in polars, for `firms ingest`.

sql/fct_firm_applications.sql, fct_firm_patent_years.sql and fct_shared_patents.sql define them, and
the engine runs that SQL for a folder that lacks the stored files. Over the tables ingest has just
written, the same rows come out of sorting integers: ingest numbers the applications 1..N in the
patents' row order, so an application's year and type are found by position instead of joining ten
million applicant rows to ten million applications, and a (firm, application) pair or a
(firm, year, kind) row is one Int64, whose sort puts equal ones side by side and groups them. At scale
10 that is a few seconds less than DuckDB's hash joins, aggregates and window over the same files
(tests/test_stored_models.py checks every result against the SQL's).

Tables that are not as ingest writes them (application ids other than 1..N in order, applicant rows
naming other ids, ids too large to pack) give None: the caller then runs the SQL.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import polars as pl

# Packed keys stay below this, far from Int64's overflow.
_KEY_LIMIT = 1 << 62


def stored_frames(tables: Mapping[str, Path], *, memory_limit: int | None = None,
                  applicants: pl.DataFrame | None = None) -> dict[str, pl.DataFrame] | None:
    """fct_firm_patent_years and fct_shared_patents as the SQL models give them, rows sorted on every
    column (nulls last) as runner.stored_models sorts them; None when the tables are not ingest's, or
    when the work would need more than `memory_limit` bytes (DuckDB, which can spill, then runs the SQL).

    `applicants`: patent_applicants' patent_id and firm_id columns, when the caller has them (ingest,
    while that table's file is still being written): its file is then not read."""
    if memory_limit is not None and needed_memory(tables, applicants) > memory_limit:
        return None
    patents = pl.read_parquet(tables["patents"], columns=["patent_id", "app_year", "patent_type"])
    count = patents.height
    if not all(patents.schema[c].is_integer() for c in ("patent_id", "app_year")):
        return None
    ids = patents.get_column("patent_id")
    if count and not (ids.null_count() == 0 and ids[0] == 1 and ids.diff(null_behavior="drop").eq(1).all()):
        return None
    year = patents.get_column("app_year")
    invention = patents.get_column("patent_type").eq("invention").fill_null(False)
    del patents, ids
    # Applicant rows without a firm (the SQL's WHERE) or without an application (its inner join) count nowhere.
    if applicants is None:
        applicants = pl.read_parquet(tables["patent_applicants"], columns=["patent_id", "firm_id"])
    applicants = applicants.select("patent_id", "firm_id").drop_nulls()
    id_type, firm_type = applicants.schema["patent_id"], applicants.schema["firm_id"]
    if not (id_type.is_integer() and firm_type.is_integer()):
        return None
    pid, fid = (applicants.get_column(c).cast(pl.Int64) for c in ("patent_id", "firm_id"))
    del applicants
    base, low = _int(fid.max(), -1) + 1, _int(year.min(), 0)
    span = _int(year.max(), low) - low + 2  # the years' slots and one for no year
    if pid.len() and (_int(pid.min(), 0) < 1 or _int(pid.max(), 0) > count or _int(fid.min(), 0) < 0
                      or max(count + 1, span * 4) * base >= _KEY_LIMIT):
        return None
    # fct_firm_applications: each (firm, application) pair once, as application * base + firm, sorted:
    # a pair named twice is then next to itself, and an application's pairs are next to each other.
    pairs = (pid * base + fid).sort()
    del pid, fid
    pairs = pairs.filter(pairs.ne(pairs.shift(1)).fill_null(True))
    row, fid = pairs // base - 1, pairs % base  # row: the application's row in patents
    del pairs
    # An application with one linked firm has one pair: unlike both neighbours.
    solo = row.ne(row.shift(1)).fill_null(True) & row.ne(row.shift(-1)).fill_null(True)
    # Each application's year slot (0 for the first year, span - 1 for no year) and whether it is an
    # invention, as slot * 4 + invention: what fct_firm_patent_years groups by, beside the firm.
    kinds = (year.cast(pl.Int64) - low).fill_null(span - 1) * 4 + invention.cast(pl.Int64)
    years = _patent_years(fid, kinds.gather(row), solo, low, span)
    del kinds
    years = years.with_columns(pl.col("firm_id").cast(firm_type), pl.col("app_year").cast(year.dtype))
    shared = ~solo
    row, fid = row.filter(shared), fid.filter(shared)
    del solo, shared
    # By firm, then application: firm * (count + 1) + row, sorted.
    order = (fid * (count + 1) + row).sort()
    del row, fid
    row, fid = order % (count + 1), order // (count + 1)
    del order
    app_no = pl.read_parquet(tables["patents"], columns=["app_no"]).get_column("app_no").gather(row)
    shared_patents = pl.DataFrame([
        fid.cast(firm_type).alias("firm_id"), (row + 1).cast(id_type).alias("patent_id"), app_no.alias("app_no"),
        year.gather(row).alias("app_year"), invention.gather(row).alias("is_invention")])
    # One chunk each, as DuckDB's results: polars cuts a frame into row groups by its chunks too.
    return {"fct_firm_patent_years": years.rechunk(), "fct_shared_patents": shared_patents.rechunk()}


# What stored_frames holds at its peak, per row of each table, with some room: measured 1.11 GB for
# scale 10's 11.8M applicant rows and 10M applications.
_BYTES_PER_ROW = {"patent_applicants": 72, "patents": 40}


def needed_memory(tables: Mapping[str, Path], applicants: pl.DataFrame | None = None) -> int:
    """About the most memory stored_frames takes over these tables, from their row counts (the files'
    metadata, or `applicants`' height)."""
    def rows(name: str) -> int:
        if name == "patent_applicants" and applicants is not None:
            return applicants.height
        return pl.scan_parquet(tables[name]).select(pl.len()).collect().item()

    return sum(rows(name) * size for name, size in _BYTES_PER_ROW.items())


def _int(value: object, default: int) -> int:
    """An integer column's min or max, `default` for an empty or all-null column."""
    return default if value is None else int(value)  # type: ignore[call-overload]


def _patent_years(firm: pl.Series, kinds: pl.Series, solo: pl.Series, low: int, span: int) -> pl.DataFrame:
    """fct_firm_patent_years from one row per (firm, application): its application's year slot * 4 +
    whether it is an invention (years low .. low + span - 2, or none in slot span - 1), whether it is
    solo; sorted by firm, then year (nulls last)."""
    # A firm-year and the row's kind (invention, solo) as one Int64 per row: firm-year * 4 + kind,
    # sorted and counted in runs; a firm-year has at most four runs, one per kind.
    runs = (firm * (span * 4) + kinds + solo.cast(pl.Int64) * 2).sort().rle()
    value, length = runs.struct.field("value"), runs.struct.field("len").cast(pl.Int64)
    del runs
    group, kind = value // 4, value % 4
    index = group.rle_id()  # the firm-year's row in the result
    group = group.filter(group.ne(group.shift(1)).fill_null(True))
    # (scatter writes into the Series it is called on: a new one for each kind.)
    counts = [pl.repeat(0, group.len(), dtype=pl.Int64, eager=True).scatter(index.filter(kind == k),
                                                                           length.filter(kind == k))
              for k in range(4)]
    # counts[k]: the firm-year's rows of kind k (1: invention, 2: solo, 3: both).
    return pl.DataFrame({"firm_id": group // span, "slot": group % span}).select(
        "firm_id",
        pl.when(pl.col("slot") < span - 1).then(pl.col("slot") + low).alias("app_year"),
        (counts[0] + counts[1] + counts[2] + counts[3]).alias("patents"),
        (counts[1] + counts[3]).alias("invention_patents"),
        (counts[2] + counts[3]).alias("solo_patents"),
        counts[3].alias("solo_invention_patents"),
    )
