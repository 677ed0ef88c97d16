"""The notebook API beyond `aggregate`: a DuckDB connection over the tables, the chapter-4 tables."""

from __future__ import annotations

from pathlib import Path

import duckdb

from ..models.runner import open_connection
from .chapter import Table, build_tables


def connect(data_dir: str | Path = "data/parquet") -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB connection with a view for each table of data contract §4.

    Unlike `firms sql`, the connection is not read-only: it is yours (write results anywhere).
    """
    return open_connection(Path(data_dir))


def chapter_tables(data_dir: str | Path = "data/parquet", **options) -> dict[str, Table]:
    """The chapter-4 tables, keyed by their file names (see `firms tables`); `.frame` holds the data."""
    return build_tables(Path(data_dir), **options)
