"""Small polars helpers shared by the rules and the ingest steps."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeAlias

import polars as pl

# A polars dtype as code writes it: the class (pl.Int64) or an instance (pl.List(pl.Utf8)). polars takes
# both; its stubs name that union only in the private polars._typing module.
DType: TypeAlias = pl.DataType | type[pl.DataType]


def position_in_runs(key: str) -> pl.Expr:
    """1-based position of each row within its run of equal, non-null `key` values (rows of one key
    must be contiguous). Cheaper than a window over millions of small groups."""
    index = pl.int_range(pl.len(), dtype=pl.Int64)
    starts = (pl.col(key) != pl.col(key).shift(1)).fill_null(True)
    return index - pl.when(starts).then(index).forward_fill() + 1


def int_max(series: pl.Series) -> int | None:
    """The largest value of an integer column, None when it has none (Series.max is typed as any
    Python scalar, whatever the column's dtype)."""
    value = series.max()
    if value is not None and not isinstance(value, int):
        raise TypeError(f"{series.name} is not an integer column ({series.dtype})")
    return value


def without(frame: pl.DataFrame, positions: pl.Series) -> pl.DataFrame:
    """`frame` without the rows at `positions` (0-based), in order."""
    if positions.is_empty():
        return frame
    return frame.filter(pl.repeat(True, frame.height, eager=True).scatter(positions, False))


class Deferred:
    """A table held in a compact form (integers and codes) whose text is made only when it is written,
    a slice of rows at a time: at ten million patent rows, the application numbers and applicant
    names as text would be gigabytes held for the whole ingest.

    `rows(offset, length)` makes rows [offset, offset + length) exactly as the table's frame would
    have them.
    """

    def __init__(self, height: int, rows: Callable[[int, int], pl.DataFrame]) -> None:
        self.height = height
        self._rows = rows

    def rows(self, offset: int, length: int) -> pl.DataFrame:
        return self._rows(offset, max(0, min(length, self.height - offset)))

    def collect(self) -> pl.DataFrame:
        """Every row: for small tables and tests."""
        return self.rows(0, self.height)


Table: TypeAlias = "pl.DataFrame | Deferred"
