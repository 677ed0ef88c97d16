"""`firms ingest`: the raw folder → validated, linked, deduplicated tables and the ingest report."""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

import polars as pl

from ..errors import InputError
from ..frames import Table
from ..models.catalog import STORED_READS
from ..models.runner import stored_models
from ..models.stored import stored_frames
from ..reference.geo import CityMatcher
from ..reference.tables import REGION_OTHER, load
from ..reference.taxonomy import TrackMatcher
from ..rules.fuzzy import FuzzyOptions
from ..rules.uscc import INVALID_USCC
from ..tabular.reader import (
    NotStreamed,
    RawTable,
    find_file,
    first_line_header,
    handed,
    headers_shown,
    read_chunks,
    read_header,
    read_table,
)
from ..version import __version__
from . import schema
from .applicant_links import LinksAsParsed
from .city_stats import index_inputs
from .financing import build_financing
from .firms import FirmsResult, build_firms
from .hightech import build_hightech
from .investors import InvestorMatcher
from .ledger import Ledger
from .linking import METHODS, UNLINKED_REASONS, Linker, Overrides, read_overrides
from .overlap import Background, checked
from .patents import LINK_COLUMNS, PatentsResult, build_patents
from .progress import Quiet
from .resources import default_memory_limit
from .writer import Staging, check_out_dir, output_lock, spill_folder, staged_output

# Cities and tracks the reference tables miss: the most frequent are listed.
TOP_LISTED = 20
REPORT_EXAMPLES = 50


@dataclass(frozen=True)
class IngestOptions:
    fuzzy: FuzzyOptions = field(default_factory=FuzzyOptions)
    # Dates after this year are errors (a 2099 typo would otherwise become the default snapshot year).
    max_year: int = field(default_factory=lambda: dt.date.today().year)
    # Bytes DuckDB may hold before it spills to spill_dir (None: no limit); default a share of the machine.
    memory_limit: int | None = field(default_factory=default_memory_limit)
    spill_dir: Path | None = None


def ingest(raw_dir: Path, out_dir: Path, options: IngestOptions = IngestOptions(), progress=Quiet()) -> dict:
    """Run the whole ingest; returns the report that is also written beside the tables."""
    out_dir = check_out_dir(out_dir)  # before the work: a folder that must not be replaced is refused
    with output_lock(out_dir):  # a second ingest into this folder is refused while this one runs
        if options.spill_dir is not None:
            return _locked_ingest(raw_dir, out_dir, options, progress)
        with spill_folder(out_dir) as spill:
            return _locked_ingest(raw_dir, out_dir, dataclasses.replace(options, spill_dir=spill), progress)


def _locked_ingest(raw_dir: Path, out_dir: Path, options: IngestOptions, progress) -> dict:
    with staged_output(out_dir) as staging:
        # The largest tables are written as soon as each is made (see _Tables), the rest here.
        ids: list[pl.DataFrame] = []
        tables, report = build_tables(raw_dir, options, progress,
                                      write=lambda made: staging.write(made, background=True), on_ids=ids.append)
        # The stored models (not in the report's tables: they are derived from the tables, not read from
        # input) read the patents' file and the applicants' patent and firm ids. When build_tables
        # handed those ids over (there was memory to spare), they are summed on a thread as soon as the
        # patents' file is written, while the applicants' table and the others are; otherwise from the
        # files once written: DuckDB reads them a part at a time, within the memory limit.
        sources = {name: staging.path(name) for name in STORED_READS}
        with Background[dict[str, pl.DataFrame] | None]() as summing:
            if ids:
                summing.start(functools.partial(_stored_early, staging, sources, ids.pop(),
                                                options.memory_limit), "summing")
            with progress.step("Writing Parquet"):
                staging.write(tables)  # empties `tables`: the frames are freed as they are written
            with progress.step("Summing patents per firm"):
                frames = summing.result() if summing.started else None
                if frames is None:
                    frames = stored_models(sources, memory_limit=options.memory_limit, spill_dir=options.spill_dir)
                models: dict[str, Table] = {**frames}
                staging.write(models)
        staging.finish(report)
    return report


