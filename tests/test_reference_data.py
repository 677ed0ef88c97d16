"""The default reference tables shipped as package data (docs/reference-data.md, contract §1).

Read with the csv module only, so these checks do not depend on the engine's loaders.
"""

from __future__ import annotations

import csv
import unicodedata
from collections import Counter
from pathlib import Path

import pytest

REF = Path(__file__).parents[1] / "src/fintech_firms/reference"

TECH_KEYS = {"big_data", "blockchain", "ai", "cloud", "iot", "internet"}
REPORT_TRACKS = {"云计算", "区块链", "大数据", "机器学习", "物联网", "IaaS", "PaaS", "SaaS", "移动互联网", "智慧金融"}
REGIONS = {
    "京津冀", "长三角", "粤港澳大湾区", "成渝", "长江中游", "海峡西岸", "山东半岛", "东北地区", "黄淮", "北部湾",
    "西北地区", "西南地区", "华北地区",
}
# Every city that chapter 4's figures name, with its region (report-2022-ch4-figures.csv).
CH4_CITIES = {
    "北京": "京津冀", "上海": "长三角", "深圳": "粤港澳大湾区", "武汉": "长江中游", "西安": "西北地区",
    "成都": "成渝", "济南": "山东半岛",
}
# The report's own statements of membership (chapter 3 prose; region scores are city means).
REPORT_MEMBERSHIP = {
    "石家庄": "京津冀", "唐山": "京津冀",            # 区域内石家庄和唐山
    "重庆": "成渝",                                  # 成渝中仅有成都和重庆两个城市
    "大连": "东北地区", "哈尔滨": "东北地区", "沈阳": "东北地区", "长春": "东北地区",
    "台州": "长三角", "泰州": "长三角", "杭州": "长三角",
    "临沂": "黄淮", "洛阳": "黄淮", "徐州": "黄淮",  # 黄淮……区域内临沂、洛阳和徐州
    "太原": "华北地区",                              # 华北地区（不含京津冀）……区域内太原
    "潍坊": "山东半岛", "烟台": "山东半岛",          # 山东半岛中的潍坊和烟台
    "广州": "粤港澳大湾区", "东莞": "粤港澳大湾区", "佛山": "粤港澳大湾区",
}
PROVINCE_SUFFIXES = ("省", "市", "自治区")


def norm(text: str) -> str:
    """The contract's name key: NFKC, whitespace removed, case-folded."""
    return "".join(unicodedata.normalize("NFKC", text).split()).casefold()


def read(name: str) -> tuple[list[str], list[dict[str, str]]]:
    raw = (REF / name).read_bytes()
    assert not raw.startswith(b"\xef\xbb\xbf"), f"{name} has a BOM"
    assert b"\r" not in raw, f"{name} has CR line endings"
    with open(REF / name, encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f)
        rows = list(reader)
        return list(reader.fieldnames or []), rows


def split_aliases(cell: str | None) -> list[str]:
    return [a.strip() for a in (cell or "").split(";") if a.strip()]


def assert_no_collisions(rows: list[dict[str, str]], name_col: str) -> None:
    """No name or alias key belongs to two entries; each entry's own keys are distinct too."""
    owner: dict[str, str] = {}
    for row in rows:
        keys = [norm(row[name_col])] + [norm(a) for a in split_aliases(row["aliases"])]
        assert all(keys), f"{row[name_col]}: an empty name or alias"
        dupes = [k for k, n in Counter(keys).items() if n > 1]
        assert not dupes, f"{row[name_col]}: repeated keys {dupes}"
        for key in keys:
            assert owner.setdefault(key, row[name_col]) == row[name_col], (
                f"'{key}' belongs to both {owner[key]} and {row[name_col]}")


# tracks.csv

@pytest.fixture(scope="module")
def tracks():
    header, rows = read("tracks.csv")
    assert header == ["track", "tech_class", "aliases"]
    return rows


def test_27_distinct_tracks(tracks):
    names = [r["track"] for r in tracks]
    assert len(names) == 27
    assert len({norm(n) for n in names}) == 27


def test_the_reports_ten_tracks_are_present(tracks):
    assert REPORT_TRACKS <= {r["track"] for r in tracks}


def test_classes_are_the_six_keys_each_used_at_least_twice(tracks):
    counts = Counter(r["tech_class"] for r in tracks)
    assert set(counts) == TECH_KEYS
    assert min(counts.values()) >= 2


