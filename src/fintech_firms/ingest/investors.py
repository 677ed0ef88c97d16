"""Lead investors → the top-tier investors of top_vc.csv (exactly after normalisation, or fuzzy)."""

from __future__ import annotations

import polars as pl

from ..fuzzy import ChoiceIndex, FuzzyOptions, match_best
from ..refdata import aliases_of
from ..rules.names import normalize_name


class InvestorMatcher:
    def __init__(self, top_vc: pl.DataFrame, fuzzy: FuzzyOptions):
        self._fuzzy = fuzzy
        self._canonical: list[str] = []
        self._exact: dict[str, int] = {}
        has_aliases = "aliases" in top_vc.columns
        for row in top_vc.iter_rows(named=True):
            name = (row["name"] or "").strip()
            if not name:
                continue
            self._canonical.append(name)
            index = len(self._canonical) - 1
            for written in [name, *aliases_of(row["aliases"] if has_aliases else None)]:
                self._exact.setdefault(normalize_name(written), index)
        self._index = ChoiceIndex(list(self._exact), list(self._exact.values()))

    def match_all(self, written: list[str]) -> dict[str, str | None]:
        """The top-tier investor each distinct written name is, or None."""
        out: dict[str, str | None] = {}
        residue = []
        for name in written:
            hit = self._exact.get(normalize_name(name))
            if hit is None:
                residue.append(name)
            else:
                out[name] = self._canonical[hit]
        results = match_best([normalize_name(n) for n in residue], self._index, self._fuzzy)
        for name, result in zip(residue, results):
            out[name] = self._canonical[result.key] if result.key is not None else None
        return out
