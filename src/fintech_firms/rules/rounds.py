"""Financing round names (data contract §2 Financing): canonical names and the C-and-later test."""

from __future__ import annotations

import re
import unicodedata

__all__ = ["normalize_round", "is_c_plus", "C_PLUS_PRE_LETTERS"]

# Noise is removed from the lookup key only; unknown rounds are returned as written (NFKC, stripped).
_NOISE_RE = re.compile(r"\s+|轮|融资|SERIES|系列|ROUND")
# Dash look-alikes that NFKC leaves alone ("Pre–A" with an en dash).
_DASHES = str.maketrans({c: "-" for c in "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\u30fc_"})

_LETTER_RE = re.compile(r"([A-J])(?:(\+{1,2})|-?([0-9]{1,2}))?")
_PRE_RE = re.compile(r"PRE-?([A-J])(\+{1,2})?")

_ALIASES = {
    "种子": "种子轮", "SEED": "种子轮",
    "天使": "天使轮", "ANGEL": "天使轮",
    "天使+": "天使+轮", "ANGEL+": "天使+轮",
    "PRE-IPO": "Pre-IPO", "PREIPO": "Pre-IPO",
    "IPO": "IPO", "首发": "IPO", "首次公开发行": "IPO", "上市": "IPO", "IPO上市": "IPO",
    "上市后": "上市后", "POST-IPO": "上市后", "POSTIPO": "上市后", "IPO后": "上市后",
    "战略投资": "战略投资", "战略": "战略投资", "战投": "战略投资", "STRATEGIC": "战略投资",
    "STRATEGICINVESTMENT": "战略投资",
    "并购": "并购", "收购": "并购", "M&A": "并购",
    "定向增发": "定向增发", "定增": "定向增发", "增发": "定向增发",
    "PRIVATEPLACEMENT": "定向增发",
    "新三板": "新三板", "新三板挂牌": "新三板",
    "股权转让": "股权转让", "老股转让": "股权转让",
    "债权": "债权融资", "DEBT": "债权融资", "DEBTFINANCING": "债权融资",
}  # fmt: skip


def _key(cleaned: str) -> str:
    return _NOISE_RE.sub("", cleaned.upper().translate(_DASHES))


def _clean(value: str) -> str:
    return unicodedata.normalize("NFKC", value).strip()


def _canonical(key: str) -> str | None:
    hit = _ALIASES.get(key)
    if hit is not None:
        return hit
    if m := _LETTER_RE.fullmatch(key):
        return m[1] + (m[2] or m[3] or "")
    if m := _PRE_RE.fullmatch(key):
        return "Pre-" + m[1] + (m[2] or "")
    return None


def normalize_round(value: str | None) -> str | None:
    """Canonical round name (天使轮, Pre-A, A, A+, B1, C, Pre-IPO, IPO, 战略投资, 并购, ...).

    Blank -> None; unrecognised text is returned NFKC-normalised and stripped. Idempotent.
    """
    if value is None:
        return None
    cleaned = _clean(value)
    if not cleaned:
        return None
    return _canonical(_key(cleaned)) or cleaned


# Pre-D and later come after the C round, so they are C-and-later; Pre-C is explicitly not (contract §2).
C_PLUS_PRE_LETTERS = frozenset("DEFGHIJ")
_C_PLUS_LETTERS = frozenset("CDEFGHIJ")


def is_c_plus(round: str | None) -> bool:  # noqa: A002 - name fixed by the engine's API
    """True for C, C+, C++, D, E, ... (with + and numbered variants), Pre-D and later, and Pre-IPO."""
    canon = normalize_round(round)
    if canon is None:
        return False
    if canon == "Pre-IPO":
        return True
    if canon.startswith("Pre-"):
        return len(canon) >= 5 and canon[4] in C_PLUS_PRE_LETTERS
    return _LETTER_RE.fullmatch(canon) is not None and canon[0] in _C_PLUS_LETTERS
