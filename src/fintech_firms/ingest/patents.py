"""Patent rows → distinct applications and their applicants (contract §2, Patents).

The rows come from the reader a chunk at a time and are worked on in chunks of CHUNK_ROWS. Each
chunk's cells become small typed columns and integer codes (the application number its app_no_key,
the applicants cell its applicants' spelling codes, split once per distinct cell of the chunk), its
bad rows go to the ledger, and only those compact columns of its kept rows are held: the raw rows of
one chunk at a time, never the whole file's. Merging the records of an application then groups integers, and the
two tables stay integers too (frames.Deferred): the application numbers and the applicants' names
become text only a row group at a time, as the files are written.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Executor, ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import polars as pl

from ..contract.tables import TABLES
from ..frames import Deferred, int_max, position_in_runs, without
from ..rules.names import normalize_names, split_lists_at
from ..rules.patents import PATENT_TYPES, app_nos_from_keys, parse_app_number_keys, patent_type_from_text
from ..rules.values import parse_date, parse_dates
from ..tabular.reader import ROW, RawTable
from .columns import DistinctRule, DistinctValues
from .ledger import FileAccount, Ledger
from .stage import REASON, settle

NO_APPLICANTS = "no applicants"
UNKNOWN_TYPE = "unknown patent type"
OPTIONAL = ("patent_type", "app_date", "ipc", "grant_date", "legal_status")
# Rows per chunk: large enough that polars' per-call overhead does not count, small enough that one
# chunk's intermediates (a few hundred bytes a row) stay a fraction of the rows' own size.
CHUNK_ROWS = 1 << 20
# Fewer rows when they are wide: a chunk's raw cells held at once stay about this size. The demo's
# rows take about 100 bytes (CHUNK_ROWS of them about 100 MB), but an export with an abstract or
# claims column takes ten or a hundred times more, and a chunk by rows alone would hold gigabytes.
CHUNK_BYTES = 256 << 20


@dataclass
class Applicants:
    """patent_applicants before linking, as integers: its text (the application number, the applicant's
    spelling and key) and its links are made a row group at a time when the table is written."""

    # patent_id, position, spelling (UInt32; the table's integers are widened as it is written): one
    # row per applicant of an application, in table order.
    rows: pl.DataFrame
    spellings: Spellings  # the applicants' text and key_id by spelling code
    keys: pl.DataFrame  # key_id (1, 2, ...), applicant_key: one row per distinct applicant key, to link
    patent_keys: pl.Series  # by patent_id - 1: the application's app_no_key

    def table(self, links: pl.DataFrame | None = None) -> Deferred:
        """The table: with `links` (by key_id - 1: firm_id, link_method, link_score, unlinked) the
        columns of contract §4, without them the same but for the links (for tests)."""
        columns = [c for c in TABLES["patent_applicants"].schema if links is not None or c not in LINK_COLUMNS]
        # One chunk, so that each row group's gathers from it index one array (the spellings are).
        linked = None if links is None else links.select(LINK_COLUMNS).rechunk()
        spellings = self.spellings

        def rows(offset: int, length: int) -> pl.DataFrame:
            part = self.rows.slice(offset, length)
            spelling = part["spelling"]
            picked = None if linked is None else linked.gather(spellings.key_id.gather(spelling) - 1)

            def column(name: str) -> pl.Series:
                if name == "app_no":
                    return self._app_nos(part["patent_id"])
                if name in ("applicant", "applicant_key"):
                    return spellings.text(name, spelling)
                if picked is not None and name in LINK_COLUMNS:
                    return picked[name]
                return part[name].cast(TABLES["patent_applicants"].schema[name])  # held narrower

            return pl.DataFrame([column(n) for n in columns])

        return Deferred(self.rows.height, rows)

    def _app_nos(self, ids: pl.Series) -> pl.Series:
        """The application number of each patent_id of `ids` (sorted, as the rows are): each distinct
        patent's number made once, then gathered (an application has a few applicant rows)."""
        if ids.is_empty():
            return app_nos_from_keys(self.patent_keys.slice(0, 0)).alias("app_no")
        first, last = int(ids[0]), int(ids[-1])
        numbers = app_nos_from_keys(self.patent_keys.slice(first - 1, last - first + 1))
        return numbers.gather(ids - first).alias("app_no")

    def row_key_ids(self) -> pl.Series:
        """Each row's key_id (its spelling's), in table order: for link_counts and firm_ids, which a
        caller of both hands the same Series (a gather over every applicant row)."""
        return self.spellings.key_id.gather(self.rows["spelling"])

    def firm_ids(self, links: pl.DataFrame, key_ids: pl.Series) -> pl.DataFrame:
        """The table's patent_id and firm_id columns (as `table(links)` has them), without its text;
        `key_ids` is row_key_ids()."""
        schema = TABLES["patent_applicants"].schema
        firm = links["firm_id"].gather(key_ids - 1)
        return pl.DataFrame([self.rows["patent_id"].cast(schema["patent_id"]), firm.cast(schema["firm_id"])])

    def link_counts(self, links: pl.DataFrame, key_ids: pl.Series) -> pl.DataFrame:
        """(link_method, unlinked, rows): how many applicant rows each outcome of `links` has; `key_ids`
        is row_key_ids()."""
        # Rows per key by counting into an array indexed by key_id (a tenth of a group-by's time over
        # ten million rows): beside `links`, which is by key_id - 1 too.
        per_key = np.bincount(key_ids.to_numpy(), minlength=self.keys.height + 1)[1:]
        return (links.with_columns(pl.Series("rows", per_key, dtype=pl.Int64)).filter(pl.col("rows") > 0)
                .group_by("link_method", "unlinked").agg(pl.col("rows").sum()))

