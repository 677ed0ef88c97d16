"""Apply a scalar rule to a text column once per distinct value, as new typed columns."""

from __future__ import annotations

from collections.abc import Callable

import polars as pl

from ..frames import DType


def map_distinct(
    frame: pl.DataFrame,
    column: str,
    rule: Callable[[str | None], tuple],
    fields: dict[str, DType],
) -> pl.DataFrame:
    """`frame` with one new column per field of `rule(value)` (a tuple, in `fields` order).

    Exports repeat values a lot (cities, rounds, applicants), so each distinct value is parsed once.
    """
    values = frame.get_column(column).unique(maintain_order=True).to_list()
    results = [rule(v) for v in values]
    lookup = {column: pl.Series(column, values, dtype=pl.Utf8)}
    for i, (name, dtype) in enumerate(fields.items()):
        lookup[name] = pl.Series(name, [r[i] for r in results], dtype=dtype)
    # Join the one column and put the results beside the frame: joining the whole frame would copy
    # every column of it, gigabytes at ten million patent rows.
    found = frame.select(column).join(pl.DataFrame(lookup), on=column, how="left", nulls_equal=True,
                                      maintain_order="left")
    return frame.with_columns(found.drop(column))


def column_or_null(frame: pl.DataFrame, column: str) -> pl.Expr:
    """The column when the file has it, else nulls (optional columns of contract §1)."""
    return pl.col(column) if column in frame.columns else pl.lit(None, dtype=pl.Utf8).alias(column)


def split_distinct(
    frame: pl.DataFrame, column: str, split_many: Callable[[pl.Series], pl.DataFrame], item: str
) -> tuple[pl.DataFrame, pl.Series]:
    """Rows of `frame` repeated once per item of their cell (with `item` and its 1-based
    `{item}_pos`, without the cell itself), and a boolean mask of the rows whose cell has no item.

    `split_many(distinct cells)` returns (value, position, item) rows, as rules.names.split_lists.
    """
    values = frame.get_column(column).unique(maintain_order=True)
    lookup = split_many(values).rename(
        {"value": column, "position": f"{item}_pos", "item": item})
    exploded = frame.join(lookup, on=column, how="inner", maintain_order="left_right").drop(column)
    has_items = lookup.select(column).unique().with_columns(pl.lit(True).alias("_has"))
    no_items = frame.select(column).join(has_items, on=column, how="left", maintain_order="left")
    return exploded, no_items.get_column("_has").is_null()