def _stored_early(staging: Staging, sources: dict[str, Path], ids: pl.DataFrame, memory_limit: int | None,
                  check: Callable[[], None]) -> dict[str, pl.DataFrame] | None:
    """models.stored.stored_frames from the applicants' ids at hand, once the patents' file is written
    (None if the work would not fit `memory_limit`, or the tables are not as ingest writes them)."""
    staging.wait_for("patents")
    check()
    return stored_frames(sources, memory_limit=memory_limit, applicants=ids)


class _Tables:
    """The output tables as they are made, in the report's order. With `write` (the staging folder's),
    the largest are handed over to be written as soon as they are final (by a thread, in order, while
    the next steps run) and only their row counts kept, so that their frames (gigabytes at ten million
    patents) are freed once written, not held to the end; what the report needs of them is taken before."""

    def __init__(self, write: Callable[[dict[str, Table]], None] | None) -> None:
        self.write = write
        self.frames: dict[str, Table] = {}
        self.heights: dict[str, int] = {}

    def add(self, name: str, frame: Table, *, now: bool = False) -> None:
        self.heights[name] = frame.height
        if now and self.write is not None:
            self.write({name: frame})
        else:
            self.frames[name] = frame


def build_tables(raw_dir: Path, options: IngestOptions, progress=Quiet(),
                 write: Callable[[dict[str, Table]], None] | None = None,
                 on_ids: Callable[[pl.DataFrame], None] | None = None) -> tuple[dict[str, Table], dict]:
    """The tables and the report. With `write`, the firms, patents and their applicants are handed to it
    as soon as each is made, and are not among the tables returned. With `on_ids`, patent_applicants'
    patent_id and firm_id columns are handed to it, when there is memory to spare (the stored models
    are summed from them while that table is written)."""
    raw_dir = Path(raw_dir)
    if not raw_dir.is_dir():
        raise InputError(f"{raw_dir}: no such folder (expected the raw files of the data contract)")
    ledger = Ledger()
    year = options.max_year
    tables = _Tables(write)
    # The patents are parsed on a thread of their own from the moment their header is checked, while
    # the other files are read and the firms merged, and, when there is memory for both, the firm
    # names indexed and the financing and certificates linked (ingest/overlap.py): none of that needs
    # the patents. Each file's records go to a ledger of its own, taken over in the files' order, so
    # the report and the tables are as step after step.
    found = LinksAsParsed()  # the applicant keys, as the parse finds them
    with Background[tuple[PatentsResult, Ledger]]() as parsing:
        def parse(chunks: Callable[[], Iterator[RawTable]]) -> None:
            parsing.start(lambda check: _parse_patents(raw_dir, chunks, year, progress, check, found), "patents")

        with progress.step("Reading raw files"):
            raw, later = _read_inputs(raw_dir, parse)
            references = {stem: load(stem, raw_dir) for stem in ("tracks", "regions", "top_vc")}
            overrides = read_overrides(raw_dir)
        with progress.step("Merging firms"):
            cities = CityMatcher(references["regions"].frame)
            tracks = TrackMatcher(references["tracks"].frame, "tracks.csv", options.fuzzy)
            firms, firms_ledger = _build_firms(raw, later, cities, tracks, year)
            ledger.absorb(firms_ledger)  # the first file: `ledger` holds nothing yet
            del firms_ledger
            not_listed = firms.firms.filter(pl.col("region") == REGION_OTHER)["city"].value_counts()
            unknown_tracks = firms.tracks.filter(pl.col("track").is_null())["track_written"].value_counts()
            tables.add("firms", firms.firms, now=True)
            tables.add("firm_tracks", firms.tracks, now=True)
            firms.firms, firms.tracks = firms.firms.clear(), firms.tracks.clear()
        linker, others = None, None
        beside = _room_beside_patents(raw_dir / raw["patents"].source, options.memory_limit)
        if beside:
            linker = _index_names(firms, options, overrides, progress)
            others = _link_others(raw, later, linker, references, options, progress)
            with progress.step("Linking applicants as parsed") as advance:
                # What is left of the parse's time: its applicant keys, as they come.
                while parsing.running():
                    found.link_found(linker, advance)
                    parsing.join(timeout=0.5)
        else:
            found.close()
        patents, patent_ledger = parsing.result()
    # Otherwise after the patents (whose parse is the peak of memory), and the other files after their
    # applicants, which are then being written and freed.
    if linker is None:
        linker = _index_names(firms, options, overrides, progress)
    del firms  # the linker holds what it needs of the indexes
    ledger.absorb(patent_ledger)
    tables.add("patents", patents.take_patents(), now=True)  # its integers are freed once written
    with progress.step("Fuzzy-linking applicants") as advance:
        applicants = patents.take_applicants()
        # Each distinct applicant key once (those linked as they were parsed are not linked again); the
        # rows take their key's link when they are written.
        links = found.links(applicants.keys, linker, advance).select(*LINK_COLUMNS)
        key_ids = applicants.row_key_ids()
        link_counts = {"patents": _link_counts(applicants.link_counts(links, key_ids))}
        unlinked_keys = applicants.keys.filter(links["firm_id"].is_null()).select("applicant_key")
        if on_ids is not None and beside:
            on_ids(applicants.firm_ids(links, key_ids))
        del key_ids
        tables.add("patent_applicants", applicants.table(links), now=True)
        del applicants, links  # their integers are freed once written
    if others is None:
        others = _link_others(raw, later, linker, references, options, progress)
    ledger.absorb(others.ledger)
    unlinked = pl.concat([
        patents.applicant_names.join(unlinked_keys, on="applicant_key", how="semi").select(
            pl.col("applicant").alias("name"), pl.col("applicant_key").alias("name_key"),
            pl.lit("patents").alias("table"), "rows"),
        # A row of financing and hightech names one firm: one row each.
        others.financing_unlinked.with_columns(pl.lit("financing").alias("table"),
                                               pl.lit(1, dtype=pl.Int64).alias("rows")),
        others.hightech_unlinked.with_columns(pl.lit("hightech").alias("table"),
                                              pl.lit(1, dtype=pl.Int64).alias("rows")),
    ])
    # The FIRE index's city statistics and reference tables, only when the raw folder holds one of them
    # (before the quarantine table is made: its bad rows go there).
    index_tables = index_inputs(raw_dir, ledger, references["regions"].frame)

    link_counts.update(financing=_link_counts(others.financing), hightech=_link_counts(others.hightech))
    tables.add("financing", others.financing)
    tables.add("hightech", others.hightech)
    tables.add("quarantine", ledger.quarantine_frame())
    cell_issues = ledger.cell_issue_frame()
    tables.add("cell_issues", cell_issues)
    for name, frame in index_tables.items():
        tables.add(name, frame)
    missing = [t.source for t in raw.values() if not t.provided]
    report = _report(raw_dir, options, references, ledger, tables.heights, link_counts, cell_issues, not_listed,
                     unknown_tracks, patents, unlinked, missing)
    report["link_overrides"] = linker.override_report()
    if not report["all_rows_accounted"]:
        bad = [s for s, f in report["files"].items() if not f["accounted"]]
        raise RuntimeError(f"internal error: rows not accounted for in {', '.join(bad)}")
    return tables.frames, report


