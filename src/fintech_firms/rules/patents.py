"""Chinese patent application numbers and patent types (data contract §2 Patents)."""

from __future__ import annotations

import re
import unicodedata
from functools import cache
from operator import mul
from typing import NamedTuple

import polars as pl

from .names import SPACE_RE

__all__ = [
    "AppNo",
    "parse_app_no",
    "parse_app_number_keys",
    "app_no_key",
    "app_no_from_key",
    "app_no_keys",
    "app_nos_from_keys",
    "app_no_check_char",
    "patent_type_from_text",
    "ERR_MISSING",
    "ERR_CHECK",
    "ERR_MALFORMED",
    "year_out_of_range",
]

ERR_MISSING = "missing application number"
ERR_CHECK = "wrong check digit"
ERR_MALFORMED = "malformed application number"


class AppNo(NamedTuple):
    app_no: str | None
    patent_type: str | None
    year: int | None
    error: str | None


_MISSING = AppNo(None, None, None, ERR_MISSING)
_MALFORMED = AppNo(None, None, None, ERR_MALFORMED)
_WRONG_CHECK = AppNo(None, None, None, ERR_CHECK)

# CN is the only prefix the contract accepts; ZL (granted-patent numbers) is "any other form".
_ASCII_SPACE_RE = re.compile(r"\s+")
_APP_NO_RE = re.compile(r"(?:CN)?([0-9]{12}|[0-9]{8})(?:\.?([0-9X]))?")

_WEIGHTS_12 = (2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5)
_WEIGHTS_8 = (2, 3, 4, 5, 6, 7, 8, 9)
_OFFSET_12, _OFFSET_8 = ord("0") * sum(_WEIGHTS_12), ord("0") * sum(_WEIGHTS_8)
# China's patent law took effect in 1985; 12-digit numbers replaced 8-digit ones in October 2003.
FIRST_YEAR, LAST_8_DIGIT_YEAR = 1985, 2003
_TYPE_DIGIT = {"1": "invention", "8": "invention", "2": "utility", "9": "utility", "3": "design"}


def app_no_check_char(digits: str) -> str:
    """Check character of a 12- or 8-digit application number (mod 11, 10 -> X)."""
    weights, offset = (_WEIGHTS_12, _OFFSET_12) if len(digits) == 12 else (_WEIGHTS_8, _OFFSET_8)
    # Weighted sum over the ASCII codes, less the weighted '0's: a million numbers per ingest.
    r = (sum(map(mul, digits.encode("ascii"), weights)) - offset) % 11
    return "X" if r == 10 else str(r)


def parse_app_no(value: str | None, *, max_year: int | None = None) -> AppNo:
    """Parse an application number into (canonical "digits.check", type, year, error).

    Accepts an optional CN prefix, spaces, the dot before the check char, and a missing check char.
    Errors: "missing application number", "wrong check digit", "malformed application number",
    "application year out of range (YEAR)" (the patent system began in 1985; 8-digit numbers end in
    2003; nothing is filed after max_year, when given); on error every other field is None.
    """
    if value is None:
        return _MISSING
    if value.isascii():
        # NFKC is the identity on ASCII; most exports write numbers in plain ASCII.
        s = (_ASCII_SPACE_RE.sub("", value) if not value.isalnum() else value).upper()
    else:
        s = SPACE_RE.sub("", unicodedata.normalize("NFKC", value)).upper()
    if not s:
        return _MISSING
    m = _APP_NO_RE.fullmatch(s)
    if m is None:
        return _MALFORMED
    digits, given = m[1], m[2]
    check = app_no_check_char(digits)
    if given is not None and given != check:
        return _WRONG_CHECK
    if len(digits) == 12:
        year, type_digit, last = int(digits[:4]), digits[4], max_year
    else:
        yy = int(digits[:2])
        year, type_digit, last = (1900 + yy if yy >= 85 else 2000 + yy), digits[2], LAST_8_DIGIT_YEAR
    if year < FIRST_YEAR or (last is not None and year > last):
        return AppNo(None, None, None, year_out_of_range(year))
    return AppNo(f"{digits}.{check}", _TYPE_DIGIT.get(type_digit), year, None)


def year_out_of_range(year: int) -> str:
    return f"application year out of range ({year})"


_TYPE_WORDS = {
    "发明": "invention", "发明专利": "invention", "发明申请": "invention", "发明授权": "invention",
    "invention": "invention", "inventionpatent": "invention",
    "实用新型": "utility", "实用新型专利": "utility", "utility": "utility",
    "utilitymodel": "utility", "utilitymodelpatent": "utility",
    "外观设计": "design", "外观设计专利": "design", "外观": "design", "design": "design",
    "designpatent": "design",
}  # fmt: skip


