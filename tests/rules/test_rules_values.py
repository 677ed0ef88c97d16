import datetime as dt

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fintech_firms.rules.values import (
    ParsedBool,
    ParsedDate,
    ParsedInt,
    parse_bool,
    parse_count,
    parse_date,
    parse_dates,
)

D = dt.date(2021, 3, 5)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (None, ParsedDate(None, None, None)),
        ("", ParsedDate(None, None, None)),
        ("   ", ParsedDate(None, None, None)),
        ("\u3000", ParsedDate(None, None, None)),
        # contract forms
        ("2021-03-05", ParsedDate(D, 2021, None)),
        ("2021/3/5", ParsedDate(D, 2021, None)),
        ("20210305", ParsedDate(D, 2021, None)),
        ("2021年3月5日", ParsedDate(D, 2021, None)),
        ("2021", ParsedDate(None, 2021, None)),
        # export leftovers
        ("2021-3-5", ParsedDate(D, 2021, None)),
        ("2021/03/05", ParsedDate(D, 2021, None)),
        ("2021.3.5", ParsedDate(D, 2021, None)),
        ("2021.03.05", ParsedDate(D, 2021, None)),
        ("2021年03月05日", ParsedDate(D, 2021, None)),
        ("2021 年 3 月 5 日", ParsedDate(D, 2021, None)),
        ("2021年3月5", ParsedDate(D, 2021, None)),
        ("2021年3月5号", ParsedDate(D, 2021, None)),
        ("2021-03-05 00:00:00", ParsedDate(D, 2021, None)),
        ("2021-03-05T08:00:00", ParsedDate(D, 2021, None)),
        ("2021-03-05T08:00:00.000", ParsedDate(D, 2021, None)),
        ("2021-03-05T08:00:00Z", ParsedDate(D, 2021, None)),
        ("2021-03-05 08:00:00+08:00", ParsedDate(D, 2021, None)),
        ("2021-03-05 8:00", ParsedDate(D, 2021, None)),
        ("2021/3/5 0:00", ParsedDate(D, 2021, None)),
        ("20210305 00:00:00", ParsedDate(D, 2021, None)),
        ("2021年3月5日 08:00", ParsedDate(D, 2021, None)),
        ("20210305.0", ParsedDate(D, 2021, None)),
        ("20210305.00", ParsedDate(D, 2021, None)),
        ("  2021-03-05\t", ParsedDate(D, 2021, None)),
        ("２０２１－０３－０５", ParsedDate(D, 2021, None)),
        ("２０２１年３月５日", ParsedDate(D, 2021, None)),
        ("２０２１", ParsedDate(None, 2021, None)),
        ("\ufeff2021-03-05", ParsedDate(D, 2021, None)),
        # year-month and year only
        ("2021年3月", ParsedDate(None, 2021, None)),
        ("2021年12月", ParsedDate(None, 2021, None)),
        ("2021-03", ParsedDate(None, 2021, None)),
        ("2021/3", ParsedDate(None, 2021, None)),
        ("2021.3", ParsedDate(None, 2021, None)),
        ("2021.10", ParsedDate(None, 2021, None)),
        ("2021年", ParsedDate(None, 2021, None)),
        ("2021.0", ParsedDate(None, 2021, None)),
        ("2021.00", ParsedDate(None, 2021, None)),
        ("1900", ParsedDate(None, 1900, None)),
        ("2000-02-29", ParsedDate(dt.date(2000, 2, 29), 2000, None)),
        # invalid dates
        ("2021-02-30", ParsedDate(None, None, "invalid date")),
        ("2021-02-29", ParsedDate(None, None, "invalid date")),
        ("1900-02-29", ParsedDate(None, None, "invalid date")),
        ("2021-13-01", ParsedDate(None, None, "invalid date")),
        ("2021-00-10", ParsedDate(None, None, "invalid date")),
        ("2021-04-31", ParsedDate(None, None, "invalid date")),
        ("20210230", ParsedDate(None, None, "invalid date")),
        ("20210230.0", ParsedDate(None, None, "invalid date")),
        ("2021年2月30日", ParsedDate(None, None, "invalid date")),
        ("2021年13月", ParsedDate(None, None, "invalid date")),
        ("2021-13", ParsedDate(None, None, "invalid date")),
        ("2021.0.5", ParsedDate(None, None, "invalid date")),
        # out of range
        ("1899", ParsedDate(None, None, "date out of range (1899)")),
        ("1899-12-31", ParsedDate(None, None, "date out of range (1899)")),
        ("0000-01-01", ParsedDate(None, None, "date out of range (0)")),
        ("18990101", ParsedDate(None, None, "date out of range (1899)")),
        ("1899年1月", ParsedDate(None, None, "date out of range (1899)")),
        # unparseable
        ("abc", ParsedDate(None, None, "unparseable date")),
        ("21-03-05", ParsedDate(None, None, "unparseable date")),
        ("2021-3/5", ParsedDate(None, None, "unparseable date")),
        ("2021-03-05-", ParsedDate(None, None, "unparseable date")),
        ("05/03/2021", ParsedDate(None, None, "unparseable date")),
        ("2021030", ParsedDate(None, None, "unparseable date")),
        ("202103051", ParsedDate(None, None, "unparseable date")),
        ("20210305.5", ParsedDate(None, None, "unparseable date")),
        ("2021-03-05 25:00", ParsedDate(None, None, "unparseable date")),
        ("2021-03-05 abc", ParsedDate(None, None, "unparseable date")),
        ("44260", ParsedDate(None, None, "unparseable date")),
        ("未披露", ParsedDate(None, None, "unparseable date")),
        ("٢٠٢١", ParsedDate(None, None, "unparseable date")),
    ],
)
def test_parse_date(raw, expected):
    assert parse_date(raw) == expected


