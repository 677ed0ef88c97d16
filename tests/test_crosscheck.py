"""`fintech_firms.aggregate` (DuckDB SQL) against an independent plain-polars reference.

- The reference (tests/reference_metrics.py) is itself checked first, on a tiny raw folder whose every
  metric is worked out by hand below from docs/data-contract.md.
- Then both implementations run on a generated folder (tests/analytics_data.py, seed 1: 300 firms,
  2,500 patent rows): every subset of {region, province, city, tech} (16, the empty one included) and
  a few other orders, both tech modes, with and without the total row, and four (as_of, min_patents)
  snapshots (see CASES). The frames must agree on
  column names and order, dtypes, and every value after sorting by the dimension columns (nulls last).
  Ratios are compared exactly: both sides divide the same two integers.
"""

from __future__ import annotations

import itertools
import shutil

import polars as pl
import pytest
from analytics_data import ingested
from polars.testing import assert_frame_equal
from rawfiles import write
from reference_metrics import DIMENSIONS, METRICS, reference_aggregate

from fintech_firms import aggregate
from fintech_firms.analytics.metrics import Snapshot, SnapshotOptions
from fintech_firms.ingest.pipeline import IngestOptions, ingest
from fintech_firms.ingest.progress import Quiet
from fintech_firms.models.catalog import STORED
from fintech_firms.models.runner import AnalyticsError, Engine

SUBSETS = [list(c) for r in range(len(DIMENSIONS) + 1) for c in itertools.combinations(DIMENSIONS, r)]
ORDERS = [["tech", "region"], ["city", "province"], ["province", "region"],
          ["tech", "city", "region", "province"]]
MODES = ["primary", "any"]
# (as_of, min_patents): the default snapshot, an early year, every firm, a middle year with a threshold
DEFAULT, OTHER_SNAPSHOTS = (None, 1), [(2014, 1), (None, 0), (2019, 3)]
# Every order-free subset and a few orders, both modes, at every snapshot, with the total row (which
# holds every group row of the call without it); without the total row at the default snapshot. The SQL
# side shares one DuckDB connection per module (see `snapshots`), as `firms tables` does; a sample of
# cases also goes through `aggregate()` itself.
CASES = [(by, mode, as_of, min_patents, total)
         for as_of, min_patents in [DEFAULT, *OTHER_SNAPSHOTS] for mode in MODES
         for by in SUBSETS + ORDERS
         for total in ((False, True) if (as_of, min_patents) == DEFAULT else (True,))]
SEED = 1


def case_id(case) -> str:
    by, mode, as_of, min_patents, total = case
    return f"{','.join(by) or 'none'}-{mode}-Y{as_of or 'max'}-min{min_patents}{'-total' if total else ''}"


COUNT_COLUMNS = ["firms", "hightech_firms", "patents", "invention_patents", "rd_staff",
                 "financing_events", "c_plus_events", "top_vc_leads"]
SCHEMA_METRICS = {m: (pl.Int64 if m in COUNT_COLUMNS else pl.Float64) for m in METRICS}


def expected_schema(by):
    return {**{d: pl.String for d in by}, **SCHEMA_METRICS}


def sorted_by(frame: pl.DataFrame, by) -> pl.DataFrame:
    return frame.sort(by, nulls_last=True, maintain_order=True) if by else frame


def assert_same(actual: pl.DataFrame, expected: pl.DataFrame, by) -> None:
    assert actual.columns == expected.columns
    assert dict(actual.schema) == dict(expected.schema)
    assert_frame_equal(sorted_by(actual, by), sorted_by(expected, by), check_exact=True)


