"""Chinese patent application numbers and patent types (data contract §2 Patents)."""

from __future__ import annotations

import re
import unicodedata
from operator import mul
from typing import NamedTuple

import polars as pl

from .names import SPACE_RE

__all__ = [
    "AppNo",
    "parse_app_no",
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
