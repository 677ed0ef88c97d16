"""benchmarks/fuzzy_growth.py on tiny folders, so that it cannot rot. Nothing here asserts a time."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import polars as pl

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"
sys.path.insert(0, str(BENCHMARKS))

import fuzzy_growth  # noqa: E402

FIRMS = ["深圳市腾讯计算机系统有限公司", "北京百度网讯科技有限公司", "上海某某信息技术有限公司"]


def ingest_folder(path: Path, applicants: list[str], former: list[list[str]] | None = None) -> Path:
    """The two files the benchmark reads of an ingest's output, as firms.parquet and
    patent_applicants.parquet hold them (names and former names as lists, applicant keys normalised)."""
    path.mkdir(parents=True)
    pl.DataFrame({
        "firm_id": list(range(1, len(FIRMS) + 1)),
        "uscc": [None] * len(FIRMS),
        "names": [[name] for name in FIRMS],
        "former_names": former or [[] for _ in FIRMS],
    }, schema={"firm_id": pl.Int64, "uscc": pl.Utf8, "names": pl.List(pl.Utf8),
               "former_names": pl.List(pl.Utf8)}).write_parquet(path / "firms.parquet")
    pl.DataFrame({"applicant_key": applicants}).write_parquet(path / "patent_applicants.parquet")
    return path


def test_growth_table_of_the_stage_on_two_tiny_folders(tmp_path, capsys):
    small = ingest_folder(tmp_path / "one", [FIRMS[0], "深圳市腾讯计算机系统有限工司", "某某大学", FIRMS[0]])
    # Twice the names: a former name for each firm; the applicants' typo of a former name links too.
    large = ingest_folder(tmp_path / "two", [FIRMS[1], "深圳市腾讯计算机系统有限工司", "北京百度网讯科技有限工司",
                                            "某某大学", "深圳腾讯科技有限工司"],
                          former=[["深圳腾讯科技有限公司"], ["百度在线网络技术公司"], ["某某信息公司"]])
    out = tmp_path / "runs.json"
    code = fuzzy_growth.main(["1=" + str(small), "2=" + str(large), "--rounds", "2", "--json", str(out),
                              "--save", str(tmp_path / "saved")])
    assert code == 0
    runs = json.loads(out.read_text(encoding="utf-8"))
    assert [(r["label"], r["round"]) for r in runs] == [("1", 0), ("2", 0), ("1", 1), ("2", 1)]
    counts = {r["label"]: r["counts"] for r in runs}
    # Exact names are linked by link_frame's joins; the others go to match_best (sorted, distinct).
    assert counts["1"] == {"choices": 3, "queries": 2, "found": counts["1"]["found"], "kept": 1, "linked": 1}
    assert counts["2"]["choices"] == 6 and counts["2"]["queries"] == 4 and counts["2"]["linked"] == 3
    assert {"linker", "candidates", "scoring", "match_best", "joins", "attach_links"} <= set(runs[0]["cpu"])
    printed = capsys.readouterr().out
    assert "| this | attach_links |" in printed
    assert "/ 2.0× = **" in printed  # the growth per scale step is divided by the names' growth
    assert "choices 3; queries 2;" in printed and "linked 3 |" in printed
    assert printed.rstrip().endswith("results identical across versions and rounds at every scale: yes")
    assert sorted(p.name for p in (tmp_path / "saved").iterdir()) == [
        "this-1-0.pkl", "this-1-1.pkl", "this-2-0.pkl", "this-2-1.pkl"]


def test_a_dump_of_the_fuzzy_step_s_inputs(tmp_path):
    dump = tmp_path / "dump"
    dump.mkdir()
    pl.DataFrame({"q": ["深圳市腾讯计算机系统有限工司", "某某大学"]}).write_parquet(dump / "queries.parquet")
    pl.DataFrame({"c": FIRMS, "k": [1, 2, 3]}).write_parquet(dump / "choices.parquet")
    out = tmp_path / "runs.json"
    assert fuzzy_growth.main(["1=" + str(dump), "--rounds", "1", "--json", str(out)]) == 0
    (run,) = json.loads(out.read_text(encoding="utf-8"))
    assert run["kind"] == "dump"
    assert run["counts"]["queries"] == 2 and run["counts"]["linked"] == 1 and run["links"] is None
    assert "attach_links" not in run["cpu"]
