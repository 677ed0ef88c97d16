"""Golden tests of the chapter-4 tables (`chapter_tables`, `firms tables`), worked out by hand.

The raw folder is tests/golden_metrics/basic/raw/, the one of tests/test_metrics_golden.py; its docstring
lists every firm's city, region, tracks, patents, financing and certificates. The numbers below are
derived from those facts and the rules (docs/data-contract.md §2–§3, docs/metrics.md and the chapter rules in docs/tables.md), not
copied from the code's output. As of 2022 (the default snapshot year), min_patents=1, the universe is
F1–F8 (F9 has no patent):

| firm | city | region | primary tech | any tech | ht | patents (inventions) | rd | top-VC leads |
| F1 | 深圳 | 粤港澳大湾区 | blockchain | blockchain, ai | 1 | P1,P2,P3,P4 (P1,P3) | 100 | 1 |
| F2 | 深圳 | 粤港澳大湾区 | big_data | big_data | 0 | P4,P5 (P5) | 50 | 1 |
| F3 | 北京 | 京津冀 | ai | ai | 1 | P3,P6,P7 (P3,P7) | 80 | 1 |
| F4 | 上海 | 长三角 | internet | internet | 0 | P8,P9,P19 (P9,P19) | 0 | 1 |
| F5 | 杭州 | 长三角 | unclassified | unclassified | 1 | P10,P19 (P19) | 30 | 0 |
| F6 | 惠州 | 其他 | iot | iot | 0 | P11,P12,P13 (P12) | 20 | 0 |
| F7 | (none) | 未知 | unclassified | unclassified | 0 | P14 (P14) | 10 | 0 |
| F8 | 成都 | 成渝 | cloud | cloud | 0 | P15,P16 (P15) | 40 | 1 |
| F9 | 广州 | 粤港澳大湾区 | cloud | cloud | 1 | none | 5 | 0 |   (only with min_patents=0)

Shared patents: P3 (F1 深圳/粤港澳 + F3 北京/京津冀: two regions, two cities), P4 (F1 + F2, both 深圳),
P19 (F4 上海 + F5 杭州, both 长三角). National totals (all universe firms, 其他 and 未知 included):
firms 8, hightech 3, patents 17 (P1–P16, P19), inventions 9, rd_staff 330, top_vc_leads 5.

Groups (firms, ht, ht ratio, patents, inv, inv share, rd, rd/firm, top, top/firm):
- regions: 粤港澳 (F1,F2) 2,1,.5,5,3,.6,150,75,2,1 | 京津冀 (F3) 1,1,1,3,2,2/3,80,80,1,1 |
  长三角 (F4,F5) 2,1,.5,4,2,.5,30,15,1,.5 | 成渝 (F8) 1,0,0,2,1,.5,40,40,1,1 |
  其他 (F6) 1,0,0,3,1,1/3,20,20,0,0 | 未知 (F7) 1,0,0,1,1,1,10,10,0,0.
- tech (primary): each class one firm, but unclassified = F5 + F7: 2,1,.5,3,2,2/3,40,20,0,0.
  tech (any): ai = F1 + F3: 2,2,1,6 (P3 once),3,.5,180,90,2,1.
- cities: 深圳 (F1,F2), 北京, 上海, 杭州, 惠州, 成都 one firm each, and a null city (F7).

Dimension order: regions in the default regions table's order (京津冀, 长三角, 粤港澳大湾区, 成渝, …) then
其他, 未知; tech big_data, blockchain, ai, cloud, iot, internet, unclassified; cities by code point
(上 U+4E0A < 北 U+5317 < 广 U+5E7F < 惠 U+60E0 < 成 U+6210 < 杭 U+676D < 深 U+6DF1), null last.
"""

from __future__ import annotations

import csv
import io
import math
from pathlib import Path

import openpyxl
import polars as pl
import pytest
from typer.testing import CliRunner

import fintech_firms
from fintech_firms import chapter_tables
from fintech_firms.cli import app
from fintech_firms.ingest.pipeline import IngestOptions, ingest
from fintech_firms.ingest.progress import Quiet

RAW = Path(__file__).parent / "golden_metrics" / "basic" / "raw"

GBA, JJJ, CSJ, CY, OTHER, UNKNOWN = "粤港澳大湾区", "京津冀", "长三角", "成渝", "其他", "未知"
ALL = "ALL"
KEYS = ["by_region", "by_tech", "by_city", "region_tech", "tech_concentration", "tech_leaders", "top_share",
        "about"]
FILES = {f"{k}.csv" for k in KEYS} | {"chapter4.xlsx", "chapter4.md"}

# The profile tables' metric columns: each metric, its rank, and for counts shared with the nation, its share.
PROFILE_COLUMNS = [
    "firms", "firms_rank", "firms_share",
    "hightech_firms", "hightech_firms_rank",
    "hightech_ratio", "hightech_ratio_rank",
    "patents", "patents_rank", "patents_share",
    "invention_patents", "invention_patents_rank",
    "invention_share", "invention_share_rank",
    "rd_staff", "rd_staff_rank", "rd_staff_share",
    "rd_per_firm", "rd_per_firm_rank",
    "top_vc_leads", "top_vc_leads_rank", "top_vc_leads_share",
    "top_vc_leads_per_firm", "top_vc_leads_per_firm_rank",
]
RATIO_COLUMNS = {"firms_share", "hightech_ratio", "patents_share", "invention_share", "rd_staff_share",
                 "top_vc_leads_share"}
