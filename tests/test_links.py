"""Linking you can check and correct: the review queue, links.csv overrides, and the evaluation.

The raw folder (three firms, nine applications, every score worked out with rapidfuzz.fuzz.ratio
= 200 * LCS / (len a + len b) on the normalised names):

  firm 1 深圳市博恒科技有限公司 (USCC 914403001922038216, 深圳)
  firm 2 北京博恒数据科技有限公司 (no USCC, 北京)
  firm 3 杭州云帆数据有限公司 (USCC 91110000802100433B, 杭州), former name 杭州云帆信息有限公司

  深圳市博恒数据科技有限公司 (13): firm 1 LCS 11 → 200*11/24 = 91.67, firm 2 LCS 10 → 80.00:
      fuzzy to firm 1, wrongly (it is firm 2), on two applications
  深圳博恒科技有限公司 (10): firm 1 LCS 10 → 95.24, firm 2 → 72.73: fuzzy to firm 1, wrongly (another firm)
  杭州云帆大数据技术有限公司 (13): firm 3 LCS 10 → 86.96: unlinked (under 90), near (over 80)
  杭州云帆数据信息服务有限公司 (14): firm 3 (and its former name) LCS 10 → 83.33: unlinked, near
  张伟, 清华大学: no firm within reach
"""

import json

import polars as pl
import pytest
from rawfiles import write
from typer.testing import CliRunner

from fintech_firms.analytics.metrics import aggregate
from fintech_firms.cli import app
from fintech_firms.ingest.pipeline import ingest
from fintech_firms.links.evaluate import evaluate
from fintech_firms.links.review import review
from fintech_firms.rules.fuzzy import ChoiceIndex, FuzzyOptions, decide_ranked, match_best, ranked_keys

F1, F2, F3 = "深圳市博恒科技有限公司", "北京博恒数据科技有限公司", "杭州云帆数据有限公司"
U1, U3 = "914403001922038216", "91110000802100433B"
WRONG, OTHER, NEAR1, NEAR2 = "深圳市博恒数据科技有限公司", "深圳博恒科技有限公司", "杭州云帆大数据技术有限公司", "杭州云帆数据信息服务有限公司"
FIRMS = f"name,uscc,city,former_names\n{F1},{U1},深圳,\n{F2},,北京,\n{F3},{U3},杭州,杭州云帆信息有限公司\n"
PATENTS = (
    "app_no,applicants\n"
    f"201610920041.1,{F1};张伟\n"
    f"201610920042.6,{WRONG}\n"
    f"201610920043.0,{WRONG};清华大学\n"
    f"201610920044.5,{OTHER}\n"
    f"201610920045.X,{NEAR1}\n"
    f"201610920046.4,{F2}\n"
    f"201610920047.9,{F3}\n"
    "201610920048.3,杭州云帆信息有限公司\n"
    f"201610920049.8,{NEAR2}\n"
)
TRUTH = (
    "name,firm\n"
    f"{F1},{U1}\n{WRONG},{F2}\n{OTHER},none\n{NEAR1},{U3}\n{NEAR2},{U3}\n{F2},{F2}\n{F3},{U3}\n"
    f"杭州云帆信息有限公司,{U3}\n张伟,none\n清华大学,none\n不在数据里的公司,none\n"
)


