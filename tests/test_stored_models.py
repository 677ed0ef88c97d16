"""models/stored.py computes the stored models (fct_firm_patent_years, fct_shared_patents) in polars for
`firms ingest`: the same frames, dtypes and row order as running their SQL (sql/) on the same files,
and the SQL itself whenever the tables are not numbered as ingest numbers them."""

from __future__ import annotations

import io
from pathlib import Path

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from fintech_firms.ingest.writer import PARQUET_SETTINGS
from fintech_firms.models import runner
from fintech_firms.models.stored import needed_memory, stored_frames

TYPES = st.sampled_from(["invention", "utility", "design", None])
YEARS = st.one_of(st.none(), st.integers(1985, 2025))


def _write(folder: Path, patents: pl.DataFrame, applicants: pl.DataFrame) -> dict[str, Path]:
    tables = {"patents": folder / "patents.parquet", "patent_applicants": folder / "patent_applicants.parquet"}
    patents.write_parquet(tables["patents"])
    applicants.write_parquet(tables["patent_applicants"])
    return tables


def _patents(years: list[int | None], types: list[str | None]) -> pl.DataFrame:
    return pl.DataFrame({
        "app_no": [f"{i:08d}.{i % 10}" for i in range(len(years))],
        "patent_id": list(range(1, len(years) + 1)),
        "patent_type": types, "app_year": years, "records": [1] * len(years),
    }, schema={"app_no": pl.Utf8, "patent_id": pl.Int64, "patent_type": pl.Utf8, "app_year": pl.Int64,
               "records": pl.Int64})


def _applicants(rows: list[tuple[int | None, int | None]]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema={"patent_id": pl.Int64, "firm_id": pl.Int64}, orient="row")


def _assert_as_sql(tables: dict[str, Path]) -> dict[str, pl.DataFrame]:
    fast = stored_frames(tables)
    assert fast is not None
    # From the applicants' columns at hand (ingest, while their file is being written): not read.
    ids = pl.read_parquet(tables["patent_applicants"], columns=["patent_id", "firm_id"])
    at_hand = stored_frames({**tables, "patent_applicants": tables["patents"].with_name("absent.parquet")},
                            applicants=ids)
    assert at_hand is not None
    by_sql = runner._stored_by_sql(tables)
    assert list(fast) == list(by_sql) == list(at_hand)
    for name in by_sql:
        assert_frame_equal(fast[name], by_sql[name])
        assert_frame_equal(at_hand[name], fast[name])
        # The same file as ingest writes it (a frame's chunks become the file's row groups).
        assert _written(fast[name]) == _written(by_sql[name])
    return fast


def _written(frame: pl.DataFrame) -> bytes:
    out = io.BytesIO()
    frame.write_parquet(out, **PARQUET_SETTINGS)
    return out.getvalue()


@st.composite
def tables(draw):
    count = draw(st.integers(0, 30))
    years = draw(st.lists(YEARS, min_size=count, max_size=count))
    types = draw(st.lists(TYPES, min_size=count, max_size=count))
    ids = st.one_of(st.none(), st.integers(1, count)) if count else st.none()
    firms = st.one_of(st.none(), st.integers(0, 8), st.just(10**6))
    rows = draw(st.lists(st.tuples(ids, firms), max_size=80))
    return _patents(years, types), _applicants(rows)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(tables())
def test_the_same_frames_as_the_sql(tmp_path: Path, drawn) -> None:
    # Applicant rows in any order, firms named twice on an application, rows without a firm or an
    # application, applications without a year or a type.
    _assert_as_sql(_write(tmp_path, *drawn))


def test_worked_example(tmp_path: Path) -> None:
    patents = _patents([2018, 2018, 2019, None], ["invention", "utility", "invention", None])
    applicants = _applicants([(1, 10), (1, 11), (2, 10), (3, 10), (3, 10), (3, None), (4, 11), (4, 12), (4, 12)])
    found = _assert_as_sql(_write(tmp_path, patents, applicants))
    assert found["fct_firm_patent_years"].rows() == [
        (10, 2018, 2, 1, 1, 0), (10, 2019, 1, 1, 1, 1), (11, 2018, 1, 1, 0, 0), (11, None, 1, 0, 0, 0),
        (12, None, 1, 0, 0, 0)]
    assert found["fct_shared_patents"].rows() == [
        (10, 1, "00000000.0", 2018, True), (11, 1, "00000000.0", 2018, True),
        (11, 4, "00000003.3", None, False), (12, 4, "00000003.3", None, False)]