@pytest.mark.parametrize(
    ("raw", "max_year", "expected"),
    [
        ("2021-03-05", 2021, ParsedDate(D, 2021, None)),
        ("2021-03-05", 2020, ParsedDate(None, None, "date out of range (2021)")),
        ("2021", 2020, ParsedDate(None, None, "date out of range (2021)")),
        ("2021年3月", 2020, ParsedDate(None, None, "date out of range (2021)")),
        ("2150-01-01", 2030, ParsedDate(None, None, "date out of range (2150)")),
        ("1899", 2030, ParsedDate(None, None, "date out of range (1899)")),
        ("", 2000, ParsedDate(None, None, None)),
        ("abc", 2000, ParsedDate(None, None, "unparseable date")),
    ],
)
def test_parse_date_max_year(raw, max_year, expected):
    assert parse_date(raw, max_year=max_year) == expected


def test_parse_date_without_max_year_accepts_future():
    assert parse_date("2150-01-01") == ParsedDate(dt.date(2150, 1, 1), 2150, None)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (None, ParsedInt(None, None)),
        ("", ParsedInt(None, None)),
        (" ", ParsedInt(None, None)),
        ("0", ParsedInt(0, None)),
        ("1234", ParsedInt(1234, None)),
        ("  1234 ", ParsedInt(1234, None)),
        ("+12", ParsedInt(12, None)),
        ("007", ParsedInt(7, None)),
        ("1,234", ParsedInt(1234, None)),
        ("1，234", ParsedInt(1234, None)),
        ("1 234", ParsedInt(1234, None)),
        ("1\u00a0234", ParsedInt(1234, None)),
        ("1\u202f234", ParsedInt(1234, None)),
        ("1,234,567", ParsedInt(1234567, None)),
        ("1234.0", ParsedInt(1234, None)),
        ("1,234.00", ParsedInt(1234, None)),
        ("１２３４", ParsedInt(1234, None)),
        ("１，２３４", ParsedInt(1234, None)),
        ("-0", ParsedInt(0, None)),
        ("0.0", ParsedInt(0, None)),
        ("9223372036854775807", ParsedInt(2**63 - 1, None)),
        ("-5", ParsedInt(None, "negative number")),
        ("-1,234", ParsedInt(None, "negative number")),
        ("-12.5", ParsedInt(None, "negative number")),
        ("-0.5", ParsedInt(None, "negative number")),
        ("12.5", ParsedInt(None, "not a whole number")),
        ("1,234.5", ParsedInt(None, "not a whole number")),
        ("0.01", ParsedInt(None, "not a whole number")),
        ("9223372036854775808", ParsedInt(None, "number too large")),
        ("9" * 5000, ParsedInt(None, "number too large")),
        ("abc", ParsedInt(None, "not a number")),
        ("12人", ParsedInt(None, "not a number")),
        ("1,2", ParsedInt(None, "not a number")),
        ("12,34", ParsedInt(None, "not a number")),
        ("1,234 567", ParsedInt(None, "not a number")),
        (".5", ParsedInt(None, "not a number")),
        ("12.", ParsedInt(None, "not a number")),
        ("1e3", ParsedInt(None, "not a number")),
        ("--1", ParsedInt(None, "not a number")),
        ("٣", ParsedInt(None, "not a number")),
        ("N/A", ParsedInt(None, "not a number")),
    ],
)
def test_parse_count(raw, expected):
    assert parse_count(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (None, ParsedBool(None, None)),
        ("", ParsedBool(None, None)),
        ("  ", ParsedBool(None, None)),
        *[(t, ParsedBool(True, None)) for t in
          ["是", "有", "Y", "y", "yes", "YES", "Yes", "true", "TRUE", "True", "1", "1.0", "1.00", " 是 ", "Ｙ", "１"]],
        *[(f, ParsedBool(False, None)) for f in
          ["否", "无", "N", "n", "no", "NO", "No", "false", "FALSE", "False", "0", "0.0", "0.00", " 否 ", "ｎｏ", "０"]],
        ("2", ParsedBool(None, "not a boolean")),
        ("1.5", ParsedBool(None, "not a boolean")),
        ("maybe", ParsedBool(None, "not a boolean")),
        ("是否", ParsedBool(None, "not a boolean")),
        ("ye", ParsedBool(None, "not a boolean")),
        ("-1", ParsedBool(None, "not a boolean")),
    ],
)  # fmt: skip
def test_parse_bool(raw, expected):
    assert parse_bool(raw) == expected


