"""Track and investor matching (contract §2), and reference tables replaced from the raw folder."""

from pathlib import Path

import polars as pl
import pytest
from rawfiles import write
from typer.testing import CliRunner

from fintech_firms.cli import app
from fintech_firms.ingest.investors import InvestorMatcher
from fintech_firms.ingest.pipeline import ingest
from fintech_firms.reference.tables import load
from fintech_firms.reference.taxonomy import TrackMatch, TrackMatcher
from fintech_firms.rules.fuzzy import FuzzyOptions

TRACKS = TrackMatcher(load("tracks", None).frame, "tracks.csv", FuzzyOptions())


def test_tracks_match_exactly_by_alias_then_fuzzy():
    assert TRACKS.match_all(["机器学习", "machine  learning", "Deep Learning", "机器学刁", "量子计算"]) == {
        "机器学习": TrackMatch("机器学习", "ai", "exact", 100.0),
        "machine  learning": TrackMatch("机器学习", "ai", "alias", 100.0),  # case and spaces fold away
        "Deep Learning": TrackMatch("机器学习", "ai", "alias", 100.0),
        # the closest is 机器学习 itself: LCS 3, 200*3/8 = 75, under the threshold: unknown
        "机器学刁": TrackMatch(None, None, None, None),
        "量子计算": TrackMatch(None, None, None, None),
    }


def test_a_track_one_typo_away_matches_fuzzy():
    # "Artificial Inteligence" (22 chars, one l missing) vs alias "artificialintelligence" after
    # normalisation: 21 vs 22 characters, LCS 21: 200*21/43 = 97.67
    assert TRACKS.match_all(["Artificial Inteligence"]) == {
        "Artificial Inteligence": TrackMatch("人工智能", "ai", "fuzzy", 97.67)}


def test_investors_by_name_alias_and_fuzzy():
    matcher = InvestorMatcher(load("top_vc", None).frame, FuzzyOptions())
    assert matcher.match_all(["高瓴资本", "Hillhouse Capital", "IDG 资本", "Hillhouse Capitol", "某产业基金"]) == {
        "高瓴资本": "高瓴资本",
        "Hillhouse Capital": "高瓴资本",
        "IDG 资本": "IDG资本",  # spaces are not part of a name
        # "hillhousecapitol" vs "hillhousecapital": 16 each, LCS 15: 200*15/32 = 93.75
        "Hillhouse Capitol": "高瓴资本",
        "某产业基金": None,
    }



@pytest.fixture
def raw(raw: Path) -> Path:
    """The shared empty raw folder, with two firms and a patent."""
    write(raw / "firms.csv", "name,city,tracks\n甲科技有限公司,保定,量子计算\n乙科技有限公司,深圳市,人工智能\n")
    write(raw / "patents.csv", "app_no,applicants\n201610920041.1,甲科技有限公司\n")
    return raw


def test_reference_tables_in_the_raw_folder_replace_the_defaults(raw, tmp_path):
    write(raw / "regions.csv", "city,province,region\n保定市,河北省,京津冀\n")
    write(raw / "tracks.csv", "track,tech_class,aliases\n量子计算,云计算,Quantum\n")
    report = ingest(raw, tmp_path / "out")
    assert report["reference_tables"] == {
        "tracks": str(raw / "tracks.csv"), "regions": str(raw / "regions.csv"), "top_vc": "default"}
    firms = pl.read_parquet(tmp_path / "out" / "firms.parquet")
    assert firms.select("name", "city", "province", "region", "tech").rows() == [
        ("甲科技有限公司", "保定", "河北省", "京津冀", "cloud"),
        # 深圳 is not in this regions table, and 人工智能 not in this taxonomy
        ("乙科技有限公司", "深圳", None, "其他", "unclassified"),
    ]


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("tracks.csv", "track,tech_class\n量子计算,quantum\n",
         "tracks.csv: row 1: unknown tech_class 'quantum'; valid: big_data (大数据), blockchain (区块链), "
         "ai (人工智能), cloud (云计算), iot (物联网), internet (互联网)"),
        ("regions.csv", "city,region\n保定,京津冀\n", "regions.csv: missing required column 'province'"),
        ("top_vc.csv", "investor\n红杉中国\n", "top_vc.csv: missing required column 'name'"),
    ],
)
def test_a_bad_reference_table_stops_the_run(raw, tmp_path, name, text, message):
    write(raw / name, text)
    result = CliRunner().invoke(app, ["ingest", str(raw), "--out", str(tmp_path / "out")])
    assert result.exit_code == 2
    assert result.output.strip() == f"Error: {message}"
