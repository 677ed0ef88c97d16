"""Scalar cell values: dates, counts and booleans (data contract §1).

Parsers return a NamedTuple with an ``error`` field instead of raising; the error strings are short, lowercase
and stable because they become quarantine reasons.
"""

from __future__ import annotations

import datetime
import re
import unicodedata
from typing import NamedTuple

import polars as pl

__all__ = [
    "ParsedDate",
    "ParsedInt",
    "ParsedBool",
    "parse_date",
    "parse_dates",
    "parse_count",
    "parse_bool",
    "ERR_INVALID_DATE",
    "ERR_UNPARSEABLE_DATE",
    "ERR_NEGATIVE",
    "ERR_NOT_WHOLE",
    "ERR_NOT_A_NUMBER",
    "ERR_TOO_LARGE",
    "ERR_NOT_BOOLEAN",
    "date_out_of_range",
]

ERR_INVALID_DATE = "invalid date"
ERR_UNPARSEABLE_DATE = "unparseable date"
ERR_NEGATIVE = "negative number"
ERR_NOT_WHOLE = "not a whole number"
ERR_NOT_A_NUMBER = "not a number"
ERR_TOO_LARGE = "number too large"
ERR_NOT_BOOLEAN = "not a boolean"

MIN_YEAR = 1900
_INT64_MAX = 2**63 - 1

# Invisible characters that survive NFKC and str.strip() but are noise in exported cells.
_ZERO_WIDTH_RE = re.compile(r"[\u200b\u200c\u200d\u2060\ufeff]")


def _clean(value: str) -> str:
    if value.isascii():
        return value.strip()
    return _ZERO_WIDTH_RE.sub("", unicodedata.normalize("NFKC", value)).strip()


def date_out_of_range(year: int) -> str:
    """The error string for a year outside [1900, max_year]."""
    return f"date out of range ({year})"


class ParsedDate(NamedTuple):
    date: datetime.date | None
    year: int | None
    error: str | None


_BLANK_DATE = ParsedDate(None, None, None)

# Exports append a time (pandas/Excel "00:00:00", ISO "T08:00:00", sometimes a zone); only the date matters.
_TIME = (
    r"(?:(?:\s+|T)(?:[01]?[0-9]|2[0-3]):[0-5][0-9](?::[0-5][0-9](?:\.[0-9]{1,9})?)?"
    r"(?:\s*(?:Z|[+-](?:[01][0-9]|2[0-3]):?[0-5][0-9]))?)?"
)
# Same separator twice: "2021-3/5" is more likely garbage than a date.
_SEP_DATE_RE = re.compile(r"([0-9]{4})([-/.])([0-9]{1,2})\2([0-9]{1,2})" + _TIME)
_COMPACT_DATE_RE = re.compile(r"([0-9]{4})([0-9]{2})([0-9]{2})(?:\.0+|" + _TIME + r")")
_CJK_DATE_RE = re.compile(
    r"([0-9]{4})\s*年\s*([0-9]{1,2})\s*月\s*([0-9]{1,2})\s*[日号]?" + _TIME
)
_CJK_MONTH_RE = re.compile(r"([0-9]{4})\s*年\s*([0-9]{1,2})\s*月")
# "2021.0" is an Excel float year, so a dot month must not be all zeros to count as year-month.
_SEP_MONTH_RE = re.compile(r"([0-9]{4})(?:[-/]([0-9]{1,2})|\.(?!0+$)([0-9]{1,2}))")
_YEAR_RE = re.compile(r"([0-9]{4})(?:\s*年|\.0+)?")


def _year_error(year: int, max_year: int | None) -> ParsedDate | None:
    if year < MIN_YEAR or (max_year is not None and year > max_year):
        return ParsedDate(None, None, date_out_of_range(year))
    return None


def _full_date(y: str, m: str, d: str, max_year: int | None) -> ParsedDate:
    year = int(y)
    bad = _year_error(year, max_year)
    if bad is not None:
        return bad
    try:
        return ParsedDate(datetime.date(year, int(m), int(d)), year, None)
    except ValueError:
        return ParsedDate(None, None, ERR_INVALID_DATE)


