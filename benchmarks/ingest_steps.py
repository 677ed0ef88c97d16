"""Time each step of `firms ingest` on the synthetic full-size folder, and its peak memory.

    python benchmarks/ingest_steps.py [--firms 80000] [--patents 1000000]
"""

from __future__ import annotations

import argparse
import resource
import time
from contextlib import contextmanager
from pathlib import Path
from tempfile import TemporaryDirectory

from synthetic import cached

from fintech_firms.ingest.pipeline import ingest
from fintech_firms.ingest.progress import Quiet


class Timed(Quiet):
    def __init__(self) -> None:
        self.steps: list[tuple[str, float]] = []

    @contextmanager
    def step(self, label: str, total: int | None = None):
        start = time.perf_counter()
        yield lambda n=1, total=None: None
        self.steps.append((label, time.perf_counter() - start))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--firms", type=int, default=80_000)
    parser.add_argument("--patents", type=int, default=1_000_000)
    args = parser.parse_args()
    raw = cached(args.firms, args.patents)
    timed = Timed()
    with TemporaryDirectory() as out:
        start = time.perf_counter()
        report = ingest(raw, Path(out) / "parquet", progress=timed)
        total = time.perf_counter() - start
    for label, seconds in timed.steps:
        print(f"{label:<28} {seconds:6.2f} s")
    print(f"{'total':<28} {total:6.2f} s")
    print(f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MiB")
    print(f"rows: {report['tables']}")


if __name__ == "__main__":
    main()
