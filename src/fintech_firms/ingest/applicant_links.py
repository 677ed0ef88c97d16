"""The patents' applicant keys linked while the patents are still being parsed.

Parsing the patents is the longest step; at ten million rows the caller's thread has done everything
else (firms, the linker, financing and certificates) seconds before the parse ends, and would wait.
The parse hands over each chunk's new applicant keys as it finds them (ingest.patents.build_patents's
`on_keys`); the caller links them while it waits, so that only the last chunks' keys are left once the
parse is over. A key's link depends on the key and the linker alone (links.csv, USCC, exact name, fuzzy
match against the firms: Linker.link_frame decides each name on its own), so linking the keys a part
at a time gives the rows that linking them all at once would: `links` checks that the parts it reuses
are the first rows of the final keys, and links everything again otherwise (a parse started over
after its chunks stopped numbers its keys again).
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import polars as pl

from .linking import Linker, attach_links


class LinksAsParsed:
    """Applicant keys (key_id, applicant_key) handed over by the parse's thread (`add`), linked by the
    caller's (`link_found`, `links`)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._found: list[pl.DataFrame] = []  # appended to by the parse's thread
        self._linked: list[pl.DataFrame] = []  # the links of _found[:_taken], by the caller's thread
        self._taken = 0  # parts of _found linked
        self._linked_rows = 0  # keys linked
        self._closed = False
        self._queries = 0  # names sent to the fuzzy step in the current progress step

    def add(self, keys: pl.DataFrame) -> None:
        """Keys the parse has just found (its thread), in key_id order."""
        with self._lock:
            if not self._closed:
                self._found.append(keys)

    def close(self) -> None:
        """Keep no keys (and drop those kept): they are to be linked all at once, after the parse."""
        with self._lock:
            self._closed = True
            self._found.clear()
        self._linked.clear()
        self._taken = self._linked_rows = 0

    def link_found(self, linker: Linker, progress: Callable[..., None] | None = None) -> None:
        """Link the keys found so far and not linked yet, in one call, when there are at least as many
        as are linked already: each call costs a fixed part (link_frame's joins against every firm
        name, the fuzzy step's set-up: 0.15 CPU-s at scale 10), so calls for a chunk's few new keys
        each would cost more than they save; this way there are a few calls, most keys in the first."""
        with self._lock:
            waiting = self._found[self._taken:]
        count = sum(part.height for part in waiting)
        if not waiting or count < self._linked_rows:
            return
        keys = pl.concat(waiting)
        self._linked.append(self._link(keys, linker, progress))
        self._taken += len(waiting)
        self._linked_rows += count

    def links(self, keys: pl.DataFrame, linker: Linker, progress: Callable[..., None] | None = None) -> pl.DataFrame:
        """`keys` (every key_id from 1, in order) with their links: the parts linked already when they
        are `keys`' first rows, and the rest linked now."""
        done = pl.concat(self._linked) if self._linked else None
        self.close()
        self._queries = 0
        if done is None or done.height > keys.height or not done.select(keys.columns).equals(keys.head(done.height)):
            return self._link(keys, linker, progress)
        if done.height == keys.height:
            return done
        return pl.concat([done, self._link(keys.slice(done.height), linker, progress)])

    def _link(self, keys: pl.DataFrame, linker: Linker, progress: Callable[..., None] | None) -> pl.DataFrame:
        def on_fuzzy_total(n: int) -> None:
            self._queries += n
            if progress is not None:
                progress(0, total=self._queries)

        return attach_links(keys, linker, "applicant_key", None, progress=progress, on_fuzzy_total=on_fuzzy_total)