LINK_COLUMNS = ("firm_id", "link_method", "link_score", "unlinked")


@dataclass
class PatentsResult:
    patents: Deferred | None
    applicants: Applicants | None  # linked later
    # One row per applicant key: its first spelling in the file and how many kept rows name it.
    applicant_names: pl.DataFrame  # applicant, applicant_key, rows
    type_disagreements: int
    type_unknown: int

    def take_patents(self) -> Deferred:
        """The patents table, no longer held here (so that it is freed once its taker is done)."""
        table, self.patents = self.patents, None
        if table is None:
            raise RuntimeError("internal error: the patents table was taken already")
        return table

    def take_applicants(self) -> Applicants:
        """The applicants, no longer held here."""
        applicants, self.applicants = self.applicants, None
        if applicants is None:
            raise RuntimeError("internal error: the applicants were taken already")
        return applicants


@dataclass
class Spellings:
    """The applicants as written, by spelling code (far fewer than the applicant rows: a firm is named
    in many cells): each spelling, its applicant key and the key's key_id, held once rather than in
    every row naming it; each in one chunk."""

    applicant: pl.Series
    applicant_key: pl.Series
    key_id: pl.Series  # UInt32: equal exactly when the keys are

    def text(self, name: str, codes: pl.Series) -> pl.Series:
        """The `applicant` or `applicant_key` of each spelling code."""
        return getattr(self, name).gather(codes).alias(name)


