"""`firms report`: every chart's values are its `firms tables` frame (read back from the page), the index
charts, the linking section (its chart's data are the sweep `firms links eval --sweep --format csv`
prints), the page's parts, byte-identical output, the CLI. The golden folder's facts are listed in
tests/test_chapter_tables.py's docstring; the browser and PNG checks are in test_report_browser.py and
test_report_png.py.
"""

from __future__ import annotations

import re
from pathlib import Path

import polars as pl
import pytest
from report_data import (
    CITIES,
    FIRST,
    REGIONS,
    drawn_marks,
    embedded_specs,
    index_frames,
    ingest_golden,
    ingest_linked,
    values,
)
from typer.testing import CliRunner

from fintech_firms import chapter_tables
from fintech_firms.analytics.columns import TECH_LABELS
from fintech_firms.cli import app
from fintech_firms.errors import InputError
from fintech_firms.links.evaluate import summary_frame
from fintech_firms.output.formats import csv_bytes
from fintech_firms.report import build_report, evaluate_links, load_index, read_provenance, write_report
from fintech_firms.report.figures import PROFILE_FIGURES
from fintech_firms.report.linking import KEY as LINKING

runner = CliRunner()
TOP = 3  # cities shown: the golden folder has 6 named cities and one firm without a city


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> Path:
    return ingest_golden(tmp_path_factory.mktemp("report") / "parquet")


@pytest.fixture(scope="module")
def tables(data):
    return chapter_tables(data)


@pytest.fixture(scope="module")
def report(data, tables):
    return build_report(tables, index_frames(), read_provenance(data), top_cities=TOP)


@pytest.fixture(scope="module")
def linked(tmp_path_factory) -> tuple[Path, Path]:
    """test_links.py's folder and truth: precision 4/6 and recall 4/7 at the ingest's 90/3."""
    return ingest_linked(tmp_path_factory.mktemp("linked"))


@pytest.fixture(scope="module")
def specs(report):
    return embedded_specs(report.html)


def _rows(frame: pl.DataFrame, columns: list[str], keep: pl.Expr) -> list[dict]:
    return frame.filter(keep).select(columns).to_dicts()


def _labelled(rows: list[dict]) -> list[dict]:
    return [row | {"tech_label": TECH_LABELS[row["tech"]]} for row in rows]


def test_profile_charts_are_their_table_rows(tables, specs):
    expected_keys = []
    for dim, figures in PROFILE_FIGURES.items():
        frame = tables[f"by_{dim}"].frame
        for number, metric in figures:
            key = f"fig{number}_{metric}_by_{dim}"
            expected_keys.append(key)
            columns = [dim, metric, f"{metric}_rank"] + ([f"{metric}_share"] if f"{metric}_share" in frame.columns else [])
            rows = _rows(frame, columns, (pl.col(dim) != "ALL") & pl.col(metric).is_not_null())
            assert values(specs[key]) == (_labelled(rows) if dim == "tech" else rows), key
    assert set(expected_keys) <= set(specs)
    # By hand (the golden facts): firms by region, and the high-tech ratio of the classes.
    assert {(r["region"], r["firms"]) for r in values(specs["fig08a_firms_by_region"])} == {
        ("长三角", 2), ("粤港澳大湾区", 2), ("京津冀", 1), ("成渝", 1), ("其他", 1), ("未知", 1)}
    assert {(r["tech_label"], r["hightech_ratio"]) for r in values(specs["fig12b_hightech_ratio_by_tech"])} == {
        ("大数据", 0.0), ("区块链", 1.0), ("人工智能", 1.0), ("云计算", 0.0), ("物联网", 0.0), ("互联网", 0.0),
        ("未分类", 0.5)}


def test_city_chart_folds_the_cities_below_the_top_into_other(tables, specs):
    rows = values(specs["fig08c_firms_by_city"])
    # 深圳 2 firms, then the one-firm cities in region order (北京 京津冀, 上海 长三角); the other four firms
    # (杭州, 成都, 惠州 and the firm without a city) are 其他: 4 of 8 firms.
    assert [(r["city"], r["firms"]) for r in rows] == [("深圳", 2), ("北京", 1), ("上海", 1), ("其他", 4)]
    assert rows[-1]["firms_share"] == 0.5 and rows[-1]["region"] is None and rows[-1]["firms_rank"] is None
    frame = tables["by_city"].frame
    head = frame.head(TOP).select("region", "city", "firms", "firms_rank", "firms_share").to_dicts()
    assert rows[:TOP] == head
    assert rows[-1]["firms"] == frame.filter(pl.col("city").ne_missing("ALL")).get_column("firms").sum() - sum(
        r["firms"] for r in head)
    ratio = values(specs["fig08d_hightech_ratio_by_city"])
    assert [(r["city"], r["hightech_ratio"]) for r in ratio] == [("深圳", 0.5), ("北京", 1.0), ("上海", 0.0)]