# National row: 8 firms, 3 high-tech, 17 patents, 9 inventions, 330 R&D staff, 5 top-VC leads; no ranks.
NATIONAL = (8, None, 1.0, 3, None, 3 / 8, None, 17, None, 1.0, 9, None, 9 / 17, None,
            330, None, 1.0, 330 / 8, None, 5, None, 1.0, 5 / 8, None)


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("chapter_tables") / "parquet"
    ingest(RAW, out, IngestOptions(), Quiet())
    return out


@pytest.fixture(scope="module")
def tables(data):
    """build once per set of options: `tables(**options)`."""
    cache: dict = {}

    def get(**options):
        key = tuple(sorted((k, tuple(v) if isinstance(v, list) else v) for k, v in options.items()))
        if key not in cache:
            cache[key] = chapter_tables(data, **options)
        return cache[key]

    return get


def same(got, want) -> bool:
    """Exact for ints, strings and nulls (an int must not come back as a float); floats to 1e-12."""
    if want is None or got is None:
        return got is None and want is None
    if isinstance(want, float):
        return isinstance(got, float) and math.isclose(got, want, rel_tol=1e-12, abs_tol=1e-15)
    if isinstance(want, bool) or isinstance(got, bool):
        return got is want
    if isinstance(want, int):
        return isinstance(got, int) and got == want
    return got == want


def check_rows(frame: pl.DataFrame, columns: list[str], expected: list[tuple]) -> None:
    """The frame's rows, in order, restricted to `columns`, equal `expected`."""
    rows = frame.select(columns).rows()
    assert len(rows) == len(expected), (len(rows), len(expected), [r[:2] for r in rows])
    for i, (got, want) in enumerate(zip(rows, expected)):
        assert len(got) == len(want), (i, columns)
        bad = [(col, g, w) for col, g, w in zip(columns, got, want) if not same(g, w)]
        assert not bad, f"row {i} {got[:2]}: (column, got, expected) {bad}"


# --- by_region ---------------------------------------------------------------------------------------

def test_table_keys(tables):
    result = tables()
    assert list(result) == KEYS
    for key, table in result.items():
        assert table.key == key
        assert [c.key for c in table.columns] == table.frame.columns


def test_by_region_every_row_and_column(tables):
    frame = tables()["by_region"].frame
    assert frame.columns == ["region", *PROFILE_COLUMNS]
    for name in PROFILE_COLUMNS:
        if name.endswith("_rank"):
            assert frame.schema[name] == pl.Int64, name
    # Ranks among 京津冀, 长三角, 粤港澳, 成渝 only; 其他 and 未知 have none. Rows by firms desc, then region
    # order: 长三角 (2) before 粤港澳 (2), then 京津冀, 成渝, 其他, 未知 (1 each), the national row last.
    check_rows(frame, ["region", *PROFILE_COLUMNS], [
        (CSJ,
         2, 1, 2 / 8,        # firms: tied with 粤港澳 for 1st
         1, 1,               # high-tech F5: 京津冀, 长三角, 粤港澳 have 1 each (1st), 成渝 0 (4th)
         0.5, 2,             # ratio: 京津冀 1.0 first; 0.5 shared with 粤港澳
         4, 2, 4 / 17,       # P8,P9,P10,P19 (P19 of F4+F5 once): 粤港澳 5 > 4 > 京津冀 3 > 成渝 2
         2, 2,               # P9,P19; tied with 京津冀 behind 粤港澳's 3
         0.5, 3,             # 2/3 (京津冀) > 0.6 (粤港澳) > 0.5 = 0.5 (成渝)
         30, 4, 30 / 330,    # F4 blank = 0, F5 30: the least of the four
         15.0, 4,
         1, 2, 1 / 5,        # E6 (Pre-C, 高瓴)
         0.5, 4),            # 1.0 for 粤港澳, 京津冀, 成渝
        (GBA,
         2, 1, 2 / 8,
         1, 1,               # F1 (F2's 2019 cert has lapsed)
         0.5, 2,
         5, 1, 5 / 17,       # P1–P5: P4 (F1+F2) once
         3, 1,               # P1, P3, P5
         0.6, 2,
         150, 1, 150 / 330,
         75.0, 2,
         2, 1, 2 / 5,        # E1, E4
         1.0, 1),
        (JJJ,
         1, 3, 1 / 8,
         1, 1,
         1.0, 1,
         3, 3, 3 / 17,       # P3 counts here and in 粤港澳
         2, 2,
         2 / 3, 1,
         80, 2, 80 / 330,
         80.0, 1,
         1, 2, 1 / 5,
         1.0, 1),
        (CY,
         1, 3, 1 / 8,
         0, 4,
         0.0, 4,
         2, 4, 2 / 17,
         1, 4,
         0.5, 3,
         40, 3, 40 / 330,
         40.0, 3,
         1, 2, 1 / 5,
         1.0, 1),
        (OTHER,              # 惠州 is not in the regions table: counted in the shares, never ranked
         1, None, 1 / 8,
         0, None,
         0.0, None,
         3, None, 3 / 17,
         1, None,
         1 / 3, None,
         20, None, 20 / 330,
         20.0, None,
         0, None, 0.0,
         0.0, None),
        (UNKNOWN,            # blank city
         1, None, 1 / 8,
         0, None,
         0.0, None,
         1, None, 1 / 17,
         1, None,
         1.0, None,
         10, None, 10 / 330,
         10.0, None,
         0, None, 0.0,
         0.0, None),
        (ALL, *NATIONAL),
    ])


