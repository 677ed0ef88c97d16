"""The financing table's investor lists, built with polars, must equal the scalar rules' lists:
unique_in_order over split_list of each cell of an event, in order."""

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from fintech_firms.ingest.financing import _first_by_name, _name_lists, _names
from fintech_firms.rules.names import split_list, unique_in_order

# Separators, full-width forms, spaces, letters whose case folds, a ", Ltd." suffix: the cases where
# splitting or normalising could differ.
_CELL = st.one_of(st.none(), st.text(alphabet="红杉ＩＤＧidg資本资本 ;；,，、|｜()（）\u3000", max_size=12),
                  st.sampled_from(["Sequoia Capital, Ltd.", "IDG资本; idg资本", "红杉中国、 红杉中国 ,高瓴"]))


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(_CELL, max_size=4), max_size=8))
def test_investor_lists_equal_the_scalar_rules(events):
    frame = pl.DataFrame({"investors": events}, schema={"investors": pl.List(pl.Utf8)})
    got = _name_lists(_names(frame, "investors"), frame.height).to_list()
    want = [unique_in_order(n for cell in cells if cell is not None for n in split_list(cell)) for cells in events]
    assert got == want


def test_an_event_without_investors_has_an_empty_list():
    frame = pl.DataFrame({"investors": [["红杉中国;IDG资本", "idg资本"], [], [None]]},
                         schema={"investors": pl.List(pl.Utf8)})
    assert _name_lists(_names(frame, "investors"), 3).to_list() == [["红杉中国", "IDG资本"], [], []]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 3), st.sampled_from(["红杉中国", "红杉 中国", "IDG资本", "idg资本", "ＩＤＧ资本",
                                                               "高瓴（HK）", "高瓴(hk)"])), max_size=12))
def test_top_vc_names_once_per_event_equal_the_scalar_rule(rows):
    """_first_by_name (each event's top-tier leads once) is unique_in_order over each event's rows."""
    rows = sorted(rows, key=lambda r: r[0])  # an event's rows together, in their order
    named = pl.DataFrame(rows, schema={"_e": pl.Int64, "item": pl.Utf8}, orient="row")
    got = _name_lists(_first_by_name(named), 4).to_list()
    assert got == [unique_in_order(item for e, item in rows if e == event) for event in range(4)]
