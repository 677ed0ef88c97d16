"""The steps every input file goes through, written once: read → rules → quarantine → link → dedupe →
ledger (contract §2).

A file's module declares its `Stage` (which optional columns it reads, which rule parses which
column, why a row cannot be used, which columns make two rows one event) and `run_stage` carries the
rows through the steps. Each step is also a function of its own, for the files whose step differs:
firms merge records by firm identity instead of grouping on keys (ingest/firms.py: `prepare`, its own
merge, `settle`), and patents are parsed in chunks by rules that remember the values of earlier chunks
(ingest/patents.py: the ledger's quarantine per chunk, with every cell coded first and only the codes
of the kept rows held; its own merge of an application's records; `settle`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass

import polars as pl

from ..frames import DType
from ..tabular.reader import ROW, RawTable, handed
from .columns import beside, column_or_null, map_distinct
from .ledger import FileAccount, Ledger
from .linking import Linker, attach_links, firm_identity, unlinked_rows, with_name_keys

REASON = "_reason"


@dataclass(frozen=True)
class Rule:
    """A rule over one text column, applied once per distinct value: `scalar(value)` gives a tuple of
    `fields`, or `distinct(values)` gives a frame of `value` and the fields for a Series of distinct
    values (the vectorised rules of rules/). `issue` names the field that says why a value was read
    as blank: a cell issue, recorded for the rows that are kept."""

    column: str
    fields: dict[str, DType]
    scalar: Callable[[str | None], tuple] | None = None
    distinct: Callable[[pl.Series], pl.DataFrame] | None = None
    issue: str | None = None

    def apply(self, frame: pl.DataFrame) -> pl.DataFrame:
        if self.scalar is not None:
            return map_distinct(frame, self.column, self.scalar, self.fields)
        if self.distinct is None:
            raise RuntimeError(f"internal error: rule on {self.column} has neither scalar nor distinct")
        found = self.distinct(frame.get_column(self.column).unique(maintain_order=True)).rename(
            {"value": self.column})
        return beside(frame, self.column, found.select(self.column, *self.fields))


# Not compared or hashed: its expressions' == builds an expression rather than saying whether they are equal.
@dataclass(frozen=True, eq=False)
class Stage:
    """What one input file's rows go through (see run_stage)."""

    optional: tuple[str, ...]  # columns read as blank when the file has none (contract §1)
    rules: tuple[Rule, ...]
    reason: pl.Expr  # why a row cannot be used, null when it can (the first that applies)
    name: str  # the column naming the firm, linked with the USCC
    derived: tuple[pl.Expr, ...]  # columns made after linking, for the keys
    keys: tuple[str, ...]  # rows with equal keys are one event, kept once
    first: tuple[str, ...]  # each event's columns: the first non-null value among its rows, in file order
    lists: tuple[str, ...] = ()  # each event's columns: every non-null value, in file order
    made: tuple[pl.Expr, ...] = ()  # columns made from the rules' fields, before the reason


@dataclass
class Staged:
    events: pl.DataFrame  # one row per event: keys, first, lists, records, source_row
    unlinked: pl.DataFrame  # input rows whose firm was not found, as (name, name_key)


def prepare(chunks: RawTable | Iterable[RawTable], ledger: Ledger, optional: Sequence[str], rules: Sequence[Rule],
            reason: pl.Expr | None, made: Sequence[pl.Expr] = (), keep: Sequence[str] | None = None
            ) -> tuple[FileAccount, pl.DataFrame]:
    """Read, apply the rules, quarantine: the file's account and its usable rows, with the rules'
    fields (and `made` from them), their cell issues recorded; only the columns `keep` (None: all).

    `chunks` is the file as one table or as its chunks (tabular.reader.read_chunks), worked on one at a
    time: a quarantined row keeps its whole record, and of the others only `keep` is held, so that a
    wide file never exists whole beside what is made of it. The usable rows come out as one frame of one
    chunk, and the cell issues go to the ledger rule by rule, each rule's from all chunks at once: as
    the file read whole gives them."""
    pieces = _one_at_a_time(chunks)
    del chunks
    account: FileAccount | None = None
    parts: list[pl.DataFrame] = []
    issues: list[list[pl.DataFrame]] = [[] for _ in rules]
    for table in pieces:
        account = ledger.read_chunk(account, table)
        frame = _prepare_chunk(table, ledger, optional, rules, reason, made)
        del table  # its cells: the chunk's usable rows are in `frame`
        for rule, found in zip(rules, issues):
            if rule.issue is not None:
                found.append(frame.select(ROW, rule.column, rule.issue).filter(pl.col(rule.issue).is_not_null()))
        parts.append(frame if keep is None else frame.select(keep))
        del frame
    if account is None:
        raise RuntimeError("internal error: a file without a chunk")
    # One chunk, as the file read whole gives it (and so the tables made of it, and their Parquet files).
    frame = parts[0] if len(parts) == 1 else pl.concat(parts, rechunk=True)
    del parts
    for rule, found in zip(rules, issues):
        if rule.issue is not None:
            rows = found[0] if len(found) == 1 else pl.concat(found)
            ledger.cell_issues(account.source, rule.column, rows, rule.issue)
    return account, frame


