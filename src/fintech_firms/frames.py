"""Small polars helpers shared by the rules and the ingest steps."""

from __future__ import annotations

import polars as pl


def position_in_runs(key: str) -> pl.Expr:
    """1-based position of each row within its run of equal, non-null `key` values (rows of one key
    must be contiguous). Cheaper than a window over millions of small groups."""
    index = pl.int_range(pl.len(), dtype=pl.Int64)
    starts = (pl.col(key) != pl.col(key).shift(1)).fill_null(True)
    return index - pl.when(starts).then(index).forward_fill() + 1
