"""Firm records → merged firms, their tracks, and the linker's indexes (contract §2, firm identity).

The merge runs as polars expressions over all records at once (a Python loop per record or per firm
took seconds at 80k records). The record-by-record reading of the rules is in tests/test_firms_fast.py,
which checks that both give the same result; `parse_usccs` and `normalize_names` pair vectorised fast
paths with the scalar rules (rules.uscc.parse_uscc, rules.names.normalize_name), which stay the
definitions, as rules.patents.parse_app_numbers does with parse_app_no.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import polars as pl

from ..frames import DType, int_max, position_in_runs
from ..reference.geo import CityMatcher
from ..reference.tables import REGION_OTHER, REGION_UNKNOWN, UNCLASSIFIED
from ..reference.taxonomy import TrackMatcher
from ..rules.names import normalize_names, split_lists
from ..rules.uscc import parse_usccs
from ..rules.values import parse_bool, parse_count, parse_dates
from ..tabular.reader import ROW, RawTable
from .columns import first_of_pairs, map_distinct, split_distinct
from .ledger import Ledger
from .stage import Rule, prepare, settle


@dataclass
class FirmsResult:
    firms: pl.DataFrame
    tracks: pl.DataFrame
    # The linker's indexes (linking.Linker), as frames rather than Python mappings (a few hundred bytes
    # a firm as strings, sets and integers): (uscc, firm_id), one row per firm with a USCC; and
    # (name_key, firm_id) for the names, and (_key, firm_id) for the former names, one row per
    # normalised name of a firm, firms in firm_id order and each firm's names in first-seen order.
    usccs: pl.DataFrame
    names: pl.DataFrame
    former: pl.DataFrame


def build_firms(
    chunks: RawTable | Iterable[RawTable], ledger: Ledger, cities: CityMatcher, tracks: TrackMatcher, max_year: int
) -> FirmsResult:
    """The firms of the firms file, given whole or as its chunks (tabular.reader.read_chunks): each
    chunk is prepared on its own and only the columns the merge reads are kept of its usable rows, so
    that a wide export's other columns (a business scope, say) never exist for the whole file."""
    rules = (
        Rule("uscc", {"uscc_ok": pl.Utf8, "uscc_error": pl.Utf8}, issue="uscc_error",
             distinct=lambda values: parse_usccs(values).rename({"uscc": "uscc_ok", "error": "uscc_error"})),
        Rule("rd_staff", {"rd_value": pl.Int64, "rd_error": pl.Utf8}, scalar=parse_count, issue="rd_error"),
        Rule("has_patent_transfer", {"transfer_value": pl.Boolean, "transfer_error": pl.Utf8},
             scalar=parse_bool, issue="transfer_error"),
        Rule("founded", {"founded_date": pl.Date, "founded_year": pl.Int64, "founded_error": pl.Utf8},
             distinct=lambda values: parse_dates(values, max_year=max_year).rename(
                 {"date": "founded_date", "year": "founded_year", "error": "founded_error"}),
             issue="founded_error"),
    )
    # Only the columns the merge reads (the rules' written values and errors are done with once their
    # cell issues are taken), so that the copies the merge makes are of those alone.
    account, frame = prepare(
        chunks, ledger,
        ("firm_id", "uscc", "former_names", "province", "tracks", "rd_staff", "has_patent_transfer", "founded"),
        rules, pl.when(pl.col("name").is_null()).then(pl.lit("missing name")), keep=(ROW, *_MERGED))
    del chunks  # a whole table's cells: `frame` has what the merge needs
    height = frame.height
    if not frame[ROW].is_sorted():
        frame = frame.sort(ROW)
    held = [_firm_of_records(frame)]
    del frame
    settle(account, height, int_max(held[0]["firm_id"]) or 0)
    return _assemble(held, cities, tracks)


# The records' columns that the merge reads.
_MERGED = ("name", "firm_id", "uscc_ok", "city", "province", "former_names", "tracks", "rd_value",
           "transfer_value", "founded_date", "founded_year")


