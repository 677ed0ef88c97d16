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


def _patent_rows(numbers: list[str]):
    from fintech_firms.tabular.reader import ROW, RawTable

    frame = pl.DataFrame({"app_no": numbers, "applicants": ["甲公司;乙公司"] * len(numbers),
                          ROW: list(range(2, len(numbers) + 2))}, schema_overrides={ROW: pl.Int64})
    return RawTable("patents.csv", "utf-8", ["app_no", "applicants"], ["app_no", "applicants"], frame,
                    rows_read=len(numbers))


def test_patents_come_out_in_string_order_with_or_without_the_integer_order():
    from fintech_firms.ingest.ledger import Ledger
    from fintech_firms.ingest.patents import build_patents

    numbers = [_canonical(d) for d in ["202110000001", "00123456", "99123456", "201910000002"]]
    # Year 8600 is allowed by this max_year, and sorts among the 8-digit numbers: the strings order it.
    numbers_late = [*numbers, _canonical("860010000003")]
    for written, expected_fallback in ((numbers, False), (numbers_late, True)):
        assert (_app_no_order(pl.Series(written)) is None) == expected_fallback
        result = build_patents(_patent_rows([*written, written[0]]), Ledger(), 9999)
        assert result.patents["app_no"].to_list() == sorted(written)
        assert result.patents["patent_id"].to_list() == list(range(1, len(written) + 1))
        assert result.patents.filter(pl.col("app_no") == written[0])["records"].item() == 2
        # Each patent's applicants in file order, positions from 1.
        assert result.applicants["app_no"].to_list() == [n for n in sorted(written) for _ in range(2)]
        assert result.applicants["position"].to_list() == [1, 2] * len(written)