# ---------------------------------------------------------------------------------------------------
# The reference checked by hand.
#
# Firms (region from the regions table; tracks in order; rd_staff):
#   甲 深圳 粤港澳大湾区 广东省  人工智能;区块链        100  primary ai;        any ai, blockchain
#   乙 广州 粤港澳大湾区 广东省  大数据                 -    primary big_data;  any big_data
#   丙 北京 京津冀       北京市  元宇宙;云计算;人工智能  50   primary cloud;     any cloud, ai
#   丁 惠州 其他         null    -                      10   unclassified
#   戊 -    未知         null    新能源汽车             7    unclassified (only an unknown track)
#   己 深圳 粤港澳大湾区 广东省  物联网                 30   iot; no patents at all
# Patents (year from app_date or the number; type from the number's 5th digit):
#   P1 2019 invention 甲 乙     P2 2020 utility 甲 丙     P3 2021 invention 丙 (+ 乙 in a second row)
#   P4 2018 design    丁 张三   P5 2021 utility 戊        P6 2021 invention 张三 only
#   P7 2017 invention 甲
#   Y = 2021. Patents per firm: 甲 P1 P2 P7; 乙 P1 P3; 丙 P2 P3; 丁 P4; 戊 P5; 己 none.
# Financing (C-and-later: C, Pre-IPO; top-tier lead: 红杉资本, IDG资本, 高瓴, 腾讯, 红杉):
#   甲 2018 B 红杉资本 (top); 甲 2020 C 星河资本 (c+); 甲 2022 D 红杉 (after Y); 乙 2021 Pre-IPO IDG资本
#   (c+, top); 丙 2019 Pre-C 高瓴 (top, not c+); 丁 2016 天使轮; 己 2020 A 腾讯 (top); an unknown firm's C.
# High-tech certificates (valid issue year .. issue year + 2):
#   甲 2019 (2019-2021), 乙 2018 (2018-2020), 丙 2021 from cert_no only, 戊 2017 (2017-2019), 己 2020.

TINY_FIRMS = """name,city,tracks,rd_staff
甲科技有限公司,深圳,人工智能;区块链,100
乙数据有限公司,广州,大数据,
丙网络有限公司,北京,元宇宙;云计算;人工智能,50
丁信息有限公司,惠州,,10
戊金融有限公司,,新能源汽车,7
己智能有限公司,深圳,物联网,30
"""
TINY_PATENTS = """app_no,applicants,app_date
201910000001,甲科技有限公司;乙数据有限公司,2019-05-01
202020000002,甲科技有限公司、丙网络有限公司,
202110000003,丙网络有限公司,2021-03-03
201830000004,丁信息有限公司;张三,2018
202120000005,戊金融有限公司,
202110000006,张三,2021-08-08
201710000007,甲科技有限公司,
202110000003,乙数据有限公司,
"""
TINY_FINANCING = """firm_name,date,round,lead_investors
甲科技有限公司,2018-03-01,B轮,红杉资本
甲科技有限公司,2020-06-01,C轮,星河资本
甲科技有限公司,2022-01-01,D轮,红杉
乙数据有限公司,2021-07-01,Pre-IPO,IDG资本
丙网络有限公司,2019-01-01,Pre-C,高瓴
丁信息有限公司,2016-05-05,天使轮,
某某无关公司,2019-01-01,C轮,红杉
己智能有限公司,2020-01-01,A轮,腾讯
"""
TINY_HIGHTECH = """name,cert_no,issue_date
甲科技有限公司,GR201944000001,2019-10-01
乙数据有限公司,GR201844000002,2018-11-01
丙网络有限公司,GR202111000003,
戊金融有限公司,GR201744000004,2017-01-01
己智能有限公司,GR202044000005,2020-06-01
"""


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    folder = tmp_path_factory.mktemp("tiny")
    raw = folder / "raw"
    raw.mkdir()
    for name, text in [("firms", TINY_FIRMS), ("patents", TINY_PATENTS),
                       ("financing", TINY_FINANCING), ("hightech", TINY_HIGHTECH)]:
        write(raw / f"{name}.csv", text)
    ingest(raw, folder / "parquet", IngestOptions(), Quiet())
    return folder / "parquet"


def frame(by, rows) -> pl.DataFrame:
    """Rows of (*dimension values, firms, hightech_firms, patents, invention_patents, rd_staff,
    financing_events, c_plus_events, top_vc_leads); the ratios are derived here."""
    data = pl.DataFrame(rows, schema={**{d: pl.String for d in by}, **{c: pl.Int64 for c in COUNT_COLUMNS}},
                        orient="row")

    def ratio(num, den):
        return pl.when(pl.col(den) == 0).then(None).otherwise(pl.col(num) / pl.col(den)).cast(pl.Float64)

    return data.with_columns(hightech_ratio=ratio("hightech_firms", "firms"),
                             invention_share=ratio("invention_patents", "patents"),
                             rd_per_firm=ratio("rd_staff", "firms"),
                             top_vc_leads_per_firm=ratio("top_vc_leads", "firms")).select([*by, *METRICS])


