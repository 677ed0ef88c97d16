"""The integer that stands for a canonical application number (rules/patents.py app_no_key) orders the
numbers as their strings do, and build_patents puts the patents in that order."""

from types import SimpleNamespace

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from fintech_firms.rules.patents import (
    KEY_BASE,
    app_no_check_char,
    app_no_from_key,
    app_no_key,
    app_no_keys,
    app_nos_from_keys,
    parse_app_no,
)


def _canonical(digits: str) -> str:
    return f"{digits}.{app_no_check_char(digits)}"


# 8-digit numbers of 2000-2003 and 1985-1999, 12-digit ones of 1985-9999, X check characters among them,
# and a 12-digit number beginning with an 8-digit one's digits (the 8-digit one sorts first: '.' < '0').
EDGES = ["00000000", "03999999", "85000000", "99999999", "198500000000", "202699999999", "200310000000",
         "201810000001", "850012345678", "85001234", "999999999999", "99999999"]


def _is_string_order(numbers: list[str]) -> bool:
    keys = app_no_keys(pl.Series(numbers, dtype=pl.String))
    assert keys.null_count() == 0
    assert keys.to_list() == [app_no_key(n) for n in numbers]
    assert app_nos_from_keys(keys).to_list() == numbers == [app_no_from_key(k) for k in keys.to_list()]
    by_key = [n for _, n in sorted(zip(keys.to_list(), numbers))]
    return by_key == sorted(numbers) and keys.n_unique() == len(set(numbers))


def test_the_edges_keep_string_order():
    numbers = [_canonical(d) for d in EDGES]
    assert any(n.endswith("X") for n in [_canonical(f"2020{i:08d}") for i in range(40)])
    numbers += [_canonical(f"2020{i:08d}") for i in range(40)] + [_canonical(f"{i:08d}") for i in range(40)]
    assert _is_string_order(numbers)


valid_numbers = st.one_of(
    st.integers(1985, 9999).flatmap(lambda y: st.integers(0, 10**8 - 1).map(lambda r: f"{y}{r:08d}")),
    st.sampled_from([*range(85, 100), *range(0, 4)]).flatmap(
        lambda yy: st.integers(0, 10**6 - 1).map(lambda r: f"{yy:02d}{r:06d}")),
    # Any digits: the key is defined for every canonical form, valid year or not.
    st.text(alphabet="0123456789", min_size=12, max_size=12),
    st.text(alphabet="0123456789", min_size=8, max_size=8),
).map(_canonical)


@settings(max_examples=300, deadline=None)
@given(st.lists(valid_numbers, min_size=1, max_size=60))
def test_any_numbers_keep_string_order(numbers):
    assert _is_string_order(numbers)


def _patent_rows(numbers: list[str]):
    from fintech_firms.tabular.reader import ROW, RawTable

    frame = pl.DataFrame({"app_no": numbers, "applicants": ["甲公司;乙公司"] * len(numbers),
                          ROW: list(range(2, len(numbers) + 2))}, schema_overrides={ROW: pl.Int64})
    return RawTable("patents.csv", "utf-8", ["app_no", "applicants"], ["app_no", "applicants"], frame,
                    rows_read=len(numbers))


def test_patents_come_out_in_string_order():
    from fintech_firms.ingest.ledger import Ledger
    from fintech_firms.ingest.patents import build_patents

    # Year 8600 is allowed by this max_year; its numbers begin like the 8-digit ones of 1986.
    written = [_canonical(d) for d in ["202110000001", "00123456", "99123456", "201910000002", "860010000003",
                                       "86001000"]]
    assert all(parse_app_no(n, max_year=9999).error is None for n in written)
    built = build_patents(_patent_rows([*written, written[0]]), Ledger(), 9999)
    result = SimpleNamespace(patents=built.patents.collect(), applicants=built.applicants.table().collect())
    assert result.patents["app_no"].to_list() == sorted(written)
    assert result.patents["patent_id"].to_list() == list(range(1, len(written) + 1))
    assert result.patents.filter(pl.col("app_no") == written[0])["records"].item() == 2
    # Each patent's applicants in file order, positions from 1.
    assert result.applicants["app_no"].to_list() == [n for n in sorted(written) for _ in range(2)]
    assert result.applicants["position"].to_list() == [1, 2] * len(written)


def test_every_tail_of_a_key_gives_its_number():
    """app_nos_from_keys' table of what follows the first eight digits, against app_no_from_key, for
    every tail of the keys of one 8-digit prefix and of the last one."""
    for first in (0, 20_201_234, 99_999_999):
        keys = pl.int_range(first * KEY_BASE, (first + 1) * KEY_BASE, dtype=pl.Int64, eager=True)
        assert app_nos_from_keys(keys).to_list() == [app_no_from_key(k) for k in keys.to_list()]
    assert app_nos_from_keys(pl.Series("k", [None, 11], dtype=pl.Int64)).to_list() == [None, "00000000" + "0000.0"]
