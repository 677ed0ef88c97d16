"""The `firms` command line: thin commands that parse options, call the library and print."""

from __future__ import annotations

import dataclasses
import json
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import typer

from .analytics.adhoc import DEFAULT_TIMEOUT, run_query
from .analytics.chapter import DEFAULT_TOP_REGIONS, build_tables
from .analytics.metrics import aggregate
from .demo.plan import DEFAULT_SEED
from .errors import InputError
from .ingest.progress import Quiet, for_terminal
from .ingest.summary import summary_lines
from .output.cells import Result, known_columns, plain_columns
from .output.formats import FORMATS, check_format, csv_bytes, render, write_bytes
from .output.tables import headline, write_tables
from .output.text import text_table

if TYPE_CHECKING:
    from .ingest.pipeline import IngestOptions

app = typer.Typer(
    help="Fintech firm patent and technology analytics (China Fintech FIRE Index, chapter 4).",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
)


@app.callback()
def main() -> None:
    """Fintech firm patent and technology analytics (China Fintech FIRE Index, chapter 4)."""


@app.command("ingest")
def ingest_command(
    raw_dir: Path = typer.Argument(
        Path("data/raw"), help="Folder with firms, patents, financing and hightech (.csv or .xlsx)."),
    out: Path = typer.Option(
        Path("data/parquet"), "--out", "-o", help="Output folder for the Parquet tables and the report."),
    fuzzy_threshold: float = typer.Option(
        90.0, "--fuzzy-threshold", min=0, max=101,
        help="Lowest fuzzy score (0-100) that links a name; 101 switches fuzzy linking off."),
    fuzzy_margin: float = typer.Option(
        3.0, "--fuzzy-margin", min=0, max=100,
        help="Points by which the best fuzzy candidate must beat the runner-up."),
    workers: int = typer.Option(
        -1, "--workers", help="Cores for fuzzy matching (-1: all)."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Print nothing but errors."),
    memory_limit: str = typer.Option(
        None, "--memory-limit", metavar="<amount>",
        help="Memory for summing patents per firm, e.g. 8GB or 50% (default: 60% of RAM): done in memory when "
             "its estimate fits, else by DuckDB, which spills to disk beside OUT."),
    timings: Path = typer.Option(
        None, "--timings", metavar="<file>",
        help="Also write each stage's wall time, CPU time and peak memory to this JSON file (not part of OUT)."),
) -> None:
    """Read raw exports, validate, link and deduplicate them, and write Parquet tables.

    RAW_DIR holds firms, patents, financing and hightech as .csv (UTF-8 or GB18030, Chinese or
    English headers) or .xlsx; tracks.csv, regions.csv or top_vc.csv there replace the default
    reference tables. Every input row ends up in a table, merged into one of its rows as a
    duplicate, or in the quarantine table with its reason; OUT/ingest_report.json accounts for
    each file. Bad input stops the run with a message and exit code 2, leaving OUT as it was.

    \b
    Examples:
      firms ingest                                  # data/raw -> data/parquet
      firms ingest exports/2021 --out build/parquet
      firms ingest --fuzzy-threshold 95             # stricter fuzzy links
      firms ingest --fuzzy-threshold 101            # exact links only
      firms ingest --fuzzy-margin 5                 # the runner-up must trail by 5 points
      firms ingest --workers 1 --quiet              # one core, print only errors
      firms ingest --memory-limit 4GB --timings t.json   # bounded model memory; stage times
    """
    if workers == 0 or workers < -1:
        _fail("--workers must be a positive number of cores or -1 for all")
    from .ingest.pipeline import IngestOptions
    from .ingest.resources import parse_memory_limit
    from .rules.fuzzy import FuzzyOptions

    options = IngestOptions(fuzzy=FuzzyOptions(fuzzy_threshold, fuzzy_margin, workers))
    if memory_limit is not None:
        try:
            options = dataclasses.replace(options, memory_limit=parse_memory_limit(memory_limit))
        except InputError as exc:
            _fail(str(exc))
    _ingest(raw_dir, out, options, quiet, timings)


# The ingest and demo modules (numpy, rapidfuzz, the readers, the generator) are imported by the
# commands that use them, so that `firms aggregate` and `firms sql` start in well under a second.

def _ingest(raw_dir: Path, out: Path, options: IngestOptions, quiet: bool, timings: Path | None = None) -> None:
    """Ingest with a progress display, then print the summary (unless quiet)."""
    from .ingest.pipeline import ingest
    from .ingest.resources import Timed

    progress = Quiet() if quiet else for_terminal()
    if timings is not None:
        progress = Timed(progress)
    try:
        report = ingest(raw_dir, out, options, progress)
    except InputError as exc:
        progress.close()  # before the message, so that the display does not overwrite it
        _fail(str(exc))
    finally:
        progress.close()
    if isinstance(progress, Timed) and timings is not None:
        try:
            progress.write(timings)
        except OSError as exc:
            _fail(f"{timings}: cannot write the timings ({exc.strerror})")
    if not quiet:
        for line in summary_lines(report, out):
            typer.echo(line)


# Options shared by the analytics commands, defined once.
DATA = typer.Option(Path("data/parquet"), "--data", "-d", help="Folder of Parquet tables written by `firms ingest`.")
FORMAT = typer.Option("table", "--format", "-f", help=f"Output format: {', '.join(FORMATS)}.")
OUT = typer.Option(None, "--out", "-o", help="Write to this file instead of the terminal (needed for parquet, xlsx).")
AS_OF = typer.Option(None, "--as-of", help="Snapshot year Y (default: the latest application year in the patents).")
TECH_MODE = typer.Option("primary", "--tech-mode",
                         help="primary: a firm's first known track's class; any: every class.")
RAW_CSV = typer.Option(
    False, "--raw-csv",
    help="CSV only: write text cells that start with = + - @ as they are (by default they get a leading ' "
         "so that a spreadsheet shows them as text instead of running them as formulas).")
MIN_PATENTS = typer.Option(1, "--min-patents", min=0,
                           help="Patents (applied for by Y) a firm needs to be counted; 0: all firms.")


@app.command("aggregate")
def aggregate_command(
    by: str = typer.Option(..., "--by", "-b", help="Comma-separated dimensions: region, province, city, tech."),
    data: Path = DATA,
    as_of: int | None = AS_OF,
    tech_mode: str = TECH_MODE,
    min_patents: int = MIN_PATENTS,
    with_total: bool = typer.Option(False, "--with-total", help="Add a row over all firms (dimensions \"ALL\")."),
    sort: str | None = typer.Option(None, "--sort",
                                    help="Order by this metric, highest first (default: by the dimensions)."),
    region: list[str] | None = typer.Option(None, "--region", help="Keep only firms in this region (repeatable)."),
    city: list[str] | None = typer.Option(None, "--city", help="Keep only firms in this city (repeatable)."),
    fmt: str = FORMAT,
    out: Path | None = OUT,
    raw_csv: bool = RAW_CSV,
) -> None:
    """Firm, patent, R&D and financing metrics for each group (data contract §3).

    One row per group: the dimensions, then firms, hightech_firms, hightech_ratio, patents,
    invention_patents, invention_share, rd_staff, rd_per_firm, financing_events, c_plus_events,
    top_vc_leads, top_vc_leads_per_firm. The table, md and xlsx formats are for people (Chinese
    labels, percentages, rounded means); csv, json and parquet keep the keys and exact values.

    \b
    Examples:
      firms aggregate --by region,tech
      firms aggregate --by city --sort firms --with-total
      firms aggregate --by tech --tech-mode any --as-of 2020 --min-patents 0
      firms aggregate --by region --region 京津冀 --region 长三角 --city 北京
      firms aggregate --by region --data build/parquet --format csv --out region.csv
      firms aggregate --by tech -f xlsx -o tech.xlsx
      firms aggregate --by city -f csv -o city.csv --raw-csv   # no ' before text like =X or -Y
    """
    with _errors():
        check_format(fmt, out)
        frame = aggregate(data, by, as_of=as_of, tech_mode=tech_mode, min_patents=min_patents,
                          with_total=with_total, sort=sort, regions=region or None, cities=city or None)
        _emit(Result(frame, known_columns(frame), "aggregate"), fmt, out, raw_csv)


@app.command("sql")
def sql_command(
    query: str | None = typer.Argument(None, help="One SELECT query over the tables (or use --file)."),
    file: Path | None = typer.Option(None, "--file", help="Read the query from this file."),
    data: Path = DATA,
    max_rows: int = typer.Option(100, "--max-rows", min=1, help="Rows the table and md formats show."),
    timeout: float = typer.Option(
        DEFAULT_TIMEOUT, "--timeout", min=0,
        help="Stop the query after this many seconds (exit code 2); 0: no limit."),
    fmt: str = FORMAT,
    out: Path | None = OUT,
    raw_csv: bool = RAW_CSV,
) -> None:
    """Run one read-only SQL query (DuckDB) over the tables of data contract §4.

    The tables firms, firm_tracks, patents, patent_applicants, financing, hightech, quarantine and
    cell_issues are views over the Parquet files in --data. Only queries run: statements that
    write, attach, install or load, or that read files outside the data folder, are refused. A
    query is stopped after --timeout seconds; the table and md formats fetch only --max-rows rows.

    \b
    Examples:
      firms sql "select region, count(*) as firms from firms group by region order by firms desc"
      firms sql "describe patents"
      firms sql --file query.sql --format csv --out result.csv
      firms sql "select * from quarantine" --data build/parquet --max-rows 20
      firms sql "from financing" -f parquet -o financing.parquet
      firms sql --file slow.sql --timeout 600       # allow ten minutes (0: no limit)
      firms sql "select * from quarantine" -f csv -o q.csv --raw-csv
    """
    with _errors():
        if file is not None and query is None:
            query = _read_query(file)
        elif query is None or file is not None:
            raise InputError("give the query as an argument or with --file, not both and not neither")
        check_format(fmt, out)
        capped = fmt in ("table", "md")
        # One row past the cap tells that there are more, without the query making them all.
        frame = run_query(data, query, timeout=timeout or None, limit=max_rows + 1 if capped else None)
        shown = frame.head(max_rows) if capped else frame
        _emit(Result(shown, plain_columns(shown), "query", null="NULL"), fmt, out, raw_csv)
        if shown.height < frame.height:
            typer.echo(f"(first {shown.height} rows shown; --max-rows or --format csv for all)", err=True)


@app.command("tables")
def tables_command(
    out: Path = typer.Option(Path("data/tables"), "--out", "-o", help="Folder for the CSV, XLSX and Markdown files."),
    data: Path = DATA,
    as_of: int | None = AS_OF,
    tech_mode: str = TECH_MODE,
    min_patents: int = MIN_PATENTS,
    top_regions: str = typer.Option(",".join(DEFAULT_TOP_REGIONS), "--top-regions",
                                    help="Comma-separated regions whose combined share of each tech is shown."),
    top_n: int = typer.Option(3, "--top-n", min=1,
                              help="How many leading regions and cities the top-share table combines."),
) -> None:
    """Write the report's chapter-4 tables: one CSV per table, chapter4.xlsx and chapter4.md.

    Tables: by_region (figures 8-11), by_tech (12-15), by_city, region_tech (16-17),
    tech_concentration, tech_leaders, top_share and about (the settings used). Counts and ratios
    come with their rank and share of the national total; CSV headers are the English keys, the
    workbook and Markdown show the Chinese labels over them.
    With the city statistics in the data folder, the FIRE index tables too (the report's
    tables 3-7 and figures 1-7: the total and each indicator of the first level, by city and by region,
    both years, growth and ranks) as index_*.csv, index.xlsx and index.md; without them a note
    says why they are skipped.

    \b
    Examples:
      firms tables
      firms tables --out report/2022 --as-of 2021
      firms tables --data build/parquet --tech-mode any --min-patents 0
      firms tables --top-regions 京津冀,长三角,粤港澳大湾区,成渝 --top-n 5
    """
    with _errors():
        tables = build_tables(data, as_of=as_of, tech_mode=tech_mode, min_patents=min_patents,
                              top_regions=top_regions.split(","), top_n=top_n)
        for path in write_tables(tables, out):
            typer.echo(f"Wrote {path}")
        for path in _write_index_tables(data, out, as_of, min_patents):
            typer.echo(f"Wrote {path}")


def _write_index_tables(data: Path, out: Path, year: int | None, min_patents: int) -> list[Path]:
    """The FIRE index tables beside the chapter-4 ones; skipped, saying why, when the folder lacks the
    city statistics."""
    from .fire.compute import compute
    from .fire.people import index_tables
    from .output.index_tables import write_index_tables

    try:
        result = compute(data, year=year, min_patents=min_patents)
    except InputError as exc:
        typer.echo(f"FIRE index tables not written: {exc}", err=True)
        return []
    return write_index_tables(index_tables(result), out)


@app.command("index")
def index_command(
    year: int | None = typer.Option(None, "--year", help="Year Y (default: the latest application year)."),
    base_year: int | None = typer.Option(None, "--base-year",
                                         help="Base year whose best city scores 10 (default: Y - 1)."),
    data: Path = DATA,
    level: str = typer.Option("total", "--level", help="total, first, secondary, tertiary or all."),
    by: str = typer.Option("city", "--by", help="city or region."),
    indicator: str | None = typer.Option(None, "--indicator",
                                         help="One indicator code of indicators.csv (overrides --level)."),
    scaling: str = typer.Option("log", "--scaling", help="log: 10*ln(1+x)/ln(1+max_base); linear: 10*x/max_base."),
    window: int = typer.Option(3, "--window", help="Years of the patent statistics window, ending with Y."),
    min_patents: int = MIN_PATENTS,
    partial: bool = typer.Option(False, "--partial", help="Compute what the city statistics allow; blank the rest."),
    fmt: str = FORMAT,
    out: Path | None = OUT,
) -> None:
    """The FIRE (燃) index of the report's chapters 2-3: 59 cities in 13 regions, 19 indicators.

    Scores each tertiary indicator on the base year's scale (the base year's best city gets 10),
    rolls them up by the weights of indicators.csv (first level 0.15/0.25/0.25/0.35, inferred),
    averages cities into regions, and gives growth and ranks. 11 indicators come from the engine's
    tables; 8 from city_stats.csv, ingested with the raw files. csv, json and parquet are long
    (one row per entity x indicator); table, md and xlsx are wide with Chinese labels.
    docs/index.md explains the method and what is inferred.

    \b
    Examples:
      firms index                                   # total index of the cities, latest year
      firms index --by region --level first
      firms index --level all --format csv --out index.csv
      firms index --indicator enterprises --scaling linear
      firms index --year 2021 --base-year 2019 --window 5
      firms index --partial                         # without city statistics: firm-derived parts only
      firms index --data build/parquet --min-patents 0
    """
    with _errors():
        from .fire.compute import COLUMNS, check_selection, compute, select
        from .fire.people import people_frame
        from .output.index_tables import columns

        check_format(fmt, out)
        check_selection(level, by)
        result = compute(data, year=year, base_year=base_year, scaling=scaling, window=window,
                         partial=partial, min_patents=min_patents)
        for note in result.notes:
            typer.echo(note, err=True)
        frame = select(result, level=level, by=by, indicator=indicator)
        if fmt in ("csv", "json", "parquet"):
            frame = frame.select(COLUMNS)
            _emit(Result(frame, plain_columns(frame), "index"), fmt, out)
        else:
            wide, specs = people_frame(frame, result.year, result.base_year)
            _emit(Result(wide, columns(specs), "index"), fmt, out)


@app.command("report")
def report_command(
    data: Path = DATA,
    out: Path = typer.Option(Path("data/report.html"), "--out", "-o", help="The HTML file to write."),
    figures: Path | None = typer.Option(None, "--figures", help="Also write each chart to this folder as SVG and PNG."),
    as_of: int | None = AS_OF,
    tech_mode: str = TECH_MODE,
    min_patents: int = MIN_PATENTS,
    top_cities: int = typer.Option(15, "--top-cities", min=1,
                                   help="Cities the city charts show; the rest are folded into 其他."),
    truth: Path | None = typer.Option(
        None, "--truth", help="CSV or XLSX of names and their true firms (as `firms links eval` takes it): "
                              "adds the linking section, precision and recall with the fuzzy sweep's chart."),
) -> None:
    """Write the report's charts: one HTML page that opens offline, and optionally SVG and PNG files.

    The page (in Chinese) holds the headline numbers, a chart per figure of chapter 4 (firms, share
    of high tech firms, patents and invention share, R&D staff per firm, rounds led by top VCs per
    firm: by region and by tech class; each region's share of a class, concentration, leading
    cities), the index charts when the index can be computed, each chart's table, and the data
    folder's ingest record. Every chart is cut from the tables of `firms tables`; see docs/report.md.
    With --truth, a linking section: precision, recall and F1 against the truth, and precision and
    recall at each fuzzy threshold (the sweep of `firms links eval --sweep`, about 5 s more).

    \b
    Examples:
      firms report                                  # data/parquet -> data/report.html
      firms report --figures data/figures           # and figNN_*.svg / .png for slides
      firms report --data build/parquet --as-of 2020 --out report-2020.html
      firms report --tech-mode any --min-patents 0
      firms report --top-cities 20
      firms report --truth data/demo/truth.csv      # and the linking section
    """
    with _errors():
        from .report import evaluate_links, write_report

        linking = evaluate_links(data, truth) if truth is not None else None
        written = write_report(data, out, figures_dir=figures, as_of=as_of, index=_index_function(),
                               top_cities=top_cities, linking=linking, tech_mode=tech_mode,
                               min_patents=min_patents)
    typer.echo(f"Wrote {out}" + (f" and {len(written) - 1} chart files in {figures}/" if figures else ""))


def _index_function() -> Callable[..., Any]:
    """The index the report charts (imported here: it loads the index package only for the report)."""
    from .fire.compute import index

    return index


SEED = typer.Option(DEFAULT_SEED, "--seed", help="Random seed; the same seed and scale give the same bytes.")
SCALE = typer.Option(1.0, "--scale", help="Multiplies every count, 0.01 to 100 (1: the report's 42,186 firms, exact).")


@app.command("demo-data")
def demo_data_command(
    out: Path = typer.Option(Path("data/demo/raw"), "--out", "-o", help="Folder for the raw files."),
    seed: int = SEED,
    scale: float = SCALE,
    truth: Path | None = typer.Option(
        None, "--truth",
        help="Also write the true firm of every name written (for `firms links eval`); outside --out."),
) -> None:
    """Write a demo raw folder whose chapter-4 tables reproduce the 2022 report's figures.

    At scale 1: about 80,000 firm records (duplicates and name variants included) of which 42,186
    firms hold a patent, about a million patent applications up to 2021, financing events and
    high-tech certificates, with the mess of real exports: firms.csv in GB18030 with Chinese
    headers, hightech.xlsx, name variants, former names, typos that only fuzzy linking resolves,
    co-applicants across regions, people and universities as applicants, invalid application
    numbers, duplicate rows, blank cells. The folder is written whole or not at all; a folder
    holding raw files that the demo did not write is refused. docs/demo-data.md tells what is
    taken from the report and what is invented.

    \b
    Examples:
      firms demo-data                               # data/demo/raw, the report's size
      firms demo-data --out data/raw --seed 7       # another draw, for firms ingest's default
      firms demo-data --scale 0.05                  # a small folder, for trying things out
      firms demo-data --scale 10 -o big/raw         # ten times the report's counts
      firms demo-data --truth data/demo/truth.csv   # and the linking truth
    """
    with _errors():
        from .demo.folder import write as write_demo

        summary = write_demo(out, seed=seed, scale=scale, truth=truth)
    typer.echo(f"Wrote {out}/ ({', '.join(summary.files)}): {summary.firm_records:,} firm records, "
               f"{summary.patent_rows:,} patent rows, {summary.financing_rows:,} financing rows, "
               f"{summary.hightech_rows:,} certificate rows")


@app.command("demo")
def demo_command(
    folder: Path = typer.Option(Path("data/demo"), "--dir", help="Folder for raw/, parquet/, tables/ and report.html."),
    seed: int = SEED,
    scale: float = SCALE,
    regenerate: bool = typer.Option(False, "--regenerate", help="Write the raw files again even if they are there."),
) -> None:
    """Run the whole job on demo data: generate it if missing, ingest it, write the tables and charts.

    DIR/raw is generated (as by `firms demo-data`) unless it already holds the demo for this seed
    and scale; it is ingested into DIR/parquet, the chapter-4 tables go to DIR/tables and their
    charts to DIR/report.html. At scale 1 the tables show the figures of the 2022 report's chapter 4.
    DIR/truth.csv holds the true firm of every name written, and the linking's precision and recall
    against it are shown (and charted in the report, with the fuzzy threshold sweep).

    \b
    Examples:
      firms demo
      firms demo --dir /tmp/demo --scale 0.1
      firms demo --seed 7 --regenerate
    """
    raw, parquet, tables_dir = folder / "raw", folder / "parquet", folder / "tables"
    with _errors():
        typer.echo(f"Demo raw data in {raw}/ (seed {seed}, scale {scale:g}) ...")
        from .demo.folder import prepare

        prepared = prepare(raw, seed=seed, scale=scale, force=regenerate, truth=folder / "truth.csv")
        done = f"generated in {prepared.seconds:.1f} s" if prepared.generated else "already there"
        typer.echo(f"  {done}: {prepared.summary['firm_records']:,} firm records, "
                   f"{prepared.summary['patent_rows']:,} patent rows")
    from .ingest.pipeline import IngestOptions

    _ingest(raw, parquet, IngestOptions(), quiet=False)
    with _errors():
        tables = build_tables(parquet)
        written = write_tables(tables, tables_dir)
    typer.echo(f"Wrote {tables_dir}/ ({len(written)} files: a CSV per table, chapter4.xlsx, chapter4.md)")
    report = folder / "report.html"
    with _errors():
        from .links.evaluate import headline_line
        from .report import evaluate_links, write_report

        linking = evaluate_links(parquet, folder / "truth.csv")  # the report's linking section, and the line below
        write_report(parquet, report, index=_index_function(), linking=linking, tables=tables)
    typer.echo(f"Wrote {report} (the charts; open it in a browser)")
    typer.echo(headline_line(linking))
    for result in headline(tables):
        typer.echo(f"\n{result.title}\n")
        typer.echo(text_table(result), nl=False)
    with _errors():
        _demo_index(parquet, tables_dir)
    typer.echo(f"\nNext: firms aggregate --by region,tech --data {parquet}\n"
               f"      firms sql \"select city, count(*) as firms from firms group by city order by firms desc\" "
               f"--data {parquet}")


def _demo_index(parquet: Path, tables_dir: Path, top: int = 10) -> None:
    """The FIRE index's top cities and its regions, after the chapter-4 tables."""
    from .fire.compute import compute, select
    from .fire.people import people_frame
    from .output.index_tables import columns

    written = _write_index_tables(parquet, tables_dir, None, 1)
    result = compute(parquet)  # the result the line above computed, kept by fire.compute
    typer.echo(f"\nWrote {len(written)} FIRE index files to {tables_dir}/ (index.xlsx, index.md, a CSV per table)")
    for by, title, rows in (("city", f"燃指数 总指数：前{top}位城市", top), ("region", "燃指数 总指数：区域", None)):
        frame, specs = people_frame(select(result, level="total", by=by), result.year, result.base_year)
        typer.echo(f"\n{title}\n")
        typer.echo(text_table(Result(frame.head(rows) if rows else frame, columns(specs), by)), nl=False)
links_app = typer.Typer(
    help="Check and correct the links of names to firms: the review queue and the evaluation.\n\n"
         "\b\nExamples:\n"
         "  firms links review --out review.xlsx    # fill decision, save as data/raw/links.xlsx\n"
         "  firms links eval truth.csv --sweep",
    no_args_is_help=True, rich_markup_mode=None)
app.add_typer(links_app, name="links")


@links_app.command("review")
def links_review_command(
    data: Path = DATA,
    out: Path | None = typer.Option(None, "--out", "-o", help="Write the queue to FILE.xlsx or FILE.csv."),
) -> None:
    """List the names whose link a person should check, most rows first.

    One row per distinct written name that was linked fuzzily, was ambiguous, was decided in
    links.csv, or stayed unlinked while a firm scored within 10 points of the fuzzy threshold: its
    rows per table, the link it got (method or unlinked reason) and score, the top 3 candidate
    firms with their scores, and the columns decision (a firm's USCC, its name, or none) and note
    to fill. Save the filled file as links.csv (or links.xlsx) in the raw folder: the next
    `firms ingest` applies it first (method manual). See docs/linking.md.

    \b
    Examples:
      firms links review --out review.xlsx
      firms links review --data data/demo/parquet --out review.csv
      cp review.csv data/raw/links.csv && firms ingest
    """
    with _errors():
        from .links.review import review

        frame = review(data)
        result = Result(frame, plain_columns(frame), "review", null="")
        if out is None:
            _emit(result, "table", None)
        else:
            fmt = out.suffix.lower().lstrip(".")
            if fmt not in ("csv", "xlsx"):
                raise InputError(f"{out}: --out must end in .csv or .xlsx")
            write_bytes(render(result, fmt), out)
            typer.echo(f"Wrote {out} ({frame.height} names to review)")


@links_app.command("eval")
def links_eval_command(
    truth: Path = typer.Argument(..., help="CSV or XLSX: name, firm (its USCC, its name where it has none, or none)."),
    data: Path = DATA,
    fmt: str = typer.Option("table", "--format", "-f", help="Output format: table, json, csv."),
    sweep: bool = typer.Option(False, "--sweep", help="Re-score the fuzzy step at thresholds 80-100 and margins 0-10."),
) -> None:
    """Precision, recall and F1 of the links against names whose firm is known.

    Each distinct labelled name counts once, with the link most of its rows got. Shown: the
    overall figures, the confusion counts (correct, wrong firm, false link, missed, correctly
    unlinked), the figures per method (uscc, exact, former_name, fuzzy, manual) and every error.
    --sweep decides the fuzzy step's names again at each threshold and margin and shows the
    precision and recall of each, marking those that reach 99.5 % and 98 %. json: an object
    with overall.precision, overall.recall and overall.f1 (fractions); csv: a row per method,
    or the sweep's grid. See docs/linking.md.

    \b
    Examples:
      firms links eval data/demo/truth.csv --data data/demo/parquet
      firms links eval truth.csv --format json
      firms links eval truth.csv --sweep
    """
    with _errors():
        if fmt not in ("table", "json", "csv"):
            raise InputError(f"unknown format '{fmt}'; valid: table, json, csv")
        from .links.evaluate import evaluate, summary_frame, text

        result = evaluate(data, truth, sweep=sweep)
        if fmt == "table":
            typer.echo(text(result), nl=False)
        elif fmt == "json":
            typer.echo(json.dumps(result, ensure_ascii=False, indent=2))
        else:
            typer.echo(csv_bytes(summary_frame(result)).decode(), nl=False)


def _read_query(file: Path) -> str:
    try:
        return file.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read {file}: {getattr(exc, 'strerror', None) or exc}") from None


def _emit(result: Result, fmt: str, out: Path | None, raw_csv: bool = False) -> None:
    data = render(result, fmt, raw_csv=raw_csv)
    if out is None:
        typer.echo(data.decode(), nl=False)
    else:
        write_bytes(data, out)


@contextmanager
def _errors() -> Iterator[None]:
    """Library errors become one line on stderr and exit code 2, never a traceback."""
    try:
        yield
    except InputError as exc:
        _fail(str(exc))


# A message quotes headers, paths and engine text: kept to one line of bounded length whatever they hold.
MAX_MESSAGE = 1000


def one_line(message: str) -> str:
    text = " ".join(message.split())
    return text if len(text) <= MAX_MESSAGE else text[:MAX_MESSAGE] + f"… [{len(text) - MAX_MESSAGE:,} more characters]"


def _fail(message: str) -> None:
    typer.echo(f"Error: {one_line(message)}", err=True)
    raise typer.Exit(code=2)


def run() -> None:
    """The `firms` command: the app, with what escapes it as one line. Ctrl-C (at start-up too) ends
    with exit code 130 and no traceback; an error from DuckDB or polars that no command turned into a
    message, or running out of memory, ends with one line and exit code 2."""
    try:
        app(prog_name="firms")
    except SystemExit as exc:  # how every command ends (click's standalone mode), done or failed
        _exit_now(exc)
    except KeyboardInterrupt:
        typer.echo("Interrupted", err=True)
        raise SystemExit(130) from None
    except MemoryError:
        typer.echo("Error: out of memory; try a smaller input or a machine with more memory", err=True)
        raise SystemExit(2) from None
    except Exception as exc:
        if type(exc).__module__.split(".")[0] not in ("duckdb", "_duckdb", "polars"):
            raise
        typer.echo(f"Error: {one_line(f'{type(exc).__name__}: {exc}')}", err=True)
        raise SystemExit(2) from None


def _exit_now(done: SystemExit) -> NoReturn:
    """End the process with the command's exit code at once. By now every file the command wrote is
    closed (an ingest's output swapped in) and its threads are done; what is skipped is the
    interpreter's teardown (freeing some 900 modules, polars' and DuckDB's runtimes), 0.1-0.3 s of
    every command that nothing waits for. A code that is a message, or output that cannot be flushed
    (a closed pipe), is left to Python's own exit."""
    code = done.code
    if code is not None and not isinstance(code, int):
        raise done
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except Exception:  # whatever it is, Python's own exit reports it as it always did
        raise done from None
    os._exit(code or 0)
