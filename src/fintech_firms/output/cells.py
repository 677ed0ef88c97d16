"""Values as people read them: percentages, rounded means, Chinese labels, East Asian display width."""

from __future__ import annotations

import datetime as dt
import json
import unicodedata
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import polars as pl

from ..analytics.columns import DIMENSIONS, FRACTION_KINDS, METRICS, TECH_LABELS, TOTAL, TOTAL_LABEL, Column


@dataclass(frozen=True)
class Result:
    """A frame with a display spec for each column; `title` names the sheet or section."""

    frame: pl.DataFrame
    columns: tuple[Column, ...]
    title: str = "result"
    null: str = "—"


def known_columns(frame: pl.DataFrame) -> tuple[Column, ...]:
    """Specs for the dimensions and metrics by key; any other column is shown as it comes."""
    known = {**DIMENSIONS, **METRICS}
    return tuple(known.get(name) or Column(name, name, _kind(frame.schema[name])) for name in frame.columns)


def plain_columns(frame: pl.DataFrame) -> tuple[Column, ...]:
    """Specs for an ad-hoc query: headers and values as the query gave them."""
    return tuple(Column(name, name, _kind(dtype)) for name, dtype in frame.schema.items())


def _kind(dtype: pl.DataType) -> str:
    if dtype.is_integer():
        return "count"
    if dtype.is_numeric():  # floats and decimals
        return "float"
    return "text"


def display(value: Any, column: Column, null: str) -> str:
    if value is None:
        return null
    kind = column.kind
    if kind == "metric":
        return METRICS[value].label if value in METRICS else str(value)
    if kind == "dimension":
        return DIMENSIONS[value].label if value in DIMENSIONS else str(value)
    if column.key == "tech" and isinstance(value, str):
        return TECH_LABELS.get(value, TOTAL_LABEL if value == TOTAL else value)
    if isinstance(value, str) and value == TOTAL and column.key in DIMENSIONS:
        return TOTAL_LABEL
    if kind == "ratio":
        return f"{_half_up(Decimal(repr(value)) * 100, 1)}%"
    if kind == "mean1":
        return str(_half_up(Decimal(repr(value)), 1))
    if kind == "mean2":
        return str(_half_up(Decimal(repr(value)), 2))
    return plain(value)


def decimal_number(value: Decimal) -> int | float:
    """A DECIMAL as a plain number; whole ones (HUGEINT sums) stay whole."""
    exponent = value.as_tuple().exponent  # a letter for NaN and infinity, which stay floats
    return int(value) if isinstance(exponent, int) and exponent >= 0 else float(value)


def _half_up(value: Decimal, places: int) -> Decimal:
    """Rounded as a report prints it (41.25 -> 41.3), from the shortest decimal form of the float:
    Python's own formatting would round the binary value half to even (41.25 -> 41.2)."""
    return value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def plain(value: Any) -> str:
    """Any value as short text: the form a spreadsheet or a CSV reader expects."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, (dt.date, dt.datetime, dt.time)):
        return value.isoformat()
    if isinstance(value, (bytes, bytearray)):
        return value.hex()
    if isinstance(value, pl.Series):
        value = value.to_list()
    if isinstance(value, (list, dict, tuple)):
        return json.dumps(value, ensure_ascii=False, default=str)
    return str(value)


def is_numeric(column: Column) -> bool:
    return column.kind in ("count", "float", "rank", *FRACTION_KINDS)


def width(text: str) -> int:
    """Columns a terminal gives the text: East Asian wide and full-width characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def rows_for_people(result: Result) -> list[list[str]]:
    return [[display(v, c, result.null) for v, c in zip(row, result.columns)]
            for row in result.frame.iter_rows()]
