"""The patents are parsed on a thread beside the firms (ingest/overlap.py): results and errors reach the
caller as in a run step after step, and a failed ingest leaves no thread behind."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from test_bad_input import write_csv, write_firms, write_patents

from fintech_firms.errors import InputError
from fintech_firms.ingest import pipeline
from fintech_firms.ingest.overlap import Background, Cancelled, checked
from fintech_firms.ingest.pipeline import IngestOptions
from fintech_firms.ingest.resources import Timed


def test_the_result_is_what_the_work_made():
    with Background[int]() as work:
        work.start(lambda check: 6 * 7, "answer")
        assert work.result() == 42


def test_an_error_in_the_work_is_raised_by_result():
    with Background[int]() as work:
        work.start(lambda check: int("x"), "bad")
        with pytest.raises(ValueError, match="invalid literal"):
            work.result()


def test_a_failing_caller_stops_the_work_at_its_next_check_and_waits_for_it():
    started, drawn = threading.Event(), []

    def items():
        for i in range(1000):
            drawn.append(i)
            if i == 0:
                started.set()
            yield i

    def work(check) -> int:
        total = 0
        for item in checked(items(), check):
            total += item
            threading.Event().wait(0.005)
        return total

    with pytest.raises(KeyError), Background[int]() as background:
        background.start(work, "slow")
        started.wait(5)
        raise KeyError("the caller's own error")
    # Stopped long before the end, and the thread is gone: the caller's error is the one that counts.
    assert 0 < len(drawn) < 1000
    assert not any(t.name == "slow" for t in threading.enumerate())


def test_ctrl_c_does_not_wait_for_the_work():
    release = threading.Event()
    start = time.monotonic()
    with pytest.raises(KeyboardInterrupt), Background[int]() as background:
        background.start(lambda check: int(release.wait(30)), "unchecking")  # never checks
        raise KeyboardInterrupt
    assert time.monotonic() - start < 10
    assert any(t.name == "unchecking" and t.daemon for t in threading.enumerate())  # dies with the process
    release.set()


def test_checked_stops_before_drawing_and_closes_the_source():
    closed = []

    def source():
        try:
            yield from range(5)
        finally:
            closed.append(True)

    seen, calls = [], []

    def check():
        calls.append(len(seen))
        if len(seen) == 2:
            raise Cancelled

    with pytest.raises(Cancelled):
        for item in checked(source(), check):
            seen.append(item)
    assert seen == [0, 1] and calls == [0, 1, 2] and closed == [True]


def test_work_is_started_once_and_asked_for_after_it_starts():
    background = Background[int]()
    with pytest.raises(RuntimeError, match="before it was started"):
        background.result()
    background.start(lambda check: 1, "once")
    with pytest.raises(RuntimeError, match="started twice"):
        background.start(lambda check: 2, "twice")
    assert background.result() == 1


def test_bad_input_in_another_file_stops_the_patents_and_leaves_nothing(tmp_path: Path, monkeypatch):
    raw = tmp_path / "raw"
    raw.mkdir()
    write_firms(raw)
    write_patents(raw)
    # The certificates lack their required name column: found after the patents have started.
    write_csv(raw / "hightech.csv", ["issue_date", "cert_no"], [["2019-12-02", "GR201944000001"]])
    parsed = []
    parse = pipeline._parse_patents

    def logged(*args):
        parsed.append(threading.current_thread().name)
        return parse(*args)

    monkeypatch.setattr(pipeline, "_parse_patents", logged)
    with pytest.raises(InputError, match=r"^hightech\.csv: missing required column 'name'"):
        pipeline.ingest(raw, tmp_path / "out")
    assert parsed == ["patents"]  # it had started, on its own thread
    assert not any(t.name == "patents" for t in threading.enumerate())
    assert sorted(p.name for p in tmp_path.iterdir()) == ["raw"]


def test_bad_patents_found_while_parsing_are_reported_after_the_firms(tmp_path: Path, monkeypatch):
    """A problem past the header of patents.csv (only the header is read before any
    work) is raised on the parsing thread, and reported by the ingest as it would be step after step."""
    raw = tmp_path / "raw"
    raw.mkdir()
    write_firms(raw)
    write_patents(raw)
    merged = []
    build_firms = pipeline.build_firms

    def damaged(chunks, ledger, year, on_keys):
        raise InputError("patents.csv: line 70000001: a NUL byte")

    monkeypatch.setattr(pipeline, "build_firms", lambda *a: merged.append(1) or build_firms(*a))
    monkeypatch.setattr(pipeline, "build_patents", damaged)
    with pytest.raises(InputError, match=r"^patents\.csv: line 70000001: a NUL byte$"):
        pipeline.ingest(raw, tmp_path / "out")
    assert merged == [1]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["raw"]


EXAMPLES = Path(__file__).parents[1] / "examples" / "raw"


def _stages(tmp_path: Path, name: str, memory_limit: int | None) -> dict[str, dict]:
    timed = Timed()
    pipeline.ingest(EXAMPLES, tmp_path / name, IngestOptions(memory_limit=memory_limit), progress=timed)
    timed.close()
    return {s["stage"]: s for s in timed.stages}


def test_the_other_files_are_linked_beside_the_patents_only_with_memory_to_spare(tmp_path: Path):
    size = (EXAMPLES / "patents.csv").stat().st_size
    roomy = _stages(tmp_path, "roomy", size * pipeline.BESIDE_BYTES_FACTOR)
    tight = _stages(tmp_path, "tight", size * pipeline.BESIDE_BYTES_FACTOR - 1)
    unlimited = _stages(tmp_path, "unlimited", None)

    def after_patents(stages: dict[str, dict]) -> bool:
        parsed = stages["Parsing patents"]
        return stages["Indexing firm names"]["start_seconds"] >= parsed["start_seconds"] + parsed["seconds"] - 0.001

    # The examples parse in milliseconds, so "beside" may still start after the parse is done; only
    # step after step is certain. Step after step, the applicants are linked before the other files
    # (while they are written, their memory is freed); beside, the other files come first, then the
    # applicant keys found so far are linked while the parse goes on. The outputs
    # are the same either way.
    assert after_patents(tight)
    first = ["Reading raw files", "Parsing patents", "Merging firms", "Indexing firm names"]
    last = ["Writing Parquet", "Summing patents per firm"]
    assert list(tight) == [*first, "Fuzzy-linking applicants", "Financing and certificates", *last]
    assert list(roomy) == list(unlimited) == [*first, "Financing and certificates", "Linking applicants as parsed",
                                              "Fuzzy-linking applicants", *last]
    outputs = {name: {p.name: p.read_bytes() for p in sorted((tmp_path / name).iterdir())}
               for name in ("roomy", "tight", "unlimited")}
    assert outputs["roomy"] == outputs["tight"] == outputs["unlimited"]


def test_memory_decides_whether_the_linking_goes_beside_the_patents(tmp_path: Path, monkeypatch):
    calls: list[bool] = []
    room = pipeline._room_beside_patents
    monkeypatch.setattr(pipeline, "_room_beside_patents", lambda *a: calls.append(room(*a)) or calls[-1])
    size = (EXAMPLES / "patents.csv").stat().st_size
    for limit in (None, size * pipeline.BESIDE_BYTES_FACTOR, size * pipeline.BESIDE_BYTES_FACTOR - 1):
        pipeline.ingest(EXAMPLES, tmp_path / str(limit), IngestOptions(memory_limit=limit))
    assert calls == [True, True, False]


def test_join_waits_at_most_its_timeout():
    release = threading.Event()
    with Background[int]() as background:
        background.join(timeout=0.01)  # not started: nothing to wait for
        background.start(lambda check: int(release.wait(30)), "held")
        background.join(timeout=0.05)
        assert background.running()
        release.set()
        background.join(timeout=30)
        assert not background.running() and background.result() == 1