# What indexing the firm names and linking the other files beside the parse of the patents costs in
# memory, per byte of the patents file: at scale 10 (0.98 GB of patents) the ingest peaked at 2.7 GB
# beside, 1.8 GB step after step. So they go beside only when three times the patents file fits the
# memory limit (--memory-limit, 60% of the machine's memory by default: patents files up to 4.8 GB on
# 24 GB, about scale 50); above that, after the patents as before, which keeps scale 100 (9.8 GB of
# patents) within 24 GB.
BESIDE_BYTES_FACTOR = 3


def _room_beside_patents(path: Path, memory_limit: int | None) -> bool:
    """Whether the firm names may be indexed and the financing and certificates linked while the
    patents file at `path` is parsed (the linker's indexes then exist beside the parse's peak)."""
    if memory_limit is None:
        return True
    try:
        size = path.stat().st_size
    except OSError:
        return False
    return size * BESIDE_BYTES_FACTOR <= memory_limit


@dataclass
class _Others:
    """What the financing and certificates make, with their ledger."""

    financing: pl.DataFrame
    financing_unlinked: pl.DataFrame
    hightech: pl.DataFrame
    hightech_unlinked: pl.DataFrame
    ledger: Ledger


def _index_names(firms: FirmsResult, options: IngestOptions, overrides: Overrides | None, progress) -> Linker:
    with progress.step("Indexing firm names"):
        return Linker(firms.usccs, firms.names, firms.former, options.fuzzy, overrides)


