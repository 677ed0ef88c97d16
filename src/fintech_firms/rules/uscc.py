"""统一社会信用代码 (Unified Social Credit Code, GB 32100-2015): normalisation and check character."""

from __future__ import annotations

import re
import unicodedata

from .names import SPACE_RE, until_stable

__all__ = ["normalize_uscc", "is_valid_uscc", "check_char", "parse_uscc", "INVALID_USCC"]

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