# --- by_tech -----------------------------------------------------------------------------------------

def test_by_tech_primary_every_row_and_column(tables):
    frame = tables()["by_tech"].frame
    assert frame.columns == ["tech", *PROFILE_COLUMNS]
    # unclassified (F5 + F7) has the most firms, so it comes first, but it is never ranked.
    # Ranks among the six classes, one firm each: F2 big_data, F1 blockchain, F3 ai, F8 cloud, F6 iot, F4 internet.
    check_rows(frame, ["tech", *PROFILE_COLUMNS], [
        ("unclassified",
         2, None, 2 / 8, 1, None, 0.5, None, 3, None, 3 / 17, 2, None, 2 / 3, None,
         40, None, 40 / 330, 20.0, None, 0, None, 0.0, 0.0, None),
        ("big_data",         # P4 (design), P5 (inv); no valid certificate
         1, 1, 1 / 8, 0, 3, 0.0, 3, 2, 5, 2 / 17, 1, 4, 0.5, 3,
         50, 3, 50 / 330, 50.0, 3, 1, 1, 1 / 5, 1.0, 1),
        ("blockchain",       # 4 patents: the most; inventions 2 tied with ai and internet
         1, 1, 1 / 8, 1, 1, 1.0, 1, 4, 1, 4 / 17, 2, 1, 0.5, 3,
         100, 1, 100 / 330, 100.0, 1, 1, 1, 1 / 5, 1.0, 1),
        ("ai",
         1, 1, 1 / 8, 1, 1, 1.0, 1, 3, 2, 3 / 17, 2, 1, 2 / 3, 1,
         80, 2, 80 / 330, 80.0, 2, 1, 1, 1 / 5, 1.0, 1),
        ("cloud",
         1, 1, 1 / 8, 0, 3, 0.0, 3, 2, 5, 2 / 17, 1, 4, 0.5, 3,
         40, 4, 40 / 330, 40.0, 4, 1, 1, 1 / 5, 1.0, 1),
        ("iot",              # no top-tier lead: last of six
         1, 1, 1 / 8, 0, 3, 0.0, 3, 3, 2, 3 / 17, 1, 4, 1 / 3, 6,
         20, 5, 20 / 330, 20.0, 5, 0, 6, 0.0, 0.0, 6),
        ("internet",         # rd_staff blank = 0: last
         1, 1, 1 / 8, 0, 3, 0.0, 3, 3, 2, 3 / 17, 2, 1, 2 / 3, 1,
         0, 6, 0.0, 0.0, 6, 1, 1, 1 / 5, 1.0, 1),
        (ALL, *NATIONAL),
    ])


def test_by_tech_any_firms_and_patents(tables):
    frame = tables(tech_mode="any")["by_tech"].frame
    # F1 is in blockchain and ai: ai has 2 firms and 6 patents (P3 of F1 + F3 once); the national row
    # still counts F1 once (8 firms, 17 patents), so the shares add up to more than 1.
    check_rows(frame, ["tech", "firms", "firms_rank", "firms_share", "patents", "patents_rank", "patents_share"], [
        ("ai", 2, 1, 2 / 8, 6, 1, 6 / 17),
        ("unclassified", 2, None, 2 / 8, 3, None, 3 / 17),
        ("big_data", 1, 2, 1 / 8, 2, 5, 2 / 17),
        ("blockchain", 1, 2, 1 / 8, 4, 2, 4 / 17),
        ("cloud", 1, 2, 1 / 8, 2, 5, 2 / 17),
        ("iot", 1, 2, 1 / 8, 3, 3, 3 / 17),
        ("internet", 1, 2, 1 / 8, 3, 3, 3 / 17),
        (ALL, 8, None, 1.0, 17, None, 1.0),
    ])
    ai = frame.filter(pl.col("tech") == "ai")
    check_rows(ai, ["tech", *PROFILE_COLUMNS], [
        ("ai", 2, 1, 2 / 8, 2, 1, 1.0, 1, 6, 1, 6 / 17, 3, 1, 0.5, 2,   # inv P1,P3,P7; internet's 2/3 first, then 0.5 = big_data, blockchain, cloud
         180, 1, 180 / 330, 90.0, 2, 2, 1, 2 / 5, 1.0, 1),               # rd/firm 90 < blockchain's 100
    ])


# --- by_city -----------------------------------------------------------------------------------------

CITY_COLUMNS = ["region", "city", "firms", "firms_rank", "firms_share", "patents", "patents_rank",
                "patents_share", "invention_share", "invention_share_rank"]


