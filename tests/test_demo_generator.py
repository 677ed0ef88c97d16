"""The demo raw-data generator (fintech_firms.demo): the plan is realised exactly after ingest, the
files are byte-identical for a seed, and the names it writes link as intended.

The plan used here is a synthetic one of the real plan's shape (every city of the default regions
table, six tech classes, 42,186 firms and about 940k patents at scale 1), run at small scales.
"""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from rapidfuzz import fuzz, process

import fintech_firms
from fintech_firms.demo import names as nm
from fintech_firms.demo.financing import (
    ROUNDS,
    TOP_VC_NEAR,
    non_top_investors,
    top_vc_names,
)
from fintech_firms.demo.firms import build_firms
from fintech_firms.demo.generate import FILES, DemoSummary, generate
from fintech_firms.demo.patents import allocate_shared, candidate_index, make_typos
from fintech_firms.demo.plan import (
    BUSY_CITIES,
    COUNT_COLUMNS,
    PLAN_COLUMNS,
    TECHS,
    check_plan,
    load_plan,
    reference_table,
    scale_plan,
    shared_patents,
)
from fintech_firms.ingest.pipeline import IngestOptions, ingest
from fintech_firms.ingest.progress import Quiet
from fintech_firms.rules.names import normalize_name
from fintech_firms.rules.patents import app_no_check_char
from fintech_firms.rules.rounds import normalize_round
from fintech_firms.rules.uscc import is_valid_uscc

PLAN_CSV = Path(fintech_firms.__file__).parent / "demo" / "plan.csv"
SCALE = 0.03


def example_plan(total_firms: int = 42_186, patents_per_firm: float = 22.3, seed: int = 7) -> pl.DataFrame:
    """A plan of the real one's shape: firms concentrated in a few cities, every city and class."""
    rng = np.random.default_rng(seed)
    regions = reference_table("regions")
    cities = regions["city"].to_list()
    big = {"北京": 0.22, "深圳": 0.14, "上海": 0.13, "杭州": 0.07, "广州": 0.05, "成都": 0.03, "南京": 0.03,
           "武汉": 0.025, "苏州": 0.025, "西安": 0.02}
    rest = [c for c in cities if c not in big]
    share = 1 / np.arange(1, len(rest) + 1) ** 0.8
    share = share / share.sum() * (1 - sum(big.values()))
    city_w = np.array([big.get(c, 0.0) for c in cities])
    for c, w in zip(rest, share):
        city_w[cities.index(c)] = w
    tech_w = np.array([0.25, 0.08, 0.22, 0.15, 0.12, 0.18])
    quota = np.outer(city_w, tech_w) * rng.uniform(0.5, 1.5, (len(cities), len(TECHS)))
    quota = quota / quota.sum() * total_firms
    firms = np.floor(quota).astype(np.int64)
    firms.flat[np.argsort(-(quota - firms), axis=None, kind="stable")[: total_firms - firms.sum()]] += 1
    rows = []
    for i, city in enumerate(cities):
        for j, tech in enumerate(TECHS):
            f = int(firms[i, j])
            if f == 0:
                continue
            p = max(f, round(f * patents_per_firm * rng.uniform(0.6, 1.4)))
            rows.append({"region": regions["region"][i], "city": city, "tech": tech, "firms": f,
                         "hightech_firms": round(f * rng.uniform(0.35, 0.65)), "patents": p,
                         "invention_patents": round(p * rng.uniform(0.5, 0.75)),
                         "rd_staff": round(f * rng.uniform(40, 120)),
                         "top_vc_leads": round(f * rng.uniform(0.02, 0.1))})
    return check_plan(pl.DataFrame(rows))


PLAN = example_plan()


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> tuple[Path, Path, DemoSummary]:
    """The demo folder of PLAN at SCALE, and its ingest."""
    base = tmp_path_factory.mktemp("demo")
    summary = generate(base / "raw", scale=SCALE, plan=PLAN)
    ingest(base / "raw", base / "parquet", IngestOptions(), Quiet())
    return base / "raw", base / "parquet", summary


