"""High-tech enterprise certificate numbers (data contract §2 High-tech status)."""

from __future__ import annotations

import re
import unicodedata

import polars as pl

from .names import SPACE_RE

__all__ = ["cert_year", "cert_years"]

_CERT_RE = re.compile(r"GR([0-9]{4})[0-9]+")


def cert_year(cert_no: str | None) -> int | None:
    """Issue year of a certificate number "GR" + 4-digit year + digits (GR202144001234 -> 2021), else None."""
    if not cert_no:
        return None
    s = SPACE_RE.sub("", unicodedata.normalize("NFKC", cert_no)).upper()
    m = _CERT_RE.fullmatch(s)
    return int(m[1]) if m else None


# Numbers written exactly as the pattern asks (upper case, ASCII, no white space: there the rule's NFKC,
# white-space removal and upper() change nothing) take their year from characters 3-6; every other
# value goes through cert_year, the definition, once per distinct value (a property test ties both).
_PLAIN_CERT = r"^GR[0-9]{5,}$"


def cert_years(values: pl.Series) -> pl.Series:
    """cert_year over a polars Series of text (Int64, one per value, in order)."""
    values = values.cast(pl.Utf8)
    plain = values.str.contains(_PLAIN_CERT).fill_null(False)
    years = (pl.DataFrame({"v": values, "p": plain})
             .select(pl.when("p").then(pl.col("v").str.slice(2, 4).cast(pl.Int64)).alias(values.name))
             .to_series())
    others = (~plain).arg_true()
    if others.len():
        slow = values.gather(others).to_list()
        found = {v: cert_year(v) for v in dict.fromkeys(slow)}
        years = years.scatter(others, pl.Series([found[v] for v in slow], dtype=pl.Int64))
    return years
