"""The FIRE index's inputs: the indicator tree's rules, city_stats at ingest (optional, validated,
quarantined), missing city statistics (an error listing them, or --partial), and the CLI's exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest
from index_data import city_stats_lines, write, write_raw
from typer.testing import CliRunner

from fintech_firms.cli import app
from fintech_firms.errors import InputError
from fintech_firms.fire.compute import compute
from fintech_firms.ingest.pipeline import IngestOptions, ingest
from fintech_firms.reference.indicators import check_tree, load_tree

runner = CliRunner()
DEFAULT = (Path(__file__).parents[1] / "src" / "fintech_firms" / "reference" / "indicators.csv").read_text(
    encoding="utf-8")


def _tree(text: str) -> pl.DataFrame:
    lines = [line.split(",") for line in text.strip().splitlines()]
    return pl.DataFrame([dict(zip(lines[0], row)) for row in lines[1:]])


def test_default_tree_is_the_reports() -> None:
    tree = load_tree(None)
    assert [len(tree.codes(level)) for level in ("total", "first", "secondary", "tertiary")] == [1, 4, 9, 19]
    assert len(tree.codes("tertiary", "firms")) == 11
    weights = dict(zip(tree.frame["code"], tree.frame["weight"]))
    assert [weights[c] for c in ("factors", "intelligence", "resources", "enterprises")] == [0.15, 0.25, 0.25, 0.35]


@pytest.mark.parametrize("edit, message", [
    (("factors,fire,first,要素基础,Factors,0.15,", "factors,fire,first,要素基础,Factors,0.2,"),
     "the weights under 'fire' sum to 1.05, not 1"),
    (("gdp,economy,tertiary", "gdp,nowhere,tertiary"), "unknown parent code 'nowhere'"),
    (("fire,,total", "fire,enterprises,total"), "the tree has a cycle"),
    (("fintech_firms,firm_quantity,tertiary", "fintech_startups,firm_quantity,tertiary"),
     "unknown firm-derived indicator code 'fintech_startups'"),
    (("web_attention,network,tertiary,网络关注度,Web attention,1,city",
      "web_attention,network,tertiary,网络关注度,Web attention,-1,city"), "negative weight"),
    (("gdp,economy,tertiary", "gdp,factors,tertiary"), "a tertiary indicator's parent must be a secondary one"),
])
def test_bad_trees_are_clear_errors(edit: tuple[str, str], message: str) -> None:
    text = DEFAULT.replace(*edit)
    assert text != DEFAULT
    with pytest.raises(InputError, match=message):
        check_tree(_tree(text), "indicators.csv")


def test_city_stats_at_ingest(tmp_path: Path) -> None:
    """Chinese headers, GB18030, names for codes, 市 suffixes; bad rows quarantined with their reason;
    a repeated equal value merged; conflicting ones both set aside."""
    raw = write_raw(tmp_path / "raw", city_stats=False)
    rows = [line.replace("city,year,indicator,value", "城市,年份,指标,数值") for line in city_stats_lines()]
    rows[1] = rows[1].replace("北京,2020,gdp", "北京市,2020年,经济规模")  # 市, 年 and the Chinese name
    rows += [
        "北京,2020,gdp,100",            # the same value again: a merged duplicate
        "深圳,2021,gdp,1",              # not an indexed city here
        "北京,20x1,gdp,1",              # not a year
        "北京,2021,no_such,1",          # unknown indicator
        "北京,2021,fintech_firms,1",    # computed from the firms, not supplied
        "北京,2021,gdp,lots",           # not a number
        "北京,2021,gdp,-5",             # negative
        "天津,2019,gdp,1",
        "天津,2019,gdp,2",              # conflicting duplicates: both aside
    ]
    (raw / "city_stats.csv").write_bytes(("\n".join(rows) + "\n").encode("gb18030"))
    out = tmp_path / "parquet"
    report = ingest(raw, out, IngestOptions(max_year=2021))
    account = report["files"]["city_stats.csv"]
    assert account["encoding"] == "gb18030"
    assert (account["rows_read"], account["kept"], account["merged_duplicates"], account["quarantined"]) == (
        48 + 9, 48, 1, 8)
    assert account["quarantined_by_reason"] == {
        "city not in the regions table": 1, "conflicting duplicate": 2, "indicator computed from the firms": 1,
        "negative value": 1, "not a number": 1, "not a year": 1, "unknown indicator": 1}
    stats = pl.read_parquet(out / "city_stats.parquet")
    assert stats.filter((pl.col("city") == "北京") & (pl.col("year") == 2020) & (pl.col("indicator") == "gdp"))[
        "value"].to_list() == [100.0]
    quarantine = pl.read_parquet(out / "quarantine.parquet").filter(pl.col("source") == "city_stats.csv")
    assert quarantine.height == 8


def test_without_index_files_ingest_writes_what_it_did(tmp_path: Path) -> None:
    raw = write_raw(tmp_path / "raw", city_stats=False)
    (raw / "regions.csv").unlink()
    out = tmp_path / "parquet"
    report = ingest(raw, out, IngestOptions(max_year=2021))
    assert sorted(p.name for p in out.iterdir()) == sorted([
        *(f"{t}.parquet" for t in ("firms", "firm_tracks", "patents", "patent_applicants", "financing", "hightech",
                                   "quarantine", "cell_issues", "fct_firm_patent_years", "fct_shared_patents")),
        "ingest_report.json"])
    assert "city_stats.csv" not in report["files"]
    assert not any((out / f"{t}.parquet").exists() for t in ("city_stats", "index_indicators", "index_cities",
                                                             "index_universities"))
    assert set(json.loads((out / "ingest_report.json").read_text(encoding="utf-8"))["tables"]) == {
        "firms", "firm_tracks", "patents", "patent_applicants", "financing", "hightech", "quarantine", "cell_issues"}


def test_missing_city_statistics(tmp_path: Path) -> None:
    raw = write_raw(tmp_path / "raw")
    lines = [line for line in city_stats_lines() if not line.startswith(("天津,2021,incubators", "上海,2020,gdp"))]
    write(raw / "city_stats.csv", "\n".join(lines))
    out = tmp_path / "parquet"
    ingest(raw, out, IngestOptions(max_year=2021))
    with pytest.raises(InputError, match=r"lacks 2 values .*: 上海 2020 gdp; 天津 2021 incubators; or use --partial"):
        compute(out, year=2021)
    with pytest.warns(UserWarning, match="--partial"):
        from fintech_firms import index

        frame = index(out, year=2021, level="all", partial=True)
    blank = set(frame.filter(pl.col("score").is_null())["indicator"])
    # The incomplete indicators and everything above them; complete siblings keep their scores.
    assert blank == {"fire", "factors", "economy", "gdp", "resources", "policy", "incubators"}
    assert frame.filter(pl.col("indicator") == "enterprises")["score"].null_count() == 0
    result = runner.invoke(app, ["index", "--data", str(out), "--year", "2021"])
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert "上海 2020 gdp" in result.output


def test_no_city_statistics_at_all(tmp_path: Path) -> None:
    raw = write_raw(tmp_path / "raw", city_stats=False)
    out = tmp_path / "parquet"
    ingest(raw, out, IngestOptions(max_year=2021))
    with pytest.raises(InputError, match="no city statistics"):
        compute(out)
    result = runner.invoke(app, ["index", "--data", str(out), "--partial", "--level", "first", "-f", "csv"])
    assert result.exit_code == 0, result.output
    assert "--partial: " in result.output  # the note (stderr, mixed in by the runner)


def test_a_bad_replaced_tree_stops_ingest_with_exit_2(tmp_path: Path) -> None:
    raw = write_raw(tmp_path / "raw")
    write(raw / "indicators.csv", DEFAULT.replace("enterprises,fire,first,企业实力,Enterprises,0.35,",
                                                  "enterprises,fire,first,企业实力,Enterprises,0.3,"))
    result = runner.invoke(app, ["ingest", str(raw), "--out", str(tmp_path / "parquet"), "-q"])
    assert result.exit_code == 2
    assert "the weights under 'fire' sum to 0.95, not 1" in result.output
    assert "Traceback" not in result.output


def test_replaced_weights_change_the_result_as_the_arithmetic_says(tmp_path: Path) -> None:
    raw = write_raw(tmp_path / "raw")
    out = tmp_path / "parquet"
    ingest(raw, out, IngestOptions(max_year=2021))
    before = compute(out, year=2021).frame
    write(raw / "indicators.csv", DEFAULT.replace("factors,fire,first,要素基础,Factors,0.15,",
                                                  "factors,fire,first,要素基础,Factors,0.35,")
          .replace("enterprises,fire,first,企业实力,Enterprises,0.35,", "enterprises,fire,first,企业实力,Enterprises,0.15,"))
    ingest(raw, out, IngestOptions(max_year=2021))
    after = compute(out, year=2021).frame

    def score(frame: pl.DataFrame, entity: str, code: str) -> float:
        return frame.filter((pl.col("entity") == entity) & (pl.col("indicator") == code))["score"].item()

    for city in ("北京", "天津", "上海"):
        parts = {c: score(before, city, c) for c in ("factors", "intelligence", "resources", "enterprises")}
        assert {c: score(after, city, c) for c in parts} == parts  # below the first level nothing changes
        expected = 0.35 * parts["factors"] + 0.25 * parts["intelligence"] + 0.25 * parts["resources"] \
            + 0.15 * parts["enterprises"]
        assert score(after, city, "fire") == pytest.approx(expected, rel=1e-12)
        assert score(after, city, "fire") != pytest.approx(score(before, city, "fire"), rel=1e-6)


@pytest.mark.parametrize("args, message", [
    (["--by", "town"], "unknown --by 'town'; valid: city, region"),
    (["--level", "fourth"], "unknown --level 'fourth'; valid: total, first, secondary, tertiary, all"),
    (["--scaling", "sqrt"], "unknown scaling 'sqrt'; valid: log, linear"),
    (["--window", "0"], "--window must be at least 1 year (got 0)"),
    (["--year", "2020", "--base-year", "2021"], "--base-year 2021 is after --year 2020"),
    (["--indicator", "nope"], "unknown indicator code 'nope'"),
    (["-f", "xlsx"], "--format xlsx writes a binary file: give --out FILE"),
])
def test_bad_options_are_one_line_and_exit_2(tmp_path: Path, args: list[str], message: str) -> None:
    raw = write_raw(tmp_path / "raw")
    ingest(raw, tmp_path / "parquet", IngestOptions(max_year=2021))
    result = runner.invoke(app, ["index", "--data", str(tmp_path / "parquet"), *args])
    assert result.exit_code == 2, result.output
    assert message in result.output and "Traceback" not in result.output