def test_by_city(tables):
    frame = tables()["by_city"].frame
    assert frame.columns == ["region", "city", *PROFILE_COLUMNS]
    # 惠州 is a real city (region 其他) and is ranked; the null city is not.
    check_rows(frame, CITY_COLUMNS, [
        (GBA, "深圳", 2, 1, 2 / 8, 5, 1, 5 / 17, 0.6, 3),
        (JJJ, "北京", 1, 2, 1 / 8, 3, 2, 3 / 17, 2 / 3, 1),
        (CSJ, "上海", 1, 2, 1 / 8, 3, 2, 3 / 17, 2 / 3, 1),
        (CSJ, "杭州", 1, 2, 1 / 8, 2, 5, 2 / 17, 0.5, 4),
        (CY, "成都", 1, 2, 1 / 8, 2, 5, 2 / 17, 0.5, 4),
        (OTHER, "惠州", 1, 2, 1 / 8, 3, 2, 3 / 17, 1 / 3, 6),
        (UNKNOWN, None, 1, None, 1 / 8, 1, None, 1 / 17, 1.0, None),
        (ALL, ALL, 8, None, 1.0, 17, None, 1.0, 9 / 17, None),
    ])


def test_by_city_null_ratio_has_no_rank(tables):
    frame = tables(min_patents=0)["by_city"].frame
    # F9 (广州, no patent) joins: its invention share is null and so is its rank; its 0 patents rank last.
    # 9 firms, 17 patents nationally.
    check_rows(frame, CITY_COLUMNS, [
        (GBA, "深圳", 2, 1, 2 / 9, 5, 1, 5 / 17, 0.6, 3),
        (JJJ, "北京", 1, 2, 1 / 9, 3, 2, 3 / 17, 2 / 3, 1),
        (CSJ, "上海", 1, 2, 1 / 9, 3, 2, 3 / 17, 2 / 3, 1),
        (CSJ, "杭州", 1, 2, 1 / 9, 2, 5, 2 / 17, 0.5, 4),
        (GBA, "广州", 1, 2, 1 / 9, 0, 7, 0.0, None, None),
        (CY, "成都", 1, 2, 1 / 9, 2, 5, 2 / 17, 0.5, 4),
        (OTHER, "惠州", 1, 2, 1 / 9, 3, 2, 3 / 17, 1 / 3, 6),
        (UNKNOWN, None, 1, None, 1 / 9, 1, None, 1 / 17, 1.0, None),
        (ALL, ALL, 9, None, 1.0, 17, None, 1.0, 9 / 17, None),
    ])


# --- region_tech -------------------------------------------------------------------------------------

REGION_TECH_COLUMNS = ["tech", "region", "firms", "firms_share_of_tech", "patents", "patents_share_of_tech",
                       "rd_staff", "rd_staff_share_of_tech", "top_vc_leads", "top_vc_leads_share_of_tech"]


def test_region_tech_primary(tables):
    frame = tables()["region_tech"].frame
    assert frame.columns == REGION_TECH_COLUMNS
    # A share of a tech whose total is 0 (iot's top-VC leads, internet's R&D staff) is null.
    check_rows(frame, REGION_TECH_COLUMNS, [
        ("big_data", GBA, 1, 1.0, 2, 1.0, 50, 1.0, 1, 1.0),
        ("blockchain", GBA, 1, 1.0, 4, 1.0, 100, 1.0, 1, 1.0),
        ("ai", JJJ, 1, 1.0, 3, 1.0, 80, 1.0, 1, 1.0),
        ("cloud", CY, 1, 1.0, 2, 1.0, 40, 1.0, 1, 1.0),
        ("iot", OTHER, 1, 1.0, 3, 1.0, 20, 1.0, 0, None),
        ("internet", CSJ, 1, 1.0, 3, 1.0, 0, None, 1, 1.0),
        ("unclassified", CSJ, 1, 0.5, 2, 2 / 3, 30, 0.75, 0, None),     # F5 of F5 + F7 (3 patents, 40 staff)
        ("unclassified", UNKNOWN, 1, 0.5, 1, 1 / 3, 10, 0.25, 0, None),  # F7
    ])


def test_region_tech_any(tables):
    frame = tables(tech_mode="any")["region_tech"].frame
    # ai = F1 (粤港澳) + F3 (京津冀): 6 patents, 180 staff, 2 leads. P3 is in both regions, so the two
    # regions' patent shares (3/6 + 4/6) add up to more than 1.
    check_rows(frame, REGION_TECH_COLUMNS, [
        ("big_data", GBA, 1, 1.0, 2, 1.0, 50, 1.0, 1, 1.0),
        ("blockchain", GBA, 1, 1.0, 4, 1.0, 100, 1.0, 1, 1.0),
        ("ai", JJJ, 1, 0.5, 3, 3 / 6, 80, 80 / 180, 1, 0.5),
        ("ai", GBA, 1, 0.5, 4, 4 / 6, 100, 100 / 180, 1, 0.5),
        ("cloud", CY, 1, 1.0, 2, 1.0, 40, 1.0, 1, 1.0),
        ("iot", OTHER, 1, 1.0, 3, 1.0, 20, 1.0, 0, None),
        ("internet", CSJ, 1, 1.0, 3, 1.0, 0, None, 1, 1.0),
        ("unclassified", CSJ, 1, 0.5, 2, 2 / 3, 30, 0.75, 0, None),
        ("unclassified", UNKNOWN, 1, 0.5, 1, 1 / 3, 10, 0.25, 0, None),
    ])


# --- tech_concentration ------------------------------------------------------------------------------

