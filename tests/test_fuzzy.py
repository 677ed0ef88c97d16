"""The blocked fuzzy matcher must give exactly what scoring every pair would give."""

import mmap
import random
from contextlib import contextmanager
from unittest.mock import patch

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rapidfuzz import fuzz

from fintech_firms.rules import fuzzy
from fintech_firms.rules.fuzzy import (
    ChoiceIndex,
    FuzzyOptions,
    FuzzyResult,
    _bit,
    _count_below,
    _masks,
    _query_rows,
    _search,
    _tokens,
    _tuple_key,
    match_best,
)


def brute_force(queries, choices, keys, options):
    out = []
    for q in queries:
        best: dict[int, float] = {}
        for c, k in zip(choices, keys):
            s = fuzz.ratio(q, c)
            if s >= options.threshold - options.margin:
                best[k] = max(best.get(k, -1.0), s)
        if not best or not q:
            out.append(FuzzyResult(None, None, False))
            continue
        ranked = sorted(best.items(), key=lambda kv: (-kv[1], kv[0]))
        top = round(float(np.float32(ranked[0][1])), 2)
        second = round(float(np.float32(ranked[1][1])), 2) if len(ranked) > 1 else None
        if top < options.threshold:
            out.append(FuzzyResult(None, top, False))
        elif second is not None and (top - second < options.margin or top == second):
            out.append(FuzzyResult(None, top, True))
        else:
            out.append(FuzzyResult(ranked[0][0], top, False))
    return out


# The ways candidates are found: characters (steps 4-5), tuples of 3, 4 or 5 tokens (step 6), and tuples
# of 4 whose keys are hashed into 6 bits (collisions by the dozen: they may only add candidates). The
# tuples' index is searched through a sample of every _SAMPLE_STEP-th entry (_search): "blocks of 2"
# makes its blocks as small as they go, so that a key's run spans many blocks and lookups land at
# every place of a block and on its edges, here with colliding keys too, and a batch's lookups are
# made 3 at a time (_PIECE); "one block" makes the whole index one block (a sample of one entry), as a
# small index is, and puts the pairs through step 7 5 at a time (_PAIRS_PIECE).
WAYS = ["characters", "triples", "quadruples", "quintuples", "hashed", "hashed, blocks of 2", "one block"]
STEPS = {"hashed, blocks of 2": 2, "one block": 2**16}


def _hashed_key(ranks, vocab, bits):
    # A base of 2**40 sends every tuple to _tuple_key's hash, whose top 6 bits are kept.
    return _tuple_key(ranks, 2**40, 6)


@contextmanager
def _way(way):
    """The way's key function and sample step, while its index is built (on first use) and read."""
    with patch.object(fuzzy, "_tuple_key", _hashed_key if way.startswith("hashed") else _tuple_key), \
            patch.object(fuzzy, "_SAMPLE_STEP", STEPS.get(way, fuzzy._SAMPLE_STEP)), \
            patch.object(fuzzy, "_PIECE", 3 if way == "hashed, blocks of 2" else fuzzy._PIECE), \
            patch.object(fuzzy, "_PAIRS_PIECE", 5 if way == "one block" else fuzzy._PAIRS_PIECE):
        yield


def make_index(way, choices, keys):
    with _way(way):
        if way == "characters":
            return ChoiceIndex(choices, keys, tuples=False)
        k = {"triples": 3, "quintuples": 5}.get(way, 4)
        return ChoiceIndex(choices, keys, tuples=True, tuple_size=k)


def candidate_pairs(way, index, queries, cutoff):
    with _way(way):
        return [(int(q), int(c)) for pq, pc in index.candidate_pairs(queries, cutoff) for q, c in zip(pq, pc)]


def candidates(way, index, query, cutoff):
    with _way(way):
        return index.candidates(query, cutoff).tolist()


def matched(way, queries, index, options):
    with _way(way):
        return match_best(queries, index, options)


ALPHABET = "深圳市北京上海科技有限公司数据云链智能腾讯阿里巴网络信息"
names = st.text(alphabet=ALPHABET, min_size=1, max_size=14)


