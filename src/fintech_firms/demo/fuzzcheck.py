"""Checks that the names the generator writes link as intended under the engine's fuzzy rule.

The engine (contract §2) links a name that matches no firm exactly to the firm whose best
`rapidfuzz.fuzz.ratio` over its names and former names (normalised) is >= 90 and beats every other
firm by >= 3 points. The generator wants safety margins: a typo must score >= 91 for its firm and
every other firm at most 4 points less; a name meant to stay unlinked must score < 87 everywhere.

This is an independent implementation on rapidfuzz alone (not the engine's fuzzy module). Scoring
every pair is too slow at scale 10, so each query is only scored against the names that could reach
the cut-off c: ratio = 200 * LCS / (n + l) >= c needs a length l within [c n / (200 - c),
n (200 - c) / c] and an LCS of at least m = ceil(c (n + l) / 200) characters, so at most n - m
positions of the query are outside the LCS and any n - m + 1 of them hold a character the candidate
contains. The positions of the query's rarest characters are taken (m grows with l, so the r-th
rarest only matters for names up to some length), and the candidates are the names that contain
one of those characters within those lengths: blocks of (queries, names) per (character, length
window), scored with `process.cdist(..., score_cutoff=c)`. A character in no name (a typo's new
character) needs no look-up at all. tests/test_demo_generator.py checks the result against scoring
every pair.
"""

from __future__ import annotations

import math
from collections import defaultdict
from functools import cache

import numpy as np
from rapidfuzz import fuzz, process

__all__ = ["CandidateIndex"]

_BLOCK_CELLS = 4_000_000  # scores per cdist call


class CandidateIndex:
    """The engine's fuzzy candidates: every normalised name and former name, keyed by firm."""

    def __init__(self, names: list[str], firms: np.ndarray):
        self.names = np.asarray(names, dtype=object)
        self.firms = np.asarray(firms, dtype=np.int64)
        self.lengths = np.fromiter((len(s) for s in names), dtype=np.int64, count=len(names))
        self.exact = set(names)
        # Postings: for each character, the sorted indices of the names that contain it (slices of
        # one array), from the names' code points as a matrix (0 pads the shorter names).
        fixed = np.array(names, dtype=str) if names else np.zeros(0, dtype="<U1")
        codes = fixed.view(np.uint32).reshape(len(names), -1).astype(np.int64) if names else np.zeros((0, 1), np.int64)
        rows, cols = np.nonzero(codes)
        keys = np.sort(codes[rows, cols] * (len(names) + 1) + rows)
        keys = keys[np.r_[True, keys[1:] != keys[:-1]]] if keys.size else keys
        chars, ids = keys // (len(names) + 1), keys % (len(names) + 1)
        del codes, rows, cols, keys
        starts = np.flatnonzero(np.r_[True, chars[1:] != chars[:-1]]) if chars.size else chars
        distinct = chars[starts]
        ends = np.r_[starts[1:], chars.size]
        self.postings = {chr(int(c)): ids[a:b] for c, a, b in zip(distinct, starts, ends)}

    @staticmethod
    @cache
    def _windows(n: int, cutoff: float) -> list[tuple[int, int]]:
        """[(lo, hi_r)] for the ranks r = 0, 1, ...: the names of length lo..hi_r must be looked up
        under the query's r-th rarest position (a name of length l needs the first n - m(l) + 1)."""
        lo = math.ceil(cutoff * n / (200 - cutoff) - 1e-9)
        hi = math.floor(n * (200 - cutoff) / cutoff + 1e-9)
        needed = {size: n - math.ceil(cutoff * (n + size) / 200 - 1e-9) + 1 for size in range(max(lo, 1), hi + 1)}
        out = []
        for rank in range(n):
            longest = max((size for size, k in needed.items() if k > rank), default=None)
            if longest is None:
                break
            out.append((max(lo, 1), longest))
        return out

    def best_other(self, queries: list[str], owners: np.ndarray, cutoff: float) -> np.ndarray:
        """Per query, the best score >= cutoff of a firm other than owners[q] (-1: any firm), else 0."""
        best = np.zeros(len(queries), dtype=np.float64)
        blocks: dict[tuple[str, int, int], list[int]] = defaultdict(list)
        for q, text in enumerate(queries):
            windows = self._windows(len(text), cutoff)
            rarity = sorted(range(len(text)), key=lambda i: (self.postings.get(text[i], _EMPTY).size, i))
            widest: dict[str, tuple[int, int]] = {}
            for rank, (lo, hi) in enumerate(windows):
                ch = text[rarity[rank]]
                if ch in self.postings and ch not in widest:
                    widest[ch] = (lo, hi)
            for ch, (lo, hi) in widest.items():
                blocks[(ch, lo, hi)].append(q)
        owners = np.asarray(owners, dtype=np.int64)
        for ch, lo, hi in sorted(blocks):
            qs = np.asarray(blocks[(ch, lo, hi)], dtype=np.int64)
            cand = self.postings[ch]
            cand = cand[(self.lengths[cand] >= lo) & (self.lengths[cand] <= hi)]
            if cand.size == 0:
                continue
            choices = self.names[cand].tolist()
            firms = self.firms[cand]
            step = max(1, _BLOCK_CELLS // cand.size)
            for start in range(0, qs.size, step):
                part = qs[start:start + step]
                scores = process.cdist([queries[q] for q in part], choices, scorer=fuzz.ratio,
                                       score_cutoff=cutoff, workers=-1 if part.size >= 32 else 1,
                                       dtype=np.float32)
                scores[firms[None, :] == owners[part][:, None]] = 0
                np.maximum.at(best, part, scores.max(axis=1).astype(np.float64))
        return best


_EMPTY = np.empty(0, dtype=np.int64)


def ratio(a: str, b: str) -> float:
    return fuzz.ratio(a, b)