# --- the plan and its scaling -----------------------------------------------------------------------

def test_example_plan_has_the_real_shape():
    assert PLAN["firms"].sum() == 42_186
    assert 900_000 < PLAN["patents"].sum() < 1_000_000
    assert PLAN.columns == list(PLAN_COLUMNS)


def test_scale_plan_is_the_identity_at_1():
    assert scale_plan(PLAN, 1).equals(PLAN)


@pytest.mark.parametrize("scale", [0.01, 0.02, 0.05, 0.37, 1.5, 3, 10])
def test_scale_plan_totals_and_invariants(scale):
    scaled = scale_plan(PLAN, scale)
    assert scaled.columns == list(PLAN_COLUMNS)
    assert scaled["firms"].sum() == math.floor(PLAN["firms"].sum() * scale + 0.5)
    assert (scaled["firms"] > 0).all()
    assert (scaled["hightech_firms"] <= scaled["firms"]).all() and (scaled["hightech_firms"] >= 0).all()
    assert (scaled["patents"] >= scaled["firms"]).all()
    assert (scaled["invention_patents"] <= scaled["patents"]).all()
    assert (scaled.select(COUNT_COLUMNS).min_horizontal() >= 0).all()
    # The other counts follow the scale (each cell's ratios kept, so the totals come close).
    for column in ("patents", "invention_patents", "rd_staff", "top_vc_leads", "hightech_firms"):
        assert scaled[column].sum() == pytest.approx(PLAN[column].sum() * scale, rel=0.1 if scale < 0.1 else 0.02)
    # Cells keep their place in the plan's order.
    kept = PLAN.join(scaled.select("city", "tech"), on=["city", "tech"], how="semi")
    assert kept.select("city", "tech").equals(scaled.select("city", "tech"))
    check_plan(scaled)


def test_scale_plan_toy():
    toy = pl.DataFrame({
        "region": ["京津冀", "粤港澳大湾区", "长三角"], "city": ["北京", "深圳", "杭州"], "tech": ["ai", "iot", "cloud"],
        "firms": [3, 1, 2], "hightech_firms": [3, 0, 1], "patents": [9, 1, 5], "invention_patents": [9, 0, 2],
        "rd_staff": [300, 0, 41], "top_vc_leads": [2, 0, 1]})
    half = scale_plan(toy, 0.5)
    assert half["firms"].sum() == 3  # round(6 * 0.5)
    assert half.to_dicts() == [
        {"region": "京津冀", "city": "北京", "tech": "ai", "firms": 2, "hightech_firms": 2, "patents": 6,
         "invention_patents": 6, "rd_staff": 200, "top_vc_leads": 1},
        {"region": "长三角", "city": "杭州", "tech": "cloud", "firms": 1, "hightech_firms": 1, "patents": 3,
         "invention_patents": 1, "rd_staff": 21, "top_vc_leads": 1},
    ]
    double = scale_plan(toy, 2)
    assert double["firms"].to_list() == [6, 2, 4] and double["patents"].to_list() == [18, 2, 10]
    assert double["rd_staff"].to_list() == [600, 0, 82]


@pytest.mark.parametrize("change, message", [
    ({"patents": [2]}, "patents < firms"),
    ({"hightech_firms": [4]}, "hightech_firms"),
    ({"invention_patents": [10]}, "invention_patents"),
    ({"tech": ["fintech"]}, "unknown tech"),
    ({"region": ["长三角"]}, "not in the regions table"),
])
def test_check_plan_refuses_impossible_rows(change, message):
    row = {"region": ["京津冀"], "city": ["北京"], "tech": ["ai"], "firms": [3], "hightech_firms": [1],
           "patents": [9], "invention_patents": [5], "rd_staff": [10], "top_vc_leads": [0]}
    with pytest.raises(ValueError, match=message):
        check_plan(pl.DataFrame({**row, **change}))


def test_scale_must_be_positive():
    with pytest.raises(ValueError):
        scale_plan(PLAN, 0)
    assert shared_patents(1) == 3000 and shared_patents(0.02) == 60 and shared_patents(10) == 30_000