@settings(max_examples=150, deadline=None)
@given(
    choices=st.lists(names, min_size=1, max_size=25),
    queries=st.lists(names, min_size=1, max_size=10),
    threshold=st.sampled_from([60.0, 80.0, 90.0, 95.0]),
    margin=st.sampled_from([0.0, 3.0, 10.0]),
)
@pytest.mark.parametrize("way", WAYS)
def test_blocked_matching_equals_scoring_every_pair(way, choices, queries, threshold, margin):
    keys = [i % 7 for i in range(len(choices))]  # several names may belong to one firm
    options = FuzzyOptions(threshold, margin, workers=1)
    got = matched(way, queries, make_index(way, choices, keys), options)
    assert [(r.key, r.ambiguous) for r in got] == [
        (r.key, r.ambiguous) for r in brute_force(queries, choices, keys, options)]


@settings(max_examples=300, deadline=None)
@given(
    choices=st.lists(st.text(alphabet="市科技有限公司云云", min_size=1, max_size=12), min_size=1, max_size=30),
    query=st.text(alphabet="市科技有限公司云云", min_size=1, max_size=12),
    cutoff=st.sampled_from([1.0, 30.0, 57.0, 70.0, 87.0, 97.0, 100.0]),
)
@pytest.mark.parametrize("way", WAYS)
def test_candidates_hold_every_choice_reaching_the_cutoff(way, choices, query, cutoff):
    # Repeated characters (云 twice in the alphabet) exercise the per-occurrence tokens; low cut-offs and
    # short names the one-shared-character filter, the others the two-shared-characters one or, with
    # tuples, the k-tuples of the two sides' rarest tokens (short queries, m < k, fall back).
    index = make_index(way, choices, list(range(len(choices))))
    found = set(candidates(way, index, query, cutoff))
    reaching = {i for i, c in enumerate(index.choices) if fuzz.ratio(query, c) >= cutoff}
    assert reaching <= found


@pytest.mark.parametrize("way", WAYS)
def test_blocked_matching_equals_brute_force_on_firm_like_names(way):
    rng = random.Random(7)
    chars = [chr(c) for c in range(0x4E00, 0x4E00 + 400)]
    suffixes = ["科技有限公司", "信息技术有限公司", "网络科技有限公司"]
    firms = sorted({rng.choice(["深圳市", "北京", "上海"]) + "".join(rng.choices(chars, k=rng.randint(2, 4)))
                    + rng.choice(suffixes) for _ in range(1500)})
    typos = []
    for f in rng.sample(firms, 200):
        i = rng.randrange(len(f))
        typos.append(f[:i] + rng.choice(chars) + f[i + 1:])
    queries = typos + ["张伟", "清华大学", "中国科学院计算技术研究所"]
    keys = list(range(len(firms)))
    options = FuzzyOptions()
    got = matched(way, queries, make_index(way, firms, keys), options)
    want = brute_force(queries, firms, keys, options)
    assert [(r.key, r.ambiguous) for r in got] == [(r.key, r.ambiguous) for r in want]
    assert sum(r.key is not None for r in got) > 100  # the typos mostly link


FIRMS = ["深圳市腾云科技有限公司", "北京百度网讯科技有限公司"]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        # 11 characters each, equal: 100
        ("深圳市腾云科技有限公司", FuzzyResult(0, 100.0, False)),
        # one substitution in 11: LCS 10, 200*10/22 = 90.91; vs the other firm LCS 6, 200*6/23 = 52.2
        ("深圳市腾去科技有限公司", FuzzyResult(0, 90.91, False)),
        # LCS 9 of 11 + 11: 81.8, under the 87 cut-off: nothing found
        ("深圳市腾云网络有限公司", FuzzyResult(None, None, False)),
        ("张三", FuzzyResult(None, None, False)),
    ],
)
def test_threshold(query, expected):
    assert match_best([query], ChoiceIndex(FIRMS, [0, 1]), FuzzyOptions()) == [expected]


def test_a_name_as_close_to_two_firms_is_ambiguous():
    # LCS 9 against either 10-character name: 200*9/19 = 94.74 for both, within the 3-point margin
    index = ChoiceIndex(["深圳市云科技有限公司", "深圳市讯科技有限公司"], [0, 1])
    assert match_best(["深圳市科技有限公司"], index, FuzzyOptions()) == [FuzzyResult(None, 94.74, True)]
    # a tie matches several firms equally: unlinked even when no margin is asked for
    assert match_best(["深圳市科技有限公司"], index, FuzzyOptions(margin=0)) == [
        FuzzyResult(None, 94.74, True)]


