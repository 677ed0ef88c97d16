"""Shared by the report tests: the golden data folder's tables, a small index frame, the linking fixture of
test_links.py (a folder and its truth), reading a page back."""

from __future__ import annotations

import json
import re
from pathlib import Path

import polars as pl

from fintech_firms.ingest.pipeline import IngestOptions, ingest
from fintech_firms.ingest.progress import Quiet
from fintech_firms.report.linking import KEY as LINKING_KEY
from fintech_firms.report.linking import SERIES

RAW = Path(__file__).parent / "golden_metrics" / "basic" / "raw"
FIRST = ("要素基础", "智力支撑", "资源环境", "企业实力")

INDEX_COLUMNS = ("entity_kind", "entity", "region", "level", "indicator", "name_zh", "name_en", "first_level", "year",
                 "value", "score", "base_year", "base_value", "base_score", "growth", "rank", "base_rank",
                 "rank_change")


def ingest_golden(out: Path) -> Path:
    ingest(RAW, out, IngestOptions(), Quiet())
    return out


def ingest_linked(folder: Path) -> tuple[Path, Path]:
    """test_links.py's folder (three firms; fuzzy links right and wrong, near names unlinked), ingested, and
    its truth file: the sweep's figures are worked out by hand there."""
    from test_links import FIRMS, PATENTS, TRUTH

    raw = folder / "raw"
    raw.mkdir(parents=True)
    (raw / "firms.csv").write_text(FIRMS, encoding="utf-8")
    (raw / "patents.csv").write_text(PATENTS, encoding="utf-8")
    truth = folder / "truth.csv"
    truth.write_text(TRUTH, encoding="utf-8")
    ingest(raw, folder / "parquet", IngestOptions(), Quiet())
    return folder / "parquet", truth


def index_frame(kind: str, entities: list[tuple[str, str, float, float]]) -> pl.DataFrame:
    """The shape of `fintech_firms.index(level="all")`: for each (entity, region, total score, growth) a
    total row, the four first-level rows (score = total + 0.1 * i) and one secondary row, all for 2021."""
    rows = []
    ordered = sorted(entities, key=lambda e: -e[2])
    for rank, (entity, region, score, growth) in enumerate(ordered, start=1):
        def row(level: str, code: str, name: str, first: str | None, value: float, rank: int | None = rank,
                entity: str = entity, region: str = region, growth: float = growth) -> dict:
            base = value / (1 + growth)
            return {"entity_kind": kind, "entity": entity, "region": region, "level": level, "indicator": code,
                    "name_zh": name, "name_en": code, "first_level": first, "year": 2021, "value": value,
                    "score": value, "base_year": 2020, "base_value": base, "base_score": base, "growth": growth,
                    "rank": rank, "base_rank": rank, "rank_change": 0}
        rows.append(row("total", "FIRE", "总指数", None, score))
        for i, name in enumerate(FIRST):
            rows.append(row("first", f"F{i + 1}", name, name, score + 0.1 * i, None))
        rows.append(row("secondary", "S1", "企业研发", "企业实力", score - 1, None))
    schema = {c: pl.String for c in INDEX_COLUMNS} | {
        "year": pl.Int64, "base_year": pl.Int64, "rank": pl.Int64, "base_rank": pl.Int64, "rank_change": pl.Int64,
        "value": pl.Float64, "score": pl.Float64, "base_value": pl.Float64, "base_score": pl.Float64,
        "growth": pl.Float64}
    return pl.DataFrame(rows, schema=schema, orient="row")


CITIES = [("北京", "京津冀", 9.958, 0.036), ("深圳", "粤港澳大湾区", 9.5, 0.05), ("上海", "长三角", 9.7, 0.02),
          ("杭州", "长三角", 8.1, -0.01)]
REGIONS = [("京津冀", "京津冀", 7.5, 0.03), ("粤港澳大湾区", "粤港澳大湾区", 7.289, 0.0678), ("长三角", "长三角", 7.9, 0.02)]


def index_frames() -> dict[str, pl.DataFrame]:
    return {"city": index_frame("city", CITIES), "region": index_frame("region", REGIONS)}


def embedded_specs(html: str) -> dict[str, dict]:
    match = re.search(r'<script type="application/json" id="fire-specs">(.*?)</script>', html, re.S)
    assert match, "the page holds no specs"
    specs: dict[str, dict] = json.loads(match.group(1))
    return specs


def values(spec: dict) -> list[dict]:
    data: list[dict] = spec["data"]["values"]
    return data


def drawn_marks(key: str, spec: dict) -> int:
    """Marks a chart should draw: a bar or cell per row of its data; the linking chart, a point per precision
    and recall value of the margin it draws (its data are the whole sweep; its filter names the margin)."""
    rows = values(spec)
    if key != LINKING_KEY:
        return len(rows)
    keep = spec["layer"][0]["transform"][0]["filter"]
    margin = int(keep.rsplit("===", 1)[1])
    return sum(row[column] is not None for row in rows if row["margin"] == margin for column, _, _ in SERIES)