def test_the_ingested_files_keep_their_dtypes(tmp_path: Path) -> None:
    patents = _patents([2020, 2021], ["invention", "design"]).with_columns(
        pl.col("patent_id").cast(pl.Int32), pl.col("app_year").cast(pl.Int16))
    applicants = _applicants([(1, 3), (2, 3), (2, 4)]).cast(pl.Int32)
    found = _assert_as_sql(_write(tmp_path, patents, applicants))
    assert found["fct_firm_patent_years"].schema["app_year"] == pl.Int16
    # Years of a narrow type whose span does not fit it.
    _assert_as_sql(_write(tmp_path, patents.with_columns(pl.Series("app_year", [-100, 100], dtype=pl.Int8)),
                          applicants))
    assert found["fct_shared_patents"].schema["patent_id"] == pl.Int32


@pytest.mark.parametrize("ids, rows", [
    ([2, 3], [(2, 1)]),  # applications not numbered from 1
    ([1, 3], [(1, 1)]),  # a gap
    ([2, 1], [(1, 1)]),  # out of order
    ([1, 2], [(3, 1)]),  # an applicant row naming an application that is not there
    ([1, 2], [(1, -1)]),  # a negative firm id
    ([1.0, 2.0], [(1, 1)]),  # ids that are not integers
])
def test_other_tables_are_left_to_the_sql(tmp_path: Path, ids: list[int], rows) -> None:
    patents = _patents([2020, 2021], ["invention", None]).with_columns(pl.Series("patent_id", ids))
    tables = _write(tmp_path, patents, _applicants(rows))
    assert stored_frames(tables) is None
    by_sql = runner._stored_by_sql(tables)
    for name, frame in runner.stored_models(tables).items():
        assert_frame_equal(frame, by_sql[name])


def test_the_same_files_at_a_few_hundred_thousand_rows(tmp_path: Path) -> None:
    """Large enough for polars to cut the files into several row groups, by the frames' chunks."""
    count = 300_000
    ids = pl.int_range(1, count + 1, eager=True)
    patents = _patents([None] * count, [None] * count).with_columns(
        (1985 + ids.hash(1) % 40).cast(pl.Int64).alias("app_year"),
        pl.Series(["invention", "utility", "design", None]).gather(ids.hash(2) % 4).alias("patent_type"))
    rows = pl.int_range(0, 2 * count, eager=True)
    applicants = pl.DataFrame({"patent_id": (rows // 2 + 1).cast(pl.Int64),
                               "firm_id": (rows.hash(3) % 50_000).cast(pl.Int64)}).filter(rows.hash(4) % 3 > 0)
    found = _assert_as_sql(_write(tmp_path, patents, applicants))
    assert found["fct_firm_patent_years"].height > 200_000 and found["fct_shared_patents"].height > 100_000


def test_a_memory_limit_too_small_for_polars_leaves_the_work_to_duckdb(tmp_path: Path, monkeypatch) -> None:
    patents = _patents([2020, 2021, 2021], ["invention", None, "design"])
    tables = _write(tmp_path, patents, _applicants([(1, 1), (2, 1), (2, 2), (3, 2)]))
    assert needed_memory(tables) == 3 * 40 + 4 * 72
    assert needed_memory(tables, _applicants([(1, 1)] * 5)) == 3 * 40 + 5 * 72
    assert stored_frames(tables, memory_limit=3 * 40 + 4 * 72 - 1) is None
    assert stored_frames(tables, memory_limit=3 * 40 + 4 * 72) is not None
    by_sql = runner._stored_by_sql(tables)
    monkeypatch.setattr(runner, "_stored_by_sql", lambda *args, **kwargs: by_sql)
    assert runner.stored_models(tables, memory_limit=100) is by_sql
    assert runner.stored_models(tables, memory_limit=10**9) is not by_sql