CONCENTRATION_COLUMNS = ["tech", "regions",
                         "firms_top", "firms_all", "firms_share",
                         "patents_top", "patents_all", "patents_share",
                         "rd_staff_top", "rd_staff_all", "rd_staff_share",
                         "top_vc_leads_top", "top_vc_leads_all", "top_vc_leads_share"]


def test_tech_concentration_default_regions(tables):
    frame = tables()["tech_concentration"].frame
    assert frame.columns == CONCENTRATION_COLUMNS
    top = "京津冀+长三角+粤港澳大湾区"
    check_rows(frame, CONCENTRATION_COLUMNS, [
        ("big_data", top, 1, 1, 1.0, 2, 2, 1.0, 50, 50, 1.0, 1, 1, 1.0),           # F2 (粤港澳)
        ("blockchain", top, 1, 1, 1.0, 4, 4, 1.0, 100, 100, 1.0, 1, 1, 1.0),       # F1 (粤港澳)
        ("ai", top, 1, 1, 1.0, 3, 3, 1.0, 80, 80, 1.0, 1, 1, 1.0),                 # F3 (京津冀)
        ("cloud", top, 0, 1, 0.0, 0, 2, 0.0, 0, 40, 0.0, 0, 1, 0.0),               # F8 (成渝): outside
        ("iot", top, 0, 1, 0.0, 0, 3, 0.0, 0, 20, 0.0, 0, 0, None),                # F6 (其他); 0 leads: null
        ("internet", top, 1, 1, 1.0, 3, 3, 1.0, 0, 0, None, 1, 1, 1.0),            # F4 (长三角); 0 staff: null
        ("unclassified", top, 1, 2, 0.5, 2, 3, 2 / 3, 30, 40, 0.75, 0, 0, None),   # F5 in, F7 (未知) out
        # F1–F5: P1–P10 and P19 = 11 (P3 of 粤港澳 + 京津冀 once, P19 once); 100+50+80+0+30; E1,E4,E5,E6
        (ALL, top, 5, 8, 5 / 8, 11, 17, 11 / 17, 260, 330, 260 / 330, 4, 5, 4 / 5),
    ])


def test_tech_concentration_custom_regions(tables):
    frame = tables(top_regions=[GBA, JJJ])["tech_concentration"].frame
    top = "粤港澳大湾区+京津冀"
    check_rows(frame, CONCENTRATION_COLUMNS, [
        ("big_data", top, 1, 1, 1.0, 2, 2, 1.0, 50, 50, 1.0, 1, 1, 1.0),
        ("blockchain", top, 1, 1, 1.0, 4, 4, 1.0, 100, 100, 1.0, 1, 1, 1.0),
        ("ai", top, 1, 1, 1.0, 3, 3, 1.0, 80, 80, 1.0, 1, 1, 1.0),
        ("cloud", top, 0, 1, 0.0, 0, 2, 0.0, 0, 40, 0.0, 0, 1, 0.0),
        ("iot", top, 0, 1, 0.0, 0, 3, 0.0, 0, 20, 0.0, 0, 0, None),
        ("internet", top, 0, 1, 0.0, 0, 3, 0.0, 0, 0, None, 0, 1, 0.0),            # 长三角 is out now
        ("unclassified", top, 0, 2, 0.0, 0, 3, 0.0, 0, 40, 0.0, 0, 0, None),
        # F1, F2, F3: P1–P7 = 7, less than 粤港澳's 5 + 京津冀's 3 (P3 once); 230 staff; E1, E4, E5
        (ALL, top, 3, 8, 3 / 8, 7, 17, 7 / 17, 230, 330, 230 / 330, 3, 5, 3 / 5),
    ])


def test_tech_concentration_any_mode_custom_regions(tables):
    frame = tables(tech_mode="any", top_regions=[GBA, JJJ])["tech_concentration"].frame
    top = "粤港澳大湾区+京津冀"
    check_rows(frame.filter(pl.col("tech").is_in(["blockchain", "ai", "internet", ALL])), CONCENTRATION_COLUMNS, [
        ("blockchain", top, 1, 1, 1.0, 4, 4, 1.0, 100, 100, 1.0, 1, 1, 1.0),
        # ai = F1 (粤港澳, 4 patents) + F3 (京津冀, 3 patents), both inside: P3, which they share, once: 6.
        ("ai", top, 2, 2, 1.0, 6, 6, 1.0, 180, 180, 1.0, 2, 2, 1.0),
        ("internet", top, 0, 1, 0.0, 0, 3, 0.0, 0, 0, None, 0, 1, 0.0),
        # F1 counts once although it is in two classes.
        (ALL, top, 3, 8, 3 / 8, 7, 17, 7 / 17, 230, 330, 230 / 330, 3, 5, 3 / 5),
    ])


# --- tech_leaders ------------------------------------------------------------------------------------

LEADER_COLUMNS = ["tech", "metric", "leading_city", "city_value", "city_share_of_tech",
                  "leading_region", "region_value", "region_share_of_tech"]
LEADER_METRICS = ["firms", "hightech_firms", "patents", "invention_patents", "rd_staff", "top_vc_leads"]
NONE3 = (None, None, None)


def leaders(frame: pl.DataFrame, tech: str) -> pl.DataFrame:
    return frame.filter(pl.col("tech") == tech)