def _prepare_chunk(table: RawTable, ledger: Ledger, optional: Sequence[str], rules: Sequence[Rule],
                   reason: pl.Expr | None, made: Sequence[pl.Expr]) -> pl.DataFrame:
    """prepare's steps over one chunk, up to the cell issues: its usable rows, all columns."""
    frame = table.frame.with_columns(column_or_null(table.frame, c) for c in optional)
    for rule in rules:
        frame = rule.apply(frame)
    if made:
        frame = frame.with_columns(made)
    if reason is not None:
        frame = quarantine(table, ledger, frame.with_columns(reason.alias(REASON)))
    return frame


def quarantine(table: RawTable, ledger: Ledger, frame: pl.DataFrame) -> pl.DataFrame:
    """Set aside the rows with a reason (column REASON); the others, without it."""
    ledger.quarantine(table, frame.filter(pl.col(REASON).is_not_null()), REASON)
    return frame.filter(pl.col(REASON).is_null()).drop(REASON)


def link(source: str, ledger: Ledger, frame: pl.DataFrame, linker: Linker, name: str) -> pl.DataFrame:
    """The rows of the file `source` with name_key, uscc_key and their firm (firm_id, link_method,
    link_score, unlinked); a written USCC that is not valid is a cell issue."""
    frame = with_name_keys(frame, name)
    ledger.cell_issues(source, "uscc", frame.filter(pl.col("uscc_error").is_not_null()), "uscc_error")
    return attach_links(frame, linker, "name_key", "uscc_key")


def settle(account: FileAccount, rows: int, kept: int) -> None:
    """Of the file's `rows` usable rows, `kept` are kept and the others merged into them."""
    account.kept = kept
    account.merged_duplicates = rows - kept


def run_stage(chunks: RawTable | Iterable[RawTable], ledger: Ledger, linker: Linker, stage: Stage) -> Staged:
    """The file's events, deduplicated, and its unlinked rows; every row accounted for in `ledger`.
    `chunks`: the file as one table or as its chunks (tabular.reader.read_chunks): of each chunk's
    usable rows only the columns the later steps read are held (prepare's `keep`)."""
    pieces = _one_at_a_time(chunks)
    del chunks  # a whole table is held by `pieces` until it is drawn, and then by prepare alone
    account, frame = prepare(pieces, ledger, stage.optional, stage.rules, stage.reason, stage.made,
                             keep=_carried(stage))
    del pieces
    frame = link(account.source, ledger, frame, linker, stage.name)
    frame = frame.with_columns(firm_identity().alias("who"), *stage.derived).sort(ROW)
    events = frame.group_by(*stage.keys, maintain_order=True).agg(
        *(pl.col(c).drop_nulls().first() for c in stage.first),
        *(pl.col(c).drop_nulls() for c in stage.lists),
        pl.len().cast(pl.Int64).alias("records"),
        pl.col(ROW).first().alias("source_row"),
    )
    settle(account, frame.height, events.height)
    return Staged(events, unlinked_rows(frame, stage.name))


def _one_at_a_time(chunks: RawTable | Iterable[RawTable]) -> Iterator[RawTable]:
    """The chunks, a whole table as its one chunk, each held by the caller alone once drawn
    (reader.handed), so that a chunk's cells are freed as soon as it is prepared."""
    return handed([chunks]) if isinstance(chunks, RawTable) else iter(chunks)


def _carried(stage: Stage) -> tuple[str, ...]:
    """The columns of the prepared rows that link, the derived columns, the keys, `first` and `lists`
    read: the others (a file's columns the contract does not use, a written date once parsed, the
    rules' errors once the reason is made) are dropped chunk by chunk. What prepare makes: the row
    number, the optional columns, the rules' columns and fields, `made`."""
    read = {stage.name, "uscc", *stage.keys, *stage.first, *stage.lists}
    read.update(name for expr in stage.derived for name in expr.meta.root_names())
    prepared = [*stage.optional, *(r.column for r in stage.rules), *(f for r in stage.rules for f in r.fields),
                *(expr.meta.output_name() for expr in stage.made)]
    return (ROW, *(c for c in dict.fromkeys(prepared) if c in read))
