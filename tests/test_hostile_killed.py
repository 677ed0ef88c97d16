"""kill -9 of a real `firms ingest` at random moments (issue 16): after each kill the previous output is
intact or the new one complete (never a mix), whatever the run left behind the next run cleans up, and
that run's output is byte-identical to a clean run's. Bounded: a few runs of a small raw folder."""

from __future__ import annotations

import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

from fintech_firms.ingest.pipeline import ingest

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "raw"
KILLS = 6


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


# `firms ingest` on a slow disk: each table takes 20 ms more to write, so that a kill aimed at the
# writing lands in it (a small folder's tables are otherwise written in a few milliseconds).
SLOW_DISK = """
import sys, time
import polars as pl
from fintech_firms.__main__ import main
write = pl.DataFrame.write_parquet
def slow(self, *args, **kwargs):
    time.sleep(0.02)
    return write(self, *args, **kwargs)
pl.DataFrame.write_parquet = slow
sys.argv[0] = "firms"
main()
"""


def command(raw: Path, out: Path, slow: bool = False) -> list[str]:
    start = ["-c", SLOW_DISK] if slow else ["-m", "fintech_firms"]
    return [sys.executable, *start, "ingest", str(raw), "--out", str(out), "-q"]


def test_kill_9_at_random_moments_never_leaves_a_mixed_output(tmp_path: Path) -> None:
    # Two inputs whose outputs differ, so that "the previous output" and "the new one" can be told apart.
    raws = {"a": tmp_path / "raw_a", "b": tmp_path / "raw_b"}
    shutil.copytree(EXAMPLES, raws["a"])
    shutil.copytree(EXAMPLES, raws["b"])
    firms = (raws["b"] / "firms.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    (raws["b"] / "firms.csv").write_text("".join(firms[:-1]), encoding="utf-8")
    references = {}
    for key, raw in raws.items():
        ingest(raw, tmp_path / f"ref_{key}")
        references[key] = snapshot(tmp_path / f"ref_{key}")
    assert references["a"] != references["b"]

    work = tmp_path / "work"
    work.mkdir()
    out = work / "out"
    started = time.monotonic()
    subprocess.run(command(raws["a"], out), check=True, timeout=300)
    duration = time.monotonic() - started
    assert snapshot(out) == references["a"]

    rng = random.Random(16)
    outcomes = []
    for run in range(KILLS):
        key = "b" if run % 2 == 0 else "a"
        stale = {p.name for p in work.iterdir()}  # a staging folder a killed run left is not this run's
        aimed = run % 3 != 2
        process = subprocess.Popen(command(raws[key], out, slow=aimed), stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL)
        if not aimed:
            time.sleep(rng.uniform(0.2, 1.5) * duration)  # anywhere in the run, or after it
        else:
            # Most of a small run is start-up: aim at the writing, a few milliseconds after it begins.
            deadline = time.monotonic() + 60
            while process.poll() is None and not any(
                    p.name.startswith(".out.new-") and p.name not in stale for p in work.iterdir()):
                assert time.monotonic() < deadline
                time.sleep(0.001)
            time.sleep(rng.uniform(0, 0.2))
        process.send_signal(signal.SIGKILL)
        process.wait()
        left = {p.name for p in work.iterdir()}
        # What a kill may leave: the output, the previous one, the lock file, a staging or a spill folder.
        assert left <= {"out", ".out.old", ".out.lock"} | {n for n in left if n.startswith((".out.new-", ".out.spill-"))}, left
        complete = out if out.exists() else work / ".out.old"  # killed between the two renames
        assert snapshot(complete) in (references["a"], references["b"]), (run, sorted(left))
        outcomes.append(snapshot(complete) == references[key])
    assert False in outcomes  # some kills stopped a run before its output was in place (or checks nothing)

    # The next run recovers what the kills left and writes what a clean run writes.
    subprocess.run(command(raws["b"], out), check=True, timeout=300)
    assert snapshot(out) == references["b"]
    assert sorted(p.name for p in work.iterdir()) == ["out"]
