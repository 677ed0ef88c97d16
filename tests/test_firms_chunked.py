"""`firms ingest` reads and prepares the firms file a chunk at a time (ingest.stage.prepare over
tabular.reader.read_chunks), keeping of each chunk's usable rows only the columns the merge reads: the
firms, their tracks and indexes, the quarantine (whole records, the columns the merge does not read
included), the cell issues and the counts do not depend on where the chunks end; a file that turns out
not to be for the chunked read past its first chunk is read again whole, with the same result."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal
from test_bad_input import APP_1, JIA, write_csv, write_patents

from fintech_firms.ingest import pipeline, schema
from fintech_firms.ingest.firms import FirmsResult
from fintech_firms.ingest.ledger import Ledger
from fintech_firms.ingest.pipeline import ingest
from fintech_firms.ingest.stage import prepare
from fintech_firms.reference.geo import CityMatcher
from fintech_firms.reference.tables import load
from fintech_firms.reference.taxonomy import TrackMatcher
from fintech_firms.rules.fuzzy import FuzzyOptions
from fintech_firms.rules.uscc import INVALID_USCC, check_char
from fintech_firms.tabular import reader

CITIES = CityMatcher(load("regions", None).frame)
TRACKS = TrackMatcher(load("tracks", None).frame, "tracks.csv", FuzzyOptions())
MAX_YEAR = 2026

HEADER = ["企业名称", "统一社会信用代码", "城市", "所属赛道", "研发人员数量", "是否有专利转让许可", "成立日期", "经营范围"]
CITY_NAMES = ["深圳", "北京市", "上海", "杭州市", "成都"]
TRACK_NAMES = ["大数据、云计算", "移动支付", "区块链；智能风控", "", "保险科技"]
SCOPE = "技术开发、技术咨询、技术服务；计算机软硬件及辅助设备的销售；数据处理和存储支持服务" * 4
ROWS = 300
REPEATED_HEADER_ROW = 150  # the header again, as files joined with their headers have


def _uscc(i: int) -> str:
    body = f"9144030{i:010d}"
    return body + check_char(body)


def _row(i: int) -> list[str]:
    """Data row i + 1: 60 firms, each written several times, spelled and filled in differently."""
    firm = i % 60
    name = "" if i % 17 == 5 else f"第{firm}科技有限公司"  # no name: quarantined
    uscc = "914403001922038217" if i % 13 == 3 else (_uscc(firm) if firm % 2 else "")  # a bad check character
    rd = "many" if i % 11 == 4 else ("" if i % 3 else str(i))
    transfer = "maybe" if i % 19 == 7 else ("是" if i % 2 else "否")
    founded = "2099-01-01" if i % 23 == 9 else f"{2000 + firm % 20}-0{1 + i % 9}-1{i % 10}"
    return [name, uscc, CITY_NAMES[i % 5], TRACK_NAMES[i % 5], rd, transfer, founded, f"{SCOPE}{i}"]


def _firms_file(path: Path, *, quote_at: int | None = None, bad_byte_at: int | None = None) -> Path:
    rows = [_row(i) for i in range(ROWS)]
    rows[REPEATED_HEADER_ROW - 1] = list(HEADER)
    if quote_at is not None:
        rows[quote_at - 1][3] = "大数据,云计算"  # written in quotes by the csv module
    write_csv(path, HEADER, rows)
    if bad_byte_at is not None:  # a byte that is not UTF-8 at the end of that row's scope
        scope = f",{SCOPE}{bad_byte_at - 1}".encode()
        data = path.read_bytes()
        assert data.count(scope + b"\n") == 1
        path.write_bytes(data.replace(scope + b"\n", scope + b"\xff\n"))
    return path


def _built(path: Path, monkeypatch, *, chunk_bytes: int | None) -> tuple[FirmsResult, Ledger, list[int]]:
    """What the pipeline's firms step makes of `path` (as the ingest reads it: its header first), with
    the rows of each chunk build_firms drew; chunk_bytes None: the file read whole."""
    drawn: list[int] = []
    real = pipeline.build_firms

    def counted(chunks, ledger, cities, tracks, year):
        def pieces():
            for piece in ([chunks] if isinstance(chunks, reader.RawTable) else chunks):
                drawn.append(piece.frame.height)
                yield piece
        return real(pieces(), ledger, cities, tracks, year)

    spec = schema.FIRMS
    with monkeypatch.context() as patch:
        patch.setattr(pipeline, "build_firms", counted)
        if chunk_bytes is None:
            patch.setattr(reader, "_start_chunks", lambda *args: None)  # read_chunks reads the file whole
        else:
            patch.setattr(reader, "_CHUNK", chunk_bytes)
            patch.setattr(reader, "_SNIFF_BYTES", 2)
        raw = {"firms": reader.read_header(path, pipeline._canonical(spec), set(spec.columns))}
        result, ledger = pipeline._build_firms(raw, {"firms": path}, CITIES, TRACKS, MAX_YEAR)
    assert raw["firms"].frame.is_empty()
    return result, ledger, drawn


def _assert_same(a: tuple[FirmsResult, Ledger], b: tuple[FirmsResult, Ledger]) -> None:
    for name in ("firms", "tracks", "usccs", "names", "former"):
        got, expected = getattr(a[0], name), getattr(b[0], name)
        assert_frame_equal(got, expected)
        assert got.n_chunks("all") == expected.n_chunks("all")
    assert_frame_equal(a[1].quarantine_frame(), b[1].quarantine_frame())
    assert_frame_equal(a[1].cell_issue_frame(), b[1].cell_issue_frame())
    # The cell issues went to the ledger as the same frames, in the same order.
    assert [f.rows() for f in a[1]._cell_issues] == [f.rows() for f in b[1]._cell_issues]
    assert a[1].cell_issue_counts == b[1].cell_issue_counts
    assert {s: f.as_dict() for s, f in a[1].files.items()} == {s: f.as_dict() for s, f in b[1].files.items()}


def test_chunks_give_what_the_whole_file_gives(tmp_path: Path, monkeypatch) -> None:
    path = _firms_file(tmp_path / "firms.csv")
    whole = _built(path, monkeypatch, chunk_bytes=None)
    assert whole[2] == [ROWS - 1]  # one table; the header again is not among its rows
    firms, ledger = whole[0].firms, whole[1]
    missing = [i + 1 for i in range(ROWS) if i % 17 == 5 and i + 1 != REPEATED_HEADER_ROW]
    assert ledger.quarantine_frame().select("row", "reason").rows() == sorted(
        [(r, "missing name") for r in missing] + [(REPEATED_HEADER_ROW, reader.REPEATED_HEADER)])
    # A quarantined row keeps its whole record, the column the merge does not read included.
    record = json.loads(ledger.quarantine_frame()["record"][0])
    assert record == dict(zip(HEADER, [v or None for v in _row(5)]))
    assert record["经营范围"] == f"{SCOPE}5"
    kept = [i for i in range(ROWS) if i % 17 != 5 and i + 1 != REPEATED_HEADER_ROW]
    counts = ledger.cell_issue_counts
    assert {(c, n) for (_, c, _), n in counts.items()} == {
        ("uscc", sum(i % 13 == 3 for i in kept)), ("rd_staff", sum(i % 11 == 4 for i in kept)),
        ("has_patent_transfer", sum(i % 19 == 7 for i in kept)), ("founded", sum(i % 23 == 9 for i in kept))}
    assert counts[("firms.csv", "uscc", INVALID_USCC)] == sum(i % 13 == 3 for i in kept)
    assert firms.height == 60 and firms["records"].sum() == len(kept)
    assert ledger.files["firms.csv"].as_dict()["kept"] == 60 and ledger.files["firms.csv"].accounted

    for chunk_bytes in (4096, 20_000, 2**20):
        chunked = _built(path, monkeypatch, chunk_bytes=chunk_bytes)
        size = path.stat().st_size
        assert size // (2 * chunk_bytes) <= len(chunked[2]) <= size // chunk_bytes + 1
        assert sum(chunked[2]) == ROWS - 1
        _assert_same(chunked[:2], whole[:2])


def test_a_quote_past_the_first_chunk_is_read_in_its_chunk(tmp_path: Path, monkeypatch) -> None:
    path = _firms_file(tmp_path / "firms.csv", quote_at=ROWS - 10)
    whole = _built(path, monkeypatch, chunk_bytes=None)
    chunked = _built(path, monkeypatch, chunk_bytes=4096)
    assert len(chunked[2]) > 2 and sum(chunked[2]) == ROWS - 1
    _assert_same(chunked[:2], whole[:2])
    tracks = whole[0].tracks.filter(pl.col("track_written") == "云计算")
    assert tracks.height > 0  # the quoted cell read as one: its tracks split as written


def test_bad_bytes_past_the_first_chunk_read_the_file_again_whole(tmp_path: Path, monkeypatch) -> None:
    path = _firms_file(tmp_path / "firms.csv", bad_byte_at=ROWS - 10)
    whole = _built(path, monkeypatch, chunk_bytes=None)
    chunked = _built(path, monkeypatch, chunk_bytes=4096)
    # Some chunks, then the whole file in one.
    assert len(chunked[2]) > 2 and chunked[2][-1] == ROWS - 2 and sum(chunked[2][:-1]) < ROWS - 2
    _assert_same(chunked[:2], whole[:2])
    assert (ROWS - 10, "invalid bytes for encoding utf-8") in whole[1].quarantine_frame().select("row", "reason").rows()


def test_a_chunk_with_a_missing_required_column_is_refused(tmp_path: Path, monkeypatch) -> None:
    path = write_csv(tmp_path / "firms.csv", ["企业名称", "城市"], [[JIA, "深圳"]])
    spec = schema.FIRMS
    raw = {"firms": reader.read_header(path, pipeline._canonical(spec), set(spec.columns))}
    write_csv(path, ["企业名称", "省份"], [[JIA, "广东"]])  # changed after its header was checked
    with pytest.raises(pipeline.InputError, match="missing required column 'city'"):
        pipeline._build_firms(raw, {"firms": path}, CITIES, TRACKS, MAX_YEAR)


def _outputs(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def test_an_ingest_with_the_firms_in_chunks_writes_the_same_files(tmp_path: Path, monkeypatch) -> None:
    raw = tmp_path / "raw"
    raw.mkdir()
    _firms_file(raw / "firms.csv")
    write_patents(raw, [[APP_1, f"第{i}科技有限公司", "2016-10-20"] for i in range(3)])
    with monkeypatch.context() as patch:
        patch.setattr(reader, "_start_chunks", lambda *args: None)  # every file read whole
        report = ingest(raw, tmp_path / "whole")
    assert report["files"]["firms.csv"]["rows_read"] == ROWS and report["all_rows_accounted"]
    assert list(report["files"]) == ["firms.csv", "patents.csv"]
    with monkeypatch.context() as patch:
        patch.setattr(reader, "_CHUNK", 4096)
        patch.setattr(reader, "_SNIFF_BYTES", 2)
        ingest(raw, tmp_path / "chunked")
    assert _outputs(tmp_path / "chunked") == _outputs(tmp_path / "whole")


def test_prepare_keeps_only_the_columns_asked_for_in_one_chunk(tmp_path: Path, monkeypatch) -> None:
    path = _firms_file(tmp_path / "firms.csv")
    spec = schema.FIRMS
    monkeypatch.setattr(reader, "_CHUNK", 4096)
    monkeypatch.setattr(reader, "_SNIFF_BYTES", 2)
    _, chunks = reader.read_chunks(path, pipeline._canonical(spec), set(spec.columns))
    ledger = Ledger()
    account, frame = prepare(chunks, ledger, ("rd_staff",), (), pl.when(pl.col("name").is_null()).then(pl.lit("x")),
                             keep=(reader.ROW, "name"))
    assert frame.columns == [reader.ROW, "name"] and frame.n_chunks("all") == [1, 1]
    assert frame[reader.ROW].to_list() == [i + 1 for i in range(ROWS) if i % 17 != 5 and i + 1 != REPEATED_HEADER_ROW]
    assert (account.rows_read, sum(account.quarantined.values())) == (ROWS, ROWS - frame.height)
