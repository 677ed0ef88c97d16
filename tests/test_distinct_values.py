"""ingest/columns.DistinctValues against its definition: over chunks read one after another, a value's
code is 1 + its index among the distinct values in the order they are first seen (0 is the mapping's
own), null stays null, and each chunk reports the values it saw first, by code."""

from __future__ import annotations

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from fintech_firms.ingest.columns import DistinctValues

TEXT = st.one_of(st.none(), st.sampled_from(["a", "b", "", " a", "甲公司", "A"]), st.text(max_size=20))


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(TEXT, max_size=40), min_size=1, max_size=5))
def test_codes_follow_first_sight_across_chunks(chunks: list[list[str | None]]) -> None:
    values = DistinctValues(keep=True)
    seen: dict[str, int] = {}
    for chunk in chunks:
        codes, new = values.codes(pl.Series(chunk, dtype=pl.Utf8))
        before = len(seen)
        for value in chunk:
            if value is not None and value not in seen:
                seen[value] = len(seen) + 1
        assert codes.dtype == pl.UInt32
        assert codes.to_list() == [None if v is None else seen[v] for v in chunk]
        firsts = [(code, value) for value, code in seen.items() if code > before]
        assert [row for row in new.rows() if row[0] != 0] == firsts
        assert values.count == len(seen) + 1
    everything = pl.Series([None, *seen.values()], dtype=pl.UInt32)
    assert values.decode(everything).to_list() == [None, *seen]
