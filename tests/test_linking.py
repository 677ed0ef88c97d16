"""Linking rules of contract §2 on small frames, and the report's count of unlinked rows."""


import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rawfiles import write

from fintech_firms.ingest.linking import AMBIGUOUS, NO_MATCH, Link, Linker, Override, Overrides, attach_links
from fintech_firms.ingest.pipeline import ingest
from fintech_firms.rules.fuzzy import FuzzyOptions
from fintech_firms.rules.uscc import check_char

A, B = "甲科技有限公司", "乙科技有限公司"


def linker(**fuzzy):
    return Linker(
        usccs={"914403001922038216": 1},
        names={"甲科技有限公司": {1}, "乙科技有限公司": {2}},
        former={"甲网络有限公司": {1}, "乙科技有限公司": {3}, "旧名有限公司": {2, 3}},
        fuzzy=FuzzyOptions(**fuzzy),
    )


def test_link_order_and_ambiguity():
    links = linker().link_all([
        ("", "914403001922038216"),  # a valid USCC wins whatever the name
        ("乙科技有限公司", "914403001922038216"),
        ("甲科技有限公司", None),
        ("甲网络有限公司", None),
        ("乙科技有限公司", None),  # firm 2's name and firm 3's former name: two firms
        ("旧名有限公司", None),  # two firms' former name
        ("甲科枝有限公司", None),  # one character off in 7: 200*6/14 = 85.7, under 90
        ("张三", None),
        ("", None),
    ])
    assert list(links.values()) == [
        Link(1, "uscc", 100.0),
        Link(1, "uscc", 100.0),
        Link(1, "exact", 100.0),
        Link(1, "former_name", 100.0),
        Link(None, None, None, AMBIGUOUS),
        Link(None, None, None, AMBIGUOUS),
        Link(None, None, None, NO_MATCH),
        Link(None, None, None, NO_MATCH),
        Link(None, None, None, NO_MATCH),
    ]


def test_an_invalid_or_unknown_uscc_falls_back_to_the_name():
    links = linker().link_all([("甲科技有限公司", "914403001922038217"), ("甲科技有限公司", "91110000802100433B")])
    assert list(links.values()) == [Link(1, "exact", 100.0), Link(1, "exact", 100.0)]



def test_unlinked_names_are_counted_in_input_rows(raw, tmp_path):
    write(raw / "firms.csv", f"name,city\n{A},深圳\n")
    # The same application twice, both naming 张三: one patent, but two input rows carry the name.
    write(raw / "patents.csv",
          f"app_no,applicants\n201610920041.1,{A};张三\nCN2016109200411,张三\n201620289943.5,张三;清华大学\n")
    write(raw / "financing.csv", "firm_name,date,round\n丙公司,2020-01-01,A轮\n丙公司,2020/1/1,Series A\n")
    report = ingest(raw, tmp_path / "out")
    assert report["unlinked_names"] == [
        {"name": "张三", "rows": 3, "by_table": {"patents": 3}},
        {"name": "丙公司", "rows": 2, "by_table": {"financing": 2}},
        {"name": "清华大学", "rows": 1, "by_table": {"patents": 1}},
    ]
    assert report["unlinked_distinct_names"] == 3
    applicants = pl.read_parquet(tmp_path / "out" / "patent_applicants.parquet")
    assert applicants.select("app_no", "applicant", "firm_id").rows() == [
        ("201610920041.1", A, 1), ("201610920041.1", "张三", None),
        ("201620289943.5", "张三", None), ("201620289943.5", "清华大学", None)]


# link_frame (joins, what ingest runs) must decide every pair as link_all (the rules, one pair at a
# time) does: random firms, names, USCCs and links.csv decisions over a small alphabet, so that exact,
# former, shared and fuzzy names all occur.
_CHARS = "甲乙丙科技有限公司网络"
_NAMES = st.text(alphabet=_CHARS, min_size=0, max_size=8)


def _uscc(first17: str) -> str:
    return first17 + check_char(first17)


_CODES = [_uscc("91440300192203821"), _uscc("91110000802100433"), _uscc("91310000MA1FL0000")]


