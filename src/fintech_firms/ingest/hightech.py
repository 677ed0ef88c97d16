"""High-tech certificate rows → certificates with their issue year (contract §2, High-tech status)."""

from __future__ import annotations

import polars as pl

from ..rules.certs import cert_years
from ..rules.values import parse_dates
from ..tabular.reader import ROW, RawTable
from .columns import column_or_null, map_distinct_many
from .ledger import Ledger
from .linking import Linker, attach_links, firm_identity, unlinked_rows, with_name_keys

VALID_YEARS = 3
NO_YEAR = "no issue year (issue_date blank or invalid, cert_no without a GR year)"


def build_hightech(
    table: RawTable, ledger: Ledger, linker: Linker, max_year: int
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The deduplicated table, and the input rows left unlinked (for the report)."""
    account = ledger.open(table)
    frame = table.frame.with_columns(
        column_or_null(table.frame, c) for c in ("name", "uscc", "issue_date", "cert_no")
    )
    frame = map_distinct_many(frame, "issue_date", lambda values: parse_dates(values, max_year=max_year),
                         {"date_value": pl.Date, "date_year": pl.Int64, "date_error": pl.Utf8})
    frame = map_distinct_many(frame, "cert_no", lambda values: cert_years(values).to_frame(), {"cert_year": pl.Int64})
    frame = frame.with_columns(
        pl.coalesce("date_year", "cert_year").alias("issue_year"),
    ).with_columns(
        pl.when(pl.col("name").is_null() & pl.col("uscc").is_null())
        .then(pl.lit("missing name and USCC"))
        .when(pl.col("issue_year").is_null()).then(pl.lit(NO_YEAR))
        .when(pl.col("issue_year") > max_year).then(pl.format("issue year out of range ({})", "issue_year"))
        .alias("_reason")
    )
    ledger.quarantine(table, frame.filter(pl.col("_reason").is_not_null()))
    frame = frame.filter(pl.col("_reason").is_null())
    ledger.cell_issues(table, "issue_date", frame.filter(pl.col("date_error").is_not_null()),
                       "date_error")

    frame = with_name_keys(frame, "name")
    ledger.cell_issues(table, "uscc", frame.filter(pl.col("uscc_error").is_not_null()), "uscc_error")
    frame = attach_links(frame, linker, "name_key", "uscc_key")
    frame = frame.with_columns(
        firm_identity().alias("who"),
        pl.col("cert_no").str.replace_all(r"\s", "").str.to_uppercase().alias("cert_key"),
    ).sort(ROW)
    certs = (
        frame.group_by("who", "cert_key", "issue_year", maintain_order=True)
        .agg(
            *(pl.col(c).drop_nulls().first() for c in (
                "firm_id", "name", "uscc_key", "cert_no", "date_value", "link_method", "link_score",
                "unlinked")),
            pl.len().cast(pl.Int64).alias("records"),
            pl.col(ROW).first().alias("source_row"),
        )
    )
    unlinked = unlinked_rows(frame, "name")
    account.kept = certs.height
    account.merged_duplicates = frame.height - certs.height
    deduplicated = certs.select(
        "firm_id", "name", pl.col("uscc_key").alias("uscc"), "cert_no",
        pl.col("date_value").alias("issue_date"), "issue_year",
        # Contract §2: a certificate is valid in its issue year and the two years after.
        (pl.col("issue_year") + VALID_YEARS - 1).alias("valid_until"),
        "link_method", "link_score",
        "unlinked", "records", "source_row",
    )
    return deduplicated, unlinked
