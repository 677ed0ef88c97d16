"""Link names from patents, financing and hightech to firms: links.csv → USCC → exact name → former
name → fuzzy."""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeAlias

import polars as pl

from ..errors import InputError
from ..frames import DType
from ..rules.fuzzy import ChoiceIndex, FuzzyOptions, match_best
from ..rules.names import normalize_name, normalize_names
from ..rules.uscc import is_valid_uscc, normalize_uscc, parse_usccs
from ..tabular.reader import ROW, find_file, read_table
from .columns import beside

USCC, EXACT, FORMER, FUZZY, MANUAL = "uscc", "exact", "former_name", "fuzzy", "manual"
METHODS = (USCC, EXACT, FORMER, FUZZY, MANUAL)
AMBIGUOUS, NO_MATCH = "ambiguous", "no match"
# A name links.csv forbids linking (decision `none`).
MANUAL_NONE = "manual: none"
UNLINKED_REASONS = (AMBIGUOUS, NO_MATCH, MANUAL_NONE)
OVERRIDES_STEM = "links"
NONE_DECISION = "none"


@dataclass(frozen=True)
class Link:
    firm_id: int | None
    method: str | None  # one of METHODS when linked
    score: float | None
    unlinked: str | None = None  # AMBIGUOUS or NO_MATCH when not linked


_NONE = Link(None, None, None, NO_MATCH)
_AMBIGUOUS = Link(None, None, None, AMBIGUOUS)
_FORBIDDEN = Link(None, None, None, MANUAL_NONE)


@dataclass(frozen=True)
class Override:
    """One filled row of links.csv: a written name and the firm a person decided it is."""

    row: int  # data row in links.csv, 1-based
    name: str
    decision: str  # a firm's USCC, a firm's name, or `none`


@dataclass
class Overrides:
    """links.csv as read from the raw folder: the filled rows, in file order."""

    entries: list[Override] = field(default_factory=list)
    source: str | None = None


def read_overrides(raw_dir: Path) -> Overrides:
    """links.csv (or links.xlsx) of the raw folder; none, an empty file or a header alone mean no
    overrides. Columns other than `name` and `decision` (the review file's) are ignored, and rows
    whose decision is blank are not overrides (an unfilled review row)."""
    path = find_file(Path(raw_dir), OVERRIDES_STEM)
    if path is None or (path.suffix.lower() == ".csv" and not path.read_bytes().strip()):
        return Overrides()
    table = read_table(path, lambda h: h.strip().lower().replace(" ", "_"), {"name", "decision", "note"})
    missing = [c for c in ("name", "decision") if c not in table.columns]
    if missing:
        raise InputError(f"{table.source}: missing column {', '.join(repr(c) for c in missing)} "
                         f"(the columns of `firms links review`); found: {', '.join(table.headers)}")
    entries = [
        Override(row, name, decision)
        for row, name, decision in table.frame.select(ROW, "name", "decision").iter_rows()
        if name and decision
    ]
    return Overrides(entries, table.source if entries else None)


# A firm index as the Linker takes it: a mapping (normalised name → its firms, USCC → its firm), or
# the same as a frame of (key, firm_id) rows, one per pair, which is what the ingest hands over: at
# millions of firms the mappings' Python strings, sets and integers would take gigabytes.
NameIndex: TypeAlias = "Mapping[str, Iterable[int]] | pl.DataFrame"
UsccIndex: TypeAlias = "Mapping[str, int] | pl.DataFrame"


@dataclass(frozen=True)
class _Lookups:
    """The indexes as Python mappings, for the rules applied one name at a time (link_all, links.csv)."""

    usccs: dict[str, int]
    names: dict[str, set[int]]
    former: dict[str, set[int]]