def test_threshold_101_switches_fuzzy_off():
    index = ChoiceIndex(["深圳市腾云科技有限公司"], [0])
    assert match_best(["深圳市腾云科技有限公司"], index, FuzzyOptions(threshold=101)) == [
        FuzzyResult(None, None, False)]


@settings(max_examples=150, deadline=None)
@given(choices=st.lists(st.text(alphabet="市市科云云云a\n", max_size=8), max_size=20))
@pytest.mark.parametrize("chunk", [2, 1 << 16])
def test_postings_hold_exactly_the_choices_with_each_token(chunk, choices):
    # The postings are built by polars and numpy; _tokens (a Python loop) is their definition. Built by
    # chunks of names: chunks of 2 names test the chunk boundaries.
    with patch.object(fuzzy, "_OWNERS_PER_CHUNK", chunk):
        index = ChoiceIndex(choices, list(range(len(choices))))
    postings = index.postings
    want: dict[str, set[int]] = {}
    for i, choice in enumerate(index.choices):
        for token in _tokens(choice):
            want.setdefault(token, set()).add(i)
    assert set(postings.ids) == set(want)
    for token, holders in want.items():
        got = postings.get(postings.ids[token]).tolist()
        assert got == sorted(holders)
        assert postings.size(postings.ids[token]) == len(holders)


def test_a_choice_index_from_polars_series_equals_one_from_lists():
    choices, keys = ["深圳市云科技有限公司", "云", "", "深圳市云科技有限公司"], [3, 1, 2, 0]
    a = ChoiceIndex(choices, keys)
    b = ChoiceIndex(pl.Series(choices), pl.Series(keys))
    assert a.choices == b.choices == ["", "云", "深圳市云科技有限公司", "深圳市云科技有限公司"]
    assert a.keys.tolist() == b.keys.tolist() == [2, 1, 0, 3]
    assert a.candidates("深圳市云科技有限公", 87.0).tolist() == b.candidates("深圳市云科技有限公", 87.0).tolist() == [2, 3]


@pytest.mark.parametrize("k", [3, 4])
def test_tuples_find_a_typo_among_names_sharing_rare_characters(k):
    # Three firms hold the query's rarest characters 腾 and 讯 (two shared rare characters are not
    # enough to tell them apart); only the first shares a k-tuple of both sides' rarest tokens.
    firms = ["深圳腾讯计算机系统有限公司", "腾讯音乐娱乐科技有限公司", "北京腾讯文化传媒有限公司", "上海某某科技有限公司"]
    index = ChoiceIndex(firms, list(range(len(firms))), tuples=True, tuple_size=k)
    query = "深圳腾讯计算机系统有限工司"
    assert index.use_tuples
    found = [index.choices[i] for i in index.candidates(query, 87.0).tolist()]
    assert found == ["深圳腾讯计算机系统有限公司"]
    assert match_best([query], index, FuzzyOptions()) == [FuzzyResult(0, 92.31, False)]


def test_tuples_are_used_from_the_threshold_size_on():
    assert not ChoiceIndex(["甲公司"], [1]).use_tuples
    assert ChoiceIndex(["甲公司"], [1], tuples=True).use_tuples


@settings(max_examples=150, deadline=None)
@given(
    choices=st.lists(st.text(alphabet="市市科云云云a\n😀", max_size=8), min_size=1, max_size=20),
    queries=st.lists(st.text(alphabet="市市科云云云ab\n😀", max_size=8), min_size=1, max_size=10),
)
@pytest.mark.parametrize("chunk", [2, 1 << 16])
def test_query_rows_name_the_tokens_as_the_definition_does(chunk, choices, queries):
    # A batch's tokens (occurrences numbered by numpy) and character bits against _tokens and _bit.
    with patch.object(fuzzy, "_OWNERS_PER_CHUNK", chunk):
        index = ChoiceIndex(choices, list(range(len(choices))))
    rows = _query_rows(queries)
    ids = index.postings.ids
    assert index._token_ids(rows).tolist() == [ids.get(t, -1) for q in queries for t in _tokens(q)]
    assert rows.owner.tolist() == [i for i, q in enumerate(queries) for _ in q]

    def bits(text):
        word = sum(1 << _bit(c) for c in set(text))
        return word % 2**64, word >> 64

    with patch.object(fuzzy, "_OWNERS_PER_CHUNK", chunk):
        low, high = _masks(rows.owner, rows.code, rows.chars, len(queries))
    assert list(zip(low.tolist(), high.tolist())) == [bits(q) for q in queries]
    assert list(zip(index.masks[0].tolist(), index.masks[1].tolist())) == [bits(c) for c in index.choices]


