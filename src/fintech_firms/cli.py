"""The `firms` command line: thin commands that parse options, call the library and print."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from .analytics.adhoc import run_query
from .analytics.chapter import DEFAULT_TOP_REGIONS, build_tables
from .analytics.metrics import aggregate
from .demo.plan import DEFAULT_SEED
from .errors import InputError
from .ingest.progress import Quiet, for_terminal
from .ingest.summary import summary_lines
from .output.cells import Result, known_columns, plain_columns
from .output.formats import FORMATS, check_format, render, write_bytes
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
        help="Memory DuckDB may use before spilling to disk beside OUT, e.g. 8GB or 50% (default: 60% of RAM)."),
    timings: Path = typer.Option(
        None, "--timings", metavar="<file>",
        help="Also write each stage's wall time and peak memory to this JSON file (not part of OUT)."),
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
      firms ingest --memory-limit 4GB --timings t.json   # bounded DuckDB memory; stage times
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
TECH_MODE = typer.Option("primary", "--tech-mode", help="primary: a firm's first known track's class; any: every class.")
MIN_PATENTS = typer.Option(1, "--min-patents", min=0, help="Patents (applied for by Y) a firm needs to be counted; 0: all firms.")


@app.command("aggregate")
def aggregate_command(
    by: str = typer.Option(..., "--by", "-b", help="Comma-separated dimensions: region, province, city, tech."),
    data: Path = DATA,
    as_of: int | None = AS_OF,
    tech_mode: str = TECH_MODE,
    min_patents: int = MIN_PATENTS,
    with_total: bool = typer.Option(False, "--with-total", help="Add a row over all firms (dimensions \"ALL\")."),
    sort: str | None = typer.Option(None, "--sort", help="Order by this metric, highest first (default: by the dimensions)."),
    region: list[str] | None = typer.Option(None, "--region", help="Keep only firms in this region (repeatable)."),
    city: list[str] | None = typer.Option(None, "--city", help="Keep only firms in this city (repeatable)."),
    fmt: str = FORMAT,
    out: Path | None = OUT,
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
    """
    with _errors():
        check_format(fmt, out)
        frame = aggregate(data, by, as_of=as_of, tech_mode=tech_mode, min_patents=min_patents,
                          with_total=with_total, sort=sort, regions=region or None, cities=city or None)
        _emit(Result(frame, known_columns(frame), "aggregate"), fmt, out)


@app.command("sql")
def sql_command(
    query: str | None = typer.Argument(None, help="One SELECT query over the tables (or use --file)."),
    file: Path | None = typer.Option(None, "--file", help="Read the query from this file."),
    data: Path = DATA,
    max_rows: int = typer.Option(100, "--max-rows", min=1, help="Rows the table and md formats show."),
    fmt: str = FORMAT,
    out: Path | None = OUT,
) -> None:
    """Run one read-only SQL query (DuckDB) over the tables of data contract §4.

    The tables firms, firm_tracks, patents, patent_applicants, financing, hightech, quarantine and
    cell_issues are views over the Parquet files in --data. Only queries run: statements that
    write, attach, install or load, or that read files outside the data folder, are refused.

    \b
    Examples:
      firms sql "select region, count(*) as firms from firms group by region order by firms desc"
      firms sql "describe patents"
      firms sql --file query.sql --format csv --out result.csv
      firms sql "select * from quarantine" --data build/parquet --max-rows 20
      firms sql "from financing" -f parquet -o financing.parquet
    """
    with _errors():
        if (query is None) == (file is None):
            raise InputError("give the query as an argument or with --file, not both and not neither")
        if file is not None:
            query = _read_query(file)
        check_format(fmt, out)
        frame = run_query(data, query)
        shown = frame.head(max_rows) if fmt in ("table", "md") else frame
        _emit(Result(shown, plain_columns(shown), "query", null="NULL"), fmt, out)
        if shown.height < frame.height:
            typer.echo(f"({shown.height} of {frame.height} rows shown; --max-rows or --format csv for all)",
                       err=True)


