"""The FIRE index (SQL models idx_*) against an independent plain-polars recomputation from the contract's
tables (tests/reference_index.py), on a generated raw folder (tests/analytics_data.py, seed 3) plus
seeded city statistics for the 59 cities: every entity x indicator, score, base score, growth and ranks."""

from __future__ import annotations

import csv
import random
from pathlib import Path

import polars as pl
import pytest
from analytics_data import make_raw
from reference_index import _csv, index_frame

from fintech_firms.fire.compute import compute
from fintech_firms.ingest.pipeline import IngestOptions, ingest
from fintech_firms.ingest.progress import Quiet

CITY_CODES = [row["code"] for row in _csv("indicators.csv") if row["source"] == "city"]
YEARS = range(2018, 2023)


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> tuple[Path, dict]:
    base = tmp_path_factory.mktemp("index_crosscheck")
    raw = base / "raw"
    make_raw(raw, 3)
    rng = random.Random(3)
    # The generator writes no has_patent_transfer: add it, so that rd_staff_transfer is exercised too.
    with open(raw / "firms.csv", encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    rows = [rows[0] + ["has_patent_transfer"]] + [row + [rng.choice(["是", "否", ""])] for row in rows[1:]]
    with open(raw / "firms.csv", "w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows(rows)
    stats = {(row["city"], year, code): round(rng.uniform(0, 1000), 2)
             for row in _csv("regions.csv") for year in YEARS for code in CITY_CODES}
    lines = ["city,year,indicator,value"] + [f"{c},{y},{i},{v}" for (c, y, i), v in stats.items()]
    (raw / "city_stats.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = base / "parquet"
    ingest(raw, out, IngestOptions(), Quiet())
    return out, stats


@pytest.mark.parametrize("year, base_year, scaling, window", [
    (2021, 2020, "log", 3), (2022, 2019, "linear", 2), (2020, 2020, "log", 1)])
def test_sql_equals_plain_polars(folder, year: int, base_year: int, scaling: str, window: int) -> None:
    data, stats = folder
    ours = compute(data, year=year, base_year=base_year, scaling=scaling, window=window).frame
    theirs = index_frame(data, stats, year, base_year, scaling, window)
    keys = ["entity_kind", "entity", "indicator"]
    joined = ours.join(theirs, on=keys, how="full", suffix="_ref", coalesce=True)
    assert joined.height == ours.height == theirs.height == (59 + 13) * 33
    for column in ("score", "base_score", "growth"):
        a, b = joined[column], joined[f"{column}_ref"]
        if year == base_year and column == "growth":
            assert a.null_count() == a.len()
            continue
        assert (a.is_null() == b.is_null()).all(), column
        diff = (a - b).abs().fill_null(0)
        assert diff.max() <= 1e-9 * max(1.0, b.abs().max()), column
    assert joined["rank"].to_list() == joined["rank_ref"].to_list()
    assert joined["base_rank"].to_list() == joined["base_rank_ref"].to_list()
    # The generated folder exercises every firm-derived indicator somewhere.
    tertiary = ours.filter((pl.col("entity_kind") == "city") & (pl.col("level") == "tertiary"))
    assert tertiary.group_by("indicator").agg(pl.col("value").max())["value"].min() > 0