def test_region_by_class_charts_are_their_table_rows(tables, specs):
    pairs = tables["region_tech"].frame
    for key, metric in (("fig16a_firms_region_by_tech", "firms"), ("fig17_patents_region_by_tech", "patents")):
        share = f"{metric}_share_of_tech"
        expected = _labelled(_rows(pairs, ["tech", "region", metric, share], pl.col(share).is_not_null()))
        assert sorted(values(specs[key]), key=_pair) == sorted(expected, key=_pair), key
    assert {(r["tech"], r["region"], r["patents_share_of_tech"]) for r in values(specs["fig17_patents_region_by_tech"])
            if r["tech"] == "unclassified"} == {("unclassified", "长三角", 2 / 3), ("unclassified", "未知", 1 / 3)}
    conc = tables["tech_concentration"].frame
    expected = _labelled(_rows(conc, ["tech", "regions", "firms_top", "firms_all", "firms_share"],
                               (pl.col("tech") != "ALL") & pl.col("firms_share").is_not_null()))
    assert values(specs["fig16b_firms_concentration_by_tech"]) == expected
    leaders = tables["tech_leaders"].frame
    expected = _labelled(_rows(leaders, ["tech", "leading_city", "city_value", "city_share_of_tech"],
                               (pl.col("metric") == "firms") & pl.col("city_share_of_tech").is_not_null()))
    assert values(specs["fig16c_leading_city_by_tech"]) == expected
    assert [r["leading_city"] for r in expected] == ["深圳", "深圳", "北京", "成都", "惠州", "上海", "杭州"]


def test_every_chart_draws_one_mark_per_row_and_has_its_table(report, specs):
    assert [f.key for f in report.figures] == list(dict.fromkeys(f.key for f in report.figures))  # unique names
    assert set(specs) == {f.key for f in report.figures}
    for figure in report.figures:
        assert figure.marks == len(values(specs[figure.key])) > 0, figure.key
        assert f'<figure id="{figure.key}" data-marks="{figure.marks}"' in report.html
        assert specs[figure.key]["title"] == figure.title


def test_index_charts_are_the_index_rows(specs):
    region = values(specs["fig01_index_by_region"])
    assert [(r["entity"], r["score"], r["growth"], r["rank"]) for r in region] == [
        ("长三角", 7.9, 0.02, 1), ("京津冀", 7.5, 0.03, 2), ("粤港澳大湾区", 7.289, 0.0678, 3)]
    assert [r["label"] for r in region] == ["7.900（+2.00%）", "7.500（+3.00%）", "7.289（+6.78%）"]
    city = values(specs["fig02_index_by_city"])  # the top 3 of 4 by rank
    assert [(r["entity"], r["region"], r["score"]) for r in city] == [
        ("北京", "京津冀", 9.958), ("上海", "长三角", 9.7), ("深圳", "粤港澳大湾区", 9.5)]
    first = values(specs["fig03_first_level_by_region"])
    assert len(first) == len(REGIONS) * 4
    assert [(r["entity"], r["first_level"]) for r in first[:4]] == [("长三角", name) for name in FIRST]
    assert [r["score"] for r in first[:4]] == [7.9, 7.9 + 0.1, 7.9 + 0.2, 7.9 + 0.30000000000000004]
    cities = values(specs["fig04_first_level_by_city"])
    assert {r["entity"] for r in cities} == {"北京", "上海", "深圳"} and len(cities) == 12
    assert len(CITIES) == 4  # 杭州, the fourth, is left out of the top 3


def test_index_left_out_with_a_note(data, tables):
    frames, note = load_index(None, data, None)
    assert frames is None and "没有 firms index" in note

    def failing(data_dir, **options):
        raise InputError("no city_stats table in the data folder")

    frames, note = load_index(failing, data, 2021)
    assert frames is None and note == "燃指数无法计算，故无指数图表：no city_stats table in the data folder"
    page = build_report(tables, None, None, index_note=note).html
    assert note in page and "fig01_index" not in page and "fig08a_firms_by_region" in page

    calls = []

    def recording(data_dir, **options):
        calls.append(options)
        return index_frames()[options["by"]]

    frames, note = load_index(recording, data, 2021)
    assert note is None and set(frames) == {"region", "city"}
    assert calls == [{"year": 2021, "level": "all", "by": "region", "min_patents": 1},
                     {"year": 2021, "level": "all", "by": "city", "min_patents": 1}]


