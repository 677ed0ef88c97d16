"""The output folder is replaced in one step: a failed run leaves the previous output as it was."""

import datetime as dt
import json

import polars as pl
import pytest

from fintech_firms.contract.tables import TABLES, SchemaMismatch
from fintech_firms.errors import InputError
from fintech_firms.frames import Deferred
from fintech_firms.ingest import writer
from fintech_firms.ingest.writer import REPORT_NAME, write_output

# A value of each declared type, to fill the tables these tests write.
SAMPLE = {pl.String(): "x", pl.Int64(): 1, pl.Float64(): 1.5, pl.Boolean(): True, pl.Date(): dt.date(2021, 3, 5),
          pl.List(pl.String()): ["x"]}


def filled(name: str, n: int) -> pl.DataFrame:
    """Table `name` as declared, with n rows (the first column counts 0..n-1, the others hold SAMPLE)."""
    columns = TABLES[name].columns
    data = {c.name: list(range(n)) if i == 0 and c.dtype == pl.Int64() else [SAMPLE[c.dtype]] * n
            for i, c in enumerate(columns)}
    return pl.DataFrame(data, schema=TABLES[name].schema)


def tables(n):
    return {"firms": filled("firms", n), "patents": filled("patents", n)}


def test_write_creates_the_folder_and_keeps_files_it_does_not_own(tmp_path):
    out = tmp_path / "parquet"
    write_output(out, tables(2), {"run": 1})
    (out / "README.md").write_text("kept")
    write_output(out, tables(3), {"run": 2})
    assert sorted(p.name for p in out.iterdir()) == ["README.md", "firms.parquet", REPORT_NAME,
                                                     "patents.parquet"]
    assert (out / "README.md").read_text() == "kept"
    assert pl.read_parquet(out / "firms.parquet").height == 3
    assert json.loads((out / REPORT_NAME).read_text()) == {"run": 2}
    assert [p.name for p in tmp_path.iterdir()] == ["parquet"]  # no staging or backup left behind


def test_a_failure_while_writing_leaves_the_previous_output(tmp_path, monkeypatch):
    out = tmp_path / "parquet"
    write_output(out, tables(2), {"run": 1})
    before = {p.name: p.read_bytes() for p in out.iterdir()}

    calls = []
    original = pl.DataFrame.write_parquet

    def failing(self, path, **kwargs):
        calls.append(path)
        if len(calls) == 2:
            raise KeyboardInterrupt  # an interrupted run, not just an error
        return original(self, path, **kwargs)

    monkeypatch.setattr(pl.DataFrame, "write_parquet", failing)
    with pytest.raises(KeyboardInterrupt):
        write_output(out, tables(5), {"run": 2})
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert [p.name for p in tmp_path.iterdir()] == ["parquet"]


def test_a_run_stopped_between_the_two_renames_is_recovered(tmp_path, monkeypatch):
    out = tmp_path / "parquet"
    write_output(out, tables(2), {"run": 1})
    # Simulate a stop after the old folder was moved aside and before the new one took its place.
    (tmp_path / ".parquet.old").mkdir()
    for p in out.iterdir():
        p.rename(tmp_path / ".parquet.old" / p.name)
    out.rmdir()
    writer._recover(out)
    assert json.loads((out / REPORT_NAME).read_text()) == {"run": 1}


def test_an_out_path_that_is_a_file_is_refused(tmp_path):
    out = tmp_path / "parquet"
    out.write_text("not a folder")
    with pytest.raises(InputError, match="is a file; --out must name a folder"):
        write_output(out, tables(1), {})
    assert out.read_text() == "not a folder"


