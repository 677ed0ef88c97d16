"""`Snapshot.groupings` (sql/group_metrics_sets.sql: every grouping in one query, what `firms tables` reads)
gives, grouping by grouping, exactly what `Snapshot.metrics` (sql/group_metrics.sql, one query per
grouping; cross-checked against a plain-polars reference in test_crosscheck.py) gives: the same rows in
the same order, the same dtypes, the same values bit for bit.

On the generated folder of test_crosscheck (seed 1: patents co-applied within a city, across cities of one
region and across regions, by up to three firms; firms in several classes; blank cities and provinces),
at its four snapshots and in both tech modes; with selections of regions and cities; on the hand-worked
folder; and over no firm at all.
"""

from __future__ import annotations

import itertools

import polars as pl
import pytest
from analytics_data import ingested
from polars.testing import assert_frame_equal
from rawfiles import write
from reference_metrics import DIMENSIONS

from fintech_firms.analytics.metrics import Snapshot, SnapshotOptions
from fintech_firms.errors import InputError
from fintech_firms.ingest.pipeline import IngestOptions, ingest
from fintech_firms.ingest.progress import Quiet
from fintech_firms.models.runner import Engine

SUBSETS = [tuple(c) for r in range(len(DIMENSIONS) + 1) for c in itertools.combinations(DIMENSIONS, r)]
ORDERS = [("tech", "region"), ("city", "province"), ("tech", "city", "region", "province")]
SNAPSHOTS = [(None, 1), (2014, 1), (None, 0), (2019, 3)]
MODES = ["primary", "any"]
SELECTIONS = [
    {"region": ["京津冀", "长三角", "粤港澳大湾区"]},
    {"region": ["粤港澳大湾区", "京津冀", "长三角"]},  # another order: the same firms
    {"city": ["深圳", "北京", "上海"]},
    {"region": ["粤港澳大湾区"], "city": ["深圳", "北京"]},
    {"region": []},  # no firm
]


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    with Engine(ingested(tmp_path_factory, 1)) as opened:
        yield opened


def same(got: pl.DataFrame, want: pl.DataFrame) -> None:
    assert got.columns == want.columns
    assert dict(got.schema) == dict(want.schema)
    assert_frame_equal(got, want, check_exact=True)  # the same order too: the tables rank by position


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("snapshot", SNAPSHOTS, ids=lambda s: f"Y{s[0] or 'max'}-min{s[1]}")
def test_every_grouping_equals_its_own_query(engine, snapshot, mode):
    snap = Snapshot(engine, SnapshotOptions(snapshot[0], mode, snapshot[1]))
    groupings = snap.groupings()
    assert groupings.frame.get_column("dimensions").n_unique() == 16
    for by in SUBSETS + ORDERS:
        for with_total in (False, True):
            same(groupings.metrics(by, with_total=with_total), snap.metrics(by, with_total=with_total))


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("selection", SELECTIONS, ids=lambda s: "+".join(f"{k}{len(v)}" for k, v in s.items()))
def test_selections_equal_their_own_queries(engine, selection, mode):
    snap = Snapshot(engine, SnapshotOptions(None, mode, 1))
    groupings = snap.groupings(selection)
    for by in [(), ("region",), ("tech",), ("city",), ("tech", "region"), ("region", "city")]:
        same(groupings.metrics(by, with_total=True), snap.metrics(by, with_total=True, selection=selection))


def test_a_selection_is_computed_once_whatever_its_order(engine):
    snap = Snapshot(engine, SnapshotOptions())
    first = snap.groupings({"region": ["京津冀", "长三角"]})
    assert snap.groupings({"region": ["长三角", "京津冀"]}) is first
    assert snap.groupings({"region": ["京津冀"]}) is not first
    assert snap.groupings() is snap.groupings({})


def test_an_unknown_selection_is_an_error(engine):
    snap = Snapshot(engine, SnapshotOptions())
    with pytest.raises(InputError, match="no firm has region '东北'"):
        snap.groupings({"region": ["京津冀", "东北"]})


def test_no_firm_at_all_still_has_a_total_row(engine):
    snap = Snapshot(engine, SnapshotOptions(2000, "primary", 1))  # before every patent
    groupings = snap.groupings()
    assert groupings.frame.is_empty()
    total = groupings.metrics(())
    assert total.row(0) == (0, 0, None, 0, 0, None, 0, None, 0, 0, 0, None)
    same(total, snap.metrics(()))
    same(groupings.metrics(("region",), with_total=True), snap.metrics(("region",), with_total=True))


# The hand-worked folder of test_crosscheck: P2 (甲 深圳, 丙 北京) and P3 (丙 北京, 乙 广州) are co-applied
# across regions, P1 (甲 深圳, 乙 广州) across two cities of one region.
TINY = {
    "firms": "name,city,tracks,rd_staff\n甲科技有限公司,深圳,人工智能;区块链,100\n乙数据有限公司,广州,大数据,\n"
             "丙网络有限公司,北京,元宇宙;云计算;人工智能,50\n丁信息有限公司,惠州,,10\n戊金融有限公司,,新能源汽车,7\n"
             "己智能有限公司,深圳,物联网,30\n",
    "patents": "app_no,applicants,app_date\n201910000001,甲科技有限公司;乙数据有限公司,2019-05-01\n"
               "202020000002,甲科技有限公司、丙网络有限公司,\n202110000003,丙网络有限公司,2021-03-03\n"
               "201830000004,丁信息有限公司;张三,2018\n202120000005,戊金融有限公司,\n202110000006,张三,2021-08-08\n"
               "201710000007,甲科技有限公司,\n202110000003,乙数据有限公司,\n",
}


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    folder = tmp_path_factory.mktemp("tiny-groupings")
    (folder / "raw").mkdir()
    for name, text in TINY.items():
        write(folder / "raw" / f"{name}.csv", text)
    ingest(folder / "raw", folder / "parquet", IngestOptions(), Quiet())
    with Engine(folder / "parquet") as opened:
        yield opened


def test_hand_worked_patent_counts(tiny):
    # Y = 2021. 粤港澳大湾区: 甲 (P1 P2 P7) and 乙 (P1 P3): P1 once, so 4; 京津冀: 丙 (P2 P3), 2;
    # all: P1-P5 and P7, 6. By city: 深圳 3, 广州 2, 北京 2, 惠州 1, no city 1.
    for mode in MODES:
        groupings = Snapshot(tiny, SnapshotOptions(tech_mode=mode)).groupings()
        by_region = groupings.metrics(("region",), with_total=True)
        assert dict(zip(by_region["region"], by_region["patents"], strict=True)) == {
            "粤港澳大湾区": 4, "京津冀": 2, "其他": 1, "未知": 1, "ALL": 6}
        by_city = groupings.metrics(("city",))
        assert dict(zip(by_city["city"], by_city["patents"], strict=True)) == {
            "深圳": 3, "广州": 2, "北京": 2, "惠州": 1, None: 1}
    # tech any: 甲 is in ai and blockchain, 丙 in cloud and ai: P2 (甲, 丙) is once in ai.
    by_tech = Snapshot(tiny, SnapshotOptions(tech_mode="any")).groupings().metrics(("tech",))
    assert dict(zip(by_tech["tech"], by_tech["patents"], strict=True)) == {
        "ai": 4, "big_data": 2, "blockchain": 3, "cloud": 2, "unclassified": 2}
    assert dict(zip(by_tech["tech"], by_tech["firms"], strict=True)) == {
        "ai": 2, "big_data": 1, "blockchain": 1, "cloud": 1, "unclassified": 2}
