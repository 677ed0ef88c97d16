import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fintech_firms.rules.certs import cert_year, cert_years
from fintech_firms.rules.patents import (
    AppNo,
    app_no_check_char,
    app_no_from_key,
    app_no_key,
    app_nos_from_keys,
    parse_app_no,
    parse_app_number_keys,
    parse_app_numbers,
    patent_type_from_text,
)

MISSING = AppNo(None, None, None, "missing application number")
WRONG = AppNo(None, None, None, "wrong check digit")
MALFORMED = AppNo(None, None, None, "malformed application number")
P2016 = AppNo("201610920041.1", "invention", 2016, None)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        # test vectors
        ("201610920041.1", P2016),
        ("201620289943.5", AppNo("201620289943.5", "utility", 2016, None)),
        ("200880015234.6", AppNo("200880015234.6", "invention", 2008, None)),
        ("201830072131.X", AppNo("201830072131.X", "design", 2018, None)),
        ("95115608.X", AppNo("95115608.X", "invention", 1995, None)),
        # accepted spellings
        ("CN201610920041.1", P2016),
        ("CN 2016 1092 0041.1", P2016),
        ("2016109200411", P2016),
        ("201610920041", P2016),
        ("cn201610920041.1", P2016),
        ("  201610920041.1\t", P2016),
        ("２０１６１０９２００４１．１", P2016),
        ("CN２０１６１０９２００４１", P2016),
        ("201830072131x", AppNo("201830072131.X", "design", 2018, None)),
        ("201830072131", AppNo("201830072131.X", "design", 2018, None)),
        ("95115608", AppNo("95115608.X", "invention", 1995, None)),
        ("95115608X", AppNo("95115608.X", "invention", 1995, None)),
        ("CN95115608.x", AppNo("95115608.X", "invention", 1995, None)),
        # type digits
        ("201690000001", AppNo(f"201690000001.{app_no_check_char('201690000001')}", "utility", 2016, None)),
        ("201640000001", AppNo(f"201640000001.{app_no_check_char('201640000001')}", None, 2016, None)),
        ("201600000001", AppNo(f"201600000001.{app_no_check_char('201600000001')}", None, 2016, None)),
        ("02200001", AppNo(f"02200001.{app_no_check_char('02200001')}", "utility", 2002, None)),
        ("00300001", AppNo(f"00300001.{app_no_check_char('00300001')}", "design", 2000, None)),
        ("99800001", AppNo(f"99800001.{app_no_check_char('99800001')}", "invention", 1999, None)),
        ("85100001", AppNo(f"85100001.{app_no_check_char('85100001')}", "invention", 1985, None)),
        ("03100001", AppNo(f"03100001.{app_no_check_char('03100001')}", "invention", 2003, None)),
        # 8-digit numbers ran from 1985 to 2003; 12-digit ones from 1985 (never earlier) on
        ("84100001", AppNo(None, None, None, "application year out of range (2084)")),
        ("04100001", AppNo(None, None, None, "application year out of range (2004)")),
        ("198410000001", AppNo(None, None, None, "application year out of range (1984)")),
        # errors
        (None, MISSING),
        ("", MISSING),
        ("   ", MISSING),
        ("201711469835.X", WRONG),
        ("201610920041.2", WRONG),
        ("2016109200412", WRONG),
        ("95115608.1", WRONG),
        ("CN", MALFORMED),
        ("ZL", MALFORMED),
        # ZL marks a granted patent's number; the contract accepts only the CN prefix
        ("ZL201610920041.1", MALFORMED),
        ("CNCN201610920041.1", MALFORMED),
        ("abc", MALFORMED),
        ("20161092004", MALFORMED),
        ("2016109200411X", MALFORMED),
        ("201610920041.", MALFORMED),
        ("201610920041.11", MALFORMED),
        ("201610920041-1", MALFORMED),
        ("2016.10920041.1", MALFORMED),
        ("CN106123456A", MALFORMED),
        ("201610920041.A", MALFORMED),
        ("9511560", MALFORMED),
        ("9511560812", MALFORMED),
        ("US201610920041.1", MALFORMED),
        ("٢٠١٦١٠٩٢٠٠٤١", MALFORMED),
    ],
)
def test_parse_app_no(raw, expected):
    assert parse_app_no(raw) == expected