class Linker:
    """Indexes of the merged firms' USCCs, names and former names (all normalised)."""

    def __init__(
        self,
        usccs: UsccIndex,
        names: NameIndex,
        former: NameIndex,
        fuzzy: FuzzyOptions,
        overrides: Overrides | None = None,
    ):
        self.fuzzy = fuzzy
        self._usccs = _pairs(usccs, ("_code", "_by_uscc"), pl.Utf8)
        # Every (name, firm) and (former name, firm): the fuzzy candidates, each keyed by its firm (a
        # name several firms share stays a candidate for each, so that a query close to it is
        # ambiguous, not linked), and the exact step's table.
        self._rows = pl.concat([
            _pairs(index, ("name", "firm"), pl.Utf8).with_columns(pl.lit(named).alias("named"))
            for index, named in ((names, True), (former, False))
        ], rechunk=True)
        # Normalised name → the firm links.csv names (None: `none`), and what became of each entry.
        self.manual: dict[str, int | None] = {}
        self.stale: list[dict] = []
        self._manual_rows: dict[str, Override] = {}
        self._manual_seen: set[str] = set()
        entries = overrides.entries if overrides else []
        if entries:
            # The firms the decisions may name, looked up in the frames at once.
            decided = self._lookups([normalize_uscc(e.decision) for e in entries],
                                    [normalize_name(e.decision) for e in entries])
            for entry in entries:
                self._add_override(entry, decided)
        # ChoiceIndex orders its choices itself (by length, text, key), whatever the order here.
        self._index = (ChoiceIndex(self._rows["name"], self._rows["firm"]) if fuzzy.enabled
                       else ChoiceIndex([], []))
        self._names: pl.DataFrame | None = None
        self._hashes: pl.DataFrame | None = None  # (_hash, _row) of _name_frame, when the hashes differ
        self._all: _Lookups | None = None

    def _lookups(self, codes: list[str] | None = None, keys: list[str] | None = None) -> _Lookups:
        """The indexes as mappings: all of them, or only the USCCs `codes` and the names `keys`."""
        usccs = self._usccs if codes is None else self._usccs.filter(pl.col("_code").is_in(codes))
        rows = self._rows if keys is None else self._rows.filter(pl.col("name").is_in(keys))
        return _Lookups(dict(zip(usccs["_code"].to_list(), usccs["_by_uscc"].to_list())),
                        index_of(rows.filter("named"), "name", "firm"),
                        index_of(rows.filter(~pl.col("named")), "name", "firm"))

    def _every(self) -> _Lookups:
        """Every index as mappings, made on first use: only link_all (tests, small inputs) needs them."""
        if self._all is None:
            self._all = self._lookups()
        return self._all

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
            link = self._link_manual(pair[0]) if self.manual else None
            if link is None:
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

    def link_frame(
        self,
        pairs: pl.DataFrame,
        progress: Callable[[int], None] | None = None,
        on_fuzzy_total: Callable[[int], None] | None = None,
    ) -> pl.DataFrame:
        """link_all over a frame of distinct (normalised name, USCC as written) rows, named `name` and
        `uscc`: the frame with firm_id, link_method, link_score and unlinked.

        The same decisions as link_all (tests/test_linking.py checks both on random input), made with
        joins: at 800k firms a Python loop over a million names costs seconds.
        """
        name, uscc = pl.col("name"), pl.col("uscc")
        frame = pairs.select(name.cast(pl.Utf8), uscc.cast(pl.Utf8))
        # Step 1, the USCC: parse_usccs is normalize_uscc + is_valid_uscc over a column.
        codes = frame["uscc"].unique()
        by_uscc = (parse_usccs(codes).select(pl.col("value").alias("uscc"), pl.col("uscc").alias("_code"))
                   .join(self._usccs, on="_code", how="inner").select("uscc", "_by_uscc"))
        # No written USCC is a firm's (the applicants carry none): nothing to join.
        frame = (frame.join(by_uscc, on="uscc", how="left", maintain_order="left") if by_uscc.height
                 else frame.with_columns(pl.lit(None, dtype=pl.Int64).alias("_by_uscc")))
        # Step 2, the name: how many firms carry it as a name or former name, and which.
        frame = frame.with_columns(self._name_columns(frame["name"]))
        # Step 0, links.csv, before everything else (no join when it decides nothing).
        if self.manual:
            table = pl.DataFrame({"name": list(self.manual), "_manual": list(self.manual.values()),
                                  "_decided": [True] * len(self.manual)},
                                 schema={"name": pl.Utf8, "_manual": pl.Int64, "_decided": pl.Boolean})
            frame = frame.join(table, on="name", how="left", maintain_order="left")
        else:
            frame = frame.with_columns(pl.lit(None, dtype=pl.Int64).alias("_manual"),
                                       pl.lit(None, dtype=pl.Boolean).alias("_decided"))
        manual = pl.col("_decided").fill_null(False)
        if self.manual:
            self._manual_seen.update(frame.filter(manual)["name"].unique().to_list())
        blank = name.is_null() | (name == "")
        exact = pl.col("_firms").is_not_null()
        fuzzy = ~manual & pl.col("_by_uscc").is_null() & ~blank & ~exact
        queries = frame.filter(fuzzy)["name"].unique().sort().to_list()
        if on_fuzzy_total:
            on_fuzzy_total(len(queries))
        results = match_best(queries, self._index, self.fuzzy, progress)
        found = pl.DataFrame(
            {"name": queries, "_fuzzy": [r.key for r in results], "_fuzzy_score": [r.score for r in results],
             "_fuzzy_ambiguous": [r.ambiguous for r in results]},
            schema={"name": pl.Utf8, "_fuzzy": pl.Int64, "_fuzzy_score": pl.Float64,
                    "_fuzzy_ambiguous": pl.Boolean})
        frame = frame.join(found, on="name", how="left", maintain_order="left")
        one = pl.col("_firms") == 1
        linked_fuzzy = fuzzy & pl.col("_fuzzy").is_not_null()
        return pairs.with_columns(frame.select(
            pl.when(manual).then(pl.col("_manual"))
            .when(pl.col("_by_uscc").is_not_null()).then(pl.col("_by_uscc"))
            .when(blank).then(None)
            .when(exact).then(pl.when(one).then(pl.col("_firm")))
            .otherwise(pl.col("_fuzzy")).cast(pl.Int64).alias("firm_id"),
            pl.when(manual).then(pl.when(pl.col("_manual").is_not_null()).then(pl.lit(MANUAL)))
            .when(pl.col("_by_uscc").is_not_null()).then(pl.lit(USCC))
            .when(blank).then(None)
            .when(exact).then(pl.when(one).then(pl.when(pl.col("_named")).then(pl.lit(EXACT))
                                               .otherwise(pl.lit(FORMER))))
            .when(linked_fuzzy).then(pl.lit(FUZZY)).cast(pl.Utf8).alias("link_method"),
            pl.when(manual).then(pl.when(pl.col("_manual").is_not_null()).then(pl.lit(100.0)))
            .when(pl.col("_by_uscc").is_not_null()).then(pl.lit(100.0))
            .when(blank).then(None)
            .when(exact).then(pl.when(one).then(pl.lit(100.0)))
            .when(linked_fuzzy).then(pl.col("_fuzzy_score")).cast(pl.Float64).alias("link_score"),
            pl.when(manual).then(pl.when(pl.col("_manual").is_null()).then(pl.lit(MANUAL_NONE)))
            .when(pl.col("_by_uscc").is_not_null()).then(None)
            .when(blank).then(pl.lit(NO_MATCH))
            .when(exact).then(pl.when(~one).then(pl.lit(AMBIGUOUS)))
            .when(linked_fuzzy).then(None)
            .when(pl.col("_fuzzy_ambiguous")).then(pl.lit(AMBIGUOUS))
            .otherwise(pl.lit(NO_MATCH)).cast(pl.Utf8).alias("unlinked"),
        ))

    def _name_frame(self) -> pl.DataFrame:
        """Per name or former name: how many firms carry it, the firm when one does, and whether it is
        a name (else only a former name): contract §2 step 2. Built once, for every table linked."""
        if self._names is None:
            rows = self._rows
            hashes = rows.select(pl.col("name").hash().alias("_hash"),
                                 pl.int_range(pl.len(), dtype=pl.UInt32).alias("_row"))
            distinct = hashes["_hash"].n_unique() == rows.height
            if distinct:
                # Each name on one row, told apart by its hash (the usual case): counting the hashes
                # costs a tenth of grouping the names.
                self._names = rows.select("name", pl.lit(1, dtype=pl.UInt32).alias("_firms"),
                                          pl.col("firm").alias("_firm"), pl.col("named").alias("_named"))
            else:
                self._names = rows.group_by("name").agg(
                    pl.col("firm").n_unique().alias("_firms"), pl.col("firm").min().alias("_firm"),
                    pl.col("named").any().alias("_named"))
                hashes = self._names.select(pl.col("name").hash().alias("_hash"),
                                            pl.int_range(pl.len(), dtype=pl.UInt32).alias("_row"))
                distinct = hashes["_hash"].n_unique() == hashes.height
            # The hashes tell the names apart (almost always): _name_columns may join on them.
            self._hashes = hashes if distinct else None
        return self._names

    def _name_columns(self, names: pl.Series) -> pl.DataFrame:
        """_name_frame's _firms, _firm and _named of each of `names` (nulls when no firm carries it).

        Joined on the names' 64-bit hashes rather than their text (a third of the cost at 500k names
        against 800k): each name finds the one row of its hash, and keeps it only if that row's name
        is its own, so a name whose hash only collides with a firm's name finds nothing, as in a join
        on the text. When two of the firms' names share a hash, the join on the text."""
        table = self._name_frame()
        columns = ["_firms", "_firm", "_named"]
        if self._hashes is None:
            return (names.to_frame("name").join(table, on="name", how="left", maintain_order="left")
                    .select(columns))
        rows = (names.hash().to_frame("_hash")
                .join(self._hashes, on="_hash", how="left", maintain_order="left")["_row"])
        same = (table["name"].gather(rows) == names).fill_null(False)
        rows = pl.select(pl.when(same).then(rows)).to_series()
        return table.select(columns).gather(rows)

    def _add_override(self, entry: Override, decided: _Lookups) -> None:
        key = normalize_name(entry.name)
        if key in self._manual_rows:
            first = self._manual_rows[key]
            self._stale(entry, f"the name is decided already in row {first.row}; this row is ignored")
            return
        if entry.decision.strip().lower() == NONE_DECISION:
            firm: int | None = None
        else:
            firm, problem = _firm_named(entry.decision, decided)
            if problem:
                self._stale(entry, problem)
                return
        self._manual_rows[key] = entry
        self.manual[key] = firm

    def _stale(self, entry: Override, reason: str) -> None:
        self.stale.append({"row": entry.row, "name": entry.name, "decision": entry.decision,
                           "reason": reason})

    def _link_manual(self, name: str) -> Link | None:
        if name not in self.manual:
            return None
        self._manual_seen.add(name)
        firm = self.manual[name]
        return _FORBIDDEN if firm is None else Link(firm, MANUAL, 100.0)

    def override_report(self) -> dict:
        """For the ingest report: overrides used, and the stale ones (kept, never an error)."""
        unused = [self._manual_rows[k] for k in self.manual if k not in self._manual_seen]
        stale = self.stale + [{"row": e.row, "name": e.name, "decision": e.decision,
                               "reason": "the name occurs in no linked row"} for e in unused]
        return {
            "entries": len(self._manual_rows) + len(self.stale),
            "used": len(self._manual_seen),
            "stale": sorted(stale, key=lambda s: s["row"]),
        }

    def _link_exact(self, name: str, uscc: str | None) -> Link | None:
        lookups = self._every()
        if uscc:
            code = normalize_uscc(uscc)
            if is_valid_uscc(code) and code in lookups.usccs:
                return Link(lookups.usccs[code], USCC, 100.0)
        if not name:
            return _NONE
        # Contract §2 step 2: the name equals exactly one firm's name or former name; a name that is
        # one firm's name and another's former name matches two firms and stays unlinked.
        by_name, by_former = lookups.names.get(name, ()), lookups.former.get(name, ())
        firms = set(by_name) | set(by_former)
        if len(firms) == 1:
            return Link(next(iter(firms)), EXACT if by_name else FORMER, 100.0)
        if firms:
            return _AMBIGUOUS
        return None


