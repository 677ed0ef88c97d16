"""Wall time and peak memory of one run, and the median and spread of repeated runs.

A command runs as a child process and is reaped with `os.wait4`, whose resource usage is that child's
own (with its own waited-for children), so its peak RSS is not mixed with the harness or other runs.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Sample:
    seconds: float
    peak_rss_gb: float | None  # None for a call timed inside this process
    # user + system CPU time of the child: on a shared machine it moves far less than the wall time
    # (a busy machine makes a run wait, not work more); None for a call timed inside this process.
    cpu_seconds: float | None = None


class CommandFailed(RuntimeError):
    pass


def run_command(argv: Sequence[str], *, cwd: str | None = None) -> Sample:
    """Run `argv` to completion; its output goes to a scratch file, read only to explain a failure."""
    with tempfile.TemporaryFile() as output:
        start = time.perf_counter()
        process = subprocess.Popen(list(argv), cwd=cwd, stdout=output, stderr=subprocess.STDOUT)
        # Popen.wait() would reap the child itself and lose its resource usage: wait4 reaps it here.
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - start
        process.returncode = os.waitstatus_to_exitcode(status)
        if process.returncode != 0:
            output.seek(0)
            tail = output.read().decode("utf-8", "replace").strip().splitlines()[-5:]
            raise CommandFailed(f"{' '.join(argv)} exited with {process.returncode}: " + " | ".join(tail))
    return Sample(seconds, usage.ru_maxrss * 1024 / 1e9, usage.ru_utime + usage.ru_stime)  # Linux: KiB


def time_call(call: Callable[[], object]) -> Sample:
    start = time.perf_counter()
    call()
    return Sample(time.perf_counter() - start, None)


@dataclass(frozen=True)
class Stats:
    """Median and range of the repetitions (the warm-up excluded)."""

    seconds: tuple[float, ...]
    peak_rss_gb: tuple[float, ...]
    cpu_seconds: tuple[float, ...] = ()

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)

    @property
    def low(self) -> float:
        return min(self.seconds)

    @property
    def high(self) -> float:
        return max(self.seconds)

    @property
    def spread(self) -> float:
        """(max - min) / median: how noisy the repetitions were."""
        return (self.high - self.low) / self.median if self.median else 0.0

    @property
    def cpu(self) -> float | None:
        """Median CPU time (user + system) of the repetitions."""
        return statistics.median(self.cpu_seconds) if self.cpu_seconds else None

    @property
    def peak_rss(self) -> float | None:
        return max(self.peak_rss_gb) if self.peak_rss_gb else None

    def as_dict(self) -> dict:
        return {"median_s": self.median, "min_s": self.low, "max_s": self.high, "spread": self.spread,
                "peak_rss_gb": self.peak_rss, "runs_s": list(self.seconds), "cpu_s": self.cpu}


def summarise(samples: Sequence[Sample]) -> Stats:
    if not samples:
        raise ValueError("no samples to summarise")
    return Stats(tuple(s.seconds for s in samples),
                 tuple(s.peak_rss_gb for s in samples if s.peak_rss_gb is not None),
                 tuple(s.cpu_seconds for s in samples if s.cpu_seconds is not None))
