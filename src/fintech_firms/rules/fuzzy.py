"""Fuzzy name matching with a threshold and a margin over the runner-up, fast at 1M names x 800k firms.

Scores are rapidfuzz's `fuzz.ratio` (normalised Indel similarity, 0-100) on normalised names. Scoring
every query against every choice is too slow at full size, so candidates are found with a filter that
cannot lose a pair scoring at or above the cut-off c (c > 0; c <= 0 keeps every choice):

1. ratio = 200 * LCS / (n + l) for a query of n characters and a choice of l. LCS <= min(n, l), so only
   lengths with 200 * min(n, l) / (n + l) >= c can reach c (the length window).
2. A choice of length l reaches c only if LCS >= m(l) = ceil(c (n + l) / 200) (computed 1e-9 lower, so
   that rounding in the product can only make it smaller; and at least 1, as a pair with no common
   character scores 0). m(l) never decreases as l grows.
3. The LCS is at most the number of characters the two names share as multisets. Tokens are
   (character, occurrence) pairs: 市 for a name's first 市, 市\x002 for its second. The multiset
   intersection is then the number of tokens both names hold, so a choice reaching c holds at
   least m(l) of the query's n tokens.
4. Prefix filtering: if a choice holds at least m of the query's n tokens, then any n - m + k of
   those tokens include at least k that it holds (at most n - (n - m + k) = m - k lie outside them),
   for every k <= m. With k = 2 when m(l) >= 2 at every length of the window (else k = 1), a choice
   of length l is a candidate when it holds k of the query's p(l) = n - m(l) + k rarest tokens
   (rarest: the fewest choices hold them; any fixed order would do). Those tokens are rare across
   firm names (腾, 云 rather than 有限公司), and two of them keep the candidates to a few hundred
   per query even at 800k firms, where one still matches thousands of names.
5. p(l) never grows with l (m(l) never decreases), so the token of rank r (0 = rarest) is needed only
   for the lengths l with p(l) > r, which are the lengths up to some L_r: it is looked up in a slice
   of its posting, as the choices are sorted by length. Reading more choices than needed (the slice
   is a superset) adds candidates, never loses one.

6. Triples, for large indexes (TRIPLES_FROM choices and more), when m(l) >= 3 at every length of the
   window: order all tokens globally (rarest first; tokens no choice holds before all others). If a
   choice shares at least m tokens with the query, let o1 < o2 < o3 be the first three shared ones
   in that order. At most n - m of the query's tokens are not shared, so o3 is among the query's
   first n - m + 3 tokens; likewise among the choice's first l - m + 3. So the choice is found by
   looking up the triples of the query's first n - m(first) + 3 tokens (m at the window's shortest
   length is the smallest, so this prefix is the longest needed) in an index of each choice's
   triples among its first P(l) = l - m_min(l) + 3 tokens, m_min(l) being m for the shortest query
   whose window holds l (the smallest m that length can meet; a longer prefix only adds triples).
   Both sides' prefixes are short (3-5 tokens for a firm name), so a query reads a handful of
   triples instead of postings that run to thousands at 800k firms. Below TRIPLES_FROM choices,
   building the triples costs more than it saves (docs/linking.md#speed).

Every candidate is then scored exactly (rapidfuzz `cpdist`, with the cut-off), and the decision taken
from the scores, so the filter changes the time, never the result: tests/test_fuzzy.py checks the
candidates against scoring every choice (hypothesis), and match_best against brute force.

Cost: with steps 4-5 each query reads the postings of its few rarest characters within the length
window, and scores the choices holding two of them. Both grow with the number of firms (a rare
character of a brand name is held by a fixed share of all names), so the matching costs about
queries x firms. Step 6 reads no postings; its candidates, choices sharing three of their rarest
tokens with the query, still grow with the firms, more slowly. docs/linking.md#speed gives the figures.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from functools import cache
from itertools import accumulate, combinations

import numpy as np
import polars as pl
from rapidfuzz import fuzz, process

# From this many choices on, candidates are looked up by triples of tokens (step 6 above): measured
# on the demo at 76k firm names (0.2 s to build, no faster to match) and 760k (3 s to build, 8 s less
# to match); docs/linking.md#speed.
TRIPLES_FROM = 300_000
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

    def __init__(self, choices: Sequence[str] | pl.Series, keys: Sequence[int] | pl.Series,
                 triples: bool | None = None):
        """`triples`: look candidates up by step 6 of the module docstring (None: from TRIPLES_FROM
        choices on)."""
        # By length, then text (UTF-8 byte order is code point order), then key: sorted by polars,
        # as sorting 800k names with a Python key function takes seconds.
        frame = (
            pl.DataFrame({"choice": pl.Series(choices, dtype=pl.String), "key": pl.Series(keys, dtype=pl.Int64)})
            .with_columns(pl.col("choice").str.len_chars().cast(pl.Int64).alias("length"))
            .sort("length", "choice", "key")
        )
        self.choices: list[str] = frame["choice"].to_list()
        self.keys = frame["key"].to_numpy()
        self.lengths = frame["length"].to_numpy()
        # starts[l] is the index of the first choice at least l long (choices are sorted by length).
        self.longest = int(self.lengths[-1]) if len(self.choices) else 0
        self._starts = np.searchsorted(self.lengths, np.arange(self.longest + 2)).tolist()
        self.choice_array = np.array(self.choices, dtype=object)
        self.postings = _Postings(_characters(frame["choice"]))
        # A triple is kept as one integer, three token ranks in base `vocabulary`.
        self.use_triples = ((len(self.choices) >= TRIPLES_FROM if triples is None else triples)
                            and len(self.postings.sizes) < 2**20)
        self._triple_indexes: dict[float, _Triples] = {}

    def candidates(self, query: str, cutoff: float) -> np.ndarray:
        """Indexes of the choices that may score at least `cutoff` against `query`, ascending."""
        n = len(query)
        lo, hi = _length_window(n, cutoff)
        first, last = max(math.ceil(lo), 0), min(math.floor(hi), self.longest)
        start, stop = self._first_at_least(first), self._first_at_least(last + 1)
        if start >= stop:
            return np.empty(0, dtype=np.int64)
        if cutoff <= 0:
            return np.arange(start, stop, dtype=np.int64)
        lengths = range(first, last + 1)
        # m(l): the LCS a choice of length l needs to reach the cut-off.
        need = [_lcs_needed(n, length, cutoff) for length in lengths]
        tokens = _tokens(query)
        if self.use_triples and need[0] >= 3:
            # Three tokens shared at every length of the window (step 6).
            found = self._triples(cutoff).candidates(tokens, n - need[0] + 3, self.postings)
            return found[(found >= start) & (found < stop)]
        # k of the query's n - m(l) + k rarest characters; k = 2 needs m(l) >= 2 at every length.
        k = 2 if min(need) >= 2 else 1
        return self._filtered(tokens, [n - m + k for m in need], k, lengths, start)

    def _triples(self, cutoff: float) -> _Triples:
        # Built on first use for a cut-off (ingest uses one; the linking sweep a few).
        if cutoff not in self._triple_indexes:
            self._triple_indexes[cutoff] = _Triples(self.postings, self.lengths, cutoff)
        return self._triple_indexes[cutoff]

    def _filtered(self, tokens: list[str], prefix: list[int], k: int, lengths: range, start: int) -> np.ndarray:
        """The choices from `start` on that hold at least k of the query's `prefix[j]` rarest tokens,
        for a choice of length lengths[j]."""
        # The prefix made non-increasing in the length (a longer prefix loses nothing): then the token
        # of rank r need only be looked up among the choices no longer than the last length whose
        # prefix reaches rank r, a slice of its posting (choices are sorted by length).
        reach = list(accumulate(reversed(prefix), max))[::-1]
        postings = self.postings
        ids = [postings.ids.get(token, -1) for token in tokens]
        ranked = sorted(zip((postings.size(i) for i in ids), tokens, ids))
        parts = []
        j = len(lengths) - 1
        for rank, (_, _, token_id) in enumerate(ranked):
            while j >= 0 and reach[j] <= rank:
                j -= 1
            if j < 0:
                break
            if token_id >= 0:
                posting = postings.get(token_id)
                limit = self._first_at_least(lengths[j] + 1)
                parts.append(posting[posting.searchsorted(start):posting.searchsorted(limit)])
        if len(parts) < k:
            return np.empty(0, dtype=np.int64)
        return parts[0] if len(parts) == 1 else _merged(parts, k)

    def _first_at_least(self, length: int) -> int:
        if length <= 0:
            return 0
        return self._starts[length] if length < len(self._starts) else len(self.choices)


class _Postings:
    """An inverted index from tokens to the ascending indexes of the choices holding them, in one
    array: the choices of token id t are flat[offsets[t]:offsets[t + 1]]."""

    def __init__(self, rows: pl.DataFrame):
        # rows: (i, token) for each token of each choice, in choice order. Built with integer codes
        # (strings sorted once, among the distinct tokens only): sorting the ~12 million rows of 800k
        # names by their text takes seconds.
        vocab = rows["token"].unique().sort()
        codes = rows["token"].cast(pl.Enum(vocab)).to_physical().cast(pl.Int64)
        # One sort of the (token, choice) pairs as single integers: faster than an argsort, and the
        # second and later occurrences of a token in a choice end up next to the first.
        span = len(rows) and int(rows["i"].to_numpy().max()) + 1
        pairs = (codes * span + rows["i"]).sort().to_numpy()
        later = np.flatnonzero(pairs[1:] == pairs[:-1]) + 1
        names = vocab.to_list()
        # Those later occurrences (a few) are tokens of their own: 市\x002 for the second 市.
        occurrence: dict[int, int] = {}
        extra: list[tuple[str, int]] = []
        for at, pair in zip(later.tolist(), pairs[later].tolist()):
            occurrence[at] = occurrence.get(at - 1, 1) + 1
            extra.append((f"{names[pair // span]}\x00{occurrence[at]}", pair % span))
        extra.sort()
        if later.size:
            pairs = np.delete(pairs, later)
        code, choice = np.divmod(pairs, span)
        extra_vocab = sorted({token for token, _ in extra})
        self.ids: dict[str, int] = {token: j for j, token in enumerate(names + extra_vocab)}
        self.flat = np.concatenate((choice, np.asarray([c for _, c in extra], dtype=np.int64)))
        self.sizes = np.bincount(
            np.concatenate((code, np.asarray([self.ids[t] for t, _ in extra], dtype=np.int64))),
            minlength=len(self.ids))
        self.offsets = np.concatenate(([0], np.cumsum(self.sizes))).tolist()

    def size(self, token_id: int) -> int:
        return int(self.sizes[token_id]) if token_id >= 0 else 0

    def get(self, token_id: int) -> np.ndarray:
        return self.flat[self.offsets[token_id]:self.offsets[token_id + 1]]


class _Triples:
    """For one cut-off c: for each choice, the triples of tokens among its P(l) first in the
    global order (step 6 of the module docstring), as sorted integer keys with the choices holding each."""

    def __init__(self, postings: _Postings, lengths: np.ndarray, cutoff: float):
        self.vocab = vocab = len(postings.sizes)
        # The global order: rarest first (fewest choices hold the token), ties by token id.
        order = np.lexsort((np.arange(vocab), postings.sizes))
        self.rank = np.empty(vocab, dtype=np.int64)
        self.rank[order] = np.arange(vocab)
        # Each choice's tokens in the global order: a choice of length l holds exactly l tokens.
        token_of = np.repeat(np.arange(vocab), postings.sizes)
        rank = np.sort(postings.flat * vocab + self.rank[token_of]) % vocab
        # P(l) per length, then the first P(l) rows of each choice: row r of the kept ones is the
        # choice's token at position r - kept_start (of its choice), taken from all_start + that position.
        prefix = _prefix_lengths(int(lengths.max(initial=0)), cutoff)[lengths]
        all_start, kept_start = np.cumsum(lengths) - lengths, np.cumsum(prefix) - prefix
        position = np.arange(prefix.sum()) - np.repeat(kept_start, prefix)
        rank = rank[np.repeat(all_start, prefix) + position]
        choice = np.repeat(np.arange(lengths.size), prefix)
        room = np.repeat(prefix, prefix) - position
        # Row j + o is the same choice's token o places on whenever o < room[j].
        keys, holders = [], []
        for o2 in range(2, int(room.max(initial=0))):
            j = np.flatnonzero(room > o2)
            last = rank[j + o2]
            for o1 in range(1, o2):
                keys.append((rank[j] * vocab + rank[j + o1]) * vocab + last)
                holders.append(choice[j])
        key = np.concatenate(keys) if keys else np.empty(0, dtype=np.int64)
        holder = np.concatenate(holders) if holders else np.empty(0, dtype=np.int64)
        span = max(1, lengths.size)
        if vocab ** 3 * span < 2 ** 62:
            # One sort of single integers: four times faster than a two-key sort.
            packed = np.sort(key * span + holder)
            self.keys, self.holders = packed // span, packed % span
        else:
            by_key = np.lexsort((holder, key))
            self.keys, self.holders = key[by_key], holder[by_key]

    def candidates(self, tokens: list[str], prefix: int, postings: _Postings) -> np.ndarray:
        """The choices holding a triple of the query's `prefix` first tokens in the global order,
        ascending; tokens no choice holds come first (they take places in the prefix, match nothing)."""
        ids = [postings.ids.get(token, -1) for token in tokens]
        unknown = sum(1 for i in ids if i < 0)
        known = np.sort(self.rank[[i for i in ids if i >= 0]])[:max(0, prefix - unknown)]
        if known.size < 3:
            return np.empty(0, dtype=np.int64)
        a, b, c = _triple_positions(int(known.size))
        wanted = (known[a] * self.vocab + known[b]) * self.vocab + known[c]
        lo = np.searchsorted(self.keys, wanted, side="left")
        hi = np.searchsorted(self.keys, wanted, side="right")
        parts = [self.holders[x:y] for x, y in zip(lo.tolist(), hi.tolist()) if y > x]
        if not parts:
            return np.empty(0, dtype=np.int64)
        return np.unique(np.concatenate(parts))


def _prefix_lengths(longest: int, cutoff: float) -> np.ndarray:
    """P(l) for l = 0..longest: l - m_min(l) + 3, at most l, where m_min(l) is the LCS a choice of
    length l needs against the shortest query whose length window holds l (step 6)."""
    out = np.zeros(longest + 1, dtype=np.int64)
    for length in range(1, longest + 1):
        # The window is symmetric: the shortest query whose window holds l is the start of l's window.
        shortest = max(1, math.ceil(_length_window(length, cutoff)[0]))
        out[length] = min(length, length - _lcs_needed(shortest, length, cutoff) + 3)
    return out


@cache
def _triple_positions(size: int) -> np.ndarray:
    """The positions (a, b, c), a < b < c, of every triple among `size` tokens, as three rows."""
    return np.array(list(combinations(range(size), 3)), dtype=np.int64).T


def _lcs_needed(n: int, length: int, cutoff: float) -> int:
    """m: the LCS a query of n characters and a choice of `length` need to score `cutoff` (step 2)."""
    return max(1, math.ceil(cutoff * (n + length) / 200 - 1e-9))


def _characters(choices: pl.Series) -> pl.DataFrame:
    """(i, token) rows for the characters of each choice, in order; built by polars, as a Python loop
    over the ~12 million characters of 800k names takes seconds."""
    return (
        choices.to_frame("choice").with_row_index("i")
        .select(pl.col("i").cast(pl.Int64), pl.col("choice").str.extract_all(r"(?s).").alias("token"))
        .explode("token").drop_nulls("token")
    )


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