# --- the generated folder after ingest ----------------------------------------------------------------

def test_plan_is_realised_exactly(demo):
    _, parquet, summary = demo
    plan = scale_plan(PLAN, SCALE)
    got = fintech_firms.aggregate(parquet, by=["region", "city", "tech"], as_of=2021)
    joined = plan.join(got.select("region", "city", "tech", *COUNT_COLUMNS), on=["region", "city", "tech"],
                       how="full", suffix="_got", coalesce=True)
    assert joined.height == plan.height == got.height
    for column in COUNT_COLUMNS:
        assert joined[column].to_list() == joined[f"{column}_got"].to_list(), column
    total = fintech_firms.aggregate(parquet, by=[], as_of=2021)
    assert total["firms"].item() == plan["firms"].sum() == summary.universe_firms
    # The default snapshot is the latest application year.
    assert fintech_firms.aggregate(parquet, by=["tech"]).equals(fintech_firms.aggregate(parquet, by=["tech"], as_of=2021))


def test_report_counts_match_the_summary(demo):
    raw, parquet, summary = demo
    con = fintech_firms.connect(parquet)

    def one(sql):
        return con.sql(sql).fetchall()[0][0]

    assert one("select count(*) from firms") == summary.distinct_firms
    assert summary.firm_records == summary.distinct_firms + summary.duplicate_firm_records
    assert one("select count(*) from firms where records > 1") == summary.duplicate_firm_records
    assert one("select count(*) from patents") == summary.distinct_patents
    assert one("select count(*) from quarantine where source = 'patents.csv'") == summary.invalid_patent_rows
    assert one("select count(*) from quarantine where source <> 'patents.csv'") == 0
    assert one("select count(*) from financing") == summary.financing_events
    assert one("select count(*) from hightech") == summary.hightech_certificates
    assert one("select sum(records) - count(*) from patents") == summary.duplicate_patent_rows
    assert one("select max(app_year) from patents") == 2021
    fuzzy = one("select count(*) from patent_applicants where link_method = 'fuzzy'")
    assert fuzzy == summary.typo_applicants > 0
    assert one("select count(distinct applicant_key) from patent_applicants where link_method = 'fuzzy'") \
        == summary.typo_names
    assert one("select count(*) from patent_applicants where link_method = 'former_name'") \
        == summary.former_name_applicants > 0
    assert one("select count(*) from patent_applicants where unlinked = 'ambiguous'") == 0
    # Each typo is one character off a name of the firm it links to.
    rows = con.sql("""select pa.applicant_key, f.names, f.former_names from patent_applicants pa
                      join firms f using (firm_id) where pa.link_method = 'fuzzy'""").fetchall()
    for key, names, formers in rows:
        best = max(fuzz.ratio(key, normalize_name(x)) for x in list(names) + list(formers or []))
        assert best >= 91
    for name in FILES:
        assert (raw / name).is_file()


def test_only_universe_firms_hold_patents_and_cities(demo):
    _, parquet, summary = demo
    con = fintech_firms.connect(parquet)
    holders = con.sql("select count(distinct firm_id) from patent_applicants where firm_id is not null").fetchall()[0][0]
    assert holders == summary.universe_firms
    # Cities outside the table and blank cities belong to firms without patents.
    outside = con.sql("""select count(*) from firms f where region in ('其他', '未知')
                         and exists (select 1 from patent_applicants pa where pa.firm_id = f.firm_id)""").fetchall()[0][0]
    assert outside == 0
    regions = set(con.sql("select distinct region from firms").pl()["region"])
    assert {"其他", "未知"} <= regions
    cities = set(con.sql("select distinct city from firms where region = '其他'").pl()["city"])
    assert cities <= {c for c, _, _ in nm.UNLISTED_CITIES}


