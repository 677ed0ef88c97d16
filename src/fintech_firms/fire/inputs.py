"""What the index reads besides the engine's tables: the indicator tree, the indexed cities, the
universities and the city statistics, from the data folder when `firms ingest` stored them there,
else the packaged defaults (see reference/indicators.py)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import polars as pl

from ..errors import InputError
from ..reference.geo import CityMatcher
from ..reference.indicators import (
    CITY_STATS,
    CITY_STATS_SCHEMA,
    INDEX_CITIES,
    INDEX_TREE,
    INDEX_UNIVERSITIES,
    Tree,
    check_tree,
    index_cities,
    load_tree,
    load_universities,
    university_keys,
)
from ..reference.tables import load


@dataclass(frozen=True)
class IndexInputs:
    tree: Tree
    cities: pl.DataFrame  # city, province, region
    universities: pl.DataFrame  # name_key, university, city
    city_stats: pl.DataFrame | None  # city, year, indicator, value; None when the folder has none


def read_inputs(data_dir: Path) -> IndexInputs:
    stored = {name: data_dir / f"{name}.parquet" for name in (CITY_STATS, INDEX_TREE, INDEX_UNIVERSITIES,
                                                                INDEX_CITIES)}
    if stored[INDEX_TREE].is_file():
        tree = check_tree(_read(stored[INDEX_TREE]).with_columns(pl.col("weight").cast(pl.Utf8)),
                          str(stored[INDEX_TREE]))
    else:
        tree = load_tree(None)
    if stored[INDEX_CITIES].is_file():
        cities = _read(stored[INDEX_CITIES])
    else:
        regions = load("regions", None).frame
        cities = index_cities(regions, _city_of(regions))
    if stored[INDEX_UNIVERSITIES].is_file():
        universities = _read(stored[INDEX_UNIVERSITIES])
    else:
        regions = load("regions", None).frame
        universities = university_keys(load_universities(None), _city_of(regions))
    city_stats = _read(stored[CITY_STATS]).cast(CITY_STATS_SCHEMA) if stored[CITY_STATS].is_file() else None
    return IndexInputs(tree, cities, universities, city_stats)


def _city_of(regions: pl.DataFrame):
    matcher = CityMatcher(regions)
    return lambda written: matcher.match(written).city


def _read(path: Path) -> pl.DataFrame:
    try:
        return pl.read_parquet(path)
    except (OSError, pl.exceptions.PolarsError) as exc:
        raise InputError(f"cannot read {path}: {exc}") from None
