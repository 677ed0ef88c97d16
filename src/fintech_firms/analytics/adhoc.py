"""`firms sql`: one read-only query over the tables of data contract §4.

Two locks: the statement must be a single query (DuckDB's own parser says which kind it is), and the
connection itself reads files only inside the data folder (it has no temp directory, which DuckDB would
allow too) and cannot be reconfigured, so that a query cannot reach other files through read_csv, glob
or a path in FROM. Two limits: a timeout interrupts the query, and the rows shown are capped inside it.
"""

from __future__ import annotations

import re
import threading
from pathlib import Path

import duckdb
import polars as pl

from ..errors import InputError
from ..models.catalog import without_comments
from ..models.runner import AnalyticsError, as_polars, duckdb_message, lock_down, open_connection

# DuckDB parses SELECT, WITH … SELECT, FROM-first queries, VALUES, SHOW, DESCRIBE and SUMMARIZE as SELECT.
_ALLOWED = {"SELECT"}


DEFAULT_TIMEOUT = 60.0


def run_query(data_dir: Path, query: str, *, timeout: float | None = DEFAULT_TIMEOUT,
              limit: int | None = None) -> pl.DataFrame:
    """The query's rows; at most `limit` of them (the cap is part of the query, so DuckDB stops once it
    has them). A query still running after `timeout` seconds is interrupted (None: no limit)."""
    if not query.strip():
        raise InputError("the query is empty")
    if timeout is not None and not timeout > 0:
        raise InputError(f"the timeout must be a positive number of seconds, not {timeout}")
    con = open_connection(data_dir)
    timer = threading.Timer(timeout, _interrupt, (con,)) if timeout is not None else None
    try:
        _check_statement(con, query)
        lock_down(con, data_dir)
        if timer is not None:
            timer.start()
        try:
            relation = con.sql(query)
            _check_names(relation)  # before LIMIT, which would rename a repeated column
            if limit is not None:
                relation = relation.limit(limit)
            return _frame(relation)
        except duckdb.InterruptException:
            raise AnalyticsError(
                f"the query was stopped after {timeout:g} s (--timeout); narrow it down (WHERE, LIMIT) "
                f"or allow it more time") from None
        except duckdb.PermissionException as exc:
            raise AnalyticsError(
                f"refused: firms sql reads only the tables in {data_dir} "
                f"({duckdb_message(exc)})") from None
        except duckdb.Error as exc:
            raise AnalyticsError(duckdb_message(exc)) from None
    finally:
        if timer is not None:
            timer.cancel()
        con.close()


def _interrupt(con: duckdb.DuckDBPyConnection) -> None:
    try:
        con.interrupt()
    except duckdb.Error:
        pass  # the query ended and the connection closed as the timer fired


# Types that polars reads from DuckDB's Arrow output; any other column is shown as DuckDB's text for it.
_READABLE = re.compile(r"(BOOLEAN|U?(TINY|SMALL|BIG|HUGE)?INT(EGER)?|FLOAT|DOUBLE|VARCHAR|UUID|DATE|TIME"
                       r"|TIMESTAMP( WITH TIME ZONE|_S|_MS|_NS)?|DECIMAL\(\d+,\d+\)|BLOB)(\[\])*")


def _check_names(relation: duckdb.DuckDBPyRelation) -> None:
    names = relation.columns
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise InputError(f"the result has more than one column named '{repeated[0]}': "
                         "give each column its own name with AS")


def _frame(relation: duckdb.DuckDBPyRelation) -> pl.DataFrame:
    _check_names(relation)
    names = relation.columns
    types = [str(t) for t in relation.types]
    if all(_READABLE.fullmatch(t) for t in types):
        return as_polars(relation)
    # INTERVAL, MAP, UNION, STRUCT, BIT, …: polars cannot read some of them (and panics rather than
    # raising), so they are cast to text by column objects, not by SQL text.
    columns = [duckdb.ColumnExpression(n) for n in names]
    return as_polars(relation.select(*(
        column if _READABLE.fullmatch(t) else column.cast(duckdb.sqltype("VARCHAR")).alias(n)
        for column, t, n in zip(columns, types, names))))


def _check_statement(con: duckdb.DuckDBPyConnection, query: str) -> None:
    try:
        statements = con.extract_statements(query)
    except duckdb.Error as exc:
        raise AnalyticsError(duckdb_message(exc)) from None
    if not statements:
        raise InputError("the query is empty")
    if len(statements) > 1:
        raise InputError(f"refused: firms sql runs one query at a time, and this text holds {len(statements)}")
    kind = statements[0].type.name
    if kind not in _ALLOWED:
        raise InputError(
            f"refused: firms sql is read-only and runs only queries (SELECT, WITH, FROM, SHOW, DESCRIBE, "
            f"SUMMARIZE), not {_keyword(query, kind)}. To save a result use --format and --out; "
            f"to build tables of your own use the Python API (fintech_firms.connect)")


def _keyword(query: str, kind: str) -> str:
    """The statement's first word as the user wrote it (INSTALL, not DuckDB's LOAD), for the message."""
    code = without_comments(query)
    word = code.split(None, 1)[0].strip("(;").upper() if code.split() else ""
    return word if word.isalpha() else kind
