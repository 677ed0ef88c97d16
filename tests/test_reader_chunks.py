"""read_chunks hands a file's rows over a chunk at a time: together the chunks are read_table's table (the
same rows, row numbers, rows set aside and counts), whatever the chunk size; a file that turns out not to
be for the bytes path past the first chunk stops the chunks (NotStreamed)."""

from __future__ import annotations

import gc
import warnings
from pathlib import Path

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal
from test_reader_bytes import assert_same, canonical, files

from fintech_firms.errors import InputError
from fintech_firms.tabular import reader
from fintech_firms.tabular.reader import NotStreamed, RawTable, read_chunks, read_table


def joined(path: Path) -> tuple[RawTable | str, int]:
    """read_chunks's chunks as one table (or its error), and how many chunks there were; a file whose
    chunks stop is read as the pipeline reads it then (whole, by the text path)."""
    try:
        head, chunks = read_chunks(path, canonical, {"name"})
    except InputError as exc:
        return f"InputError: {exc}", 0
    assert head.frame.is_empty()
    pieces: list[RawTable] = []
    try:
        pieces.extend(chunks)
    except NotStreamed:
        try:
            return read_table(path, canonical, {"name"}, bytes_path=False), -1
        except InputError as exc:
            return f"InputError: {exc}", -1
    for piece in pieces:
        assert (piece.source, piece.encoding, piece.headers, piece.columns) == (
            head.source, head.encoding, head.headers, head.columns)
    table = RawTable(head.source, head.encoding, head.headers, head.columns,
                     pl.concat([p.frame for p in pieces]), [r for p in pieces for r in p.rejected],
                     sum(p.rows_read for p in pieces), sum(p.blank_rows for p in pieces))
    return table, len(pieces)


def whole(path: Path) -> RawTable | str:
    try:
        return read_table(path, canonical, {"name"})
    except InputError as exc:
        return f"InputError: {exc}"


def check(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, data: bytes, chunk: int | None = None
          ) -> tuple[RawTable | str, int]:
    path = tmp_path / "t.csv"
    path.write_bytes(data)
    with monkeypatch.context() as patch:
        if chunk is not None:
            patch.setattr(reader, "_CHUNK", chunk)
            patch.setattr(reader, "_SNIFF_BYTES", 2)
        table, count = joined(path)
        assert_same(table, whole(path))
    return table, count


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=files(), chunk=st.sampled_from([None, 1, 7]))
def test_chunks_together_are_read_table(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, data: bytes,
                                        chunk: int | None) -> None:
    check(tmp_path, monkeypatch, data, chunk)


HEADER = "app_no,applicants,note\n"


def test_rows_numbered_and_counted_across_chunks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The header alone in the first chunk (11 bytes, 4 × 2 + 3, and the rest of its line), then a line
    # at a time (a line that is only a line break would leave the file to the text path, as whole).
    lines = ["A1,甲,x", ",,", "  A2 , 乙 ,", "app_no,applicants,note", " , ,\u3000", "A3,丙,"]
    table, count = check(tmp_path, monkeypatch, (HEADER + "\n".join(lines) + "\n").encode(), chunk=1)
    assert count == 7 and isinstance(table, RawTable)  # the header's chunk has no row
    assert table.frame.rows() == [("A1", "甲", "x", 1), ("A2", "乙", None, 3), ("A3", "丙", None, 6)]
    assert (table.rows_read, table.blank_rows) == (6, 2)
    assert [(r.row, r.reason) for r in table.rejected] == [(4, reader.REPEATED_HEADER)]


