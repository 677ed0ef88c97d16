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
