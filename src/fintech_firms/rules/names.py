"""Firm-name normalisation and list-cell splitting (data contract §1 lists, §2 firm identity)."""

from __future__ import annotations

import re
import string
import unicodedata
from collections.abc import Callable, Iterable

import polars as pl

from ..frames import position_in_runs

__all__ = ["normalize_name", "normalize_names", "split_list", "split_lists", "split_lists_at", "unique_in_order"]

# \s covers Unicode whitespace (\u3000, NBSP, tabs, newlines); the zero-width characters and the BOM are
# not whitespace to Python but are invisible in exports and would otherwise split one firm into two.
SPACE_RE = re.compile(r"[\s\u200b\u200c\u200d\u2060\ufeff]+")
_ASCII_SPACE_RE = re.compile(r"\s+")

# NFKC can create new whitespace (e.g. U+00A8 -> " \u0308") and removing whitespace can bring a combining
# mark next to a new base letter, so one pass is not always a fixed point; a few passes always are.
_MAX_PASSES = 6


def normalize_name(value: str | None) -> str:
    """Comparison key of a firm name: NFKC, all whitespace removed, parens unified, case-folded.

    None -> "". Idempotent. Full-width parentheses become ASCII ones through NFKC.
    """
    if not value:
        return ""
    if value.isascii():
        # NFKC is the identity on ASCII and casefold() equals lower() there.
        return _ASCII_SPACE_RE.sub("", value).lower()
    return until_stable(value, lambda s: SPACE_RE.sub("", unicodedata.normalize("NFKC", s).casefold()))


def until_stable(value: str, step: Callable[[str], str]) -> str:
    """`step` applied until the text stops changing, so that a normaliser is idempotent."""
    s = value
    for _ in range(_MAX_PASSES):
        t = step(s)
        if t == s:
            break
        s = t
    return s


_CORP_SUFFIX = (
    r"(?:Ltd\.?|Limited|Inc\.?|LLC|Co\.|Corp\.?|Corporation|L\.P\.|LP|S\.A\.|GmbH|AG|PLC)"
)
# A half-width comma is a separator unless an English corporate suffix follows it as a whole word
# ("Huawei Technologies Co., Ltd."). (?!\w) rather than \b because suffixes may end with a dot.
_SPLIT_RE = re.compile(
    r"[;；，、|｜]|,(?!\s*" + _CORP_SUFFIX + r"(?!\w))",
    re.IGNORECASE,
)
_SEPARATORS = frozenset(";；,，、|｜")


def split_list(value: str | None) -> list[str]:
    """Split a list cell on ; ； , ， 、 | (and full-width ｜); strip items, drop empty ones, keep order.

    A ", Ltd."-style comma before an English corporate suffix stays inside the name. No dedupe.
    """
    if not value:
        return []
    if _SEPARATORS.isdisjoint(value):
        item = value.strip()
        return [item] if item else []
    return [item for part in _SPLIT_RE.split(value) if (item := part.strip())]


def unique_in_order(
    items: Iterable[str], key: Callable[[str], object] = normalize_name
) -> list[str]:
    """Dedupe by key, keeping first-seen order and the first spelling."""
    seen: set[object] = set()
    out: list[str] = []
    for item in items:
        k = key(item)
        if k not in seen:
            seen.add(k)
            out.append(item)
    return out


# Values with no half-width comma (whose corporate-suffix rule needs a look-ahead) and none of
# \x1c-\x1f (white space to Python's strip, not to polars') split the same by plain polars string
# functions; split_lists sends every other value through split_list, the rule's definition. Values
# with no separator at all (nearly every applicants cell) are one item, stripped.
_PLAIN_LIST = r"^[^,\x1c-\x1f]*$"
_OTHER_SEPARATORS = r"[；，、|｜]"
_NO_SEPARATOR = r"^[^;；,，、|｜\x1c-\x1f]*$"


def split_lists(values: pl.Series) -> pl.DataFrame:
    """split_list over a polars Series of distinct cells: a DataFrame of (value, position, item),
    a row per item, each value's items together and in order (cells without items have no row)."""
    items = split_lists_at(values)
    return items.select(values.cast(pl.Utf8).gather(items["index"]).alias("value"), "position", "item")


def split_lists_at(values: pl.Series) -> pl.DataFrame:
    """split_list over a polars Series of cells: a DataFrame of (index, position, item), `index` the
    value's place in `values` (UInt32), a row per item, each value's items together and in order
    (cells without items have no row)."""
    # Each pattern is matched once, into a column, rather than once per filter that uses it.
    frame = (pl.DataFrame({"value": values.cast(pl.Utf8)}).with_row_index("index")
             .filter(pl.col("value").is_not_null())
             .with_columns(pl.col("value").str.contains(_NO_SEPARATOR).alias("_single")))
    one = (frame.filter("_single").select("index", pl.lit(1, dtype=pl.Int64).alias("position"),
                                          pl.col("value").str.strip_chars().alias("item"))
           .filter(pl.col("item") != ""))
    frame = frame.filter(~pl.col("_single")).select(
        "index", "value", pl.col("value").str.contains(_PLAIN_LIST).alias("_plain"))
    fast = (
        frame.filter("_plain")
        .select("index", pl.col("value").str.replace_all(_OTHER_SEPARATORS, ";").str.split(";").alias("item"))
        .explode("item")
        .with_columns(pl.col("item").str.strip_chars())
        .filter(pl.col("item") != "")
    )
    others = frame.filter(~pl.col("_plain")).select("index", "value")
    pairs = [(i, item) for i, v in others.iter_rows() for item in split_list(v)]
    slow = pl.DataFrame(pairs, schema={"index": pl.UInt32, "item": pl.Utf8}, orient="row")
    # Each value's items stay together and in order, which is all the positions need.
    several = pl.concat([fast, slow]).select("index", position_in_runs("index").alias("position"), "item")
    return pl.concat([one, several])


# Names made only of CJK unified ideographs, printable ASCII, full-width parentheses, the ideographic
# space and the zero-width characters (nearly every Chinese firm name): there NFKC only turns （） into ()
# and \u3000 into a space, casefold only lower-cases ASCII letters, and the white space to remove is the
# ASCII and ideographic space and the zero-width characters; so one replace_many gives normalize_name's
# key (faster than str.to_lowercase, which handles all of Unicode). Other names go through normalize_name.
_PLAIN_NAME = r"^[\x20-\x7e\u4e00-\u9fff（）\u3000\u200b\u200c\u200d\u2060\ufeff]*$"
_ZERO_WIDTH = "\u200b\u200c\u200d\u2060\ufeff"
_NAME_FROM = ["（", "）", " ", "\u3000", *_ZERO_WIDTH, *string.ascii_uppercase]
_NAME_TO = ["(", ")", "", "", *[""] * len(_ZERO_WIDTH), *string.ascii_lowercase]


def normalize_names(values: pl.Series) -> pl.Series:
    """normalize_name over a polars Series of text, one key per input row, in order."""
    values = values.cast(pl.Utf8)
    keys = values.str.replace_many(_NAME_FROM, _NAME_TO).fill_null("").alias(values.name)
    others = (~values.str.contains(_PLAIN_NAME).fill_null(True)).arg_true()
    if others.len():
        # The few other names go through the rule, once per distinct name, and are put in place.
        slow = values.gather(others).to_list()
        found = {v: normalize_name(v) for v in dict.fromkeys(slow)}
        keys = keys.scatter(others, pl.Series([found[v] for v in slow], dtype=pl.Utf8))
    return keys
