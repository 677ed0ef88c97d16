"""City names as written → canonical city, province and region (contract §1, regions.csv)."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

import polars as pl

from .tables import REGION_OTHER, REGION_UNKNOWN

# Province-level units, so that a prefix can be stripped from cities the regions table does not list.
PROVINCES = (
    "北京市", "天津市", "上海市", "重庆市", "河北省", "山西省", "辽宁省", "吉林省", "黑龙江省", "江苏省",
    "浙江省", "安徽省", "福建省", "江西省", "山东省", "河南省", "湖北省", "湖南省", "广东省", "海南省",
    "四川省", "贵州省", "云南省", "陕西省", "甘肃省", "青海省", "台湾省", "内蒙古自治区",
    "广西壮族自治区", "西藏自治区", "宁夏回族自治区", "新疆维吾尔自治区", "香港特别行政区",
    "澳门特别行政区",
)
MUNICIPALITIES = {"北京市": "北京", "天津市": "天津", "上海市": "上海", "重庆市": "重庆"}
_SUFFIXES = ("特别行政区", "维吾尔自治区", "壮族自治区", "回族自治区", "自治区", "省", "市")


def _short(province: str) -> str:
    for suffix in _SUFFIXES:
        if province.endswith(suffix) and len(province) > len(suffix) + 1:
            return province[: -len(suffix)]
    return province


@dataclass(frozen=True)
class Place:
    city: str | None
    province: str | None
    region: str


class CityMatcher:
    """Matches `深圳`, `深圳市`, `广东省深圳市`, `广东深圳` and `深圳市南山区` to 深圳."""

    def __init__(self, regions: pl.DataFrame):
        self._table: dict[str, tuple[str, str, str]] = {}
        for city, province, region in regions.select("city", "province", "region").iter_rows():
            name = _clean(city)
            if name.endswith("市") and len(name) > 2:
                name = name[:-1]
            self._table[name] = (name, province, region)
        self._by_length = sorted(self._table, key=lambda c: (-len(c), c))
        long_forms = {p: p for p in PROVINCES}
        for _, province, _ in self._table.values():
            if province:
                long_forms.setdefault(province, province)
        self._long = sorted(long_forms, key=lambda p: (-len(p), p))
        self._short = sorted({_short(p): p for p in self._long}.items(), key=lambda kv: (-len(kv[0]), kv[0]))
        self._cache: dict[str | None, Place] = {}

    def match(self, written: str | None) -> Place:
        if written not in self._cache:
            self._cache[written] = self._match(written)
        return self._cache[written]

    def _match(self, written: str | None) -> Place:
        text = _clean(written or "")
        if not text:
            return Place(None, None, REGION_UNKNOWN)
        found = self._lookup(text)
        if found:
            return found
        province = None
        for long in self._long:
            if text.startswith(long) and len(text) > len(long):
                if long in MUNICIPALITIES:
                    return self._lookup(MUNICIPALITIES[long]) or Place(
                        MUNICIPALITIES[long], long, REGION_OTHER)
                province, text = long, text[len(long):]
                break
        else:
            for short, long in self._short:
                rest = text[len(short):]
                if text.startswith(short) and len(rest) >= 2 and rest != "市":
                    province, text = long, rest
                    break
        found = self._lookup(text)
        if found:
            return found
        city = text[:-1] if text.endswith("市") and len(text) > 2 else text
        return Place(city, province, REGION_OTHER)

    def _lookup(self, text: str) -> Place | None:
        bare = text[:-1] if text.endswith("市") and len(text) > 2 else text
        hit = self._table.get(bare)
        if hit is None:
            # A district after the city (深圳市南山区): the longest listed city the text starts with.
            for city in self._by_length:
                if text.startswith(city + "市") or (text.startswith(city) and len(text) > len(city) + 1
                                                     and text[len(city)] not in "省"):
                    hit = self._table[city]
                    break
        return Place(*hit) if hit else None


def _clean(text: str) -> str:
    return "".join(unicodedata.normalize("NFKC", text).split())
