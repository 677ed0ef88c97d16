"""benchmarks/reexport.py, and what ingest makes of the same cells written otherwise: in GB18030, with
every field quoted, or both, the tables are the same (the report says which encoding each file had),
read a chunk at a time or whole. Nothing here asserts a time."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from fintech_firms.demo import folder as demo
from fintech_firms.ingest.pipeline import ingest
from fintech_firms.tabular import reader

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"
sys.path.insert(0, str(BENCHMARKS))

import reexport  # noqa: E402

FILES = "patents,firms,financing"


@pytest.fixture(scope="module")
def original(tmp_path_factory) -> tuple[Path, Path]:
    base = tmp_path_factory.mktemp("reexport")
    demo.write(base / "raw", scale=0.01)
    ingest(base / "raw", base / "out")
    return base / "raw", base / "out"


def test_the_cells_are_written_again_as_asked(original, tmp_path):
    raw, _ = original
    reexport.main([str(raw), str(tmp_path / "q"), "--encoding", "gb18030", "--quote-all", "--files", FILES])
    data = (tmp_path / "q" / "patents.csv").read_bytes()
    assert data.startswith('"申请号"'.encode("gb18030")) or data.startswith(b'"app_no"')
    assert all(line.startswith(b'"') and line.endswith(b'"') for line in data.splitlines() if line)
    text, encoding, damaged = reader.decode(data)
    assert (encoding, damaged) == ("gb18030", False)
    assert sorted(p.name for p in (tmp_path / "q").iterdir()) == sorted(p.name for p in raw.iterdir())
    reexport.main([str(raw), str(tmp_path / "again"), "--encoding", "gb18030", "--quote-all", "--files", FILES])
    assert (tmp_path / "again" / "patents.csv").read_bytes() == data


@pytest.mark.parametrize("options", [["--encoding", "gb18030"], ["--quote-all"], ["--encoding", "gb18030", "--quote-all"]])
@pytest.mark.parametrize("chunk", [None, 4096])
def test_ingest_gives_the_same_tables(original, tmp_path, monkeypatch, options, chunk):
    raw, out = original
    reexport.main([str(raw), str(tmp_path / "raw"), *options, "--files", FILES])
    if chunk is not None:
        monkeypatch.setattr(reader, "_CHUNK", chunk)  # a chunk of lines at a time, many of them
        # and none of the files read whole, as one text
        monkeypatch.setattr(reader, "_load_csv_bytes", lambda path: pytest.fail(f"{path.name} read whole"))
    ingest(tmp_path / "raw", tmp_path / "out")
    for path in sorted(out.glob("*.parquet")):
        assert (tmp_path / "out" / path.name).read_bytes() == path.read_bytes(), path.name
    before = json.loads((out / "ingest_report.json").read_text())
    after = json.loads((tmp_path / "out" / "ingest_report.json").read_text())
    encoding = "gb18030" if "gb18030" in options else None
    for name in ("patents.csv", "firms.csv", "financing.csv"):
        assert after["files"][name].pop("encoding") == (encoding or before["files"][name]["encoding"])
        before["files"][name].pop("encoding")
    assert {**after, "raw_dir": None} == {**before, "raw_dir": None}