def _firm_named(decision: str, lookups: _Lookups) -> tuple[int | None, str | None]:
    """The firm a decision names: by its USCC, else by its name or former name (one firm)."""
    code = normalize_uscc(decision)
    if is_valid_uscc(code):
        if code in lookups.usccs:
            return lookups.usccs[code], None
        return None, f"no firm has the USCC {code}"
    key = normalize_name(decision)
    firms = set(lookups.names.get(key, ())) or set(lookups.former.get(key, ()))
    if len(firms) == 1:
        return next(iter(firms)), None
    if firms:
        return None, f"{len(firms)} firms are named {decision}; give the USCC"
    return None, f"no firm is named {decision}"


def _pairs(index: UsccIndex | NameIndex, names: tuple[str, str], key_type: DType) -> pl.DataFrame:
    """An index as (key, firm) rows named `names`: a frame's two columns, or a mapping's pairs."""
    if isinstance(index, pl.DataFrame):
        key, firm = index.columns
        return index.select(pl.col(key).cast(key_type).alias(names[0]), pl.col(firm).cast(pl.Int64).alias(names[1]))
    pairs = [(k, f) for k, firms in index.items() for f in ([firms] if isinstance(firms, int) else firms)]
    return pl.DataFrame(pairs, schema={names[0]: key_type, names[1]: pl.Int64}, orient="row")


