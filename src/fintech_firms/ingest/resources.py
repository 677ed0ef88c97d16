"""Time and memory: each ingest stage's wall time, CPU time and peak memory (`firms ingest --timings FILE`), and
the memory limit that DuckDB works within (`firms ingest --memory-limit`).

Kept out of ingest_report.json on purpose: the report is byte-identical for the same input, and
timings never are. A sampling thread reads the process's resident set size every few milliseconds,
so a stage's peak is its own, not the highest mark of the stages before it (which is all that
getrusage's ru_maxrss, a high-water mark for the whole process, can say).
"""

from __future__ import annotations

import json
import os
import platform
import re
import resource
import threading
import time
from contextlib import contextmanager
from pathlib import Path

from ..errors import InputError
from .progress import Quiet

SAMPLE_SECONDS = 0.01
_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


def current_rss() -> int | None:
    """Resident set size of this process in bytes (Linux); None where /proc is not there."""
    try:
        with open("/proc/self/statm", "rb") as statm:
            return int(statm.read().split()[1]) * _PAGE
    except (OSError, ValueError, IndexError):
        return None


def process_peak_rss() -> int:
    """The process's high-water mark so far, in bytes (ru_maxrss is KiB on Linux, bytes on macOS)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if platform.system() == "Darwin" else peak * 1024


class Timed(Quiet):
    """A progress display that also records each step; it passes every step on to `inner`. Steps may
    run at the same time on different threads (the patents are parsed beside the firms): each keeps
    its own peak, and the stages are listed in the order they started, each with its start."""

    def __init__(self, inner: Quiet | None = None) -> None:
        self.inner = inner or Quiet()
        self.stages: list[dict] = []
        self._started = time.perf_counter()
        self._peaks: dict[int, int] = {}  # by the stage's place in `stages`, while it runs
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._sampler: threading.Thread | None = None

    @contextmanager
    def step(self, label: str, total: int | None = None):
        start, cpu = time.perf_counter(), time.process_time()
        record: dict = {"stage": label, "start_seconds": round(start - self._started, 3)}
        with self._lock:
            self.stages.append(record)
            place = len(self.stages) - 1
            self._peaks[place] = current_rss() or 0
            self._start_sampler()
        try:
            with self.inner.step(label, total) as advance:
                yield advance
        finally:
            seconds = time.perf_counter() - start
            # CPU time of all the process's threads (polars, DuckDB, rapidfuzz): above `seconds`
            # when the stage used several cores, and shared with any stage that ran beside it.
            cpu_seconds = time.process_time() - cpu
            with self._lock:
                peak = max(self._peaks.pop(place), current_rss() or 0)
            record.update({"seconds": round(seconds, 3), "cpu_seconds": round(cpu_seconds, 3),
                           "peak_rss_gb": round(peak / 1e9, 3) if peak else None,
                           "process_peak_rss_gb": round(process_peak_rss() / 1e9, 3)})

    def _start_sampler(self) -> None:
        if self._sampler is not None or current_rss() is None:
            return
        self._sampler = threading.Thread(target=self._sample, name="rss-sampler", daemon=True)
        self._sampler.start()

    def _sample(self) -> None:
        while not self._stop.wait(SAMPLE_SECONDS):
            rss = current_rss() or 0
            with self._lock:
                for place, peak in self._peaks.items():
                    self._peaks[place] = max(peak, rss)

    def close(self) -> None:
        self._stop.set()
        if self._sampler is not None:
            self._sampler.join()
        self.inner.close()

    def as_dict(self) -> dict:
        return {"total_seconds": round(time.perf_counter() - self._started, 3),
                "process_peak_rss_gb": round(process_peak_rss() / 1e9, 3),
                "stages": self.stages}

    def write(self, path: Path) -> None:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(self.as_dict(), indent=2) + "\n", encoding="utf-8")


# Share of the machine's memory DuckDB may use when --memory-limit is not given: the rest is for the
# polars frames that ingest holds at the same time.
DEFAULT_MEMORY_SHARE = 0.6
_UNITS = {"": 1, "B": 1, "KB": 10**3, "MB": 10**6, "GB": 10**9, "TB": 10**12,
          "KIB": 2**10, "MIB": 2**20, "GIB": 2**30, "TIB": 2**40}


def machine_memory() -> int | None:
    """Physical memory in bytes, where the system says."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return None


def default_memory_limit() -> int | None:
    memory = machine_memory()
    return int(memory * DEFAULT_MEMORY_SHARE) if memory else None


def parse_memory_limit(text: str) -> int:
    """`8GB`, `512MB`, `4GiB` or a share of the machine's memory such as `60%`, in bytes."""
    match = re.fullmatch(r"\s*([0-9]+(?:\.[0-9]+)?)\s*([A-Za-z%]*)\s*", text)
    unit = match.group(2).upper() if match else ""
    if match and unit == "%":
        memory = machine_memory()
        if memory is None:
            raise InputError("--memory-limit: this system does not say how much memory it has; give e.g. 8GB")
        share = float(match.group(1))
        if not 0 < share <= 100:
            raise InputError(f"--memory-limit: {text!r} is not a share between 0 and 100%")
        return int(memory * share / 100)
    if not match or unit not in _UNITS:
        raise InputError(f"--memory-limit: {text!r} is not an amount such as 8GB, 512MB or 60%")
    amount = int(float(match.group(1)) * _UNITS[unit])
    if amount < 100 * 10**6:
        raise InputError(f"--memory-limit: {text!r} is too little to work in (at least 100MB)")
    return amount
