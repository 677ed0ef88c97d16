"""The integer that orders canonical application numbers (ingest/patents.py) orders them as strings."""

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from fintech_firms.ingest.patents import _app_no_order
from fintech_firms.rules.patents import app_no_check_char, parse_app_no


def _canonical(digits: str) -> str:
    return f"{digits}.{app_no_check_char(digits)}"


# Every block and its edges: 8-digit numbers of 2000-2003 and 1985-1999, 12-digit ones of 1985-2026,
# X check characters among them.
EDGES = ["00000000", "03999999", "85000000", "99999999", "198500000000", "202699999999", "200310000000",
         "201810000001"]


def _is_string_order(numbers: list[str]) -> bool:
    order = _app_no_order(pl.Series(numbers, dtype=pl.String))
    assert order is not None and order.null_count() == 0
    by_key = [n for _, n in sorted(zip(order.to_list(), numbers))]
    return by_key == sorted(numbers) and order.n_unique() == len(set(numbers))


def test_the_blocks_and_their_edges_keep_string_order():
    numbers = [_canonical(d) for d in EDGES]
    assert any(n.endswith("X") for n in [_canonical(f"2020{i:08d}") for i in range(40)])
    numbers += [_canonical(f"2020{i:08d}") for i in range(40)] + [_canonical(f"{i:08d}") for i in range(40)]
    assert _is_string_order(numbers)


valid_numbers = st.one_of(
    st.integers(1985, 2026).flatmap(lambda y: st.integers(0, 10**8 - 1).map(lambda r: f"{y}{r:08d}")),
    st.sampled_from([*range(85, 100), *range(0, 4)]).flatmap(
        lambda yy: st.integers(0, 10**6 - 1).map(lambda r: f"{yy:02d}{r:06d}")),
).map(_canonical)


@settings(max_examples=200, deadline=None)
@given(st.lists(valid_numbers, min_size=1, max_size=60))
def test_any_valid_numbers_keep_string_order(numbers):
    assert all(parse_app_no(n).error is None for n in numbers)
    assert _is_string_order(numbers)


def test_numbers_outside_the_blocks_give_no_order():
    # A 12-digit number of the year 8500 (a max_year no ingest uses) would sort among the 8-digit ones.
    assert _app_no_order(pl.Series([_canonical("850012345678"), _canonical("201812345678")])) is None