TOTAL_2021 = ("ALL", 5, 2, 6, 3, 167, 5, 2, 3)
HAND_CASES = {
    # by region, Y = 2021: P2 and P3 are co-applied across regions, so they count in both; P1 (甲, 乙)
    # counts once in 粤港澳大湾区; 甲's 2022 round is after Y; 己 has no patent so is not in the universe.
    "region": ({"by": ["region"], "with_total": True}, [
        ("粤港澳大湾区", 2, 1, 4, 3, 100, 3, 2, 2),
        ("京津冀", 1, 1, 2, 1, 50, 1, 0, 1),
        ("其他", 1, 0, 1, 0, 10, 1, 0, 0),
        ("未知", 1, 0, 1, 0, 7, 0, 0, 0),
        TOTAL_2021,
    ]),
    # tech any: 甲 is in ai and blockchain, 丙 in cloud and ai (its unknown first track is skipped); the
    # total still counts 5 firms and 6 patents.
    "tech-any": ({"by": ["tech"], "tech_mode": "any", "with_total": True}, [
        ("ai", 2, 2, 4, 3, 150, 3, 1, 2),
        ("big_data", 1, 0, 2, 2, 0, 1, 1, 1),
        ("blockchain", 1, 1, 3, 2, 100, 2, 1, 1),
        ("cloud", 1, 1, 2, 1, 50, 1, 0, 1),
        ("unclassified", 2, 0, 2, 0, 17, 1, 0, 0),
        TOTAL_2021,
    ]),
    "tech-primary": ({"by": ["tech"]}, [
        ("ai", 1, 1, 3, 2, 100, 2, 1, 1),
        ("big_data", 1, 0, 2, 2, 0, 1, 1, 1),
        ("cloud", 1, 1, 2, 1, 50, 1, 0, 1),
        ("unclassified", 2, 0, 2, 0, 17, 1, 0, 0),
    ]),
    # province: 惠州 (not in the table, no written province) and the blank city share the null group.
    "province": ({"by": ["province"]}, [
        ("广东省", 2, 1, 4, 3, 100, 3, 2, 2),
        ("北京市", 1, 1, 2, 1, 50, 1, 0, 1),
        (None, 2, 0, 2, 0, 17, 1, 0, 0),
    ]),
    # Y = 2019: patents P1 P4 P7 only; universe 甲 乙 丁; 甲 (2019) and 乙 (2018) are high-tech;
    # events up to 2019: 甲 B (top) and 丁 天使轮.
    "as-of-2019": ({"by": [], "as_of": 2019, "with_total": True}, [
        (3, 2, 3, 2, 110, 2, 0, 1),
        (3, 2, 3, 2, 110, 2, 0, 1),
    ]),
    # min_patents 0: 己 joins 深圳 (high-tech by its 2020 certificate, a top-tier A round).
    "city-every-firm": ({"by": ["city", "region"], "min_patents": 0}, [
        ("深圳", "粤港澳大湾区", 2, 2, 3, 2, 130, 3, 1, 2),
        ("广州", "粤港澳大湾区", 1, 0, 2, 2, 0, 1, 1, 1),
        ("北京", "京津冀", 1, 1, 2, 1, 50, 1, 0, 1),
        ("惠州", "其他", 1, 0, 1, 0, 10, 1, 0, 0),
        (None, "未知", 1, 0, 1, 0, 7, 0, 0, 0),
    ]),
    # min_patents 3: only 甲 (P1 P2 P7).
    "min-3": ({"by": [], "min_patents": 3}, [(1, 1, 3, 2, 100, 2, 1, 1)]),
    # Y = 2022 (after every patent): 甲's D round (top-tier, C-and-later) now counts; 甲's certificate
    # (2019-2021) has lapsed, 丙's (2021) and 己's (2020) are valid, 乙's (2018) is not.
    "as-of-2022": ({"by": ["region"], "as_of": 2022}, [
        ("粤港澳大湾区", 2, 0, 4, 3, 100, 4, 3, 3),
        ("京津冀", 1, 1, 2, 1, 50, 1, 0, 1),
        ("其他", 1, 0, 1, 0, 10, 1, 0, 0),
        ("未知", 1, 0, 1, 0, 7, 0, 0, 0),
    ]),
}