@given(st.one_of(st.none(), st.text()), st.one_of(st.none(), st.integers(1800, 2200)))
def test_parse_date_total(value, max_year):
    r = parse_date(value, max_year=max_year)
    assert isinstance(r, ParsedDate)
    if r.error is not None:
        assert r.date is None and r.year is None
    if r.date is not None:
        assert r.year == r.date.year
    if r.year is not None:
        assert r.year >= 1900 and (max_year is None or r.year <= max_year)


@given(st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(9999, 12, 31)))
def test_parse_date_roundtrips_every_written_form(d):
    for text in (d.isoformat(), f"{d.year}/{d.month}/{d.day}", d.strftime("%Y%m%d"),
                 f"{d.year}年{d.month}月{d.day}日", f"{d.isoformat()} 00:00:00"):  # fmt: skip
        assert parse_date(text) == ParsedDate(d, d.year, None)


@given(st.one_of(st.none(), st.text()))
def test_parse_count_total(value):
    r = parse_count(value)
    assert isinstance(r, ParsedInt)
    assert r.value is None or (r.error is None and 0 <= r.value < 2**63)


@given(st.integers(0, 2**63 - 1))
def test_parse_count_roundtrips_ints(n):
    assert parse_count(str(n)) == ParsedInt(n, None)
    assert parse_count(f"{n:,}") == ParsedInt(n, None)
    assert parse_count(f"{n}.0") == ParsedInt(n, None)


@given(st.one_of(st.none(), st.text()))
def test_parse_bool_total(value):
    r = parse_bool(value)
    assert isinstance(r, ParsedBool)
    assert (r.value is None) or (r.error is None)


# Dates as exports write them (the fast path's three forms, with days past the month's end, month 0 and
# 13, years around 1900 and max_year, leap days), beside those it must leave to parse_date.
WRITTEN_DATE = st.builds(
    lambda y, m, d, form: form.format(y=y, m=m, d=d),
    st.one_of(st.integers(1890, 2030), st.integers(0, 9999)), st.integers(0, 13), st.integers(0, 32),
    st.sampled_from(["{y:04d}-{m:02d}-{d:02d}", "{y:04d}-{m}-{d}", "{y:04d}/{m}/{d}", "{y:04d}/{m:02d}/{d:02d}",
                     "{y:04d}年{m}月{d}日", "{y:04d}年{m:02d}月{d:02d}号", "{y:04d}年{m}月{d}",
                     "{y:04d}-{m}/{d}", " {y:04d}-{m}-{d}", "{y:04d}-{m}-{d} 00:00:00", "{y:04d}{m:02d}{d:02d}",
                     "{y:04d}年 {m}月{d}日", "{y:04d}-{m:03d}-{d}", "{y:04d}.{m}.{d}", "{y:04d}年{m}月"]),
)
DATE_TEXT = st.one_of(st.none(), st.text(max_size=14), st.text(alphabet="0123456789-/年月日号 .", max_size=14),
                      WRITTEN_DATE)


@settings(max_examples=400, deadline=None)
@given(st.lists(DATE_TEXT, max_size=30), st.sampled_from([None, 2026, 1999]))
def test_vectorised_dates_equal_the_scalar_rule(values, max_year):
    got = parse_dates(pl.Series(values, dtype=pl.Utf8), max_year=max_year)
    assert got.schema == {"value": pl.Utf8, "date": pl.Date, "year": pl.Int64, "error": pl.Utf8}
    assert got["value"].to_list() == values
    assert list(got.drop("value").iter_rows()) == [tuple(parse_date(v, max_year=max_year)) for v in values]
