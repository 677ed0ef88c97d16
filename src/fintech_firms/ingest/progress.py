"""Progress display for long steps: a rich progress bar on a terminal, nothing otherwise."""

from __future__ import annotations

import sys
from collections.abc import Callable
from contextlib import contextmanager


class Quiet:
    """Reports nothing: for tests, pipes and the Python API."""

    @contextmanager
    def step(self, label: str, total: int | None = None):
        yield lambda n=1: None


class Bar(Quiet):
    def __init__(self) -> None:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        self._progress = Progress(
            TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
            transient=True,
        )

    @contextmanager
    def step(self, label: str, total: int | None = None):
        with self._progress:
            task = self._progress.add_task(label, total=total)
            advance: Callable[[int], None] = lambda n=1: self._progress.advance(task, n)
            yield advance


def for_terminal() -> Quiet:
    return Bar() if sys.stdout.isatty() else Quiet()
