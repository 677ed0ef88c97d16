"""The report's figures: each a chart spec and the table under it, cut from a `firms tables` frame.

Nothing here computes a figure: the rows of a chart are rows of a chapter-4 table (or of the index frame)
with the columns it plots, rows whose plotted value is null left out (a bar needs a value). The one sum is
the city chart's 其他 bar, the firms of the cities below the top N together; it adds firm counts, which
add up exactly because each firm has one city (patents do not, so no patent chart folds cities).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import polars as pl

from ..analytics.chapter import Table
from ..analytics.columns import DIMENSIONS, METRICS, TECH_LABELS, TOTAL, Column, region_order, tech_order
from . import charts

OTHER_CITIES = "其他"
DEFAULT_TOP_CITIES = 15
FIRST_LEVEL = ("要素基础", "智力支撑", "资源环境", "企业实力")


@dataclass(frozen=True)
class Figure:
    key: str  # the file name of its SVG and PNG, e.g. "fig08a_firms_by_region"
    number: str  # as the page shows it, e.g. "图8a"
    title: str
    source: str  # the `firms tables` table (or index frame) it is cut from
    spec: charts.Spec  # Vega-Lite
    rows: pl.DataFrame  # the chart's data, also shown as its table
    columns: tuple[Column, ...]  # how the table shows rows
    note: str  # what the chart leaves out or adds, after the universe line
    marks: int  # bars, cells or points the chart draws (bars and cells: one per row)
    caption: str | None = None  # the line under the chart, when not the universe and the `firms tables` table


def _kind(metric: str) -> str:
    return METRICS[metric].kind


def _plotted(frame: pl.DataFrame, value: str) -> pl.DataFrame:
    return frame.filter(pl.col(value).is_not_null())


def _with_tech_label(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.with_columns(pl.col("tech").replace_strict(TECH_LABELS, default=pl.col("tech")).alias("tech_label"))


# (figure, metric) for the profile charts, by region (figures 8-11) and by tech class (12-15).
PROFILE_FIGURES = {
    "region": (("08a", "firms"), ("08b", "hightech_ratio"), ("09a", "patents"), ("09b", "invention_share"),
               ("10", "rd_per_firm"), ("11", "top_vc_leads_per_firm")),
    "tech": (("12a", "firms"), ("12b", "hightech_ratio"), ("13a", "patents"), ("13b", "invention_share"),
             ("14", "rd_per_firm"), ("15", "top_vc_leads_per_firm")),
}
DIM_WORDS = {"region": ("各区域", "by_region"), "tech": ("各技术类别", "by_tech")}


def chapter_figures(tables: Mapping[str, Table], top_cities: int = DEFAULT_TOP_CITIES) -> list[Figure]:
    figures = []
    for dim, specs in PROFILE_FIGURES.items():
        for number, metric in specs:
            figures.append(_profile(tables, dim, number, metric))
        if dim == "region":
            figures += _cities(tables["by_city"], top_cities)
    figures += _region_tech(tables)
    return figures


def _profile(tables: Mapping[str, Table], dim: str, number: str, metric: str) -> Figure:
    words, source = DIM_WORDS[dim]
    table = tables[source]
    keep = [c for c in (f"{metric}_rank", f"{metric}_share") if c in table.frame.columns]
    shown = table.frame.select(dim, metric, *keep)
    rows = _plotted(shown.filter(pl.col(dim).ne_missing(TOTAL)), metric)
    category = dim
    if dim == "tech":
        rows, category = _with_tech_label(rows), "tech_label"
    label = METRICS[metric].label
    title = f"图{number.lstrip('0')} {words}{label}"
    spec = charts.bars(rows.to_dicts(), category=category, value=metric, kind=_kind(metric), title=title,
                       axis_title=label, tooltip=[(category, DIMENSIONS[dim].label, "text"),
                                                  (metric, label, _kind(metric))])
    columns = tuple(c for c in table.columns if c.key in shown.columns)
    return Figure(f"fig{number}_{metric}_by_{dim}", f"图{number.lstrip('0')}", title, source, spec,
                  shown, columns, _left_out(shown, rows, dim), rows.height)


def _left_out(shown: pl.DataFrame, rows: pl.DataFrame, dim: str) -> str:
    missing = shown.height - 1 - rows.height  # the national row is never a bar
    note = "表末“合计”为全国（含其他、未知）。"
    return note + (f"{missing} 组无数值（无专利或无企业），不画柱。" if missing else "")


def _cities(table: Table, top: int) -> list[Figure]:
    """Firms by city, the top N and the rest as 其他; the high-tech ratio of the same top N cities."""
    cities = table.frame.filter(pl.col("city").ne_missing(TOTAL))  # frame order: most firms first
    named = cities.filter(pl.col("city").is_not_null())
    head = named.head(top).select("region", "city", "firms", "firms_rank", "firms_share")
    rest = cities.join(head.select("region", "city"), on=["region", "city"], how="anti")
    rows = head
    if rest.height:
        folded = pl.DataFrame({"region": [None], "city": [OTHER_CITIES], "firms": [int(rest.get_column("firms").sum())],
                               "firms_rank": [None], "firms_share": [rest.get_column("firms_share").sum()]},
                              schema=head.schema)
        rows = pl.concat([head, folded])
    title = f"图8c 主要城市金融科技企业数（前{top}名）"
    spec = charts.bars(rows.to_dicts(), category="city", value="firms", kind="count", title=title,
                       axis_title=METRICS["firms"].label, sort_by_value=False,
                       tooltip=[("city", "城市", "text"), ("region", "区域", "text"), ("firms", "企业数", "count"),
                                ("firms_share", "占全国比重", "ratio")])
    columns = tuple(c for c in table.columns if c.key in rows.columns)
    note = (f"“{OTHER_CITIES}”为其余 {rest.height} 个城市（含城市未知的企业）合计。" if rest.height
            else "全部城市。")
    firms = Figure("fig08c_firms_by_city", "图8c", title, "by_city", spec, rows, columns, note, rows.height)

    ratio_shown = named.head(top).select("region", "city", "hightech_ratio", "hightech_ratio_rank")
    ratio_rows = _plotted(ratio_shown, "hightech_ratio")
    title = f"图8d 主要城市高新技术企业占比（企业数前{top}名）"
    spec = charts.bars(ratio_rows.to_dicts(), category="city", value="hightech_ratio", kind="ratio", title=title,
                       axis_title=METRICS["hightech_ratio"].label,
                       tooltip=[("city", "城市", "text"), ("region", "区域", "text"),
                                ("hightech_ratio", METRICS["hightech_ratio"].label, "ratio")])
    columns = tuple(c for c in table.columns if c.key in ratio_shown.columns)
    ratio = Figure("fig08d_hightech_ratio_by_city", "图8d", title, "by_city", spec, ratio_shown, columns,
                   "占比不可相加，故不并入“其他”；排名为全部城市中的名次。", ratio_rows.height)
    return [firms, ratio]


def _region_tech(tables: Mapping[str, Table]) -> list[Figure]:
    figures = []
    pairs = _with_tech_label(tables["region_tech"].frame)
    techs, places = tech_order(), region_order()
    tech_labels = [TECH_LABELS.get(t, t) for t in sorted(pairs.get_column("tech").unique().to_list(),
                                                         key=lambda t: (techs.get(t, len(techs)), t))]
    regions = sorted(pairs.get_column("region").unique().to_list(), key=lambda r: (places.get(r, len(places)), r))
    for number, metric, words in (("16a", "firms", "企业数"), ("17", "patents", "专利数")):
        share = f"{metric}_share_of_tech"
        shown = pairs.select("tech", "tech_label", "region", metric, share)
        rows = _plotted(shown, share)
        title = f"图{number} 各技术类别{words}的区域分布（占该技术比重）"
        spec = charts.heatmap(rows.to_dicts(), x="tech_label", y="region", value=share, kind="ratio", title=title,
                              legend_title="占该技术比重", x_order=tech_labels, y_order=regions,
                              tooltip=[("tech_label", "技术类别", "text"), ("region", "区域", "text"),
                                       (metric, METRICS[metric].label, "count"), (share, "占该技术比重", "ratio")])
        columns = tuple(c for c in tables["region_tech"].columns if c.key in shown.columns)
        figures.append(Figure(f"fig{number}_{metric}_region_by_tech", f"图{number}", title, "region_tech", spec,
                              shown.drop("tech_label"), columns, "每列（技术类别）的各区域占比合计为 100%。",
                              rows.height))

    conc = tables["tech_concentration"]
    shown = conc.frame.select("tech", "regions", "firms_top", "firms_all", "firms_share")
    rows = _with_tech_label(_plotted(shown.filter(pl.col("tech") != TOTAL), "firms_share"))
    regions_text = shown.item(0, "regions") if shown.height else ""
    title = f"图16b 各技术类别企业在{regions_text.replace('+', '、')}的集中度"
    spec = charts.bars(rows.to_dicts(), category="tech_label", value="firms_share", kind="ratio", title=title,
                       axis_title="企业数组合占比", tooltip=[("tech_label", "技术类别", "text"),
                                                      ("firms_top", "组合内企业数", "count"),
                                                      ("firms_all", "全部企业数", "count"),
                                                      ("firms_share", "组合占比", "ratio")])
    columns = tuple(c for c in conc.columns if c.key in shown.columns)
    figures.append(Figure("fig16b_firms_concentration_by_tech", "图16b", title, "tech_concentration", spec, shown,
                          columns, "表末“合计”为全部技术类别。", rows.height))

    leaders = tables["tech_leaders"]
    shown = leaders.frame.filter(pl.col("metric") == "firms").select(
        "tech", "leading_city", "city_value", "city_share_of_tech")
    rows = _with_tech_label(_plotted(shown, "city_share_of_tech"))
    title = "图16c 各技术类别的领先城市（企业数占该技术比重）"
    spec = charts.bars(rows.to_dicts(), category="tech_label", value="city_share_of_tech", kind="ratio", title=title,
                       axis_title="领先城市企业数占该技术比重", label="leading_city",
                       tooltip=[("tech_label", "技术类别", "text"), ("leading_city", "领先城市", "text"),
                                ("city_value", "企业数", "count"), ("city_share_of_tech", "占该技术比重", "ratio")])
    columns = tuple(c for c in leaders.columns if c.key in shown.columns)
    figures.append(Figure("fig16c_leading_city_by_tech", "图16c", title, "tech_leaders", spec, shown, columns,
                          "柱端为领先城市；并列时以“、”连接。", rows.height))
    return figures


def index_figures(frames: Mapping[str, pl.DataFrame], top_cities: int = DEFAULT_TOP_CITIES) -> list[Figure]:
    """The index charts (figures 1-4) from `fintech_firms.index` frames, keyed "region" and "city"."""
    figures = []
    region = frames.get("region")
    city = frames.get("city")
    if region is not None and region.height:
        figures.append(_index_total(region, "region", None))
    if city is not None and city.height:
        figures.append(_index_total(city, "city", top_cities))
    if region is not None and region.height:
        figures.append(_index_first(region, "region", None))
    if city is not None and city.height:
        figures.append(_index_first(city, "city", top_cities))
    return [f for f in figures if f is not None]


INDEX_COLUMNS = {
    "entity": None,  # 区域 or 城市, set per frame
    "region": Column("region", "区域", "text"),
    "first_level": Column("first_level", "一级指标", "text"),
    "score": Column("score", "得分", "score"),
    "base_score": Column("base_score", "基期得分", "score"),
    "growth": Column("growth", "较基期增长", "growth"),
    "rank": Column("rank", "排名", "rank"),
    "rank_change": Column("rank_change", "排名变化", "count"),
}


def _latest(frame: pl.DataFrame, level: str) -> pl.DataFrame:
    rows = frame.filter(pl.col("level") == level)
    if rows.is_empty():
        return rows
    return rows.filter(pl.col("year") == rows.get_column("year").max())


def _index_columns(kind: str, keys: list[str]) -> tuple[Column, ...]:
    entity = Column("entity", "城市" if kind == "city" else "区域", "text")
    return tuple(entity if k == "entity" else INDEX_COLUMNS[k] for k in keys)  # type: ignore[misc]


def percent(value: float, places: int = 2, signed: bool = False) -> str:
    """A fraction as a percentage rounded half up from its shortest decimal form (0.0678 -> +6.78%), as the
    tables round: the bar labels and the tables under the charts agree to the last digit."""
    shown = (Decimal(repr(value)) * 100).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    return f"{'+' if signed and shown >= 0 else ''}{shown}%"


def score_text(value: float) -> str:
    """An index score with three decimals, rounded half up as in the tables (7.2885 -> 7.289)."""
    return str(Decimal(repr(value)).quantize(Decimal("0.001"), rounding=ROUND_HALF_UP))


def _label(rows: pl.DataFrame) -> pl.DataFrame:
    """The text at a bar's end: the score and its growth, as the report prints them (7.289，+6.78%)."""
    def text(row: dict[str, Any]) -> str:
        growth = row["growth"]
        return score_text(row["score"]) + ("" if growth is None else f"（{percent(growth, signed=True)}）")
    return rows.with_columns(pl.Series("label", [text(r) for r in rows.iter_rows(named=True)], dtype=pl.String))