def test_page_is_offline_chinese_and_carries_provenance(report):
    html = report.html
    assert html.startswith("<!DOCTYPE html>\n<html lang=\"zh-CN\">")
    # Offline: every script, style and font is inline (the browser test checks that no request leaves file://).
    assert not re.search(r"<script[^>]*\bsrc=", html) and "<link" not in html and "@import" not in html
    assert re.findall(r"url\((\w+):", html) == ["data"]
    assert html.count("<script") == 3  # the specs (JSON), Vega's bundle, the page's own script
    assert "@font-face{font-family:\"FIRE Sans SC\"" in html and "data:font/woff;base64," in html
    # Headline numbers (national row: 8 firms, 3 of 8 high-tech, 17 patents, 9 of 17 inventions).
    for text in ("<div class=\"label\">企业数</div><div class=\"value\">8</div>",
                 "<div class=\"label\">高新技术企业占比</div><div class=\"value\">37.5%</div>",
                 "<div class=\"label\">专利数</div><div class=\"value\">17</div>",
                 "<div class=\"label\">发明专利占比</div><div class=\"value\">52.9%</div>"):
        assert text in html, text
    # Universe line, once per chapter-4 chart; the index charts say where they come from instead.
    universe = "口径：截至 2022 年、至少有 1 件专利申请的金融科技企业；技术类别按企业首个已知赛道归类。"
    index = [f for f in report.figures if f.source.startswith("index:")]
    assert len(index) == 4 and html.count(universe) == len(report.figures) - len(index) + 1
    assert html.count("来源：firms index --by region --level all，2021 年，基期 2020 年") == 2
    assert html.count("来源：firms index --by city --level all，2021 年，基期 2020 年") == 2
    # Index growth in the tables as in the bar labels: signed, two decimals (0.0678 -> +6.78%).
    assert '<td class="num" data-v="0.0678">+6.78%</td>' in html and '<td class="num" data-v="-0.01">' not in html
    # No truth, no linking section.
    assert 'id="linking"' not in html and LINKING not in html
    # Provenance: the golden folder's ingest report (firms.csv: 11 rows read, 9 kept, 2 merged).
    assert "读取与隔离（ingest_report.json）" in html and "与企业的关联方式（行数）" in html
    assert "<td>firms.csv</td>" in html and "<td>patents.csv</td>" in html


def test_linking_chart_is_the_sweep_the_cli_prints(linked):
    data, truth = linked
    result = evaluate_links(data, truth)
    report = build_report(chapter_tables(data), None, read_provenance(data), linking=result)
    spec = embedded_specs(report.html)[LINKING]
    # The chart's data are the sweep frame, row for row: the very CSV `firms links eval --sweep` prints.
    assert values(spec) == summary_frame(result).to_dicts()
    printed = runner.invoke(app, ["links", "eval", str(truth), "--data", str(data), "--sweep", "--format", "csv"])
    header = printed.output.split("\n", 1)[0].split(",")  # the page's JSON has its keys sorted
    assert printed.exit_code == 0 and printed.output == csv_bytes(pl.DataFrame(values(spec)).select(header)).decode()
    assert len(values(spec)) == 21 * 11
    # It draws the ingest's margin (3): 21 thresholds x (precision, recall) points, a rule at threshold 90.
    assert spec["layer"][0]["transform"][0] == {"filter": "datum.margin === 3"}
    assert spec["layer"][2]["data"]["values"] == [{"threshold": 90.0}]
    figure = report.figures[-1]
    assert figure.key == LINKING and figure.marks == drawn_marks(LINKING, spec) == 42
    drawn = {r["threshold"]: (r["precision"], r["recall"]) for r in values(spec) if r["margin"] == 3}
    # By hand (test_links.py): 80 links the two near names too; 96 drops both fuzzy links.
    assert (drawn[80], drawn[90], drawn[96]) == ((6 / 8, 6 / 7), (4 / 6, 4 / 7), (1.0, 4 / 7))
    html = report.html
    for label, value in (("精确率", "66.67%"), ("召回率", "57.14%"), ("F1", "61.54%")):
        assert f'<div class="label">{label}</div><div class="value">{value}</div>' in html, label
    assert "结果：正确 4，关联到其他企业 1，不应关联而关联 1，漏关联 2，正确未关联 2。" in html
    assert "扫描中没有设置达到目标（精确率≥99.5%、召回率≥98%）。" in html
    assert "<summary>数据表（231 行）</summary>" in html and '<a href="#linking">' in html
    assert "<td>模糊匹配（fuzzy）</td><td class=\"num\" data-v=\"2\">2</td>" in html