class _Cells:
    """The applicants cells, a chunk at a time: each distinct cell of a chunk split into its applicants
    once, and each kept row's applicants held as their spellings' codes, in file order. (A code per
    distinct cell of the whole file would be held for all of it: the distinct cells as a categorical
    take several times what the codes of their applicants do.)"""

    def __init__(self, on_keys: Callable[[pl.DataFrame], None] | None = None) -> None:
        """`on_keys`: called with each chunk's applicant keys not seen before (key_id, applicant_key),
        in key_id order, as they are found."""
        self.on_keys = on_keys
        # The applicants as written: far fewer distinct spellings than items (a firm is named in many
        # cells), so each spelling is normalised, and its key coded, once.
        self.spellings = DistinctValues(keep=True)
        self.keys = DistinctValues(keep=True)  # the distinct applicant keys, to link each once
        self.key_of = pl.Series("applicant_key", [], dtype=pl.Utf8)  # by spelling code
        self.key_id_of = pl.Series("key_id", [], dtype=pl.UInt32)  # by spelling code
        self.items: list[pl.Series] = []  # the kept rows' applicants: spelling codes, in file order
        self._chunk = pl.DataFrame()  # the chunk's cells' applicants: cell, spelling; by cell and position

    def codes(self, cells: pl.Series) -> tuple[pl.Series, pl.Series]:
        """Each cell's code among the chunk's distinct cells, and whether it names an applicant (False
        for a blank cell)."""
        codes, new = DistinctValues().codes(cells)
        # By cell code and position; code 0 is the mapping's own value, which no cell holds.
        items = split_lists_at(new["value"]).filter(pl.col("index") > 0).sort("index", maintain_order=True)
        spellings, fresh = self.spellings.codes(items["item"])
        if fresh.height:
            keys = normalize_names(fresh["value"])
            # A key's code is equal exactly when the keys are: names are deduplicated by an integer.
            self.key_of = pl.concat([self.key_of, keys], rechunk=True)
            key_ids, new_keys = self.keys.codes(keys)
            self.key_id_of = pl.concat([self.key_id_of, key_ids], rechunk=True)
            new_keys = new_keys.filter(pl.col("code") > 0)  # code 0 is the mapping's own value
            if self.on_keys is not None and new_keys.height:
                self.on_keys(new_keys.select(pl.col("code").alias("key_id"), pl.col("value").alias("applicant_key")))
        items = items.with_columns(spellings.alias("spelling"), self.key_id_of.gather(spellings))
        # A cell naming one firm twice names it once (the first spelling); only a cell of several can.
        several = (pl.col("position") > 1) | (pl.col("position").shift(-1) > 1).fill_null(False)
        items = without(items, items.with_row_index("_at").filter(several)
                        .filter(~(pl.col("index").cast(pl.UInt64) * 2**32 + pl.col("key_id"))
                                .is_first_distinct())["_at"])
        self._chunk = items.select(pl.col("index").cast(pl.UInt32).alias("cell"), "spelling")
        named = pl.repeat(False, new.height, eager=True).scatter(items["index"].unique(), True)
        return codes, named.gather(codes).fill_null(False)

    def keep(self, cells: pl.Series) -> pl.Series:
        """The applicants of the chunk's kept rows, whose cells' codes are `cells` (each names at least
        one): held, in row order; returns how many each row has."""
        codes = pl.int_range(0, (int_max(cells) or 0) + 1, dtype=pl.UInt32, eager=True)
        first_item = self._chunk["cell"].search_sorted(codes, side="left")
        count = (self._chunk["cell"].search_sorted(codes, side="right") - first_item).gather(cells)
        row, place = _repeated(count)
        self.items.append(self._chunk["spelling"].gather(first_item.gather(cells.gather(row)) + place))
        self._chunk = pl.DataFrame()
        return count.alias("applicants")

    def release(self) -> tuple[pl.Series, pl.DataFrame, Spellings]:
        """Drop the codes' mappings once every chunk is read; returns the kept rows' applicants (spelling
        codes, by kept row and position), the keys (key_id, applicant_key) without code 0, which no
        cell holds, and the spellings."""
        items = pl.concat(self.items, rechunk=True) if self.items else pl.Series(dtype=pl.UInt32)
        self.items.clear()
        keys = self.keys.decode(pl.int_range(1, self.keys.count, dtype=pl.UInt32, eager=True))
        spellings = Spellings(self.spellings.values().alias("applicant"), self.key_of, self.key_id_of)
        del self.spellings, self.keys, self.key_of, self.key_id_of
        return items.alias("spelling"), pl.DataFrame({
            "key_id": pl.int_range(1, keys.len() + 1, dtype=pl.UInt32, eager=True), "applicant_key": keys}), spellings


def _repeated(counts: pl.Series) -> tuple[pl.Series, pl.Series]:
    """Each row's index repeated as many times as its count (UInt32, each at least 1), and each repeat's
    place among its row's (0, 1, ...): by integers, the rows' starts in the repeated list increasing."""
    total = int(counts.cast(pl.Int64).sum())
    if total >= 2**32 or (counts.len() and not (counts >= 1).all()):
        raise RuntimeError("internal error: applicant counts out of range")
    starts = counts.cum_sum() - counts
    row = pl.repeat(0, total, dtype=pl.UInt32, eager=True).scatter(starts, 1).cum_sum() - 1
    return row, pl.int_range(0, total, dtype=pl.UInt32, eager=True) - starts.gather(row)


