"""Fuzzy name matching with a threshold and a margin over the runner-up, fast at 1M names x 800k firms.

Scores are rapidfuzz's `fuzz.ratio` (normalised Indel similarity, 0-100) on normalised names. Scoring
every query against every choice is too slow at full size, so candidates are found with a filter that
cannot lose a pair scoring at or above the cut-off:

- ratio = 200 * LCS / (len(q) + len(c)), so only choices of nearby length can reach the cut-off;
- the LCS is at most the characters the two names share (as multisets), so a choice of length l that
  reaches the cut-off shares at least m(l) of the query's n characters. Then any n - m(l) + k of the
  query's characters hold at least k shared ones (prefix filtering, here with k = 2 whenever every
  candidate length needs m(l) >= 2): a candidate contains at least two of the query's n - m(l) + 2
  rarest characters. Those characters are rare across firm names (腾, 云 rather than 有限公司), and
  requiring two of them rather than one keeps the candidates to a few per query even at 800k firms,
  where one shared rare character still matches thousands of names.
- A character the query holds twice counts twice only against choices that hold it twice: the index
  has a posting per (character, occurrence) token, so the count is the multiset intersection.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

import numpy as np
import polars as pl
from rapidfuzz import fuzz, process

# Candidate pairs scored per rapidfuzz call: bounds memory whatever the size of the residue.
_PAIRS_PER_BATCH = 2_000_000


@dataclass(frozen=True)
class FuzzyOptions:
    threshold: float = 90.0
    margin: float = 3.0
    workers: int = -1

    @property
    def enabled(self) -> bool:
        # Scores are at most 100, so a higher threshold (the CLI's --fuzzy-threshold 101) switches matching off.
        return self.threshold <= 100


@dataclass(frozen=True)
class FuzzyResult:
    key: int | None  # the matched choice's key, None when unmatched
    score: float | None  # best score found at or above the cut-off
    ambiguous: bool  # a runner-up of another key came within the margin


_NONE = FuzzyResult(None, None, False)


class ChoiceIndex:
    """Choices (names) sorted by length, with an inverted index from (character, occurrence) to choices."""

    def __init__(self, choices: Sequence[str], keys: Sequence[int]):
        # By length, then text (UTF-8 byte order is code point order), then key: sorted by polars,
        # as sorting 800k names with a Python key function takes seconds.
        order = (
            pl.DataFrame({"choice": pl.Series(list(choices), dtype=pl.String),
                          "key": pl.Series(list(keys), dtype=pl.Int64)})
            .with_row_index("i")
            .sort(pl.col("choice").str.len_chars(), "choice", "key")["i"].to_list()
        )
        self.choices = [choices[i] for i in order]
        self.keys = np.asarray([keys[i] for i in order], dtype=np.int64)
        self.lengths = np.asarray([len(c) for c in self.choices], dtype=np.int64)
        # starts[l] is the index of the first choice at least l long (choices are sorted by length).
        longest = int(self.lengths[-1]) if len(self.choices) else 0
        self._starts = np.searchsorted(self.lengths, np.arange(longest + 2)).tolist()
        self.choice_array = np.array(self.choices, dtype=object)
        self.postings = _postings(self.choices)

    def candidates(self, query: str, cutoff: float) -> np.ndarray:
        """Indexes of the choices that may score at least `cutoff` against `query`, ascending."""
        n = len(query)
        lo, hi = _length_window(n, cutoff)
        start, stop = self._first_at_least(math.ceil(lo)), self._first_at_least(math.floor(hi) + 1)
        if start >= stop:
            return np.empty(0, dtype=np.int64)
        if cutoff <= 0:
            return np.arange(start, stop, dtype=np.int64)
        # k shared tokens among the query's n - m(l) + k rarest, m(l) = ceil(cutoff * (n + l) / 200);
        # k = 2 needs m(l) >= 2 for the shortest candidate length (m grows with l).
        k = 2 if math.ceil(cutoff * (n + math.ceil(lo)) / 200) >= 2 else 1
        # That prefix shrinks as l grows, so the token of rank r need only be looked up among choices
        # short enough for the prefix to reach it: r < n - m(l) + k  <=>  l <= 200 (n - r + k - 1) / cutoff - n.
        rarest = sorted(_tokens(query), key=lambda t: (len(self.postings.get(t, ())), t))
        parts = []
        for rank, token in enumerate(rarest):
            longest = 200 * (n - rank + k - 1) / cutoff - n + 1e-9
            limit = self._first_at_least(math.floor(min(hi, longest)) + 1)
            if limit <= start:
                break
            posting = self.postings.get(token)
            if posting is not None:
                parts.append(posting[posting.searchsorted(start):posting.searchsorted(limit)])
        if len(parts) < k:
            return np.empty(0, dtype=np.int64)
        return parts[0] if len(parts) == 1 else _merged(parts, k)

    def _first_at_least(self, length: int) -> int:
        if length <= 0:
            return 0
        return self._starts[length] if length < len(self._starts) else len(self.choices)


def _merged(parts: list[np.ndarray], at_least: int) -> np.ndarray:
    """The values found in at least `at_least` (1 or 2) of the ascending, duplicate-free arrays.

    A stable sort of the concatenation merges the sorted runs (timsort) instead of sorting from
    scratch: at 800k firms the postings of even the rarest characters run to thousands, and this is
    ten times faster than np.unique on the concatenation.
    """
    values = np.sort(np.concatenate(parts), kind="stable")
    if at_least == 2:
        values = values[1:][values[1:] == values[:-1]]
    if values.size < 2:
        return values
    return values[np.concatenate(([True], values[1:] != values[:-1]))]


def _postings(choices: list[str]) -> dict[str, np.ndarray]:
    """For each (character, occurrence) token, the ascending indexes of the choices that hold it."""
    postings: dict[str, list[int]] = {}
    for i, choice in enumerate(choices):
        for token in _tokens(choice):
            postings.setdefault(token, []).append(i)
    return {token: np.asarray(ix, dtype=np.int64) for token, ix in postings.items()}


def _tokens(text: str) -> list[str]:
    """Each character with its occurrence number: 市 for the first 市, 市\x002 for the second, ..."""
    seen: dict[str, int] = {}
    out = []
    for ch in text:
        count = seen.get(ch, 0) + 1
        seen[ch] = count
        out.append(ch if count == 1 else f"{ch}\x00{count}")
    return out


def match_best(
    queries: Sequence[str],
    index: ChoiceIndex,
    options: FuzzyOptions,
    progress: Callable[[int], None] | None = None,
) -> list[FuzzyResult]:
    """For each query, the key whose best-scoring choice reaches the threshold and beats every other
    key's best by at least the margin (several choices may share a key: a firm's names)."""
    out: list[FuzzyResult] = [_NONE] * len(queries)
    if not options.enabled or not queries or not index.choices:
        return out
    # Scores below threshold - margin can neither win nor spoil a winner.
    cutoff = max(0.0, options.threshold - options.margin)
    for batch_q, batch_c in _candidate_batches(queries, index, cutoff, progress):
        _score(queries, index, batch_q, batch_c, cutoff, options, out)
    return out


def _candidate_batches(
    queries: Sequence[str], index: ChoiceIndex, cutoff: float, progress: Callable[[int], None] | None = None,
) -> Iterator[tuple[list[int], list[np.ndarray]]]:
    """The queries with candidates (their positions) and their candidates, in batches of about
    _PAIRS_PER_BATCH pairs, so that scoring runs on large arrays without holding every pair at once."""
    batch_q: list[int] = []
    batch_c: list[np.ndarray] = []
    pending = 0
    for qi, query in enumerate(queries):
        found = index.candidates(query, cutoff) if query else np.empty(0, dtype=np.int64)
        if found.size:
            batch_q.append(qi)
            batch_c.append(found)
            pending += found.size
        if pending >= _PAIRS_PER_BATCH:
            yield batch_q, batch_c
            batch_q, batch_c, pending = [], [], 0
        if progress and qi % 1000 == 999:
            progress(1000)
    if batch_q:
        yield batch_q, batch_c
    if progress:
        progress(len(queries) % 1000)


def _score(queries, index: ChoiceIndex, batch_q, batch_c, cutoff, options, out) -> None:
    sizes = np.fromiter((c.size for c in batch_c), dtype=np.int64, count=len(batch_c))
    flat = np.concatenate(batch_c)
    # Object arrays built by numpy indexing: millions of pairs at full size, too many for Python lists.
    left = np.repeat(np.array([queries[qi] for qi in batch_q], dtype=object), sizes)
    scores = process.cpdist(left, index.choice_array[flat], scorer=fuzz.ratio, score_cutoff=cutoff,
                            dtype=np.float32, workers=options.workers)
    # Only the queries with a pair at or above the cut-off need deciding.
    pair_query = np.repeat(np.arange(len(batch_q)), sizes)
    hit = np.flatnonzero(scores)
    bounds = np.searchsorted(pair_query[hit], np.arange(len(batch_q) + 1))
    for b in np.flatnonzero(np.diff(bounds)).tolist():
        pairs = hit[bounds[b]:bounds[b + 1]]
        out[batch_q[b]] = _decide(scores[pairs], index.keys[flat[pairs]], options)


def _length_window(length: int, cutoff: float) -> tuple[float, float]:
    """Choice lengths l for which 200*min(length, l)/(length + l) can reach `cutoff`."""
    if cutoff <= 0:
        return 0, float("inf")
    return cutoff * length / (200 - cutoff) - 1e-9, length * (200 - cutoff) / cutoff + 1e-9


def _decide(scores: np.ndarray, keys: np.ndarray, options: FuzzyOptions) -> FuzzyResult:
    best_per_key: dict[int, float] = {}
    for key, score in zip(keys.tolist(), scores.tolist()):
        if score > best_per_key.get(key, -1.0):
            best_per_key[key] = score
    ranked = sorted(best_per_key.items(), key=lambda kv: (-kv[1], kv[0]))
    best_key, best = ranked[0]
    best = round(best, 2)
    if best < options.threshold:
        return FuzzyResult(None, best, False)
    if len(ranked) > 1:
        second = round(ranked[1][1], 2)
        # A tie is ambiguous whatever the margin: the name matches several firms equally.
        if best - second < options.margin or best == second:
            return FuzzyResult(None, best, True)
    return FuzzyResult(int(best_key), best, False)


def ranked_keys(
    queries: Sequence[str], index: ChoiceIndex, cutoff: float, top: int | None = None, workers: int = -1,
) -> list[list[tuple[int, float]]]:
    """For each query, the keys whose best choice scores at least `cutoff`, best first (ties by key),
    with that score unrounded: what match_best decides from, kept so that the decision can be made
    again at any threshold and margin whose threshold - margin is at least `cutoff`."""
    out: list[list[tuple[int, float]]] = [[] for _ in queries]
    for batch_q, batch_c in _candidate_batches(queries, index, cutoff):
        _rank(queries, index, batch_q, batch_c, cutoff, top, workers, out)
    return out


def _rank(queries, index: ChoiceIndex, batch_q, batch_c, cutoff, top, workers, out) -> None:
    """_score's batching, keeping every key's best score instead of deciding."""
    sizes = np.fromiter((c.size for c in batch_c), dtype=np.int64, count=len(batch_c))
    flat = np.concatenate(batch_c)
    left = np.repeat(np.array([queries[qi] for qi in batch_q], dtype=object), sizes)
    scores = process.cpdist(left, index.choice_array[flat], scorer=fuzz.ratio, score_cutoff=cutoff,
                            dtype=np.float32, workers=workers)
    pair_query = np.repeat(np.arange(len(batch_q)), sizes)
    hit = np.flatnonzero(scores)
    bounds = np.searchsorted(pair_query[hit], np.arange(len(batch_q) + 1))
    for b in np.flatnonzero(np.diff(bounds)).tolist():
        pairs = hit[bounds[b]:bounds[b + 1]]
        best_per_key: dict[int, float] = {}
        for key, score in zip(index.keys[flat[pairs]].tolist(), scores[pairs].tolist()):
            if score > best_per_key.get(key, -1.0):
                best_per_key[key] = score
        ranked = sorted(best_per_key.items(), key=lambda kv: (-kv[1], kv[0]))
        out[batch_q[b]] = ranked[:top] if top else ranked


def decide_ranked(ranked: Sequence[tuple[int, float]], options: FuzzyOptions) -> FuzzyResult:
    """match_best's decision from a query's ranked keys (see ranked_keys)."""
    cutoff = max(0.0, options.threshold - options.margin)
    kept = [(k, s) for k, s in ranked if s >= cutoff]
    if not options.enabled or not kept:
        return _NONE
    return _decide(np.asarray([s for _, s in kept], dtype=np.float32),
                   np.asarray([k for k, _ in kept], dtype=np.int64), options)