def index_of(pairs: pl.DataFrame, key: str, firm: str = "firm_id") -> dict[str, set[int]]:
    """(key, firm) rows as a mapping key → its firms; keys in order of first use."""
    # A plain loop: three times faster than a polars group_by whose list column becomes Python sets.
    # The cyclic garbage collector is paused: it would otherwise walk the heap again and again while
    # hundreds of thousands of new sets (none of them garbage) pile up.
    out: dict[str, set[int]] = {}
    keys, firm_ids = pairs[key].to_list(), pairs[firm].to_list()
    enabled = gc.isenabled()
    gc.disable()
    try:
        for k, firm_id in zip(keys, firm_ids):
            firms = out.get(k)
            if firms is None:
                out[k] = {firm_id}
            else:
                firms.add(firm_id)
    finally:
        if enabled:
            gc.enable()
    return out


def attach_links(
    frame: pl.DataFrame, linker: Linker, key: str, uscc: str | None, progress=None, on_fuzzy_total=None
) -> pl.DataFrame:
    """`frame` with firm_id, link_method, link_score and unlinked (the reason) for its names."""
    cols = [key] + ([uscc] if uscc else [])
    keys = frame.select(cols)
    # Counting the rows' distinct hashes costs a tenth of listing the rows in order: all distinct (the
    # patents' applicant keys), the rows are too and are linked as they stand; else the distinct rows,
    # in any order, since each row gets its links by its keys.
    every = keys.hash_rows().n_unique() == frame.height
    distinct = keys if every else keys.unique()
    pairs = distinct.select(pl.col(key).alias("name"),
                            (pl.col(uscc) if uscc else pl.lit(None, dtype=pl.Utf8)).alias("uscc"))
    links = linker.link_frame(pairs, progress, on_fuzzy_total).drop("name", "uscc")
    if every:
        return frame.with_columns(links)
    return beside(frame, cols, pl.concat([distinct, links], how="horizontal"))


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
    names = frame.get_column(name).unique(maintain_order=True).cast(pl.Utf8)
    usccs = frame.get_column("uscc").unique(maintain_order=True).cast(pl.Utf8)
    lookups = [
        (name, pl.DataFrame({name: names, "name_key": normalize_names(names)})),
        ("uscc", parse_usccs(usccs).rename({"value": "uscc", "uscc": "uscc_key", "error": "uscc_error"})),
    ]
    for column, lookup in lookups:
        frame = beside(frame, column, lookup)
    return frame


def unlinked_rows(frame: pl.DataFrame, name: str) -> pl.DataFrame:
    """Input rows whose firm was not found, as (name, name_key): the report counts them per name."""
    return frame.filter(pl.col("firm_id").is_null()).select(
        pl.coalesce(pl.col(name), pl.format("USCC {}", pl.col("uscc"))).alias("name"),
        # Rows with no name are told apart by the USCC they carry.
        pl.when(pl.col("name_key") != "").then(pl.col("name_key"))
        .otherwise(pl.format("uscc:{}", pl.col("uscc"))).alias("name_key"),
    )
