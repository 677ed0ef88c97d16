"""`firms ingest` reads the patents file a chunk at a time while it parses it (tabular.reader.read_chunks):
the output does not depend on where the chunks end, every row is accounted for with its number in the
file, a file missing a required column is still refused before any work, and a file that turns out not to
be for the chunked read past its first chunk is read again whole, with the same output."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from test_bad_input import APP_1, APP_2, BING, JIA, YI, write_firms

from fintech_firms.demo import folder as demo
from fintech_firms.errors import InputError
from fintech_firms.ingest import patents, pipeline
from fintech_firms.ingest.pipeline import ingest
from fintech_firms.tabular import reader


@pytest.fixture(scope="module")
def raw(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("demo") / "raw"
    demo.write(folder, scale=0.01)
    return folder


def _outputs(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def _ingest(raw: Path, out: Path, monkeypatch, *, chunk_bytes: int | None = None, chunk_rows: int | None = None,
            whole: bool = False) -> tuple[dict, list[int]]:
    """The report, and the rows of each chunk that build_patents drew."""
    drawn: list[int] = []
    real = pipeline.build_patents

    def counted(chunks, ledger, year, on_keys=None):
        def pieces():
            for piece in ([chunks] if isinstance(chunks, reader.RawTable) else chunks):
                drawn.append(piece.frame.height)
                yield piece
        return real(pieces(), ledger, year, on_keys)

    with monkeypatch.context() as patch:
        patch.setattr(pipeline, "build_patents", counted)
        if chunk_bytes is not None:
            patch.setattr(reader, "_CHUNK", chunk_bytes)
            patch.setattr(reader, "_SNIFF_BYTES", 2)
        if chunk_rows is not None:
            patch.setattr(patents, "CHUNK_ROWS", chunk_rows)
        if whole:
            patch.setattr(reader, "_start_chunks", lambda *args: None)  # read_chunks reads the file whole
        return ingest(raw, out), drawn


def test_small_chunks_give_the_same_output(raw: Path, tmp_path: Path, monkeypatch) -> None:
    report, drawn = _ingest(raw, tmp_path / "whole", monkeypatch, whole=True)
    assert len(drawn) == 1 and report["files"]["patents.csv"]["quarantined"] > 0
    # Row-capped chunks of 61 rows, not 7: still about 160 seams in the 0.01 demo's patents, where 7 made
    # 1,400 and took 50 s of the suite.
    for chunk_bytes, chunk_rows in [(None, None), (4096, None), (4096, 100), (50_000, 61)]:
        _, drawn = _ingest(raw, tmp_path / "chunked", monkeypatch, chunk_bytes=chunk_bytes, chunk_rows=chunk_rows)
        size = (raw / "patents.csv").stat().st_size
        # Each chunk: chunk_bytes and the rest of the line it ends in.
        expected = (1, 1) if chunk_bytes is None else (size // (2 * chunk_bytes), size // chunk_bytes + 1)
        assert expected[0] <= len(drawn) <= expected[1]
        assert _outputs(tmp_path / "chunked") == _outputs(tmp_path / "whole")


ROWS = 40


def _patents_file(raw: Path, lines: list[str]) -> None:
    (raw / "patents.csv").write_text("app_no,applicants,app_date\n" + "\n".join(lines) + "\n", encoding="utf-8")


def _good(i: int) -> str:
    return f"{APP_1 if i % 2 else APP_2},{JIA if i % 3 else YI};{BING},2016-10-{i % 28 + 1:02d}"


def test_rows_of_later_chunks_are_accounted_for_with_their_numbers(tmp_path: Path, monkeypatch) -> None:
    raw = tmp_path / "raw"
    raw.mkdir()
    write_firms(raw)
    lines = [_good(i) for i in range(ROWS)]
    lines[29] = "not a number,甲,2016"  # row 30
    lines[31] = " , , "  # row 32: blank
    lines[33] = "app_no,applicants,app_date"  # row 34: the header again
    lines[35] = f"{APP_1},,2016"  # row 36: no applicants
    lines[37] = f"{APP_2},{YI},2016,extra"  # row 38: too many fields (leaves the file to the csv module)
    _patents_file(raw, lines[:37])
    report, drawn = _ingest(raw, tmp_path / "out", monkeypatch, chunk_bytes=600, chunk_rows=4)
    assert len(drawn) > 3 and sum(drawn) == 37 - 2  # the blank row and the header again are not drawn
    quarantine = pl.read_parquet(tmp_path / "out" / "quarantine.parquet").filter(pl.col("source") == "patents.csv")
    assert quarantine.select("row", "reason").rows() == [
        (30, "malformed application number"), (34, reader.REPEATED_HEADER), (36, patents.NO_APPLICANTS)]
    account = report["files"]["patents.csv"]
    assert (account["rows_read"], account["blank_rows"], account["quarantined"]) == (37, 1, 3)
    assert account["kept"] + account["merged_duplicates"] == 33 and account["accounted"]
    whole, _ = _ingest(raw, tmp_path / "whole", monkeypatch, whole=True)
    assert _outputs(tmp_path / "out") == _outputs(tmp_path / "whole")

    # A ragged row past the first chunk: the chunks stop, the file is read whole, the output is the same.
    _patents_file(raw, lines)
    report, drawn = _ingest(raw, tmp_path / "out", monkeypatch, chunk_bytes=600, chunk_rows=4)
    assert drawn[-1] == ROWS - 3 and len(drawn) > 2  # some chunks, then the whole file in one
    assert report["files"]["patents.csv"]["quarantined_by_reason"]["row has 4 fields but the header has 3"] == 1
    _ingest(raw, tmp_path / "whole", monkeypatch, whole=True)
    assert _outputs(tmp_path / "out") == _outputs(tmp_path / "whole")


def test_a_missing_required_column_is_refused_before_any_work(tmp_path: Path, monkeypatch) -> None:
    raw = tmp_path / "raw"
    raw.mkdir()
    write_firms(raw)
    (raw / "patents.csv").write_text("app_no,app_date\n" + f"{APP_1},2016\n" * 10, encoding="utf-8")

    def never(*args, **kwargs):
        raise AssertionError("the firms were merged before the patents' header was checked")

    monkeypatch.setattr(pipeline, "build_firms", never)
    monkeypatch.setattr(reader, "_CHUNK", 20)
    monkeypatch.setattr(reader, "_SNIFF_BYTES", 2)
    with pytest.raises(InputError, match=r"^patents\.csv: missing required column 'applicants' \(申请人\); found: app_no, app_date$"):
        ingest(raw, tmp_path / "out")
    assert not (tmp_path / "out").exists()
