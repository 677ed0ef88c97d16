"""High-tech enterprise certificate numbers (data contract §2 High-tech status)."""

from __future__ import annotations

import re
import unicodedata

from .names import SPACE_RE

__all__ = ["cert_year"]

_CERT_RE = re.compile(r"GR([0-9]{4})[0-9]+")


def cert_year(cert_no: str | None) -> int | None:
    """Issue year of a certificate number "GR" + 4-digit year + digits (GR202144001234 -> 2021), else None."""
    if not cert_no:
        return None
    s = SPACE_RE.sub("", unicodedata.normalize("NFKC", cert_no)).upper()
    m = _CERT_RE.fullmatch(s)
    return int(m[1]) if m else None
