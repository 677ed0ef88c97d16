import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fintech_firms.rules.names import (
    normalize_name,
    split_list,
    split_lists,
    unique_in_order,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (None, ""),
        ("", ""),
        ("   ", ""),
        ("腾讯科技", "腾讯科技"),
        ("腾讯 科技", "腾讯科技"),
        ("腾讯\u3000科技", "腾讯科技"),
        ("腾讯\u00a0科技", "腾讯科技"),
        ("腾讯\t科\n技\r", "腾讯科技"),
        ("\u200b腾讯\ufeff科技", "腾讯科技"),
        ("深圳市腾讯计算机系统有限公司（深圳）", "深圳市腾讯计算机系统有限公司(深圳)"),
        ("深圳市腾讯计算机系统有限公司(深圳)", "深圳市腾讯计算机系统有限公司(深圳)"),
        ("ＡＢＣ科技", "abc科技"),
        ("ＡＢＣ１２３", "abc123"),
        ("Huawei Technologies Co., Ltd.", "huaweitechnologiesco.,ltd."),
        ("HUAWEI  technologies", "huaweitechnologies"),
        ("Straße", "strasse"),
        ("【腾讯】", "【腾讯】"),
    ],
)
def test_normalize_name(raw, expected):
    assert normalize_name(raw) == expected


def test_normalize_name_full_and_half_width_parens_equal():
    assert normalize_name("蚂蚁（杭州）科技") == normalize_name("蚂蚁 (杭州) 科技")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (None, []),
        ("", []),
        ("  ", []),
        ("腾讯", ["腾讯"]),
        ("  腾讯  ", ["腾讯"]),
        ("a;b", ["a", "b"]),
        ("a；b", ["a", "b"]),
        ("a,b", ["a", "b"]),
        ("a，b", ["a", "b"]),
        ("a、b", ["a", "b"]),
        ("a|b", ["a", "b"]),
        ("a｜b", ["a", "b"]),
        ("区块链; 人工智能 ；大数据", ["区块链", "人工智能", "大数据"]),
        ("a;;b;", ["a", "b"]),
        ("；；", []),
        ("b;a;b", ["b", "a", "b"]),
        ("Huawei Technologies Co., Ltd.", ["Huawei Technologies Co., Ltd."]),
        ("Alibaba Group Holding Limited; Tencent", ["Alibaba Group Holding Limited", "Tencent"]),
        ("Foo, Ltd", ["Foo, Ltd"]),
        ("Foo,Ltd.", ["Foo,Ltd."]),
        ("Foo,   limited", ["Foo,   limited"]),
        ("Apple, Inc.", ["Apple, Inc."]),
        ("Apple, inc", ["Apple, inc"]),
        ("Foo, LLC", ["Foo, LLC"]),
        ("Foo, Co.", ["Foo, Co."]),
        ("Foo, Corp", ["Foo, Corp"]),
        ("Foo, Corp.", ["Foo, Corp."]),
        ("Foo, Corporation", ["Foo, Corporation"]),
        ("Foo, L.P.", ["Foo, L.P."]),
        ("Foo, LP", ["Foo, LP"]),
        ("Foo, S.A.", ["Foo, S.A."]),
        ("Foo, GmbH", ["Foo, GmbH"]),
        ("Foo, AG", ["Foo, AG"]),
        ("Foo, PLC", ["Foo, PLC"]),
        ("Sequoia Capital China, Ltd., IDG Capital", ["Sequoia Capital China, Ltd.", "IDG Capital"]),
        ("Huawei Co., Ltd.,Tencent", ["Huawei Co., Ltd.", "Tencent"]),
        # Whole word only: "Ltda", "Incubator", "Company", "Agility" do not protect the comma.
        ("Foo, Ltda", ["Foo", "Ltda"]),
        ("Foo, Incubator", ["Foo", "Incubator"]),
        ("Foo, Company", ["Foo", "Company"]),
        ("Foo, Agility", ["Foo", "Agility"]),
        # Only the half-width comma is protected.
        ("Foo， Ltd", ["Foo", "Ltd"]),
        ("Foo; Ltd", ["Foo", "Ltd"]),
    ],
)
def test_split_list(raw, expected):
    assert split_list(raw) == expected


@pytest.mark.parametrize(
    ("items", "expected"),
    [
        ([], []),
        (["a", "b", "a"], ["a", "b"]),
        (["腾讯（深圳）", "腾讯(深圳)", "腾讯 (深圳)"], ["腾讯（深圳）"]),
        (["ABC", "abc", "ＡＢＣ", "x"], ["ABC", "x"]),
        (["b", "a", "B"], ["b", "a"]),
    ],
)
def test_unique_in_order(items, expected):
    assert unique_in_order(items) == expected


def test_unique_in_order_custom_key_and_iterator():
    assert unique_in_order(iter(["aa", "b", "cc", "d"]), key=len) == ["aa", "b"]


def test_unique_in_order_identity_key():
    assert unique_in_order(["A", "a", "A"], key=lambda s: s) == ["A", "a"]


@given(st.one_of(st.none(), st.text()))
def test_normalize_name_total_and_idempotent(value):
    out = normalize_name(value)
    assert isinstance(out, str)
    assert normalize_name(out) == out
    assert not any(ch.isspace() for ch in out)


@given(st.one_of(st.none(), st.text()))
def test_split_list_total(value):
    items = split_list(value)
    assert isinstance(items, list)
    for item in items:
        assert item and item == item.strip()


@given(st.lists(st.text(alphabet="ab;,，、| Ltd.AB（）()", max_size=20), max_size=5))
def test_split_list_items_have_no_separator_except_corporate_commas(parts):
    for item in split_list(";".join(parts)):
        assert not set(item) & set(";；，、|｜")


@given(st.lists(st.text()))
def test_unique_in_order_keys_distinct_and_order_kept(items):
    out = unique_in_order(items)
    keys = [normalize_name(x) for x in out]
    assert len(keys) == len(set(keys))
    assert set(keys) == {normalize_name(x) for x in items}
    positions = [items.index(x) for x in out]
    assert positions == sorted(positions)


LIST_CELLS = st.one_of(
    st.lists(st.sampled_from(list("ab 甲;；,，、|｜\t\x1c") + [", Ltd.", "Co., Ltd", ", Inc"]),
             max_size=10).map("".join),
    st.lists(st.sampled_from(["甲公司", " 乙 ", "", "Huawei Co., Ltd.", "清华大学"]), max_size=4).map(";".join),
    st.text(max_size=10),
)


@settings(max_examples=300, deadline=None)  # the first example compiles the patterns: slow on a busy machine
@given(st.lists(LIST_CELLS, max_size=20, unique=True))
def test_vectorised_split_equals_the_scalar_rule(cells):
    got = split_lists(pl.Series(cells, dtype=pl.Utf8))
    want = [(c, i, item) for c in cells for i, item in enumerate(split_list(c), start=1)]
    assert sorted(got.iter_rows(), key=lambda r: (cells.index(r[0]), r[1])) == want
    # each cell's items are contiguous and in order
    seen = [v for v, *_ in got.iter_rows()]
    assert seen == sorted(seen, key=seen.index)
