"""Progress display for long steps: a rich progress display on a terminal, nothing otherwise."""

from __future__ import annotations

import sys
from contextlib import contextmanager


class Quiet:
    """Reports nothing: for tests, pipes and the Python API."""

    @contextmanager
    def step(self, label: str, total: int | None = None):
        """A long step; it yields advance(n=1, total=None) to report work done (and the amount)."""
        yield lambda n=1, total=None: None

    def close(self) -> None:
        pass


class Bar(Quiet):
    """One line per step: a spinner while it runs, a count where the step knows its amount of work,
    and the time it took."""

    def __init__(self) -> None:
        from rich.progress import (
            BarColumn,
            Progress,
            SpinnerColumn,
            TextColumn,
            TimeElapsedColumn,
        )

        self._progress = Progress(
            SpinnerColumn(finished_text="✓"), TextColumn("{task.description:<28}"), BarColumn(),
            TextColumn("{task.fields[count]}"), TimeElapsedColumn(),
        )
        self._started = False

    @contextmanager
    def step(self, label: str, total: int | None = None):
        if not self._started:
            self._progress.start()
            self._started = True
        task = self._progress.add_task(label, total=total, count="")

        def advance(n: int = 1, total: int | None = None) -> None:
            if total is not None:
                self._progress.update(task, total=total)
            self._progress.advance(task, n)
            t = self._progress.tasks[task]
            if t.total:
                self._progress.update(task, count=f"{t.completed:,.0f}/{t.total:,.0f}")

        try:
            yield advance
        finally:
            t = self._progress.tasks[task]
            self._progress.update(task, total=t.total or 1, completed=t.total or 1)
            self._progress.stop_task(task)

    def close(self) -> None:
        if self._started:
            self._progress.stop()
            self._started = False


def for_terminal() -> Quiet:
    return Bar() if sys.stdout.isatty() else Quiet()
