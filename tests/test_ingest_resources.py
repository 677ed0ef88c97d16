"""Stage timings (`firms ingest --timings`) and the memory limit (`--memory-limit`)."""

import json
import time
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from fintech_firms.cli import app
from fintech_firms.errors import InputError
from fintech_firms.ingest import pipeline, resources
from fintech_firms.ingest.pipeline import IngestOptions, ingest
from fintech_firms.ingest.resources import Timed, parse_memory_limit
from fintech_firms.models import runner as model_runner

EXAMPLES = Path(__file__).parents[1] / "examples" / "raw"
# In the order they start: the patents are parsed beside the steps that need nothing of them.
STAGES = ["Reading raw files", "Parsing patents", "Merging firms", "Indexing firm names", "Financing and certificates",
          "Linking applicants as parsed", "Fuzzy-linking applicants", "Writing Parquet", "Summing patents per firm"]


def _folder_bytes(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def test_timings_go_to_their_own_file_and_leave_the_output_as_without_them(tmp_path):
    cli = CliRunner()
    plain, timed = tmp_path / "plain", tmp_path / "timed"
    assert cli.invoke(app, ["ingest", str(EXAMPLES), "--out", str(plain), "--quiet"]).exit_code == 0
    result = cli.invoke(app, ["ingest", str(EXAMPLES), "--out", str(timed), "--quiet",
                              "--timings", str(tmp_path / "t.json"), "--memory-limit", "1GB"])
    assert result.exit_code == 0, result.output
    assert result.output == ""
    assert _folder_bytes(timed) == _folder_bytes(plain)  # no timings inside, every byte the same
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plain", "t.json", "timed"]  # no spill folder left
    timings = json.loads((tmp_path / "t.json").read_text(encoding="utf-8"))
    assert [s["stage"] for s in timings["stages"]] == STAGES
    for stage in timings["stages"]:
        assert stage["seconds"] >= 0
        assert stage["cpu_seconds"] >= 0
        assert 0 < stage["peak_rss_gb"] <= stage["process_peak_rss_gb"] + 0.05
    starts = [s["start_seconds"] for s in timings["stages"]]
    assert starts == sorted(starts)
    reading, parsing, merging, indexing, financing, applicants = timings["stages"][:6]
    # The patents start while the files are read, and are done before their applicants are linked.
    assert reading["start_seconds"] <= parsing["start_seconds"] <= reading["start_seconds"] + reading["seconds"] + 0.01
    assert parsing["start_seconds"] + parsing["seconds"] <= applicants["start_seconds"] + 0.01
    # The main line goes step after step.
    for before, after in [(reading, merging), (merging, indexing), (indexing, financing), (financing, applicants)]:
        assert after["start_seconds"] >= before["start_seconds"] + before["seconds"] - 0.01
    last = timings["stages"][-1]
    assert timings["total_seconds"] >= last["start_seconds"] + last["seconds"] - 0.01


def test_a_stage_peak_is_its_own_not_the_process_high_water_mark():
    timed = Timed()
    with timed.step("big"):
        block = bytearray(400_000_000)
        block[::4096] = b"1" * len(block[::4096])
        time.sleep(0.2)  # the filling holds the GIL; the sampler looks while the step holds the memory
        del block
    with timed.step("small"):
        pass
    timed.close()
    big, small = timed.stages
    assert big["peak_rss_gb"] - small["peak_rss_gb"] > 0.3
    assert small["process_peak_rss_gb"] >= big["peak_rss_gb"] - 0.01


@pytest.mark.parametrize(("text", "amount"), [
    ("8GB", 8 * 10**9), ("512MB", 512 * 10**6), ("4GiB", 4 * 2**30), (" 1.5 gb ", 1_500_000_000),
    ("2000000000", 2 * 10**9)])
def test_memory_limits_are_read_in_the_usual_units(text, amount):
    assert parse_memory_limit(text) == amount


def test_a_share_is_of_the_machine_memory(monkeypatch):
    monkeypatch.setattr(resources, "machine_memory", lambda: 20 * 10**9)
    assert parse_memory_limit("60%") == 12 * 10**9
    assert resources.default_memory_limit() is not None


@pytest.mark.parametrize("text", ["lots", "8 parsecs", "0%", "150%", "10MB", "-1GB", ""])
def test_a_bad_memory_limit_is_one_clear_message(text):
    with pytest.raises(InputError, match="--memory-limit"):
        parse_memory_limit(text)


def test_the_cli_refuses_a_bad_memory_limit_with_exit_2(tmp_path):
    result = CliRunner().invoke(app, ["ingest", str(EXAMPLES), "--out", str(tmp_path / "o"),
                                      "--memory-limit", "lots"])
    assert result.exit_code == 2
    assert "--memory-limit: 'lots' is not an amount" in result.output
    assert not (tmp_path / "o").exists()


def test_duckdb_gets_the_limit_and_a_spill_folder_beside_the_output(monkeypatch, tmp_path):
    seen = {}
    real_connect = duckdb.connect

    def connect(*args, **kwargs):
        con = real_connect(*args, **kwargs)
        if "temp_directory" not in kwargs.get("config", {}):
            return con  # not the stored models' (the writer reads a Parquet footer with DuckDB)
        seen["memory_limit"] = con.execute("select current_setting('memory_limit')").fetchall()[0][0]
        seen["temp_directory"] = Path(con.execute("select current_setting('temp_directory')").fetchall()[0][0])
        seen["spill_exists"] = seen["temp_directory"].is_dir()
        return con

    monkeypatch.setattr(model_runner.duckdb, "connect", connect)
    # As when the limit is below what polars would need for the stored models (models/stored.py).
    monkeypatch.setattr(model_runner, "stored_frames", lambda tables, memory_limit: None)
    monkeypatch.setattr(pipeline, "stored_frames", lambda tables, memory_limit, applicants: None)
    ingest(EXAMPLES, tmp_path / "out", IngestOptions(memory_limit=3 * 2**30))
    assert seen["memory_limit"] in ("3.0 GiB", "3.2 GB")
    assert seen["temp_directory"].parent == tmp_path and seen["temp_directory"].name.startswith(".out.spill-")
    assert seen["spill_exists"] and not seen["temp_directory"].exists()  # made for the run, removed after


def test_a_failed_run_leaves_no_folder_behind(tmp_path):
    result = CliRunner().invoke(app, ["ingest", str(tmp_path / "missing"), "--out", str(tmp_path / "new" / "out")])
    assert result.exit_code == 2
    assert list(tmp_path.iterdir()) == []  # neither the output's parent nor a spill folder


def _allocator_setting(code: str, env: dict | None = None) -> str:
    import os
    import subprocess
    import sys

    environment = {k: v for k, v in os.environ.items() if k != "_RJEM_MALLOC_CONF"} | (env or {})
    result = subprocess.run([sys.executable, "-c", code + "; import os; print(os.environ.get('_RJEM_MALLOC_CONF'))"],
                            capture_output=True, text=True, env=environment, check=True)
    return result.stdout.strip()


def test_polars_gives_freed_memory_back_soon_unless_told_otherwise():
    ours = "dirty_decay_ms:1000,muzzy_decay_ms:0"
    # `import fintech_firms` alone loads no polars (the API loads on first use): the setting is ours alone.
    assert _allocator_setting("import fintech_firms") == ours
    # polars, once loaded, puts its own defaults first; jemalloc reads left to right, so the last setting wins.
    assert _allocator_setting("import fintech_firms, polars").endswith("," + ours)
    other = _allocator_setting("import fintech_firms, polars", {"_RJEM_MALLOC_CONF": "narenas:1"})
    assert other.endswith("narenas:1," + ours)  # the user's other options stay
    # Too late once polars is loaded: then nothing is added, rather than a setting that does nothing.
    assert ours not in _allocator_setting("import polars, fintech_firms")
    # A parent that loaded polars passes polars' defaults down: they are not the user's choice.
    inherited = _allocator_setting("import fintech_firms, polars",
                                   {"_RJEM_MALLOC_CONF": "dirty_decay_ms:500,muzzy_decay_ms:1000"})
    assert inherited.endswith("," + ours)
    assert _allocator_setting("import fintech_firms", {"_RJEM_MALLOC_CONF": "dirty_decay_ms:2000"}).endswith(
        "dirty_decay_ms:2000")
