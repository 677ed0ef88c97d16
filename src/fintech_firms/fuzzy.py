"""Fuzzy name matching with a threshold and a margin over the runner-up, in batches on all cores."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from rapidfuzz import fuzz, process

# Rows of the score matrix computed at once: 512 queries x 200k choices x 4 bytes is 400 MB at most.
_CHUNK = 512
FUZZY_OFF = 101


@dataclass(frozen=True)
class FuzzyOptions:
    threshold: float = 90.0
    margin: float = 3.0
    workers: int = -1

    @property
    def enabled(self) -> bool:
        return self.threshold <= 100


@dataclass(frozen=True)
class FuzzyResult:
    key: int | None  # the matched choice's key, None when unmatched
    score: float | None  # best score found at or above the cut-off
    ambiguous: bool  # a runner-up of another key came within the margin


def match_best(
    queries: Sequence[str],
    choices: Sequence[str],
    keys: Sequence[int],
    options: FuzzyOptions,
    progress: Callable[[int], None] | None = None,
) -> list[FuzzyResult]:
    """For each query, the key whose best-scoring choice reaches the threshold and beats every other
    key's best by at least the margin (several choices may share a key: a firm's names)."""
    none = FuzzyResult(None, None, False)
    if not options.enabled or not queries or not choices:
        return [none] * len(queries)
    key_arr = np.asarray(keys)
    # Scores below threshold - margin can neither win nor spoil a winner, so rapidfuzz may skip them.
    cutoff = max(0.0, options.threshold - options.margin)
    out: list[FuzzyResult] = []
    for start in range(0, len(queries), _CHUNK):
        block = queries[start:start + _CHUNK]
        scores = process.cdist(
            block, choices, scorer=fuzz.ratio, score_cutoff=cutoff, dtype=np.float32,
            workers=options.workers,
        )
        for row in scores:
            hits = np.flatnonzero(row)
            out.append(_decide(row[hits], key_arr[hits], options) if hits.size else none)
        if progress:
            progress(len(block))
    return out


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
    if len(ranked) > 1 and best - round(ranked[1][1], 2) < options.margin:
        return FuzzyResult(None, best, True)
    return FuzzyResult(int(best_key), best, False)