def patent_type_from_text(value: str | None) -> str | None:
    """Map a written patent type (发明/实用新型/外观设计/invention/utility/design ...) to its key, else None."""
    if not value:
        return None
    key = SPACE_RE.sub("", unicodedata.normalize("NFKC", value).casefold())
    return _TYPE_WORDS.get(key)


# Vectorised parse_app_no for the plain values that make up nearly all of a patents export. The scalar
# function stays the definition: values with anything but ASCII letters, digits, dots and spaces go
# through it, and tests/rules check that both agree on every string.
_PLAIN_RE = r"^[A-Za-z0-9. ]*$"
_PLAIN_APP_NO_RE = r"^(?:CN)?([0-9]{12}|[0-9]{8})(?:\.?([0-9X]))?$"


def parse_app_numbers(values: pl.Series, *, max_year: int | None = None) -> pl.DataFrame:
    """parse_app_no over a polars Series of text: a DataFrame with the input column `value` and
    `app_no`, `patent_type`, `year`, `error`, one row per input row, in order."""
    frame = pl.DataFrame({"value": values.cast(pl.Utf8)}).with_columns(
        pl.col("value").str.contains(_PLAIN_RE).fill_null(False).alias("_plain"),
        pl.col("value").str.replace_all(" ", "", literal=True).str.to_uppercase().alias("_s"),
    )
    frame = frame.with_columns(
        pl.col("_s").str.extract_groups(_PLAIN_APP_NO_RE).struct.rename_fields(["_digits", "_given"])
        .alias("_parts")
    ).unnest("_parts")
    # Digits, year and type by integer arithmetic on the whole number: string slicing costs far more.
    frame = frame.with_columns(
        pl.col("_digits").str.len_chars().alias("_n"), pl.col("_digits").cast(pl.Int64).alias("_number"))
    number, twelve = pl.col("_number"), pl.col("_n") == 12
    # Both weighted digit sums built up one digit at a time (d the k-th digit from the right), then the
    # remainder once: an eager frame does not share repeated sub-expressions, and a column per digit
    # would hold twelve more integers per row at once (a gigabyte at ten million rows).
    frame = frame.with_columns(pl.lit(0, dtype=pl.Int64).alias("_sum12"), pl.lit(0, dtype=pl.Int64).alias("_sum8"))
    for k in range(12):
        digit = number // 10**k % 10
        sums = [(pl.col("_sum12") + digit * _WEIGHTS_12[11 - k]).alias("_sum12")]
        if k < 8:
            sums.append((pl.col("_sum8") + digit * _WEIGHTS_8[7 - k]).alias("_sum8"))
        frame = frame.with_columns(sums)
    frame = frame.with_columns(
        (pl.when(twelve).then(pl.col("_sum12")).otherwise(pl.col("_sum8")) % 11).alias("_remainder")
    ).drop("_sum12", "_sum8")
    remainder = pl.col("_remainder")
    check = pl.when(remainder == 10).then(pl.lit("X")).otherwise(remainder.cast(pl.Utf8))
    yy = number // 1_000_000
    year = pl.when(twelve).then(number // 100_000_000).when(yy >= 85).then(1900 + yy).otherwise(2000 + yy)
    last = pl.when(twelve).then(pl.lit(max_year, dtype=pl.Int64)).otherwise(LAST_8_DIGIT_YEAR)
    type_digit = pl.when(twelve).then(number // 10_000_000 % 10).otherwise(number // 100_000 % 10)
    frame = frame.with_columns(check.alias("_check"), year.alias("_year"), last.alias("_last"),
                               type_digit.cast(pl.Utf8).alias("_type_digit"))
    error = (
        pl.when(pl.col("value").is_null() | (pl.col("_s") == "")).then(pl.lit(ERR_MISSING))
        .when(pl.col("_digits").is_null()).then(pl.lit(ERR_MALFORMED))
        .when(pl.col("_given").is_not_null() & (pl.col("_given") != pl.col("_check")))
        .then(pl.lit(ERR_CHECK))
        .when((pl.col("_year") < FIRST_YEAR) | (pl.col("_year") > pl.col("_last")))
        .then(pl.format("application year out of range ({})", pl.col("_year")))
    )
    ok = error.is_null()
    fast = frame.select(
        "value", "_plain",
        pl.when(ok).then(pl.format("{}.{}", "_digits", "_check")).alias("app_no"),
        pl.when(ok).then(pl.col("_type_digit").replace_strict(_TYPE_DIGIT, default=None))
        .alias("patent_type"),
        pl.when(ok).then(pl.col("_year")).alias("year"),
        error.alias("error"),
    )
    fields = {"app_no": pl.Utf8, "patent_type": pl.Utf8, "year": pl.Int64, "error": pl.Utf8}
    others = fast.filter(~pl.col("_plain"))["value"].unique(maintain_order=True).to_list()
    parsed = [parse_app_no(v, max_year=max_year) for v in others]
    lookup = pl.DataFrame(
        {"value": others, **{f"_{name}": [getattr(p, name) for p in parsed] for name in fields}},
        schema={"value": pl.Utf8, **{f"_{name}": dtype for name, dtype in fields.items()}},
    )
    fast = fast.join(lookup, on="value", how="left", nulls_equal=True, maintain_order="left")
    return fast.select(
        "value",
        *(pl.when(pl.col("_plain")).then(pl.col(name)).otherwise(pl.col(f"_{name}")).alias(name)
          for name in fields),
    )


# An application number as an integer: grouping and sorting ten million numbers by an Int64 costs a
# fraction of doing it by the strings. The canonical numbers are "8 digits.c" and "12 digits.c"; as
# strings they compare by their first eight digits, then an 8-digit number ('.' < '0') before every
# 12-digit one that starts with its digits, then the last four digits, then the check character
# ('0'-'9' < 'X', its values 0-10). The key follows that: first eight digits * KEY_BASE + a tail of
# 0-10 (8-digit: the check value) or 11 + last four * 11 + check (12-digit, 11-110010). One-to-one,
# and in string order for every canonical number (tests/test_patent_order.py).
KEY_BASE = 11 + 10_000 * 11
_CHECK_CHARS = "0123456789X"


def app_no_key(app_no: str) -> int:
    """The integer of a canonical application number ("digits.check"), in the numbers' string order."""
    digits, check = app_no.split(".")
    tail = _CHECK_CHARS.index(check)
    if len(digits) == 12:
        tail += 11 + int(digits[8:]) * 11
    return int(digits[:8]) * KEY_BASE + tail


def app_no_from_key(key: int) -> str:
    """The canonical number of an app_no_key."""
    first, tail = divmod(key, KEY_BASE)
    if tail < 11:
        return f"{first:08d}.{_CHECK_CHARS[tail]}"
    last, check = divmod(tail - 11, 11)
    return f"{first:08d}{last:04d}.{_CHECK_CHARS[check]}"


def _key_expr(number: pl.Expr, twelve: pl.Expr, check: pl.Expr) -> pl.Expr:
    """app_no_key from the digits as one integer, whether there are twelve, and the check value."""
    return (pl.when(twelve).then(number // 10_000 * KEY_BASE + 11 + number % 10_000 * 11 + check)
            .otherwise(number * KEY_BASE + check))


def app_no_keys(app_nos: pl.Series) -> pl.Series:
    """app_no_key over a Series of canonical numbers (null stays null)."""
    parts = pl.col("s").str.split_exact(".", 1).struct
    digits = parts.field("field_0")
    check = parts.field("field_1").replace_strict(_CHECK_VALUE, default=None, return_dtype=pl.Int64)
    key = _key_expr(digits.cast(pl.Int64), digits.str.len_bytes() == 12, check)
    return pl.DataFrame({"s": app_nos.cast(pl.Utf8)}).select(key.alias(app_nos.name)).to_series()


def app_nos_from_keys(keys: pl.Series) -> pl.Series:
    """app_no_from_key over a Series of keys (null stays null)."""
    # The first eight digits as text, then the rest, which the key's tail alone gives (".c" or
    # "LLLL.c"), gathered from a table of every tail: one string concatenation per number (the writer
    # makes the text of twenty million numbers at scale 10).
    key = pl.col("k")
    text = pl.concat_str((key // KEY_BASE).cast(pl.Utf8).str.zfill(8), pl.lit(_tails()).gather(key % KEY_BASE))
    return pl.DataFrame({"k": keys.cast(pl.Int64)}).select(text.alias(keys.name)).to_series()


@cache
def _tails() -> pl.Series:
    """app_no_from_key's text after the first eight digits, for every tail 0 .. KEY_BASE - 1 of a key."""
    tail = pl.int_range(0, KEY_BASE, dtype=pl.Int64, eager=True).to_frame("t")
    twelve = pl.col("t") >= 11
    last = pl.when(twelve).then(((pl.col("t") - 11) // 11).cast(pl.Utf8).str.zfill(4)).otherwise(pl.lit(""))
    check = pl.when(twelve).then((pl.col("t") - 11) % 11).otherwise(pl.col("t"))
    return tail.select(pl.concat_str(last, pl.lit("."), pl.lit(_CHECK_SERIES).gather(check))).to_series()


_CHECK_VALUE = {c: i for i, c in enumerate(_CHECK_CHARS)}
_CHECK_SERIES = pl.Series(list(_CHECK_CHARS), dtype=pl.Utf8)
PATENT_TYPES = pl.Enum(["invention", "utility", "design"])


def parse_app_number_keys(values: pl.Series, *, max_year: int | None = None) -> pl.DataFrame:
    """parse_app_no over a polars Series of text, the canonical number given as its app_no_key: a
    DataFrame of `key` (Int64), `patent_type` (PATENT_TYPES), `year` (Int32), `error`, one row per
    input row, in order.

    Numbers written exactly as the pattern asks (upper case, no spaces: nearly every value of an
    export) are parsed by integer arithmetic, without a string made per row. The others in ASCII are
    cleaned as parse_app_no cleans them (white space out, upper case) and parsed the same way; the rest
    (full-width digits and other Unicode) go through parse_app_no itself, once per distinct value.
    """
    values = values.cast(pl.Utf8)
    parsed = _keyed(values, max_year)
    others = (parsed["_error"] == _NO_MATCH).arg_true()
    if others.len():
        rest = values.gather(others)
        ascii_text = rest.str.contains(r"^[\x00-\x7f]*$").fill_null(True)
        # Python's \s on ASCII: the C0 separators \x1c-\x1f are white space too.
        cleaned = rest.str.replace_all(r"[\t\n\x0b\x0c\r\x1c-\x1f ]", "").str.to_uppercase()
        again = _keyed(cleaned, max_year).with_columns(
            pl.when(cleaned.is_null() | (cleaned == "")).then(pl.lit(_MISSING_CODE, dtype=pl.Int64))
            .otherwise(pl.col("_error")).alias("_error"))
        unicode = (~ascii_text).arg_true()
        if unicode.len():
            again = again.with_columns(again[c].scatter(unicode, column)
                                       for c, column in _scalar_keys(rest.gather(unicode), max_year).items())
        parsed = parsed.with_columns(parsed[c].scatter(others, again[c]) for c in parsed.columns)
    codes = parsed["_error"]
    failed = codes.is_not_null().arg_true()
    error = pl.repeat(None, parsed.height, dtype=pl.Utf8, eager=True).alias("error")
    if failed.len():
        error = error.scatter(failed, [_ERRORS.get(c) or year_out_of_range(c) for c in codes.gather(failed).to_list()])
    return parsed.drop("_error").with_columns(error)


# parse_app_number_keys' error codes (the year itself for a year out of range).
_WRONG_CHECK_CODE, _NO_MATCH, _MISSING_CODE = -1, -2, -3
_ERRORS = {_WRONG_CHECK_CODE: ERR_CHECK, _NO_MATCH: ERR_MALFORMED, _MISSING_CODE: ERR_MISSING}
_TYPE_NUMBER = {int(digit): name for digit, name in _TYPE_DIGIT.items()}
_TYPE_BY_DIGIT = pl.Series([_TYPE_NUMBER.get(d) for d in range(10)], dtype=PATENT_TYPES)


def _weighted_sums(weights: tuple[int, ...]) -> pl.Series:
    """The weighted digit sum of every four-digit group 0000-9999."""
    return pl.Series([sum(int(d) * w for d, w in zip(f"{x:04d}", weights)) for x in range(10_000)], dtype=pl.Int64)


# An 8-digit number's weights are the 12-digit weights of its first eight digits, so an 8-digit number
# is checked as itself followed by four zeros; the 12 weights are three groups of four, the first and
# last alike: three lookups instead of twelve digits taken apart.
_SUMS_2345, _SUMS_6789 = _weighted_sums(_WEIGHTS_12[:4]), _weighted_sums(_WEIGHTS_12[4:8])


def _keyed(values: pl.Series, max_year: int | None) -> pl.DataFrame:
    """key, patent_type, year of each value that matches the pattern as it is written, and `_error`: null,
    or _WRONG_CHECK_CODE, _NO_MATCH (also for null), or the year when it is out of range."""
    # The pattern tells whether a value matches (a search without capture groups, several times faster
    # than extracting them); a match is then taken apart by its length: CN, 8 or 12 digits, and an
    # optional check character (after a dot or not), so 8, 9, 10, 12, 13 or 14 characters after CN.
    value = pl.col("value")
    body = value.str.strip_prefix("CN")
    parts = pl.DataFrame({"value": values}).lazy().with_columns(
        value.str.contains(_PLAIN_APP_NO_RE).alias("_ok"), body.str.len_bytes().alias("_len"))
    matched, length = pl.col("_ok"), pl.col("_len")
    digits = body.str.slice(0, pl.when(length >= 12).then(12).otherwise(8))
    given = pl.when(value.str.ends_with("X")).then(pl.lit(10, dtype=pl.Int64)).otherwise(
        value.str.tail(1).str.to_integer(strict=False))
    # `_m`: the digits as a 12-digit integer (an 8-digit number followed by 0000).
    m, twelve = pl.col("_m"), pl.col("_twelve")
    check = (pl.lit(_SUMS_2345).gather(m // 10**8) + pl.lit(_SUMS_6789).gather(m // 10**4 % 10**4)
             + pl.lit(_SUMS_2345).gather(m % 10**4)) % 11
    yy = m // 10**10
    year = pl.when(twelve).then(m // 10**8).when(yy >= 85).then(1900 + yy).otherwise(2000 + yy)
    # Without max_year no 12-digit number is too late (a 4-digit year is below 10_000).
    latest = pl.lit(10_000 if max_year is None else max_year, dtype=pl.Int64)
    last = pl.when(twelve).then(latest).otherwise(LAST_8_DIGIT_YEAR)
    type_digit = pl.when(twelve).then(m // 10**7 % 10).otherwise(m // 10**9 % 10)
    # The key (see _key_expr) of the 12-digit integer.
    key = m // 10**4 * KEY_BASE + pl.when(twelve).then(11 + m % 10**4 * 11).otherwise(0) + pl.col("_check")
    wrong_check = pl.col("_given").is_not_null() & (pl.col("_given") != pl.col("_check"))
    out_of_range = (pl.col("_year") < FIRST_YEAR) | (pl.col("_year") > last)
    ok = m.is_not_null() & ~(wrong_check | out_of_range)
    return (
        parts.select(
            pl.when(matched).then(length >= 12).alias("_twelve"),
            pl.when(matched).then(digits.str.to_integer(strict=False)).alias("_n"),
            pl.when(matched & ~length.is_in([8, 12])).then(given).alias("_given"))
        .select("_twelve", "_given", pl.when(pl.col("_twelve")).then("_n").otherwise(pl.col("_n") * 10**4).alias("_m"))
        .with_columns(check.alias("_check"), year.alias("_year"))
        .select(
            pl.when(ok).then(key).alias("key"),
            pl.when(ok).then(pl.lit(_TYPE_BY_DIGIT).gather(type_digit)).alias("patent_type"),
            pl.when(ok).then(pl.col("_year")).cast(pl.Int32).alias("year"),
            pl.when(m.is_null()).then(pl.lit(_NO_MATCH, dtype=pl.Int64))
            .when(wrong_check).then(pl.lit(_WRONG_CHECK_CODE, dtype=pl.Int64))
            .when(out_of_range).then(pl.col("_year")).alias("_error"))
        .collect()
    )


def _scalar_keys(values: pl.Series, max_year: int | None) -> dict[str, pl.Series]:
    """_keyed's columns by parse_app_no itself, once per distinct value."""
    distinct = values.unique(maintain_order=True)
    found = [parse_app_no(v, max_year=max_year) for v in distinct.to_list()]
    codes = {text: code for code, text in _ERRORS.items()}
    lookup = pl.DataFrame({
        "value": distinct,
        "key": pl.Series([None if p.app_no is None else app_no_key(p.app_no) for p in found], dtype=pl.Int64),
        "patent_type": pl.Series([p.patent_type for p in found], dtype=PATENT_TYPES),
        "year": pl.Series([p.year for p in found], dtype=pl.Int32),
        "_error": pl.Series([_error_code(p.error, codes) for p in found], dtype=pl.Int64),
    })
    joined = values.to_frame("value").join(lookup, on="value", how="left", nulls_equal=True, maintain_order="left")
    return {c: joined[c] for c in ("key", "patent_type", "year", "_error")}


def _error_code(error: str | None, codes: dict[str, int]) -> int | None:
    """The code of one of parse_app_no's errors (the year, for a year out of range)."""
    if error is None or error in codes:
        return None if error is None else codes[error]
    year = int(error.removeprefix("application year out of range (").removesuffix(")"))
    if year_out_of_range(year) != error:
        raise RuntimeError(f"internal error: unknown application number error {error!r}")
    return year