def _link_others(raw: dict[str, RawTable], later: dict[str, Path], linker: Linker, references: dict,
                 options: IngestOptions, progress) -> _Others:
    investors = InvestorMatcher(references["top_vc"].frame, options.fuzzy)
    year = options.max_year
    with progress.step("Financing and certificates"):
        ledger = Ledger()
        (financing, financing_unlinked), own = _build_later(
            raw, later, "financing", lambda chunks, own: build_financing(chunks, own, linker, investors, year))
        ledger.absorb(own)  # the first file of `ledger`: as if its records had gone there
        (hightech, hightech_unlinked), own = _build_later(
            raw, later, "hightech", lambda chunks, own: build_hightech(chunks, own, linker, year))
        ledger.absorb(own)
        del own
    return _Others(financing, financing_unlinked, hightech, hightech_unlinked, ledger)


_Built = TypeVar("_Built")  # what a step builds from a file's chunks


def _nothing() -> None:
    pass


def _build_firms(raw: dict[str, RawTable], later: dict[str, Path], cities: CityMatcher, tracks: TrackMatcher,
                 year: int) -> tuple[FirmsResult, Ledger]:
    """build_firms over the firms file's chunks (_build_later: a CSV that read_chunks streams goes a
    chunk at a time, so that its columns the merge does not read never exist for the whole file)."""
    return _build_later(raw, later, "firms", lambda chunks, own: build_firms(chunks, own, cities, tracks, year))


def _build_later(raw: dict[str, RawTable], later: dict[str, Path], stem: str,
                 build: Callable[[Iterator[RawTable], Ledger], _Built]) -> tuple[_Built, Ledger]:
    """`build(chunks, ledger)` over the chunks of the file `stem` of LATER, read when its step comes
    (read_chunks: a CSV it streams a chunk at a time; if they stop, the file read whole, _chunked_or_whole);
    with the ledger its records went to (its own). A file not in `later` (a workbook, read up front;
    a file not provided) is one table, taken from `raw` (_take)."""
    path = later.pop(stem, None)
    if path is None:
        own = Ledger()
        return build(handed([_take(raw, stem)]), own), own
    spec = next(s for s in schema.INPUT_FILES if s.stem == stem)
    written = raw[stem]

    def opened() -> Iterator[RawTable]:
        raw[stem], chunks = _checked_chunks(path, spec, written)  # the report needs the file's name alone
        return chunks

    def whole() -> RawTable:
        table = _read_input(path, spec, bytes_path=False)
        _check_again(table, written, spec)
        return table

    return _chunked_or_whole(opened, build, whole)


def _chunked_or_whole(opened: Callable[[], Iterator[RawTable]], build: Callable[[Iterator[RawTable], Ledger], _Built],
                      whole: Callable[[], RawTable], check: Callable[[], None] = _nothing) -> tuple[_Built, Ledger]:
    """`build(chunks, ledger)` over a file's chunks (from `opened()`: tabular.reader.read_chunks); if
    they stop (NotStreamed), over the file read whole (`whole()`, on the text path), into a fresh
    ledger: the records of the start dropped are dropped. Returns the result and the ledger its records
    went to. `check` is called before the chunks are opened and before the file is read whole
    (overlap.Background: it stops the work once the ingest has failed).

    Memory: the chunks are opened here and held here alone (the caller hands what opens them, not
    them), so that they, and what was made of them, are freed before the file is read whole; the
    whole table is held by `build` alone once drawn (reader.handed)."""
    own = Ledger()
    result: _Built | None
    check()
    chunks = opened()
    try:
        result = build(chunks, own)
    except NotStreamed:
        result = None  # what the chunks made is freed with the exception, at the end of this block
    del chunks
    if result is None:
        check()
        holder = [whole()]
        own = Ledger()
        result = build(handed(holder), own)
    return result, own


def _take(raw: dict[str, RawTable], stem: str) -> RawTable:
    """The table for the step that builds from it. `raw` keeps a copy without the cells (the report
    needs only the file's name and counts), so that the raw cells are freed as soon as that step is
    done with them."""
    table = raw[stem]
    raw[stem] = dataclasses.replace(table, frame=table.frame.clear())
    return table


