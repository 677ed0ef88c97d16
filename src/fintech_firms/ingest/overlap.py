"""Work on a thread beside the ingest's own: the patents are parsed while the other files are read,
the firms merged and (memory allowing) the financing and certificates linked.

Parsing the patents is the longest step and leaves about a third of the second core idle (its
Python between polars calls, the reading of each chunk); the other steps need nothing from it, so
they fill that core. polars and DuckDB release the GIL while they work, so the two threads overlap in
fact. What the background work makes is handed over only when the caller asks for it, so the order of
the tables, the ledger's files and the written bytes stay as in a run step after step.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator
from types import TracebackType
from typing import Generic, TypeVar

T = TypeVar("T")
V = TypeVar("V")


class Cancelled(Exception):
    """Raised inside background work, at its next check, once the caller has given up on it."""


class Background(Generic[T]):
    """One piece of work run on its own thread, started once: `result` waits for it and returns what it
    made, or raises what it raised. Used as a context manager: if the caller's block fails (bad input in
    another file, Ctrl-C), the work is told to stop at its next `check` and is waited for, so that no
    thread is left reading files once the error is reported (but for Ctrl-C: see __exit__)."""

    def __init__(self) -> None:
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._made: list[T] = []
        self._error: BaseException | None = None

    def start(self, work: Callable[[Callable[[], None]], T], name: str) -> None:
        """Run work(check) on a thread; `check` raises Cancelled once the caller has given up."""
        if self._thread is not None:
            raise RuntimeError("internal error: background work started twice")
        self._thread = threading.Thread(target=self._run, args=(work,), name=name, daemon=True)
        self._thread.start()

    def _run(self, work: Callable[[Callable[[], None]], T]) -> None:
        try:
            self._made.append(work(self.check))
        except BaseException as exc:  # handed to the caller by `result`, whatever it is
            self._error = exc

    def check(self) -> None:
        if self._stop.is_set():
            raise Cancelled

    @property
    def started(self) -> bool:
        return self._thread is not None

    def running(self) -> bool:
        """Whether the work has started and not yet ended."""
        return self._thread is not None and self._thread.is_alive()

    def join(self, timeout: float) -> None:
        """Until the work has ended, at most `timeout` seconds."""
        if self._thread is not None:
            self._thread.join(timeout)

    def result(self) -> T:
        if self._thread is None:
            raise RuntimeError("internal error: background work asked for before it was started")
        self._thread.join()
        error, self._error = self._error, None
        if error is not None:
            raise error
        return self._made.pop()

    def __enter__(self) -> Background[T]:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 traceback: TracebackType | None) -> None:
        if kind is not None and self._thread is not None:
            self._stop.set()
            if not issubclass(kind, Exception):
                # Ctrl-C: the process is ending, and the work may be where it does not check for a
                # while (sorting the applications); it only reads, and dies with the process.
                return
            self._thread.join()  # its own error, if any, is dropped: the caller's is the one reported
            self._made.clear()
            self._error = None


def checked(items: Iterable[V], check: Callable[[], None]) -> Iterator[V]:
    """`items`, calling `check` before each is drawn (and so before it is read)."""
    iterator = iter(items)
    try:
        while True:
            check()
            try:
                item = next(iterator)
            except StopIteration:
                return
            yield item
    finally:
        close = getattr(iterator, "close", None)
        if close is not None:
            close()  # a reader's file and read-ahead thread go now, not when it is collected
