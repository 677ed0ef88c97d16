"""Firm records → merged firms, their tracks, and the linker's indexes (contract §2, firm identity)."""

from __future__ import annotations

import functools
from dataclasses import dataclass

import polars as pl

from ..geo import CityMatcher
from ..refdata import REGION_OTHER, REGION_UNKNOWN, UNCLASSIFIED
from ..rules.names import normalize_name, split_list, unique_in_order
from ..rules.uscc import parse_uscc
from ..rules.values import parse_bool, parse_count, parse_date
from ..taxonomy import TrackMatcher
from .columns import column_or_null, map_distinct
from .ledger import Ledger
from .reader import ROW, RawTable

FIRM_FIELDS = ("firm_id", "uscc", "province", "rd_staff", "has_patent_transfer", "founded")


@dataclass
class FirmsResult:
    firms: pl.DataFrame
    tracks: pl.DataFrame
    usccs: dict[str, int]
    names: dict[str, set[int]]
    former: dict[str, set[int]]


def build_firms(
    table: RawTable, ledger: Ledger, cities: CityMatcher, tracks: TrackMatcher, max_year: int
) -> FirmsResult:
    account = ledger.open(table)
    frame = table.frame.with_columns(
        column_or_null(table.frame, c) for c in
        ("firm_id", "uscc", "former_names", "province", "tracks", "rd_staff", "has_patent_transfer",
         "founded")
    )
    missing = frame.filter(pl.col("name").is_null())
    ledger.quarantine(table, missing.with_columns(_reason=pl.lit("missing name")))
    frame = frame.filter(pl.col("name").is_not_null())

    frame = map_distinct(frame, "uscc", parse_uscc, {"uscc_ok": pl.Utf8, "uscc_error": pl.Utf8})
    frame = map_distinct(frame, "rd_staff", parse_count, {"rd_value": pl.Int64, "rd_error": pl.Utf8})
    frame = map_distinct(frame, "has_patent_transfer", parse_bool,
                         {"transfer_value": pl.Boolean, "transfer_error": pl.Utf8})
    frame = map_distinct(frame, "founded", lambda v: parse_date(v, max_year=max_year),
                         {"founded_date": pl.Date, "founded_year": pl.Int64, "founded_error": pl.Utf8})
    for column, error in (("uscc", "uscc_error"), ("rd_staff", "rd_error"),
                          ("has_patent_transfer", "transfer_error"), ("founded", "founded_error")):
        ledger.cell_issues(table, column, frame.filter(pl.col(error).is_not_null()), error)
    groups = _group_records(frame.sort(ROW))
    account.kept = len(groups)
    account.merged_duplicates = frame.height - len(groups)
    return _assemble(groups, cities, tracks)


def _group_records(frame: pl.DataFrame) -> dict[tuple[str, str], list[dict]]:
    """Records by firm: a valid USCC; else the one USCC firm of the same name; else the name."""
    records = map_distinct(frame, "name", lambda v: (normalize_name(v),), {"name_key": pl.Utf8}).to_dicts()
    usccs_by_name: dict[str, set[str]] = {}
    for rec in records:
        if rec["uscc_ok"]:
            usccs_by_name.setdefault(rec["name_key"], set()).add(rec["uscc_ok"])
    groups: dict[tuple[str, str], list[dict]] = {}
    for rec in records:
        if rec["uscc_ok"]:
            key = ("uscc", rec["uscc_ok"])
        else:
            owners = usccs_by_name.get(rec["name_key"], ())
            key = ("uscc", next(iter(owners))) if len(owners) == 1 else ("name", rec["name_key"])
        groups.setdefault(key, []).append(rec)
    return groups


def _first(records: list[dict], field: str):
    for rec in records:
        if rec[field] is not None:
            return rec[field]
    return None


