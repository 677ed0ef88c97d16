"""`aggregate` keeps its DuckDB connection per data folder between calls, and must never serve stale
results: a folder ingested again is opened again."""

from __future__ import annotations

from analytics_data import make_raw
from polars.testing import assert_frame_equal

from fintech_firms import aggregate
from fintech_firms.analytics.metrics import Snapshot
from fintech_firms.ingest.pipeline import IngestOptions, ingest
from fintech_firms.ingest.progress import Quiet
from fintech_firms.models.runner import Engine, kept_engine


def fresh(data, by):
    with Engine(data) as engine:  # a new connection, materialising: the other way of running the models
        return Snapshot(engine).metrics(by)


def test_a_folder_is_opened_once_and_again_after_a_new_ingest(tmp_path):
    out = tmp_path / "parquet"
    ingest(make_raw(tmp_path / "raw1", seed=3, firms=60, patents=400), out, IngestOptions(), Quiet())
    first = aggregate(out, by=["region"])
    with kept_engine(out) as engine:
        pass
    assert aggregate(out, by=["region"]).equals(first)
    with kept_engine(out) as again:
        assert again is engine
    assert_frame_equal(first, fresh(out, ["region"]))

    ingest(make_raw(tmp_path / "raw2", seed=4, firms=90, patents=700), out, IngestOptions(), Quiet())
    second = aggregate(out, by=["region"])
    with kept_engine(out) as renewed:
        assert renewed is not engine
    assert_frame_equal(second, fresh(out, ["region"]))
    assert second["firms"].sum() != first["firms"].sum()