def _year_month(y: str, m: str, max_year: int | None) -> ParsedDate:
    year = int(y)
    bad = _year_error(year, max_year)
    if bad is not None:
        return bad
    if not 1 <= int(m) <= 12:
        return ParsedDate(None, None, ERR_INVALID_DATE)
    return ParsedDate(None, year, None)


def parse_date(value: str | None, *, max_year: int | None = None) -> ParsedDate:
    """Parse a date cell into (date, year, error).

    Full dates give date and year; year-month (``2021年3月``, ``2021-03``) and bare years give the year
    only. Blank -> (None, None, None). Errors: "invalid date", "date out of range (YEAR)" (year < 1900 or
    > max_year), "unparseable date".
    """
    if value is None:
        return _BLANK_DATE
    s = _clean(value)
    if not s:
        return _BLANK_DATE
    if m := _SEP_DATE_RE.fullmatch(s):
        return _full_date(m[1], m[3], m[4], max_year)
    if m := _COMPACT_DATE_RE.fullmatch(s):
        return _full_date(m[1], m[2], m[3], max_year)
    if m := _CJK_DATE_RE.fullmatch(s):
        return _full_date(m[1], m[2], m[3], max_year)
    if m := _CJK_MONTH_RE.fullmatch(s):
        return _year_month(m[1], m[2], max_year)
    if m := _SEP_MONTH_RE.fullmatch(s):
        return _year_month(m[1], m[2] or m[3], max_year)
    if m := _YEAR_RE.fullmatch(s):
        year = int(m[1])
        return _year_error(year, max_year) or ParsedDate(None, year, None)
    return ParsedDate(None, None, ERR_UNPARSEABLE_DATE)


# Vectorised parse_date for the dates nearly every export writes: 2021-03-05, 2021/3/5, 2021年3月5日 (no
# white space, no time). There _clean changes nothing (NFKC leaves 年, 月, 日 and 号 as they are) and
# the first pattern that fits is _SEP_DATE_RE's or _CJK_DATE_RE's, so a full date follows from the
# three numbers; every other value goes through parse_date, the definition (tests/rules check that both
# agree on every string).
_FAST_DATE = r"^[0-9]{4}(?:-[0-9]{1,2}-[0-9]{1,2}|/[0-9]{1,2}/[0-9]{1,2}|年[0-9]{1,2}月[0-9]{1,2}[日号]?)$"
_DAYS_IN_MONTH = pl.Series([31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31], dtype=pl.Int64)


def parse_dates(values: pl.Series, *, max_year: int | None = None) -> pl.DataFrame:
    """parse_date over a polars Series of text: a DataFrame of the input column `value`, `date` (Date),
    `year` (Int64) and `error` (Utf8), one row per value, in order."""
    frame = pl.DataFrame({"value": values.cast(pl.Utf8)}).with_columns(
        pl.col("value").str.contains(_FAST_DATE).fill_null(False).alias("_fast"))
    numbers = pl.col("value").str.extract_all("[0-9]+")
    frame = frame.with_columns(
        *(pl.when("_fast").then(numbers.list.get(i, null_on_oob=True)).cast(pl.Int64).alias(name)
          for i, name in enumerate(("_y", "_m", "_d"))))
    y, m, d = pl.col("_y"), pl.col("_m"), pl.col("_d")
    leap = ((y % 4 == 0) & (y % 100 != 0)) | (y % 400 == 0)
    month_ok = (m >= 1) & (m <= 12)
    days = pl.lit(_DAYS_IN_MONTH).gather(pl.when(month_ok).then(m - 1).otherwise(0))
    days = days + pl.when(leap & (m == 2)).then(1).otherwise(0)
    out_of_range = (y < MIN_YEAR) | (pl.lit(max_year is not None) & (y > (max_year or 0)))
    valid = month_ok & (d >= 1) & (d <= days)
    ok = ~out_of_range & valid
    fast = frame.select(
        "value", "_fast",
        pl.when(ok).then(pl.date(y, pl.when(ok).then(m).otherwise(1), pl.when(ok).then(d).otherwise(1)))
        .alias("date"),
        pl.when(ok).then(y).alias("year"),
        pl.when(out_of_range).then(pl.format("date out of range ({})", y))
        .when(~valid).then(pl.lit(ERR_INVALID_DATE)).alias("error"),
    )
    others = (~fast["_fast"]).arg_true()
    fast = fast.drop("_fast")
    if others.len():
        slow = values.gather(others)
        distinct = slow.unique(maintain_order=True)
        found = [parse_date(v, max_year=max_year) for v in distinct.to_list()]
        lookup = pl.DataFrame({
            "value": distinct,
            "date": pl.Series([p.date for p in found], dtype=pl.Date),
            "year": pl.Series([p.year for p in found], dtype=pl.Int64),
            "error": pl.Series([p.error for p in found], dtype=pl.Utf8),
        })
        joined = slow.to_frame("value").join(lookup, on="value", how="left", nulls_equal=True,
                                             maintain_order="left")
        fast = fast.with_columns(fast[c].scatter(others, joined[c]) for c in ("date", "year", "error"))
    return fast