def _founded(records: list[dict]) -> dict:
    """Date and year from the same record: the first with a usable founded."""
    for rec in records:
        if rec["founded_year"] is not None:
            return {"founded": rec["founded_date"], "founded_year": rec["founded_year"]}
    return {"founded": None, "founded_year": None}


def _assemble(groups, cities: CityMatcher, tracks: TrackMatcher) -> FirmsResult:
    rows: list[dict] = []
    # (firm_id, name) pairs, aggregated to list columns by polars: building list columns from Python
    # lists is slow at 80k firms and more.
    carried_pairs: list[tuple[int, str]] = []
    former_pairs: list[tuple[int, str]] = []
    usccs: dict[str, int] = {}
    names: dict[str, set[int]] = {}
    former: dict[str, set[int]] = {}
    written_tracks: dict[int, list[str]] = {}
    key = functools.lru_cache(maxsize=1 << 20)(normalize_name)
    for firm_id, ((kind, code), records) in enumerate(groups.items(), start=1):
        carried = unique_in_order((r["name"] for r in records), key)
        former_names = unique_in_order((n for r in records for n in split_list(r["former_names"])), key)
        written_tracks[firm_id] = unique_in_order(
            (t for r in records for t in split_list(r["tracks"])), key)
        city_written = _first(records, "city")
        place = cities.match(city_written)
        input_province = _first(records, "province")
        listed = place.region not in (REGION_OTHER, REGION_UNKNOWN)
        rows.append({
            "firm_id": firm_id,
            "name": records[0]["name"],
            "uscc": code if kind == "uscc" else None,
            "city": place.city,
            "province": place.province if listed else (input_province or place.province),
            "region": place.region,
            "rd_staff": _first(records, "rd_value"),
            "has_patent_transfer": _first(records, "transfer_value"),
            **_founded(records),
            "source_firm_id": _first(records, "firm_id"),
            "city_written": city_written,
            "records": len(records),
            "source_row": records[0][ROW],
        })
        if kind == "uscc":
            usccs[code] = firm_id
        for name in carried:
            carried_pairs.append((firm_id, name))
            names.setdefault(key(name), set()).add(firm_id)
        for name in former_names:
            former_pairs.append((firm_id, name))
            former.setdefault(key(name), set()).add(firm_id)

    matches = tracks.match_all(sorted({t for ts in written_tracks.values() for t in ts}))
    track_rows: list[tuple] = []
    primary: dict[int, tuple[str | None, str]] = {}
    for firm_id, written in written_tracks.items():
        for position, name in enumerate(written, start=1):
            m = matches[name]
            track_rows.append((firm_id, position, name, m.track, m.tech, m.method, m.score))
            if m.tech and firm_id not in primary:
                primary[firm_id] = (m.track, m.tech)
    for row in rows:
        row["primary_track"], row["tech"] = primary.get(row["firm_id"], (None, UNCLASSIFIED))

    scalars = {c: t for c, t in FIRMS_SCHEMA.items() if c not in ("former_names", "names")}
    firms = (
        pl.DataFrame(rows, schema=scalars)
        .join(_lists(former_pairs, "former_names"), on="firm_id", how="left", maintain_order="left")
        .join(_lists(carried_pairs, "names"), on="firm_id", how="left", maintain_order="left")
        .with_columns(pl.col("former_names").fill_null(pl.lit([], dtype=pl.List(pl.Utf8))))
        .select(list(FIRMS_SCHEMA))
    )
    firm_tracks = pl.DataFrame(track_rows, schema=TRACKS_SCHEMA, orient="row")
    return FirmsResult(firms, firm_tracks, usccs, names, former)


def _lists(pairs: list[tuple[int, str]], column: str) -> pl.DataFrame:
    """(firm_id, value) pairs as one list per firm, in pair order."""
    flat = pl.DataFrame(pairs, schema={"firm_id": pl.Int64, column: pl.Utf8}, orient="row")
    return flat.group_by("firm_id", maintain_order=True).agg(pl.col(column))


FIRMS_SCHEMA = {
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