@app.command("tables")
def tables_command(
    out: Path = typer.Option(Path("data/tables"), "--out", "-o", help="Folder for the CSV, XLSX and Markdown files."),
    data: Path = DATA,
    as_of: int | None = AS_OF,
    tech_mode: str = TECH_MODE,
    min_patents: int = MIN_PATENTS,
    top_regions: str = typer.Option(",".join(DEFAULT_TOP_REGIONS), "--top-regions",
                                    help="Comma-separated regions whose combined share of each tech is shown."),
    top_n: int = typer.Option(3, "--top-n", min=1, help="How many leading regions and cities the top-share table combines."),
) -> None:
    """Write the report's chapter-4 tables: one CSV per table, chapter4.xlsx and chapter4.md.

    Tables: by_region (figures 8-11), by_tech (12-15), by_city, region_tech (16-17),
    tech_concentration, tech_leaders, top_share and about (the settings used). Counts and ratios
    come with their rank and share of the national total; CSV headers are the English keys, the
    workbook and Markdown show the Chinese labels over them.

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


SEED = typer.Option(DEFAULT_SEED, "--seed", help="Random seed; the same seed and scale give the same bytes.")
SCALE = typer.Option(1.0, "--scale", help="Multiplies every count, 0.01 to 100 (1: the report's 42,186 firms, exact).")


@app.command("demo-data")
def demo_data_command(
    out: Path = typer.Option(Path("data/demo/raw"), "--out", "-o", help="Folder for the raw files."),
    seed: int = SEED,
    scale: float = SCALE,
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
    """
    with _errors():
        from .demo.folder import write as write_demo

        summary = write_demo(out, seed=seed, scale=scale)
    typer.echo(f"Wrote {out}/ ({', '.join(summary.files)}): {summary.firm_records:,} firm records, "
               f"{summary.patent_rows:,} patent rows, {summary.financing_rows:,} financing rows, "
               f"{summary.hightech_rows:,} certificate rows")


@app.command("demo")
def demo_command(
    folder: Path = typer.Option(Path("data/demo"), "--dir", help="Folder for raw/, parquet/ and tables/."),
    seed: int = SEED,
    scale: float = SCALE,
    regenerate: bool = typer.Option(False, "--regenerate", help="Write the raw files again even if they are there."),
) -> None:
    """Run the whole job on demo data: generate it if missing, ingest it, write and print the tables.

    DIR/raw is generated (as by `firms demo-data`) unless it already holds the demo for this seed
    and scale; it is ingested into DIR/parquet and the chapter-4 tables go to DIR/tables. At
    scale 1 the tables show the figures of the 2022 report's chapter 4.

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

        prepared = prepare(raw, seed=seed, scale=scale, force=regenerate)
        done = f"generated in {prepared.seconds:.1f} s" if prepared.generated else "already there"
        typer.echo(f"  {done}: {prepared.summary['firm_records']:,} firm records, "
                   f"{prepared.summary['patent_rows']:,} patent rows")
    from .ingest.pipeline import IngestOptions

    _ingest(raw, parquet, IngestOptions(), quiet=False)
    with _errors():
        tables = build_tables(parquet)
        written = write_tables(tables, tables_dir)
    typer.echo(f"Wrote {tables_dir}/ ({len(written)} files: a CSV per table, chapter4.xlsx, chapter4.md)")
    for result in headline(tables):
        typer.echo(f"\n{result.title}\n")
        typer.echo(text_table(result), nl=False)
    typer.echo(f"\nNext: firms aggregate --by region,tech --data {parquet}\n"
               f"      firms sql \"select city, count(*) as firms from firms group by city order by firms desc\" "
               f"--data {parquet}")


def _read_query(file: Path) -> str:
    try:
        return file.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read {file}: {getattr(exc, 'strerror', None) or exc}") from None


def _emit(result: Result, fmt: str, out: Path | None) -> None:
    data = render(result, fmt)
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


def _fail(message: str) -> None:
    typer.echo(f"Error: {message}", err=True)
    raise typer.Exit(code=2)
