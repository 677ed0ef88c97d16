"""benchmarks/widen.py, and what ingest makes of a wide export: the columns the contract does not use
change no table but the quarantine's records (which keep whole rows), and a chunk of wide rows held
to CHUNK_BYTES gives the same files as one of CHUNK_ROWS. Nothing here asserts a time."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import polars as pl
import pytest

from fintech_firms.demo import folder as demo
from fintech_firms.ingest import patents
from fintech_firms.ingest.pipeline import ingest
from fintech_firms.tabular.reader import read_table

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"
sys.path.insert(0, str(BENCHMARKS))

import widen  # noqa: E402


@pytest.fixture(scope="module")
def folders(tmp_path_factory) -> tuple[Path, Path]:
    base = tmp_path_factory.mktemp("wide")
    demo.write(base / "narrow", scale=0.01)
    widen.main([str(base / "narrow"), str(base / "wide"), "--abstract-chars", "40"])
    return base / "narrow", base / "wide"


def test_the_wide_folder_has_the_rows_and_five_more_columns(folders, tmp_path):
    narrow, wide = folders
    before = pl.read_csv(narrow / "patents.csv", infer_schema=False)
    after = pl.read_csv(wide / "patents.csv", infer_schema=False)
    assert after.columns == [*before.columns, "title", "abstract", "inventors", "agent", "country"]
    assert after.select(before.columns).equals(before)
    assert after["abstract"].str.len_chars().unique().to_list() == [40]
    assert after["title"].str.len_chars().unique().to_list() == [25]
    assert after["country"].unique().to_list() == ["CN"]
    assert sorted(p.name for p in wide.iterdir()) == sorted(p.name for p in narrow.iterdir())
    again = tmp_path / "again"
    widen.main([str(narrow), str(again), "--abstract-chars", "40"])
    assert (again / "patents.csv").read_bytes() == (wide / "patents.csv").read_bytes()


def test_a_wide_export_gives_the_same_tables_in_chunks_of_any_size(folders, tmp_path, monkeypatch):
    narrow, wide = folders
    ingest(narrow, tmp_path / "narrow")
    ingest(wide, tmp_path / "wide")
    rows = pl.read_csv(wide / "patents.csv", infer_schema=False)
    # Chunks of about a tenth of the rows, cut by their bytes.
    monkeypatch.setattr(patents, "CHUNK_BYTES", rows.estimated_size() // 10)
    ingest(wide, tmp_path / "wide_chunks")
    for name in ("patents", "patent_applicants", "firms", "financing", "hightech", "cell_issues"):
        file = f"{name}.parquet"
        assert (tmp_path / "wide" / file).read_bytes() == (tmp_path / "narrow" / file).read_bytes(), name
    for path in sorted((tmp_path / "wide").iterdir()):
        assert path.read_bytes() == (tmp_path / "wide_chunks" / path.name).read_bytes(), path.name
    # The quarantine keeps the wide rows whole: the same rows and reasons, their records with the extras.
    narrow_q = pl.read_parquet(tmp_path / "narrow" / "quarantine.parquet")
    wide_q = pl.read_parquet(tmp_path / "wide" / "quarantine.parquet")
    assert wide_q.select("source", "row", "reason").equals(narrow_q.select("source", "row", "reason"))
    patent_records = wide_q.filter(pl.col("source") == "patents.csv")["record"].to_list()
    assert patent_records and all(set(json.loads(r)) >= {"title", "abstract", "country"} for r in patent_records)


def test_widened_firms_are_a_plain_utf8_export_with_a_business_scope(folders, tmp_path):
    narrow, _ = folders
    widen.main([str(narrow), str(tmp_path / "firms_wide"), "--firms-scope", "30"])
    widen.main([str(narrow), str(tmp_path / "firms_narrow"), "--firms-scope", "0"])
    data = (tmp_path / "firms_wide" / "firms.csv").read_bytes()
    assert b'"' not in data and data.decode("utf-8")  # plain: the reader's chunked path takes it
    before = read_table(narrow / "firms.csv", str)
    wide = read_table(tmp_path / "firms_wide" / "firms.csv", str)
    plain = read_table(tmp_path / "firms_narrow" / "firms.csv", str)
    assert wide.columns == [*before.columns, "经营范围"] and plain.columns == before.columns
    assert wide.frame["经营范围"].str.len_chars().unique().to_list() == [30]
    # The same rows, a comma within a cell written as the full-width one.
    expected = before.frame.with_columns(pl.col(c).str.replace_all(",", "，") for c in before.columns)
    assert wide.frame.drop("经营范围").equals(expected) and plain.frame.equals(expected)
    assert (tmp_path / "firms_wide" / "patents.csv").resolve() == (narrow / "patents.csv").resolve()
    widen.main([str(narrow), str(tmp_path / "again"), "--firms-scope", "30"])
    assert (tmp_path / "again" / "firms.csv").read_bytes() == data


def test_widened_financing_is_a_plain_utf8_export_with_a_description(folders, tmp_path):
    narrow, _ = folders
    widen.main([str(narrow), str(tmp_path / "wide"), "--financing-scope", "40"])
    data = (tmp_path / "wide" / "financing.csv").read_bytes()
    assert b'"' not in data and data.decode("utf-8")  # plain: the reader's chunked path takes it
    before = read_table(narrow / "financing.csv", str)
    wide = read_table(tmp_path / "wide" / "financing.csv", str)
    assert wide.columns == [*before.columns, "项目介绍"]
    assert wide.frame["项目介绍"].str.len_chars().unique().to_list() == [40]
    expected = before.frame.with_columns(pl.col(c).str.replace_all(",", "，") for c in before.columns)
    assert wide.frame.drop("项目介绍").equals(expected)
    assert (tmp_path / "wide" / "firms.csv").resolve() == (narrow / "firms.csv").resolve()
    # The description changes no table (no financing row is quarantined at this scale).
    ingest(narrow, tmp_path / "narrow_out")
    ingest(tmp_path / "wide", tmp_path / "wide_out")
    for name in ("financing", "hightech", "firms", "quarantine", "cell_issues"):
        file = f"{name}.parquet"
        assert (tmp_path / "wide_out" / file).read_bytes() == (tmp_path / "narrow_out" / file).read_bytes(), name


def test_widen_takes_one_file_to_widen(folders, tmp_path):
    narrow, _ = folders
    with pytest.raises(SystemExit):
        widen.main([str(narrow), str(tmp_path / "x"), "--firms-scope", "3", "--financing-scope", "3"])
