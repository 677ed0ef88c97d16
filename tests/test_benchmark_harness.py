"""The benchmark harness (benchmarks/run.py) at a tiny scale, so that it cannot rot; and its parts.

The real runs (scales 1 and 10) are not tests: they take long and their times depend on the machine.
Nothing here asserts a time.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"
sys.path.insert(0, str(BENCHMARKS))

# The benchmark scripts are not a package: importable only once their folder is on sys.path.
from measure import CommandFailed, Sample, run_command, summarise  # noqa: E402
from run import (  # noqa: E402
    MEASUREMENTS,
    PeerMismatch,
    Stats,
    _stage_growth,
    check_targets,
    compare_with_peer,
)


@pytest.fixture(scope="module")
def smoke(tmp_path_factory):
    work = tmp_path_factory.mktemp("bench")
    result = subprocess.run(
        [sys.executable, str(BENCHMARKS / "run.py"), "--scales", "0.02", "--repeat", "2", "--warmup", "0",
         "--work", str(work), "--json", str(work / "results.json"), "--markdown", str(work / "results.md")],
        capture_output=True, text=True, timeout=600, check=False)
    assert result.returncode == 0, result.stderr
    return work, json.loads((work / "results.json").read_text(encoding="utf-8")), result


def test_smoke_run_measures_everything_and_checks_the_peer(smoke):
    work, report, _ = smoke
    (scale,) = report["scales"]
    assert scale["scale"] == 0.02
    assert scale["peer_equal"] is True
    assert (work / "demo-0.02-seed2022" / "out" / "peer_polars.csv").exists()
    assert set(scale["stats"]) == {key for key, _ in MEASUREMENTS}
    for key, stats in scale["stats"].items():
        assert len(stats["runs_s"]) == 2, key
        assert stats["min_s"] <= stats["median_s"] <= stats["max_s"]
    # Subprocesses have a peak RSS; the in-process calls do not.
    assert {k for k, s in scale["stats"].items() if s["peak_rss_gb"] is None} == {
        "aggregate_api_first", "aggregate_api", "index_api", "floor_raw", "floor_parquet"}
    # The raw floor reads every row of the CSV files; the demo's summary says how many were written.
    raw = scale["raw"]
    assert scale["floor_rows"]["raw_csv"] == (raw["firm_records"] + raw["patent_rows"] + raw["financing_rows"]
                                              + raw["city_stats_rows"])
    assert report["repeat"] == 2 and report["warmup"] == 0
    assert [st["stage"] for st in scale["ingest_stages"]][:4] == ["Reading raw files", "Parsing patents",
                                                                  "Merging firms", "Indexing firm names"]
    assert all(st["median_s"] >= 0 and st["peak_rss_gb"] > 0 for st in scale["ingest_stages"])
    assert report["targets"] == []  # the targets are for scales 1 and 10
    assert report["machine"]["versions"]["pandas"]


def test_smoke_run_writes_the_markdown_tables(smoke):
    work, _, result = smoke
    markdown = (work / "results.md").read_text(encoding="utf-8")
    assert markdown == result.stdout
    assert "### Scale 0.02" in markdown
    for _, label in MEASUREMENTS:
        assert f"| {label} |" in markdown
    assert "| ours / pandas: (ingest + tables) / peer |" in markdown
    assert "| ours / polars: (ingest + aggregate CLI) / polars peer |" in markdown
    assert "| ratio | wall time | CPU time |" in markdown
    assert "| Parsing patents |" in markdown


def test_the_peer_check_fails_on_one_changed_count(smoke, tmp_path):
    work, _, _ = smoke
    out = work / "demo-0.02-seed2022" / "out"
    compare_with_peer(out / "peer.csv", out / "parquet-exact")  # as written: equal
    compare_with_peer(out / "peer_polars.csv", out / "parquet-exact")
    lines = (out / "peer.csv").read_text(encoding="utf-8").splitlines()
    header = lines[0].split(",")
    row = lines[1].split(",")
    row[header.index("patents")] = str(int(row[header.index("patents")]) + 1)
    changed = tmp_path / "peer.csv"
    changed.write_text("\n".join([lines[0], ",".join(row), *lines[2:]]) + "\n", encoding="utf-8")
    with pytest.raises(PeerMismatch, match="patents differs in 1 groups"):
        compare_with_peer(changed, out / "parquet-exact")


def test_stats_are_the_median_and_range_of_the_repetitions():
    stats = summarise([Sample(3.0, 1.5), Sample(1.0, 2.5), Sample(2.0, 2.0), Sample(6.0, None)])
    assert (stats.median, stats.low, stats.high) == (2.5, 1.0, 6.0)
    assert stats.cpu is None  # no sample carried CPU time
    assert summarise([Sample(1.0, None, 0.5), Sample(2.0, None, 1.5), Sample(3.0, None, 0.7)]).cpu == 0.7
    assert stats.spread == 2.0
    assert stats.peak_rss == 2.5


def _stats(seconds: float, rss: float | None = None) -> Stats:
    return Stats((seconds,), (rss,) if rss is not None else ())


def test_targets_are_checked_where_the_scales_were_run():
    one = {"ingest": _stats(20.0, 2.0), "aggregate_api": _stats(0.08), "aggregate_cli": _stats(1.2),
           "tables": _stats(5.0), "peer": _stats(100.0), "peer_polars": _stats(12.0), "index_api": _stats(0.5)}
    ten = {"ingest": _stats(250.0, 11.0), "aggregate_api": _stats(0.5), "index_api": _stats(6.0)}
    checked = {(t["issue"], t["scale"], t["target"]): t["met"] for t in check_targets({1: one, 10: ten})}
    assert checked == {
        ("benchmark", 1, "ingest wall time"): True,
        ("benchmark", 1, "ingest peak RSS"): True,
        ("benchmark", 1, "aggregate in-process (next call)"): True,
        ("benchmark", 1, "aggregate through the CLI"): False,
        ("benchmark", 1, "(ingest + tables) / pandas peer"): False,  # 25 s is a quarter of the peer's 100 s
        ("benchmark", 10, "ingest time, scale 10 / scale 1"): False,  # 12.5x
        ("benchmark", 10, "ingest peak RSS"): False,
        ("benchmark", 10, "aggregate in-process (next call)"): True,
        ("11", 1, "index in-process"): True,
        ("11", 10, "index in-process"): False,  # 6 s against 5 s
        ("14", 1, "(ingest + aggregate) / polars peer"): True,  # 21.2 s is 1.77x the polars peer's 12 s
        ("14", 1, "(ingest + aggregate) / polars peer (stretch)"): False,
        ("14", 1, "(ingest + aggregate) / pandas peer"): False,  # 0.212x, not 0.125x
        ("14", 1, "ingest peak RSS"): False,  # 2 GB > 1 GB
        ("14", 10, "ingest wall time"): False,
        ("14", 10, "ingest peak RSS"): False,
    }
    assert [t["target"] for t in check_targets({10: ten})] == [
        "ingest peak RSS", "aggregate in-process (next call)", "index in-process", "ingest wall time",
        "ingest peak RSS"]
    thirty = {"ingest": _stats(700.0, 20.0)}
    checked = {t["target"]: t["met"] for t in check_targets({10: ten, 30: thirty})}
    assert checked["ingest time, scale 30 / scale 10"] is True  # 2.8x
    assert checked["ingest peak RSS (within the machine's 24 GB)"] is True


def test_a_command_reports_its_own_peak_memory():
    sample = run_command([sys.executable, "-c", "x = bytearray(300_000_000); x[::4096] = b'1' * len(x[::4096])"])
    assert sample.peak_rss_gb > 0.3
    assert 0 < sample.cpu_seconds < sample.seconds + 1  # the child's own user + system time


def test_a_failing_command_stops_the_run_with_its_last_words():
    with pytest.raises(CommandFailed, match="exited with 3: boom"):
        run_command([sys.executable, "-c", "import sys; print('boom'); sys.exit(3)"])


def test_only_some_lines_on_a_given_parquet_folder(smoke, tmp_path):
    work, _, _ = smoke
    parquet = work / "demo-0.02-seed2022" / "out" / "parquet"
    result = subprocess.run(
        [sys.executable, str(BENCHMARKS / "run.py"), "--scales", "10", "--only", "report,tables", "--parquet",
         str(parquet), "--repeat", "1", "--warmup", "0", "--work", str(tmp_path), "--json", str(tmp_path / "r.json")],
        capture_output=True, text=True, timeout=600, check=False)
    assert result.returncode == 0, result.stderr
    report = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))
    (scale,) = report["scales"]
    assert list(scale["stats"]) == ["tables", "report"]  # in the order of MEASUREMENTS
    assert scale["raw"] is None and scale["peer_equal"] is None and scale["parquet"] == str(parquet)
    assert scale["stats"]["report"]["peak_rss_gb"] > 0 and scale["stats"]["report"]["cpu_s"] > 0
    assert not (tmp_path / "demo-10-seed2022" / "raw").exists()  # no raw folder generated
    assert (tmp_path / "demo-10-seed2022" / "out" / "report.html").stat().st_size > 0
    # Only the targets of what was measured: the report's, labelled as scale 10 since --scales said so.
    assert [(t["issue"], t["scale"], t["target"]) for t in report["targets"]] == [("12", 10, "firms report")]
    assert "| firms report (the HTML page: chapter-4 tables, index, charts) |" in result.stdout
    assert "| firms ingest |" not in result.stdout and "| ratio |" not in result.stdout


@pytest.mark.parametrize("options, message", [
    (["--only", "report,nothing"], "--only takes measurements out of ingest, "),
    (["--parquet", ".", "--only", "ingest"], "--parquet: one scale, and not ingest"),
    (["--parquet", ".", "--scales", "1,10", "--only", "report"], "--parquet: one scale"),
    (["--only", "report,index_api"], "--only: index_api must follow each round's ingest"),
])
def test_bad_only_and_parquet_options_are_refused(options, message):
    result = subprocess.run([sys.executable, str(BENCHMARKS / "run.py"), *options], capture_output=True, text=True,
                            timeout=60, check=False)
    assert result.returncode == 2 and message in result.stderr


def test_a_target_whose_measurement_was_not_taken_is_not_checked():
    ten = {"report": _stats(8.0)}
    assert [(t["issue"], t["target"], t["met"]) for t in check_targets({10: ten})] == [("12", "firms report", True)]
    assert [t["met"] for t in check_targets({10: {"report": _stats(10.5)}})] == [False]


def test_stage_growth_matches_the_stages_by_name():
    """Where the linking cannot run beside the parse (scale 100), the stages come in another order and
    one is missing: each row still shows one stage."""
    def stage(name: str, seconds: float) -> dict:
        return {"stage": name, "median_s": seconds, "cpu_s": seconds, "peak_rss_gb": 1.0}

    lines = _stage_growth({
        10: [stage("Parsing patents", 20.0), stage("Linking applicants as parsed", 3.0),
             stage("Fuzzy-linking applicants", 0.5)],
        100: [stage("Parsing patents", 200.0), stage("Fuzzy-linking applicants", 60.0)],
    })
    assert lines[4:7] == ["| Parsing patents | 20.00 s, 1.00 GB | 200.00 s, 1.00 GB |",
                          "| Linking applicants as parsed | 3.00 s, 1.00 GB | – |",
                          "| Fuzzy-linking applicants | 500 ms, 1.00 GB | 60.00 s, 1.00 GB |"]
