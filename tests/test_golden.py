"""Golden end-to-end tests: `firms ingest tests/golden/<case>/raw` against expectations written by hand.

Every expected value below was worked out from /work/shared/data-contract.md (§1 inputs, §2 rules, §4
tables) before the engine was run; none is copied from its output. A new case is a new folder
`tests/golden/<case>/raw/` plus one entry in CASES.

Conventions the expectations rely on:
- firm_id is 1..n in the order of each merged firm's first record in the firms file;
- app_no is canonical: the 12 (or 8) digits, ".", the check character;
- tables are compared on the listed columns only, after sorting both sides by the stated keys (the
  contract fixes no row order);
- quarantine reasons and report keys are the engine's wording (the contract only asks for "a reason").

The cases (see each raw folder; the xlsx workbooks come from tests/golden/make_xlsx.py):
- gb18030_chinese: every file GB18030 with Chinese headers. Same-USCC duplicates under two names;
  a USCC-less record joining the one USCC firm of its name; full-width/half-width parentheses and
  spaces merging two USCC-less records; an invalid USCC (reported, record kept); two firms sharing a
  former name (ambiguous); a typo only fuzzy matching links (90.91 vs 52.17 for the runner-up);
  a co-applied patent (深圳 + 北京) written twice (CN…/spaces, no check digit) with different
  applicants; an 8-digit number; wrong check digit and malformed numbers; patent_type disagreeing
  with the number; 张三 / 清华大学; 红杉资本中国基金 → 红杉中国, 高瓴 → 高瓴资本; C+ and Pre-C rounds;
  "B轮" vs "Series B" under two names of one firm; an invalid date; a cert year from cert_no only; a
  cert without any year; an unknown first track; blank city (未知) and a city not in the table (其他).
- xlsx: firms/patents/financing as .xlsx with date cells and number cells (rd_staff, and an
  application number typed as a 12-digit number, its other form as text), hightech as plain UTF-8.
  Three records with one name: two with different valid USCCs (two firms) and one without a USCC
  (a third firm, since no single USCC firm owns the name) — so that name is ambiguous; check char X;
  a firm with no tracks (unclassified); Pre-IPO by 深创投集团; C轮 vs Series C with a midnight
  datetime cell; missing round, missing firm name and USCC.
- utf8_bom: UTF-8 with BOM, English headers, `;` `、` `|` lists, dates 2021/3/5, 20210305,
  2021年3月5日, bare 2021, "1,050". Latin case/spacing and full-width Latin and parentheses in names;
  a USCC-less first record whose name is later carried with a USCC (the firm's name is the first
  record's, its USCC the later one's); a fuzzy query equidistant from two firms (91.67 each:
  ambiguous); a fuzzy score of exactly 90 (the threshold: linked); a PCT-style number whose app_date
  year (2017) differs from the number's (2018); B轮/Series B duplicates in three date spellings plus a
  distinct B+ round; C++; Pre-C led by 红杉 (top-tier, not C-and-later); 经纬中国 → 经纬创投; a bare-year
  financing date (date unknown, event kept); an unparseable date.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal
from typer.testing import CliRunner

from fintech_firms.cli import app

GOLDEN = Path(__file__).parent / "golden"

NO_YEAR = "no issue year (issue_date blank or invalid, cert_no without a GR year)"
WRONG_CHECK = "wrong check digit"
MALFORMED = "malformed application number"

SCHEMAS = {
    "firms": {"firm_id": pl.Int64, "name": pl.Utf8, "uscc": pl.Utf8, "city": pl.Utf8,
              "province": pl.Utf8, "region": pl.Utf8, "rd_staff": pl.Int64, "tech": pl.Utf8},
    "firm_tracks": {"firm_id": pl.Int64, "position": pl.Int64, "track": pl.Utf8, "tech": pl.Utf8},
    "patents": {"app_no": pl.Utf8, "patent_type": pl.Utf8, "app_year": pl.Int64},
    "patent_applicants": {"app_no": pl.Utf8, "applicant": pl.Utf8, "firm_id": pl.Int64,
                          "link_method": pl.Utf8},
    "financing": {"firm_id": pl.Int64, "date": pl.Date, "round": pl.Utf8, "is_c_plus": pl.Boolean,
                  "is_top_vc_led": pl.Boolean},
    "hightech": {"firm_id": pl.Int64, "cert_no": pl.Utf8, "issue_year": pl.Int64},
    "quarantine": {"source": pl.Utf8, "row": pl.Int64, "reason": pl.Utf8},
}
# Sort keys: both sides are sorted by these before comparing.
SORT_KEYS = {
    "firms": ["firm_id"],
    "firm_tracks": ["firm_id", "position"],
    "patents": ["app_no"],
    "patent_applicants": ["app_no", "applicant"],
    "financing": ["firm_id", "date", "round"],
    "hightech": ["cert_no"],
    "quarantine": ["source", "row"],
}
TABLES = list(SCHEMAS)


def links(uscc=0, exact=0, former_name=0, fuzzy=0, manual=0, ambiguous=0, no_match=0,
          manual_none=0) -> dict[str, int]:
    return {"uscc": uscc, "exact": exact, "former_name": former_name, "fuzzy": fuzzy, "manual": manual,
            "ambiguous": ambiguous, "no match": no_match, "manual: none": manual_none}


@dataclass(frozen=True)
class Expected:
    # file -> (encoding, rows_read, kept, merged_duplicates, quarantined_by_reason)
    files: dict[str, tuple[str, int, int, int, dict[str, int]]]
    tables: dict[str, list[tuple]]
    links: dict[str, dict[str, int]]  # patents / financing / hightech
    invalid_usccs: int
    type_disagreements: int
    unlinked: dict[str, int]  # unlinked name -> rows carrying it
    fuzzy_scores: dict[str, float]  # fuzzy-linked applicant -> fuzz.ratio on normalised names


D = dt.date

CASES: dict[str, Expected] = {
    # ------------------------------------------------------------------------------------------------
    "gb18030_chinese": Expected(
        files={
            # 12 records -> 9 firms: rows 1+3 (one USCC), 2+5 (no-USCC row joins the one USCC firm of
            # its name), 9+10 (names equal after NFKC/whitespace/parentheses).
            "firms.csv": ("gb18030", 12, 9, 3, {}),
            # 13 rows, 2 quarantined, 11 valid -> 10 applications (rows 1 and 2 are one).
            "patents.csv": ("gb18030", 13, 10, 1, {MALFORMED: 1, WRONG_CHECK: 1}),
            # rows 1+2: firm 1, 2018-03-05, B轮 = Series B; row 6 has month 13.
            "financing.csv": ("gb18030", 7, 5, 1, {"invalid date": 1}),
            "hightech.csv": ("gb18030", 4, 3, 0, {NO_YEAR: 1}),
        },
        tables={
            "firms": [
                (1, "深圳市链融科技有限公司", "9144030007954321XC", "深圳", "广东省", "粤港澳大湾区", 120, "blockchain"),
                (2, "北京云图智算科技有限公司", "9111010857891234AH", "北京", "北京市", "京津冀", 300, "cloud"),
                (3, "上海融智信息技术有限公司", None, "上海", "上海市", "长三角", 86, "ai"),
                # invalid USCC (check char 1, should be M): ignored, record kept
                (4, "杭州数智物联科技有限公司", None, "杭州", "浙江省", "长三角", 45, "iot"),
                # first track 元宇宙 unknown -> primary is the first known one
                (5, "成都天府金服科技有限公司", "9151010068904567CC", "成都", "四川省", "成渝", 60, "internet"),
                (6, "武汉光谷数据科技有限公司", "9142010055512345DR", "武汉", "湖北省", "长江中游", 200, "big_data"),
                (7, "智慧金融（上海）信息服务有限公司", None, "上海", "上海市", "长三角", 30, "internet"),
                (8, "星河数据科技有限公司", None, None, None, "未知", None, "ai"),
                (9, "扬州智能科技有限公司", None, "扬州", "江苏省", "其他", 12, "blockchain"),
            ],
            "firm_tracks": [
                (1, 1, "区块链", "blockchain"), (1, 2, "大数据", "big_data"), (1, 3, "智能风控", "big_data"),
                (2, 1, "云计算", "cloud"), (2, 2, "人工智能", "ai"),
                (3, 1, "机器学习", "ai"),
                (4, 1, "物联网", "iot"),
                (5, 1, None, None), (5, 2, "互联网金融", "internet"),
                (6, 1, "大数据", "big_data"),
                (7, 1, "智慧金融", "internet"),
                (8, 1, "人工智能", "ai"),  # "AI": alias
                (9, 1, "区块链", "blockchain"),  # "Blockchain": alias
            ],
            "patents": [
                ("02123456.6", "invention", 2002),  # 8-digit: type from 3rd digit, year 20YY
                ("201610920041.1", "invention", 2016),
                ("201620289943.5", "utility", 2016),  # written 发明: the number wins
                ("201830123456.6", "design", 2018),
                ("201910456789.4", "invention", 2019),
                ("201910777888.2", "invention", 2019),
                ("202020567890.5", "utility", 2020),
                ("202110111222.0", "invention", 2021),
                ("202120333444.2", "utility", 2021),
                ("202210222333.3", "invention", 2022),
            ],
            "patent_applicants": [
                ("02123456.6", "上海融智网络科技有限公司", 3, "former_name"),
                # written "CN201610920041.1" and "2016 1092 0041": one application, applicants united
                ("201610920041.1", "北京云图智算科技有限公司", 2, "exact"),
                ("201610920041.1", "深圳市链融科技有限公司", 1, "exact"),
                ("201610920041.1", "深圳市链融网络有限公司", 1, "former_name"),
                ("201610920041.1", "清华大学", None, None),
                ("201620289943.5", "北京云图智算科技有限公司", 2, "exact"),
                ("201830123456.6", "杭州数智物联科技有限公司", 4, "exact"),
                ("201910456789.4", "张三", None, None),
                ("201910456789.4", "金信数据有限公司", None, None),  # former name of firms 5 and 6
                ("201910777888.2", "深圳链融科技股份有限公司", 1, "exact"),  # name of firm 1's 2nd record
                ("202020567890.5", "深圳市链融科枝有限公司", 1, "fuzzy"),
                ("202110111222.0", "成都天府金服科技有限公司", 5, "exact"),
                ("202120333444.2", "武汉光谷数据科技有限公司", 6, "exact"),
                ("202210222333.3", "智慧金融(上海)信息服务有限公司", 7, "exact"),
            ],
            "financing": [
                (1, D(2018, 3, 5), "B", False, True),  # 红杉资本中国基金 / 红杉中国
                (2, D(2020, 7, 1), "C+", True, True),  # 高瓴 -> 高瓴资本
                (3, D(2019, 1, 15), "Pre-C", False, False),
                (5, D(2021, 6, 30), "D", True, True),
                (None, D(2020, 1, 1), "天使轮", False, False),
            ],
            "hightech": [
                (1, "GR201944001234", 2019),  # USCC link (the name as written is no firm's)
                (2, "GR202011005678", 2020),  # issue_date blank: year from cert_no
                (3, "GR202131000111", 2021),  # former name
            ],
            "quarantine": [
                ("financing.csv", 6, "invalid date"),
                ("hightech.csv", 4, NO_YEAR),
                ("patents.csv", 5, WRONG_CHECK),  # 201710123456.7, check is 0
                ("patents.csv", 6, MALFORMED),  # 2017101234: 10 digits
            ],
        },
        links={
            "patents": links(exact=8, former_name=2, fuzzy=1, ambiguous=1, no_match=2),
            "financing": links(exact=4, no_match=1),
            "hightech": links(uscc=1, exact=1, former_name=1),
        },
        invalid_usccs=1,
        type_disagreements=1,
        unlinked={"清华大学": 1, "张三": 1, "金信数据有限公司": 1, "某某未来科技有限公司": 1},
        fuzzy_scores={"深圳市链融科枝有限公司": 90.91},  # 200*10/22; runner-up firm 3 at 52.17
    ),
    # ------------------------------------------------------------------------------------------------
    "xlsx": Expected(
        files={
            # 11 records -> 9 firms: 1+4 (USCC), 3+5 (name, no USCC anywhere); rows 9, 10, 11 are
            # three firms (two USCCs of one name, so the USCC-less row 11 joins neither).
            "firms.xlsx": ("xlsx", 11, 9, 2, {}),
            "patents.xlsx": ("xlsx", 10, 7, 1, {MALFORMED: 1, WRONG_CHECK: 1}),
            "financing.xlsx": ("xlsx", 7, 4, 1, {"missing firm name and USCC": 1, "missing round": 1}),
            "hightech.csv": ("utf-8", 3, 3, 0, {}),
        },
        tables={
            "firms": [
                (1, "广州羊城支付科技有限公司", "91440101MA59ABCD1D", "广州", "广东省", "粤港澳大湾区", 210, "internet"),
                (2, "南京紫金区块链科技有限公司", "91320100MA1MXY123Y", "南京", "江苏省", "长三角", 55, "blockchain"),
                (3, "厦门鹭岛智能科技有限公司", None, "厦门", "福建省", "海峡西岸", 33, "ai"),
                (4, "西安古城数据科技有限公司", "91610131MA6TG1234B", "西安", "陕西省", "西北地区", 1000, "big_data"),
                (5, "苏州金鸡湖金融信息服务有限公司", None, "苏州", "江苏省", "长三角", None, "internet"),
                (6, "青岛海湾物联科技有限公司", "91370212MA3CF5678A", "青岛", "山东省", "山东半岛", 12, "iot"),
                (7, "重庆山城金融科技有限公司", "91500000MA5U12345P", "重庆", "重庆市", "成渝", 20, "internet"),
                (8, "重庆山城金融科技有限公司", "91500112MA60AB987W", "重庆", "重庆市", "成渝", 25, "internet"),
                (9, "重庆山城金融科技有限公司", None, "重庆", "重庆市", "成渝", 5, "unclassified"),
            ],
            "firm_tracks": [
                (1, 1, "移动支付", "internet"), (1, 2, "互联网金融", "internet"), (1, 3, "智能风控", "big_data"),
                (2, 1, "区块链", "blockchain"),
                (3, 1, "计算机视觉", "ai"),
                (4, 1, "大数据", "big_data"), (4, 2, "数据安全", "big_data"),
                (5, 1, "金融信息服务", "internet"),
                (6, 1, "智能硬件", "iot"),
                (7, 1, "智慧金融", "internet"),
                (8, 1, "保险科技", "internet"),
            ],
            "patents": [
                ("201810246810.3", "invention", 2018),
                ("201920765432.X", "utility", 2019),  # check char X
                ("202010123456.2", "invention", 2020),  # text "CN…2" and number cell 202010123456
                ("202110555666.3", "invention", 2021),
                ("202120777888.5", "utility", 2021),
                ("202130111222.1", "design", 2021),  # written "invention": the number wins
                ("97104567.4", "invention", 1997),  # 8-digit, no app_date: year 19YY
            ],
            "patent_applicants": [
                ("201810246810.3", "广州羊城网络科技有限公司", 1, "former_name"),
                ("201810246810.3", "李四", None, None),
                ("201920765432.X", "厦门鹭岛智能科技有限公司", 3, "exact"),
                ("202010123456.2", "南京紫金区块链科技有限公司", 2, "exact"),
                ("202010123456.2", "广州羊城支付科技有限公司", 1, "exact"),
                ("202010123456.2", "羊城支付有限公司", 1, "former_name"),  # from firm 1's 2nd record
                ("202010123456.2", "西安古城数据科技有限公司", 4, "exact"),
                ("202110555666.3", "重庆山城金融科技有限公司", None, None),  # names firms 7, 8, 9
                ("202120777888.5", "青岛海湾物联科技有限公", 6, "fuzzy"),
                ("202130111222.1", "苏州金鸡湖金融信息服务有限公司", 5, "exact"),
                ("97104567.4", "清华大学", None, None),
                ("97104567.4", "西安古城数据科技有限公司", 4, "exact"),
            ],
            "financing": [
                (1, D(2019, 6, 10), "C", True, True),  # C轮 + Series C; 红杉资本中国基金
                (2, D(2021, 2, 3), "A+", False, False),
                (3, D(2020, 1, 20), "D", True, False),  # no lead investor
                (4, D(2022, 9, 9), "Pre-IPO", True, True),  # 深创投集团 -> 深创投
            ],
            "hightech": [
                (3, "GR201835000222", 2018),  # from cert_no
                (2, "GR202132001111", 2021),
                (1, "GR202244000333", 2022),  # former name
            ],
            "quarantine": [
                ("financing.xlsx", 6, "missing round"),
                ("financing.xlsx", 7, "missing firm name and USCC"),
                ("patents.xlsx", 6, WRONG_CHECK),  # 202110999000.1, check is 7
                ("patents.xlsx", 7, MALFORMED),  # CN2021-10345678
            ],
        },
        links={
            "patents": links(exact=6, former_name=2, fuzzy=1, ambiguous=1, no_match=2),
            "financing": links(uscc=1, exact=3),
            "hightech": links(uscc=1, exact=1, former_name=1),
        },
        invalid_usccs=0,
        type_disagreements=1,
        unlinked={"李四": 1, "清华大学": 1, "重庆山城金融科技有限公司": 1},
        fuzzy_scores={"青岛海湾物联科技有限公": 95.65},  # 200*11/23
    ),
    # ------------------------------------------------------------------------------------------------
    "utf8_bom": Expected(
        files={
            # 11 records -> 8 firms: 1+2 (name: case, spaces), 3+4 (full-width Latin and parentheses;
            # row 3 has no USCC and joins row 4's USCC firm), 5+7 (USCC).
            "firms.csv": ("utf-8-sig", 11, 8, 3, {}),
            "patents.csv": ("utf-8-sig", 13, 10, 1, {MALFORMED: 1, WRONG_CHECK: 1}),
            # rows 1+2 one event (2021/3/5 = 20210305, B轮 = Series B); row 3 is B+ (another event)
            "financing.csv": ("utf-8-sig", 8, 6, 1, {"unparseable date": 1}),
            "hightech.csv": ("utf-8-sig", 4, 4, 0, {}),
        },
        tables={
            "firms": [
                (1, "深圳市FinData科技有限公司", None, "深圳", "广东省", "粤港澳大湾区", 1050, "big_data"),
                (2, "ＡＢＣ智能（天津）科技有限公司", "91120116MA05JK123K", "天津", "天津市", "京津冀", 66, "ai"),
                (3, "长沙麓山金融科技有限公司", "91430100MA4L12345A", "长沙", "湖南省", "长江中游", 2300, "internet"),
                (4, "合肥声谷智能科技有限公司", "91340100MA2N98765J", "合肥", "安徽省", "长三角", 140, "ai"),
                (5, "济南泉城数据有限公司", "91370100MA3M24680C", "济南", "山东省", "山东半岛", 0, "big_data"),
                (6, "沈阳北方数据科技有限公司", "91210100MA0Y13579P", "沈阳", "辽宁省", "东北地区", 25, "big_data"),
                (7, "沈阳北方数字科技有限公司", "91210102MA0U24681R", "沈阳", "辽宁省", "东北地区", 18, "blockchain"),
                (8, "郑州中原云科技有限公司", None, "郑州", "河南省", "黄淮", 77, "cloud"),
            ],
            "firm_tracks": [
                (1, 1, "大数据", "big_data"), (1, 2, "区块链", "blockchain"), (1, 3, "智能投顾", "internet"),
                (2, 1, "人工智能", "ai"), (2, 2, "机器学习", "ai"),
                (3, 1, "网络借贷", "internet"), (3, 2, "互联网金融", "internet"),  # 消费金融: alias
                (4, 1, "智能语音", "ai"), (4, 2, "知识图谱", "ai"),
                (5, 1, "数据挖掘", "big_data"),  # Data Mining: alias
                (6, 1, "数据安全", "big_data"),
                (7, 1, "数字货币", "blockchain"),
                (8, 1, "云计算", "cloud"), (8, 2, "SaaS", "cloud"),  # Cloud Computing: alias
            ],
            "patents": [
                ("01234567.9", "utility", 2001),  # written "design": the number wins; year 20YY
                ("201880012345.5", "invention", 2017),  # app_date 2017/5/1 wins over the number's 2018
                ("201911234567.4", "invention", 2019),
                ("201930001234.1", "design", 2019),
                ("202020123456.8", "utility", 2020),
                ("202110246802.0", "invention", 2021),
                ("202110345678.3", "invention", 2021),  # "CN 2021 1034 5678.3" and "202110345678"
                ("202110555777.4", "invention", 2021),
                ("202110888999.8", "invention", 2021),
                ("202210987654.2", "invention", 2022),
            ],
            "patent_applicants": [
                ("01234567.9", "ABC智能（天津）科技有限公司", 2, "exact"),
                ("201880012345.5", "合肥声谷智能科技有限公司", 4, "exact"),
                ("201911234567.4", "济南泉城数据有限公司", 5, "exact"),
                ("201911234567.4", "长沙麓山金融科技有限公司", 3, "exact"),
                ("201930001234.1", "济南泉城数据有限公司", 5, "exact"),
                ("202020123456.8", "沈阳北方数码科技有限公司", None, None),  # 91.67 for firms 6 and 7
                ("202110246802.0", "郑州中原云科技公司", 8, "fuzzy"),  # exactly 90
                ("202110345678.3", "合肥声谷智能科技有限公司", 4, "exact"),
                ("202110345678.3", "张三", None, None),
                ("202110345678.3", "深圳市FinData科技有限公司", 1, "exact"),
                ("202110345678.3", "深圳市数据港网络有限公司", 1, "former_name"),
                ("202110555777.4", "深圳数据港有限公司", 1, "former_name"),  # from firm 1's 2nd record
                ("202110888999.8", "深圳市 FINDATA 科技有限公司", 1, "exact"),
                ("202210987654.2", "清华大学", None, None),
            ],
            "financing": [
                (1, D(2021, 3, 5), "B", False, True),  # 红杉资本中国基金
                (1, D(2021, 3, 5), "B+", False, False),
                (3, D(2022, 7, 1), "C++", True, True),  # 经纬中国 -> 经纬创投
                (4, D(2020, 12, 1), "Pre-C", False, True),  # 红杉 -> 红杉中国
                (5, None, "战略投资", False, False),  # date "2021": year only
                (None, D(2020, 1, 1), "天使轮", False, False),  # ambiguous name
            ],
            "hightech": [
                (2, "GR201912000777", 2019),  # USCC; year from cert_no
                (None, "GR202011000999", 2020),
                (3, "GR202043001234", 2020),  # 2020年12月1日
                (8, "GR202141000555", 2021),  # issue_date "2021"
            ],
            "quarantine": [
                ("financing.csv", 8, "unparseable date"),
                ("patents.csv", 7, WRONG_CHECK),  # 98105678.5, check is 4
                ("patents.csv", 8, MALFORMED),  # CN20211034567: 11 digits
            ],
        },
        links={
            "patents": links(exact=8, former_name=2, fuzzy=1, ambiguous=1, no_match=2),
            "financing": links(uscc=1, exact=4, ambiguous=1),
            "hightech": links(uscc=1, exact=2, no_match=1),
        },
        invalid_usccs=0,
        type_disagreements=1,
        unlinked={"清华大学": 2, "沈阳北方数码科技有限公司": 2, "张三": 1},
        fuzzy_scores={"郑州中原云科技公司": 90.0},  # 200*9/20
    ),
}


# ----------------------------------------------------------------------------------------------------
# Loader


@dataclass
class Ingested:
    out: Path
    tables: dict[str, pl.DataFrame]
    report: dict


def run_ingest(raw: Path, out: Path) -> None:
    result = CliRunner().invoke(app, ["ingest", str(raw), "--out", str(out), "--quiet"])
    assert result.exit_code == 0, result.output
    assert result.output == ""


@pytest.fixture(scope="session")
def ingested(tmp_path_factory):
    cache: dict[str, Ingested] = {}

    def load(case: str) -> Ingested:
        if case not in cache:
            out = tmp_path_factory.mktemp(case) / "parquet"
            run_ingest(GOLDEN / case / "raw", out)
            tables = {name: pl.read_parquet(out / f"{name}.parquet") for name in TABLES}
            report = json.loads((out / "ingest_report.json").read_text(encoding="utf-8"))
            cache[case] = Ingested(out, tables, report)
        return cache[case]

    return load


def expected_frame(table: str, rows: list[tuple]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=SCHEMAS[table], orient="row")


def sort(frame: pl.DataFrame, table: str) -> pl.DataFrame:
    return frame.sort(SORT_KEYS[table], nulls_last=True)


# ----------------------------------------------------------------------------------------------------
# Tests


@pytest.mark.parametrize("table", TABLES)
@pytest.mark.parametrize("case", list(CASES))
def test_table(ingested, case, table):
    actual = ingested(case).tables[table].select(list(SCHEMAS[table]))
    expected = expected_frame(table, CASES[case].tables[table])
    assert_frame_equal(sort(actual, table), sort(expected, table))


@pytest.mark.parametrize("case", list(CASES))
def test_report_files(ingested, case):
    report = ingested(case).report
    actual = {
        source: (f["encoding"], f["rows_read"], f["kept"], f["merged_duplicates"], f["quarantined_by_reason"])
        for source, f in report["files"].items()
    }
    assert actual == CASES[case].files
    assert report["all_rows_accounted"] is True


@pytest.mark.parametrize("case", list(CASES))
def test_report_links_and_counts(ingested, case):
    report = ingested(case).report
    expected = CASES[case]
    assert report["links"] == expected.links
    assert report["invalid_usccs"]["count"] == expected.invalid_usccs
    assert report["patent_type_disagreements"] == expected.type_disagreements
    assert {u["name"]: u["rows"] for u in report["unlinked_names"]} == expected.unlinked
    assert report["unlinked_distinct_names"] == len(expected.unlinked)


@pytest.mark.parametrize("case", list(CASES))
def test_fuzzy_link_scores(ingested, case):
    applicants = ingested(case).tables["patent_applicants"].filter(pl.col("link_method") == "fuzzy")
    actual = dict(applicants.select("applicant", "link_score").iter_rows())
    assert actual == pytest.approx(CASES[case].fuzzy_scores, abs=0.01)


@pytest.mark.parametrize("case", list(CASES))
def test_ingest_twice_gives_identical_parquet(ingested, tmp_path, case):
    first = ingested(case).out
    second = tmp_path / "again"
    run_ingest(GOLDEN / case / "raw", second)
    names = sorted(p.name for p in first.glob("*.parquet"))
    assert names == sorted(p.name for p in second.glob("*.parquet"))
    assert set(TABLES) <= {Path(n).stem for n in names}
    for name in names:
        assert (first / name).read_bytes() == (second / name).read_bytes(), name
