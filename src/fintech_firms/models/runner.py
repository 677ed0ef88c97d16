"""The one place that opens DuckDB and runs SQL: views over the Parquet tables, the models of `sql/`.

A model's failure is re-raised naming the model, so that a message says where it happened.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb
import polars as pl

from ..contract.tables import CONTRACT_TABLES
from ..errors import InputError
from .catalog import STORED, STORED_READS, model
from .stored import stored_frames

# CONTRACT_TABLES (data contract §4) are in every Parquet folder written by `firms ingest`.
# Written by ingest beyond the contract; shown when present.
EXTRA_TABLES = ("cell_issues", "city_stats")
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
    for name in EXTRA_TABLES + STORED:
        if (data_dir / f"{name}.parquet").is_file():
            paths[name] = data_dir / f"{name}.parquet"
    return paths


def stored_models(tables: Mapping[str, Path], *, memory_limit: int | None = None,
                  spill_dir: Path | None = None) -> dict[str, pl.DataFrame]:
    """The models that `firms ingest` stores beside the tables, computed over the tables' Parquet files
    (`tables`: the file of each table they read, STORED_READS): the tables need not be in memory.

    Rows are sorted on every column so that the same input gives the same bytes. Over tables as ingest
    writes them, polars computes the same rows by integer arithmetic (models/stored.py), in a fraction of
    the time, when it fits in `memory_limit` (bytes); otherwise DuckDB runs the models' SQL, within
    `memory_limit`, spilling what does not fit to `spill_dir`.
    """
    frames = stored_frames(tables, memory_limit=memory_limit)
    if frames is not None:
        return frames
    return _stored_by_sql(tables, memory_limit=memory_limit, spill_dir=spill_dir)


def _stored_by_sql(tables: Mapping[str, Path], *, memory_limit: int | None = None,
                   spill_dir: Path | None = None) -> dict[str, pl.DataFrame]:
    """stored_models by running the SQL models."""
    # The rows are ordered at the end: DuckDB need not keep any order before, which saves it memory.
    config: dict[str, str | bool | int | float | list[str]] = {"preserve_insertion_order": False}
    if memory_limit is not None:
        config["memory_limit"] = f"{max(memory_limit // 2**20, 1)}MiB"
    if spill_dir is not None:
        config["temp_directory"] = str(spill_dir)
    con = duckdb.connect(config=config)
    try:
        for name, columns in STORED_READS.items():
            # The relation API takes the path and the column names as values: no SQL text is written.
            con.read_parquet(str(tables[name])).select(*columns).create_view(name)
        results = {}
        made: dict[str, tuple] = {}
        for name in STORED:
            for dependency in model(name).depends_on:  # what the models share is made once
                _materialise(con, dependency, {}, made)
            results[name] = _run_model(name, {}, lambda sql, values: _in_order(con.sql(sql, params=values)))
        return results
    finally:
        con.close()


def _in_order(relation: duckdb.DuckDBPyRelation) -> pl.DataFrame:
    """The relation's rows sorted on every column, nulls last, in one chunk (as polars' sort on every
    column gives them: integers, text compared by bytes and booleans order alike in both; DuckDB
    sorts millions of rows on several columns several times faster)."""
    # The column names are the model's own (sql/), never user text.
    keys = ", ".join('"{}" nulls last'.format(column.replace('"', '""')) for column in relation.columns)
    return as_polars(relation.order(keys)).rechunk()


def as_polars(relation: duckdb.DuckDBPyRelation) -> pl.DataFrame:
    """The relation's rows as a polars frame, through the Arrow stream interface: DuckDB's own
    `.pl()` goes through pyarrow, whose import alone costs about 0.3 s of every `firms` command."""
    return pl.DataFrame(relation)


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
    # No temp directory: DuckDB adds its temp directory (./.tmp by default) to the allowed ones, so a
    # query could read what is there; without one a query that outgrows memory fails instead of spilling.
    con.execute("SET temp_directory = ''")
    con.execute("SET allowed_directories = $dirs", {"dirs": [str(data_dir.resolve()) + "/"]})
    con.execute("SET enable_external_access = false")
    con.execute("SET lock_configuration = true")


class Engine:
    """Runs the models of `sql/` over one data folder.

    With `reuse` (for many queries on one connection, as `firms tables` makes), each dependency is
    materialised once per parameters as a temporary table. Without it (one query, as `aggregate`
    makes), a model and the dependencies it needs run as one statement, each dependency a CTE of its
    model's name: DuckDB then plans them together and reads only the columns the query uses, which
    for one query is faster than writing the dependencies out first.
    """

    def __init__(self, data_dir: Path, *, reuse: bool = True) -> None:
        self.data_dir = Path(data_dir)
        self.reuse = reuse
        self.con = open_connection(self.data_dir)
        self._materialised: dict[str, tuple[tuple[str, Any], ...]] = {}
        self._selection: list[tuple[str, str | None]] | None = None
        self._values: dict[str, frozenset[str]] = {}
        self._default_as_of: tuple[int | None] | None = None
        for name in STORED:
            if (self.data_dir / f"{name}.parquet").is_file():
                self._materialised[name] = _key(name, {})  # stored by ingest: a view already
        computed_here = len(self._materialised) < len(STORED)
        if computed_here and "patent_id" not in self.con.table("patent_applicants").columns:
            self.close()
            raise AnalyticsError(f"{self.data_dir} was written by an older fintech_firms (its patents have no "
                                 f"patent_id): run `firms ingest` again to rewrite it")
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
        rows: list[tuple[str, str | None]] = []
        for dimension, values in selection.items():
            values = list(values)
            rows += [(dimension, value) for value in values] or [(dimension, None)]
        if rows == self._selection:
            return
        self._selection = rows
        self.con.execute(f"CREATE OR REPLACE TEMP TABLE {SELECTION_TABLE} (dimension VARCHAR, value VARCHAR)")
        if rows:
            self.con.executemany(f"INSERT INTO {SELECTION_TABLE} VALUES (?, ?)", rows)

    def default_as_of(self) -> int | None:
        """The default snapshot year (sql/snapshot_year.sql), computed once per engine."""
        if self._default_as_of is None:
            self._default_as_of = (self.frame("snapshot_year", {}).item(),)
        return self._default_as_of[0]

    def values(self, column: str) -> frozenset[str]:
        """The distinct non-null values of a firms column (one of the fixed dimensions)."""
        if column not in self._values:
            # The relation API names the column as a value: no SQL text is written here.
            frame = as_polars(self.con.table("firms").select(column).distinct())
            self._values[column] = frozenset(frame.get_column(column).drop_nulls().to_list())
        return self._values[column]

    def frame(self, name: str, params: Mapping[str, Any]) -> pl.DataFrame:
        """Run model `name` with its dependencies and return its rows."""
        if not self.reuse:
            return self._composed(name, params)
        for dependency in model(name).depends_on:
            _materialise(self.con, dependency, params, self._materialised)
        return _run_model(name, params, lambda sql, values: as_polars(self.con.sql(sql, params=values)))

    def _composed(self, name: str, params: Mapping[str, Any]) -> pl.DataFrame:
        order: list[str] = []
        self._unmaterialised(name, params, order)
        # Model names come from the fixed list of models.py; the values are bound, never pasted.
        ctes = ",\n".join(f"{step} as (\n{model(step).sql}\n)" for step in order)
        values: dict[str, Any] = {}
        for step in order:
            values.update(_bound(step, params))
        try:
            return as_polars(self.con.sql(f"with {ctes}\nselect * from {name}", params=values))
        except duckdb.Error as exc:
            raise AnalyticsError(f"SQL model {name} (sql/{name}.sql, with the models it reads) failed: "
                                 f"{duckdb_message(exc)}") from None

    def _unmaterialised(self, name: str, params: Mapping[str, Any], order: list[str]) -> None:
        """`name` and the dependencies not yet materialised, each after the ones it reads."""
        if name in order or self._materialised.get(name) == _key(name, params):
            return
        for dependency in model(name).depends_on:
            self._unmaterialised(dependency, params, order)
        order.append(name)


# Engines kept for `aggregate` across calls in one process (a notebook asks many groupings of one
# folder): opening a connection costs about as much as a small query. An engine is kept while none of
# its folder's files changes; a few folders at most.
_KEPT: OrderedDict[Path, tuple[tuple, Engine]] = OrderedDict()
_KEPT_MAX = 4
_KEPT_LOCK = threading.Lock()  # a DuckDB connection is not thread-safe: one caller at a time


@contextmanager
def kept_engine(data_dir: Path) -> Iterator[Engine]:
    """A one-query-at-a-time Engine (reuse=False) for the folder, opened again if its files changed,
    held for this thread alone until the `with` block ends."""
    with _KEPT_LOCK:
        yield _kept(data_dir)


def _kept(data_dir: Path) -> Engine:
    folder = Path(data_dir).resolve()
    signature = folder_signature(folder)
    kept = _KEPT.get(folder)
    if kept is not None and kept[0] == signature:
        _KEPT.move_to_end(folder)
        return kept[1]
    if kept is not None:
        kept[1].close()
    engine = Engine(folder, reuse=False)
    _KEPT[folder] = (signature, engine)
    while len(_KEPT) > _KEPT_MAX:
        _KEPT.popitem(last=False)[1][1].close()
    return engine


def folder_signature(folder: Path) -> tuple:
    """Each Parquet file's name, modification time and size: changes whenever `firms ingest` rewrites the folder."""
    try:
        stats = {p.name: p.stat() for p in folder.glob("*.parquet")}
    except OSError:
        return ()
    return tuple(sorted((name, st.st_mtime_ns, st.st_size) for name, st in stats.items()))


