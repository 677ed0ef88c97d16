"""Track names as written → the taxonomy's track and technology class (contract §2, tracks.csv)."""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from .fuzzy import ChoiceIndex, FuzzyOptions, match_best
from .refdata import aliases_of, tech_key
from .rules.names import normalize_name


@dataclass(frozen=True)
class TrackMatch:
    track: str | None  # the taxonomy's name; None when unknown
    tech: str | None
    method: str | None  # exact, alias, fuzzy; None when unknown
    score: float | None


class TrackMatcher:
    def __init__(self, tracks: pl.DataFrame, source: str, fuzzy: FuzzyOptions):
        self._fuzzy = fuzzy
        self._names: dict[str, int] = {}
        self._aliases: dict[str, int] = {}
        self._entries: list[tuple[str, str]] = []
        has_aliases = "aliases" in tracks.columns
        for row in tracks.iter_rows(named=True):
            track = (row["track"] or "").strip()
            if not track:
                continue
            self._entries.append((track, tech_key(row["tech_class"], source, row["_row"])))
            self._names.setdefault(normalize_name(track), len(self._entries) - 1)
            for alias in aliases_of(row["aliases"] if has_aliases else None):
                self._aliases.setdefault(normalize_name(alias), len(self._entries) - 1)
        self._index = ChoiceIndex(list(self._names) + list(self._aliases),
                                  list(self._names.values()) + list(self._aliases.values()))

    def match_all(self, written: list[str]) -> dict[str, TrackMatch]:
        """Matches for distinct written track names."""
        out: dict[str, TrackMatch] = {}
        residue: list[str] = []
        for name in written:
            key = normalize_name(name)
            if key in self._names:
                out[name] = self._hit(self._names[key], "exact", 100.0)
            elif key in self._aliases:
                out[name] = self._hit(self._aliases[key], "alias", 100.0)
            else:
                residue.append(name)
        results = match_best([normalize_name(n) for n in residue], self._index, self._fuzzy)
        for name, result in zip(residue, results):
            if result.key is None:
                out[name] = TrackMatch(None, None, None, None)
            else:
                out[name] = self._hit(result.key, "fuzzy", result.score)
        return out

    def _hit(self, index: int, method: str, score: float | None) -> TrackMatch:
        track, tech = self._entries[index]
        return TrackMatch(track, tech, method, score)