class _Steps:
    """What the chunks share: each rule's results by distinct value, and the codes of the cells."""

    def __init__(self, max_year: int, on_keys: Callable[[pl.DataFrame], None] | None = None) -> None:
        self.max_year = max_year
        self.cells = _Cells(on_keys)
        self.types = DistinctRule(lambda v: (patent_type_from_text(v),), {"text_type": PATENT_TYPES})
        self.dates = DistinctRule(lambda v: parse_date(v, max_year=max_year),
                                  {"date_value": pl.Date, "date_year": pl.Int32, "date_error": pl.Utf8},
                                  lambda values: parse_dates(values, max_year=max_year).drop("value"))
        # Columns kept as written, as codes until the patents are made.
        self.texts = {c: DistinctValues(keep=True) for c in _TEXTS}


def build_patents(chunks: RawTable | Iterable[RawTable], ledger: Ledger, max_year: int,
                  on_keys: Callable[[pl.DataFrame], None] | None = None) -> PatentsResult:
    """`chunks`: the patents file's rows, one table or a chunk of consecutive rows at a time
    (tabular.reader.read_chunks), worked on in chunks of CHUNK_ROWS rows whatever their size.
    `on_keys` is handed the applicant keys as they are found, the rows of the result's
    `applicants.keys` a part at a time (on the thread that runs this), so that they can be linked before the
    parse is over."""
    steps = _Steps(max_year, on_keys)
    pieces = iter([chunks] if isinstance(chunks, RawTable) else chunks)
    del chunks  # a whole table is held by `pieces` until it is drawn, and then by _chunked alone
    with ThreadPoolExecutor(1, thread_name_prefix="patents-columns") as beside:
        parts, disagreements, account = _chunked(pieces, ledger, steps, beside)
    del pieces
    # The spellings' and keys' mappings are done with: dropped before the rows are gathered and sorted.
    items, keys, spellings = steps.cells.release()
    rows = _concat_columns(parts)  # a gather from one chunk costs a fraction of one from many
    height = rows.height

    # The applications in key order (the numbers' string order); stable, so that each application's
    # records stay in file order and the first of them is the first record in the file.
    order = rows.select(pl.arg_sort_by("key", maintain_order=True)).to_series()
    sorted_keys = rows["key"].gather(order)
    starts = sorted_keys.ne_missing(sorted_keys.shift(1)).fill_null(True)
    del sorted_keys
    first_at = starts.arg_true()  # where each application's records start among the sorted rows
    # By sorted row: its application's patent_id (the applications are numbered in key order).
    patent_of = starts.cum_sum().cast(pl.UInt32)
    records = (first_at.cast(pl.Int64).shift(-1, fill_value=height) - first_at.cast(pl.Int64)).alias("records")
    # polars splits each chunk of a frame into its own Parquet row groups: the tables come out in
    # one chunk, as they always have, so that their files keep their bytes.
    records = records.rechunk()
    # By sorted row: does its application have several records?
    merged = (records > 1).gather(patent_of - 1)
    del starts
    # Memory: what the applicants need is taken from `rows` first, so that `rows` goes once the
    # patents are made, before the applicants are.
    names = _applicant_names(items, spellings)
    # By sorted row: how many applicants it has, and where they start among the items.
    counts = rows["applicants"]
    sorted_starts = (counts.cum_sum() - counts).gather(order)
    sorted_counts = counts.gather(order)
    del counts
    held = [rows.drop("applicants")]  # held by _patents alone, which frees each column once it is done with it
    del rows
    patents = _patents(held, order, first_at, records, merged)
    settle(account, height, patents.height)
    del order, first_at, records
    applicants = _applicants(patent_of, sorted_counts, sorted_starts, merged, items, spellings.key_id, patents.height)
    del items
    return PatentsResult(
        _patents_table(patents, {c: codes.values() for c, codes in steps.texts.items()}),
        Applicants(applicants, spellings, keys, patents["key"]),
        names, disagreements, patents.filter(pl.col("patent_type").is_null()).height)


