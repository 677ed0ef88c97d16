"""ingest.applicant_links: the patents' applicant keys linked a part at a time while they are parsed
give the links of linking them all at once."""

from __future__ import annotations

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from fintech_firms.ingest.applicant_links import LinksAsParsed
from fintech_firms.ingest.linking import Linker, attach_links
from fintech_firms.rules.fuzzy import FuzzyOptions

FIRMS = ["深圳市甲乙科技有限公司", "北京丙丁数据有限公司", "上海戊己智能有限公司", "杭州庚辛云计算有限公司"]
NAMES = [*FIRMS, "深圳市甲乙科技有限公", "北京丙丁数据有限责任公司", "上海戊己智能", "某大学", "", "张三",
         "杭州庚辛云计算有限公司。"]


def _linker() -> Linker:
    usccs = pl.DataFrame({"uscc": pl.Series([], dtype=pl.Utf8), "firm_id": pl.Series([], dtype=pl.Int64)})
    names = pl.DataFrame({"name_key": FIRMS, "firm_id": list(range(1, len(FIRMS) + 1))})
    former = pl.DataFrame({"name_key": ["北京丙丁数据有限责任公司"], "firm_id": [3]})
    return Linker(usccs, names, former, FuzzyOptions(threshold=90, margin=3), None)


def _keys(names: list[str]) -> pl.DataFrame:
    return pl.DataFrame({"key_id": pl.Series(range(1, len(names) + 1), dtype=pl.UInt32), "applicant_key": names})


def _whole(keys: pl.DataFrame, linker: Linker) -> pl.DataFrame:
    return attach_links(keys, linker, "applicant_key", None)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.sampled_from(NAMES), min_size=1, max_size=12, unique=True), st.data())
def test_parts_linked_as_found_give_the_links_of_the_whole(names: list[str], data) -> None:
    linker = _linker()
    keys = _keys(names)
    cuts = sorted(data.draw(st.sets(st.integers(1, len(names)), max_size=3)))
    found = LinksAsParsed()
    start = 0
    for cut in cuts:
        found.add(keys.slice(start, cut - start))
        if data.draw(st.booleans()):
            found.link_found(linker)  # some parts linked while "parsing", the others at the end
        start = cut
    assert found.links(keys, linker).equals(_whole(keys, linker))


def test_parts_that_are_not_the_keys_first_rows_are_linked_again() -> None:
    """A parse that starts over (its chunks stopped) numbers its keys again: what it handed over first
    is not reused."""
    linker = _linker()
    keys = _keys(NAMES[:6])
    found = LinksAsParsed()
    found.add(_keys(["某大学", "张三"]))  # the first start's keys
    found.link_found(linker)
    found.add(keys.slice(0, 3))
    found.link_found(linker)
    assert found.links(keys, linker).equals(_whole(keys, linker))


def test_keys_after_close_are_not_kept() -> None:
    linker = _linker()
    keys = _keys(NAMES[:4])
    found = LinksAsParsed()
    found.add(keys.slice(0, 2))
    found.close()  # step after step: linked all at once, after the parse
    found.add(keys.slice(2, 2))
    found.link_found(linker)
    assert found._found == [] and found._linked == []
    assert found.links(keys, linker).equals(_whole(keys, linker))


def test_keys_are_linked_once_as_many_wait_as_are_linked(monkeypatch) -> None:
    """Each call has a fixed cost: the few new keys of each chunk wait until they are as many as the
    keys linked already, so that there are a few calls, not one a chunk."""
    from fintech_firms.ingest import applicant_links

    linker = _linker()
    keys = _keys(NAMES[:10])
    calls: list[int] = []
    real = applicant_links.attach_links

    def counted(frame, *args, **kwargs):
        calls.append(frame.height)
        return real(frame, *args, **kwargs)

    monkeypatch.setattr(applicant_links, "attach_links", counted)
    found = LinksAsParsed()
    for start, size in [(0, 4), (4, 1), (5, 1), (6, 3)]:
        found.add(keys.slice(start, size))
        found.link_found(linker)
    assert calls == [4, 5]  # 1 and then 2 waiting are fewer than the 4 linked; 1 + 1 + 3 are not
    links = found.links(keys, linker)
    assert calls == [4, 5, 1]
    monkeypatch.setattr(applicant_links, "attach_links", real)
    assert links.equals(_whole(keys, linker))