def test_report_track_classes(tracks):
    cls = {r["track"]: r["tech_class"] for r in tracks}
    assert cls["大数据"] == "big_data"
    assert cls["区块链"] == "blockchain"
    assert cls["机器学习"] == "ai"
    assert {cls["云计算"], cls["IaaS"], cls["PaaS"], cls["SaaS"]} == {"cloud"}
    assert cls["物联网"] == "iot"
    assert cls["移动互联网"] == cls["智慧金融"] == "internet"


def test_track_aliases_do_not_collide(tracks):
    assert_no_collisions(tracks, "track")


def test_every_class_label_resolves_to_a_track_of_that_class(tracks):
    labels = {"大数据": "big_data", "区块链": "blockchain", "人工智能": "ai", "云计算": "cloud",
              "物联网": "iot", "互联网": "internet"}
    index = {}
    for r in tracks:
        for key in [r["track"]] + split_aliases(r["aliases"]):
            index[norm(key)] = r["tech_class"]
    for label, key in labels.items():
        assert index.get(norm(label)) == key, label


def test_track_cells_carry_no_list_separator_the_engine_splits_on(tracks):
    # A firm's tracks cell is split on ; ； , ， 、 | (contract §1): a name holding one could never match.
    for r in tracks:
        for item in [r["track"]] + split_aliases(r["aliases"]):
            assert not set(item) & set(";；,，、|｜"), item


# regions.csv

@pytest.fixture(scope="module")
def regions():
    header, rows = read("regions.csv")
    assert header == ["city", "province", "region"]
    return rows


def test_13_regions_with_the_reports_names(regions):
    assert {r["region"] for r in regions} == REGIONS


def test_59_distinct_cities(regions):
    cities = [r["city"] for r in regions]
    assert len(cities) == 59
    assert len(set(cities)) == 59


def test_city_names_carry_no_suffix_and_provinces_do(regions):
    for r in regions:
        assert not r["city"].endswith("市"), r["city"]
        assert r["province"].endswith(PROVINCE_SUFFIXES), r["province"]


def test_municipalities_are_their_own_province(regions):
    province = {r["city"]: r["province"] for r in regions}
    for city in ("北京", "天津", "上海", "重庆"):
        assert province[city] == city + "市"


def test_chapter_4_cities_are_in_their_region(regions):
    region = {r["city"]: r["region"] for r in regions}
    for city, expected in CH4_CITIES.items():
        assert region.get(city) == expected, city


def test_memberships_the_report_states(regions):
    region = {r["city"]: r["region"] for r in regions}
    for city, expected in REPORT_MEMBERSHIP.items():
        assert region.get(city) == expected, city


def test_region_sizes_the_report_fixes(regions):
    # 成渝 has only 成都 and 重庆; 粤港澳大湾区's score is the mean of its four cities; 东北地区's four cities.
    members = {}
    for r in regions:
        members.setdefault(r["region"], set()).add(r["city"])
    assert members["成渝"] == {"成都", "重庆"}
    assert members["粤港澳大湾区"] == {"深圳", "广州", "东莞", "佛山"}
    assert members["东北地区"] == {"大连", "哈尔滨", "沈阳", "长春"}


def test_no_hong_kong_or_macau(regions):
    # The 59 are mainland cities (the report's database covers 中国内地59个重要城市).
    assert not {"香港", "澳门"} & {r["city"] for r in regions}


# top_vc.csv

@pytest.fixture(scope="module")
def investors():
    header, rows = read("top_vc.csv")
    assert header == ["name", "aliases"]
    return rows


def test_at_least_30_investors(investors):
    assert len(investors) >= 30
    assert len({norm(r["name"]) for r in investors}) == len(investors)


def test_investor_aliases_do_not_collide(investors):
    assert_no_collisions(investors, "name")


def test_renamed_investors_keep_their_former_names(investors):
    keys = {}
    for r in investors:
        for key in [r["name"]] + split_aliases(r["aliases"]):
            keys[norm(key)] = r["name"]
    for former, current in [("晨兴资本", "五源资本"), ("光速中国", "光速光合"), ("联想投资", "君联资本"),
                            ("蚂蚁金服", "蚂蚁集团"), ("经纬中国", "经纬创投"), ("红杉资本中国基金", "红杉中国"),
                            ("HongShan", "红杉中国"), ("达晨创投", "达晨财智")]:
        assert keys.get(norm(former)) == current, former


def test_investor_aliases_are_not_tiny(investors):
    # One character, or two Latin letters, would match unrelated investors.
    for r in investors:
        for alias in split_aliases(r["aliases"]):
            key = norm(alias)
            assert len(key) >= 2 and not (key.isascii() and len(key) < 3), alias
