"""Golden tests of `aggregate`: every metric of every group, worked out by hand from a small raw folder.

The folder is tests/golden_metrics/basic/raw/ (UTF-8, English headers, default reference tables). It is
ingested once per module; each test calls `aggregate` and compares the whole result with a table written
out below. The expected numbers were derived from docs/data-contract.md (§2 rules, §3 command line) and docs/metrics.md
and the per-firm facts listed here, not copied from the engine's output.

Firms (firm_id in file order; F7 has a blank city, F9 never applies for a patent):

| firm | name | city -> (city, region) | tracks -> primary / any | rd_staff |
| F1 | 深圳链通科技有限公司 | 深圳 -> 深圳, 粤港澳大湾区 | 区块链;人工智能 -> blockchain / {blockchain, ai} | 100 |
| F2 | 深圳云帆数据有限公司 | 深圳市 -> 深圳, 粤港澳大湾区 | 大数据 -> big_data | 50 |
| F3 | 北京智语科技有限公司 | 北京 -> 北京, 京津冀 | 智能语音 -> ai | 80 |
| F4 | 上海汇付网络科技有限公司 | 上海 -> 上海, 长三角 | 元宇宙(unknown);移动支付 -> internet / {internet} | blank = 0 |
| F5 | 杭州量子数科有限公司 | 杭州 -> 杭州, 长三角 | 元宇宙;生物医药 (both unknown) -> unclassified | 30 |
| F6 | 惠州星辰智能有限公司 | 惠州市 -> 惠州 (not in table), 其他 | 物联网 -> iot | 20 |
| F7 | 远望信息技术有限公司 | blank -> null, 未知 | none -> unclassified | 10 |
| F8 | 成都蜀信科技有限公司 | 成都 -> 成都, 成渝 | 云计算 -> cloud | 40 |
| F9 | 广州云服软件有限公司 | 广州 -> 广州, 粤港澳大湾区 | SaaS -> cloud | 5 |

Patents (12-digit numbers without check digit; 5th digit 1 = invention, 2 = utility, 3 = design):

| P | year | type | applicants |
| P1 | 2019 | inv | F1 |
| P2 | 2020 | util | F1 |
| P3 | 2021 | inv | F1 (粤港澳) + F3 (京津冀): two regions |
| P4 | 2020 | design | F1 + F2: both 深圳, one region |
| P5 | 2022 | inv | F2 (written twice, once as CN202210000005: one patent) |
| P6 | 2018 | util | F3 + 张伟 (links to no firm) |
| P7 | 2022 | inv | F3 |
| P8 | 2020 | util | F4 |
| P9 | 2021 | inv | F4 + 清华大学 (no firm) |
| P10 | 2019 | design | F5 |
| P11 | 2020 | util | F6 |
| P12 | 2021 | inv | F6 |
| P13 | 2022 | util | F6 |
| P14 | 2017 | inv | F7 |
| P15 | 2021 | inv | F8 |
| P16 | 2022 | util | F8 |
| P17 | 2021 | util | 清华大学 only: no firm, in no group |
| P19 | 2022 | inv | F4 (上海) + F5 (杭州): both 长三角 |

Default snapshot year Y = 2022 (latest application year). Patents per firm as of 2022:
F1 {P1,P2,P3,P4} = 4 (inv P1,P3); F2 {P4,P5} = 2 (inv P5); F3 {P3,P6,P7} = 3 (inv P3,P7);
F4 {P8,P9,P19} = 3 (inv P9,P19); F5 {P10,P19} = 2 (inv P19); F6 {P11,P12,P13} = 3 (inv P12);
F7 {P14} = 1 (inv); F8 {P15,P16} = 2 (inv P15); F9 none.
All firm patents: P1-P16 and P19 = 17 distinct, of which inventions P1,P3,P5,P7,P9,P12,P14,P15,P19 = 9.

As of 2020: P1,P2,P4 (F1 = 3, inv P1); P4 (F2 = 1); P6 (F3 = 1); P8 (F4 = 1); P10 (F5 = 1);
P11 (F6 = 1); P14 (F7 = 1, inv); F8 has none (its patents are 2021 and 2022) and leaves the universe.

Financing (C+ = C-and-later; top = a lead investor is in top_vc.csv):

| event | firm | date | round | lead | C+ | top |
| E1 | F1 | 2019-05-01 | A轮 | 红杉资本中国基金 (alias of 红杉中国) | no | yes |
| E2 | F1 | 2021-06-01 | C轮, and again as 2021/6/1 Series C: one event | 星河资本 (not top-tier) | yes | no |
| E4 | F2 | 2020-03-15 | B轮 | 经纬中国 (alias of 经纬创投) | no | yes |
| E5 | F3 | 2022-01-10 | D轮 | IDG资本;星河资本 | yes | yes |
| E6 | F4 | 2018-07-01 | Pre-C | 高瓴 (alias of 高瓴资本) | no | yes |
| E7 | F9 | 2020-09-09 | 天使轮 | 星河资本 | no | no |
| E8 | F6 | 2020-11-11 | C+轮 | none | yes | no |
| E9 | 不存在科技有限公司 (no firm) | 2020-01-01 | A轮 | 红杉中国 | ignored |
| E10 | F8 | 2022-05-05 | E轮 | 腾讯 (alias of 腾讯投资) | yes | yes |

As of 2022 per firm (events, C+, top): F1 (2,1,1), F2 (1,0,1), F3 (1,1,1), F4 (1,0,1), F5 (0,0,0),
F6 (1,1,0), F7 (0,0,0), F8 (1,1,1), F9 (1,0,0).
As of 2020: F1 (1,0,1) [E2 of 2021 drops out], F2 (1,0,1), F3 (0,0,0) [E5 of 2022 drops out],
F4 (1,0,1), F5 (0,0,0), F6 (1,1,0), F7 (0,0,0), F9 (1,0,0).

High-tech certificates (valid in the issue year and the two years after), issue year -> valid in 2022? in 2020?
F1 2020 -> yes (Y-2) / yes; F2 2019 -> no (Y-3) / yes; F3 2021 -> yes / no (issued after Y);
F4 2018 -> no / yes (Y-2); F5 2022 (from cert_no only, GR2022...) -> yes / no; F6 2017 -> no / no (Y-3);
F7, F8: none; F9 2021 -> yes / no; a certificate of 不存在科技有限公司 (no firm) is ignored.
High-tech in 2022: F1, F3, F5, F9. In 2020: F1, F2, F4.

Per-firm rows used below, as of 2022 (firms, ht, patents, inv, rd, events, C+, top):
F1 (1,1,4,2,100,2,1,1)  F2 (1,0,2,1,50,1,0,1)  F3 (1,1,3,2,80,1,1,1)  F4 (1,0,3,2,0,1,0,1)
F5 (1,1,2,1,30,0,0,0)   F6 (1,0,3,1,20,1,1,0)  F7 (1,0,1,1,10,0,0,0)  F8 (1,0,2,1,40,1,1,1)
F9 (1,1,0,0,5,1,0,0)

Row order is not part of the contract, so rows are compared as a multiset; the total row must be last.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from fintech_firms import aggregate
from fintech_firms.ingest.pipeline import IngestOptions, ingest
from fintech_firms.ingest.progress import Quiet

RAW = Path(__file__).parent / "golden_metrics" / "basic" / "raw"

METRICS = ["firms", "hightech_firms", "hightech_ratio", "patents", "invention_patents", "invention_share",
           "rd_staff", "rd_per_firm", "financing_events", "c_plus_events", "top_vc_leads",
           "top_vc_leads_per_firm"]
RATIOS = {"hightech_ratio", "invention_share", "rd_per_firm", "top_vc_leads_per_firm"}

GBA, JJJ, CSJ, CY, OTHER, UNKNOWN = "粤港澳大湾区", "京津冀", "长三角", "成渝", "其他", "未知"
ALL = "ALL"


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("golden_metrics") / "parquet"
    ingest(RAW, out, IngestOptions(), Quiet())
    return out


def _sort_key(row: tuple) -> tuple:
    return tuple((value is None, "" if value is None else str(value)) for value in row)


def check(frame: pl.DataFrame, by: list[str], expected: list[tuple], total: tuple | None = None) -> None:
    """`expected`: one tuple per group (dimension values, then the 12 metrics in contract order);
    `total`: the 12 metrics of the with_total row, which must come last with "ALL" in every dimension."""
    assert frame.columns == [*by, *METRICS]
    for name, dtype in frame.schema.items():
        want = pl.String if name in by else pl.Float64 if name in RATIOS else pl.Int64
        assert dtype == want, (name, dtype)
    rows = frame.rows()
    if total is not None:
        assert rows[-1] == (*[ALL] * len(by), *total), rows[-1]
        rows = rows[:-1]
    assert sorted(rows, key=_sort_key) == sorted(expected, key=_sort_key)


# --- Whole-universe totals as of 2022 (F1-F8, min_patents=1) -------------------------------------------
TOTAL_2022 = (
    8,          # F1-F8 (F9 has no patent)
    3, 3 / 8,   # high-tech in 2022: F1 (2020 cert), F3 (2021), F5 (2022 from cert_no)
    17, 9, 9 / 17,  # P1-P16 + P19; P3 (two regions) and P4/P19 (two firms) once each; P17 has no firm
    330, 330 / 8,   # 100+50+80+0+30+20+10+40 (F4 blank = 0)
    7, 4, 5, 5 / 8,  # events F1 2 + F2,F3,F4,F6,F8 1; C+ E2,E5,E8,E10; top E1,E4,E5,E6,E10
)

# Groups that are a single firm as of 2022 (same numbers in every grouping that isolates the firm).
F2_ROW = (1, 0, 0.0, 2, 1, 0.5, 50, 50.0, 1, 0, 1, 1.0)          # P4 design, P5 inv; 2019 cert: Y-3
F1_ROW = (1, 1, 1.0, 4, 2, 0.5, 100, 100.0, 2, 1, 1, 1.0)        # E2 written twice = 1 event (C, not top)
F3_ROW = (1, 1, 1.0, 3, 2, 2 / 3, 80, 80.0, 1, 1, 1, 1.0)        # P3,P6,P7; E5 D轮 led by IDG资本
F4_ROW = (1, 0, 0.0, 3, 2, 2 / 3, 0, 0.0, 1, 0, 1, 1.0)          # rd blank -> 0; Pre-C is not C+
F5_ROW = (1, 1, 1.0, 2, 1, 0.5, 30, 30.0, 0, 0, 0, 0.0)          # P10 design, P19 inv
F6_ROW = (1, 0, 0.0, 3, 1, 1 / 3, 20, 20.0, 1, 1, 0, 0.0)        # C+轮 without lead: C+, not top
F7_ROW = (1, 0, 0.0, 1, 1, 1.0, 10, 10.0, 0, 0, 0, 0.0)
F8_ROW = (1, 0, 0.0, 2, 1, 0.5, 40, 40.0, 1, 1, 1, 1.0)          # E轮 led by 腾讯
F9_ROW = (1, 1, 1.0, 0, 0, None, 5, 5.0, 1, 0, 0, 0.0)           # no patents: share null
F1_F2_ROW = (
    2, 1, 0.5,
    5, 3, 0.6,   # {P1,P2,P3,P4} | {P4,P5}: P4 (co-applied by the two) once; inv P1,P3,P5
    150, 75.0,
    3, 1, 2, 1.0,  # F1 (2,1,1) + F2 (1,0,1)
)


def test_by_region_with_total(data):
    check(aggregate(data, by=["region"], with_total=True), ["region"], [
        (GBA, *F1_F2_ROW),
        (JJJ, *F3_ROW),  # P3 is counted here too (and once in the total)
        (CSJ,
         2, 1, 0.5,      # F4, F5; only F5 high-tech (F4's 2018 cert is too old in 2022)
         4, 2, 0.5,      # {P8,P9,P19} | {P10,P19}: P19 once; inv P9,P19
         30, 15.0,       # 0 (blank) + 30
         1, 0, 1, 0.5),  # E6 Pre-C, top-tier
        (CY, *F8_ROW),
        (OTHER, *F6_ROW),   # 惠州 is not in the regions table
        (UNKNOWN, *F7_ROW),  # blank city
    ], total=TOTAL_2022)


def test_by_tech_primary(data):
    check(aggregate(data, by=["tech"], with_total=True), ["tech"], [
        ("big_data", *F2_ROW),
        ("blockchain", *F1_ROW),  # F1's first track is 区块链
        ("ai", *F3_ROW),
        ("cloud", *F8_ROW),
        ("iot", *F6_ROW),
        ("internet", *F4_ROW),    # F4's first known track (移动支付); its first track is unknown
        ("unclassified",
         2, 1, 0.5,      # F5 (unknown tracks only, high-tech) + F7 (no tracks)
         3, 2, 2 / 3,    # {P10,P19} | {P14}; inv P19,P14
         40, 20.0,
         0, 0, 0, 0.0),
    ], total=TOTAL_2022)


def test_by_tech_any(data):
    check(aggregate(data, by=["tech"], tech_mode="any", with_total=True), ["tech"], [
        ("big_data", *F2_ROW),
        ("blockchain", *F1_ROW),
        ("ai",
         2, 2, 1.0,      # F1 (by its second track 人工智能) + F3, both high-tech
         6, 3, 0.5,      # {P1,P2,P3,P4} | {P3,P6,P7}: P3 once; inv P1,P3,P7
         180, 90.0,
         3, 2, 2, 1.0),  # F1 (2,1,1) + F3 (1,1,1)
        ("cloud", *F8_ROW),
        ("iot", *F6_ROW),
        ("internet", *F4_ROW),  # the unknown 元宇宙 adds no class
        ("unclassified", 2, 1, 0.5, 3, 2, 2 / 3, 40, 20.0, 0, 0, 0, 0.0),  # F5 + F7
    ], total=TOTAL_2022)  # F1 sits in two classes but counts once in the total


def test_by_city(data):
    check(aggregate(data, by=["city"]), ["city"], [
        ("深圳", *F1_F2_ROW),  # written 深圳 and 深圳市
        ("北京", *F3_ROW),
        ("上海", *F4_ROW),     # P19 counted here and in 杭州
        ("杭州", *F5_ROW),
        ("惠州", *F6_ROW),     # written 惠州市, not in the table: the name without 市
        ("成都", *F8_ROW),
        (None, *F7_ROW),       # blank city
    ])


def test_by_region_and_tech(data):
    check(aggregate(data, by=["region", "tech"]), ["region", "tech"], [
        (GBA, "big_data", *F2_ROW),     # P4 in both F1's and F2's groups
        (GBA, "blockchain", *F1_ROW),
        (JJJ, "ai", *F3_ROW),
        (CSJ, "internet", *F4_ROW),      # P19 in both 长三角 groups
        (CSJ, "unclassified", *F5_ROW),
        (CY, "cloud", *F8_ROW),
        (OTHER, "iot", *F6_ROW),
        (UNKNOWN, "unclassified", *F7_ROW),
    ])


def test_by_nothing(data):
    check(aggregate(data, by=[]), [], [TOTAL_2022])


def test_as_of_2020_by_region(data):
    check(aggregate(data, by=["region"], as_of=2020, with_total=True), ["region"], [
        (GBA,
         2, 2, 1.0,      # F1 (2020 cert) and F2 (2019 cert) both valid in 2020
         3, 1, 1 / 3,    # {P1,P2,P4} | {P4}; P3 (2021) and P5 (2022) drop out; inv P1
         150, 75.0,
         2, 0, 2, 1.0),  # E1 + E4 (both top-tier); E2 (2021, the C round) drops out
        (JJJ,
         1, 0, 0.0,      # F3's cert is issued 2021, after Y: not valid
         1, 0, 0.0,      # P6 only (utility)
         80, 80.0,
         0, 0, 0, 0.0),  # E5 (2022) drops out
        (CSJ,
         2, 1, 0.5,      # F4's 2018 cert is valid (Y-2); F5's 2022 cert is not
         2, 0, 0.0,      # P8 (util) + P10 (design); P9, P19 drop out
         30, 15.0,
         1, 0, 1, 0.5),  # E6
        (OTHER,
         1, 0, 0.0,      # F6's 2017 cert is Y-3: not valid
         1, 0, 0.0,      # P11 only
         20, 20.0,
         1, 1, 0, 0.0),  # E8 (2020-11-11) stays
        (UNKNOWN, *F7_ROW),  # P14 (2017) unchanged
        # no 成渝: F8's patents are all after 2020, so it is not in the universe
    ], total=(
        7, 3, 3 / 7,     # F1-F7; high-tech F1, F2, F4
        8, 2, 0.25,      # P1,P2,P4,P6,P8,P10,P11,P14; inv P1,P14
        290, 290 / 7,    # 330 - 40 (F8)
        4, 1, 3, 3 / 7,  # E1,E4,E6,E8; C+ E8; top E1,E4,E6
    ))


def test_min_patents_0_by_city(data):
    check(aggregate(data, by=["city"], min_patents=0, with_total=True), ["city"], [
        ("深圳", *F1_F2_ROW),
        ("北京", *F3_ROW),
        ("上海", *F4_ROW),
        ("杭州", *F5_ROW),
        ("惠州", *F6_ROW),
        ("成都", *F8_ROW),
        ("广州", *F9_ROW),  # F9 joins: patents 0, invention_share null; 2021 cert valid; 天使轮 E7
        (None, *F7_ROW),
    ], total=(
        9, 4, 4 / 9,        # + F9 (high-tech)
        17, 9, 9 / 17,      # F9 adds no patent
        335, 335 / 9,
        8, 4, 5, 5 / 9,     # + E7 (not C+, not top)
    ))


def test_min_patents_0_by_region(data):
    check(aggregate(data, by=["region"], min_patents=0), ["region"], [
        (GBA,
         3, 2, 2 / 3,    # F1, F2, F9; high-tech F1, F9
         5, 3, 0.6,
         155, 155 / 3,
         4, 1, 2, 2 / 3),  # + E7
        (JJJ, *F3_ROW),
        (CSJ, 2, 1, 0.5, 4, 2, 0.5, 30, 15.0, 1, 0, 1, 0.5),
        (CY, *F8_ROW),
        (OTHER, *F6_ROW),
        (UNKNOWN, *F7_ROW),
    ])


def test_min_patents_2_by_tech(data):
    check(aggregate(data, by=["tech"], min_patents=2, with_total=True), ["tech"], [
        ("big_data", *F2_ROW),     # F2 has exactly 2 (P4 shared, P5)
        ("blockchain", *F1_ROW),
        ("ai", *F3_ROW),
        ("cloud", *F8_ROW),
        ("iot", *F6_ROW),
        ("internet", *F4_ROW),
        ("unclassified", *F5_ROW),  # F7 (1 patent) drops out, F5 (2) stays
    ], total=(
        7, 3, 3 / 7,      # F1-F6, F8; high-tech F1, F3, F5
        16, 8, 0.5,       # 17 - P14 (F7's only patent)
        320, 320 / 7,     # 330 - 10
        7, 4, 5, 5 / 7,   # F7 had no events
    ))


def test_regions_selection_by_tech(data):
    frame = aggregate(data, by=["tech"], with_total=True, regions=[GBA, CSJ])
    check(frame, ["tech"], [
        ("big_data", *F2_ROW),
        ("blockchain", *F1_ROW),   # P3 still counts: it is F1's, though F3 (京津冀) is left out
        ("internet", *F4_ROW),
        ("unclassified", *F5_ROW),  # F7 (未知) is left out
    ], total=(
        4, 2, 0.5,       # F1, F2, F4, F5; high-tech F1, F5
        9, 5, 5 / 9,     # P1-P5 | P8,P9,P10,P19; inv P1,P3,P5,P9,P19
        180, 45.0,       # 100+50+0+30
        4, 1, 3, 0.75,   # F1 (2,1,1), F2 (1,0,1), F4 (1,0,1)
    ))


def test_cities_selection_by_region(data):
    frame = aggregate(data, by=["region"], with_total=True, cities=["深圳", "北京"])
    check(frame, ["region"], [
        (GBA, *F1_F2_ROW),
        (JJJ, *F3_ROW),
    ], total=(
        3, 2, 2 / 3,     # F1, F2, F3; high-tech F1, F3
        7, 4, 4 / 7,     # P1-P7: P3 (深圳 + 北京) once; inv P1,P3,P5,P7
        230, 230 / 3,
        4, 2, 3, 1.0,    # F1 (2,1,1), F2 (1,0,1), F3 (1,1,1)
    ))


def test_region_and_tech_any(data):
    check(aggregate(data, by=["region", "tech"], tech_mode="any"), ["region", "tech"], [
        (GBA, "big_data", *F2_ROW),
        (GBA, "blockchain", *F1_ROW),
        (GBA, "ai", *F1_ROW),            # F1 alone: F3 (ai) is in 京津冀
        (JJJ, "ai", *F3_ROW),
        (CSJ, "internet", *F4_ROW),
        (CSJ, "unclassified", *F5_ROW),
        (CY, "cloud", *F8_ROW),
        (OTHER, "iot", *F6_ROW),
        (UNKNOWN, "unclassified", *F7_ROW),
    ])


def test_fixture_ingests_as_designed(data):
    """The edge cases above rely on these facts of the ingest (contract §2, §4)."""
    assert pl.read_parquet(data / "quarantine.parquet").height == 0
    patents = pl.read_parquet(data / "patents.parquet")
    assert patents.height == 18  # 19 rows, CN202210000005 = 202210000005
    applicants = pl.read_parquet(data / "patent_applicants.parquet")
    assert sorted(applicants.filter(pl.col("firm_id").is_null())["applicant"].to_list()) == \
        sorted(["张伟", "清华大学", "清华大学"])
    firms = pl.read_parquet(data / "firms.parquet").sort("firm_id")
    assert firms.select("city", "region", "tech", "rd_staff").rows() == [
        ("深圳", GBA, "blockchain", 100), ("深圳", GBA, "big_data", 50), ("北京", JJJ, "ai", 80),
        ("上海", CSJ, "internet", None), ("杭州", CSJ, "unclassified", 30), ("惠州", OTHER, "iot", 20),
        (None, UNKNOWN, "unclassified", 10), ("成都", CY, "cloud", 40), ("广州", GBA, "cloud", 5),
    ]
