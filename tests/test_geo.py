"""City names as exports write them → canonical city, province and region (contract §1)."""

import pytest

from fintech_firms.reference.geo import CityMatcher, Place
from fintech_firms.reference.tables import load

CITIES = CityMatcher(load("regions", None).frame)


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("深圳", Place("深圳", "广东省", "粤港澳大湾区")),
        ("深圳市", Place("深圳", "广东省", "粤港澳大湾区")),
        ("广东省深圳市", Place("深圳", "广东省", "粤港澳大湾区")),
        ("广东深圳", Place("深圳", "广东省", "粤港澳大湾区")),
        ("深圳市南山区", Place("深圳", "广东省", "粤港澳大湾区")),
        (" 深 圳 市 ", Place("深圳", "广东省", "粤港澳大湾区")),
        ("北京市", Place("北京", "北京市", "京津冀")),
        ("北京市海淀区", Place("北京", "北京市", "京津冀")),
        ("重庆", Place("重庆", "重庆市", "成渝")),
        ("江苏省徐州市", Place("徐州", "江苏省", "黄淮")),  # the report puts 徐州 in 黄淮
        # not in the table: region 其他, the written name without its province prefix and 市 suffix
        ("河北省保定市", Place("保定", "河北省", "其他")),
        ("拉萨市", Place("拉萨", "西藏自治区", "西南地区")),
        ("香港", Place("香港", None, "其他")),
        ("", Place(None, None, "未知")),
        (None, Place(None, None, "未知")),
    ],
)
def test_city_matching(written, expected):
    assert CITIES.match(written) == expected
