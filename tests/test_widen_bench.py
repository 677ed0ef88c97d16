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