def test_shared_patents_follow_the_rule(demo):
    _, parquet, summary = demo
    con = fintech_firms.connect(parquet)
    per_patent = con.sql("""
        with pf as (select distinct pa.app_no, f.region, f.city, f.tech from patent_applicants pa
                    join firms f using (firm_id))
        select app_no, count(distinct (city, tech)) as cells, count(distinct region) as regions,
               count(distinct tech) as techs,
               count(distinct city) filter (where city in ('北京', '深圳', '上海')) as busy
        from pf group by app_no having count(distinct (city, tech)) > 1""").pl()
    assert per_patent.height == shared_patents(SCALE) == summary.shared_patents
    assert (per_patent["cells"] == 2).all() and (per_patent["regions"] == 2).all()
    assert (per_patent["techs"] == 2).all() and (per_patent["busy"] <= 1).all()
    within = con.sql("""select count(*) from (select app_no from patent_applicants where firm_id is not null
                        group by app_no having count(distinct firm_id) > 1)""").fetchall()[0][0]
    assert within > per_patent.height  # co-applicants of the same cell too


def test_financing_and_certificates(demo):
    _, parquet, summary = demo
    con = fintech_firms.connect(parquet)
    top = con.sql("""select count(*) from financing fi join firms f using (firm_id)
                     where fi.is_top_vc_led and exists (select 1 from patent_applicants pa where pa.firm_id = f.firm_id)
                  """).fetchall()[0][0]
    assert top == summary.top_vc_led_events == scale_plan(PLAN, SCALE)["top_vc_leads"].sum()
    assert con.sql("select count(*) from financing where year > 2021").fetchall()[0][0] > 0
    assert con.sql("select sum(records) - count(*) from financing").fetchall()[0][0] == summary.duplicate_financing_rows
    assert con.sql("select count(*) from financing where firm_id is null").fetchall()[0][0] > 0
    assert con.sql("select count(*) from hightech where firm_id is null").fetchall()[0][0] > 0
    assert con.sql("select sum(records) - count(*) from hightech").fetchall()[0][0] == summary.duplicate_hightech_rows
    years = con.sql("select min(issue_year), max(issue_year) from hightech").fetchall()[0]
    assert years[0] <= 2012 and years[1] == 2024


def test_raw_files_carry_the_mess(demo):
    raw, _, summary = demo
    firms = pl.read_csv(raw / "firms.csv", encoding="gb18030", infer_schema=False)
    assert firms.columns == ["企业名称", "统一社会信用代码", "曾用名", "省份", "城市", "所属赛道", "研发人员数量",
                             "是否有专利转让许可", "成立日期"]
    assert firms.height == summary.firm_records
    with pytest.raises(UnicodeDecodeError):
        (raw / "firms.csv").read_bytes().decode("utf-8")
    assert firms["研发人员数量"].str.contains(",").any()
    assert firms["城市"].str.contains("省").any() and firms["城市"].is_null().any()
    assert firms["企业名称"].str.contains(" ").any() and firms["企业名称"].str.contains("（").any()
    patents = pl.read_csv(raw / "patents.csv", infer_schema=False)
    assert patents.columns == ["app_no", "applicants", "patent_type", "app_date", "ipc", "legal_status"]
    for pattern in (r"^CN\d{12}\.[\dX]$", r"^\d{13}$", r"^\d{12}$", r"^CN \d{4} \d{4} \d{4}\.[\dX]$", r"^ZL",
                    r"^\d{8}\.[\dX]$"):
        assert patents["app_no"].str.contains(pattern).any(), pattern
    for sep in (";", "；", "、"):
        assert patents["applicants"].str.contains(sep, literal=True).any()
    assert patents["app_date"].str.contains("年").any() and patents["app_date"].is_null().any()
    financing = pl.read_csv(raw / "financing.csv", infer_schema=False)
    assert financing.columns == ["firm_name", "uscc", "date", "round", "amount", "lead_investors", "investors"]
    assert (financing["firm_name"].is_null() & financing["uscc"].is_not_null()).any()
    # Every financing date is a full date (a bare year would make another event key).
    assert financing["date"].str.contains(r"^\d{4}([-/]\d{1,2}[-/]\d{1,2}|\d{4}|年\d{1,2}月\d{1,2}日)$").all()


