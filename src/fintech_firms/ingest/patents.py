"""Patent rows → distinct applications and their applicants (contract §2, Patents)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import polars as pl

from ..frames import position_in_runs
from ..rules.names import normalize_names, split_lists
from ..rules.patents import parse_app_numbers, patent_type_from_text
from ..rules.values import parse_date
from ..tabular.reader import ROW, RawTable
from .columns import column_or_null, map_distinct, split_distinct
from .ledger import Ledger

NO_APPLICANTS = "no applicants"
UNKNOWN_TYPE = "unknown patent type"


@dataclass
class PatentsResult:
    patents: pl.DataFrame
    applicants: pl.DataFrame  # app_no, position, applicant, applicant_key (linked later)
    applicant_rows: pl.DataFrame  # _row, applicant, applicant_key: who each input row names
    type_disagreements: int
    type_unknown: int


def _patent_ids(applicant_app_nos: pl.Series, patent_app_nos: pl.Series) -> pl.Series:
    """patents.patent_id for each applicant row, without a join on the application numbers.

    Both sides are sorted by app_no and every kept patent has at least one applicant (a row without
    one is quarantined), so the n-th distinct app_no among the applicants is the n-th patent. The
    gather below checks that, in one vectorised comparison.
    """
    ids = applicant_app_nos.ne_missing(applicant_app_nos.shift(1)).fill_null(True).cum_sum().cast(pl.Int64)
    if (ids.max() or 0) != patent_app_nos.len() or not patent_app_nos.gather(ids - 1).equals(applicant_app_nos):
        raise RuntimeError("internal error: patent applicants do not line up with the patents")
    return ids.alias("patent_id")


def _app_no_order(app_nos: pl.Series) -> pl.Series | None:
    """An Int64 per canonical number ("digits.check") in the numbers' string order, or None when the
    numbers do not fall in the three blocks that make it so.

    Grouping and sorting a million numbers by an integer costs a fraction of doing it by the strings.
    The strings fall in three blocks, in this order: 8-digit numbers of 2000-2003 ("00".."03"), 12-digit
    numbers (their year, "1985".."2026", starts "19" or "20"), 8-digit numbers of 1985-1999 ("85".."99").
    Within a block every string has the same length, so string order is the order of (number, check
    character), and '0'-'9' < 'X' as check values 0-10. The key is block * 10^14 + number * 11 + check:
    one-to-one and in string order, as long as no 12-digit number starts at or beyond "85" or below "04"
    (checked: with a max_year of 8500 and more the caller sorts the strings instead).
    """
    parts = pl.DataFrame({"s": app_nos}).select(
        width=pl.col("s").str.len_bytes() - 2, number=pl.col("s").str.head(-2).cast(pl.Int64),
        check=pl.col("s").str.tail(1).replace_strict(_CHECK_VALUE, default=None, return_dtype=pl.Int64))
    twelve = pl.col("width") == 12
    parts = parts.with_columns(lead=pl.when(twelve).then(pl.col("number") // 10**10)
                               .otherwise(pl.col("number") // 10**6))
    blocks_hold = parts.select(
        pl.col("width").is_in([8, 12]).all() & pl.col("check").is_not_null().all()
        & pl.col("lead").filter(twelve).is_between(4, 84).all()
        & pl.col("lead").filter(~twelve).is_between(4, 84).not_().all()).item()
    if not blocks_hold:
        return None
    block = pl.when(twelve).then(1).when(pl.col("lead") <= 3).then(0).otherwise(2).cast(pl.Int64)
    return parts.select((block * 10**14 + pl.col("number") * 11 + pl.col("check")).alias("_order")).to_series()


_CHECK_VALUE = {str(d): d for d in range(10)} | {"X": 10}


def _normalized_splits(values: pl.Series) -> pl.DataFrame:
    """split_lists over distinct cells, with each item's name key and an integer standing for the key:
    keys made once per distinct cell item rather than once per applicant row, and deduplicated by
    the integer rather than by hashing the key strings again."""
    items = split_lists(values)
    items = items.with_columns(normalize_names(items["item"]).alias("applicant_key"))
    # A categorical's codes are equal exactly when the keys are, and cost a hash rather than a sort.
    return items.with_columns(pl.col("applicant_key").cast(pl.Categorical).to_physical().alias("_key_id"))


def build_patents(table: RawTable, ledger: Ledger, max_year: int) -> PatentsResult:
    account = ledger.open(table)
    frame = table.frame.with_columns(
        column_or_null(table.frame, c)
        for c in ("patent_type", "app_date", "ipc", "grant_date", "legal_status")
    )
    # From here the raw cells are held only by `frame` (the ledger needs the table's name and headers,
    # not its cells), so that each column dropped from `frame` is memory given back.
    table = dataclasses.replace(table, frame=table.frame.clear())
    parsed = parse_app_numbers(frame["app_no"], max_year=max_year)
    frame = frame.with_columns(
        parsed["app_no"].alias("canon"), parsed["patent_type"].alias("number_type"),
        parsed["year"].alias("number_year"), parsed["error"].alias("app_error"),
    )
    del parsed  # memory: at ten million rows every intermediate column counts
    listed, no_applicants = split_distinct(frame.select(ROW, "applicants"), "applicants", _normalized_splits,
                                           "applicant")
    frame = frame.with_columns(
        pl.when(pl.col("app_error").is_not_null()).then(pl.col("app_error"))
        .when(no_applicants).then(pl.lit(NO_APPLICANTS))
        .alias("_reason")
    )
    ledger.quarantine(table, frame.filter(pl.col("_reason").is_not_null()))
    frame = frame.filter(pl.col("_reason").is_null()).drop("app_no", "applicants", "_reason", "app_error")

    frame = map_distinct(frame, "patent_type", lambda v: (patent_type_from_text(v),),
                         {"text_type": pl.Utf8})
    frame = map_distinct(frame, "app_date", lambda v: parse_date(v, max_year=max_year),
                         {"date_value": pl.Date, "date_year": pl.Int64, "date_error": pl.Utf8})
    frame = frame.with_columns(
        pl.when(pl.col("patent_type").is_not_null() & pl.col("text_type").is_null())
        .then(pl.lit(UNKNOWN_TYPE)).alias("type_error")
    )
    ledger.cell_issues(table, "app_date", frame.filter(pl.col("date_error").is_not_null()), "date_error")
    ledger.cell_issues(table, "patent_type", frame.filter(pl.col("type_error").is_not_null()), "type_error")
    frame = frame.drop("patent_type", "app_date", "date_error", "type_error")
    disagreements = frame.filter(
        pl.col("number_type").is_not_null() & pl.col("text_type").is_not_null()
        & (pl.col("number_type") != pl.col("text_type"))
    ).height

    # The frame is in file order (every step above keeps the left side's order), so `first` below is
    # the first record in the file.
    first = [pl.col(c).drop_nulls().first() for c in (
        "number_type", "text_type", "number_year", "date_year", "ipc", "grant_date", "legal_status")]
    # The date comes from the same record as its year: the first with a usable app_date.
    first.append(pl.col("date_value").filter(pl.col("date_year").is_not_null()).first())
    order = _app_no_order(frame["canon"])
    # Without the integer order (see _app_no_order), the strings themselves order the patents.
    frame = frame.with_columns(order if order is not None else pl.col("canon").alias("_order"))
    patents = (
        frame.group_by("_order", maintain_order=True)
        .agg(pl.col("canon").first(), *first, pl.len().alias("records"), pl.col(ROW).first().alias("source_row"))
        .sort("_order")
        .select(
            pl.col("canon").alias("app_no"),
            pl.coalesce("number_type", "text_type").alias("patent_type"),
            pl.coalesce("date_year", "number_year").alias("app_year"),
            pl.col("date_value").alias("app_date"),
            "ipc", "grant_date", "legal_status",
            pl.when(pl.col("number_type").is_not_null()).then(pl.lit("number"))
            .when(pl.col("text_type").is_not_null()).then(pl.lit("patent_type"))
            .alias("type_source"),
            pl.col("records").cast(pl.Int64),
            "source_row",
        )
        .with_row_index("patent_id", offset=1)
        .select("app_no", pl.col("patent_id").cast(pl.Int64), pl.exclude("app_no", "patent_id"))
    )
    account.kept = patents.height
    account.merged_duplicates = frame.height - patents.height

    applicants = (
        listed.join(frame.select(ROW, pl.col("canon").alias("app_no"), "_order"), on=ROW, how="inner",
                    maintain_order="left")
    )
    applicant_rows = applicants.unique([ROW, "_key_id"], keep="first", maintain_order=True).select(
        ROW, "applicant", "applicant_key")
    applicants = (
        applicants.unique(["_order", "_key_id"], keep="first", maintain_order=True)
        .sort("_order", maintain_order=True)  # stable: each patent's applicants keep file order
        .select("app_no", position_in_runs("_order").alias("position"), "applicant", "applicant_key")
    )
    applicants = applicants.with_columns(_patent_ids(applicants["app_no"], patents["app_no"]))
    return PatentsResult(patents, applicants, applicant_rows, disagreements,
                         patents.filter(pl.col("patent_type").is_null()).height)