def _firm_of_records(records: pl.DataFrame) -> pl.DataFrame:
    """`records` (in file order) with `name_key`, `firm_uscc` and `firm_id`, sorted by firm_id and
    then file order.

    A record's firm: its valid USCC; else the one USCC firm with a record of the same normalised name;
    else its normalised name. firm_id numbers the firms in the order of their first record.
    """
    records = records.rename({"firm_id": "source_firm_id"}).with_columns(
        normalize_names(records["name"]).alias("name_key"))
    # The valid USCC of the records with the same normalised name (former names do not count),
    # when there is exactly one.
    valid = pl.col("uscc_ok").drop_nulls()
    owner = pl.when(valid.n_unique() == 1).then(valid.first()).over("name_key")
    records = records.with_columns(pl.coalesce("uscc_ok", owner).alias("firm_uscc"))
    # A firm's records share two window keys, the USCC and (only without one) the name, so that a
    # name is never taken for a USCC spelled the same. Numbering the firms' first rows gives firm_id.
    by_name = pl.when(pl.col("firm_uscc").is_null()).then("name_key")
    first_row = pl.col(ROW).min().over("firm_uscc", by_name)
    return records.with_columns(first_row.rank("dense").cast(pl.Int64).alias("firm_id")).sort(
        "firm_id", maintain_order=True)


def _assemble(held: list[pl.DataFrame], cities: CityMatcher, tracks: TrackMatcher) -> FirmsResult:
    """Firms from records sorted by firm_id and file order: fields coalesced in file order (first
    non-null wins), names, former names and tracks united in first-seen order, first spelling kept.
    Every step keeps that order, so the rows of a firm stay together and in order without sorting.
    `held` holds the records, and is emptied: they are freed once what is made of them is made."""
    records = held.pop()
    firms = records.group_by("firm_id", maintain_order=True).agg(
        pl.col("name").first(),
        pl.col("firm_uscc").first().alias("uscc"),
        pl.col("city").drop_nulls().first().alias("city_written"),
        pl.col("province").drop_nulls().first().alias("_province_written"),
        pl.col("rd_value").drop_nulls().first().alias("rd_staff"),
        pl.col("transfer_value").drop_nulls().first().alias("has_patent_transfer"),
        # Date and year from the same record: the first with a usable founded.
        pl.col("founded_date").filter(pl.col("founded_year").is_not_null()).first().alias("founded"),
        pl.col("founded_year").drop_nulls().first(),
        pl.col("source_firm_id").drop_nulls().first(),
        pl.len().cast(pl.Int64).alias("records"),
        pl.col(ROW).first().alias("source_row"),
    )
    # Firms share few distinct cities, so each written city is matched once.
    firms = map_distinct(
        firms, "city_written", lambda v: _place(cities, v),
        {"city": pl.Utf8, "_province_matched": pl.Utf8, "region": pl.Utf8})
    listed = ~pl.col("region").is_in([REGION_OTHER, REGION_UNKNOWN])
    written = pl.col("_province_written")
    # As `written or matched` in Python: a blank written province does not count.
    province = (
        pl.when(listed).then("_province_matched")
        .when(written.is_not_null() & (written != "")).then(written)
        .otherwise("_province_matched")
    )
    firms = firms.with_columns(province.alias("province"))

    carried = records.select("firm_id", "name", "name_key").unique(
        ["firm_id", "name_key"], keep="first", maintain_order=True)
    former_names = _united(records, "former_names", "former")
    written_tracks = _united(records, "tracks", "track_written")
    del records

    firm_tracks = _match_tracks(written_tracks, tracks)
    primary = (
        firm_tracks.filter(pl.col("tech").is_not_null() & (pl.col("tech") != ""))
        .group_by("firm_id").agg(pl.col("track").first().alias("primary_track"), pl.col("tech").first())
    )
    firms = (
        firms.join(primary, on="firm_id", how="left", maintain_order="left")
        .with_columns(pl.col("tech").fill_null(pl.lit(UNCLASSIFIED)))
        .join(_lists(former_names, "former", "former_names"), on="firm_id", how="left",
              maintain_order="left")
        .join(_lists(carried, "name", "names"), on="firm_id", how="left", maintain_order="left")
        .with_columns(pl.col("former_names").fill_null(pl.lit([], dtype=pl.List(pl.Utf8))))
        .select(pl.col(c).cast(t) for c, t in FIRMS_SCHEMA.items())
    )
    usccs = firms.filter(pl.col("uscc").is_not_null())
    return FirmsResult(
        firms, firm_tracks, usccs.select("uscc", "firm_id"),
        carried.select("name_key", "firm_id"), former_names.select("_key", "firm_id"))


