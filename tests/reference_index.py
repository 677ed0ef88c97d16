"""The FIRE index recomputed in plain polars from the contract's tables (no SQL, no fintech_firms.index
code): the independent side of tests/test_index_crosscheck.py. It follows docs/index.md and the data
contract (§2 universe and as-of rules), reading the Parquet tables and the packaged reference CSVs."""

from __future__ import annotations

import csv
import math
from fractions import Fraction
from pathlib import Path

import polars as pl

import fintech_firms
from fintech_firms.rules.names import normalize_name

REFERENCE = Path(fintech_firms.__file__).parent / "reference"


def _csv(name: str) -> list[dict[str, str]]:
    with open(REFERENCE / name, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def firm_values(data: Path, year: int, window: int, min_patents: int = 1) -> dict[tuple[str, str], float]:
    firms = pl.read_parquet(data / "firms.parquet")
    patents = pl.read_parquet(data / "patents.parquet").select("app_no", "app_year", "patent_type")
    applicants = pl.read_parquet(data / "patent_applicants.parquet")
    financing = pl.read_parquet(data / "financing.parquet")
    hightech = pl.read_parquet(data / "hightech.parquet")
    cities = [row["city"] for row in _csv("regions.csv")]

    held = (applicants.filter(pl.col("firm_id").is_not_null()).select("firm_id", "app_no").unique()
            .join(patents, on="app_no").filter(pl.col("app_year") <= year))
    counts = held.group_by("firm_id").agg(pl.len().alias("n"))
    universe = firms.join(counts, on="firm_id", how="left").filter(pl.col("n").fill_null(0) >= min_patents)
    universe = universe.filter(pl.col("city").is_in(cities))
    events = financing.filter(pl.col("firm_id").is_not_null() & (pl.col("year") <= year))
    valid = hightech.filter(pl.col("issue_year").is_between(year - 2, year)).select("firm_id").unique()

    out: dict[tuple[str, str], float] = {}
    for city in cities:
        members = universe.filter(pl.col("city") == city)
        ids = members["firm_id"]
        their_events = events.filter(pl.col("firm_id").is_in(ids.implode()))
        their_patents = held.filter(pl.col("firm_id").is_in(ids.implode())).select("app_no", "app_year", "patent_type").unique()
        rd = members["rd_staff"].fill_null(0)
        transfer = members.filter(pl.col("has_patent_transfer").fill_null(False))["rd_staff"].fill_null(0)
        out.update({
            (city, "fintech_firms"): members.height,
            (city, "financing_events"): their_events.height,
            (city, "c_plus_events"): their_events.filter(pl.col("is_c_plus").fill_null(False)).height,
            (city, "top_vc_leads"): their_events.filter(pl.col("is_top_vc_led").fill_null(False)).height,
            (city, "hightech_firms"): members.join(valid, on="firm_id", how="semi").height,
            (city, "rd_staff"): rd.sum(),
            (city, "rd_staff_transfer"): transfer.sum(),
            (city, "patents_cumulative"): their_patents.height,
            (city, "patents_window"): their_patents.filter(pl.col("app_year") > year - window).height,
            (city, "invention_patents"): their_patents.filter(pl.col("patent_type") == "invention").height,
        })
    keys: dict[str, str] = {}
    for row in _csv("universities.csv"):
        for name in [row["name"], *[a for a in row["aliases"].replace("；", ";").split(";") if a.strip()]]:
            keys[normalize_name(name)] = row["city"]
    uni = (applicants.filter(pl.col("firm_id").is_null())
           .with_columns(pl.col("applicant_key").replace_strict(keys, default=None).alias("uni_city"))
           .filter(pl.col("uni_city").is_not_null()).join(patents, on="app_no")
           .filter(pl.col("app_year") <= year).select("uni_city", "app_no").unique())
    for city in cities:
        out[(city, "university_patents")] = uni.filter(pl.col("uni_city") == city).height
    return {k: float(v) for k, v in out.items()}


def index_frame(data: Path, stats: dict[tuple[str, int, str], float], year: int, base_year: int, scaling: str,
                window: int = 3) -> pl.DataFrame:
    """Every entity x indicator with score, base_score, growth, rank, base_rank (cities, then regions)."""
    tree = _csv("indicators.csv")
    regions = {row["city"]: row["region"] for row in _csv("regions.csv")}
    raw = {y: firm_values(data, y, window) for y in {year, base_year}}
    for (city, y, code), value in stats.items():
        if y in raw:
            raw[y][(city, code)] = value
    f = (lambda x: x) if scaling == "linear" else (lambda x: math.log1p(x))
    scores: dict[tuple[str, str, int], float] = {}
    tertiary = [row["code"] for row in tree if row["level"] == "tertiary"]
    for code in tertiary:
        top = max(raw[base_year][(c, code)] for c in regions)
        for y in raw:
            for city in regions:
                x = raw[y][(city, code)]
                scores[(city, code, y)] = 0.0 if top <= 0 else (10.0 if x == top else 10 * f(x) / f(top))
    for level in ("secondary", "first", "total"):
        for row in (r for r in tree if r["level"] == level):
            kids = [(r["code"], float(Fraction(r["weight"]))) for r in tree if r["parent"] == row["code"]]
            for y in raw:
                for city in regions:
                    scores[(city, row["code"], y)] = sum(w * scores[(city, k, y)] for k, w in kids)
    rows = []
    for city in regions:
        for row in tree:
            rows.append(("city", city, row["code"], scores[(city, row["code"], year)],
                         scores[(city, row["code"], base_year)]))
    for region in dict.fromkeys(regions.values()):
        members = [c for c, r in regions.items() if r == region]
        for row in tree:
            now = sum(scores[(c, row["code"], year)] for c in members) / len(members)
            base = sum(scores[(c, row["code"], base_year)] for c in members) / len(members)
            rows.append(("region", region, row["code"], now, base))
    frame = pl.DataFrame(rows, schema={"entity_kind": pl.Utf8, "entity": pl.Utf8, "indicator": pl.Utf8,
                                       "score": pl.Float64, "base_score": pl.Float64}, orient="row")
    span = year - base_year
    return frame.with_columns(
        pl.when((pl.col("base_score") > 0) & (span > 0))
        .then((pl.col("score") / pl.col("base_score")) ** (1 / max(span, 1)) - 1).alias("growth"),
        pl.col("score").round(9).rank("min", descending=True).over("entity_kind", "indicator").cast(pl.Int64).alias("rank"),
        pl.col("base_score").round(9).rank("min", descending=True).over("entity_kind", "indicator").cast(pl.Int64)
        .alias("base_rank"),
    )
