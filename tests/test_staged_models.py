"""`firms ingest` computes the stored models from the patents' Parquet file once it is written, and
from the applicants' patent and firm ids while their table is written (with memory to spare), or from
both Parquet files once written (not from frames held in memory); then it replaces the output: the
models are the same, and a failure or an interrupt while they are computed leaves the previous output
as it was."""

from __future__ import annotations

import time
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from fintech_firms.errors import InputError
from fintech_firms.ingest import pipeline
from fintech_firms.ingest.pipeline import ingest
from fintech_firms.ingest.writer import REPORT_NAME
from fintech_firms.models.runner import AnalyticsError, stored_models

EXAMPLES = Path(__file__).parents[1] / "examples" / "raw"


def _complete(folder: Path) -> bool:
    """Whether the firms, firm_tracks and patents files in `folder` are there and whole."""
    try:
        return all(pl.read_parquet_schema(folder / f"{name}.parquet") for name in ("firms", "firm_tracks", "patents"))
    except (OSError, pl.exceptions.PolarsError):
        return False


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def test_models_from_parquet_files(tmp_path: Path) -> None:
    patents = pl.DataFrame({"patent_id": [1, 2, 3], "app_no": ["A", "B", "C"], "app_year": [2018, 2018, 2019],
                            "patent_type": ["invention", "utility", "invention"], "other": ["x", "y", "z"]})
    applicants = pl.DataFrame({"patent_id": [1, 1, 2, 3, 3, 3], "firm_id": [10, 11, 10, 10, 10, None]},
                              schema={"patent_id": pl.Int64, "firm_id": pl.Int64})
    patents.write_parquet(tmp_path / "p.parquet")
    applicants.write_parquet(tmp_path / "a.parquet")
    models = stored_models({"patents": tmp_path / "p.parquet", "patent_applicants": tmp_path / "a.parquet"})
    years = models["fct_firm_patent_years"]
    assert years.rows() == [(10, 2018, 2, 1, 1, 0), (10, 2019, 1, 1, 1, 1), (11, 2018, 1, 1, 0, 0)]
    assert years.columns == ["firm_id", "app_year", "patents", "invention_patents", "solo_patents",
                             "solo_invention_patents"]
    assert set(models) == {"fct_firm_patent_years", "fct_shared_patents"}


def test_the_models_are_computed_after_the_tables_are_written(tmp_path: Path, monkeypatch) -> None:
    """Step after step (the patents file too big for the linking to run beside its parse), from the
    written files."""
    seen: dict[str, list[str]] = {}
    real = pipeline.stored_models

    def spy(sources, **kwargs):
        # The tables are complete files in the staging folder, beside the output, when the models run.
        folder = next(iter(sources.values())).parent
        seen["files"] = sorted(p.name for p in folder.iterdir())
        assert folder.name.startswith(".out.new-")
        return real(sources, **kwargs)

    monkeypatch.setattr(pipeline, "stored_models", spy)
    tight = (EXAMPLES / "patents.csv").stat().st_size * pipeline.BESIDE_BYTES_FACTOR - 1
    report = ingest(EXAMPLES, tmp_path / "out", pipeline.IngestOptions(memory_limit=tight))
    assert "patents.parquet" in seen["files"] and "patent_applicants.parquet" in seen["files"]
    assert "fct_firm_patent_years.parquet" not in seen["files"] and REPORT_NAME not in seen["files"]
    written = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert "fct_firm_patent_years.parquet" in written and "fct_shared_patents.parquet" in written
    assert "fct_firm_patent_years" not in report["tables"]  # derived, not read: as before


def test_with_memory_to_spare_the_models_are_summed_from_the_ids_once_the_patents_are_written(
        tmp_path: Path, monkeypatch) -> None:
    seen: dict[str, object] = {}
    real = pipeline.stored_frames

    def spy(sources, **kwargs):
        seen["patents written"] = _complete(sources["patents"].parent)
        seen["ids"] = kwargs["applicants"]
        return real(sources, **kwargs)

    def never(*args, **kwargs):
        raise AssertionError("the stored models were computed from the files")

    monkeypatch.setattr(pipeline, "stored_frames", spy)
    monkeypatch.setattr(pipeline, "stored_models", never)
    ingest(EXAMPLES, tmp_path / "early")
    assert seen["patents written"] is True
    ids = pl.read_parquet(tmp_path / "early" / "patent_applicants.parquet", columns=["patent_id", "firm_id"])
    assert_frame_equal(seen["ids"], ids)
    monkeypatch.setattr(pipeline, "stored_models", stored_models)
    tight = (EXAMPLES / "patents.csv").stat().st_size * pipeline.BESIDE_BYTES_FACTOR - 1
    ingest(EXAMPLES, tmp_path / "late", pipeline.IngestOptions(memory_limit=tight))
    assert _snapshot(tmp_path / "early") == _snapshot(tmp_path / "late")


@pytest.mark.parametrize("error", [AnalyticsError("SQL model x failed: out of memory"), KeyboardInterrupt()])
def test_a_failure_while_the_models_run_leaves_the_previous_output(tmp_path: Path, monkeypatch, error) -> None:
    out = tmp_path / "out"
    ingest(EXAMPLES, out)
    before = _snapshot(out)

    def fail(sources, **kwargs):
        raise error

    monkeypatch.setattr(pipeline, "stored_models", fail)
    monkeypatch.setattr(pipeline, "stored_frames", fail)  # on the summing thread: raised in the ingest
    with pytest.raises(type(error)):
        ingest(EXAMPLES, out)
    assert _snapshot(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]  # no staging, spill or lock left


def test_a_failure_after_the_first_tables_are_written_leaves_the_previous_output(tmp_path: Path,
                                                                                 monkeypatch) -> None:
    """The firms, patents and applicants go to the staging folder as soon as each is made (their frames
    are then freed); a run that stops later still leaves the previous output as it was."""
    out = tmp_path / "out"
    ingest(EXAMPLES, out)
    before = _snapshot(out)
    staged: list[list[str]] = []

    def fail(*args, **kwargs):
        # Written by a thread while the run goes on (a background write does not wait for the one before):
        # the tables made before the city statistics reach the staging folder without the run waiting.
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not all(_complete(folder) for folder in tmp_path.glob(".out.new-*")):
            time.sleep(0.01)
        staged.extend(sorted(p.name for p in folder.iterdir()) for folder in tmp_path.glob(".out.new-*"))
        raise InputError("city_stats.csv: something wrong")

    monkeypatch.setattr(pipeline, "index_inputs", fail)
    with pytest.raises(InputError, match="^city_stats.csv: something wrong$"):
        ingest(EXAMPLES, out)
    # The applicants may still be being written (in the background) while the city statistics are read.
    assert len(staged) == 1
    assert {"firm_tracks.parquet", "firms.parquet", "patents.parquet"} <= set(staged[0])
    assert _snapshot(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_build_tables_alone_returns_every_table() -> None:
    tables, report = pipeline.build_tables(EXAMPLES, pipeline.IngestOptions())
    assert list(tables) == list(report["tables"])
    assert {name: frame.height for name, frame in tables.items()} == report["tables"]
    assert report["tables"]["patent_applicants"] > 0
