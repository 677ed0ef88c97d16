"""The report in a real browser: headless Chromium opens it from file:// with the network blocked.

Checks: the charts finish drawing with no console error or exception; no request leaves file:// (or data:
URLs, the embedded font); every chart's SVG is there with a non-zero size; each draws one bar (or cell) per
row of its data (the linking chart: a point per precision and recall value drawn); the Chinese labels are
SVG text in the DOM. A full-page screenshot is saved in the test's
tmp folder. Skipped, with the reason printed, only where no Chromium can be found (.ci/run installs
Debian's `chromium`).
"""

from __future__ import annotations

import json

import pytest
from browser import Browser, find_chromium
from report_data import drawn_marks, embedded_specs, index_frames, ingest_golden, ingest_linked

from fintech_firms import chapter_tables
from fintech_firms.report import build_report, evaluate_links, read_provenance
from fintech_firms.report.linking import KEY as LINKING

CHROMIUM = find_chromium()
if CHROMIUM is None:
    print("test_report_browser: skipped: no chromium on PATH (apt-get install chromium)")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="no chromium on PATH (apt-get install chromium)")

# For every chart: its SVG's size, the bars, cells or points it draws (marks of the chart, not of its legend),
# its text.
PROBE = """JSON.stringify(Array.from(document.querySelectorAll("figure")).map(function (figure) {
  var svg = figure.querySelector(".chart svg");
  var box = svg ? svg.getBoundingClientRect() : {width: 0, height: 0};
  return {key: figure.id, width: box.width, height: box.height,
          marks: svg ? svg.querySelectorAll("g.mark-rect.role-mark > path, g.mark-symbol.role-mark > path").length
                     : -1,
          text: svg ? Array.from(svg.querySelectorAll("text")).map(function (t) { return t.textContent; }) : []};
}))"""


@pytest.fixture(scope="module")
def page_file(tmp_path_factory):
    folder = tmp_path_factory.mktemp("browser")
    data = ingest_golden(folder / "parquet")
    # The linking section from test_links.py's folder (the golden folder links every name exactly).
    linking = evaluate_links(*ingest_linked(folder / "linked"))
    report = build_report(chapter_tables(data), index_frames(), read_provenance(data), top_cities=3,
                          linking=linking)
    path = folder / "report.html"
    path.write_text(report.html, encoding="utf-8")
    return path, report


def test_report_opens_offline_and_draws_every_chart(page_file, tmp_path):
    path, report = page_file
    specs = embedded_specs(report.html)
    with Browser(CHROMIUM, tmp_path / "profile") as browser:
        page = browser.open(path.as_uri())
        state = page.wait_for("document.readyState === 'complete' && document.body.getAttribute('data-charts') "
                              "!== 'pending' && document.body.getAttribute('data-charts')")
        charts = json.loads(page.evaluate(PROBE))
        fonts_ok = page.evaluate("document.fonts.check('12px \"FIRE Sans SC\"', '粤港澳')")
        page.screenshot(tmp_path / "report.png")
        browser.pump(0.2)
        errors, requests = page.errors(), page.requests()
    assert state == "ready"
    assert errors == []
    assert requests and all(url.startswith(("file://", "data:")) for url in requests), [u[:80] for u in requests]
    assert fonts_ok
    assert [c["key"] for c in charts] == [f.key for f in report.figures]
    for chart, figure in zip(charts, report.figures):
        assert chart["width"] > 100 and chart["height"] > 50, chart["key"]
        assert chart["marks"] == figure.marks == drawn_marks(figure.key, specs[figure.key]), chart["key"]
        text = "".join(chart["text"])
        assert figure.title in chart["text"], chart["key"]
        assert any("\u4e00" <= c <= "\u9fff" for c in text.replace(figure.title, "")), chart["key"]
    by_key = {c["key"]: c["text"] for c in charts}
    assert {"长三角", "粤港澳大湾区", "京津冀", "成渝", "其他", "未知"} <= set(by_key["fig08a_firms_by_region"])
    assert {"大数据", "区块链", "人工智能", "未分类"} <= set(by_key["fig16a_firms_region_by_tech"])
    assert {"深圳", "北京", "上海", "其他"} <= set(by_key["fig08c_firms_by_city"])
    assert "7.289（+6.78%）" in by_key["fig01_index_by_region"]
    # The linking chart: 21 thresholds x 2 measures drawn, its axes and legend in Chinese, percent ticks.
    assert report.figures[-1].key == LINKING and charts[-1]["marks"] == 42
    assert {"精确率", "召回率", "模糊匹配阈值（--fuzzy-threshold）", "100.0%", "80", "100"} <= set(by_key[LINKING])
    screenshot = (tmp_path / "report.png").read_bytes()
    assert screenshot.startswith(b"\x89PNG") and len(screenshot) > 50_000


def test_the_harness_sees_errors_and_requests(tmp_path):
    """The checks above can fail: a page that logs an error, throws and asks the network is caught."""
    bad = tmp_path / "bad.html"
    bad.write_text('<!DOCTYPE html><html><body><img src="http://example.invalid/x.png"><script>'
                   'console.error("boom"); document.body.setAttribute("data-charts", "ready"); null.x;</script>'
                   '</body></html>', encoding="utf-8")
    with Browser(CHROMIUM, tmp_path / "profile") as browser:
        page = browser.open(bad.as_uri())
        page.wait_for("document.body && document.body.getAttribute('data-charts') === 'ready'")
        browser.pump(0.5)
        errors, requests = page.errors(), page.requests()
    assert any("boom" in e for e in errors) and any(e.startswith("exception:") for e in errors)
    assert "http://example.invalid/x.png" in requests