def test_same_data_same_bytes(data, tmp_path):
    first, second = tmp_path / "a" / "report.html", tmp_path / "b" / "report.html"
    write_report(data, first, figures_dir=tmp_path / "a" / "fig", top_cities=TOP)
    write_report(data, second, figures_dir=tmp_path / "b" / "fig", top_cities=TOP)
    assert first.read_bytes() == second.read_bytes()
    names = sorted(p.name for p in (tmp_path / "a" / "fig").iterdir())
    assert names == sorted(p.name for p in (tmp_path / "b" / "fig").iterdir())
    for name in names:
        assert (tmp_path / "a" / "fig" / name).read_bytes() == (tmp_path / "b" / "fig" / name).read_bytes(), name


def test_same_truth_same_bytes(linked, tmp_path):
    data, truth = linked
    first, second = tmp_path / "a.html", tmp_path / "b.html"
    write_report(data, first, linking=evaluate_links(data, truth))
    write_report(data, second, linking=evaluate_links(data, truth))
    assert first.read_bytes() == second.read_bytes() and LINKING in first.read_text(encoding="utf-8")


def test_cli_truth_adds_the_linking_section(linked, tmp_path):
    data, truth = linked
    out = tmp_path / "r.html"
    result = runner.invoke(app, ["report", "--data", str(data), "--out", str(out), "--truth", str(truth)])
    assert result.exit_code == 0, result.output
    page = out.read_text(encoding="utf-8")
    assert 'id="linking"' in page and embedded_specs(page)[LINKING]["title"].startswith("附图 模糊匹配阈值")


def test_cli_writes_the_page_and_the_figures(data, tmp_path):
    out, figures = tmp_path / "r.html", tmp_path / "fig"
    result = runner.invoke(app, ["report", "--data", str(data), "--out", str(out), "--figures", str(figures),
                                 "--top-cities", "3"])
    assert result.exit_code == 0, result.output
    names = sorted(p.name for p in figures.iterdir())
    assert f"Wrote {out} and {len(names)} chart files in {figures}/" in result.output
    stems = sorted({n.rsplit(".", 1)[0] for n in names})
    assert names == sorted([f"{s}.png" for s in stems] + [f"{s}.svg" for s in stems])
    assert "fig08a_firms_by_region" in stems and "fig16a_firms_region_by_tech" in stems
    assert not any(s.startswith(("fig01", "fig02")) for s in stems)  # the golden folder has no city statistics
    assert "燃指数无法计算，故无指数图表：the data folder has no city statistics" in out.read_text(encoding="utf-8")
    svg = (figures / "fig08a_firms_by_region.svg").read_text(encoding="utf-8")
    assert svg.startswith("<svg") and "粤港澳大湾区" in svg and "FIRE Sans SC" in svg


@pytest.mark.parametrize("args, message", [
    (["--data", "{tmp}/missing"], "no data folder"),
    (["--out", "{tmp}"], "is a folder; --out takes the HTML file"),
    (["--figures", "{tmp}/file.txt"], "is a file; --figures takes a folder"),
    (["--truth", "{tmp}/missing.csv"], "missing.csv: no such file"),
    (["--truth", "{tmp}/file.txt"], "needs a 'name' column and a 'firm' column"),
])
def test_cli_bad_input_is_one_line_and_exit_2(data, tmp_path, args, message):
    (tmp_path / "file.txt").write_text("x")
    args = [a.replace("{tmp}", str(tmp_path)) for a in args]
    full = ["report", "--data", str(data), "--out", str(tmp_path / "r.html"), *args]
    result = runner.invoke(app, full)
    assert result.exit_code == 2 and message in result.output and "Traceback" not in result.output


def _pair(row: dict) -> tuple[str, str]:
    return row["tech"], row["region"]


def test_tables_the_caller_has_give_the_same_page(data, tmp_path):
    # firms demo builds the chapter-4 tables for tables/ and hands them to the report instead of a second build.
    built, given = tmp_path / "built.html", tmp_path / "given.html"
    write_report(data, built, top_cities=TOP)
    write_report(data, given, top_cities=TOP, tables=chapter_tables(data))
    assert built.read_bytes() == given.read_bytes()
