"""The flagship test: the demo data at scale 1, ingested and turned into the chapter-4 tables, shows every
figure of the report's chapter 4 (tests/fixtures/report-2022-ch4-figures.csv, see tests/report_figures.py).

The records come from `fintech_firms.demo.generate` with its default seed; the engine runs with its
defaults (snapshot year = the latest application year, 2021; primary tech mode; min_patents 1), as a
user's `firms demo` does. Nothing here knows the plan: the figures are checked on the engine's output.
"""

from __future__ import annotations

import json

import polars as pl
import pytest
from report_figures import check, figures, from_tables

from fintech_firms import chapter_tables
from fintech_firms.demo.generate import generate
from fintech_firms.ingest.pipeline import IngestOptions, ingest
from fintech_firms.ingest.progress import Quiet

FIGURES = figures()


@pytest.fixture(scope="session")
def demo(tmp_path_factory):
    base = tmp_path_factory.mktemp("demo")
    summary = generate(base / "raw")
    ingest(base / "raw", base / "parquet", IngestOptions(), Quiet())
    return base, summary


@pytest.fixture(scope="session")
def answers(demo):
    base, _ = demo
    tables = chapter_tables(base / "parquet")
    assert tables["about"].frame.filter(pl.col("setting") == "as_of").item(0, "value") == "2021"
    return from_tables(tables)


@pytest.mark.parametrize("fig", FIGURES, ids=[f.id for f in FIGURES])
def test_report_figure(fig, answers):
    check(fig, answers)


def test_demo_has_the_size_and_mess_of_real_exports(demo):
    base, summary = demo
    report = json.loads((base / "parquet" / "ingest_report.json").read_text(encoding="utf-8"))
    files = report["files"]
    assert files["firms.csv"]["encoding"] == "gb18030"
    assert "hightech.xlsx" in files
    # About 80,000 firm records, of which exactly 42,186 firms hold a patent; about a million applications.
    assert 78_000 <= summary.firm_records <= 82_000
    assert summary.universe_firms == 42_186
    assert 950_000 <= summary.distinct_patents <= 1_050_000
    tables = report["tables"]
    assert tables["firms"] == summary.distinct_firms
    assert tables["patents"] == summary.distinct_patents
    links = report["links"]["patents"]  # per patent_applicants row
    assert links["fuzzy"] == summary.typo_applicants > 0
    assert links["former_name"] == summary.former_name_applicants > 0
    assert files["patents.csv"]["quarantined"] == summary.invalid_patent_rows > 0
    assert files["firms.csv"]["merged_duplicates"] == summary.duplicate_firm_records > 0


def test_the_demo_has_the_fire_index(demo):
    """The demo's city statistics cover the 59 cities and both years: the whole index computes, and the
    university applicants the generator writes count for their cities."""
    from fintech_firms import index

    base, summary = demo
    assert summary.city_stats_rows == 59 * 19 * 8  # 2003-2021
    frame = index(base / "parquet", level="all")
    cities = frame.filter(pl.col("level") == "total")
    assert cities.height == 59 and cities["score"].null_count() == 0 and cities["rank"].to_list()[0] == 1
    regions = index(base / "parquet", by="region")
    assert regions.height == 13 and regions["score"].null_count() == 0
    tertiary = frame.filter(pl.col("level") == "tertiary")
    assert tertiary.group_by("indicator").agg(pl.col("base_score").max())["base_score"].to_list() == [10.0] * 19
    universities = tertiary.filter(pl.col("indicator") == "university_patents")
    assert universities.filter(pl.col("entity") == "北京")["value"].item() > 0
