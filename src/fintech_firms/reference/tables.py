"""Reference tables (tracks, regions, top-tier investors): package defaults or the raw folder's own.

A file of the same name in the raw folder replaces the default for that run (contract §1).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

import polars as pl

from ..errors import InputError
from ..rules.names import normalize_name
from ..tabular.reader import find_file, read_table

if TYPE_CHECKING:
    from ..rules.fuzzy import FuzzyOptions

TECH_CLASSES: dict[str, str] = {
    "big_data": "大数据",
    "blockchain": "区块链",
    "ai": "人工智能",
    "cloud": "云计算",
    "iot": "物联网",
    "internet": "互联网",
}
UNCLASSIFIED = "unclassified"
REGION_OTHER = "其他"
REGION_UNKNOWN = "未知"

_REQUIRED = {
    "tracks": ("track", "tech_class"),
    "regions": ("city", "province", "region"),
    "top_vc": ("name",),
    # The FIRE index (reference/indicators.py): its indicator tree and the universities of its cities.
    "indicators": ("code", "parent", "level", "name_zh", "name_en", "weight", "source"),
    "universities": ("name", "city"),
}


@dataclass(frozen=True)
class ReferenceTable:
    name: str
    origin: str  # "default" or the path of the user's file
    frame: pl.DataFrame


_KNOWN = {stem: set(columns) | {"aliases"} for stem, columns in _REQUIRED.items()}


def load(stem: str, raw_dir: Path | None) -> ReferenceTable:
    """The reference table `stem`, from raw_dir when it holds one, else the packaged default."""
    path = find_file(raw_dir, stem) if raw_dir is not None and raw_dir.is_dir() else None
    if path is None:
        with resources.as_file(resources.files("fintech_firms.reference") / f"{stem}.csv") as p:
            table = read_table(p, _header, _KNOWN[stem])
        origin = "default"
    else:
        table = read_table(path, _header, _KNOWN[stem])
        origin = str(path)
    for column in _REQUIRED[stem]:
        if column not in table.columns:
            raise InputError(f"{table.source}: missing required column '{column}'")
    if table.rejected:
        bad = table.rejected[0]
        raise InputError(f"{table.source}: row {bad.row}: {bad.reason}")
    return ReferenceTable(stem, origin, table.frame)


def _header(header: str) -> str:
    return unicodedata.normalize("NFKC", header).strip().lower()


def tech_key(value: str | None, source: str, row: int) -> str:
    """A tech_class cell as its key: the key itself or its Chinese label."""
    text = (value or "").strip()
    if text.lower() in TECH_CLASSES:
        return text.lower()
    for key, label in TECH_CLASSES.items():
        if text == label:
            return key
    valid = ", ".join(f"{k} ({v})" for k, v in TECH_CLASSES.items())
    raise InputError(f"{source}: row {row}: unknown tech_class '{text}'; valid: {valid}")


def aliases_of(cell: str | None) -> list[str]:
    """Aliases are `;`-separated (contract §1); a comma may belong to an English name."""
    return [a.strip() for a in re.split(r"[;；]", cell or "") if normalize_name(a)]


@dataclass(frozen=True)
class AliasMatch:
    index: int  # position of the canonical name
    method: str  # exact (the name), alias, or fuzzy
    score: float


class AliasIndex:
    """Canonical names with their aliases (tracks, investors), matched after normalisation: a name,
    then an alias, then fuzzy against both. A name wins over another entry's identical alias."""

    def __init__(self, names: list[str], aliases: list[list[str]], fuzzy: FuzzyOptions):
        # Imported here: the analytics read this module's tables and constants, and should not pay for
        # loading rapidfuzz and numpy at every start of `firms aggregate`.
        from ..rules.fuzzy import ChoiceIndex

        self._fuzzy = fuzzy
        self._names: dict[str, int] = {}
        self._aliases: dict[str, int] = {}
        for index, (name, more) in enumerate(zip(names, aliases)):
            self._names.setdefault(normalize_name(name), index)
            for alias in more:
                self._aliases.setdefault(normalize_name(alias), index)
        self._index = ChoiceIndex(list(self._names) + list(self._aliases),
                                  list(self._names.values()) + list(self._aliases.values()))

    def match_all(self, written: list[str]) -> dict[str, AliasMatch | None]:
        """The match of each distinct written name, None when there is none."""
        out: dict[str, AliasMatch | None] = {}
        residue: list[str] = []
        for name in written:
            key = normalize_name(name)
            if key in self._names:
                out[name] = AliasMatch(self._names[key], "exact", 100.0)
            elif key in self._aliases:
                out[name] = AliasMatch(self._aliases[key], "alias", 100.0)
            else:
                residue.append(name)
        from ..rules.fuzzy import match_best

        results = match_best([normalize_name(n) for n in residue], self._index, self._fuzzy)
        for name, result in zip(residue, results):
            out[name] = (None if result.key is None or result.score is None
                         else AliasMatch(result.key, "fuzzy", result.score))
        return out