@settings(max_examples=100, deadline=None)
@given(
    choices=st.lists(st.text(alphabet="市科技有限公司云云", min_size=1, max_size=12), min_size=1, max_size=30),
    queries=st.lists(st.text(alphabet="市科技有限公司云云", max_size=12), min_size=1, max_size=12),
    cutoff=st.sampled_from([0.0, 30.0, 70.0, 87.0, 100.0]),
)
@pytest.mark.parametrize("way", WAYS)
def test_a_batch_finds_what_each_query_finds_alone(way, choices, queries, cutoff):
    index = make_index(way, choices, list(range(len(choices))))
    got = candidate_pairs(way, index, queries, cutoff)
    assert got == sorted(got)
    assert got == [(qi, c) for qi, q in enumerate(queries) for c in candidates(way, index, q, cutoff)]
    # Every pair reaching the cut-off is among them (the count filter of step 7 loses none).
    reaching = {(qi, i) for qi, q in enumerate(queries) for i, c in enumerate(index.choices)
                if q and fuzz.ratio(q, c) >= cutoff}
    assert reaching <= set(got)


def test_a_query_reads_a_tuple_s_holders_only_at_the_lengths_its_place_allows():
    # Choices of lengths 10..21, one each: the first of length l is at index l - 10. A query of 15
    # characters at cut-off 87 holds lengths 12..19 (step 1); against length l it needs m(l) =
    # 12, 13, 13, 14, 14, 14, 15, 15 shared tokens, so with k = 4 its prefix there is 15 - m(l) + 4 =
    # 7, 6, 6, 5, 5, 5, 4, 4. A tuple whose last token is the query's j-th (0 = rarest) is read up to
    # the last length whose prefix exceeds j: 19 for j <= 3, then 17, 14 and 12.
    choices = ["".join(chr(0x4E00 + 20 * n + i) for i in range(n)) for n in range(10, 22)]
    index = ChoiceIndex(choices, list(range(len(choices))), tuples=True, tuple_size=4)
    assert index._plan(15, 87.0, 4) == [10, 10, 10, 10, 8, 5, 3]
    # At k = 5 the prefix is one longer everywhere: j = 7 reads length 12 only.
    assert index._plan(15, 87.0, 5) == [10, 10, 10, 10, 10, 8, 5, 3]


def test_queries_needing_fewer_shared_tokens_than_k_fall_back_to_the_characters():
    # 3 characters at cut-off 87: m = 3 < k = 4 (step 6 cannot be used), so steps 4-5 find the choice.
    index = ChoiceIndex(["云科技", "云科", "深圳市云科技有限公司"], [0, 1, 2], tuples=True, tuple_size=4)
    assert index._plan(3, 87.0, 4) == []
    assert index._plan(10, 87.0, 4) != []
    assert [index.choices[i] for i in index.candidates("云科技", 87.0).tolist()] == ["云科技"]
    assert match_best(["云科技", "深圳市云科技有限公"], index, FuzzyOptions()) == [
        FuzzyResult(0, 100.0, False), FuzzyResult(2, 94.74, False)]


@settings(max_examples=200, deadline=None)
@given(tuples=st.lists(st.lists(st.integers(0, 49), min_size=4, max_size=4, unique=True).map(sorted),
                       min_size=1, max_size=30))
def test_tuple_keys_are_equal_for_equal_tuples_and_exact_when_they_fit(tuples):
    columns = [np.array(c, dtype=np.int64) for c in zip(*tuples)]
    exact = _tuple_key(columns, 50, 40).tolist()  # 50**4 < 2**40: the digits in base 50
    assert exact == [((a * 50 + b) * 50 + c) * 50 + d for a, b, c, d in tuples]
    hashed = _tuple_key(columns, 50, 20).tolist()  # 50**4 > 2**20: hashed into 20 bits
    assert all(0 <= h < 2**20 for h in hashed)
    for x, y, t, u in zip(hashed, hashed[1:] + hashed[:1], tuples, tuples[1:] + tuples[:1]):
        assert t != u or x == y