def _index_total(frame: pl.DataFrame, kind: str, top: int | None) -> Figure | None:
    keys = ["entity", "region", "score", "base_score", "growth", "rank", "rank_change"]
    if kind == "region":
        keys.remove("region")
    shown = _latest(frame, "total").sort("rank", "entity", nulls_last=True).select(keys)
    if shown.is_empty():
        return None
    if top is not None:
        shown = shown.head(top)
    rows = _label(_plotted(shown, "score"))
    year = _latest(frame, "total").item(0, "year")
    base = _latest(frame, "total").item(0, "base_year")
    words = "城市" if kind == "city" else "区域"
    number = "图2" if kind == "city" else "图1"
    scope = f"（前{top}名）" if top is not None else ""
    title = f"{number} {year}年各{words}金融科技燃指数{scope}"
    spec = charts.bars(rows.to_dicts(), category="entity", value="score", kind="score", title=title,
                       axis_title="燃指数得分", label="label",
                       tooltip=[("entity", words, "text"), ("score", "得分", "score"),
                                ("growth", "较基期增长", "growth"),
                                ("rank", "排名", "count")])
    return Figure(f"fig{number[1:].zfill(2)}_index_by_{kind}", number, title, f"index:{kind}", spec, rows.drop("label"),
                  _index_columns(kind, keys), f"括号内为较{base}年的增长。", rows.height,
                  _index_caption(kind, year, base))