def test_a_disk_error_while_writing_is_a_message_and_the_previous_output_stays(tmp_path, monkeypatch):
    out = tmp_path / "parquet"
    write_output(out, tables(2), {"run": 1})

    def full(self, path, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(pl.DataFrame, "write_parquet", full)
    with pytest.raises(InputError, match="cannot write the output .*No space left on device.*unchanged"):
        write_output(out, tables(5), {"run": 2})
    assert json.loads((out / REPORT_NAME).read_text()) == {"run": 1}
    assert [p.name for p in tmp_path.iterdir()] == ["parquet"]


# --- tables written a row group at a time (frames.Deferred) ------------------------------------------

def deferred(frame: pl.DataFrame, made: list | None = None) -> Deferred:
    """`frame` as a Deferred table; `made` collects the (offset, length) of each slice asked for."""
    def rows(offset, length):
        if made is not None:
            made.append((offset, length))
        return frame.slice(offset, length)
    return Deferred(frame.height, rows)


def varied(n: int) -> pl.DataFrame:
    """patent_applicants-shaped rows that differ from one another (so the pages and statistics do)."""
    i = pl.int_range(n, dtype=pl.Int64, eager=True)
    return filled("patent_applicants", n).with_columns(
        app_no=i.cast(pl.Utf8).str.zfill(12), patent_id=i // 2 + 1, position=i % 2 + 1,
        applicant=(i % 997).cast(pl.Utf8), firm_id=pl.when(i % 3 > 0).then(i % 1009), link_score=(i % 7) * 1.5)


@pytest.mark.parametrize("n", [0, 5, 180_000, 262_145, 400_001])
def test_a_deferred_table_has_the_bytes_of_its_frame(tmp_path, n):
    frame = varied(n)
    frame.write_parquet(tmp_path / "whole.parquet", **writer.PARQUET_SETTINGS)
    made: list = []
    writer.write_table("patent_applicants", deferred(frame, made), tmp_path / "slices.parquet")
    assert (tmp_path / "slices.parquet").read_bytes() == (tmp_path / "whole.parquet").read_bytes()
    groups = writer.row_groups_of(tmp_path / "whole.parquet")
    if len(groups) > 1:  # written a row group at a time, never whole
        assert [length for _, length in made if length] == groups
    assert not list(tmp_path.glob(".*probe*"))


def null_in_the_second_row_group() -> pl.DataFrame:
    """Two row groups of patent_applicants, the second with a null patent_id (never null)."""
    return varied(262_145).with_columns(
        patent_id=pl.when(pl.int_range(pl.len()) == 200_000).then(None).otherwise(pl.col("patent_id")))


def test_a_bad_slice_of_a_deferred_table_stops_the_run_and_keeps_the_output(tmp_path):
    out = tmp_path / "parquet"
    write_output(out, tables(2), {"run": 1})
    frame = null_in_the_second_row_group()
    with pytest.raises(SchemaMismatch, match="patent_applicants, column patent_id: 1 nulls"):
        write_output(out, {**tables(3), "patent_applicants": deferred(frame)}, {"run": 2})
    assert json.loads((out / REPORT_NAME).read_text()) == {"run": 1}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["parquet"]


def test_a_background_write_fails_at_the_next_write_and_keeps_the_output(tmp_path):
    out = tmp_path / "parquet"
    write_output(out, tables(2), {"run": 1})
    frame = null_in_the_second_row_group()
    with pytest.raises(SchemaMismatch, match="patent_applicants, column patent_id: 1 nulls"):
        with writer.staged_output(out) as staging:
            staging.write({"patent_applicants": deferred(frame)}, background=True)
            staging.write(tables(3))  # waits for the one before, and raises its error
            staging.finish({"run": 2})
    assert json.loads((out / REPORT_NAME).read_text()) == {"run": 1}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["parquet"]


def test_a_background_write_is_in_the_output(tmp_path):
    out = tmp_path / "parquet"
    with writer.staged_output(out) as staging:
        staging.write({"patent_applicants": deferred(varied(300_000))}, background=True)
        staging.write(tables(3), background=True)
        staging.finish({"run": 1})
    assert sorted(p.name for p in out.iterdir()) == ["firms.parquet", REPORT_NAME, "patent_applicants.parquet",
                                                     "patents.parquet"]
    assert pl.read_parquet(out / "patent_applicants.parquet").equals(varied(300_000))


def test_a_background_write_does_not_wait_for_the_one_before(tmp_path, monkeypatch):
    """Background writes are queued, written one at a time in order; handing one over returns at once,
    and finish waits for them all."""
    import threading

    release, order = threading.Event(), []
    write_table = writer.write_table

    def held(name, table, path):
        if name == "firms":
            assert release.wait(60)
        order.append(name)
        write_table(name, table, path)

    monkeypatch.setattr(writer, "write_table", held)
    out = tmp_path / "parquet"
    with writer.staged_output(out) as staging:
        staging.write({"firms": filled("firms", 2)}, background=True)
        staging.write({"patents": filled("patents", 2)}, background=True)  # returns while firms is held
        assert order == []
        release.set()
        staging.finish({"run": 1})
    assert order == ["firms", "patents"]
    assert sorted(p.name for p in out.iterdir()) == ["firms.parquet", REPORT_NAME, "patents.parquet"]


def test_wait_for_returns_once_that_table_is_written(tmp_path, monkeypatch) -> None:
    import threading

    release = threading.Event()
    write_table = writer.write_table

    def held(name, table, path):
        if name == "patents":
            assert release.wait(60)
        write_table(name, table, path)

    monkeypatch.setattr(writer, "write_table", held)
    with writer.staged_output(tmp_path / "parquet") as staging:
        staging.write({"firms": filled("firms", 2)}, background=True)
        staging.write({"patents": filled("patents", 2)}, background=True)
        staging.wait_for("firms")
        assert staging.path("firms").is_file() and not staging.path("patents").exists()
        staging.wait_for("hightech")  # never handed over: nothing to wait for
        release.set()
        staging.wait_for("patents")
        assert pl.read_parquet(staging.path("patents")).height == 2
        staging.finish({"run": 1})