def test_tech_leaders_shape(tables):
    frame = tables()["tech_leaders"].frame
    assert frame.columns == LEADER_COLUMNS
    techs = ["big_data", "blockchain", "ai", "cloud", "iot", "internet", "unclassified"]
    assert frame.select("tech", "metric").rows() == [(t, m) for t in techs for m in LEADER_METRICS]


def test_tech_leaders_single_firm_and_zero_everywhere(tables):
    frame = tables()["tech_leaders"].frame
    # blockchain: F1 alone (深圳, 粤港澳).
    check_rows(leaders(frame, "blockchain"), LEADER_COLUMNS, [
        ("blockchain", "firms", "深圳", 1, 1.0, GBA, 1, 1.0),
        ("blockchain", "hightech_firms", "深圳", 1, 1.0, GBA, 1, 1.0),
        ("blockchain", "patents", "深圳", 4, 1.0, GBA, 4, 1.0),
        ("blockchain", "invention_patents", "深圳", 2, 1.0, GBA, 2, 1.0),
        ("blockchain", "rd_staff", "深圳", 100, 1.0, GBA, 100, 1.0),
        ("blockchain", "top_vc_leads", "深圳", 1, 1.0, GBA, 1, 1.0),
    ])
    # iot: F6 (惠州, region 其他). 惠州 is a city and leads; 其他 never leads. No certificate, no top-tier
    # lead: 0 everywhere, so no leader at all.
    check_rows(leaders(frame, "iot"), LEADER_COLUMNS, [
        ("iot", "firms", "惠州", 1, 1.0, *NONE3),
        ("iot", "hightech_firms", *NONE3, *NONE3),
        ("iot", "patents", "惠州", 3, 1.0, *NONE3),
        ("iot", "invention_patents", "惠州", 1, 1.0, *NONE3),
        ("iot", "rd_staff", "惠州", 20, 1.0, *NONE3),
        ("iot", "top_vc_leads", *NONE3, *NONE3),
    ])
    # internet: F4 (上海, 长三角), R&D staff blank = 0: no leader for rd_staff.
    check_rows(leaders(frame, "internet").filter(pl.col("metric").is_in(["rd_staff", "patents"])),
               LEADER_COLUMNS, [
        ("internet", "patents", "上海", 3, 1.0, CSJ, 3, 1.0),
        ("internet", "rd_staff", *NONE3, *NONE3),
    ])
    # unclassified: F5 (杭州, 长三角) + F7 (null city, 未知). F7 ties F5 on firms and inventions but a null
    # city and 未知 never lead; shares are of the class's totals (2 firms, 1 ht, 3 patents, 2 inv, 40 staff).
    check_rows(leaders(frame, "unclassified"), LEADER_COLUMNS, [
        ("unclassified", "firms", "杭州", 1, 0.5, CSJ, 1, 0.5),
        ("unclassified", "hightech_firms", "杭州", 1, 1.0, CSJ, 1, 1.0),
        ("unclassified", "patents", "杭州", 2, 2 / 3, CSJ, 2, 2 / 3),
        ("unclassified", "invention_patents", "杭州", 1, 0.5, CSJ, 1, 0.5),
        ("unclassified", "rd_staff", "杭州", 30, 0.75, CSJ, 30, 0.75),
        ("unclassified", "top_vc_leads", *NONE3, *NONE3),
    ])


def test_tech_leaders_ties_any_mode(tables):
    frame = tables(tech_mode="any")["tech_leaders"].frame
    # ai = F1 (深圳, 粤港澳) + F3 (北京, 京津冀); class totals: 2 firms, 2 ht, 6 patents, 3 inv (P1,P3,P7),
    # 180 staff, 2 leads. Ties are named together: cities by code point (北 < 深), regions in table order.
    both_cities, both_regions = "北京、深圳", "京津冀、粤港澳大湾区"
    check_rows(leaders(frame, "ai"), LEADER_COLUMNS, [
        ("ai", "firms", both_cities, 1, 0.5, both_regions, 1, 0.5),
        ("ai", "hightech_firms", both_cities, 1, 0.5, both_regions, 1, 0.5),
        ("ai", "patents", "深圳", 4, 4 / 6, GBA, 4, 4 / 6),
        ("ai", "invention_patents", both_cities, 2, 2 / 3, both_regions, 2, 2 / 3),  # P1,P3 vs P3,P7
        ("ai", "rd_staff", "深圳", 100, 100 / 180, GBA, 100, 100 / 180),
        ("ai", "top_vc_leads", both_cities, 1, 0.5, both_regions, 1, 0.5),
    ])


def test_tech_leaders_tie_region_order_differs_from_code_point(tables):
    frame = tables(min_patents=0)["tech_leaders"].frame
    # cloud = F8 (成都, 成渝) + F9 (广州, 粤港澳; no patent, 2021 certificate valid, 5 staff, no top lead).
    # Class totals: 2 firms, 1 ht, 2 patents, 1 inv, 45 staff, 1 lead. 广 < 成 by code point, while
    # 粤港澳大湾区 comes before 成渝 in the regions table.
    check_rows(leaders(frame, "cloud"), LEADER_COLUMNS, [
        ("cloud", "firms", "广州、成都", 1, 0.5, "粤港澳大湾区、成渝", 1, 0.5),
        ("cloud", "hightech_firms", "广州", 1, 1.0, GBA, 1, 1.0),
        ("cloud", "patents", "成都", 2, 1.0, CY, 2, 1.0),
        ("cloud", "invention_patents", "成都", 1, 1.0, CY, 1, 1.0),
        ("cloud", "rd_staff", "成都", 40, 40 / 45, CY, 40, 40 / 45),
        ("cloud", "top_vc_leads", "成都", 1, 1.0, CY, 1, 1.0),
    ])


