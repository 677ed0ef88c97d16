"""The dimensions and metrics of data contract §3: stable English keys, Chinese labels, display kinds."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from ..reference.tables import REGION_OTHER, REGION_UNKNOWN, TECH_CLASSES, UNCLASSIFIED, load


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    # How people see it: "text", "count", "ratio" (a percentage), "mean1"/"mean2" (decimals), "rank".
    kind: str


DIMENSIONS: dict[str, Column] = {c.key: c for c in (
    Column("region", "区域", "text"),
    Column("province", "省份", "text"),
    Column("city", "城市", "text"),
    Column("tech", "技术类别", "text"),
)}

METRICS: dict[str, Column] = {c.key: c for c in (
    Column("firms", "企业数", "count"),
    Column("hightech_firms", "高新技术企业数", "count"),
    Column("hightech_ratio", "高新技术企业占比", "ratio"),
    Column("patents", "专利数", "count"),
    Column("invention_patents", "发明专利数", "count"),
    Column("invention_share", "发明专利占比", "ratio"),
    Column("rd_staff", "研发人员数", "count"),
    Column("rd_per_firm", "企业平均研发人员数", "mean1"),
    Column("financing_events", "融资事件数", "count"),
    Column("c_plus_events", "C轮及以后融资事件数", "count"),
    Column("top_vc_leads", "头部资本领投次数", "count"),
    Column("top_vc_leads_per_firm", "企业平均头部资本领投次数", "mean2"),
)}

# Kinds whose values are fractions (Float64); every other metric is a count (Int64).
FRACTION_KINDS = ("ratio", "mean1", "mean2")
TECH_MODES = ("primary", "any")
# The dimension value of the row over all firms (--with-total) in machine formats.
TOTAL = "ALL"
TOTAL_LABEL = "合计"
TECH_LABELS: dict[str, str] = {**TECH_CLASSES, UNCLASSIFIED: "未分类"}


@cache
def region_order() -> dict[str, int]:
    """The report's regions in the order of its figures (the default regions table), then 其他 and 未知."""
    regions = load("regions", None).frame.get_column("region").unique(maintain_order=True).to_list()
    order = {region: i for i, region in enumerate(regions)}
    order[REGION_OTHER] = len(order) + 1_000
    order[REGION_UNKNOWN] = len(order) + 1_000
    return order


def tech_order() -> dict[str, int]:
    return {key: i for i, key in enumerate(TECH_LABELS)}