# Read a chunk at a time while they are worked on (tabular.reader.read_chunks), not whole with the others.
STREAMED = ("patents",)
# Read when their step comes, a chunk at a time as well (_build_later); their headers are checked up
# front all the same. The firms, so that the patents (after them in INPUT_FILES) start being parsed on
# their thread at once, not after the firms file is read (1.9 s at scale 10); financing and
# certificates, so that their cells are not held while the firms are merged.
LATER = ("firms", "financing", "hightech")


def _read_inputs(raw_dir: Path, parse: Callable[[Callable[[], Iterator[RawTable]]], None]
                 ) -> tuple[dict[str, RawTable], dict[str, Path]]:
    """The raw tables, each checked to have its required columns; the patents file (the largest by far)
    only up to its header: what opens its rows, a chunk at a time, is handed to `parse` as soon as the
    header is checked; the files of LATER read as CSV only up to their header too (read_header: their tables have
    no rows here): their paths are returned, for _build_later to read them when their step comes."""
    tables: dict[str, RawTable] = {}
    later: dict[str, Path] = {}
    for spec in schema.INPUT_FILES:
        path = find_file(raw_dir, spec.stem)
        if path is None:
            if spec.optional_file:
                tables[spec.stem] = RawTable.absent(f"{spec.stem}.csv", spec.columns)
                continue
            raise InputError(f"{raw_dir}: missing {spec.stem}.csv (or {spec.stem}.xlsx)")
        if spec.stem in STREAMED:
            # The header is checked now, before any work; the rows are read as they are worked on, from
            # the first (on the parse's thread) when the header is read from the first line alone.
            head = first_line_header(path, _canonical(spec), set(spec.columns))
            if head is not None:
                tables[spec.stem] = head
                _check_required(head, spec)
                parse(functools.partial(_streamed, path, spec, head))  # bound now: the loop goes on
                continue
            tables[spec.stem], chunks = read_chunks(path, _canonical(spec), set(spec.columns))
            _check_required(tables[spec.stem], spec)
            parse(functools.partial(iter, chunks))
            continue
        elif spec.stem in LATER and path.suffix.lower() != ".xlsx":
            # Only the header is read now (from the first line, when that is plain), to be checked; the
            # rows when its step comes. Not a workbook: reading its sheet costs seconds, so it is read
            # once, now.
            tables[spec.stem] = read_header(path, _canonical(spec), set(spec.columns))
            later[spec.stem] = path
        else:
            tables[spec.stem] = _read_input(path, spec)
        _check_required(tables[spec.stem], spec)
    return tables, later


def _streamed(path: Path, spec: schema.FileSpec, head: RawTable) -> Iterator[RawTable]:
    """The chunks of a file whose header `head` was read from its first line (see _check_again)."""
    return _checked_chunks(path, spec, head)[1]


def _checked_chunks(path: Path, spec: schema.FileSpec, head: RawTable) -> tuple[RawTable, Iterator[RawTable]]:
    """read_chunks of a file whose header `head` was read before (see _check_again)."""
    table, chunks = read_chunks(path, _canonical(spec), set(spec.columns))
    try:
        _check_again(table, head, spec)
    except InputError:
        close = getattr(chunks, "close", None)
        if close is not None:
            close()
        raise
    return table, chunks


def _check_again(table: RawTable, head: RawTable, spec: schema.FileSpec) -> None:
    """`head` was read from the file's first line alone (reader.first_line_header, read_header); read
    whole, a file that is not in one encoding throughout may have read otherwise: then `table`'s
    required columns are checked again."""
    if table.columns != head.columns:
        _check_required(table, spec)


def _read_input(path: Path, spec: schema.FileSpec, bytes_path: bool = True) -> RawTable:
    return read_table(path, _canonical(spec), set(spec.columns), bytes_path=bytes_path)


def _canonical(spec: schema.FileSpec):
    return lambda header: schema.canonical_header(header, spec)


def _check_required(table: RawTable, spec: schema.FileSpec) -> None:
    for alternatives in spec.required:
        if not any(c in table.columns for c in alternatives):
            raise InputError(
                f"{table.source}: missing required column {schema.describe(alternatives)}; "
                f"found: {headers_shown(table.headers)}")