def _chunked(pieces: Iterator[RawTable], ledger: Ledger, steps: _Steps, beside: Executor
             ) -> tuple[list[pl.DataFrame], int, FileAccount]:
    """The compact columns of each CHUNK_ROWS rows drawn from `pieces` (_chunk_rows), how many rows'
    types disagree with their numbers', and the file's account."""
    parts, disagreements = [], 0
    account: FileAccount | None = None
    held: list[pl.DataFrame] = []  # rows drawn from `pieces` and not yet worked on: fewer than CHUNK_ROWS
    for piece in pieces:
        account = ledger.read_chunk(account, piece)
        # The ledger needs the table's name and headers, not its cells: the raw cells are held only
        # by `held`, and go once they are worked on.
        table = dataclasses.replace(piece, frame=piece.frame.clear())
        held.append(piece.frame)
        del piece
        while sum(f.height for f in held) >= (size := _rows_per_chunk(held)):
            rows = pl.concat(held, rechunk=False) if len(held) > 1 else held[0]
            held = [rows.slice(size)]
            part, disagreed = _chunk_rows(rows.slice(0, size), table, ledger, steps, beside)
            del rows
            parts.append(part)
            disagreements += disagreed
    if account is None:
        raise RuntimeError("internal error: no chunk of the patents file")
    if not parts or any(f.height for f in held):  # held: never empty here
        part, disagreed = _chunk_rows(pl.concat(held, rechunk=False), table, ledger, steps, beside)
        parts.append(part)
        disagreements += disagreed
    return parts, disagreements, account


