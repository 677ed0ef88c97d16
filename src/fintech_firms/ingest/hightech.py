"""High-tech certificate rows → certificates with their issue year (contract §2, High-tech status)."""

from __future__ import annotations

from collections.abc import Iterable

import polars as pl

from ..rules.certs import cert_years
from ..rules.values import parse_dates
from ..tabular.reader import RawTable
from .ledger import Ledger
from .linking import Linker
from .stage import Rule, Stage, run_stage

VALID_YEARS = 3
NO_YEAR = "no issue year (issue_date blank or invalid, cert_no without a GR year)"


def _stage(max_year: int) -> Stage:
    return Stage(
        optional=("name", "uscc", "issue_date", "cert_no"),
        rules=(
            Rule("issue_date", {"date_value": pl.Date, "date_year": pl.Int64, "date_error": pl.Utf8},
                 distinct=lambda values: parse_dates(values, max_year=max_year).rename(
                     {"date": "date_value", "year": "date_year", "error": "date_error"}),
                 issue="date_error"),
            Rule("cert_no", {"cert_year": pl.Int64},
                 distinct=lambda values: pl.DataFrame({"value": values, "cert_year": cert_years(values)})),
        ),
        made=(pl.coalesce("date_year", "cert_year").alias("issue_year"),),
        reason=(
            pl.when(pl.col("name").is_null() & pl.col("uscc").is_null())
            .then(pl.lit("missing name and USCC"))
            .when(pl.col("issue_year").is_null()).then(pl.lit(NO_YEAR))
            .when(pl.col("issue_year") > max_year).then(pl.format("issue year out of range ({})", "issue_year"))
        ),
        name="name",
        derived=(pl.col("cert_no").str.replace_all(r"\s", "").str.to_uppercase().alias("cert_key"),),
        keys=("who", "cert_key", "issue_year"),
        first=("firm_id", "name", "uscc_key", "cert_no", "date_value", "link_method", "link_score", "unlinked"),
    )


def build_hightech(
    chunks: RawTable | Iterable[RawTable], ledger: Ledger, linker: Linker, max_year: int
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The deduplicated table, and the input rows left unlinked (for the report). `chunks`: the file
    whole or as its chunks (tabular.reader.read_chunks; stage.run_stage)."""
    staged = run_stage(chunks, ledger, linker, _stage(max_year))
    deduplicated = staged.events.select(
        "firm_id", "name", pl.col("uscc_key").alias("uscc"), "cert_no",
        pl.col("date_value").alias("issue_date"), "issue_year",
        # Contract §2: a certificate is valid in its issue year and the two years after.
        (pl.col("issue_year") + VALID_YEARS - 1).alias("valid_until"),
        "link_method", "link_score",
        "unlinked", "records", "source_row",
    )
    return deduplicated, staged.unlinked