def _index_first(frame: pl.DataFrame, kind: str, top: int | None) -> Figure | None:
    latest = _latest(frame, "first")
    if latest.is_empty():
        return None
    entities = _latest(frame, "total").sort("rank", "entity", nulls_last=True).get_column("entity").to_list()
    if not entities:
        entities = sorted(latest.get_column("entity").unique().to_list())
    if top is not None:
        entities = entities[:top]
    keys = ["entity", "first_level", "score", "base_score", "growth", "rank"]
    order = {e: i for i, e in enumerate(entities)}
    levels = [lvl for lvl in FIRST_LEVEL if lvl in set(latest.get_column("name_zh").to_list())]
    levels += sorted(set(latest.get_column("name_zh").to_list()) - set(levels))
    shown = (latest.filter(pl.col("entity").is_in(entities))
             .with_columns(pl.col("name_zh").alias("first_level"))
             .sort(pl.col("entity").replace_strict(order, default=len(order)),
                   pl.col("first_level").replace_strict({v: i for i, v in enumerate(levels)}, default=len(levels)))
             .select(keys))
    rows = _plotted(shown, "score")
    words = "城市" if kind == "city" else "区域"
    number = "图4" if kind == "city" else "图3"
    scope = f"（总指数前{top}名）" if top is not None else ""
    year = latest.item(0, "year")
    title = f"{number} {year}年各{words}一级指标得分{scope}"
    spec = charts.grouped_bars(rows.to_dicts(), category="entity", group="first_level", value="score", kind="score",
                               title=title, axis_title="得分", groups=levels,
                               tooltip=[("entity", words, "text"), ("first_level", "一级指标", "text"),
                                        ("score", "得分", "score"), ("growth", "较基期增长", "growth")])
    return Figure(f"fig{number[1:].zfill(2)}_first_level_by_{kind}", number, title, f"index:{kind}", spec, shown,
                  _index_columns(kind, keys), "四个一级指标：" + "、".join(levels) + "。", rows.height,
                  _index_caption(kind, year, latest.item(0, "base_year")))


def _index_caption(kind: str, year: int, base_year: int) -> str:
    """The index has its own universe (the cities of its tables, scored against the base year's best)."""
    return f"来源：firms index --by {kind} --level all，{year} 年，基期 {base_year} 年（docs/index.md）。"
