"""The demo plan: per (city, tech) cell, the counts the generated raw folder must realise exactly.

`plan.csv` (packaged next to this module) has one row per cell with firms > 0:

    region,city,tech,firms,hightech_firms,patents,invention_patents,rd_staff,top_vc_leads

`load_plan()` reads and checks it, `scale_plan()` scales it (identity at scale 1), and the constants
below fix what the generator adds on top of the plan at scale 1.
"""

from __future__ import annotations

import math
from fractions import Fraction
from importlib import resources
from pathlib import Path

import polars as pl

from ..reference.tables import load

__all__ = [
    "AS_OF",
    "BUSY_CITIES",
    "COUNT_COLUMNS",
    "DEFAULT_SEED",
    "PLAN_COLUMNS",
    "SHARED_PATENTS",
    "TECHS",
    "apportion",
    "check_plan",
    "load_plan",
    "reference_table",
    "scale_plan",
    "shared_patents",
]

AS_OF = 2021
DEFAULT_SEED = 2022
# Patents co-applied by two universe firms of different cells (different region and tech, not both in
# the three busiest cities), at scale 1.
SHARED_PATENTS = 3000
TECHS = ("big_data", "blockchain", "ai", "cloud", "iot", "internet")
# No shared patent joins two of these cities.
BUSY_CITIES = frozenset({"北京", "深圳", "上海"})
PLAN_COLUMNS = ("region", "city", "tech", "firms", "hightech_firms", "patents", "invention_patents",
                "rd_staff", "top_vc_leads")
COUNT_COLUMNS = PLAN_COLUMNS[3:]
_SCHEMA = {c: (pl.Utf8 if c in ("region", "city", "tech") else pl.Int64) for c in PLAN_COLUMNS}


def reference_table(stem: str) -> pl.DataFrame:
    """A packaged default reference table (regions, tracks, top_vc) as strings, read as ingest reads it."""
    return load(stem, None).frame.drop("_row")


def load_plan(path: str | Path | None = None) -> pl.DataFrame:
    """The packaged plan (or the CSV at `path`), checked; columns as PLAN_COLUMNS."""
    if path is None:
        source = resources.files("fintech_firms.demo") / "plan.csv"
        with resources.as_file(source) as p:
            frame = pl.read_csv(p, schema_overrides=_SCHEMA)
    else:
        frame = pl.read_csv(path, schema_overrides=_SCHEMA)
    return check_plan(frame)


def check_plan(plan: pl.DataFrame) -> pl.DataFrame:
    """The plan with its columns in order and typed; ValueError when a row cannot be realised."""
    missing = [c for c in PLAN_COLUMNS if c not in plan.columns]
    if missing:
        raise ValueError(f"plan: missing column(s) {', '.join(missing)}")
    plan = plan.select(pl.col(c).cast(t) for c, t in _SCHEMA.items())
    if plan.null_count().sum_horizontal().item():
        raise ValueError("plan: blank cells")
    regions = reference_table("regions")
    region_of = dict(zip(regions["city"], regions["region"]))
    problems: list[str] = []
    seen: set[tuple[str, str]] = set()
    for row in plan.iter_rows(named=True):
        where = f"{row['city']}/{row['tech']}"
        if region_of.get(row["city"]) != row["region"]:
            problems.append(f"{where}: city not in the regions table under region {row['region']}")
        if row["tech"] not in TECHS:
            problems.append(f"{where}: unknown tech")
        if (row["city"], row["tech"]) in seen:
            problems.append(f"{where}: repeated cell")
        seen.add((row["city"], row["tech"]))
        f, h, p, i = row["firms"], row["hightech_firms"], row["patents"], row["invention_patents"]
        if f <= 0:
            problems.append(f"{where}: firms must be > 0")
        if not 0 <= h <= f:
            problems.append(f"{where}: hightech_firms must be within 0..firms")
        if p < f:
            problems.append(f"{where}: patents < firms (every firm holds a patent)")
        if not 0 <= i <= p:
            problems.append(f"{where}: invention_patents must be within 0..patents")
        if row["rd_staff"] < 0 or row["top_vc_leads"] < 0:
            problems.append(f"{where}: negative count")
    if problems:
        raise ValueError("plan: " + "; ".join(problems[:10]) + (" …" if len(problems) > 10 else ""))
    return plan


def _check_scale(scale: float) -> float:
    scale = float(scale)
    if not math.isfinite(scale) or scale <= 0:
        raise ValueError(f"scale must be a positive number, not {scale!r}")
    return scale


def shared_patents(scale: float = 1.0) -> int:
    """Cross-cell shared patents at this scale: SHARED_PATENTS * scale, rounded half up."""
    return math.floor(SHARED_PATENTS * Fraction(repr(_check_scale(scale))) + Fraction(1, 2))


def apportion(quotas: list[Fraction]) -> list[int]:
    """Integers adding up to round(sum(quotas)) (halves up), each the floor of its quota or one more:
    the largest remainders get the extra ones, equal ones in row order (largest-remainder method)."""
    floors = [q.numerator // q.denominator for q in quotas]
    total = sum(quotas, Fraction(0))
    extra = (total + Fraction(1, 2)).numerator // (total + Fraction(1, 2)).denominator - sum(floors)
    order = sorted(range(len(quotas)), key=lambda k: (-(quotas[k] - floors[k]), k))
    for k in order[: max(0, extra)]:
        floors[k] += 1
    return floors


def scale_plan(plan: pl.DataFrame, scale: float) -> pl.DataFrame:
    """The plan at `scale`; the identity at 1.

    Firms: each cell's firms * scale, apportioned by largest remainder so that they add up to
    round(total * scale); cells left without firms are dropped. Every other count follows its cell's
    own ratio (hightech firms, patents, R&D staff and top-VC leads per firm; inventions per patent)
    and is apportioned the same way over the cells, so that each column adds up to the rounded sum of
    its quotas (close to its total * scale even at 0.01, where most cells have one or two firms).
    Each value is its quota rounded down or up, so hightech <= firms <= patents and inventions <=
    patents hold. Works for any positive scale (0.01 to 100 and beyond)."""
    plan = check_plan(plan)
    scale = _check_scale(scale)
    if scale == 1.0:
        return plan
    exact = Fraction(repr(scale))  # 0.02 as 1/50, not its binary approximation
    firms = apportion([f * exact for f in plan["firms"].to_list()])
    kept = plan.with_columns(pl.Series("new", firms)).filter(pl.col("new") > 0)
    f, new = kept["firms"].to_list(), kept["new"].to_list()

    def per_firm(column: str) -> list[int]:
        return apportion([Fraction(x * n, d) for x, n, d in zip(kept[column].to_list(), new, f)])

    patents = per_firm("patents")
    inventions = apportion([Fraction(i * p_new, p) for i, p_new, p in
                            zip(kept["invention_patents"].to_list(), patents, kept["patents"].to_list())])
    return pl.DataFrame({
        "region": kept["region"], "city": kept["city"], "tech": kept["tech"], "firms": new,
        "hightech_firms": per_firm("hightech_firms"), "patents": patents, "invention_patents": inventions,
        "rd_staff": per_firm("rd_staff"), "top_vc_leads": per_firm("top_vc_leads"),
    }, schema=_SCHEMA)