def test_a_quoted_line_past_the_first_chunk_is_read_in_its_chunk(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """A chunk with quote characters on lines that each read alone as one record is read as
    _read_quoted reads a text: the same rows, numbers and rows set aside as the file read whole."""
    data = (HEADER + "A1,甲,x\n" * 20 + 'A2,"乙,丙",y\n' + 'A3,"丁",z,"w"\n' + "A4,戊,\n").encode()
    table, count = check(tmp_path, monkeypatch, data, chunk=40)
    assert count > 1 and isinstance(table, RawTable)
    assert table.frame.filter(pl.col("app_no") == "A2").rows() == [("A2", "乙,丙", "y", 21)]
    assert [(r.row, r.reason) for r in table.rejected] == [(22, "row has 4 fields but the header has 3")]
    assert (table.rows_read, table.frame.height) == (23, 22)


def test_a_quoted_line_break_past_the_first_chunk_is_read_in_its_chunk(tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """A chunk that ends inside a quoted cell goes on to the line that closes it."""
    data = (HEADER + "A1,甲,x\n" * 20 + 'A2,"乙\n丙\r\n\n丁",y\n' + "A3,戊,\n").encode()
    table, count = check(tmp_path, monkeypatch, data, chunk=40)
    assert count > 1 and isinstance(table, RawTable)
    assert table.frame.filter(pl.col("app_no") == "A2").rows() == [("A2", "乙\n丙\r\n\n丁", "y", 21)]
    assert (table.rows_read, table.frame.height) == (22, 22)


def test_a_quote_left_open_past_the_first_chunk_stops_the_chunks(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "t.csv"
    path.write_bytes((HEADER + "A1,甲,x\n" * 20 + 'A2,"乙\n丙,y\n').encode())
    monkeypatch.setattr(reader, "_CHUNK", 40)
    monkeypatch.setattr(reader, "_SNIFF_BYTES", 2)
    head, chunks = read_chunks(path, canonical)
    assert head.columns == ["app_no", "applicants", "note"]
    first = next(chunks)
    assert first.frame.height > 0
    with pytest.raises(NotStreamed):
        list(chunks)
    table, count = check(tmp_path, monkeypatch, path.read_bytes(), chunk=40)
    assert count == -1 and table == "InputError: t.csv: line 22: a quoted field starts here and is never closed " \
                                     "(unbalanced '\"'); the rest of the file would be read as one cell"


@pytest.mark.parametrize(("tail", "rows", "rejected"), [
    (b"A2,\xff\n", 21, 1), (b"A2,b,c,d\n", 21, 1), (b"A2," + b"x" * 100_001 + b"\n", 21, 1),
    (b"A2\rB\n", 22, 0),  # a lone CR ends a record for the csv module
])
def test_other_rows_past_the_first_chunk_stop_the_chunks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                         tail: bytes, rows: int, rejected: int) -> None:
    table, count = check(tmp_path, monkeypatch, (HEADER + "A1,甲,x\n" * 20).encode() + tail, chunk=40)
    assert count == -1 and isinstance(table, RawTable)
    assert (table.rows_read, len(table.rejected)) == (rows, rejected)


def test_a_nul_byte_past_the_first_chunk_is_the_same_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    table, count = check(tmp_path, monkeypatch, (HEADER + "A1,甲,x\n" * 20).encode() + b"A2\x00\n", chunk=40)
    assert count == -1 and table == "InputError: t.csv: line 22 holds a NUL byte (binary data); this is not " \
                                     "a CSV text file, or it is damaged"


def test_other_files_come_whole_in_one_chunk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for data in [b'app_no,applicants\n"A,1",B\nA2,C\n', "app_no,applicants\n甲,乙\n丙,丁\n".encode("gb18030")]:
        table, count = check(tmp_path, monkeypatch, data)
        assert count == 1 and isinstance(table, RawTable) and table.frame.height == 2


def test_the_header_is_read_before_the_rows(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_bytes((HEADER + "A1,甲,x\n").encode())
    head, chunks = read_chunks(path, canonical)
    path.write_bytes((HEADER + "B1,乙,y\n").encode())  # the rows are read when drawn (the file is open)
    assert (head.headers, head.rows_read) == (["app_no", "applicants", "note"], 0)
    assert_frame_equal(next(chunks).frame.drop("_row"), pl.DataFrame({"app_no": ["A1"], "applicants": ["甲"],
                                                                        "note": ["x"]}))


def test_chunks_dropped_unread_close_the_file(tmp_path: Path) -> None:
    """A run stopped before the patents are parsed (a bad financing file, say) leaves no file open."""
    path = tmp_path / "t.csv"
    path.write_bytes((HEADER + "A1,甲,x\n").encode())
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        _, chunks = read_chunks(path, canonical)
        del chunks
        gc.collect()
    assert [w for w in caught if issubclass(w.category, ResourceWarning)] == []


def test_gb18030_file_streams_a_chunk_at_a_time(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A GB18030 file is transcoded a chunk of lines at a time: the same table as read whole."""
    lines = ["企业名称,城市,备注", *(f"甲乙{i}科技有限公司,苏州, 第{i}号 " for i in range(30)), "企业名称,城市,备注"]
    table, count = check(tmp_path, monkeypatch, ("\n".join(lines) + "\n").encode("gb18030"), chunk=40)
    assert isinstance(table, RawTable) and count > 5
    assert table.encoding == "gb18030"
    assert table.frame.row(0) == ("甲乙0科技有限公司", "苏州", "第0号", 1)
    assert (table.rows_read, table.frame.height) == (31, 30)
    assert [(r.row, r.reason) for r in table.rejected] == [(31, reader.REPEATED_HEADER)]


@pytest.mark.parametrize("tail", [
    "乙,丙,丁\n".encode(),  # a UTF-8 line: the whole file is read line by line in two encodings
    b"\x81\x20,x,y\n",  # bytes GB18030 does not read: their row is set aside
    '"乙\n丙,丁,戊\n'.encode("gb18030"),  # a quote never closed: the csv module words the error
])
def test_gb18030_rows_past_the_first_chunk_stop_the_chunks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                           tail: bytes) -> None:
    data = ("名称,城市,备注\n" + "甲,乙,丙\n" * 20).encode("gb18030") + tail
    table, count = check(tmp_path, monkeypatch, data, chunk=40)
    assert count == -1
    assert table.rows_read == 21 if isinstance(table, RawTable) else table.startswith("InputError: t.csv: line 22")
