"""The one place that opens DuckDB and runs SQL: views over the Parquet tables, the models of `sql/`.

A model's failure is re-raised naming the model, so that a message says where it happened.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import duckdb
import polars as pl

from ..errors import InputError
from .models import model

# Data contract §4: the tables every Parquet folder written by `firms ingest` holds.
CONTRACT_TABLES = ("firms", "firm_tracks", "patents", "patent_applicants", "financing", "hightech", "quarantine")
# Written by ingest beyond the contract; shown when present.
EXTRA_TABLES = ("cell_issues",)
# Internal tables carry this prefix so that they never collide with the contract's names.
SELECTION_TABLE = "ff_selection"


class AnalyticsError(InputError):
    """A query or model failed; the message is for the user, without a traceback."""


def table_paths(data_dir: Path) -> dict[str, Path]:
    """The Parquet file of each table, checked to exist."""
    if not data_dir.is_dir():
        raise AnalyticsError(
            f"no data folder {data_dir}: run `firms ingest` first, or point --data at the folder it wrote")
    paths = {name: data_dir / f"{name}.parquet" for name in CONTRACT_TABLES}
    missing = [f"{name}.parquet" for name, path in paths.items() if not path.is_file()]
    if missing:
        raise AnalyticsError(
            f"{data_dir} lacks {', '.join(missing)}: run `firms ingest` to write the tables there")
    for name in EXTRA_TABLES:
        if (data_dir / f"{name}.parquet").is_file():
            paths[name] = data_dir / f"{name}.parquet"
    return paths


def open_connection(data_dir: Path) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB connection with a view for each table of the data folder."""
    paths = table_paths(data_dir)
    con = duckdb.connect()
    try:
        for name, path in paths.items():
            # The relation API takes the path as a value: no path is ever pasted into SQL text.
            con.read_parquet(str(path.resolve())).create_view(name)
    except duckdb.Error as exc:
        con.close()
        raise AnalyticsError(f"cannot read the tables in {data_dir}: {duckdb_message(exc)}") from None
    return con


def lock_down(con: duckdb.DuckDBPyConnection, data_dir: Path) -> None:
    """From now on the connection reads files only inside `data_dir` and cannot change that."""
    con.execute("SET allowed_directories = $dirs", {"dirs": [str(data_dir.resolve()) + "/"]})
    con.execute("SET enable_external_access = false")
    con.execute("SET lock_configuration = true")


class Engine:
    """Runs the models of `sql/` over one data folder, materialising each dependency once per parameters."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = Path(data_dir)
        self.con = open_connection(self.data_dir)
        self._materialised: dict[str, tuple[tuple[str, Any], ...]] = {}
        self._selection: list[tuple[str, str | None]] | None = None
        self._values: dict[str, frozenset[str]] = {}
        self.select({})

    def close(self) -> None:
        self.con.close()

    def __enter__(self) -> Engine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def select(self, selection: Mapping[str, Iterable[str]]) -> None:
        """Keep only firms whose dimension values are among these (e.g. {"region": ["京津冀"]}).

        An empty list keeps no firm: its dimension gets one NULL value, which no firm's value equals.
        """
        rows = []
        for dimension, values in selection.items():
            values = list(values)
            rows += [(dimension, value) for value in values] or [(dimension, None)]
        if rows == self._selection:
            return
        self._selection = rows
        self.con.execute(f"CREATE OR REPLACE TEMP TABLE {SELECTION_TABLE} (dimension VARCHAR, value VARCHAR)")
        if rows:
            self.con.executemany(f"INSERT INTO {SELECTION_TABLE} VALUES (?, ?)", rows)

    def values(self, column: str) -> frozenset[str]:
        """The distinct non-null values of a firms column (one of the fixed dimensions)."""
        if column not in self._values:
            # The relation API names the column as a value: no SQL text is written here.
            frame = self.con.table("firms").select(column).distinct().pl()
            self._values[column] = frozenset(frame.get_column(column).drop_nulls().to_list())
        return self._values[column]

    def frame(self, name: str, params: Mapping[str, Any]) -> pl.DataFrame:
        """Run model `name` with its dependencies and return its rows."""
        for dependency in model(name).depends_on:
            self._materialise(dependency, params)
        return self._run(name, params, lambda sql, values: self.con.sql(sql, params=values).pl())

    def _materialise(self, name: str, params: Mapping[str, Any]) -> None:
        key = _key(name, params)
        if self._materialised.get(name) == key:
            return
        for dependency in model(name).depends_on:
            self._materialise(dependency, params)
        self._run(name, params, lambda sql, values: self.con.execute(
            f"CREATE OR REPLACE TEMP TABLE {name} AS {sql}", values))
        self._materialised[name] = key

    def _run(self, name: str, params: Mapping[str, Any], run):
        try:
            return run(model(name).sql, _bound(name, params))
        except duckdb.Error as exc:
            raise AnalyticsError(f"SQL model {name} (sql/{name}.sql) failed: {duckdb_message(exc)}") from None


def _key(name: str, params: Mapping[str, Any]) -> tuple[tuple[str, Any], ...]:
    """The values a materialised model depends on: its own parameters and its dependencies'."""
    values = dict(_bound(name, params))
    for dependency in model(name).depends_on:
        values.update(_key(dependency, params))
    return tuple(sorted(values.items()))


def _bound(name: str, params: Mapping[str, Any]) -> dict[str, Any]:
    wanted = model(name).parameters
    missing = [p for p in wanted if p not in params]
    if missing:
        raise KeyError(f"model {name} needs parameters {', '.join(missing)}")
    return {p: params[p] for p in wanted}


def duckdb_message(exc: BaseException) -> str:
    """DuckDB's own text, which already names the error kind and often suggests a fix."""
    return str(exc).strip() or type(exc).__name__
