"""The report's chapter-4 tables (figures 8–17), computed from the group metrics.

Every count comes from the SQL models; this module only arranges them: ranks, shares of a total, the
leading group and the top groups. Shares of a combination of groups (the top three regions or cities)
are computed over the firms of those groups together, so a patent that two of them share counts once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from ..errors import InputError
from ..frames import DType, int_max
from ..models.runner import Engine
from ..reference.tables import REGION_OTHER, REGION_UNKNOWN, UNCLASSIFIED
from ..version import __version__
from .columns import DIMENSIONS, METRICS, TOTAL, Column
from .metrics import Snapshot, SnapshotOptions, order_rows

DEFAULT_TOP_REGIONS = ("京津冀", "长三角", "粤港澳大湾区")
# The metrics of figures 8–15, in the report's order; ratios get a rank, counts a rank and a share.
PROFILE = ("firms", "hightech_firms", "hightech_ratio", "patents", "invention_patents", "invention_share",
           "rd_staff", "rd_per_firm", "top_vc_leads", "top_vc_leads_per_firm")
SHARED = ("firms", "patents", "rd_staff", "top_vc_leads")
# Groups that are not a place or a class (其他, 未知, no city, unclassified) get no rank and never lead.
NOT_RANKED = {"region": (REGION_OTHER, REGION_UNKNOWN), "city": (), "province": (), "tech": (UNCLASSIFIED,)}


@dataclass(frozen=True)
class Table:
    key: str
    title: str
    frame: pl.DataFrame
    columns: tuple[Column, ...]


def build_tables(data_dir: Path, *, as_of: int | None = None, tech_mode: str = "primary",
                 min_patents: int = 1, top_regions: Sequence[str] = DEFAULT_TOP_REGIONS,
                 top_n: int = 3) -> dict[str, Table]:
    options = SnapshotOptions(as_of, tech_mode, min_patents)
    top_regions = tuple(dict.fromkeys(r.strip() for r in top_regions if r.strip()))
    if not top_regions:
        raise InputError("--top-regions needs at least one region")
    if top_n < 1:
        raise InputError("--top-n must be at least 1")
    with Engine(Path(data_dir)) as engine:
        snap = Snapshot(engine, options)
        # Every grouping of all firms in one query; several tables read the same one.
        everyone = snap.groupings()
        total = everyone.metrics(())
        by = {dims: everyone.metrics(dims) for dims in (
            ("region",), ("tech",), ("city",), ("region", "city"), ("tech", "region"), ("tech", "city"))}
        tables = [
            _profile("by_region", "分区域金融科技企业概况（图8–11）", by[("region",)], ("region",), total),
            _profile("by_tech", "分技术类别金融科技企业概况（图12–15）", by[("tech",)], ("tech",), total),
            _profile("by_city", "分城市金融科技企业概况", by[("region", "city")], ("region", "city"), total),
            _region_tech(by[("tech", "region")], by[("tech",)]),
            _concentration(snap, by[("tech",)], total, top_regions),
            _leaders(by[("tech",)], {"city": by[("tech", "city")], "region": by[("tech", "region")]}),
            _top_share(snap, {"region": by[("region",)], "city": by[("city",)]}, total, top_n),
            _about(snap, top_regions, top_n),
        ]
    return {t.key: t for t in tables}


def _profile(key: str, title: str, groups: pl.DataFrame, dims: tuple[str, ...], total: pl.DataFrame) -> Table:
    """One row per group (ranked by its last dimension), then the national row."""
    frame = groups.select(*dims, *PROFILE)
    columns = [DIMENSIONS[d] for d in dims]
    for metric in PROFILE:
        label = METRICS[metric].label
        frame = _with_rank(frame, metric, dims[-1])
        columns += [METRICS[metric], Column(f"{metric}_rank", f"{label}排名", "rank")]
        if metric in SHARED:
            frame = frame.with_columns(_of_total(metric, total).alias(f"{metric}_share"))
            columns.append(Column(f"{metric}_share", f"{label}占全国比重", "ratio"))
    national = total.with_columns(
        *(pl.lit(TOTAL, pl.String).alias(d) for d in dims),
        *(pl.lit(None, pl.Int64).alias(f"{m}_rank") for m in PROFILE),
        *(_of_total(m, total).alias(f"{m}_share") for m in SHARED),
    )
    keys = [c.key for c in columns]
    frame = pl.concat([order_rows(frame, dims, "firms").select(keys), national.select(keys)])
    return Table(key, title, frame, tuple(columns))


def _ratio(part: pl.Expr, whole: pl.Expr) -> pl.Expr:
    """part / whole, null (not NaN) where whole is 0, as in the metrics."""
    return pl.when(whole != 0).then(part.cast(pl.Float64) / whole)


def _of_total(metric: str, total: pl.DataFrame) -> pl.Expr:
    return _ratio(pl.col(metric), pl.lit(total.item(0, metric)))


def _is_place(dim: str) -> pl.Expr:
    """A real place or class: not 其他, 未知, a blank city or unclassified."""
    return pl.col(dim).is_not_null() & ~pl.col(dim).is_in(list(NOT_RANKED[dim]))


def _with_rank(frame: pl.DataFrame, metric: str, dim: str) -> pl.DataFrame:
    """Competition ranking (1, 2, 2, 4), highest first, among the groups that are places or classes."""
    eligible = _is_place(dim) & pl.col(metric).is_not_null()
    # Values of groups that are not ranked become null first, so that they take no rank from others.
    ranks = pl.when(eligible).then(pl.col(metric)).rank("min", descending=True).cast(pl.Int64)
    return frame.with_columns(ranks.alias(f"{metric}_rank"))


def _region_tech(groups: pl.DataFrame, by_tech: pl.DataFrame) -> Table:
    tech_totals = by_tech.select("tech", *(pl.col(m).alias(f"_{m}_tech") for m in SHARED))
    frame = groups.join(tech_totals, on="tech", how="left").with_columns(
        _ratio(pl.col(m), pl.col(f"_{m}_tech")).alias(f"{m}_share_of_tech") for m in SHARED)
    columns = [DIMENSIONS["tech"], DIMENSIONS["region"]]
    for m in SHARED:
        columns += [METRICS[m], Column(f"{m}_share_of_tech", f"{METRICS[m].label}占该技术比重", "ratio")]
    frame = order_rows(frame.select(c.key for c in columns), ("tech", "region"))
    return Table("region_tech", "各技术类别的区域分布（图16–17）", frame, tuple(columns))


def _concentration(snap: Snapshot, by_tech: pl.DataFrame, total: pl.DataFrame,
                   top_regions: tuple[str, ...]) -> Table:
    inside = snap.groupings({"region": top_regions}).metrics(("tech",), with_total=True)
    everyone = pl.concat([by_tech, total.with_columns(pl.lit(TOTAL, pl.String).alias("tech")).select(by_tech.columns)])
    frame = everyone.select("tech", *(pl.col(m).alias(f"{m}_all") for m in SHARED)).join(
        inside.select("tech", *(pl.col(m).alias(f"{m}_top") for m in SHARED)), on="tech", how="left")
    frame = frame.with_columns(
        pl.lit("+".join(top_regions)).alias("regions"),
        *(pl.col(f"{m}_top").fill_null(0) for m in SHARED),
    ).with_columns(
        _ratio(pl.col(f"{m}_top"), pl.col(f"{m}_all")).alias(f"{m}_share") for m in SHARED)
    columns = [DIMENSIONS["tech"], Column("regions", "区域组合", "text")]
    for m in SHARED:
        label = METRICS[m].label
        columns += [Column(f"{m}_top", f"{label}（组合内）", "count"), Column(f"{m}_all", f"{label}（全部）", "count"),
                    Column(f"{m}_share", f"{label}组合占比", "ratio")]
    frame = frame.select(c.key for c in columns)
    return Table("tech_concentration", "各技术类别在重点区域的集中度（图16）", frame, tuple(columns))


def _leaders(by_tech: pl.DataFrame, by_place: dict[str, pl.DataFrame]) -> Table:
    """by_place: the metrics by tech and city, and by tech and region."""
    rows = []
    techs = by_tech.get_column("tech").to_list()
    for tech in techs:
        for metric in ("firms", "hightech_firms", "patents", "invention_patents", "rd_staff", "top_vc_leads"):
            tech_total = by_tech.filter(pl.col("tech") == tech).item(0, metric)
            row = {"tech": tech, "metric": metric}
            for dim, frame in by_place.items():
                names, value = _leader(frame.filter(pl.col("tech") == tech), dim, metric)
                row[f"leading_{dim}"] = names
                row[f"{dim}_value"] = value
                row[f"{dim}_share_of_tech"] = value / tech_total if value is not None and tech_total else None
            rows.append(row)
    schema: dict[str, DType] = {"tech": pl.String, "metric": pl.String}
    for dim in ("city", "region"):
        schema |= {f"leading_{dim}": pl.String, f"{dim}_value": pl.Int64, f"{dim}_share_of_tech": pl.Float64}
    frame = pl.DataFrame(rows, schema=schema, orient="row")
    columns = (DIMENSIONS["tech"], Column("metric", "指标", "metric"),
               Column("leading_city", "领先城市", "text"), Column("city_value", "城市数值", "count"),
               Column("city_share_of_tech", "城市占该技术比重", "ratio"),
               Column("leading_region", "领先区域", "text"), Column("region_value", "区域数值", "count"),
               Column("region_share_of_tech", "区域占该技术比重", "ratio"))
    return Table("tech_leaders", "各技术类别的领先城市与区域（图16–17）", frame, columns)


def _leader(frame: pl.DataFrame, dim: str, metric: str) -> tuple[str | None, int | None]:
    """The group(s) with the highest value; ties are all named, joined by 、 in dimension order."""
    places = frame.filter(_is_place(dim))
    best = int_max(places.get_column(metric))
    if not best:
        return None, None
    names = order_rows(places.filter(pl.col(metric) == best), (dim,)).get_column(dim).to_list()
    return "、".join(names), best


def _top_share(snap: Snapshot, by_dim: dict[str, pl.DataFrame], total: pl.DataFrame, top_n: int) -> Table:
    """by_dim: the metrics by region and by city."""
    rows = []
    for dim in ("region", "city"):
        places = by_dim[dim].filter(_is_place(dim))
        for metric in SHARED:
            top = order_rows(places.filter(pl.col(metric) > 0), (dim,), metric).head(top_n)
            members = top.get_column(dim).to_list()
            # The same top groups often lead several metrics, or are the top regions of _concentration:
            # the snapshot computes each set of firms once.
            value = snap.groupings({dim: members}).metrics(()).item(0, metric) if members else 0
            national = total.item(0, metric)
            rows.append({"dimension": dim, "metric": metric, "members": "+".join(members), "value": value,
                         "total": national, "share": value / national if national else None})
    frame = pl.DataFrame(rows, schema={"dimension": pl.String, "metric": pl.String, "members": pl.String,
                                       "value": pl.Int64, "total": pl.Int64, "share": pl.Float64}, orient="row")
    columns = (Column("dimension", "维度", "dimension"), Column("metric", "指标", "metric"),
               Column("members", f"前{top_n}名", "text"), Column("value", "前几名合计", "count"),
               Column("total", "全国", "count"), Column("share", "前几名占全国比重", "ratio"))
    return Table("top_share", f"前{top_n}名区域与城市的集中度（图8–9）", frame, columns)


def _about(snap: Snapshot, top_regions: tuple[str, ...], top_n: int) -> Table:
    items = [
        ("as_of", str(snap.as_of)),
        ("tech_mode", snap.options.tech_mode),
        ("min_patents", str(snap.options.min_patents)),
        ("top_regions", "+".join(top_regions)),
        ("top_n", str(top_n)),
        ("fintech_firms", __version__),
    ]
    frame = pl.DataFrame(items, schema={"setting": pl.String, "value": pl.String}, orient="row")
    columns = (Column("setting", "设置", "text"), Column("value", "取值", "text"))
    return Table("about", "口径说明", frame, columns)