@settings(max_examples=150, deadline=None)
@given(
    names=st.dictionaries(_NAMES.filter(bool), st.sets(st.integers(1, 6), min_size=1, max_size=2), max_size=8),
    former=st.dictionaries(_NAMES.filter(bool), st.sets(st.integers(1, 6), min_size=1, max_size=2), max_size=4),
    owners=st.lists(st.integers(1, 6), min_size=3, max_size=3),
    pairs=st.lists(st.tuples(_NAMES, st.sampled_from([None, "", *_CODES, _CODES[0].lower(), "91440300192203821X",
                                                      " " + _CODES[1]])), max_size=25, unique=True),
    decisions=st.dictionaries(_NAMES, st.sampled_from(["none", *_CODES, "甲科技"]), max_size=3),
    threshold=st.sampled_from([60.0, 90.0, 101.0]),
)
def test_link_frame_decides_as_link_all(names, former, owners, pairs, decisions, threshold):
    usccs = dict(zip(_CODES[:2], owners))  # the third code belongs to no firm
    overrides = Overrides([Override(i + 1, n, d) for i, (n, d) in enumerate(decisions.items()) if n and d])

    def make(frames: bool):
        # The ingest hands the indexes over as frames of (key, firm) rows; tests and small inputs as mappings.
        indexes = ((_frame(list(usccs.items())), _frame([(k, f) for k, fs in names.items() for f in fs]),
                    _frame([(k, f) for k, fs in former.items() for f in fs])) if frames else (usccs, names, former))
        return Linker(*indexes, FuzzyOptions(threshold=threshold, workers=1), overrides)

    scalar, joined = make(False), make(True)
    want = scalar.link_all(pairs)
    frame = pl.DataFrame(pairs, schema={"name": pl.Utf8, "uscc": pl.Utf8}, orient="row")
    got = joined.link_frame(frame)
    assert got.select("name", "uscc").rows() == pairs
    assert [Link(*row) for row in got.select("firm_id", "link_method", "link_score", "unlinked").rows()] == [
        want[p] for p in pairs]
    assert joined.override_report() == scalar.override_report()


def _frame(pairs: list[tuple[str, int]]) -> pl.DataFrame:
    return pl.DataFrame(pairs, schema={"key": pl.Utf8, "firm_id": pl.Int64}, orient="row")


@pytest.mark.parametrize("uscc", [None, "uscc_key"])
def test_attach_links_gives_each_row_its_own_keys_links(uscc):
    # Repeated, blank and missing keys: each row gets the links of its own (name, USCC) pair.
    frame = pl.DataFrame({
        "row": [0, 1, 2, 3, 4, 5, 6],
        "name_key": ["甲科技有限公司", "乙科技有限公司", "甲网络有限公司", None, "张三", "甲科技有限公司", ""],
        "uscc_key": [None, "914403001922038216", None, "914403001922038216", None, None, None],
    })
    expected = attach_links(frame, linker(), "name_key", uscc)
    assert expected["firm_id"].to_list() == [1, 1 if uscc else None, 1, 1 if uscc else None, None, 1, None]
    assert expected.select("row", "name_key", "uscc_key").equals(frame)


def test_the_names_step_keeps_only_rows_of_the_same_name_and_falls_back_to_the_text():
    # link_frame finds a name's row by its 64-bit hash, then checks the row's name. Forced here: a
    # firm's name (A) stored under the hash of a name no firm carries must not link that name to A's
    # firm; and with the hashes set aside (as when two firms' names share one) the text join decides.
    names = [A, "甲网络有限公司", "张三", B, "旧名有限公司", None, ""]
    frame = pl.DataFrame({"name": names, "uscc": [None] * len(names)}, schema={"name": pl.Utf8, "uscc": pl.Utf8})
    scalar = linker(threshold=101.0)
    want = scalar.link_all([(n, None) for n in names])
    decided = [Link(*row) for row in linker(threshold=101.0).link_frame(frame)
               .select("firm_id", "link_method", "link_score", "unlinked").rows()]
    assert decided == [want[(n, None)] for n in names]
    assert decided[2] == Link(None, None, None, NO_MATCH)

    colliding = linker(threshold=101.0)
    colliding._name_frame()
    assert colliding._hashes is not None
    stranger = pl.Series(["张三"]).hash().item()
    colliding._hashes = colliding._hashes.with_columns(
        pl.when(colliding._names["name"] == A).then(pl.lit(stranger, dtype=pl.UInt64)).otherwise("_hash")
        .alias("_hash"))
    got = colliding.link_frame(frame)
    assert got["firm_id"].to_list()[2] is None and got["unlinked"].to_list()[2] == NO_MATCH

    text = linker(threshold=101.0)
    text._name_frame()
    text._hashes = None
    assert [Link(*row) for row in text.link_frame(frame).select(
        "firm_id", "link_method", "link_score", "unlinked").rows()] == decided