def _rows_per_chunk(frames: list[pl.DataFrame]) -> int:
    """How many rows to work on at once: CHUNK_ROWS, or as many as take about CHUNK_BYTES, judged by
    the rows of `frames` (at least one)."""
    height = sum(f.height for f in frames)
    size = int(sum(f.estimated_size() for f in frames))  # bytes (typed int | float)
    if size * CHUNK_ROWS <= CHUNK_BYTES * height:
        return CHUNK_ROWS
    return max(1, CHUNK_BYTES * height // size)


def _chunk_rows(chunk: pl.DataFrame, table: RawTable, ledger: Ledger, steps: _Steps,
                beside: Executor) -> tuple[pl.DataFrame, int]:
    """The compact columns of the chunk's kept rows, in file order, and how many of them have a type
    that disagrees with their number's; the chunk's bad rows and cell issues go to the ledger."""
    # Every cell is coded (or parsed) in the whole chunk, and only those integers are filtered to the
    # kept rows: filtering the chunk's text columns would copy them all. The values of the rows set
    # aside get codes too, which no kept row carries (the rules give them results that are not used).
    blank = pl.repeat(None, chunk.height, dtype=pl.Utf8, eager=True)
    cells = {c: chunk[c] if c in chunk.columns else blank.alias(c) for c in OPTIONAL}

    def columns() -> tuple[pl.DataFrame, pl.Series, pl.DataFrame, list[pl.Series]]:
        return (parse_app_number_keys(chunk["app_no"], max_year=steps.max_year),
                steps.types.apply(cells["patent_type"]).to_series(), steps.dates.apply(cells["app_date"]),
                [codes.codes(cells[c])[0].alias(c) for c, codes in steps.texts.items()])

    # The other columns on a thread of their own while the applicants are coded: they need nothing of
    # each other, and the parse alone keeps only about 1.3 of 2 cores busy. Each rule still sees the
    # chunks in file order, so every code is the same.
    made = beside.submit(columns)
    codes, named = steps.cells.codes(chunk["applicants"])
    parsed, typed, dated, texts = made.result()
    reason = pl.DataFrame([parsed["error"], named.alias("named")]).select(
        pl.when(pl.col("error").is_not_null()).then("error").when(~pl.col("named")).then(pl.lit(NO_APPLICANTS))
    ).to_series()
    bad = reason.is_not_null()
    kept = None
    if bad.any():
        ledger.quarantine(table, chunk.filter(bad).with_columns(reason.filter(bad).alias(REASON)), REASON)
        kept = ~bad
    del reason, named

    def keep(frame: pl.DataFrame) -> pl.DataFrame:
        return frame if kept is None else frame.filter(kept)

    applicants = steps.cells.keep(codes if kept is None else codes.filter(kept))
    rows = keep(pl.DataFrame([
        chunk[ROW].cast(pl.UInt32),  # row numbers in four bytes, not eight (strict: more rows stop here)
        parsed["key"], parsed["patent_type"].alias("number_type"), parsed["year"].alias("number_year"),
        typed, *dated, *texts,
    ]))
    del parsed, codes, typed, dated, texts
    errors = keep(pl.DataFrame([chunk[ROW], cells["app_date"], cells["patent_type"]])).with_columns(
        rows["date_error"],
        pl.when(pl.col("patent_type").is_not_null() & rows["text_type"].is_null())
        .then(pl.lit(UNKNOWN_TYPE)).alias("type_error"))
    ledger.cell_issues(table.source, "app_date", errors.filter(pl.col("date_error").is_not_null()), "date_error")
    ledger.cell_issues(table.source, "patent_type", errors.filter(pl.col("type_error").is_not_null()), "type_error")
    disagreements = rows.filter(
        pl.col("number_type").is_not_null() & pl.col("text_type").is_not_null()
        & (pl.col("number_type") != pl.col("text_type"))
    ).height
    return rows.with_columns(applicants).select(
        ROW, "key", "applicants", "number_type", "text_type", "number_year", "date_year", "date_value", *_TEXTS,
    ), disagreements


def _concat_columns(parts: list[pl.DataFrame]) -> pl.DataFrame:
    """The parts one under the other, in one chunk, made a column at a time: each column of the parts
    is freed once it is copied (`parts` is emptied), so that the rows are never held twice."""
    columns = []
    for name in parts[0].columns:
        columns.append(pl.concat([part[name] for part in parts], rechunk=True))
        parts[:] = [part.drop(name) for part in parts]
    parts.clear()
    return pl.DataFrame(columns)


# Each application's columns: the first value set among its records (in file order).
_FIRST_SET = ("number_type", "text_type", "number_year", "date_year", "ipc", "grant_date", "legal_status")


def _patents(held: list[pl.DataFrame], order: pl.Series, first_at: pl.Series, records: pl.Series,
             merged: pl.Series) -> pl.DataFrame:
    """The patents table as integers (see _patents_table): one row per application, in key order,
    without patent_id (its row number + 1) and with the integers narrower than the table's.

    `held` holds the kept rows (and is emptied: each of their columns is freed once its patents'
    column is made, so that the rows and the patents are not both held whole). `order` sorts the
    rows by key, `first_at` is where each application starts among the sorted rows, `records` how
    many rows it has, `merged` whether a sorted row's application has several.
    """
    rows = held.pop()
    several = (records > 1).arg_true()
    grouped = None
    if several.len():
        # Only the applications with several records are grouped; the others' values are their record's.
        # The date comes from the same record as its year: the first with a usable app_date.
        date = pl.col("date_value").filter(pl.col("date_year").is_not_null()).first()
        grouped = (
            rows.select(pl.col("key", *_FIRST_SET, "date_value").gather(order.filter(merged)))
            .group_by("key", maintain_order=True)
            .agg(*(pl.col(c).drop_nulls().first() for c in _FIRST_SET), date)
        )
    firsts = order.gather(first_at)
    columns: dict[str, pl.Series] = {}
    for name in rows.columns:
        columns[name] = rows[name].gather(firsts)
        rows = rows.drop(name)
    del rows
    patents = pl.DataFrame(list(columns.values())).with_columns(
        pl.when(pl.col("date_year").is_not_null()).then(pl.col("date_value")).alias("date_value"))
    del columns
    if grouped is not None:
        patents = patents.with_columns(patents[c].scatter(several, grouped[c]) for c in (*_FIRST_SET, "date_value"))
    return patents.select(
        "key",
        pl.coalesce("number_type", "text_type").alias("patent_type"),
        pl.coalesce("date_year", "number_year").alias("app_year"),
        pl.col("date_value").alias("app_date"),
        *_TEXTS,
        pl.when(pl.col("number_type").is_not_null()).then(pl.lit("number", dtype=TYPE_SOURCES))
        .when(pl.col("text_type").is_not_null()).then(pl.lit("patent_type", dtype=TYPE_SOURCES))
        .alias("type_source"),
        records.cast(pl.UInt32),
        pl.col(ROW).alias("source_row"),
    )


_TEXTS = ("ipc", "grant_date", "legal_status")  # kept as written: codes until written
TYPE_SOURCES = pl.Enum(["number", "patent_type"])


def _patents_table(patents: pl.DataFrame, texts: dict[str, pl.Series]) -> Deferred:
    """The patents table of contract §4 from its integers: `texts` holds the written values of each
    text column by code, each in one chunk (DistinctValues.values: gathers from one chunk are cheaper)."""

    def rows(offset: int, length: int) -> pl.DataFrame:
        part = patents.slice(offset, length)

        def column(name: str) -> pl.Series:
            if name == "app_no":
                return app_nos_from_keys(part["key"]).alias("app_no")
            if name == "patent_id":
                return pl.int_range(offset + 1, offset + part.height + 1, dtype=pl.Int64, eager=True).alias(name)
            if name in ("patent_type", "type_source"):
                # An enum's text by gathering its categories by code: cheaper than a cast per row.
                enum = part[name].dtype
                if not isinstance(enum, pl.Enum):
                    raise RuntimeError(f"internal error: patents.{name} is held as {enum}, not an enum")
                return pl.Series(name, enum.categories).gather(part[name].to_physical())
            if name in texts:
                return texts[name].gather(part[name]).alias(name)
            return part[name].cast(TABLES["patents"].schema[name])

        return pl.DataFrame([column(n) for n in TABLES["patents"].schema])

    return Deferred(patents.height, rows)


def _applicants(patent_of: pl.Series, counts: pl.Series, starts: pl.Series, merged: pl.Series,
                items: pl.Series, key_id_of: pl.Series, patents: int) -> pl.DataFrame:
    """patent_applicants (before linking) as Applicants.rows: each application's applicants in file
    order, one per key.

    `patent_of` (the application's patent_id), `counts` and `starts` (how many applicants the row has,
    and where they start among `items`) and `merged` are the kept rows' sorted by application, each
    application's in file order; `items` the kept rows' applicants (spelling codes), by row (in file
    order) and position; `key_id_of` each spelling's key_id. The integers are UInt32, as the counts of
    rows and applicants fit in it (checked).
    """
    # Each row repeated once per applicant, by integers: no string is copied here.
    row, place = _repeated(counts)
    listed = pl.DataFrame([patent_of.gather(row).alias("patent_id"), merged.gather(row).alias("_merged"),
                           items.gather(starts.gather(row) + place).alias("spelling")])
    del row, place
    listed = listed.with_columns(key_id_of.gather(listed["spelling"]).alias("key_id"))
    # A cell names a firm once; an application with several records may name it in more than one.
    listed = without(listed, listed.with_row_index("_at").filter("_merged")
                     .filter(~pl.struct("patent_id", "key_id").is_first_distinct())["_at"])
    _check_patent_ids(listed["patent_id"], patents)
    # Narrower than the table's integers (they are widened as the table is written).
    return listed.select("patent_id", position_in_runs("patent_id").cast(pl.UInt32).alias("position"), "spelling")


def _applicant_names(items: pl.Series, spellings: Spellings) -> pl.DataFrame:
    """Per applicant key, its first spelling in the file and the number of kept rows that name it.

    `items` are the kept rows' applicants (spelling codes) in file order; a row names a key once.
    """
    key_ids = spellings.key_id.gather(items)
    # Each key's first item (keys in the order of their first use), and its items counted into an
    # array indexed by key_id: a fraction of a group-by's time over ten million items.
    firsts = key_ids.arg_unique()
    rows = pl.Series("rows", np.bincount(key_ids.to_numpy()), dtype=pl.Int64).gather(key_ids.gather(firsts))
    spelling = items.gather(firsts)
    return pl.DataFrame([spellings.text("applicant", spelling), spellings.text("applicant_key", spelling), rows])


def _check_patent_ids(ids: pl.Series, patents: int) -> None:
    """Every patent has at least one applicant (a row without one is quarantined): the applicant rows'
    patent_ids, in order, are 1, 2, ... `patents`, each at least once."""
    steps = ids.cast(pl.Int64).diff().fill_null(1)
    if ids.len() and (ids[0] != 1 or ids[-1] != patents or not steps.is_between(0, 1).all()):
        raise RuntimeError("internal error: patent applicants do not line up with the patents")
    if not ids.len() and patents:
        raise RuntimeError("internal error: patent applicants do not line up with the patents")
