"""The report as one HTML page that works offline: Vega's JavaScript, the specs and a font subset inline.

The Vega-Lite specs are embedded as JSON (one script element, keyed by figure) and drawn by Vega-Embed
with the SVG renderer, which keeps every bar and label in the DOM. No timestamps, no random ids: the same
data give the same bytes.
"""

from __future__ import annotations

import html
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from ..analytics.columns import Column
from ..output.cells import display, is_numeric
from .figures import Figure, percent, score_text
from .fonts import FAMILY, STACK, page_font_css

TITLE = "中国金融科技企业发展概况：图表"
SPEC_SCRIPT_ID = "fire-specs"


@dataclass(frozen=True)
class Section:
    """A part of the page: a heading, numbers as cards, paragraphs and tables (HTML) above the figures, the
    figures."""

    key: str
    heading: str
    figures: Sequence[Figure] = ()
    paragraphs: Sequence[str] = ()
    cards: Sequence[tuple[str, str, str]] = ()  # (label, value, remark)
    tables_html: str = ""


@dataclass(frozen=True)
class Facts:
    """Numbers and settings above the charts: headline cards, the universe line, provenance tables."""

    headline: Sequence[tuple[str, str, str]] = ()  # (label, value, remark)
    universe: str = ""
    provenance_html: str = ""
    footer: str = ""
    settings: Mapping[str, str] = field(default_factory=dict)


def _vl_version() -> str | None:
    """The Vega-Lite version Altair writes (its schema), if vl-convert has it; else vl-convert's latest."""
    import altair
    import vl_convert

    major_minor = ".".join(altair.SCHEMA_VERSION.lstrip("v").split(".")[:2])
    return major_minor if major_minor in vl_convert.get_vegalite_versions() else None


VL_VERSION = _vl_version()


@cache
def vega_runtime() -> str:
    """Vega, Vega-Lite and Vega-Embed as one classic script that sets window.vegaEmbed (about 0.9 MB).

    (A bundle of Vega alone would be 0.3 MB smaller, but vl-convert 1.9's custom-snippet bundles export
    Vega's namespace as null.)
    """
    import vl_convert

    # vl-convert's type stub marks the snippet as required; the function defaults it (vegaEmbed and co. as globals).
    bundle: str = vl_convert.javascript_bundle(vl_version=VL_VERSION)  # type: ignore[call-arg]
    return bundle


def render_page(sections: Sequence[Section], facts: Facts) -> str:
    specs = {f.key: f.spec for s in sections for f in s.figures}
    body = [f"<header><h1>{_e(TITLE)}</h1><p class=\"universe\">{_e(facts.universe)}</p></header>"]
    if facts.headline:
        body.append(f"<section id=\"headline\"><h2>主要数字</h2>{_cards(facts.headline)}</section>")
    nav = "".join(f"<a href=\"#{s.key}\">{_e(s.heading)}</a>" for s in sections)
    body.append(f"<nav>{nav}<a href=\"#provenance\">数据来源</a></nav>")
    for section in sections:
        parts = [f"<section id=\"{section.key}\"><h2>{_e(section.heading)}</h2>"]
        if section.cards:
            parts.append(_cards(section.cards))
        parts += [f"<p class=\"note\">{_e(p)}</p>" for p in section.paragraphs]
        parts.append(section.tables_html)
        for figure in section.figures:
            parts.append(_figure(figure, facts.universe))
        parts.append("</section>")
        body.append("".join(parts))
    body.append(f"<section id=\"provenance\"><h2>数据来源</h2>{facts.provenance_html}</section>")
    body.append(f"<footer>{_e(facts.footer)}</footer>")
    main = "\n".join(body)
    spec_json = json.dumps(specs, ensure_ascii=False, sort_keys=True, separators=(",", ":")).replace("</", "<\\/")
    # The font subset holds exactly the characters of the page text and of the specs (axis titles, labels).
    font_css = page_font_css(main + spec_json)
    return (
        "<!DOCTYPE html>\n<html lang=\"zh-CN\">\n<head>\n<meta charset=\"utf-8\">\n"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        f"<title>{_e(TITLE)}</title>\n<style>{font_css}\n{CSS}</style>\n</head>\n"
        f"<body data-charts=\"pending\">\n{main}\n"
        f"<script type=\"application/json\" id=\"{SPEC_SCRIPT_ID}\">{spec_json}</script>\n"
        f"<script>{vega_runtime()}</script>\n<script>{SCRIPT}</script>\n</body>\n</html>\n"
    )


def _cards(cards: Sequence[tuple[str, str, str]]) -> str:
    return "<div class=\"cards\">" + "".join(
        f"<div class=\"card\"><div class=\"label\">{_e(label)}</div><div class=\"value\">{_e(value)}</div>"
        f"<div class=\"remark\">{_e(remark)}</div></div>" for label, value, remark in cards) + "</div>"


def _figure(figure: Figure, universe: str) -> str:
    """The chart (its title is part of it), the universe line, then its table (folded when long)."""
    table = table_html(figure.rows.iter_rows(), figure.columns)
    fold = "" if figure.rows.height <= FOLD_ROWS else f"<summary>数据表（{figure.rows.height} 行）</summary>"
    table = f"<details{' open' if not fold else ''}>{fold or '<summary>数据表</summary>'}{table}</details>"
    caption = figure.caption or f"{universe}来源：firms tables 的 {figure.source} 表。"
    return (f"<figure id=\"{figure.key}\" data-marks=\"{figure.marks}\" aria-label=\"{_e(figure.title)}\">"
            f"<div class=\"chart\" id=\"chart-{figure.key}\"></div>"
            f"<p class=\"note\">{_e(caption)}{_e(figure.note)}</p>"
            f"{table}</figure>")


