"""Time each step of `firms ingest`, with the process's peak memory during each step.

    python benchmarks/ingest_steps.py                  # the synthetic full-size folder (synthetic.py)
    python benchmarks/ingest_steps.py --raw DIR        # any raw folder, e.g. a demo folder of run.py
    python benchmarks/ingest_steps.py [--firms 80000] [--patents 1000000]

The memory is sampled every 50 ms from /proc/self/status (VmRSS), so a spike shorter than that can be
missed; the overall peak (ru_maxrss) is exact.
"""

from __future__ import annotations

import argparse
import resource
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from tempfile import TemporaryDirectory

from synthetic import cached

from fintech_firms.ingest.pipeline import ingest
from fintech_firms.ingest.progress import Quiet


def rss_gb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024 / 1e9
    return 0.0


class Timed(Quiet):
    """A progress display that records each step's time and the highest RSS seen during it."""

    def __init__(self) -> None:
        self.steps: list[tuple[str, float, float]] = []
        self._peak = 0.0
        threading.Thread(target=self._sample, daemon=True).start()

    def _sample(self) -> None:
        while True:
            self._peak = max(self._peak, rss_gb())
            time.sleep(0.05)

    @contextmanager
    def step(self, label: str, total: int | None = None):
        self._peak = rss_gb()
        start = time.perf_counter()
        yield lambda n=1, total=None: None
        self.steps.append((label, time.perf_counter() - start, max(self._peak, rss_gb())))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--raw", type=Path, help="a raw folder (default: the synthetic folder)")
    parser.add_argument("--firms", type=int, default=80_000)
    parser.add_argument("--patents", type=int, default=1_000_000)
    args = parser.parse_args()
    raw = args.raw or cached(args.firms, args.patents)
    timed = Timed()
    with TemporaryDirectory() as out:
        start = time.perf_counter()
        report = ingest(raw, Path(out) / "parquet", progress=timed)
        total = time.perf_counter() - start
    for label, seconds, peak in timed.steps:
        print(f"{label:<28} {seconds:7.2f} s   peak RSS {peak:5.2f} GB")
    peak_gb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / 1e9
    print(f"{'total':<28} {total:7.2f} s   peak RSS {peak_gb:5.2f} GB")
    print(f"rows: {report['tables']}")


if __name__ == "__main__":
    main()
