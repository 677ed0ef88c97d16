"""Lead investors → the top-tier investors of top_vc.csv (exactly after normalisation, or fuzzy)."""

from __future__ import annotations

import polars as pl

from ..reference.tables import AliasIndex, aliases_of
from ..rules.fuzzy import FuzzyOptions


class InvestorMatcher:
    def __init__(self, top_vc: pl.DataFrame, fuzzy: FuzzyOptions):
        self._canonical: list[str] = []
        aliases: list[list[str]] = []
        has_aliases = "aliases" in top_vc.columns
        for row in top_vc.iter_rows(named=True):
            name = (row["name"] or "").strip()
            if name:
                self._canonical.append(name)
                aliases.append(aliases_of(row["aliases"] if has_aliases else None))
        self._index = AliasIndex(self._canonical, aliases, fuzzy)

    def match_all(self, written: list[str]) -> dict[str, str | None]:
        """The top-tier investor each distinct written name is, or None."""
        return {name: None if m is None else self._canonical[m.index]
                for name, m in self._index.match_all(written).items()}
