"""`firms ingest`: the raw folder → validated, linked, deduplicated tables and the ingest report."""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from ..errors import InputError
from ..frames import Table
from ..models.runner import stored_models
from ..reference.geo import CityMatcher
from ..reference.tables import REGION_OTHER, load
from ..reference.taxonomy import TrackMatcher
from ..rules.fuzzy import FuzzyOptions
from ..rules.uscc import INVALID_USCC
from ..tabular.reader import RawTable, find_file, headers_shown, read_table
from ..version import __version__
from . import schema
from .city_stats import index_inputs
from .financing import build_financing
from .firms import build_firms
from .hightech import build_hightech
from .investors import InvestorMatcher
from .ledger import Ledger
from .linking import METHODS, UNLINKED_REASONS, Linker, attach_links, read_overrides
from .patents import LINK_COLUMNS, build_patents
from .progress import Quiet
from .resources import default_memory_limit
from .writer import check_out_dir, output_lock, spill_folder, write_output

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
    tables, report = build_tables(raw_dir, options, progress)
    with progress.step("Writing Parquet"):
        write_output(out_dir, tables, report)
    return report


def build_tables(raw_dir: Path, options: IngestOptions, progress=Quiet()) -> tuple[dict[str, Table], dict]:
    raw_dir = Path(raw_dir)
    if not raw_dir.is_dir():
        raise InputError(f"{raw_dir}: no such folder (expected the raw files of the data contract)")
    with progress.step("Reading raw files"):
        raw = _read_inputs(raw_dir)
        references = {stem: load(stem, raw_dir) for stem in ("tracks", "regions", "top_vc")}
        overrides = read_overrides(raw_dir)
    ledger = Ledger()
    year = options.max_year
    with progress.step("Merging firms"):
        cities = CityMatcher(references["regions"].frame)
        tracks = TrackMatcher(references["tracks"].frame, "tracks.csv", options.fuzzy)
        firms = build_firms(_take(raw, "firms"), ledger, cities, tracks, year)
    with progress.step("Indexing firm names"):
        linker = Linker(firms.usccs, firms.names, firms.former, options.fuzzy, overrides)
    with progress.step("Parsing patents"):
        patents = build_patents(_take(raw, "patents"), ledger, year)
    with progress.step("Fuzzy-linking applicants") as advance:
        # Each distinct applicant key once; the rows take their key's link when they are written.
        links = attach_links(patents.applicants.keys, linker, "applicant_key", None, progress=advance,
                             on_fuzzy_total=lambda n: advance(0, total=n)).select(*LINK_COLUMNS)
    investors = InvestorMatcher(references["top_vc"].frame, options.fuzzy)
    with progress.step("Financing and certificates"):
        financing, financing_unlinked = build_financing(
            _take(raw, "financing"), ledger, linker, investors, year)
        hightech, hightech_unlinked = build_hightech(_take(raw, "hightech"), ledger, linker, year)
    unlinked = pl.concat([
        patents.applicant_names.join(
            patents.applicants.keys.filter(links["firm_id"].is_null()).select("applicant_key"),
            on="applicant_key", how="semi",
        ).select(pl.col("applicant").alias("name"), pl.col("applicant_key").alias("name_key"),
                 pl.lit("patents").alias("table"), "rows"),
        # A row of financing and hightech names one firm: one row each.
        financing_unlinked.with_columns(pl.lit("financing").alias("table"), pl.lit(1, dtype=pl.Int64).alias("rows")),
        hightech_unlinked.with_columns(pl.lit("hightech").alias("table"), pl.lit(1, dtype=pl.Int64).alias("rows")),
    ])
    # The FIRE index's city statistics and reference tables, only when the raw folder holds one of them
    # (before the quarantine table is made: its bad rows go there).
    index_tables = index_inputs(raw_dir, ledger, references["regions"].frame)

    tables: dict[str, Table] = {
        "firms": firms.firms,
        "firm_tracks": firms.tracks,
        "patents": patents.patents,
        "patent_applicants": patents.applicants.table(links),
        "financing": financing,
        "hightech": hightech,
        "quarantine": ledger.quarantine_frame(),
        "cell_issues": ledger.cell_issue_frame(),
    }
    tables.update(index_tables)
    missing = [t.source for t in raw.values() if not t.provided]
    report = _report(raw_dir, options, references, ledger, tables, patents, patents.applicants.link_counts(links),
                     unlinked, missing)
    report["link_overrides"] = linker.override_report()
    if not report["all_rows_accounted"]:
        bad = [s for s, f in report["files"].items() if not f["accounted"]]
        raise RuntimeError(f"internal error: rows not accounted for in {', '.join(bad)}")
    with progress.step("Summing patents per firm"):
        # Not in the report's tables: they are derived from the tables above, not read from input.
        tables.update(stored_models(tables, memory_limit=options.memory_limit, spill_dir=options.spill_dir))
    return tables, report


def _take(raw: dict[str, RawTable], stem: str) -> RawTable:
    """The table for the step that builds from it. `raw` keeps a copy without the cells (the report
    needs only the file's name and counts), so that the raw cells, gigabytes at ten million patent
    rows, are freed as soon as that step is done with them."""
    table = raw[stem]
    raw[stem] = dataclasses.replace(table, frame=table.frame.clear())
    return table


def _read_inputs(raw_dir: Path) -> dict[str, RawTable]:
    tables: dict[str, RawTable] = {}
    for spec in schema.INPUT_FILES:
        path = find_file(raw_dir, spec.stem)
        if path is None:
            if spec.optional_file:
                tables[spec.stem] = RawTable.absent(f"{spec.stem}.csv", spec.columns)
                continue
            raise InputError(f"{raw_dir}: missing {spec.stem}.csv (or {spec.stem}.xlsx)")
        table = read_table(path, lambda h, s=spec: schema.canonical_header(h, s), set(spec.columns))
        for alternatives in spec.required:
            if not any(c in table.columns for c in alternatives):
                raise InputError(
                    f"{table.source}: missing required column {schema.describe(alternatives)}; "
                    f"found: {headers_shown(table.headers)}")
        tables[spec.stem] = table
    return tables


def _report(raw_dir, options, references, ledger: Ledger, tables, patents, applicant_links: pl.DataFrame, unlinked,
            missing: list[str]) -> dict:
    links = {
        "patents": _link_counts(applicant_links),
        "financing": _link_counts(tables["financing"]),
        "hightech": _link_counts(tables["hightech"]),
    }
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
    invalid = tables["cell_issues"].filter(pl.col("reason") == INVALID_USCC).select(
        "source", "row", pl.col("value").alias("uscc"))
    not_listed = tables["firms"].filter(pl.col("region") == REGION_OTHER)["city"].value_counts()
    unknown_tracks = tables["firm_tracks"].filter(pl.col("track").is_null())["track_written"].value_counts()
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
        "tables": {name: frame.height for name, frame in tables.items()},
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
