"""Linking rules of contract §2 on small frames, and the report's count of unlinked rows."""


import polars as pl
from rawfiles import write

from fintech_firms.ingest.linking import AMBIGUOUS, NO_MATCH, Link, Linker
from fintech_firms.ingest.pipeline import ingest
from fintech_firms.rules.fuzzy import FuzzyOptions

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