def _parse_patents(raw_dir: Path, opened: Callable[[], Iterator[RawTable]], year: int, progress,
                   check: Callable[[], None], found: LinksAsParsed) -> tuple[PatentsResult, Ledger]:
    """build_patents over the file's chunks (from `opened()`, on this thread); if they stop
    (NotStreamed), over the file read whole (_chunked_or_whole); with the ledger its records went to
    (its own: those of a start dropped are dropped). `check` is called before each chunk is read
    (overlap.Background: it stops the work once the ingest has failed); `found` is handed the
    applicant keys as they are found."""
    spec = schema.PATENTS

    def whole() -> RawTable:
        path = find_file(raw_dir, spec.stem)
        assert path is not None
        table = _read_input(path, spec, bytes_path=False)
        _check_required(table, spec)
        return table

    with progress.step("Parsing patents"):
        return _chunked_or_whole(lambda: checked(opened(), check),
                                 lambda chunks, own: build_patents(chunks, own, year, found.add), whole, check)


def _report(raw_dir, options, references, ledger: Ledger, heights: dict[str, int], links: dict[str, dict],
            cell_issues: pl.DataFrame, not_listed: pl.DataFrame, unknown_tracks: pl.DataFrame, patents, unlinked,
            missing: list[str]) -> dict:
    counts = (
        unlinked.group_by("name_key", "table").agg(pl.col("rows").sum(), pl.col("name").first())
        .group_by("name_key").agg(
            pl.col("rows").sum(), pl.col("name").sort_by("table").first(),
            pl.struct("table", "rows").sort_by("table").alias("by_table"))
        .sort(["rows", "name"], descending=[True, False])
    )
    unlinked_names = [
        {"name": row["name"], "rows": row["rows"],
         "by_table": {t["table"]: t["rows"] for t in row["by_table"]}}
        for row in counts.iter_rows(named=True)
    ]
    invalid = cell_issues.filter(pl.col("reason") == INVALID_USCC).select(
        "source", "row", pl.col("value").alias("uscc"))
    files = {source: account.as_dict() for source, account in ledger.files.items()}
    return {
        "fintech_firms": __version__,
        "raw_dir": str(raw_dir),
        "options": {
            "fuzzy_threshold": options.fuzzy.threshold,
            "fuzzy_margin": options.fuzzy.margin,
            "max_year": options.max_year,
        },
        "reference_tables": {name: ref.origin for name, ref in references.items()},
        "files": files,
        "files_not_provided": missing,
        "all_rows_accounted": all(f["accounted"] for f in files.values()),
        "tables": dict(heights),
        "links": links,
        # Every unlinked name with the input rows that carry it, most frequent first (contract §2).
        "unlinked_names": unlinked_names,
        "unlinked_distinct_names": counts.height,
        "invalid_usccs": {
            "count": invalid.height,
            "examples": invalid.head(REPORT_EXAMPLES).to_dicts(),
        },
        "patent_type_disagreements": patents.type_disagreements,
        "patents_without_type": patents.type_unknown,
        "cell_issues": [
            {"source": s, "column": c, "reason": r, "rows": n}
            for (s, c, r), n in sorted(ledger.cell_issue_counts.items())
        ],
        "cities_not_in_regions_table": _top_counts(not_listed, "city"),
        "tracks_not_in_taxonomy": _top_counts(unknown_tracks, "track_written"),
    }


def _link_counts(frame: pl.DataFrame) -> dict[str, int]:
    """Rows per link method and per reason left unlinked; `frame` has a row per input row, or a
    `rows` column that counts them."""
    rows = pl.col("rows").sum() if "rows" in frame.columns else pl.len()
    counts = {m: 0 for m in METHODS} | {r: 0 for r in UNLINKED_REASONS}
    for method, n in frame.group_by("link_method").agg(rows).iter_rows():
        if method is not None:
            counts[method] = n
    for reason, n in frame.filter(pl.col("link_method").is_null()).group_by("unlinked").agg(rows).iter_rows():
        counts[reason or "no match"] += n
    return counts


def _top_counts(counts: pl.DataFrame, column: str) -> list[dict]:
    rows = sorted(counts.iter_rows(), key=lambda r: (-r[1], r[0] or ""))
    return [{column: value, "firms": n} for value, n in rows[:TOP_LISTED]]