def test_check_char_vectors():
    assert app_no_check_char("201610920041") == "1"
    assert app_no_check_char("201620289943") == "5"
    assert app_no_check_char("200880015234") == "6"
    assert app_no_check_char("201830072131") == "X"
    assert app_no_check_char("95115608") == "X"
    assert app_no_check_char("201711469835") == "1"


@given(st.one_of(st.none(), st.text()))
def test_parse_app_no_total(value):
    r = parse_app_no(value)
    assert isinstance(r, AppNo)
    if r.error is None:
        assert r.app_no is not None and r.year is not None
        assert parse_app_no(r.app_no) == r
    else:
        assert r.app_no is None and r.patent_type is None and r.year is None


twelve_digits = st.builds(
    lambda year, rest: f"{year}{rest}", st.integers(1985, 2999), st.text(alphabet="0123456789", min_size=8,
                                                                        max_size=8))
eight_digits = st.builds(
    lambda yy, rest: f"{yy:02d}{rest}", st.sampled_from([*range(85, 100), *range(0, 4)]),
    st.text(alphabet="0123456789", min_size=6, max_size=6))


@given(twelve_digits)
def test_twelve_digits_check_char(digits):
    c = app_no_check_char(digits)
    r = parse_app_no(f"{digits}.{c}")
    assert r.error is None and r.app_no == f"{digits}.{c}"
    assert parse_app_no(digits).app_no == r.app_no
    assert parse_app_no(f"{digits}{c}").app_no == r.app_no
    for wrong in "0123456789X":
        if wrong != c:
            assert parse_app_no(f"{digits}.{wrong}").error == "wrong check digit"


@given(eight_digits)
def test_eight_digits_check_char(digits):
    c = app_no_check_char(digits)
    assert parse_app_no(f"{digits}.{c}").app_no == f"{digits}.{c}"
    wrong = "X" if c != "X" else "0"
    assert parse_app_no(f"{digits}.{wrong}").error == "wrong check digit"


@pytest.mark.parametrize(
    ("raw", "max_year", "error"),
    [("202610000001", 2026, None), ("202710000001", 2026, "application year out of range (2027)"),
     ("209910000001", 2026, "application year out of range (2099)"), ("209910000001", None, None)],
)
def test_no_application_after_max_year(raw, max_year, error):
    assert parse_app_no(raw, max_year=max_year).error == error


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("发明", "invention"), ("发明专利", "invention"), ("发明申请", "invention"),
        ("发明授权", "invention"), ("invention", "invention"), ("Invention", "invention"),
        ("INVENTION", "invention"), (" 发明 专利 ", "invention"), ("Invention Patent", "invention"),
        ("ｉｎｖｅｎｔｉｏｎ", "invention"),
        ("实用新型", "utility"), ("实用新型专利", "utility"), ("utility", "utility"),
        ("Utility Model", "utility"), ("utility model", "utility"), ("UTILITY  MODEL", "utility"),
        ("外观设计", "design"), ("外观设计专利", "design"), ("外观", "design"), ("design", "design"),
        ("Design", "design"), ("Design Patent", "design"),
        (None, None), ("", None), ("  ", None), ("专利", None), ("发", None), ("其他", None),
        ("inventions", None),
    ],
)  # fmt: skip
def test_patent_type_from_text(raw, expected):
    assert patent_type_from_text(raw) == expected


@given(st.one_of(st.none(), st.text()))
def test_patent_type_from_text_total(value):
    assert patent_type_from_text(value) in (None, "invention", "utility", "design")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("GR202144001234", 2021),
        ("gr202144001234", 2021),
        ("GR 2021 4400 1234", 2021),
        ("ＧＲ２０２１４４００１２３４", 2021),
        (" GR201811000001\n", 2018),
        ("GR20211", 2021),
        (None, None),
        ("", None),
        ("  ", None),
        ("GR2021", None),
        ("GF202144001234", None),
        ("202144001234", None),
        ("GR2021-44001234", None),
        ("GR202144001234A", None),
        ("XGR202144001234", None),
    ],
)
def test_cert_year(raw, expected):
    assert cert_year(raw) == expected