# --- determinism -------------------------------------------------------------------------------------

def test_same_seed_same_bytes(tmp_path):
    first = generate(tmp_path / "a", scale=0.02, plan=PLAN)
    second = generate(tmp_path / "b", scale=0.02, plan=PLAN)
    other = generate(tmp_path / "c", scale=0.02, plan=PLAN, seed=7)
    assert first == second
    for name in FILES:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name
        assert (tmp_path / "a" / name).read_bytes() != (tmp_path / "c" / name).read_bytes(), name
    assert other.universe_firms == first.universe_firms


def test_refuses_a_folder_with_a_second_file_for_a_table(tmp_path):
    (tmp_path / "hightech.csv").write_text("name,issue_date\n")
    with pytest.raises(FileExistsError):
        generate(tmp_path, scale=0.01, plan=PLAN)


def test_too_small_a_plan_for_the_shared_patents(tmp_path):
    tiny = PLAN.filter(pl.col("city") == "北京")  # one region: no pair of cells may share
    with pytest.raises(ValueError, match="shared patents"):
        generate(tmp_path, plan=tiny, scale=1)


# --- names, codes and the safety checks ------------------------------------------------------------------

@pytest.fixture(scope="module")
def firms():
    return build_firms(scale_plan(PLAN, 0.05), np.random.default_rng(1))


def test_names_are_unique_and_normalised_as_the_engine_does(firms):
    f = firms.frame
    assert f["norm"].to_list() == [normalize_name(x) for x in f["name"]]
    assert f["norm"].to_list() == [normalize_name(x) for x in f["variant"]]
    assert (f["name"] != f["variant"]).all()
    formers = f["former"].drop_nulls()
    assert f["former_norm"].drop_nulls().to_list() == [normalize_name(x) for x in formers]
    every = pl.concat([f["norm"], f["former_norm"].drop_nulls(), f["former2_norm"].drop_nulls()])
    assert every.n_unique() == every.len()
    cores = f["core"].to_numpy()
    assert len(set(cores)) == cores.size and all(len(set(c)) == 4 for c in cores)


def test_cores_differ_in_two_places():
    cores = nm.unique_cores(np.random.default_rng(3), 3000)
    arr = np.array([list(c) for c in cores])
    for i in range(0, 3000, 97):
        assert ((arr != arr[i]).sum(axis=1)[np.arange(3000) != i] >= 2).all()


def test_usccs_and_application_numbers_follow_the_rules(firms):
    f = firms.frame
    kinds = f["uscc_kind"].to_numpy()
    usccs = f["uscc"].to_list()
    assert [is_valid_uscc(u) for u, k in zip(usccs, kinds) if k != 1] == [k == 0 for k in kinds if k != 1]
    written = [u for u, k in zip(usccs, kinds) if k != 1]
    assert len(set(written)) == len(written)
    rng = np.random.default_rng(5)
    twelve = rng.integers(2003, 2022, 500) * 10 ** 8 + rng.integers(1, 4, 500) * 10 ** 7 + rng.integers(0, 10 ** 7, 500)
    assert nm.app_no_checks(twelve, 12).tolist() == [app_no_check_char(str(x)) for x in twelve]
    eight = rng.integers(0, 10 ** 8, 500)
    assert nm.app_no_checks(eight, 8).tolist() == [app_no_check_char(f"{x:08d}") for x in eight]


def test_typos_link_to_their_firm_with_room_to_spare(firms):
    """Every typo against every firm name by brute force (this also checks the candidate filter)."""
    index = candidate_index(firms)
    typos = make_typos(firms, index, 150, np.random.default_rng(2))
    assert len(typos) >= 140
    queries = list(typos.values())
    owners = np.array(list(typos), dtype=np.int64)
    scores = process.cdist(queries, index.names.tolist(), scorer=fuzz.ratio, workers=-1)
    for q, owner in enumerate(owners):
        mine = scores[q][index.firms == owner].max()
        others = scores[q][index.firms != owner].max()
        assert mine >= 91 and others <= mine - 4, (queries[q], mine, others)
        assert queries[q] not in index.exact
    # The filtered search finds the same best other score as scoring every pair.
    best = index.best_other(queries, owners, cutoff=80.0)
    brute = np.array([scores[q][(index.firms != o)].max() for q, o in enumerate(owners)])
    assert np.allclose(best, np.where(brute >= 80, brute, 0), atol=1e-3)