@pytest.fixture
def folder(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    write(raw / "firms.csv", FIRMS)
    write(raw / "patents.csv", PATENTS)
    ingest(raw, tmp_path / "out")
    write(tmp_path / "truth.csv", TRUTH)
    return tmp_path


def _patents_by_city(data):
    frame = aggregate(data, "city")
    return dict(zip(frame["city"].to_list(), frame["patents"].to_list()))


def test_review_lists_the_wrong_fuzzy_link_and_the_near_unlinked_names(folder):
    frame = review(folder / "out")
    assert frame.select("name", "rows", "tables", "example", "link", "score", "firm_uscc").rows() == [
        (WRONG, 2, "patents 2", "patents 201610920042.6", "fuzzy", 91.67, U1),
        (NEAR1, 1, "patents 1", "patents 201610920045.X", "no match", None, None),
        (NEAR2, 1, "patents 1", "patents 201610920049.8", "no match", None, None),
        (OTHER, 1, "patents 1", "patents 201610920044.5", "fuzzy", 95.24, U1),
    ]
    assert frame.select("candidate_1", "candidate_1_score", "candidate_2", "candidate_2_score").rows() == [
        (F1, 91.67, F2, 80.0), (F3, 86.96, None, None), (F3, 83.33, None, None), (F1, 95.24, None, None)]
    assert frame["decision"].null_count() == frame.height


def test_a_filled_review_file_fixes_the_links_and_the_figures(folder):
    assert _patents_by_city(folder / "out") == {"北京": 1, "杭州": 2, "深圳": 4}
    before = pl.read_parquet(folder / "out" / "patent_applicants.parquet")
    raw = folder / "raw"
    result = CliRunner().invoke(app, ["links", "review", "--data", str(folder / "out"),
                                      "--out", str(raw / "links.csv")])
    assert result.exit_code == 0, result.output
    filled = pl.read_csv(raw / "links.csv").with_columns(
        pl.Series("decision", [F2, U3, None, "none"]), pl.Series("note", ["same firm", None, None, "other firm"]))
    # Stale: a name that occurs nowhere, and a firm that does not exist.
    filled = pl.concat([filled, pl.DataFrame({"name": ["不存在的名字", "张伟"],
                                              "decision": ["none", "上海不存在科技有限公司"]})], how="diagonal")
    filled.write_csv(raw / "links.csv")
    report = ingest(raw, folder / "out")

    applicants = pl.read_parquet(folder / "out" / "patent_applicants.parquet")
    # Nothing but the decided names changed.
    decided = [WRONG, NEAR1, OTHER]
    assert applicants.filter(~pl.col("applicant").is_in(decided)).equals(
        before.filter(~pl.col("applicant").is_in(decided)))
    by_name = {r[0]: r[1:] for r in applicants.select("applicant", "firm_id", "link_method", "unlinked").rows()}
    assert by_name[WRONG] == (2, "manual", None)
    assert by_name[NEAR1] == (3, "manual", None)
    assert by_name[OTHER] == (None, None, "manual: none")
    assert by_name[NEAR2] == (None, None, "no match")  # left blank in the review: not an override
    assert report["links"]["patents"] == {
        "uscc": 0, "exact": 3, "former_name": 1, "fuzzy": 0, "manual": 3, "ambiguous": 0, "no match": 3,
        "manual: none": 1}
    assert report["link_overrides"] == {"entries": 5, "used": 3, "stale": [
        {"row": 5, "name": "不存在的名字", "decision": "none", "reason": "the name occurs in no linked row"},
        {"row": 6, "name": "张伟", "decision": "上海不存在科技有限公司", "reason": "no firm is named 上海不存在科技有限公司"},
    ]}
    from fintech_firms.ingest.summary import summary_lines

    assert "  links.csv: 5 decisions, 3 used, 2 stale (see link_overrides in the report)" in summary_lines(
        report, folder / "out")
    # By hand: 深圳 keeps P1 only; 北京 gains P2 and P3; 杭州 gains P5.
    assert _patents_by_city(folder / "out") == {"北京": 3, "杭州": 3, "深圳": 1}
    # The next review keeps the decisions made, so that it can replace links.csv.
    again = review(folder / "out")
    assert again.select("name", "link", "decision").rows() == [
        (WRONG, "manual", F2), (NEAR1, "manual", U3), (NEAR2, "no match", None), (OTHER, "manual: none", "none")]


def test_an_empty_links_file_changes_nothing(folder):
    raw, out = folder / "raw", folder / "out"
    before = {p.name: p.read_bytes() for p in sorted(out.iterdir())}
    for text in ("", "name,decision,note\n", "name,rows,decision,note\nsomething,1,,\n"):
        write(raw / "links.csv", text)
        ingest(raw, out)
        assert {p.name: p.read_bytes() for p in sorted(out.iterdir())} == before


def test_eval_by_hand(folder):
    result = evaluate(folder / "out", folder / "truth.csv")
    # correct: F1, F2, F3 exact, the former name; wrong firm: WRONG; false link: OTHER;
    # missed: NEAR1, NEAR2; correctly unlinked: 张伟, 清华大学. Links 6, linkable 7.
    assert result["confusion"] == {"correct": 4, "wrong firm": 1, "false link": 1, "missed": 2,
                                   "correctly unlinked": 2}
    assert result["overall"] == {"precision": 4 / 6, "recall": 4 / 7, "f1": 2 * (4 / 6) * (4 / 7) / (4 / 6 + 4 / 7),
                                 "links": 6, "correct": 4, "linkable": 7}
    assert result["by_method"]["exact"] == {"links": 3, "correct": 3, "precision": 1.0, "recall": 3 / 7}
    assert result["by_method"]["fuzzy"] == {"links": 2, "correct": 0, "precision": 0.0, "recall": 0.0}
    assert result["not_in_data"] == ["不在数据里的公司"]
    assert [(e["name"], e["kind"]) for e in result["errors"]] == [
        (WRONG, "wrong firm"), (NEAR1, "missed"), (NEAR2, "missed"), (OTHER, "false link")]


def test_sweep_by_hand(folder):
    grid = {(g["threshold"], g["margin"]): g for g in evaluate(folder / "out", folder / "truth.csv", sweep=True)["sweep"]}
    assert len(grid) == 21 * 11
    # 80: NEAR1 (86.96) and NEAR2 (83.33) link to firm 3 as well: correct 6 of 8 links, 6 of 7 names.
    assert (grid[80, 3]["precision"], grid[80, 3]["recall"]) == (6 / 8, 6 / 7)
    # 96: neither fuzzy link (91.67, 95.24) nor the near names: correct 4 of 4 links, 4 of 7 names.
    assert (grid[96, 3]["precision"], grid[96, 3]["recall"]) == (1.0, 4 / 7)
    # The ingest's own setting gives the evaluation's figures.
    assert (grid[90, 3]["precision"], grid[90, 3]["recall"]) == (4 / 6, 4 / 7)


def test_eval_json_and_errors(folder):
    runner = CliRunner()
    result = runner.invoke(app, ["links", "eval", str(folder / "truth.csv"), "--data", str(folder / "out"),
                                 "--format", "json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["overall"]["precision"] == 4 / 6
    write(folder / "bad.csv", "name,firm\n张伟,\n")
    result = runner.invoke(app, ["links", "eval", str(folder / "bad.csv"), "--data", str(folder / "out")])
    assert result.exit_code == 2
    assert "row 1 has no name or no firm" in result.output
    result = runner.invoke(app, ["links", "review", "--data", str(folder / "nowhere")])
    assert result.exit_code == 2


def test_ranked_decisions_equal_match_best():
    choices = [F1, F2, F3, "杭州云帆信息有限公司", F2]
    index = ChoiceIndex(choices, [1, 2, 3, 3, 4])
    queries = [WRONG, OTHER, NEAR1, NEAR2, F2, "张伟", ""]
    ranked = ranked_keys(queries, index, 70.0)
    for threshold in (80, 85, 90, 96, 100, 101):
        for margin in (0, 3, 10):
            options = FuzzyOptions(threshold, margin, 1)
            assert [decide_ranked(r, options) for r in ranked] == match_best(queries, index, options)


def test_the_sweeps_decision_equals_the_fuzzy_rule():
    from fintech_firms.links.evaluate import _decided

    cases = [[], [(1, 91.666)], [(1, 95.0), (2, 92.5)], [(1, 90.004), (2, 90.001)], [(1, 92.0), (2, 89.0)],
             [(3, 100.0), (1, 100.0)], [(1, 85.0), (2, 71.0)], [(1, 88.0)]]
    for ranked in cases:
        for threshold in range(80, 101):
            for margin in range(0, 11):
                assert _decided(ranked, threshold, margin) == decide_ranked(
                    ranked, FuzzyOptions(threshold, margin)).key, (ranked, threshold, margin)


def test_the_demo_writes_its_truth_beside_unchanged_raw_files(tmp_path):
    from fintech_firms.demo.generate import generate

    plain = generate(tmp_path / "plain", scale=0.01)
    told = generate(tmp_path / "told", scale=0.01, truth=tmp_path / "truth.csv")
    assert plain == told
    for name in plain.files:
        assert (tmp_path / "plain" / name).read_bytes() == (tmp_path / "told" / name).read_bytes()
    truth = pl.read_csv(tmp_path / "truth.csv")
    firms = dict(truth.rows())
    assert "清华大学" in firms and firms["清华大学"] == "none"
    # Every firm name variant the generator wrote is in the truth, with a firm; people are none.
    from fintech_firms.demo.names import OUTSIDE_COMPANIES, UNKNOWN_FIRM_SUFFIXES

    for name in truth.filter(pl.col("name").str.ends_with("公司") & (pl.col("firm") == "none"))["name"]:
        assert name in OUTSIDE_COMPANIES or name.endswith(UNKNOWN_FIRM_SUFFIXES), name
    assert truth.filter(pl.col("name").str.len_chars() <= 3)["firm"].unique().to_list() == ["none"]
    ingest(tmp_path / "told", tmp_path / "out")
    result = evaluate(tmp_path / "out", tmp_path / "truth.csv")
    assert result["confusion"]["wrong firm"] == result["confusion"]["false link"] == 0
    assert result["confusion"]["missed"] == 0
    assert result["by_method"]["fuzzy"]["links"] == told.typo_names
    assert result["by_method"]["former_name"]["links"] > 0


def test_a_review_workbook_can_be_dropped_in_as_links_xlsx(folder):
    from openpyxl import load_workbook

    from fintech_firms.ingest.linking import read_overrides

    raw = folder / "raw"
    result = CliRunner().invoke(app, ["links", "review", "--data", str(folder / "out"),
                                      "--out", str(raw / "links.xlsx")])
    assert result.exit_code == 0, result.output
    assert read_overrides(raw).entries == []  # nothing decided yet: no override
    book = load_workbook(raw / "links.xlsx")
    sheet = book.active
    header = [c.value for c in sheet[1]]
    sheet.cell(row=3, column=header.index("decision") + 1, value=U3)  # the second name: NEAR1
    book.save(raw / "links.xlsx")
    assert [(e.row, e.name, e.decision) for e in read_overrides(raw).entries] == [(2, NEAR1, U3)]


def test_override_rules_on_the_linker():
    from fintech_firms.ingest.linking import MANUAL_NONE, Link, Linker, Override, Overrides

    overrides = Overrides([
        Override(1, "甲科技有限公司", "none"),
        Override(2, "丙 公司", "乙科技有限公司"),  # compared normalised
        Override(3, "丁公司", "91110000802100433B"),  # a valid USCC no firm has
        Override(4, "戊公司", "旧名有限公司"),  # two firms' former name
        Override(5, "丙公司", "none"),  # decided in row 2 already
    ])
    linker = Linker(usccs={"914403001922038216": 1},
                    names={"甲科技有限公司": {1}, "乙科技有限公司": {2}},
                    former={"旧名有限公司": {2, 3}}, fuzzy=FuzzyOptions(), overrides=overrides)
    links = linker.link_all([("甲科技有限公司", "914403001922038216"), ("丙公司", None), ("丁公司", None)])
    # The decision comes before the row's USCC.
    assert list(links.values()) == [Link(None, None, None, MANUAL_NONE), Link(2, "manual", 100.0),
                                    Link(None, None, None, "no match")]
    assert linker.override_report() == {"entries": 5, "used": 2, "stale": [
        {"row": 3, "name": "丁公司", "decision": "91110000802100433B",
         "reason": "no firm has the USCC 91110000802100433B"},
        {"row": 4, "name": "戊公司", "decision": "旧名有限公司", "reason": "2 firms are named 旧名有限公司; give the USCC"},
        {"row": 5, "name": "丙公司", "decision": "none",
         "reason": "the name is decided already in row 2; this row is ignored"},
    ]}


def test_the_demo_reuses_its_raw_folder_only_with_its_own_truth(tmp_path):
    from fintech_firms.demo.folder import prepare
    from fintech_firms.errors import InputError

    raw, truth = tmp_path / "raw", tmp_path / "truth.csv"
    assert prepare(raw, scale=0.01, truth=truth).generated
    assert not prepare(raw, scale=0.01, truth=truth).generated
    written = truth.read_bytes()
    truth.write_text("name,firm\n", encoding="utf-8")  # another truth (another seed's, say)
    assert prepare(raw, scale=0.01, truth=truth).generated
    assert truth.read_bytes() == written
    with pytest.raises(InputError, match="outside the raw folder"):
        prepare(raw, scale=0.01, truth=raw / "truth.csv", force=True)


def test_a_links_file_without_its_columns_stops_the_run(folder):
    from fintech_firms.errors import InputError

    write(folder / "raw" / "links.csv", "名称,决定\n张伟,none\n")
    with pytest.raises(InputError, match=r"links.csv: missing column 'name', 'decision' \(the columns of "
                                         r"`firms links review`\); found: 名称, 决定"):
        ingest(folder / "raw", folder / "out2")
