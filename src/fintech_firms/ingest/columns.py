"""Apply a scalar rule to a text column once per distinct value, as new typed columns."""

from __future__ import annotations

from collections.abc import Callable

import polars as pl


def map_distinct(
    frame: pl.DataFrame,
    column: str,
    rule: Callable[[str | None], tuple],
    fields: dict[str, pl.DataType],
) -> pl.DataFrame:
    """`frame` with one new column per field of `rule(value)` (a tuple, in `fields` order).

    Exports repeat values a lot (cities, rounds, applicants), so each distinct value is parsed once.
    """
    values = frame.get_column(column).unique(maintain_order=True).to_list()
    results = [rule(v) for v in values]
    lookup = {column: pl.Series(column, values, dtype=pl.Utf8)}
    for i, (name, dtype) in enumerate(fields.items()):
        lookup[name] = pl.Series(name, [r[i] for r in results], dtype=dtype)
    return frame.join(pl.DataFrame(lookup), on=column, how="left", nulls_equal=True,
                      maintain_order="left")


def column_or_null(frame: pl.DataFrame, column: str) -> pl.Expr:
    """The column when the file has it, else nulls (optional columns of contract §1)."""
    return pl.col(column) if column in frame.columns else pl.lit(None, dtype=pl.Utf8).alias(column)


def split_distinct(
    frame: pl.DataFrame, column: str, split: Callable[[str | None], list[str]], item: str
) -> tuple[pl.DataFrame, pl.Series]:
    """Rows of `frame` repeated once per item of `split(cell)` (with `item` and its 1-based
    `{item}_pos`), and a boolean mask of the rows whose cell has no item.

    Flat lists are built in Python and joined, because building a list column from Python lists
    costs far more than splitting the cells (seconds at a million rows).
    """
    values = frame.get_column(column).unique(maintain_order=True).to_list()
    keys: list[str | None] = []
    positions: list[int] = []
    items: list[str] = []
    empty: list[str | None] = []
    for value in values:
        parts = split(value)
        if not parts:
            empty.append(value)
        for pos, part in enumerate(parts, start=1):
            keys.append(value)
            positions.append(pos)
            items.append(part)
    lookup = pl.DataFrame({
        column: pl.Series(column, keys, dtype=pl.Utf8),
        f"{item}_pos": pl.Series(f"{item}_pos", positions, dtype=pl.Int64),
        item: pl.Series(item, items, dtype=pl.Utf8),
    })
    exploded = frame.join(lookup, on=column, how="inner", nulls_equal=True, maintain_order="left_right")
    no_items = frame.get_column(column).is_in([v for v in empty if v is not None])
    if None in empty:
        no_items = no_items | frame.get_column(column).is_null()
    return exploded, no_items
