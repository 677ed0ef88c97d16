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

6. Tuples of k tokens, for large indexes (TUPLES_FROM choices and more), when m(l) >= k at every
   length of the window: order all tokens globally (rarest first; tokens no choice holds before all
   others). If a choice of length l shares at least m = m(l) tokens with the query, let o1 < ... < ok
   be the first k shared ones in that order (k <= m). At most n - m of the query's tokens are not
   shared, so ok is among the query's first n - m(l) + k tokens; likewise among the choice's first
   l - m + k. So the choice is found by looking up the k-tuples of the query's first n - m(first) + k
   tokens (m at the window's shortest length is the smallest, so this prefix is the longest needed)
   in an index of each choice's k-tuples among its first P(l) = l - m_min(l) + k tokens, m_min(l)
   being m for the shortest query whose window holds l (the smallest m that length can meet; a
   longer prefix only adds tuples). And the bound is per length: a tuple whose last token is the
   query's j-th (0 = rarest) can only come from choices of the lengths l with n - m(l) + k > j,
   which (n - m(l) + k never grows with l) are the window's lengths up to some L_j. The index holds
   (tuple key, choice) pairs as single integers, sorted, so the holders of a key are a run ascending
   by choice, that is by length: a query reads, for each tuple, only its holders of lengths first..L_j
   (a search for the run's first holder at length `first`, then a count of those before L_j; the
   search goes through a sample of every 256th entry, `_search`). Reading more (a superset) adds
   candidates, never loses one.
   A tuple's key is its k ranks as digits in base V (the number of tokens) when V**k fits the key's
   bits, else a hash of them: equal tuples have equal keys either way, and two tuples sharing a
   hashed key only make a choice a candidate it need not be. k is 4 at the cut-offs ingest and review
   use (80 and more) and 3 below (`_tuple_size`); queries with m(first) < k (names of 3 characters at
   87) take steps 4-5 instead. Firm names hold few tokens more than they must share (n - m is 1-4 at
   87), so both prefixes are short (5-8 tokens, 5-70 tuples); sharing four of them is far rarer than
   sharing three, and the length bound leaves a query at its own length (where its firm usually is)
   the tuples of its first k + 1 tokens or so. Below TUPLES_FROM choices, building the tuples costs
   more than it saves (docs/linking.md#speed).

7. Count filter, on every candidate pair before it is scored: each character is given one of 128 bits
   (a hash of its code point), and each name the set of its characters' bits. A bit the query sets
   and the choice does not stands for at least one character of the query the choice lacks, so at
   least one of the query's tokens it does not hold; distinct bits, distinct characters. A choice
   reaching c holds at least m(l) of the query's n tokens (step 3), so it lacks at most n - m(l) of
   them: the pair is dropped when more than n - m(l) bits are the query's alone, or more than
   l - m(l) the choice's alone. Checked with numpy on all the pairs of a batch of queries at once.
   Steps 4-6 find names sharing a few rare characters, but most share little else: this keeps about
   1 pair in 15 of those the tuples find at 800k firm names (29k of 424k), nearly all of them pairs
   that do reach the cut-off.

Candidates are found for a batch of queries at once (`ChoiceIndex.candidate_pairs`): the queries'
tokens, their tuples (step 6) and the pairs' count filter are numpy operations over the batch.

Every candidate is then scored exactly (rapidfuzz `cpdist`, with the cut-off), and the decision taken
from the scores, so the filter changes the time, never the result: tests/test_fuzzy.py checks the
candidates against scoring every choice (hypothesis), and match_best against brute force, for every
way of finding them (characters; tuples of 3, 4, 5; hashed keys forced to collide).

Cost: with steps 4-5 each query reads the postings of its few rarest characters within the length
window; with step 6 it reads none, and the index is linear in the names (C(P(l), k) keys a choice).
The choices sharing k of their rarest tokens with a query still grow with the firms (a rare
character of a brand name is held by a fixed share of all names, and the demo's names draw their
brands from a few hundred characters), so the pairs found grow faster than the names, but k = 4
and the length bound make them few: 0.5M at 800k names and 4M at 2.4M, against 7.7M and 67M with
triples over the whole window. Step 7 makes each such pair cost a few numpy operations instead of a
score; the pairs left to score grow with the names that do match. docs/linking.md#speed gives the
figures.
"""

from __future__ import annotations

import math
import mmap
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from functools import cached_property
from itertools import accumulate, combinations

import numpy as np
import polars as pl
from rapidfuzz import fuzz, process

# From this many choices on, candidates are looked up by tuples of tokens (step 6 above): with the
# count filter and the index built by blocks, triples were a little faster than the characters at
# the demo's 79k names (0.30-0.35 CPU-s for the applicants' stage against 0.37) and much faster at
# 790k; docs/linking.md#speed. Below, the index would cost more than it saves.
TUPLES_FROM = 50_000
# Candidate pairs held at once (before the count filter), about: bounds memory whatever the size of the
# residue; queries are taken in batches sized to it.
_PAIRS_PER_BATCH = 2_000_000
_EMPTY = np.empty(0, dtype=np.int64)
# Owners (names) per chunk where rows are reduced to one value per name: see _masks.
_OWNERS_PER_CHUNK = 1 << 16
# From this many bytes on, the tuples' index is held in plain pages (_fresh_int64).
_PLAIN_PAGES_FROM = 64 << 20
# The tuples' index is searched through every _SAMPLE_STEP-th entry (a power of 2; _search), and a
# key's holders counted from the first _LOOK (_count_below).
_SAMPLE_STEP = 256
_LOOK = 8
# Lookups made at once (_Tuples.pairs).
_PIECE = 2048
# Candidate pairs put through step 7 at once (_batch_pairs): a few arrays of that many stay in the caches.
_PAIRS_PIECE = 16384
# madvise: fault every page of a mapping in at once (Linux 5.14; mmap does not name it before Python 3.13).
_MADV_POPULATE_WRITE = 23


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
                 tuples: bool | None = None, tuple_size: int | None = None):
        """`tuples`: look candidates up by step 6 of the module docstring (None: from TUPLES_FROM
        choices on), by tuples of `tuple_size` tokens (None: _tuple_size's choice for the cut-off)."""
        # By length, then key, then text (UTF-8 byte order is code point order): sorted by polars, as
        # sorting 800k names with a Python key function takes seconds. Key before text, as the text
        # then breaks ties only among one firm's names (comparing texts made half the index's cost).
        # The order changes no result: a query's decision is taken from its pairs' scores per key.
        frame = (
            pl.DataFrame({"choice": pl.Series(choices, dtype=pl.String), "key": pl.Series(keys, dtype=pl.Int64)})
            .with_columns(pl.col("choice").str.len_chars().cast(pl.Int64).alias("length"))
            .sort("length", "key", "choice")
        )
        self._texts = frame["choice"]
        self.size = len(frame)
        self.keys = frame["key"].to_numpy()
        self.lengths = frame["length"].to_numpy()
        # starts[l] is the index of the first choice at least l long (choices are sorted by length).
        self.longest = int(self.lengths[-1]) if self.size else 0
        self._starts = np.searchsorted(self.lengths, np.arange(self.longest + 2)).tolist()
        self.postings = _Postings(*_code_points(self._texts, self.lengths), self.size)
        self.masks = self.postings.masks
        self.use_tuples = self.size >= TUPLES_FROM if tuples is None else tuples
        self._forced_k = tuple_size
        self._tuple_indexes: dict[float, _Tuples] = {}
        self._plans: dict[tuple[float, int, int], list[int]] = {}
        self._windows: dict[tuple[int, float], tuple[int, int]] = {}

    @cached_property
    def choices(self) -> list[str]:
        """The choices, in the index's order."""
        return self._texts.to_list()

    def texts(self, at: np.ndarray) -> list[str]:
        """The choices at these indexes."""
        return self._texts.gather(at).to_list()

    def candidates(self, query: str, cutoff: float) -> np.ndarray:
        """Indexes of the choices that may score at least `cutoff` against `query`, ascending."""
        return np.concatenate([c for _, c in self.candidate_pairs([query], cutoff)] or [_EMPTY])

    def candidate_pairs(
        self, queries: Sequence[str], cutoff: float, progress: Callable[[int], None] | None = None,
    ) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """(query position, choice index) of the pairs that may score at least `cutoff`, ordered by
        query then choice, in batches of queries (steps 1-7 of the module docstring)."""
        # Batches sized so that about _PAIRS_PER_BATCH pairs are found at once: small at first (at low
        # cut-offs a query can have tens of thousands of candidates; at cut-off 0 every choice is one),
        # then doubled while they find few.
        size = max(1, min(64, _PAIRS_PER_BATCH // max(1, self.size) if cutoff <= 0 else 64))
        at = 0
        while at < len(queries):
            batch = queries[at:at + size]
            pair_q, pair_c, found = self._batch_pairs(batch, cutoff)
            if pair_q.size:
                yield pair_q + at, pair_c
            if progress:
                progress(len(batch))
            at += len(batch)
            if found > _PAIRS_PER_BATCH:
                size = max(1, size // 2)
            elif found < _PAIRS_PER_BATCH // 4:
                size *= 2

    def _batch_pairs(self, queries: Sequence[str], cutoff: float) -> tuple[np.ndarray, np.ndarray, int]:
        """The candidate pairs of a batch of queries, and how many were found before step 7."""
        if not queries or not self.size:
            return _EMPTY, _EMPTY, 0
        sizes = [len(q) for q in queries]
        # Each query's length window, as the first and last choice lengths it holds (step 1).
        windows = [self._window(n, cutoff) for n in sizes]
        first = [f for f, _ in windows]
        rows = _query_rows(queries)
        found_q, found_c = [_EMPTY], [_EMPTY]
        tupled = [False] * len(queries)
        if self.use_tuples and cutoff > 0:
            # Step 6 for the queries that need k shared tokens at every length of their window (m is
            # smallest at the window's first length), looked up for all of them at once.
            tuples = self._tuples(cutoff)
            plans = [self._plan(n, cutoff, tuples.k) for n in sizes]
            tupled = [bool(p) for p in plans]
            stops = np.zeros((len(queries), max(len(p) for p in plans)), dtype=np.int64)
            for qi, plan in enumerate(plans):
                stops[qi, :len(plan)] = plan
            prefix = np.array([len(p) for p in plans], dtype=np.int64)
            start = np.array([self._first_at_least(f) for f in first], dtype=np.int64)
            q, c = tuples.pairs(rows.owner, self._token_ids(rows), prefix, start, stops)
            found_q.append(q)
            found_c.append(c)
        for qi, query in enumerate(queries):
            if not tupled[qi] and query:
                c = self._one(query, cutoff, windows[qi])
                found_q.append(np.full(c.size, qi, dtype=np.int64))
                found_c.append(c)
        # Every pair found is in its query's length window (steps 5 and 6 read only there).
        pair_q, pair_c = np.concatenate(found_q), np.concatenate(found_c)
        found = pair_q.size
        if cutoff > 0:
            masks = _masks(rows.owner, rows.code, rows.chars, len(queries))
            n = np.asarray(sizes, dtype=np.int64)
            # In pieces (_PAIRS_PIECE), as the lookups: a batch's pairs run to hundreds of thousands, and
            # the dozen temporaries of step 7 over all of them at once spill the caches.
            keep = np.empty(found, dtype=bool)
            for piece in range(0, found, _PAIRS_PIECE):
                part = slice(piece, piece + _PAIRS_PIECE)
                q, c = pair_q[part], pair_c[part]
                keep[part] = _may_share_enough(
                    n[q], self.lengths[c], cutoff, masks[0][q], masks[1][q], self.masks[0][c], self.masks[1][c])
            pair_q, pair_c = pair_q[keep], pair_c[keep]
        # One sort of single integers orders the pairs and drops those found twice (by two tuples).
        span = self.size
        packed = np.unique(pair_q * span + pair_c)
        return packed // span, packed % span, found

    def _token_ids(self, rows: _Rows) -> np.ndarray:
        """The postings' ids of the query rows' tokens, as _tokens names them (-1: no choice holds it)."""
        ids = self.postings.ids
        out = np.asarray([ids.get(c, -1) for c in rows.chars], dtype=np.int64)[rows.code]
        for at, number in zip(rows.later.tolist(), rows.number.tolist()):
            out[at] = ids.get(f"{rows.chars[rows.code[at]]}\x00{number}", -1)
        return out

    def _window(self, n: int, cutoff: float) -> tuple[int, int]:
        """The first and last choice lengths in the length window of a query of n characters."""
        # Kept per (n, cutoff): a batch's queries have a few dozen lengths.
        window = self._windows.get((n, cutoff))
        if window is None:
            lo, hi = _length_window(n, cutoff)
            window = max(math.ceil(lo), 0), self.longest if hi > self.longest else math.floor(hi)
            self._windows[(n, cutoff)] = window
        return window

    def _plan(self, n: int, cutoff: float, k: int) -> list[int]:
        """Step 6 for a query of n characters: for j = 0..p-1, p = n - m(first) + k its prefix, the index
        of the first choice too long for a tuple whose last token is the query's j-th (0 = rarest);
        empty when the query cannot use k-tuples (m(first) < k, or no length in its window)."""
        plan = self._plans.get((cutoff, k, n))
        if plan is None:
            first, last = self._window(n, cutoff)
            plan = []
            if first <= last and _lcs_needed(n, first, cutoff) >= k:
                # The query's prefix against a choice of length l, n - m(l) + k, never grows with l.
                prefix = [n - _lcs_needed(n, length, cutoff) + k for length in range(first, last + 1)]
                plan = [self._first_at_least(first + sum(p > j for p in prefix)) for j in range(prefix[0])]
            self._plans[(cutoff, k, n)] = plan
        return plan

    def _one(self, query: str, cutoff: float, window: tuple[int, int]) -> np.ndarray:
        """Steps 1-5 for one query, of this length window (the count filter of step 7 comes after)."""
        n = len(query)
        first, last = window
        start, stop = self._first_at_least(first), self._first_at_least(last + 1)
        if start >= stop:
            return _EMPTY
        if cutoff <= 0:
            return np.arange(start, stop, dtype=np.int64)
        lengths = range(first, last + 1)
        # m(l): the LCS a choice of length l needs to reach the cut-off.
        need = [_lcs_needed(n, length, cutoff) for length in lengths]
        # k of the query's n - m(l) + k rarest characters; k = 2 needs m(l) >= 2 at every length.
        k = 2 if min(need) >= 2 else 1
        return self._filtered(_tokens(query), [n - m + k for m in need], k, lengths, start)

    def _tuples(self, cutoff: float) -> _Tuples:
        # Built on first use for a cut-off (ingest uses one; the linking sweep a few).
        if cutoff not in self._tuple_indexes:
            k = self._forced_k or _tuple_size(cutoff)
            self._tuple_indexes[cutoff] = _Tuples(self.postings, self.lengths, cutoff, k)
        return self._tuple_indexes[cutoff]

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
        return self._starts[length] if length < len(self._starts) else self.size


class _Postings:
    """An inverted index from tokens to the ascending indexes of the choices holding them, in one
    array: the choices of token id t are flat[offsets[t]:offsets[t + 1]]."""

    def __init__(self, owner: np.ndarray, codes: np.ndarray, names: list[str], count: int):
        # owner, codes: for each character of each of the `count` choices, in choice order, the choice
        # and the character's place in `names` (the distinct characters, in code point order); see
        # _code_points. Integer codes: sorting the ~12 million rows of 800k names by their text takes seconds.
        # Each choice's characters as bits (step 7), from the codes of its rows.
        self.masks = _masks(owner, codes, names, count)
        # The second and later occurrences of a character in a choice (a few) are tokens of their own:
        # 市\x002 for the second 市, each distinct (character, occurrence) named once.
        later, number = _occurrences(owner, codes, len(names))
        width = int(number.max(initial=1)) + 1
        distinct, which = np.unique(codes[later] * width + number, return_inverse=True)
        extra = [f"{names[p // width]}\x00{p % width}" for p in distinct.tolist()]
        self.ids: dict[str, int] = {token: j for j, token in enumerate(names + sorted(extra))}
        # Each row's token id, in the rows' order (each choice's text, in order).
        self.row_tokens = codes
        self.row_tokens[later] = np.asarray([self.ids[token] for token in extra], dtype=np.int64)[which]
        self.sizes = np.bincount(self.row_tokens, minlength=len(self.ids))
        self._owner = owner
        self._flat: np.ndarray | None = None
        self.offsets: list[int] = []

    @property
    def flat(self) -> np.ndarray:
        """The choices holding each token, grouped by token id, ascending in each group; built on first
        use (the triples of step 6 do without it)."""
        if self._flat is None:
            # A stable sort by token id keeps each token's choices ascending; on 16-bit ids numpy sorts
            # by radix, in linear time.
            small = len(self.ids) <= 2**16
            self._flat = self._owner[np.argsort(self.row_tokens.astype(np.uint16) if small else self.row_tokens,
                                                kind="stable")]
            self.offsets = np.concatenate(([0], np.cumsum(self.sizes))).tolist()
        return self._flat

    def size(self, token_id: int) -> int:
        return int(self.sizes[token_id]) if token_id >= 0 else 0

    def get(self, token_id: int) -> np.ndarray:
        flat = self.flat
        return flat[self.offsets[token_id]:self.offsets[token_id + 1]]


class _Tuples:
    """For one cut-off c and a tuple size k: for each choice, the k-tuples of tokens among its P(l) first
    in the global order (step 6 of the module docstring), as one sorted array of (key, choice)."""

    def __init__(self, postings: _Postings, lengths: np.ndarray, cutoff: float, k: int):
        self.k = k
        self.vocab = vocab = len(postings.sizes)
        # The global order: rarest first (fewest choices hold the token), ties by token id.
        order = np.lexsort((np.arange(vocab), postings.sizes))
        self.rank = np.empty(vocab, dtype=np.int64)
        self.rank[order] = np.arange(vocab)
        # A power of 2 at least the number of choices: an entry's choice is then its low bits, taken by a
        # mask where a remainder by any other number costs a division (16 ns against 1.3 a value, for
        # the millions of holders read at 2.4M names).
        self.span = span = 1 << max(0, lengths.size - 1).bit_length()
        # Keys below 2**bits, so that key * span + choice stays below 2**62.
        self.bits = 62 - (span - 1).bit_length()
        # The k-tuples among each choice's first P(l) tokens in the global order, made one length at a
        # time: the choices of length l are a block of rows, l per choice, that is a matrix with a choice
        # per row; each row sorted by rank, its first P(l) columns are the prefix, and a tuple of
        # positions is k of those columns. By chunks of choices (see _masks).
        prefix = _prefix_lengths(int(lengths.max(initial=0)), cutoff, k)
        lengths_present, first = np.unique(lengths, return_index=True)
        ends = np.append(first[1:], lengths.size)
        sizes = [math.comb(int(prefix[ln]), k) * int(e - f) for ln, f, e in zip(lengths_present, first, ends)]
        total = sum(sizes)
        # After the index, values above every entry, which the lookups may read past its end (_search
        # reads up to a step - 1 places past the block it searches; _count_below, _LOOK places from a run).
        self._step = _SAMPLE_STEP
        padded = _fresh_int64(total + max(self._step, _LOOK))
        padded[total:] = np.iinfo(np.int64).max
        packed = padded[:total]
        at, row = 0, 0
        for ln, f, e in zip(lengths_present.tolist(), first.tolist(), ends.tolist()):
            for lo in range(f, e, _OWNERS_PER_CHUNK):
                hi = min(e, lo + _OWNERS_PER_CHUNK)
                block = self.rank[postings.row_tokens[row:row + (hi - lo) * ln]].reshape(hi - lo, ln)
                row += (hi - lo) * ln
                block.sort(axis=1)
                # The prefix's columns, each made contiguous once (strided columns read the whole block).
                column = block[:, :int(prefix[ln])].T.copy()
                choice = np.arange(lo, hi)
                for positions in combinations(range(int(prefix[ln])), k):
                    key = _tuple_key([column[p] for p in positions], vocab, self.bits)
                    np.add(key * span, choice, out=packed[at:at + hi - lo])
                    at += hi - lo
        # (key, choice) as one integer, sorted: the choices holding a key are a run, ascending, that is
        # by length (the choices are sorted by length), so a query finds the holders of a key in a range
        # of lengths by two binary searches.
        packed.sort()
        self.packed = packed
        self._padded = padded
        # Every step-th entry: a copy small enough to stay in the caches (_search).
        self._sample = packed[::self._step].copy()

    def search(self, values: np.ndarray) -> np.ndarray:
        """np.searchsorted(self.packed, values), in two levels (_search)."""
        return _search(self._padded, self._sample, self._step, values)

    def pairs(self, owner: np.ndarray, token: np.ndarray, prefix: np.ndarray, start: np.ndarray,
              stops: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(query, choice) for the choices holding a k-tuple of a query's `prefix` first tokens in the
        global order, for queries given as rows (owner: the query, ascending; token: the token id, -1
        when no choice holds it). Tokens no choice holds come first: they take places in the prefix and
        match nothing. Only choices from start[query] on and before stops[query, j] are read, j being
        the place of the tuple's last token in the query's order. A choice holding several of the
        tuples comes once for each."""
        if not owner.size:
            return _EMPTY, _EMPTY
        # Each query's tokens in the global order (unknown ones first), as one sort of single integers.
        rank = np.where(token >= 0, self.rank[np.maximum(token, 0)], -1)
        packed = np.sort(owner * (self.vocab + 1) + rank + 1)
        owner, rank = packed // (self.vocab + 1), packed % (self.vocab + 1) - 1
        position = np.arange(owner.size) - np.searchsorted(owner, owner)
        kept = (position < prefix[owner]) & (rank >= 0)
        owner, rank, position = owner[kept], rank[kept], position[kept]
        # room: the query's kept tokens from this one on.
        room = np.searchsorted(owner, owner, side="right") - np.arange(owner.size)
        wanted, asker, last = _query_tuples(rank, owner, room, self.k, self.vocab, self.bits)
        lo = wanted * self.span + start[asker]
        hi = wanted * self.span + stops[asker, position[last]]
        # Sorted first: numpy's binary search then starts each value where the last one ended.
        by_lo = np.argsort(lo)
        lo, hi, asker = lo[by_lo], hi[by_lo], asker[by_lo]
        # In pieces: the temporaries of a piece (a few arrays of _PIECE values, _LOOK times more in
        # _count_below) stay in the caches, where a batch's 100k lookups at once spill them.
        begin, count = np.empty_like(lo), np.empty_like(lo)
        for first in range(0, lo.size, _PIECE):
            part = slice(first, first + _PIECE)
            begin[part] = self.search(lo[part])
            count[part] = _count_below(self._padded, begin[part], hi[part], search=self.search)
        # The holders of each wanted key, self.packed[begin:begin + count] % span, all at once.
        total = int(count.sum())
        at = np.repeat(begin - (np.cumsum(count) - count), count) + np.arange(total)
        return np.repeat(asker, count), self.packed[at] & (self.span - 1)


def _fresh_int64(count: int) -> np.ndarray:
    """An int64 array of `count` values to be written, in memory mapped for it without huge pages.

    numpy asks the kernel for huge pages for its large arrays (madvise). Where the kernel then compacts
    memory to make them (transparent huge pages with defrag "madvise", as on the machine measured), a
    process that has churned through gigabytes, as an ingest has by the time it indexes the firm names,
    waits on that compaction while it first writes the array: 0.65 CPU-s for the 26M values of the
    scale-10 demo against 0.18 in plain pages (docs/linking.md#speed). The mapping is private (shared
    anonymous memory is the kernel's shmem, slower to fault), and its pages are faulted in by one call
    (MADV_POPULATE_WRITE) instead of one trap per 4 KB page as the array is first written: 0.16 -> 0.08
    CPU-s for 26M values on the machine measured. Kernels without it fault them as they are written."""
    size = count * 8
    if size < _PLAIN_PAGES_FROM or not hasattr(mmap, "MADV_NOHUGEPAGE"):
        return np.empty(count, dtype=np.int64)
    memory = mmap.mmap(-1, size, flags=mmap.MAP_PRIVATE)
    memory.madvise(mmap.MADV_NOHUGEPAGE)
    try:
        memory.madvise(_MADV_POPULATE_WRITE)
    except OSError:
        pass
    return np.frombuffer(memory, dtype=np.int64)


def _count_below(padded: np.ndarray, begin: np.ndarray, hi: np.ndarray, look: int = _LOOK,
                 search: Callable[[np.ndarray], np.ndarray] | None = None) -> np.ndarray:
    """For each i, how many of padded[begin[i]:] are below hi[i], for `padded` ascending and ending in
    at least `look` values not below any hi (the index and its padding, _Tuples): the same as
    searchsorted(padded, hi) - begin, at least 0. Most keys' runs in a window of lengths are short, so
    the first `look` values from begin (a cache line or two) are read and compared (the padding keeps
    them inside the array); only where all of them are below hi is the rest found by binary search
    (`search`: np.searchsorted(padded, values) by other means, as _Tuples.search), whose random reads
    of the whole index cost more than the reading (half the lookups' time at 2.4M names)."""
    count = np.count_nonzero(padded[begin[:, None] + np.arange(look)] < hi[:, None], axis=1)
    full = np.flatnonzero(count == look)
    if full.size:
        count[full] = (search(hi[full]) if search else np.searchsorted(padded, hi[full])) - begin[full]
    return count


def _search(padded: np.ndarray, sample: np.ndarray, step: int, values: np.ndarray) -> np.ndarray:
    """np.searchsorted(packed, values) (the first place whose entry is not below each value), for
    `packed` ascending, given as `padded`: packed followed by at least step - 1 values above all of
    the values, with `sample` = packed[::step] and `step` a power of 2.

    A binary search over the whole index misses the caches at most of its levels, one after the other
    (255 ns a lookup in 26M entries, 321 in 78M). Here numpy's search runs in the sample (N / 256
    entries: 0.8 MB at 26M, 2.4 at 78M), which finds the block of _SAMPLE_STEP entries holding the
    answer; then the place in the block by halving, over all the values at once (numpy operations
    on the batch), so the reads of the large array for different values overlap. Where sample[i] is
    the first sample entry not below v, the answer lies in ((i - 1) * step, i * step]; for i = 0 it
    is 0. Probes read at most step - 1 places past the block, within the padding."""
    found = np.searchsorted(sample, values)
    # The last place known to be below the value (-1: none), then halvings of the block after it.
    below = np.maximum((found - 1) * step, -1)
    half = step >> 1
    while half:
        probe = below + half
        below = np.where(padded[probe] < values, probe, below)
        half >>= 1
    return below + 1


def _query_tuples(rank: np.ndarray, owner: np.ndarray, room: np.ndarray, k: int, vocab: int, bits: int
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every k-tuple of each owner's rows, as _tuple_key makes it, with its owner and its last row.
    Rows are grouped by owner, in the order of the tuple; room[j] counts the owner's rows from j on."""
    # Row j + o is the same owner's o places on whenever o < room[j]: a tuple is row j and k - 1 rows
    # at increasing offsets from it.
    keys, owners, lasts = [_EMPTY], [_EMPTY], [_EMPTY]
    for offsets in combinations(range(1, int(room.max(initial=0))), k - 1):
        j = np.flatnonzero(room > offsets[-1])
        keys.append(_tuple_key([rank[j]] + [rank[j + o] for o in offsets], vocab, bits))
        owners.append(owner[j])
        lasts.append(j + offsets[-1])
    return np.concatenate(keys), np.concatenate(owners), np.concatenate(lasts)


_GOLDEN = np.uint64(0x9E3779B97F4A7C15)


def _tuple_key(ranks: Sequence[np.ndarray], vocab: int, bits: int) -> np.ndarray:
    """k arrays of token ranks (each below `vocab`, the k ranks of a tuple ascending) as one integer
    key per tuple, below 2**bits: the ranks' digits in base `vocab` when they fit, else a hash of them.
    Equal tuples get equal keys either way; two tuples sharing a hashed key (rare: a few tens of
    millions of keys among 2**40 and more) only make a choice a candidate it need not be (step 6)."""
    if vocab ** len(ranks) <= 2 ** bits:
        key = ranks[0].copy()
        for r in ranks[1:]:
            key *= vocab
            key += r
        return key
    # The digits modulo 2**64 (unsigned arithmetic wraps), then Fibonacci hashing: times an odd constant
    # near 2**64 / golden ratio, the top `bits` bits.
    mixed = ranks[0].astype(np.uint64)
    for r in ranks[1:]:
        mixed *= np.uint64(vocab)
        mixed += r.view(np.uint64)
    mixed *= _GOLDEN
    mixed >>= np.uint64(64 - bits)
    return mixed.view(np.int64)


def _prefix_lengths(longest: int, cutoff: float, k: int) -> np.ndarray:
    """P(l) for l = 0..longest: l - m_min(l) + k, at most l, where m_min(l) is the LCS a choice of
    length l needs against the shortest query whose length window holds l (step 6)."""
    out = np.zeros(longest + 1, dtype=np.int64)
    for length in range(1, longest + 1):
        # The window is symmetric: the shortest query whose window holds l is the start of l's window.
        shortest = max(1, math.ceil(_length_window(length, cutoff)[0]))
        out[length] = min(length, length - _lcs_needed(shortest, length, cutoff) + k)
    return out


def _tuple_size(cutoff: float) -> int:
    """k for step 6 at this cut-off: 4 from 80 on, else 3. The lower the cut-off, the longer both sides'
    prefixes (n - m + k), and C(P, k) tuples per choice grow faster with k: at 80 and 87, k = 4 finds
    the candidates faster than 3 (five times fewer pairs at 87) for an index 1.8-2.2 times larger; at
    70 the pairs are no fewer and the index 2.6 times larger (docs/linking.md#speed)."""
    return 4 if cutoff >= 80 else 3


def _lcs_needed(n: int, length: int, cutoff: float) -> int:
    """m: the LCS a query of n characters and a choice of `length` need to score `cutoff` (step 2)."""
    return max(1, math.ceil(cutoff * (n + length) / 200 - 1e-9))


def _characters(choices: pl.Series) -> pl.DataFrame:
    """(i, token) rows for the characters (code points) of each choice, in order; built by polars, as a
    Python loop over the ~12 million characters of 800k names takes seconds (splitting on "" yields the
    code points, and is twice as fast as extracting them with a regex)."""
    return (
        choices.to_frame("choice").with_row_index("i")
        .select(pl.col("i").cast(pl.Int64), pl.col("choice").str.split("").alias("token"))
        .explode("token").drop_nulls("token")
    )


def _code_points(texts: pl.Series, lengths: np.ndarray) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """The characters of the texts (of these lengths in characters), in order: for each, its text's
    place and its place among the distinct characters, and those characters in code point order (the
    order of their UTF-8 bytes, which polars sorts by). The texts are joined and read as UTF-32, an array
    of code points: three times faster than _characters's rows and a sort of their distinct strings."""
    points = np.frombuffer((texts.str.join("").item() or "").encode("utf-32-le"), dtype=np.uint32)
    present = np.zeros(0x110000, dtype=bool)
    present[points] = True
    vocab = np.flatnonzero(present)
    place = np.cumsum(present, dtype=np.int64) - 1
    owner = np.repeat(np.arange(lengths.size, dtype=np.int64), lengths)
    return owner, place[points], [chr(c) for c in vocab.tolist()]


@dataclass(frozen=True)
class _Rows:
    """The characters of a batch of queries, in order, as numbers: rows (owner: the query, code: the
    character's place in `chars`), and the rows `later` that are a second or later occurrence of their
    character in their query, with their occurrence `number` (2 for the second...)."""

    owner: np.ndarray
    code: np.ndarray
    chars: list[str]
    later: np.ndarray
    number: np.ndarray


def _query_rows(queries: Sequence[str]) -> _Rows:
    rows = _characters(pl.Series(queries, dtype=pl.String))
    distinct = rows["token"].unique(maintain_order=True)
    code = rows["token"].cast(pl.Enum(distinct)).to_physical().cast(pl.Int64).to_numpy()
    owner = rows["i"].to_numpy()
    later, number = _occurrences(owner, code, len(distinct))
    return _Rows(owner, code, distinct.to_list(), later, number)


def _occurrences(owner: np.ndarray, code: np.ndarray, width: int) -> tuple[np.ndarray, np.ndarray]:
    """The rows that are a second or later occurrence of their character in their owner's text, and
    their occurrence numbers (2 for the second...), for rows of owners in ascending order, in text order
    within each (code: the character, below `width`). A stable sort by (owner, character) keeps each
    run of one character of one owner in text order; the rank in its run. By chunks of owners (see
    _masks): the rows are in owner order already, so timsort only orders each owner's few rows."""
    rows, numbers = [_EMPTY], [_EMPTY]
    starts = _run_starts(owner)
    for at in range(0, starts.size, _OWNERS_PER_CHUNK):
        begin = int(starts[at])
        end = int(starts[at + _OWNERS_PER_CHUNK]) if at + _OWNERS_PER_CHUNK < starts.size else owner.size
        key = owner[begin:end] * max(1, width) + code[begin:end]
        order = np.argsort(key, kind="stable")
        key = key[order]
        # The rows equal to the one before; a streak of such rows is a run's 2nd, 3rd... occurrences.
        later = np.flatnonzero(key[1:] == key[:-1]) + 1
        streak = _run_starts(later - np.arange(later.size))
        rows.append(begin + order[later])
        numbers.append(np.arange(later.size) + 2 - np.repeat(streak, np.diff(np.append(streak, later.size))))
    return np.concatenate(rows), np.concatenate(numbers)


def _run_starts(values: np.ndarray) -> np.ndarray:
    """Where each run of equal values starts (np.diff with prepend copies the array: slower)."""
    if not values.size:
        return _EMPTY
    return np.flatnonzero(np.concatenate(([True], values[1:] != values[:-1])))


def _bit(char: str) -> int:
    """Which of 128 bits stands for a character (step 7): a multiplicative hash of its code point."""
    return (ord(char) * 2654435761) % 2**32 >> 25


def _masks(owner: np.ndarray, code: np.ndarray, chars: list[str], count: int) -> tuple[np.ndarray, np.ndarray]:
    """For owners 0..count-1, the bits of the characters of their rows (owner ascending; code: the
    character's place in `chars`), as two words: bits 0-63 and 64-127."""
    bits = np.asarray([_bit(c) for c in chars], dtype=np.uint64)
    starts = _run_starts(owner)
    words = []
    for low in (True, False):
        # Per distinct character, then gathered for the rows: the shifts are made for a few thousand.
        word_of = np.where((bits < 64) == low, np.left_shift(np.uint64(1), bits % np.uint64(64)), np.uint64(0))
        word = np.zeros(count, dtype=np.uint64)
        # By chunks of owners: arrays of a few MB are reused from one chunk to the next, where one of
        # the 12 million rows of 800k names is fresh memory, and its first touch cost twice the work.
        for at in range(0, starts.size, _OWNERS_PER_CHUNK):
            chunk = starts[at:at + _OWNERS_PER_CHUNK]
            end = starts[at + _OWNERS_PER_CHUNK] if at + _OWNERS_PER_CHUNK < starts.size else owner.size
            word[owner[chunk]] = np.bitwise_or.reduceat(word_of[code[chunk[0]:end]], chunk - chunk[0])
        words.append(word)
    return words[0], words[1]


def _may_share_enough(n: np.ndarray, length: np.ndarray, cutoff: float, query_low: np.ndarray,
                      query_high: np.ndarray, choice_low: np.ndarray, choice_high: np.ndarray) -> np.ndarray:
    """Step 7 for pairs: whether each query (n characters, bits) and choice (length, bits) can share the
    m(n, l) characters the cut-off needs."""
    # _lcs_needed over arrays: the same operations on the same doubles, so the same m.
    need = np.maximum(1, np.ceil(cutoff * (n + length) / 200 - 1e-9))
    query_only = np.bitwise_count(query_low & ~choice_low) + np.bitwise_count(query_high & ~choice_high)
    choice_only = np.bitwise_count(choice_low & ~query_low) + np.bitwise_count(choice_high & ~query_high)
    return (query_only <= n - need) & (choice_only <= length - need)


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
    if not options.enabled or not queries or not index.size:
        return out
    # Scores below threshold - margin can neither win nor spoil a winner.
    cutoff = max(0.0, options.threshold - options.margin)
    texts = _as_objects(queries)
    for pair_q, pair_c in index.candidate_pairs(queries, cutoff, progress):
        _score(texts, index, pair_q, pair_c, cutoff, options, out)
    return out


def _as_objects(queries: Sequence[str]) -> np.ndarray:
    """The queries as one object array, made once per call of match_best or ranked_keys: each batch of
    pairs takes its left sides from it by numpy indexing (millions of pairs at low cut-offs)."""
    return np.array(queries, dtype=object)


def _scored(texts: np.ndarray, index: ChoiceIndex, pair_q, pair_c, cutoff, workers
            ) -> tuple[np.ndarray, list[np.ndarray]]:
    """The scores of candidate pairs (ordered by query; `texts`: the queries, _as_objects), and for each
    query with a pair at or above the cut-off its pairs there (0 stands for under the cut-off)."""
    left = texts[pair_q]
    scores = process.cpdist(left, index.texts(pair_c), scorer=fuzz.ratio, score_cutoff=cutoff,
                            dtype=np.float32, workers=workers)
    hit = np.flatnonzero(scores)
    bounds = np.flatnonzero(np.diff(pair_q[hit], prepend=-1, append=-2)) if hit.size else _EMPTY
    return scores, [hit[x:y] for x, y in zip(bounds[:-1].tolist(), bounds[1:].tolist())]


def _score(texts: np.ndarray, index: ChoiceIndex, pair_q, pair_c, cutoff, options, out) -> None:
    scores, groups = _scored(texts, index, pair_q, pair_c, cutoff, options.workers)
    # Only the queries with a pair at or above the cut-off need deciding.
    for pairs in groups:
        out[int(pair_q[pairs[0]])] = _decide(scores[pairs], index.keys[pair_c[pairs]], options)


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
    texts = _as_objects(queries)
    for pair_q, pair_c in index.candidate_pairs(queries, cutoff):
        scores, groups = _scored(texts, index, pair_q, pair_c, cutoff, workers)
        for pairs in groups:
            best_per_key: dict[int, float] = {}
            for key, score in zip(index.keys[pair_c[pairs]].tolist(), scores[pairs].tolist()):
                if score > best_per_key.get(key, -1.0):
                    best_per_key[key] = score
            ranked = sorted(best_per_key.items(), key=lambda kv: (-kv[1], kv[0]))
            out[int(pair_q[pairs[0]])] = ranked[:top] if top else ranked
    return out


def decide_ranked(ranked: Sequence[tuple[int, float]], options: FuzzyOptions) -> FuzzyResult:
    """match_best's decision from a query's ranked keys (see ranked_keys)."""
    cutoff = max(0.0, options.threshold - options.margin)
    kept = [(k, s) for k, s in ranked if s >= cutoff]
    if not options.enabled or not kept:
        return _NONE
    return _decide(np.asarray([s for _, s in kept], dtype=np.float32),
                   np.asarray([k for k, _ in kept], dtype=np.int64), options)