@settings(max_examples=200, deadline=None)
@given(
    values=st.lists(st.integers(0, 40), max_size=30),
    bounds=st.lists(st.tuples(st.integers(-2, 42), st.integers(-2, 42)), min_size=1, max_size=20),
    look=st.sampled_from([1, 2, 3, 8]),
)
def test_count_below_equals_two_binary_searches(values, bounds, look):
    # What _Tuples.pairs reads of a key's run: the entries from lo's place that are below hi, none when
    # hi <= lo; read from a few values on, with a binary search only where they are all below hi.
    # The index is followed by `look` values above every bound (its padding).
    packed = np.sort(np.asarray(values, dtype=np.int64))
    padded = np.concatenate([packed, np.full(look, np.iinfo(np.int64).max)])
    lo = np.asarray([a for a, _ in bounds], dtype=np.int64)
    hi = np.asarray([b for _, b in bounds], dtype=np.int64)
    begin = np.searchsorted(packed, lo)
    expected = np.maximum(np.searchsorted(packed, hi) - begin, 0)
    assert _count_below(padded, begin, hi, look).tolist() == expected.tolist()
    # The same with the binary search in two levels, as the index makes it.
    sample = packed[::2]
    assert _count_below(padded, begin, hi, look, lambda v: _search(padded, sample, 2, v)).tolist() == \
        expected.tolist()


@settings(max_examples=300, deadline=None)
@given(
    values=st.lists(st.integers(0, 60), max_size=80),
    needles=st.lists(st.integers(-2, 62), min_size=1, max_size=40),
    shift=st.integers(0, 7),
)
def test_the_two_level_search_equals_a_binary_search(values, needles, shift):
    # _search finds a value's place through every step-th entry, then by halving in one block: the same
    # place as a binary search over the whole array, whether the index is empty, shorter than a block,
    # a run of equal values crosses blocks, or a value is below or above every entry.
    step = 2**shift
    packed = np.sort(np.asarray(values, dtype=np.int64))
    padded = np.concatenate([packed, np.full(step, np.iinfo(np.int64).max)])
    x = np.asarray(needles, dtype=np.int64)
    assert _search(padded, packed[::step].copy(), step, x).tolist() == np.searchsorted(packed, x).tolist()


def test_the_index_is_searched_in_two_levels():
    # A key's holders are found through the sample: the index's own searches equal binary searches over
    # it, at sample steps from 1 (every entry) to one step larger than the index.
    rng = random.Random(3)
    firms = ["".join(rng.choice(ALPHABET) for _ in range(rng.randint(6, 14))) for _ in range(400)]
    for step in (1, 4, 256, 2**20):
        with patch.object(fuzzy, "_SAMPLE_STEP", step):
            tuples = ChoiceIndex(firms, list(range(len(firms))), tuples=True, tuple_size=4)._tuples(87.0)
        packed = tuples.packed
        assert packed.size > 1000 and tuples._sample.size == -(-packed.size // step)
        x = np.concatenate([packed[::7], packed[::5] + 1, packed[::3] - 1, [-1, 0, packed[-1] + 5]])
        assert tuples.search(x).tolist() == np.searchsorted(packed, x).tolist()


def test_the_index_in_plain_pages_is_the_same_index():
    # From _PLAIN_PAGES_FROM bytes on (64 MB: scale 10 and more), the tuples' index is written into memory
    # mapped for it (_fresh_int64); here from 0 bytes on, against numpy's own array.
    rng = random.Random(7)
    firms = ["".join(rng.choice(ALPHABET) for _ in range(rng.randint(4, 14))) for _ in range(300)]
    queries = [f[:-1] + rng.choice(ALPHABET) for f in firms[:60]]
    plain = ChoiceIndex(firms, list(range(len(firms))), tuples=True, tuple_size=4)
    with patch.object(fuzzy, "_PLAIN_PAGES_FROM", 0):
        mapped = ChoiceIndex(firms, list(range(len(firms))), tuples=True, tuple_size=4)
        assert isinstance(mapped._tuples(87.0)._padded.base.obj, mmap.mmap)  # a view of the mapped memory
    assert plain._tuples(87.0)._padded.flags.owndata
    assert mapped._tuples(87.0).packed.tolist() == plain._tuples(87.0).packed.tolist()
    assert mapped._tuples(87.0).packed.size > 0
    options = FuzzyOptions(workers=1)
    assert match_best(queries, mapped, options) == match_best(queries, plain, options)