@given(st.one_of(st.none(), st.text()))
def test_cert_year_total(value):
    r = cert_year(value)
    assert r is None or (isinstance(r, int) and 0 <= r <= 9999)


CERT_TEXT = st.one_of(
    st.none(), st.text(max_size=16), st.text(alphabet="GRgr0123456789 　Ｇ１\t\x1c-", max_size=16),
    st.builds(lambda y, rest, prefix: f"{prefix}{y:04d}{rest}", st.integers(0, 9999),
              st.text(alphabet="0123456789", max_size=8), st.sampled_from(["GR", "gr", "GR ", "ＧＲ", " GR"])),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(CERT_TEXT, max_size=30))
def test_vectorised_cert_years_equal_the_scalar_rule(values):
    assert cert_years(pl.Series(values, dtype=pl.Utf8)).to_list() == [cert_year(v) for v in values]


APP_NO_TEXT = st.one_of(
    st.text(alphabet="0123456789XxCNcnZL. .\t　１", max_size=18),
    st.builds(lambda d, sep, c: f"CN{d}{sep}{c}", st.text(alphabet="0123456789", min_size=8, max_size=13),
              st.sampled_from(["", ".", " .", " "]), st.sampled_from(["", "0", "5", "X", "x"])),
    st.text(max_size=16),
    st.none(),
)


@settings(max_examples=400, deadline=None)
@given(st.lists(APP_NO_TEXT, max_size=30), st.sampled_from([None, 2026]))
def test_vectorised_parse_equals_the_scalar_rule(values, max_year):
    got = parse_app_numbers(pl.Series(values, dtype=pl.Utf8), max_year=max_year)
    want = [parse_app_no(v, max_year=max_year) for v in values]
    assert got["value"].to_list() == values
    assert list(got.select("app_no", "patent_type", "year", "error").iter_rows()) == [tuple(w) for w in want]


# Numbers as exports write them, valid ones among them: with and without CN, the dot and the check.
WRITTEN_APP_NO = st.builds(
    lambda digits, prefix, dot, with_check: prefix + digits + (dot + app_no_check_char(digits) if with_check else ""),
    st.one_of(st.text(alphabet="0123456789", min_size=12, max_size=12),
              st.text(alphabet="0123456789", min_size=8, max_size=8),
              st.integers(1985, 9999).flatmap(lambda y: st.integers(0, 10**8 - 1).map(lambda r: f"{y}{r:08d}"))),
    st.sampled_from(["", "CN", "CN ", "cn"]), st.sampled_from(["", "."]), st.booleans(),
)
# The same with the white space parse_app_no removes from ASCII text (\x1c-\x1f are white space to
# Python's \s), and with a Unicode space, which sends a value to the scalar rule.
SPACED_APP_NO = st.builds(
    lambda number, at, space: number[:at] + space + number[at:],
    WRITTEN_APP_NO, st.integers(0, 20), st.sampled_from([" ", "\t", "\n", "\x0b", "\x0c", "\r", "\x1c", "\x1f",
                                                         "  ", "\u3000", "\xa0"]),
)


@settings(max_examples=400, deadline=None)
@given(st.lists(st.one_of(APP_NO_TEXT, WRITTEN_APP_NO, SPACED_APP_NO), max_size=30),
       st.sampled_from([None, 2026, 9999]))
def test_keyed_parse_equals_the_scalar_rule(values, max_year):
    """parse_app_number_keys gives parse_app_no's fields, the number as its key (app_no_key)."""
    got = parse_app_number_keys(pl.Series(values, dtype=pl.Utf8), max_year=max_year)
    want = [parse_app_no(v, max_year=max_year) for v in values]
    assert got["key"].to_list() == [None if w.app_no is None else app_no_key(w.app_no) for w in want]
    assert app_nos_from_keys(got["key"]).to_list() == [w.app_no for w in want]
    assert [app_no_from_key(k) for k in got["key"].drop_nulls()] == [w.app_no for w in want if w.app_no]
    assert got["patent_type"].cast(pl.Utf8).to_list() == [w.patent_type for w in want]
    assert got["year"].to_list() == [w.year for w in want]
    assert got["error"].to_list() == [w.error for w in want]