# --- top_share ---------------------------------------------------------------------------------------

TOP_SHARE_COLUMNS = ["dimension", "metric", "members", "value", "total", "share"]


def test_top_share(tables):
    frame = tables()["top_share"].frame
    assert frame.columns == TOP_SHARE_COLUMNS
    check_rows(frame, TOP_SHARE_COLUMNS, [
        # firms: 长三角 2 and 粤港澳 2 (table order), then 京津冀 beats 成渝 (1 each) on table order.
        ("region", "firms", "长三角+粤港澳大湾区+京津冀", 5, 8, 5 / 8),
        # patents: 粤港澳 5, 长三角 4, 京津冀 3; together 11 < 12: P3 (粤港澳 + 京津冀) once.
        ("region", "patents", "粤港澳大湾区+长三角+京津冀", 11, 17, 11 / 17),
        # R&D staff: 粤港澳 150, 京津冀 80, 成渝 40 (长三角 30).
        ("region", "rd_staff", "粤港澳大湾区+京津冀+成渝", 270, 330, 270 / 330),
        # leads: 粤港澳 2, then 京津冀, 长三角, 成渝 with 1 each: table order.
        ("region", "top_vc_leads", "粤港澳大湾区+京津冀+长三角", 4, 5, 4 / 5),
        # firms: 深圳 2, then by code point 上海 < 北京 < 惠州 < 成都 < 杭州 (1 each).
        ("city", "firms", "深圳+上海+北京", 4, 8, 4 / 8),
        # patents: 深圳 5; 上海, 北京, 惠州 3 each. F1, F2, F4, F3: P1–P9, P19 = 10 < 11 (P3 once).
        ("city", "patents", "深圳+上海+北京", 10, 17, 10 / 17),
        # R&D staff: 深圳 150, 北京 80, 成都 40.
        ("city", "rd_staff", "深圳+北京+成都", 270, 330, 270 / 330),
        # leads: 深圳 2; 上海, 北京, 成都 1 each.
        ("city", "top_vc_leads", "深圳+上海+北京", 4, 5, 4 / 5),
    ])


def test_top_share_top_2(tables):
    frame = tables(top_n=2)["top_share"].frame
    check_rows(frame, TOP_SHARE_COLUMNS, [
        ("region", "firms", "长三角+粤港澳大湾区", 4, 8, 4 / 8),
        ("region", "patents", "粤港澳大湾区+长三角", 9, 17, 9 / 17),         # no patent shared: 5 + 4
        ("region", "rd_staff", "粤港澳大湾区+京津冀", 230, 330, 230 / 330),
        ("region", "top_vc_leads", "粤港澳大湾区+京津冀", 3, 5, 3 / 5),
        ("city", "firms", "深圳+上海", 3, 8, 3 / 8),
        ("city", "patents", "深圳+上海", 8, 17, 8 / 17),                     # P1–P5, P8, P9, P19
        ("city", "rd_staff", "深圳+北京", 230, 330, 230 / 330),
        ("city", "top_vc_leads", "深圳+上海", 3, 5, 3 / 5),
    ])


# --- about -------------------------------------------------------------------------------------------

def test_about_defaults(tables):
    frame = tables()["about"].frame
    assert frame.columns == ["setting", "value"]
    assert frame.rows() == [
        ("as_of", "2022"),   # the latest application year in the patents
        ("tech_mode", "primary"),
        ("min_patents", "1"),
        ("top_regions", "京津冀+长三角+粤港澳大湾区"),
        ("top_n", "3"),
        ("fintech_firms", fintech_firms.__version__),
    ]


def test_about_options(tables):
    frame = tables(tech_mode="any", top_regions=[GBA, JJJ])["about"].frame
    assert dict(frame.rows()) == {
        "as_of": "2022", "tech_mode": "any", "min_patents": "1", "top_regions": "粤港澳大湾区+京津冀",
        "top_n": "3", "fintech_firms": fintech_firms.__version__,
    }
    assert dict(tables(min_patents=0)["about"].frame.rows())["min_patents"] == "0"
    assert dict(tables(top_n=2)["about"].frame.rows())["top_n"] == "2"


# --- firms tables ------------------------------------------------------------------------------------

def _run(data: Path, out: Path) -> None:
    result = CliRunner().invoke(app, ["tables", "--data", str(data), "--out", str(out)])
    assert result.exit_code == 0, result.output


@pytest.fixture(scope="module")
def written(data, tmp_path_factory) -> tuple[Path, Path]:
    first = tmp_path_factory.mktemp("tables_first")
    second = tmp_path_factory.mktemp("tables_second")
    _run(data, first)
    _run(data, second)
    return first, second


def test_cli_writes_exactly_the_files(written):
    for folder in written:
        assert {p.name for p in folder.iterdir()} == FILES


