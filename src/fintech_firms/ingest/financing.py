"""Financing rows → distinct events with their round, C-and-later and top-tier flags (contract §2)."""

from __future__ import annotations

import polars as pl

from ..rules.names import split_list, unique_in_order
from ..rules.rounds import is_c_plus, normalize_round
from ..rules.values import parse_date
from ..tabular.reader import ROW, RawTable
from .columns import column_or_null, map_distinct
from .investors import InvestorMatcher
from .ledger import Ledger
from .linking import Linker, attach_links, firm_identity, unlinked_rows, with_name_keys


def build_financing(
    table: RawTable, ledger: Ledger, linker: Linker, investors: InvestorMatcher, max_year: int
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The deduplicated table, and the input rows left unlinked (for the report)."""
    account = ledger.open(table)
    frame = table.frame.with_columns(
        column_or_null(table.frame, c)
        for c in ("firm_name", "uscc", "amount", "lead_investors", "investors")
    )
    frame = map_distinct(frame, "date", lambda v: parse_date(v, max_year=max_year),
                         {"date_value": pl.Date, "year": pl.Int64, "date_error": pl.Utf8})
    frame = frame.with_columns(
        pl.when(pl.col("firm_name").is_null() & pl.col("uscc").is_null())
        .then(pl.lit("missing firm name and USCC"))
        .when(pl.col("date").is_null()).then(pl.lit("missing date"))
        .when(pl.col("date_error").is_not_null()).then(pl.col("date_error"))
        .when(pl.col("round").is_null()).then(pl.lit("missing round"))
        .alias("_reason")
    )
    ledger.quarantine(table, frame.filter(pl.col("_reason").is_not_null()))
    frame = frame.filter(pl.col("_reason").is_null())

    frame = with_name_keys(frame, "firm_name")
    ledger.cell_issues(table, "uscc", frame.filter(pl.col("uscc_error").is_not_null()), "uscc_error")
    frame = attach_links(frame, linker, "name_key", "uscc_key")
    frame = map_distinct(frame, "round", lambda v: (normalize_round(v),), {"round_norm": pl.Utf8})
    frame = frame.with_columns(
        firm_identity().alias("who"),
        pl.coalesce(pl.col("date_value").cast(pl.Utf8), pl.col("year").cast(pl.Utf8)).alias("when"),
    ).sort(ROW)
    events = (
        frame.group_by("who", "when", "round_norm", maintain_order=True)
        .agg(
            *(pl.col(c).drop_nulls().first() for c in (
                "firm_id", "firm_name", "uscc_key", "date_value", "year", "round", "amount",
                "link_method", "link_score", "unlinked")),
            pl.col("lead_investors").drop_nulls(),
            pl.col("investors").drop_nulls(),
            pl.len().cast(pl.Int64).alias("records"),
            pl.col(ROW).first().alias("source_row"),
        )
    )
    unlinked = unlinked_rows(frame, "firm_name")
    account.kept = events.height
    account.merged_duplicates = frame.height - events.height

    leads = [unique_in_order(n for cell in cells for n in split_list(cell))
             for cells in events["lead_investors"].to_list()]
    backers = [unique_in_order(n for cell in cells for n in split_list(cell))
               for cells in events["investors"].to_list()]
    top = investors.match_all(sorted({n for names in leads for n in names}))
    top_vc = [unique_in_order(vc for n in names if (vc := top[n])) for names in leads]
    deduplicated = events.select(
        "firm_id", "firm_name",
        pl.col("uscc_key").alias("uscc"),
        pl.col("date_value").alias("date"),
        "year",
        pl.col("round_norm").alias("round"),
        pl.col("round").alias("round_written"),
        pl.col("round_norm").map_elements(is_c_plus, return_dtype=pl.Boolean).alias("is_c_plus"),
        pl.Series("is_top_vc_led", [bool(t) for t in top_vc], dtype=pl.Boolean),
        pl.Series("top_vc", top_vc, dtype=pl.List(pl.Utf8)),
        pl.Series("lead_investors", leads, dtype=pl.List(pl.Utf8)),
        pl.Series("investors", backers, dtype=pl.List(pl.Utf8)),
        "amount", "link_method", "link_score", "unlinked", "records", "source_row",
    )
    return deduplicated, unlinked
