"""The polars fast path for plain CSV text reads exactly what the csv-module path reads."""

from hypothesis import given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from fintech_firms.tabular.reader import _build, _csv_rows, _from_frame, _read_plain

CELL = st.text(alphabet=st.sampled_from(list("ab 甲乙\t|;、")), max_size=4)


def canonical(header: str) -> str:
    return header.lower()


@settings(max_examples=300, deadline=None)
@given(
    header=st.lists(st.sampled_from(["name", "city", "x", "y", "备注"]), min_size=1, max_size=4, unique=True),
    rows=st.lists(st.one_of(st.lists(CELL, max_size=5), st.just([])), max_size=8),
    delimiter=st.sampled_from([",", "\t"]),
    crlf=st.booleans(),
    final_newline=st.booleans(),
)
def test_fast_path_equals_csv_module_path(header, rows, delimiter, crlf, final_newline):
    cells = [[c.replace(delimiter, "") for c in row] for row in rows]
    newline = "\r\n" if crlf else "\n"
    text = newline.join(delimiter.join(row) for row in [header, *cells]) + (newline if final_newline else "")
    plain = _read_plain(text, delimiter)
    heads, body = _csv_rows(text, delimiter, "t.csv")
    slow = _build("t.csv", heads, body, "utf-8", False, canonical, set())
    if plain is None:
        # only texts the fast path cannot read exactly: a record wider than the header
        assert any(len(r) > len(header) for r in cells if any(c.strip() for c in r)) or slow.rejected or \
            any(len(r) > len(header) for r in cells)
        return
    fast = _from_frame("t.csv", plain, "utf-8", canonical, set())
    assert (fast.headers, fast.columns, fast.rows_read, fast.blank_rows) == (
        slow.headers, slow.columns, slow.rows_read, slow.blank_rows)
    assert fast.rejected == slow.rejected == []
    assert_frame_equal(fast.frame, slow.frame)
