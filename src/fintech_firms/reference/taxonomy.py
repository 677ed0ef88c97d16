"""Track names as written → the taxonomy's track and technology class (contract §2, tracks.csv)."""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from ..rules.fuzzy import FuzzyOptions
from .tables import AliasIndex, aliases_of, tech_key


@dataclass(frozen=True)
class TrackMatch:
    track: str | None  # the taxonomy's name; None when unknown
    tech: str | None
    method: str | None  # exact, alias, fuzzy; None when unknown
    score: float | None


_UNKNOWN = TrackMatch(None, None, None, None)


class TrackMatcher:
    def __init__(self, tracks: pl.DataFrame, source: str, fuzzy: FuzzyOptions):
        self._entries: list[tuple[str, str]] = []
        aliases: list[list[str]] = []
        has_aliases = "aliases" in tracks.columns
        for row in tracks.iter_rows(named=True):
            track = (row["track"] or "").strip()
            if not track:
                continue
            self._entries.append((track, tech_key(row["tech_class"], source, row["_row"])))
            aliases.append(aliases_of(row["aliases"] if has_aliases else None))
        self._index = AliasIndex([track for track, _ in self._entries], aliases, fuzzy)

    def match_all(self, written: list[str]) -> dict[str, TrackMatch]:
        """Matches for distinct written track names."""
        out: dict[str, TrackMatch] = {}
        for name, m in self._index.match_all(written).items():
            out[name] = _UNKNOWN if m is None else TrackMatch(*self._entries[m.index], m.method, m.score)
        return out