FOLD_ROWS = 20  # longer tables start folded
REPORT_KINDS = ("score", "growth", "percent2", "flag")


def table_html(rows: Any, columns: Sequence[Column]) -> str:
    """A sortable table: a click on a header sorts by that column (numbers by value, not by their text)."""
    head = "".join(f"<th class=\"{'num' if _numeric(c) else 'text'}\">{_e(c.label)}</th>" for c in columns)
    lines = []
    for row in rows:
        total = any(c.key in ("region", "tech", "city", "entity") and v == "ALL" for v, c in zip(row, columns))
        cells = []
        for value, column in zip(row, columns):
            shown = cell(value, column)
            if _numeric(column) and value is not None:
                cells.append(f"<td class=\"num\" data-v=\"{value!r}\">{_e(shown)}</td>")
            else:
                cells.append(f"<td>{_e(shown)}</td>")
        opening = "<tr class=\"total\">" if total else "<tr>"
        lines.append(f"{opening}{''.join(cells)}</tr>")
    return f"<table class=\"data sortable\"><thead><tr>{head}</tr></thead><tbody>{''.join(lines)}</tbody></table>"


def cell(value: Any, column: Column) -> str:
    """A value as the page shows it; the report's own kinds (index scores and growth, percentages with two
    decimals, yes/no flags) first, then the tables' (output.cells)."""
    if value is not None and column.kind in REPORT_KINDS:
        if column.kind == "score":
            return score_text(value)
        if column.kind == "flag":
            return "是" if value else "否"
        return percent(value, signed=column.kind == "growth")
    if column.kind == "count" and isinstance(value, int):
        return f"{value:,}"  # thousands separated, as the charts show them
    return display(value, column, "—")


def _numeric(column: Column) -> bool:
    return column.kind in ("score", "growth", "percent2") or is_numeric(column)


def _e(text: str) -> str:
    return html.escape(text, quote=True)


CSS = f"""
body{{font-family:{STACK};margin:0 auto;max-width:980px;padding:0 16px 48px;color:#222;background:#fff}}
h1{{font-size:24px;margin:24px 0 4px}}
h2{{font-size:19px;border-bottom:2px solid #c0392b;padding-bottom:4px;margin-top:36px}}
nav{{position:sticky;top:0;background:#fff;padding:6px 0;border-bottom:1px solid #ddd;z-index:1}}
nav a{{margin-right:14px;color:#c0392b;text-decoration:none;font-size:14px;white-space:nowrap}}
.universe,.note{{color:#555;font-size:13px}}
.cards{{display:flex;flex-wrap:wrap;gap:10px}}
.card{{border:1px solid #e3c6c2;border-radius:6px;padding:8px 12px;min-width:150px}}
.card .label{{font-size:13px;color:#555}} .card .value{{font-size:22px;color:#c0392b}}
.card .remark{{font-size:12px;color:#777}}
figure{{margin:28px 0}} figcaption{{font-size:16px;margin-bottom:6px}}
.chart{{min-height:40px;overflow-x:auto}}
table.data{{border-collapse:collapse;font-size:12px;margin-top:6px}}
table.data th,table.data td{{border:1px solid #ddd;padding:2px 6px}}
table.data th{{background:#f6eceb;cursor:pointer;user-select:none}}
table.data td.num{{text-align:right;font-variant-numeric:tabular-nums}}
table.data tr.total td{{font-weight:bold;background:#fafafa}}
footer{{margin-top:40px;color:#777;font-size:12px}}
"""

# Draws every chart once the font is loaded (Vega measures label widths with it), then marks the body
# data-charts="ready" (or "error"), which the browser test waits for; sorts a table on a header click.
SCRIPT = """(function () {
  var specs = JSON.parse(document.getElementById("SPEC_ID").textContent);
  var fontReady = document.fonts ? document.fonts.load('12px "FAMILY"', "\\u4e2d") : Promise.resolve();
  fontReady.then(function () {
    return Promise.all(Object.keys(specs).map(function (key) {
      return vegaEmbed("#chart-" + key, specs[key], {renderer: "svg", actions: false});
    }));
  }).then(function () {
    document.body.setAttribute("data-charts", "ready");
  }, function (error) {
    document.body.setAttribute("data-charts", "error");
    console.error(error);
  });
  Array.prototype.forEach.call(document.querySelectorAll("table.sortable"), function (table) {
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th, index) {
      th.addEventListener("click", function () {
        var up = th.getAttribute("data-sort") !== "up";
        Array.prototype.forEach.call(table.tHead.rows[0].cells, function (o) { o.removeAttribute("data-sort"); });
        th.setAttribute("data-sort", up ? "up" : "down");
        var body = table.tBodies[0];
        var rows = Array.prototype.slice.call(body.rows);
        var key = function (row) {
          var c = row.cells[index];
          return c.hasAttribute("data-v") ? parseFloat(c.getAttribute("data-v")) : c.textContent;
        };
        rows.sort(function (a, b) {
          var ta = a.classList.contains("total"), tb = b.classList.contains("total");
          if (ta !== tb) { return ta ? 1 : -1; }
          var x = key(a), y = key(b);
          if (typeof x !== typeof y) { return typeof x === "number" ? -1 : 1; }
          var r = x < y ? -1 : x > y ? 1 : 0;
          return up ? r : -r;
        });
        rows.forEach(function (row) { body.appendChild(row); });
      });
    });
  });
})();""".replace("SPEC_ID", SPEC_SCRIPT_ID).replace("FAMILY", FAMILY)