@pytest.mark.parametrize("case", list(HAND_CASES))
def test_reference_on_hand_worked_data(tiny, case):
    kwargs, rows = HAND_CASES[case]
    expected = frame(kwargs["by"], rows)
    assert_same(reference_aggregate(tiny, **kwargs), expected, kwargs["by"])


def test_hand_worked_ratios(tiny):
    # The ratios spelled out, so that `frame` is not the only place that divides.
    got = reference_aggregate(tiny, by=["tech"], tech_mode="any").sort("tech")
    assert got["tech"].to_list() == ["ai", "big_data", "blockchain", "cloud", "unclassified"]
    assert got["hightech_ratio"].to_list() == [1.0, 0.0, 1.0, 1.0, 0.0]
    assert got["invention_share"].to_list() == [0.75, 1.0, 2 / 3, 0.5, 0.0]
    assert got["rd_per_firm"].to_list() == [75.0, 0.0, 100.0, 50.0, 8.5]
    assert got["top_vc_leads_per_firm"].to_list() == [1.0, 1.0, 1.0, 1.0, 0.0]
    total = reference_aggregate(tiny, by=[], with_total=True)
    assert total.row(1) == (5, 2, 0.4, 6, 3, 0.5, 167, 33.4, 5, 2, 3, 0.6)


def test_reference_null_ratio_when_no_patents(tiny):
    # Y = 2016: no patent yet; with min_patents 0 every firm is in, and invention_share is null.
    got = reference_aggregate(tiny, by=[], as_of=2016, min_patents=0)
    assert got.row(0) == (6, 0, 0.0, 0, 0, None, 197, 197 / 6, 1, 0, 0, 0.0)


@pytest.mark.parametrize("case", list(HAND_CASES))
def test_aggregate_on_hand_worked_data(tiny, case):
    kwargs, rows = HAND_CASES[case]
    assert_same(aggregate(tiny, **kwargs), frame(kwargs["by"], rows), kwargs["by"])


# ---------------------------------------------------------------------------------------------------
# The cross-check on generated data.

@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    return ingested(tmp_path_factory, SEED)


def test_generated_data_has_the_edge_cases(generated):
    # Guard against a generator change that quietly removes what the cross-check is for.
    firms, tracks, patents, applicants, financing, hightech = (
        pl.read_parquet(generated / f"{t}.parquet")
        for t in ("firms", "firm_tracks", "patents", "patent_applicants", "financing", "hightech"))
    assert {"其他", "未知"} <= set(firms["region"])
    assert firms["province"].null_count() > 0 and firms["city"].null_count() > 0
    assert firms["rd_staff"].null_count() > 0
    assert "unclassified" in set(firms["tech"])
    assert tracks["tech"].null_count() > 0  # unknown tracks
    classes = tracks.drop_nulls("tech").group_by("firm_id").agg(pl.col("tech").n_unique())
    assert (classes["tech"] > 1).any()  # firms in several classes
    linked = applicants.drop_nulls("firm_id").join(firms.select("firm_id", "region", "city"), on="firm_id")
    spread = linked.group_by("app_no").agg(pl.len().alias("n"), pl.col("region").n_unique().alias("regions"),
                                           pl.col("city").n_unique().alias("cities"))
    co_applied = spread.filter(pl.col("n") > 1)
    assert (co_applied["cities"] == 1).any()  # co-applied within one city
    assert ((co_applied["regions"] == 1) & (co_applied["cities"] > 1)).any()  # one region, two cities
    assert (co_applied["regions"] > 1).any()  # across regions
    assert (spread["n"] == 3).any()
    assert applicants["firm_id"].null_count() > 0  # people and universities
    assert set(patents["patent_type"]) == {"invention", "utility", "design"}
    assert patents["app_year"].min() <= 2011 and patents["app_year"].max() == 2022
    assert financing["is_c_plus"].any() and financing["is_top_vc_led"].any()
    assert financing["firm_id"].null_count() > 0 and (financing["year"] > 2022).any()
    assert hightech["firm_id"].null_count() > 0 and hightech["issue_year"].n_unique() > 8
    assert len(firms) > linked["firm_id"].n_unique()  # firms without patents
    # the snapshots of CASES give different universes, and some group has no patent (a null ratio)
    sizes = [reference_aggregate(generated, by=[], as_of=a, min_patents=m)["firms"].item()
             for a, m in [DEFAULT, *OTHER_SNAPSHOTS]]
    assert len(set(sizes)) == 4, sizes
    early = reference_aggregate(generated, by=["city", "tech"], as_of=2014, min_patents=0)
    assert early["invention_share"].null_count() > 0


