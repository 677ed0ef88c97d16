"""read_header gives read_table's headers and columns (or its error) from a file's first line alone, and
reads nothing past it; a file whose first line it does not read so is read whole, as read_table reads it."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from test_reader_bytes import canonical, files, quoted_files

from fintech_firms.errors import InputError
from fintech_firms.tabular import reader
from fintech_firms.tabular.reader import RawTable, read_header, read_table

GB_HEADER = "企业名称,日期".encode("gb18030")


def outcome(read, path: Path) -> RawTable | str:
    try:
        return read(path, canonical, {"name"})
    except InputError as exc:
        return f"InputError: {exc}"


def from_first_line(path: Path) -> bool:
    return reader.first_line_header(path, canonical, {"name"}) is not None


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=files() | quoted_files())
def test_header_is_read_tables_header(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "t.csv"
    path.write_bytes(data)
    whole, head = outcome(read_table, path), outcome(read_header, path)
    if isinstance(head, str):
        assert head == whole  # an error is read_table's own
        return
    assert head.frame.is_empty() and head.frame.columns == [*head.columns, reader.ROW]
    if isinstance(whole, str):
        assert from_first_line(path)  # the error lies past the header: for the read of the rows
        return
    first_line = data.removeprefix(reader._BOM).split(b"\n", 1)[0]
    if whole.encoding.removesuffix("-sig") != head.encoding.removesuffix("-sig") and not first_line.isascii():
        return  # decoded whole in another encoding (see read_header): ingest checks the columns again then
    assert (head.source, head.headers, head.columns) == (whole.source, whole.headers, whole.columns)


@pytest.mark.parametrize(("data", "first_line"), [
    (b"name,city\nA,B\n", True),
    (b"\xef\xbb\xbfname\tcity\r\nA\tB\r\n", True),
    (GB_HEADER + b"\n" + "甲,2020".encode("gb18030") + b"\n", True),
    (b"name,city", True),  # no line end, no rows
    (b"name,city\nA,B\x00\n", False),  # a NUL byte in the first 64 KiB: binary data, as read_table says
    (b"name,city\n" + b"A,B\n" * 20000 + b"\x00\n", True),  # further on: the read of the rows refuses it
    (b'"name",city\nA,B\n', True),  # a field quoted whole: read alike by the csv module and polars
    (b'"na""me","city"\nA,B\n', True),
    (b'"name\ncity"\nA,B\n', False),  # a quoted line break: the csv module reads it
    (b'"name"x,city\nA,B\n', False),
    (b"\nname,city\nA,B\n", False),  # below a blank line
    (b"name\rcity\nA\n", False),  # a lone CR ends a record for the csv module
    (b"name,name\nA,B\n", False),  # two headers mean one column: read_table words it
    (b"PK\x03\x04name\n", False),
    (b"\xffname,city\n", False),  # neither UTF-8 nor GB18030
])
def test_first_line_cases(tmp_path: Path, data: bytes, first_line: bool) -> None:
    path = tmp_path / "t.csv"
    path.write_bytes(data)
    assert from_first_line(path) is first_line
    whole, head = outcome(read_table, path), outcome(read_header, path)
    if isinstance(whole, str) and first_line:
        assert isinstance(head, RawTable)
    elif isinstance(whole, str):
        assert head == whole
    else:
        assert isinstance(head, RawTable)
        assert (head.encoding, head.headers, head.columns) == (whole.encoding, whole.headers, whole.columns)


def test_only_the_first_line_is_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "t.csv"
    path.write_bytes(b"name,city\n" + b"A,B\n" * 100_000)
    monkeypatch.setattr(reader, "read_table", lambda *args, **kwargs: pytest.fail("read whole"))
    head = read_header(path, canonical, {"name"})
    assert (head.headers, head.columns, head.frame.height) == (["name", "city"], ["name", "city"], 0)
