"""The FIRE index's inputs at ingest: city_stats.csv (optional) and the index's reference tables.

city_stats.csv holds the city statistics of the index's `city` indicators in long form, one value a
row: `city`, `year`, `indicator` (a code of indicators.csv, or its Chinese or English name), `value`.
It is read like the other raw files (encodings, .xlsx, Chinese headers, blank rows) and a row that
cannot be used goes to quarantine with its reason. When the raw folder holds city_stats.csv,
indicators.csv or universities.csv, ingest stores city_stats.parquet and the reference tables the
index reads (index_indicators, index_universities, index_cities); a raw folder without any of them
ingests exactly as before.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import polars as pl

from ..reference.geo import CityMatcher
from ..reference.indicators import (
    CITY_STATS,
    CITY_STATS_SCHEMA,
    INDEX_CITIES,
    INDEX_TREE,
    INDEX_UNIVERSITIES,
    index_cities,
    load_tree,
    load_universities,
    university_keys,
)
from ..tabular.reader import ROW, RawTable, find_file, read_table
from .ledger import Ledger

COLUMNS = ("city", "year", "indicator", "value")
HEADERS = {
    "城市": "city", "城市名称": "city",
    "年份": "year", "年度": "year", "年": "year",
    "指标": "indicator", "指标代码": "indicator", "指标名称": "indicator", "code": "indicator",
    "数值": "value", "值": "value", "取值": "value",
}  # fmt: skip
NO_CITY, NOT_INDEXED = "no city", "city not in the regions table"
BAD_YEAR, UNKNOWN_INDICATOR, FIRM_INDICATOR = "not a year", "unknown indicator", "indicator computed from the firms"
BAD_VALUE, NEGATIVE = "not a number", "negative value"
CONFLICT = "conflicting duplicate"
_YEAR = re.compile(r"((?:19|20)[0-9]{2})(?:\.0+)?年?")
_NUMBER = re.compile(r"[+-]?(?:[0-9]+|[0-9]{1,3}(?:,[0-9]{3})+)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?")


def index_inputs(raw_dir: Path, ledger: Ledger, regions: pl.DataFrame) -> dict[str, pl.DataFrame]:
    """The tables to store for the index; none when the raw folder holds none of its files."""
    stats_path = find_file(raw_dir, CITY_STATS)
    if stats_path is None and find_file(raw_dir, "indicators") is None and find_file(raw_dir, "universities") is None:
        return {}
    tree = load_tree(raw_dir)
    matcher = CityMatcher(regions)
    cities = index_cities(regions, lambda c: matcher.match(c).city)
    tables = {
        INDEX_TREE: tree.frame,
        INDEX_CITIES: cities,
        INDEX_UNIVERSITIES: university_keys(load_universities(raw_dir), lambda c: matcher.match(c).city),
    }
    if stats_path is not None:
        table = read_table(stats_path, _header, set(COLUMNS))
        tables[CITY_STATS] = build_city_stats(table, ledger, tree.frame, matcher, set(cities["city"]))
    return tables


def _header(header: str) -> str:
    cleaned = unicodedata.normalize("NFKC", header).strip().lstrip("\ufeff").strip()
    return HEADERS.get(cleaned, cleaned.lower().replace(" ", "_"))


def build_city_stats(table: RawTable, ledger: Ledger, tree: pl.DataFrame, matcher: CityMatcher,
                     indexed: set[str]) -> pl.DataFrame:
    from ..errors import InputError

    for column in COLUMNS:
        if column not in table.columns:
            raise InputError(f"{table.source}: missing required column '{column}'; found: {', '.join(table.headers)}")
    account = ledger.open(table)
    codes = _indicator_names(tree)
    rows = []
    for row_no, city, year, indicator, value in table.frame.select(ROW, *COLUMNS).iter_rows():
        place = matcher.match(city)
        code = codes.get(_key(indicator))
        parsed_year = _year(year)
        number = _number(value)
        reason = None
        if place.city is None:
            reason = NO_CITY
        elif place.city not in indexed:
            reason = NOT_INDEXED
        elif parsed_year is None:
            reason = BAD_YEAR
        elif code is None:
            reason = UNKNOWN_INDICATOR
        elif code[1] != "city":
            reason = FIRM_INDICATOR
        elif number is None:
            reason = BAD_VALUE
        elif number < 0:
            reason = NEGATIVE
        rows.append((row_no, place.city, parsed_year, code[0] if code else None, number, reason))
    frame = pl.DataFrame(rows, schema={ROW: pl.Int64, "city": pl.Utf8, "year": pl.Int64, "indicator": pl.Utf8,
                                       "value": pl.Float64, "_reason": pl.Utf8}, orient="row")
    good = frame.filter(pl.col("_reason").is_null())
    # The same (city, year, indicator) twice: one value if they agree, else both rows are set aside.
    values = good.group_by("city", "year", "indicator").agg(pl.col("value").n_unique().alias("_values"))
    conflicting = good.join(values.filter(pl.col("_values") > 1), on=["city", "year", "indicator"], how="semi")
    good = good.join(conflicting, on=ROW, how="anti")
    bad = pl.concat([frame.filter(pl.col("_reason").is_not_null()),
                     conflicting.with_columns(pl.lit(CONFLICT).alias("_reason"))])
    ledger.quarantine(table, table.frame.join(bad.select(ROW, "_reason"), on=ROW, how="inner").sort(ROW))
    kept = good.unique(["city", "year", "indicator"], keep="first", maintain_order=True)
    account.kept = kept.height
    account.merged_duplicates = good.height - kept.height
    return kept.select(COLUMNS).cast(CITY_STATS_SCHEMA).sort("city", "year", "indicator")


def _key(text: str | None) -> str:
    return "".join(unicodedata.normalize("NFKC", text or "").split()).lower()


def _indicator_names(tree: pl.DataFrame) -> dict[str, tuple[str, str]]:
    """Code, Chinese name or English name (any case and width) -> (code, source)."""
    out: dict[str, tuple[str, str]] = {}
    tertiary = tree.filter(pl.col("level") == "tertiary")
    for column in ("name_en", "name_zh", "code"):  # the code wins over a name that equals another's code
        for name, code, source in tertiary.select(pl.col(column).alias("_name"), "code", "source").iter_rows():
            if name:
                out[_key(name)] = (code, source)
    return out


def _year(text: str | None) -> int | None:
    match = _YEAR.fullmatch(_key(text))
    return int(match[1]) if match else None


def _number(text: str | None) -> float | None:
    cleaned = _key(text)
    if not _NUMBER.fullmatch(cleaned):
        return None
    return float(cleaned.replace(",", ""))
