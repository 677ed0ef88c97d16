"""The linking section (`firms report --truth`): the evaluation's headline figures and the sweep's
precision-recall chart.

Everything shown comes from one `links.evaluate.evaluate(..., sweep=True)` result: the chart's data are the
rows of `links.evaluate.summary_frame(result)`, the frame `firms links eval --sweep --format csv` prints,
and the spec only chooses the rows of one margin (a Vega filter) and folds precision and recall into lines.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import polars as pl

from ..analytics.columns import Column
from ..links.evaluate import GOAL_PRECISION, GOAL_RECALL, best_setting, summary_frame
from ..rules.fuzzy import FuzzyOptions
from . import charts
from .figures import Figure, percent
from .page import table_html

KEY = "link01_sweep_precision_recall"
SERIES = [("precision", "精确率", charts.BAR_COLOR), ("recall", "召回率", "#2c7fb8")]
SWEEP_COLUMNS = (Column("threshold", "阈值", "count"), Column("margin", "差距", "count"),
                 Column("precision", "精确率", "percent2"), Column("recall", "召回率", "percent2"),
                 Column("f1", "F1", "percent2"), Column("links", "关联数", "count"),
                 Column("correct", "正确关联数", "count"), Column("meets_goal", "达到目标", "flag"))
METHOD_COLUMNS = (Column("method", "关联方式", "text"), Column("links", "关联数", "count"),
                  Column("correct", "正确", "count"), Column("precision", "精确率", "percent2"),
                  Column("recall", "召回率（份额）", "percent2"))
KINDS_ZH = {"correct": "正确", "wrong firm": "关联到其他企业", "false link": "不应关联而关联",
            "missed": "漏关联", "correctly unlinked": "正确未关联"}
METHODS_ZH = {"manual": "人工决定（manual）", "uscc": "统一社会信用代码（uscc）", "exact": "名称一致（exact）",
              "former_name": "曾用名（former_name）", "fuzzy": "模糊匹配（fuzzy）"}


def sweep_frame(result: Mapping[str, Any]) -> pl.DataFrame:
    """The sweep's grid, as `firms links eval --sweep --format csv` prints it."""
    if "sweep" not in result:
        raise ValueError("the linking section needs an evaluation with its sweep (evaluate(..., sweep=True))")
    return summary_frame(dict(result))


def shown_margin(margins: list[int], current: float) -> int | None:
    """The sweep's margin nearest the ingest's own (the lower on a tie): the one the chart draws."""
    if not margins:
        return None
    return min(margins, key=lambda m: (abs(m - current), m))


def linking_figure(result: Mapping[str, Any]) -> Figure:
    grid = sweep_frame(result)
    settings = result["settings"]
    threshold, current_margin = settings["fuzzy_threshold"], settings["fuzzy_margin"]
    margin = shown_margin(sorted(set(grid.get_column("margin").to_list())) if grid.height else [], current_margin)
    drawn = grid.filter(pl.col("margin") == margin) if margin is not None else grid.clear()
    values = [v for column, _, _ in SERIES for v in drawn.get_column(column).to_list() if v is not None]
    # The y axis starts at the 5 % step below the lowest value drawn (and at most 95 %), so that a drop of
    # a point or two in recall is visible; it ends at 100 %.
    y_min = min(0.95, math.floor(min(values, default=1.0) * 20) / 20)
    title = f"附图 模糊匹配阈值与关联的精确率、召回率（差距 {margin}）"
    spec = charts.sweep_lines(
        grid.to_dicts(), x="threshold", series=SERIES, keep=f"datum.margin === {margin}", marked_x=threshold,
        goals=[("精确率", GOAL_PRECISION), ("召回率", GOAL_RECALL)], y_min=y_min, title=title,
        x_title="模糊匹配阈值（--fuzzy-threshold）", y_title="精确率 / 召回率",
        tooltip=[("threshold", "阈值", "count"), ("margin", "差距", "count"), ("f1", "F1", "percent2"),
                 ("links", "关联数", "count"), ("correct", "正确关联数", "count")])
    margin_note = ("" if margin == current_margin
                   else f"入库时的差距 {current_margin:g} 不在扫描的取值中，图中为最近的 {margin}。")
    note = (f"竖线为入库时的阈值 {threshold:g}；虚线为目标：精确率 {percent(GOAL_PRECISION, 1)}、召回率 "
            f"{percent(GOAL_RECALL, 0)}。{margin_note}表为全部阈值（80–100）与差距（0–10）的组合。")
    caption = "来源：firms links eval --sweep --format csv（同一张表）；只重判模糊匹配所决定的名称，其余名称结果不变。"
    return Figure(KEY, "附图", title, "links eval --sweep", spec, grid, SWEEP_COLUMNS, note, len(values), caption)


def linking_summary(result: Mapping[str, Any]) -> tuple[list[tuple[str, str, str]], list[str], str]:
    """Cards (precision, recall, F1), paragraphs and the per-method table above the chart."""
    o, settings = result["overall"], result["settings"]
    setting = f"阈值 {settings['fuzzy_threshold']:g}、差距 {settings['fuzzy_margin']:g}"
    cards = [("精确率", _pct(o["precision"]), f"{o['correct']:,} / {o['links']:,} 个关联"),
             ("召回率", _pct(o["recall"]), f"{o['correct']:,} / {o['linkable']:,} 个可关联名称"),
             ("F1", _pct(o["f1"]), setting)]
    paragraphs = [
        f"与真值文件对比的 {result['names']:,} 个名称（出现在专利、融资、证书中的标注名称，规范化后各计一次，"
        f"按其多数行的关联结果）；入库时的模糊匹配设置：{setting}。"
        + (f"另有 {len(result['not_in_data']):,} 个标注名称不在数据中，不计。" if result["not_in_data"] else ""),
        "结果：" + "，".join(f"{KINDS_ZH.get(k, k)} {n:,}" for k, n in result["confusion"].items()) + "。",
    ]
    if "sweep" in result:
        best = best_setting(result["sweep"], FuzzyOptions(settings["fuzzy_threshold"], settings["fuzzy_margin"]))
        goal = f"精确率≥{percent(GOAL_PRECISION, 1)}、召回率≥{percent(GOAL_RECALL, 0)}"
        paragraphs.append(
            f"扫描中没有设置达到目标（{goal}）。" if best is None else
            f"达到目标（{goal}）且 F1 最高的设置：阈值 {best['threshold']}、差距 {best['margin']}"
            f"（精确率 {_pct(best['precision'])}，召回率 {_pct(best['recall'])}）。")
    rows = [(METHODS_ZH.get(method, method), m["links"], m["correct"], m["precision"], m["recall"])
            for method, m in result["by_method"].items()]
    table = "<h3>按关联方式</h3>" + table_html(rows, METHOD_COLUMNS)
    return cards, paragraphs, table


def _pct(value: float | None) -> str:
    return "—" if value is None else percent(value)
