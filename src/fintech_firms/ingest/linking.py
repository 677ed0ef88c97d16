"""Link names from patents, financing and hightech to firms: USCC → exact name → former name → fuzzy."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

import polars as pl

from ..rules.fuzzy import ChoiceIndex, FuzzyOptions, match_best
from ..rules.names import normalize_name
from ..rules.uscc import is_valid_uscc, normalize_uscc, parse_uscc
from .columns import map_distinct

USCC, EXACT, FORMER, FUZZY = "uscc", "exact", "former_name", "fuzzy"
METHODS = (USCC, EXACT, FORMER, FUZZY)
AMBIGUOUS, NO_MATCH = "ambiguous", "no match"


@dataclass(frozen=True)
class Link:
    firm_id: int | None
    method: str | None  # one of METHODS when linked
    score: float | None
    unlinked: str | None = None  # AMBIGUOUS or NO_MATCH when not linked


_NONE = Link(None, None, None, NO_MATCH)
_AMBIGUOUS = Link(None, None, None, AMBIGUOUS)


class Linker:
    """Indexes of the merged firms' USCCs, names and former names (all normalised)."""

    def __init__(
        self,
        usccs: dict[str, int],
        names: dict[str, set[int]],
        former: dict[str, set[int]],
        fuzzy: FuzzyOptions,
    ):
        self.usccs = usccs
        self.names = names
        self.former = former
        self.fuzzy = fuzzy
        # Fuzzy candidates: every name and former name, each keyed by its firm; a name several firms
        # share stays a candidate for each, so that a query close to it is ambiguous, not linked.
        choices: list[str] = []
        keys: list[int] = []
        for index in (names, former):
            for name in sorted(index):
                for firm_id in sorted(index[name]):
                    choices.append(name)
                    keys.append(firm_id)
        self._index = ChoiceIndex(choices, keys) if fuzzy.enabled else ChoiceIndex([], [])

    def link_all(
        self,
        pairs: Iterable[tuple[str, str | None]],
        progress: Callable[[int], None] | None = None,
        on_fuzzy_total: Callable[[int], None] | None = None,
    ) -> dict[tuple[str, str | None], Link]:
        """Links for distinct (normalised name, USCC as written) pairs."""
        out: dict[tuple[str, str | None], Link] = {}
        residue: list[tuple[str, str | None]] = []
        for pair in pairs:
            link = self._link_exact(*pair)
            if link is None:
                residue.append(pair)
            else:
                out[pair] = link
        queries = sorted({name for name, _ in residue})
        if on_fuzzy_total:
            on_fuzzy_total(len(queries))
        results = dict(zip(queries, match_best(queries, self._index, self.fuzzy, progress)))
        for pair in residue:
            result = results[pair[0]]
            if result.key is not None:
                out[pair] = Link(result.key, FUZZY, result.score)
            else:
                out[pair] = _AMBIGUOUS if result.ambiguous else _NONE
        return out

    def _link_exact(self, name: str, uscc: str | None) -> Link | None:
        if uscc:
            code = normalize_uscc(uscc)
            if is_valid_uscc(code) and code in self.usccs:
                return Link(self.usccs[code], USCC, 100.0)
        if not name:
            return _NONE
        # Contract §2 step 2: the name equals exactly one firm's name or former name; a name that is
        # one firm's name and another's former name matches two firms and stays unlinked.
        by_name, by_former = self.names.get(name, ()), self.former.get(name, ())
        firms = set(by_name) | set(by_former)
        if len(firms) == 1:
            return Link(next(iter(firms)), EXACT if by_name else FORMER, 100.0)
        if firms:
            return _AMBIGUOUS
        return None


def attach_links(
    frame: pl.DataFrame, linker: Linker, key: str, uscc: str | None, progress=None, on_fuzzy_total=None
) -> pl.DataFrame:
    """`frame` with firm_id, link_method, link_score and unlinked (the reason) for its names."""
    cols = [key] + ([uscc] if uscc else [])
    distinct = frame.select(cols).unique(maintain_order=True)
    pairs = list(distinct.iter_rows()) if uscc else [(k, None) for k in distinct[key].to_list()]
    links = linker.link_all(pairs, progress, on_fuzzy_total)
    found = [links[p] for p in pairs]
    lookup = distinct.with_columns(
        pl.Series("firm_id", [link.firm_id for link in found], dtype=pl.Int64),
        pl.Series("link_method", [link.method for link in found], dtype=pl.Utf8),
        pl.Series("link_score", [link.score for link in found], dtype=pl.Float64),
        pl.Series("unlinked", [link.unlinked for link in found], dtype=pl.Utf8),
    )
    return frame.join(lookup, on=cols, how="left", nulls_equal=True, maintain_order="left")


def firm_identity() -> pl.Expr:
    """Who an event belongs to for deduplication: the linked firm, else the name, else the USCC."""
    return (
        pl.when(pl.col("firm_id").is_not_null()).then(pl.format("firm:{}", pl.col("firm_id")))
        .when(pl.col("name_key") != "").then(pl.format("name:{}", pl.col("name_key")))
        .otherwise(pl.format("uscc:{}", pl.col("uscc")))
    )


def with_name_keys(frame: pl.DataFrame, name: str) -> pl.DataFrame:
    """Adds name_key (normalised name, "" when blank), uscc_key (the valid USCC, else null) and
    uscc_error (why a written USCC is ignored)."""
    frame = map_distinct(frame, name, lambda v: (normalize_name(v),), {"name_key": pl.Utf8})
    return map_distinct(frame, "uscc", parse_uscc, {"uscc_key": pl.Utf8, "uscc_error": pl.Utf8})


def unlinked_rows(frame: pl.DataFrame, name: str) -> pl.DataFrame:
    """Input rows whose firm was not found, as (name, name_key): the report counts them per name."""
    return frame.filter(pl.col("firm_id").is_null()).select(
        pl.coalesce(pl.col(name), pl.format("USCC {}", pl.col("uscc"))).alias("name"),
        # Rows with no name are told apart by the USCC they carry.
        pl.when(pl.col("name_key") != "").then(pl.col("name_key"))
        .otherwise(pl.format("uscc:{}", pl.col("uscc"))).alias("name_key"),
    )