def _place(cities: CityMatcher, written: str | None) -> tuple:
    place = cities.match(written)
    return place.city, place.province, place.region


def _united(records: pl.DataFrame, column: str, item: str) -> pl.DataFrame:
    """(firm_id, item, _key) rows: the items of each firm's list cells, in file order, without repeats
    by normalised name (the first spelling stays), firms in firm_id order."""
    cells = records.filter(pl.col(column).is_not_null()).select("firm_id", column)
    items, _ = split_distinct(cells, column, split_lists, item)
    # Few distinct items (track names above all): each is normalised once, and its key numbered so
    # that the repeats are found on two integers rather than on text.
    distinct = items[item].unique(maintain_order=True)
    keys = pl.DataFrame({item: distinct, "_key": normalize_names(distinct)}).with_columns(
        pl.col("_key").rank("dense").alias("_key_no"))
    items = items.join(keys, on=item, how="left", maintain_order="left")
    # The firm and the key's number packed below 2**62 for any file this reads (firms and keys are each
    # fewer than the rows).
    return items.filter(first_of_pairs("firm_id", "_key_no", keys.height + 1)).select("firm_id", item, "_key")


def _match_tracks(written: pl.DataFrame, tracks: TrackMatcher) -> pl.DataFrame:
    names = sorted(written["track_written"].unique().to_list())
    matches = tracks.match_all(names)
    lookup = pl.DataFrame(
        {
            "track_written": names,
            "track": [matches[n].track for n in names],
            "tech": [matches[n].tech for n in names],
            "match_method": [matches[n].method for n in names],
            "match_score": [matches[n].score for n in names],
        },
        schema={c: TRACKS_SCHEMA[c] for c in ("track_written", "track", "tech", "match_method",
                                              "match_score")},
    )
    return (
        written.join(lookup, on="track_written", how="left", maintain_order="left")
        .with_columns(position_in_runs("firm_id").alias("position"))
        .select(pl.col(c).cast(t) for c, t in TRACKS_SCHEMA.items())
    )


def _lists(pairs: pl.DataFrame, column: str, alias: str) -> pl.DataFrame:
    """One list per firm of `column`, in row order."""
    return pairs.group_by("firm_id", maintain_order=True).agg(pl.col(column).alias(alias))


FIRMS_SCHEMA: dict[str, DType] = {
    "firm_id": pl.Int64, "name": pl.Utf8, "uscc": pl.Utf8, "city": pl.Utf8, "province": pl.Utf8,
    "region": pl.Utf8, "rd_staff": pl.Int64, "tech": pl.Utf8, "primary_track": pl.Utf8,
    "has_patent_transfer": pl.Boolean, "founded": pl.Date, "founded_year": pl.Int64,
    "former_names": pl.List(pl.Utf8), "names": pl.List(pl.Utf8), "source_firm_id": pl.Utf8,
    "city_written": pl.Utf8, "records": pl.Int64, "source_row": pl.Int64,
}
TRACKS_SCHEMA = {
    "firm_id": pl.Int64, "position": pl.Int64, "track_written": pl.Utf8, "track": pl.Utf8,
    "tech": pl.Utf8, "match_method": pl.Utf8, "match_score": pl.Float64,
}