@pytest.fixture(scope="module")
def snapshots(generated):
    engine = Engine(generated)
    made: dict[tuple, Snapshot] = {}

    def snapshot(as_of, tech_mode, min_patents) -> Snapshot:
        key = (as_of, tech_mode, min_patents)
        if key not in made:
            made[key] = Snapshot(engine, SnapshotOptions(as_of, tech_mode, min_patents))
        return made[key]

    yield snapshot
    engine.close()


@pytest.mark.parametrize("case", CASES, ids=[case_id(c) for c in CASES])
def test_sql_metrics_match_reference(generated, snapshots, case):
    by, tech_mode, as_of, min_patents, with_total = case
    expected = reference_aggregate(generated, by=by, as_of=as_of, tech_mode=tech_mode,
                                   min_patents=min_patents, with_total=with_total)
    assert expected.columns == [*by, *METRICS]
    assert dict(expected.schema) == expected_schema(by)
    got = snapshots(as_of, tech_mode, min_patents).metrics(by, with_total=with_total)
    assert_same(got, expected, by)


@pytest.mark.parametrize("case", [c for c in CASES if len(c[0]) == 2 and c[4]][::4], ids=case_id)
def test_aggregate_api_matches_reference(generated, case):
    by, tech_mode, as_of, min_patents, with_total = case
    kwargs = {"by": by, "as_of": as_of, "tech_mode": tech_mode, "min_patents": min_patents,
              "with_total": with_total}
    assert_same(aggregate(generated, **kwargs), reference_aggregate(generated, **kwargs), by)


# ---------------------------------------------------------------------------------------------------
# The models that ingest stores beside the tables (models.STORED), and folders written without them.

@pytest.fixture(scope="module")
def without_stored(generated, tmp_path_factory):
    """The generated folder as an ingest from before the stored models would have left it."""
    folder = tmp_path_factory.mktemp("without_stored") / "parquet"
    shutil.copytree(generated, folder)
    for name in STORED:
        (folder / f"{name}.parquet").unlink()
    return folder


@pytest.mark.parametrize("name", STORED)
def test_stored_model_equals_the_model_run_on_the_tables(generated, without_stored, name):
    stored = pl.read_parquet(generated / f"{name}.parquet")
    with Engine(without_stored) as engine:
        computed = engine.frame(name, {})
    assert stored.height > 0
    assert_frame_equal(stored, computed.sort(computed.columns, nulls_last=True))


@pytest.mark.parametrize("case", [c for c in CASES if c[4]][::7], ids=case_id)
def test_a_folder_without_the_stored_models_gives_the_same_metrics(generated, without_stored, case):
    by, tech_mode, as_of, min_patents, with_total = case
    kwargs = {"by": by, "as_of": as_of, "tech_mode": tech_mode, "min_patents": min_patents,
              "with_total": with_total}
    assert_same(aggregate(without_stored, **kwargs), reference_aggregate(generated, **kwargs), by)


def test_a_folder_from_before_patent_ids_asks_for_a_new_ingest(without_stored, tmp_path):
    old = tmp_path / "parquet"
    shutil.copytree(without_stored, old)
    for table in ("patents", "patent_applicants"):
        pl.read_parquet(old / f"{table}.parquet").drop("patent_id").write_parquet(old / f"{table}.parquet")
    with pytest.raises(AnalyticsError, match="written by an older fintech_firms .* run `firms ingest` again"):
        aggregate(old, by=["region"])


def test_patent_ids_number_the_patents_and_match_their_applicants(generated):
    patents = pl.read_parquet(generated / "patents.parquet")
    applicants = pl.read_parquet(generated / "patent_applicants.parquet")
    assert patents["patent_id"].to_list() == list(range(1, patents.height + 1))
    assert patents["app_no"].is_sorted()
    joined = applicants.join(patents.select("app_no", pl.col("patent_id").alias("expected")), on="app_no")
    assert joined.height == applicants.height
    assert (joined["patent_id"] == joined["expected"]).all()
