"""The `firms` command line: thin commands that parse options, call the library and print."""

from __future__ import annotations

from pathlib import Path

import typer

from .errors import InputError
from .fuzzy import FuzzyOptions
from .ingest.pipeline import IngestOptions, ingest
from .ingest.progress import Quiet, for_terminal
from .ingest.summary import summary_lines

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
    """
    if workers == 0 or workers < -1:
        _fail("--workers must be a positive number of cores or -1 for all")
    options = IngestOptions(fuzzy=FuzzyOptions(fuzzy_threshold, fuzzy_margin, workers))
    progress = Quiet() if quiet else for_terminal()
    try:
        report = ingest(raw_dir, out, options, progress)
    except InputError as exc:
        progress.close()  # before the message, so that the display does not overwrite it
        _fail(str(exc))
    finally:
        progress.close()
    if not quiet:
        for line in summary_lines(report, out):
            typer.echo(line)


def _fail(message: str) -> None:
    typer.echo(f"Error: {message}", err=True)
    raise typer.Exit(code=2)