def run_on(con: duckdb.DuckDBPyConnection, name: str, params: Mapping[str, Any],
           given: Iterable[str] = ()) -> pl.DataFrame:
    """Model `name` over the tables `con` already holds (views or registered frames), the models it
    reads materialised first as temporary tables, except those `given`: the caller registered a
    table of that name in their place. For models that need no data folder (the FIRE index's
    scoring runs on frames the caller registers)."""
    made = {dependency: _key(dependency, params) for dependency in given}
    for dependency in model(name).depends_on:
        _materialise(con, dependency, params, made)
    return _run_model(name, params, lambda sql, values: as_polars(con.sql(sql, params=values)))


def _materialise(con: duckdb.DuckDBPyConnection, name: str, params: Mapping[str, Any],
                 made: dict[str, tuple]) -> None:
    """Store model `name`, after the models it reads, as a temporary table of its name; `made` holds
    the parameters each was made with, so that each is made once per parameters."""
    key = _key(name, params)
    if made.get(name) == key:
        return
    for dependency in model(name).depends_on:
        _materialise(con, dependency, params, made)
    _run_model(name, params, lambda sql, values: con.execute(
        f"CREATE OR REPLACE TEMP TABLE {name} AS {sql}", values))
    made[name] = key


def _run_model(name: str, params: Mapping[str, Any], run):
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
    """DuckDB's own text, which already names the error kind and often suggests a fix, as one line:
    the query excerpt with its caret (LINE 10: …) is left out, the rest joined."""
    lines = [line.strip() for line in str(exc).splitlines()]
    kept = [line for line in lines if line and not line.startswith("LINE ") and set(line) != {"^"}]
    text = " ".join(kept) or type(exc).__name__
    return text if len(text) <= 500 else text[:500] + "…"
