"""`firms demo-data` and `firms demo`: the folder handling, refusals and what is printed.

Small scales keep these fast; the calibration at scale 1 is tests/test_demo_figures.py's job.
"""

from __future__ import annotations

import json
import os
import stat

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
    # The demo knows which firm each name it wrote belongs to: every link checks out (test_links.py).
    assert "precision 100.00 %, recall 100.00 %" in out and (tmp_path / "truth.csv").is_file()
    # The national row of the headline tables counts the scaled plan's firms.
    firms = scale_plan(load_plan(), float(SCALE))["firms"].sum()
    national = [line for line in out.splitlines() if line.startswith("合计")]
    assert len(national) == 2 and all(line.split()[1] == str(firms) for line in national)
    # The FIRE index after the chapter-4 tables: the top ten cities and the 13 regions.
    assert "燃指数 总指数：前10位城市" in out and "燃指数 总指数：区域" in out
    top = out.split("燃指数 总指数：前10位城市")[1].split("燃指数 总指数：区域")[0]
    assert len([line for line in top.splitlines() if line.startswith("总指数")]) == 10
    regions = out.split("燃指数 总指数：区域")[1].split("Next:")[0]
    assert len([line for line in regions.splitlines() if line.startswith("总指数")]) == 13
    for path in ("raw/demo.json", "raw/firms.csv", "raw/hightech.xlsx", "raw/city_stats.csv",
                 "parquet/ingest_report.json", "parquet/city_stats.parquet", "tables/chapter4.xlsx",
                 "tables/chapter4.md", "tables/by_region.csv", "tables/index.xlsx", "tables/index_city_fire.csv",
                 "report.html"):
        assert (tmp_path / path).is_file(), path
    assert f"Wrote {tmp_path}/report.html (the charts; open it in a browser)" in out
    # With its city statistics the demo's report charts the index (not the "no index" note) and its linking.
    page = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert all(f'<figure id="{key}"' in page for key in ("fig01_index_by_region", "fig02_index_by_city",
                                                         "fig03_first_level_by_region", "fig04_first_level_by_city",
                                                         "link01_sweep_precision_recall"))
    assert "故无指数图表" not in page

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
        f"Wrote {out}/ (firms.csv, patents.csv, financing.csv, hightech.xlsx, city_stats.csv): "
        f"{s['firm_records']:,} firm records, "
        f"{s['patent_rows']:,} patent rows, {s['financing_rows']:,} financing rows, "
        f"{s['hightech_rows']:,} certificate rows\n")
    assert sorted(p.name for p in out.iterdir()) == ["city_stats.csv", "demo.json", "financing.csv", "firms.csv",
                                                     "hightech.xlsx", "patents.csv"]
    # The folder has the mode mkdir gives under the umask (it is staged with mkdtemp, which makes 0700).
    umask = os.umask(0o022)
    os.umask(umask)
    assert stat.S_IMODE(out.stat().st_mode) == 0o777 & ~umask
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
