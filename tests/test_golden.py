"""Golden end-to-end tests: `firms ingest tests/golden/<case>/raw` against `tests/golden/<case>/expected/`.

The expectations are data beside the inputs (one CSV per output table, report.json for the ingest
report), worked out by hand from docs/data-contract.md (§1 inputs, §2 rules, §4 tables) before the
engine was run; none is copied from its output. Each case's README.md says what it covers and how its
counts were reached. A new case is a new folder with `raw/`, `expected/` and a README: nothing to add here.

Conventions the expectations rely on:
- firm_id is 1..n in the order of each merged firm's first record in the firms file;
- app_no is canonical: the 12 (or 8) digits, ".", the check character;
- tables are compared on the listed columns only, after sorting both sides by the stated keys (the
  contract fixes no row order);
- quarantine reasons and report keys are the engine's wording (the contract only asks for "a reason").

The xlsx workbooks come from tests/golden/make_xlsx.py.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal
from typer.testing import CliRunner

from fintech_firms.cli import app

GOLDEN = Path(__file__).parent / "golden"

SCHEMAS = {
    "firms": {"firm_id": pl.Int64, "name": pl.Utf8, "uscc": pl.Utf8, "city": pl.Utf8,
              "province": pl.Utf8, "region": pl.Utf8, "rd_staff": pl.Int64, "tech": pl.Utf8},
    "firm_tracks": {"firm_id": pl.Int64, "position": pl.Int64, "track": pl.Utf8, "tech": pl.Utf8},
    "patents": {"app_no": pl.Utf8, "patent_type": pl.Utf8, "app_year": pl.Int64},
    "patent_applicants": {"app_no": pl.Utf8, "applicant": pl.Utf8, "firm_id": pl.Int64,
                          "link_method": pl.Utf8},
    "financing": {"firm_id": pl.Int64, "date": pl.Date, "round": pl.Utf8, "is_c_plus": pl.Boolean,
                  "is_top_vc_led": pl.Boolean},
    "hightech": {"firm_id": pl.Int64, "cert_no": pl.Utf8, "issue_year": pl.Int64},
    "quarantine": {"source": pl.Utf8, "row": pl.Int64, "reason": pl.Utf8},
}
# Sort keys: both sides are sorted by these before comparing.
SORT_KEYS = {
    "firms": ["firm_id"],
    "firm_tracks": ["firm_id", "position"],
    "patents": ["app_no"],
    "patent_applicants": ["app_no", "applicant"],
    "financing": ["firm_id", "date", "round"],
    "hightech": ["cert_no"],
    "quarantine": ["source", "row"],
}
TABLES = list(SCHEMAS)
CASES = sorted(p.parent.name for p in GOLDEN.glob("*/expected"))


@dataclass(frozen=True)
class Expected:
    tables: dict[str, pl.DataFrame]
    report: dict


def load_expected(case: str) -> Expected:
    """The one loader of a case's expectations: a frame per table (typed by SCHEMAS) and report.json."""
    folder = GOLDEN / case / "expected"
    tables = {table: pl.read_csv(folder / f"{table}.csv", schema=SCHEMAS[table], comment_prefix="#")
              for table in TABLES}
    return Expected(tables, json.loads((folder / "report.json").read_text(encoding="utf-8")))


# ----------------------------------------------------------------------------------------------------
# Loader


@dataclass
class Ingested:
    out: Path
    tables: dict[str, pl.DataFrame]
    report: dict


def run_ingest(raw: Path, out: Path) -> None:
    result = CliRunner().invoke(app, ["ingest", str(raw), "--out", str(out), "--quiet"])
    assert result.exit_code == 0, result.output
    assert result.output == ""


@pytest.fixture(scope="session")
def ingested(tmp_path_factory):
    cache: dict[str, Ingested] = {}

    def load(case: str) -> Ingested:
        if case not in cache:
            out = tmp_path_factory.mktemp(case) / "parquet"
            run_ingest(GOLDEN / case / "raw", out)
            tables = {name: pl.read_parquet(out / f"{name}.parquet") for name in TABLES}
            report = json.loads((out / "ingest_report.json").read_text(encoding="utf-8"))
            cache[case] = Ingested(out, tables, report)
        return cache[case]

    return load


def sort(frame: pl.DataFrame, table: str) -> pl.DataFrame:
    return frame.sort(SORT_KEYS[table], nulls_last=True)


# ----------------------------------------------------------------------------------------------------
# Tests


@pytest.mark.parametrize("table", TABLES)
@pytest.mark.parametrize("case", CASES)
def test_table(ingested, case, table):
    actual = ingested(case).tables[table].select(list(SCHEMAS[table]))
    expected = load_expected(case).tables[table]
    assert_frame_equal(sort(actual, table), sort(expected, table))


@pytest.mark.parametrize("case", CASES)
def test_report_files(ingested, case):
    report = ingested(case).report
    fields = ("encoding", "rows_read", "kept", "merged_duplicates", "quarantined_by_reason")
    actual = {source: {k: f[k] for k in fields} for source, f in report["files"].items()}
    assert actual == load_expected(case).report["files"]
    assert report["all_rows_accounted"] is True


@pytest.mark.parametrize("case", CASES)
def test_report_links_and_counts(ingested, case):
    report = ingested(case).report
    expected = load_expected(case).report
    assert report["links"] == expected["links"]
    assert report["invalid_usccs"]["count"] == expected["invalid_usccs"]
    assert report["patent_type_disagreements"] == expected["patent_type_disagreements"]
    assert {u["name"]: u["rows"] for u in report["unlinked_names"]} == expected["unlinked_names"]
    assert report["unlinked_distinct_names"] == len(expected["unlinked_names"])


@pytest.mark.parametrize("case", CASES)
def test_fuzzy_link_scores(ingested, case):
    applicants = ingested(case).tables["patent_applicants"].filter(pl.col("link_method") == "fuzzy")
    actual = dict(applicants.select("applicant", "link_score").iter_rows())
    assert actual == pytest.approx(load_expected(case).report["fuzzy_scores"], abs=0.01)


@pytest.mark.parametrize("case", CASES)
def test_ingest_twice_gives_identical_parquet(ingested, tmp_path, case):
    first = ingested(case).out
    second = tmp_path / "again"
    run_ingest(GOLDEN / case / "raw", second)
    names = sorted(p.name for p in first.glob("*.parquet"))
    assert names == sorted(p.name for p in second.glob("*.parquet"))
    assert set(TABLES) <= {Path(n).stem for n in names}
    for name in names:
        assert (first / name).read_bytes() == (second / name).read_bytes(), name