def test_non_top_investors_are_far_from_every_top_tier_name():
    others = non_top_investors()
    assert others == list(nm.OTHER_INVESTORS)  # none had to be dropped
    top = [normalize_name(x) for x in top_vc_names()]
    for name in others:
        key = normalize_name(name)
        assert key not in top
        assert max(fuzz.ratio(key, t) for t in top) < TOP_VC_NEAR


def test_round_spellings_normalise_to_their_round():
    for canonical, _, spellings in ROUNDS:
        assert {normalize_round(s) for s in spellings} == {canonical}


def test_shared_allocation_respects_the_capacities():
    plan = scale_plan(PLAN, 0.05)
    shared = allocate_shared(plan, 150, np.random.default_rng(4))
    assert shared.height == 150
    region, tech, city = (plan[c].to_numpy() for c in ("region", "tech", "city"))
    o, g = shared["owner"].to_numpy(), shared["guest"].to_numpy()
    assert (region[o] != region[g]).all() and (tech[o] != tech[g]).all()
    assert not (np.isin(city[o], list(BUSY_CITIES)) & np.isin(city[g], list(BUSY_CITIES))).any()
    guests = shared.group_by("guest").agg(pl.len().alias("g"), pl.col("invention").sum().alias("gi"))
    joined = plan.with_row_index("guest").with_columns(pl.col("guest").cast(pl.Int64)).join(guests, on="guest")
    assert (joined["patents"] - joined["g"] >= joined["firms"]).all()


@pytest.mark.skipif(not PLAN_CSV.exists(), reason="the packaged plan.csv is not there yet")
def test_packaged_plan_is_realised(tmp_path):
    plan = load_plan()
    scaled = scale_plan(plan, 0.02)
    generate(tmp_path / "raw", scale=0.02)
    ingest(tmp_path / "raw", tmp_path / "parquet", IngestOptions(), Quiet())
    got = fintech_firms.aggregate(tmp_path / "parquet", by=["region", "city", "tech"], as_of=2021)
    joined = scaled.join(got, on=["region", "city", "tech"], how="left")
    for column in COUNT_COLUMNS:
        assert joined[column].to_list() == joined[f"{column}_right"].to_list(), column


def test_certificates_beyond_a_worksheet_go_to_csv_and_ingest_the_same(tmp_path, monkeypatch):
    # Scale 100 writes 4.7 million certificates, beyond a worksheet's rows: a small limit stands in.
    from fintech_firms.demo import generate as generator

    small = 0.01
    as_xlsx = generate(tmp_path / "xlsx", seed=5, scale=small)
    monkeypatch.setattr(generator, "XLSX_MAX_ROWS", as_xlsx.hightech_rows)  # the header no longer fits
    as_csv = generate(tmp_path / "csv", seed=5, scale=small)
    assert as_xlsx.files == FILES
    assert as_csv.files == ("firms.csv", "patents.csv", "financing.csv", "hightech.csv", "city_stats.csv")
    assert sorted(p.name for p in (tmp_path / "csv").iterdir()) == sorted(as_csv.files)
    assert as_csv == dataclasses.replace(as_xlsx, files=as_csv.files)
    for name in ("xlsx", "csv"):
        ingest(tmp_path / name, tmp_path / f"{name}-out", IngestOptions(), Quiet())
    for table in ("firms", "hightech"):
        a = pl.read_parquet(tmp_path / "xlsx-out" / f"{table}.parquet").drop("source", strict=False)
        b = pl.read_parquet(tmp_path / "csv-out" / f"{table}.parquet").drop("source", strict=False)
        assert a.equals(b), table
