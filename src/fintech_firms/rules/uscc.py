"""统一社会信用代码 (Unified Social Credit Code, GB 32100-2015): normalisation and check character."""

from __future__ import annotations

import re
import unicodedata

import polars as pl

from .names import SPACE_RE, until_stable

__all__ = ["normalize_uscc", "is_valid_uscc", "check_char", "parse_uscc", "parse_usccs", "INVALID_USCC"]

INVALID_USCC = "invalid USCC (fails the GB 32100-2015 check)"


# The 31-character code set: digits and upper-case letters without I, O, Z, S, V.
_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_VALUE = {c: i for i, c in enumerate(_CHARSET)}
_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_SHAPE_RE = re.compile(r"[0-9A-HJ-NP-RTUW-Y]{18}")


def normalize_uscc(value: str | None) -> str:
    """NFKC, whitespace removed, upper-cased. None -> "". Idempotent."""
    if not value:
        return ""
    if value.isascii():
        return SPACE_RE.sub("", value).upper()
    # upper() and NFKC can each undo the other's normal form on exotic input.
    return until_stable(value, lambda s: SPACE_RE.sub("", unicodedata.normalize("NFKC", s)).upper())


def check_char(first17: str) -> str | None:
    """Check character for the first 17 characters of a code; None when they are not in the code set."""
    if len(first17) != 17:
        return None
    total = 0
    for ch, w in zip(first17, _WEIGHTS):
        v = _VALUE.get(ch)
        if v is None:
            return None
        total += v * w
    c = 31 - total % 31
    return _CHARSET[0 if c == 31 else c]


def is_valid_uscc(value: str | None) -> bool:
    """True when the normalised code has 18 code-set characters and a correct check character."""
    code = normalize_uscc(value)
    if not _SHAPE_RE.fullmatch(code):
        return False
    return check_char(code[:17]) == code[17]


def parse_uscc(value: str | None) -> tuple[str | None, str | None]:
    """(the normalised code when valid, else None; INVALID_USCC when a code is written but invalid)."""
    code = normalize_uscc(value)
    if not code:
        return None, None
    return (code, None) if is_valid_uscc(code) else (None, INVALID_USCC)


# ASCII text without \x1c-\x1f (white space to Python's \s and str.strip, not to polars): there
# normalize_uscc is "remove [\t\n\v\f\r ] and upper-case", which polars does the same way. Other text
# (full-width digits, ideographic spaces, ...) goes through parse_uscc itself.
_PLAIN_USCC = r"^[\x00-\x1b\x20-\x7f]*$"
_USCC_SPACE = r"[\t\n\x0b\x0c\r ]"
_USCC_SHAPE = r"^[0-9A-HJ-NP-RTUW-Y]{18}$"
# The code set and weights of the scalar rule, so that both paths share one definition. The code set
# is part of base 36's digits: a shaped code is read as three base-36 integers of six characters, and
# each character's value in the code set looked up by its base-36 digit (no string per character).
_BASE36 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_VALUE_BY_DIGIT = pl.Series([_VALUE.get(c) for c in _BASE36], dtype=pl.Int64)


def parse_usccs(values: pl.Series) -> pl.DataFrame:
    """parse_uscc over a polars Series of text: a DataFrame of `value`, `uscc` (the normalised code
    when valid) and `error`, one row per input row, in order."""
    frame = pl.DataFrame({"value": values.cast(pl.Utf8)}).with_columns(
        pl.col("value").str.contains(_PLAIN_USCC).fill_null(True).alias("_plain"),
        pl.col("value").str.replace_all(_USCC_SPACE, "").str.to_uppercase().alias("_code"),
    )
    code = pl.col("_code")
    shaped = frame.select(code.str.contains(_USCC_SHAPE).fill_null(False)).to_series().arg_true()
    groups = frame.select(code.gather(shaped).str.slice(6 * g, 6).str.to_integer(base=36).alias(f"_g{g}")
                          for g in range(3))

    def value(i: int) -> pl.Expr:
        """The code-set value of the shaped code's i-th character."""
        return pl.lit(_VALUE_BY_DIGIT).gather(pl.col(f"_g{i // 6}") // 36 ** (5 - i % 6) % 36)

    total = pl.sum_horizontal(value(i) * w for i, w in enumerate(_WEIGHTS))
    checked = groups.select(((31 - total % 31) % 31 == value(17)).alias("_valid")).to_series()
    valid = pl.repeat(False, frame.height, eager=True).scatter(shaped, checked)
    fast = frame.with_columns(valid.alias("_valid")).with_columns(
        pl.when("_valid").then(code).alias("uscc"),
        pl.when(code.is_not_null() & (code != "") & ~pl.col("_valid")).then(pl.lit(INVALID_USCC))
        .alias("error"),
    )
    others = fast.filter(~pl.col("_plain"))["value"].unique(maintain_order=True).to_list()
    parsed = [parse_uscc(v) for v in others]
    lookup = pl.DataFrame(
        {"value": others, "_uscc": [p[0] for p in parsed], "_error": [p[1] for p in parsed]},
        schema={"value": pl.Utf8, "_uscc": pl.Utf8, "_error": pl.Utf8},
    )
    fast = fast.join(lookup, on="value", how="left", nulls_equal=True, maintain_order="left")
    return fast.select(
        "value",
        *(pl.when(pl.col("_plain")).then(pl.col(name)).otherwise(pl.col(f"_{name}")).alias(name)
          for name in ("uscc", "error")),
    )
