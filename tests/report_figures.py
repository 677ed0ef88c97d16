"""The report's chapter-4 figures as checks, against any source of answers.

tests/fixtures/report-2022-ch4-figures.csv is a copy of ../shared/reference/report-2022-ch4-figures.csv:
every figure that the prose of chapter 4 of the China Fintech FIRE Index report 2022 (中国金融科技燃指数
报告 2022, CASS Institute of Finance) states, transcribed by hand. Each row is one test case:

- `exact`: the count equals the value; `ratio_1dp_pct`: within ±0.0005 of it; `rounded_1dp` /
  `rounded_2dp`: rounded half up to 1 / 2 decimals, it is the value; `leader`: that group leads;
  `order`: the groups hold ranks 1, 2, … in that order;
- the note's "rank N" is the group's rank among the real places or classes, "fewest" the last rank,
  "(X is rank 1)" X's rank, "largest region" that the region leads the class, "second after X" that
  only X is ahead, "(lowest)" the lowest concentration, "less than 20% of X's" a comparison with X.

`Answers` is what a check needs: the engine's chapter tables (`from_tables`) or the demo plan's
arithmetic (tests/test_demo_plan.py).
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import polars as pl

from fintech_firms.reference.tables import TECH_CLASSES

FIGURES = Path(__file__).parent / "fixtures" / "report-2022-ch4-figures.csv"
TECH_KEYS = {label: key for key, label in TECH_CLASSES.items()}
TOP_REGIONS = ("京津冀", "长三角", "粤港澳大湾区")


@dataclass(frozen=True)
class Figure:
    figure: str
    metric: str
    dim: str
    key: str
    value: str
    kind: str
    note: str

    @property
    def id(self) -> str:
        return f"fig{self.figure}-{self.metric}-{self.dim}-{self.key}"


def figures() -> list[Figure]:
    with FIGURES.open(encoding="utf-8") as f:
        return [Figure(**row) for row in csv.DictReader(f)]


@dataclass
class Answers:
    """groups[dim][key] = {metric: value}; dims region, city, tech (keys as in the figures: tech labels),
    region|tech ("长三角|云计算"), total ("ALL"). ranks[dim][metric][key] = rank among real groups.
    top[dim][metric] = (members in order, share of the nation); leaders[(metric, dim)][tech label] = name;
    concentration[tech label] = firms share of the top regions."""

    groups: dict[str, dict[str, dict[str, float]]]
    ranks: dict[str, dict[str, dict[str, int]]]
    top: dict[str, dict[str, tuple[list[str], float]]]
    leaders: dict[tuple[str, str], dict[str, str]]
    concentration: dict[str, float]
    extra: dict = field(default_factory=dict)


def half_up(value: float, places: int) -> Decimal:
    return Decimal(repr(value)).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def check(fig: Figure, a: Answers) -> None:
    """Assert that the answers hold the figure (value and what its note states)."""
    handler = {
        "firms_share_top3": _top_share, "patents_share_top3": _top_share,
        "top_vc_leads_per_firm_rank": _order,
        "firms_region_share_of_tech": _share_of_tech, "patents_region_share_of_tech": _share_of_tech,
        "firms_top3_concentration": _concentration,
        "firms_leader_city": _leader, "patents_leader_city": _leader, "rd_leader_region": _leader,
    }.get(fig.metric, _plain)
    handler(fig, a)


def _value(fig: Figure, actual: float) -> None:
    v = fig.value
    if fig.kind == "exact":
        assert actual == int(v), f"{fig.id}: {actual} != {v}"
    elif fig.kind == "ratio_1dp_pct":
        assert abs(actual - float(v)) <= 0.0005, f"{fig.id}: {actual} is not {v} ± 0.0005"
    elif fig.kind in ("rounded_1dp", "rounded_2dp"):
        places = 1 if fig.kind == "rounded_1dp" else 2
        assert half_up(actual, places) == Decimal(v), f"{fig.id}: {actual} does not round to {v}"
    else:
        raise AssertionError(f"{fig.id}: unknown kind {fig.kind}")


def _plain(fig: Figure, a: Answers) -> None:
    key = "ALL" if fig.dim == "total" else fig.key
    _value(fig, a.groups[fig.dim][key][fig.metric])
    if fig.dim not in a.ranks:
        return
    ranks = a.ranks[fig.dim][fig.metric]
    if m := re.search(r"\brank (\d+)\b", fig.note):
        assert ranks[fig.key] == int(m.group(1)), f"{fig.id}: rank {ranks[fig.key]}"
    if m := re.search(r"\((\S+) is rank 1\)", fig.note):
        assert ranks[m.group(1)] == 1, f"{fig.id}: {m.group(1)} has rank {ranks[m.group(1)]}"
    if "fewest" in fig.note:
        assert ranks[fig.key] == max(ranks.values()), f"{fig.id}: rank {ranks[fig.key]} of {max(ranks.values())}"
        assert sorted(ranks.values()).count(ranks[fig.key]) == 1, f"{fig.id}: tied for fewest"
    if m := re.search(r"less than (\d+)% of (\S+)'s", fig.note):
        other = a.groups[fig.dim][m.group(2)][fig.metric]
        assert a.groups[fig.dim][fig.key][fig.metric] < int(m.group(1)) / 100 * other, f"{fig.id}: vs {other}"
    if m := re.search(r"second after (\S+)", fig.note):
        region, tech = fig.key.split("|")
        values = {k.split("|")[0]: g[fig.metric] for k, g in a.groups["region|tech"].items()
                  if k.endswith("|" + tech) and k.split("|")[0] in a.ranks["region"][fig.metric]}
        ahead = sorted(r for r, v in values.items() if v >= values[region] and r != region)
        assert ahead == [m.group(1)], f"{fig.id}: ahead of it: {ahead}"


def _top_share(fig: Figure, a: Answers) -> None:
    members, share = a.top[fig.dim][fig.metric.removesuffix("_share_top3")]
    assert "+".join(members) == fig.key, f"{fig.id}: the top three are {members}"
    _value(fig, share)


def _order(fig: Figure, a: Answers) -> None:
    ranks = a.ranks[fig.dim]["top_vc_leads_per_firm"]
    for i, key in enumerate(fig.key.split(">"), start=1):
        assert ranks[key] == i, f"{fig.id}: {key} has rank {ranks[key]}, not {i}"


def _share_of_tech(fig: Figure, a: Answers) -> None:
    metric = fig.metric.removesuffix("_region_share_of_tech")
    region, tech = fig.key.split("|")
    _value(fig, a.groups["region|tech"][fig.key][metric] / a.groups["tech"][tech][metric])
    if "largest region" in fig.note:
        assert a.leaders[metric, "region"][tech] == region, f"{fig.id}: led by {a.leaders[metric, 'region'][tech]}"


def _concentration(fig: Figure, a: Answers) -> None:
    _value(fig, a.concentration[fig.key])
    if "lowest" in fig.note:
        others = {k: v for k, v in a.concentration.items() if k != fig.key}
        assert all(v > a.concentration[fig.key] for v in others.values()), f"{fig.id}: {others}"


def _leader(fig: Figure, a: Answers) -> None:
    metric, dim = {"firms_leader_city": ("firms", "city"), "patents_leader_city": ("patents", "city"),
                   "rd_leader_region": ("rd_staff", "region")}[fig.metric]
    assert a.leaders[metric, dim][fig.key] == fig.value, f"{fig.id}: led by {a.leaders[metric, dim][fig.key]}"


def from_tables(tables: dict) -> Answers:
    """The answers of the engine's chapter tables (fintech_firms.chapter_tables)."""
    label = TECH_CLASSES.get
    metrics = ("firms", "hightech_ratio", "patents", "invention_share", "rd_staff", "rd_per_firm",
               "top_vc_leads", "top_vc_leads_per_firm")
    groups: dict[str, dict[str, dict[str, float]]] = {"region": {}, "city": {}, "tech": {}, "total": {},
                                                      "region|tech": {}}
    ranks: dict[str, dict[str, dict[str, int]]] = {"region": {m: {} for m in metrics},
                                                   "tech": {m: {} for m in metrics}}
    for dim, table in (("region", "by_region"), ("tech", "by_tech")):
        for row in tables[table].frame.iter_rows(named=True):
            key = row[dim] if dim == "region" or row[dim] == "ALL" else label(row[dim], row[dim])
            values = {m: row[m] for m in metrics}
            if key == "ALL":
                groups["total"]["ALL"] = values
                continue
            groups[dim][key] = values
            for m in metrics:
                if row[f"{m}_rank"] is not None:
                    ranks[dim][m][key] = row[f"{m}_rank"]
    for row in tables["by_city"].frame.iter_rows(named=True):
        if row["city"] not in (None, "ALL"):
            groups["city"][row["city"]] = {m: row[m] for m in metrics}
    for row in tables["region_tech"].frame.iter_rows(named=True):
        groups["region|tech"][f"{row['region']}|{label(row['tech'], row['tech'])}"] = {
            m: row[m] for m in ("firms", "patents", "rd_staff", "top_vc_leads")}
    top: dict[str, dict[str, tuple[list[str], float]]] = {"region": {}, "city": {}}
    for row in tables["top_share"].frame.iter_rows(named=True):
        top[row["dimension"]][row["metric"]] = (row["members"].split("+"), row["share"])
    leaders: dict[tuple[str, str], dict[str, str]] = {}
    for row in tables["tech_leaders"].frame.iter_rows(named=True):
        for dim in ("city", "region"):
            leaders.setdefault((row["metric"], dim), {})[label(row["tech"], row["tech"])] = row[f"leading_{dim}"]
    concentration = {}
    for row in tables["tech_concentration"].frame.iter_rows(named=True):
        if row["tech"] in TECH_CLASSES:
            assert row["regions"] == "+".join(TOP_REGIONS)
            concentration[label(row["tech"])] = row["firms_share"]
    return Answers(groups, ranks, top, leaders, concentration)