def test_cli_twice_is_byte_identical(written, data):
    first, second = written
    for name in FILES:
        assert (first / name).read_bytes() == (second / name).read_bytes(), name
    _run(data, first)  # over the files of a previous run
    assert {p.name for p in first.iterdir()} == FILES
    for name in FILES:
        assert (first / name).read_bytes() == (second / name).read_bytes(), name


def test_cli_csv_has_the_english_keys(written, tables):
    folder = written[0]
    expected = tables()
    for key in KEYS:
        text = (folder / f"{key}.csv").read_text(encoding="utf-8")
        rows = list(csv.reader(io.StringIO(text)))
        assert rows[0] == [c.key for c in expected[key].columns], key
        assert len(rows) == 1 + expected[key].frame.height, key
    by_region = list(csv.DictReader(io.StringIO((folder / "by_region.csv").read_text(encoding="utf-8"))))
    assert [r["region"] for r in by_region] == [CSJ, GBA, JJJ, CY, OTHER, UNKNOWN, ALL]
    assert by_region[1]["patents"] == "5" and by_region[1]["patents_rank"] == "1"
    assert float(by_region[1]["patents_share"]) == pytest.approx(5 / 17)
    assert by_region[4]["patents_rank"] == ""  # 其他: no rank


BY_REGION_LABELS = [
    "区域",
    "企业数", "企业数排名", "企业数占全国比重",
    "高新技术企业数", "高新技术企业数排名",
    "高新技术企业占比", "高新技术企业占比排名",
    "专利数", "专利数排名", "专利数占全国比重",
    "发明专利数", "发明专利数排名",
    "发明专利占比", "发明专利占比排名",
    "研发人员数", "研发人员数排名", "研发人员数占全国比重",
    "企业平均研发人员数", "企业平均研发人员数排名",
    "头部资本领投次数", "头部资本领投次数排名", "头部资本领投次数占全国比重",
    "企业平均头部资本领投次数", "企业平均头部资本领投次数排名",
]


def _has_cjk(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


def test_cli_workbook(written, tables):
    book = openpyxl.load_workbook(written[0] / "chapter4.xlsx")
    expected = tables()
    assert book.sheetnames == KEYS
    for key in KEYS:
        sheet = book[key]
        table = expected[key]
        labels = [c.value for c in sheet[1]]
        keys = [c.value for c in sheet[2]]
        assert keys == [c.key for c in table.columns], key
        assert labels == [c.label for c in table.columns], key
        assert all(_has_cjk(label) for label in labels), (key, labels)
        assert sheet.max_row == 2 + table.frame.height, key
        # Counts, ranks and ratios are stored as numbers (empty where null); ratios as percentages.
        for j, column in enumerate(table.columns):
            if column.kind not in ("count", "rank", "ratio"):
                continue
            for (cell,) in sheet.iter_rows(min_row=3, min_col=j + 1, max_col=j + 1):
                want = int if column.kind in ("count", "rank") else (int, float)
                assert cell.value is None or (isinstance(cell.value, want) and not isinstance(cell.value, bool)), \
                    (key, column.key, cell.coordinate, cell.value)
                assert ("%" in cell.number_format) == (column.kind == "ratio"), \
                    (key, column.key, cell.coordinate, cell.number_format)
    sheet = book["by_region"]
    assert [c.value for c in sheet[1]] == BY_REGION_LABELS
    header = [c.value for c in sheet[2]]
    col = {name: header.index(name) for name in header}
    ratio_columns = RATIO_COLUMNS | {"invention_share"}
    for row in sheet.iter_rows(min_row=3):
        for name in ratio_columns:
            assert "%" in row[col[name]].number_format, (name, row[col[name]].number_format)
        for name in ("firms", "firms_rank", "patents", "rd_staff", "rd_per_firm"):
            assert "%" not in row[col[name]].number_format, name
    gba = next(row for row in sheet.iter_rows(min_row=3) if row[0].value == GBA)
    assert gba[col["firms"]].value == 2 and isinstance(gba[col["firms"]].value, int)
    assert gba[col["patents_rank"]].value == 1 and isinstance(gba[col["patents_rank"]].value, int)
    assert isinstance(gba[col["patents_share"]].value, float)
    assert gba[col["patents_share"]].value == pytest.approx(5 / 17)
    assert gba[col["invention_share"]].value == pytest.approx(0.6)
    assert gba[col["rd_per_firm"]].value == pytest.approx(75.0)
    assert gba[col["rd_staff"]].data_type == "n" and gba[col["patents_share"]].data_type == "n"
    other = next(row for row in sheet.iter_rows(min_row=3) if row[0].value == OTHER)
    assert other[col["patents_rank"]].value is None  # no rank: an empty cell, not text
    # top_share: value and share as numbers, share as a percentage.
    sheet = book["top_share"]
    header = [c.value for c in sheet[2]]
    row = [c for c in sheet[4]]  # region, patents
    assert row[header.index("value")].value == 11
    assert row[header.index("share")].value == pytest.approx(11 / 17)
    assert "%" in row[header.index("share")].number_format


def test_cli_markdown_names_every_table(written):
    text = (written[0] / "chapter4.md").read_text(encoding="utf-8")
    for key in KEYS:
        assert f"`{key}`" in text
