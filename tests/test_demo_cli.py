"""`firms demo-data` and `firms demo`: the folder handling, refusals and what is printed.

Small scales keep these fast; the calibration at scale 1 is tests/test_demo_figures.py's job.
"""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from fintech_firms.cli import app
from fintech_firms.demo import folder as demo_folder
from fintech_firms.demo.plan import load_plan, scale_plan

runner = CliRunner()
SCALE = "0.02"


def test_demo_runs_the_whole_job_and_reuses_the_raw_folder(tmp_path):
    result = runner.invoke(app, ["demo", "--dir", str(tmp_path), "--scale", SCALE])
    assert result.exit_code == 0, result.output
    out = result.output
    assert f"Demo raw data in {tmp_path}/raw/ (seed 2022, scale 0.02) ..." in out
    assert "  generated in " in out
    assert "every input row accounted for" in out
    assert "分区域金融科技企业概况（图8–11）" in out and "分技术类别金融科技企业概况（图12–15）" in out
    assert f"Next: firms aggregate --by region,tech --data {tmp_path}/parquet" in out
    # The national row of the headline tables counts the scaled plan's firms.
    firms = scale_plan(load_plan(), float(SCALE))["firms"].sum()
    national = [line for line in out.splitlines() if line.startswith("合计")]
    assert len(national) == 2 and all(line.split()[1] == str(firms) for line in national)
    for path in ("raw/demo.json", "raw/firms.csv", "raw/hightech.xlsx", "parquet/ingest_report.json",
                 "tables/chapter4.xlsx", "tables/chapter4.md", "tables/by_region.csv"):
        assert (tmp_path / path).is_file(), path

    stamp = (tmp_path / "raw" / "firms.csv").stat().st_mtime_ns
    again = runner.invoke(app, ["demo", "--dir", str(tmp_path), "--scale", SCALE])
    assert again.exit_code == 0, again.output
    assert "  already there: " in again.output
    assert (tmp_path / "raw" / "firms.csv").stat().st_mtime_ns == stamp

    (tmp_path / "raw" / "financing.csv").unlink()  # a demo folder someone has tampered with is written again
    redo = runner.invoke(app, ["demo", "--dir", str(tmp_path), "--scale", SCALE])
    assert redo.exit_code == 0 and "  generated in " in redo.output
    assert (tmp_path / "raw" / "financing.csv").is_file()

    other = runner.invoke(app, ["demo", "--dir", str(tmp_path), "--scale", SCALE, "--seed", "7"])
    assert other.exit_code == 0 and "  generated in " in other.output
    manifest = json.loads((tmp_path / "raw" / "demo.json").read_text(encoding="utf-8"))
    assert manifest["identity"]["seed"] == 7
    forced = runner.invoke(app, ["demo", "--dir", str(tmp_path), "--scale", SCALE, "--seed", "7", "--regenerate"])
    assert forced.exit_code == 0 and "  generated in " in forced.output


def test_demo_data_writes_the_folder_and_says_what(tmp_path):
    out = tmp_path / "raw"
    result = runner.invoke(app, ["demo-data", "--out", str(out), "--scale", SCALE, "--seed", "3"])
    assert result.exit_code == 0, result.output
    manifest = json.loads((out / "demo.json").read_text(encoding="utf-8"))
    s = manifest["summary"]
    assert result.output == (
        f"Wrote {out}/ (firms.csv, patents.csv, financing.csv, hightech.xlsx): {s['firm_records']:,} firm records, "
        f"{s['patent_rows']:,} patent rows, {s['financing_rows']:,} financing rows, "
        f"{s['hightech_rows']:,} certificate rows\n")
    assert sorted(p.name for p in out.iterdir()) == ["demo.json", "financing.csv", "firms.csv", "hightech.xlsx",
                                                     "patents.csv"]
    # Writing again replaces the demo folder; nothing is left beside it.
    assert runner.invoke(app, ["demo-data", "--out", str(out), "--scale", SCALE]).exit_code == 0
    assert json.loads((out / "demo.json").read_text(encoding="utf-8"))["identity"]["seed"] == 2022
    assert sorted(p.name for p in tmp_path.iterdir()) == ["raw"]


def test_demo_data_never_overwrites_someone_elses_raw_files(tmp_path):
    (tmp_path / "firms.csv").write_text("name,city\n甲公司,北京\n", encoding="utf-8")
    result = runner.invoke(app, ["demo-data", "--out", str(tmp_path), "--scale", SCALE])
    assert result.exit_code == 2
    assert result.output == (f"Error: {tmp_path} holds raw files that the demo did not write; choose another "
                             "folder or remove them\n")
    assert (tmp_path / "firms.csv").read_text(encoding="utf-8") == "name,city\n甲公司,北京\n"
    mine = tmp_path / "project" / "raw"
    mine.mkdir(parents=True)
    (mine / "patents.xlsx").write_bytes(b"not really")
    demo = runner.invoke(app, ["demo", "--dir", str(tmp_path / "project"), "--scale", SCALE])
    assert demo.exit_code == 2 and f"Error: {mine} holds raw files that the demo did not write" in demo.output
    assert (mine / "patents.xlsx").read_bytes() == b"not really"


@pytest.mark.parametrize("scale", ["0", "0.001", "100.5", "-1", "nan"])
def test_scale_out_of_range_is_refused(tmp_path, scale):
    result = runner.invoke(app, ["demo-data", "--out", str(tmp_path / "raw"), "--scale", scale])
    assert result.exit_code == 2
    assert result.output.startswith("Error: --scale must be between 0.01 and 100 (got ")
    assert not (tmp_path / "raw").exists()


def test_out_that_is_a_file_is_refused(tmp_path):
    target = tmp_path / "raw"
    target.write_text("x", encoding="utf-8")
    result = runner.invoke(app, ["demo-data", "--out", str(target), "--scale", SCALE])
    assert result.exit_code == 2
    assert result.output == f"Error: {target} is a file; the demo data needs a folder\n"


def test_a_folder_that_cannot_be_made_is_a_clear_error(tmp_path):
    (tmp_path / "file").write_text("x", encoding="utf-8")
    target = tmp_path / "file" / "raw"
    result = runner.invoke(app, ["demo", "--dir", str(target), "--scale", SCALE])
    assert result.exit_code == 2
    assert result.output.splitlines()[-1] == f"Error: cannot write the demo data to {target}/raw: Not a directory"


def test_an_interrupted_generation_leaves_nothing_behind(tmp_path, monkeypatch):
    def interrupted(out, **_):
        (out / "firms.csv").write_text("half", encoding="utf-8")
        raise KeyboardInterrupt

    monkeypatch.setattr(demo_folder, "generate", interrupted)
    with pytest.raises(KeyboardInterrupt):
        demo_folder.write(tmp_path / "raw", scale=0.02)
    assert list(tmp_path.iterdir()) == []