def from_plan(plan: pl.DataFrame, shared_patents: int) -> Answers:
    """The answers that the demo plan implies: sums of its cells, each shared patent counted once in the
    nation (the plan's cells count a patent co-applied by two cells in both)."""
    counts = ("firms", "hightech_firms", "patents", "invention_patents", "rd_staff", "top_vc_leads")
    plan = plan.with_columns(pl.col("tech").replace_strict(TECH_CLASSES).alias("tech"))

    def metrics(frame: pl.DataFrame, by: list[str]) -> pl.DataFrame:
        summed = frame.group_by(by).agg(pl.col(c).sum() for c in counts) if by else frame.select(
            pl.col(c).sum() for c in counts)
        return summed.with_columns(
            (pl.col("hightech_firms") / pl.col("firms")).alias("hightech_ratio"),
            (pl.col("invention_patents") / pl.col("patents")).alias("invention_share"),
            (pl.col("rd_staff") / pl.col("firms")).alias("rd_per_firm"),
            (pl.col("top_vc_leads") / pl.col("firms")).alias("top_vc_leads_per_firm"),
        )

    total = metrics(plan, []).with_columns(pl.col("patents") - shared_patents).row(0, named=True)
    groups = {"total": {"ALL": total}, "region|tech": {}}
    ranks: dict[str, dict[str, dict[str, int]]] = {}
    for dim in ("region", "city", "tech"):
        frame = metrics(plan, [dim])
        groups[dim] = {row[dim]: row for row in frame.iter_rows(named=True)}
        if dim != "city":
            ranks[dim] = {m: dict(zip(frame[dim], frame[m].rank("min", descending=True).cast(pl.Int64)))
                          for m in frame.columns if m != dim}
    for row in metrics(plan, ["region", "tech"]).iter_rows(named=True):
        groups["region|tech"][f"{row['region']}|{row['tech']}"] = row
    top: dict[str, dict[str, tuple[list[str], float]]] = {"region": {}, "city": {}}
    for dim in ("region", "city"):
        for m in ("firms", "patents"):
            best = sorted(groups[dim].values(), key=lambda g: -g[m])[:3]
            top[dim][m] = ([g[dim] for g in best], sum(g[m] for g in best) / total[m])
    leaders: dict[tuple[str, str], dict[str, str]] = {}
    for dim in ("city", "region"):
        by = metrics(plan, [dim, "tech"])
        for m in ("firms", "patents", "rd_staff"):
            best = by.sort(m, descending=True).group_by("tech", maintain_order=True).first()
            leaders[m, dim] = dict(zip(best["tech"], best[dim]))
    inside = metrics(plan.filter(pl.col("region").is_in(TOP_REGIONS)), ["tech"])
    concentration = {row["tech"]: row["firms"] / groups["tech"][row["tech"]]["firms"]
                     for row in inside.iter_rows(named=True)}
    return Answers(groups, ranks, top, leaders, concentration)
