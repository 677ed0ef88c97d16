"""Scalar cell values: dates, counts and booleans (data contract §1).

Parsers return a NamedTuple with an ``error`` field instead of raising; the error strings are short, lowercase
and stable because they become quarantine reasons.
"""

from __future__ import annotations

import datetime
import re
import unicodedata
from typing import NamedTuple

__all__ = [
    "ParsedDate",
    "ParsedInt",
    "ParsedBool",
    "parse_date",
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