class ParsedInt(NamedTuple):
    value: int | None
    error: str | None


_BLANK_INT = ParsedInt(None, None)

# Thousands groups must be well formed ("1,234", "1 234"): "1,2" is more likely a list or a decimal comma
# than twelve. NFKC has already turned "，" and NBSP/thin spaces into "," and " ".
_COUNT_RE = re.compile(
    r"([+-]?)\s*([0-9]+|[0-9]{1,3}(?:,[0-9]{3})+|[0-9]{1,3}(?: [0-9]{3})+)(?:\.([0-9]+))?"
)


def parse_count(value: str | None) -> ParsedInt:
    """Parse a non-negative whole count (thousands separators, Excel ``1234.0``, full-width digits).

    Blank -> (None, None). Errors: "negative number", "not a whole number", "number too large"
    (beyond int64), "not a number".
    """
    if value is None:
        return _BLANK_INT
    s = _clean(value)
    if not s:
        return _BLANK_INT
    m = _COUNT_RE.fullmatch(s)
    if m is None:
        return ParsedInt(None, ERR_NOT_A_NUMBER)
    digits = m[2].replace(",", "").replace(" ", "").lstrip("0")
    frac = m[3]
    nonzero = bool(digits) or (frac is not None and frac.strip("0") != "")
    if m[1] == "-" and nonzero:
        return ParsedInt(None, ERR_NEGATIVE)
    if frac is not None and frac.strip("0"):
        return ParsedInt(None, ERR_NOT_WHOLE)
    # Length check first: int() refuses very long digit strings, and parquet wants int64 anyway.
    if len(digits) > 19:
        return ParsedInt(None, ERR_TOO_LARGE)
    n = int(digits) if digits else 0
    if n > _INT64_MAX:
        return ParsedInt(None, ERR_TOO_LARGE)
    return ParsedInt(n, None)


class ParsedBool(NamedTuple):
    value: bool | None
    error: str | None


_BLANK_BOOL = ParsedBool(None, None)
_TRUE = ParsedBool(True, None)
_FALSE = ParsedBool(False, None)
_BOOL_WORDS = {
    "是": _TRUE, "有": _TRUE, "y": _TRUE, "yes": _TRUE, "true": _TRUE,
    "否": _FALSE, "无": _FALSE, "n": _FALSE, "no": _FALSE, "false": _FALSE,
}  # fmt: skip
_BOOL_NUM_RE = re.compile(r"([01])(?:\.0+)?")


def parse_bool(value: str | None) -> ParsedBool:
    """Parse 是/否, 有/无, Y/N, yes/no, true/false, 1/0 (also ``1.0``/``0.0``); case-insensitive.

    Blank -> (None, None); anything else -> error "not a boolean".
    """
    if value is None:
        return _BLANK_BOOL
    s = _clean(value)
    if not s:
        return _BLANK_BOOL
    hit = _BOOL_WORDS.get(s.casefold())
    if hit is not None:
        return hit
    if m := _BOOL_NUM_RE.fullmatch(s):
        return _TRUE if m[1] == "1" else _FALSE
    return ParsedBool(None, ERR_NOT_BOOLEAN)
