"""The index as people read it (table, md, xlsx; `firms tables`): both years side by side, Chinese labels,
scores to 3 decimals and growth in percent to 2, as the report prints them.

Column specs are (key, label, kind) triples; the CLI and output/ turn them into their Column type
(this package may not import analytics/).
"""

from __future__ import annotations

from typing import NamedTuple

import polars as pl

from .compute import IndexResult


class Spec(NamedTuple):
    key: str
    label: str
    kind: str  # as output/cells.py displays it: text, float, count, rank


class IndexTable(NamedTuple):
    key: str
    title: str
    frame: pl.DataFrame
    columns: tuple[Spec, ...]


def people_frame(frame: pl.DataFrame, year: int, base_year: int) -> tuple[pl.DataFrame, tuple[Spec, ...]]:
    """Rows of the long frame (one entity kind) as a wide table: one row per entity x indicator."""
    regions = frame.filter(pl.col("entity_kind") == "region").height == frame.height and frame.height > 0
    tertiary = (frame["level"] == "tertiary").any()
    entity_label = "区域" if regions else "城市"
    specs = [Spec("indicator_name", "指标", "text"), Spec("rank", f"{year}年排名", "rank"),
             Spec("entity", entity_label, "text")]
    if not regions:
        specs.append(Spec("region", "所属区域", "text"))
    if tertiary:
        specs += [Spec("value", f"{year}年原始值", "float"), Spec("base_value", f"{base_year}年原始值", "float")]
    specs += [Spec("score", f"{year}年得分", "float"), Spec("base_score", f"{base_year}年得分", "float"),
              Spec("growth_pct", "年均增长率(%)", "float"), Spec("base_rank", f"{base_year}年排名", "rank"),
              Spec("rank_change", "排名变化", "count")]
    if regions:
        specs += [Spec("best_city_score", "最高城市得分", "float"), Spec("best_city_rank", "按最高城市排名", "rank")]
    out = frame.with_columns(
        pl.col("name_zh").alias("indicator_name"),
        pl.col("score").round(3), pl.col("base_score").round(3), pl.col("best_city_score").round(3),
        (pl.col("growth") * 100).round(2).alias("growth_pct"),
    ).select(s.key for s in specs)
    return out, tuple(specs)


# The report's 表3-表7 (cities) and 图1-图7 (regions): the total and each first-level indicator.
def index_tables(result: IndexResult) -> list[IndexTable]:
    tree = result.tree
    wanted = [tree.total(), *tree.codes("first")]
    tables = []
    for by, noun in (("city", "城市"), ("region", "区域")):
        for code in wanted:
            rows = result.frame.filter((pl.col("entity_kind") == by) & (pl.col("indicator") == code))
            frame, specs = people_frame(rows, result.year, result.base_year)
            name = tree.row(code)["name_zh"]
            tables.append(IndexTable(f"index_{by}_{code}", f"{noun}{name}（{result.year}年，较{result.base_year}年）",
                                     frame, specs))
    return tables
