"""The reader's bytes path (polars reads a UTF-8 file's bytes, no Python str of the file) gives exactly
the RawTable, or the error, that the text path gives; and _trimmed rewrites only what needs it."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from fintech_firms.errors import InputError
from fintech_firms.tabular import reader
from fintech_firms.tabular.reader import RawTable, read_table

BOM = "\ufeff".encode()


def canonical(header: str) -> str:
    return header.lower()


def outcome(path: Path, monkeypatch: pytest.MonkeyPatch, bytes_path: bool) -> RawTable | str:
    """read_table's table, or its error message, with the bytes path allowed or not."""
    with monkeypatch.context() as patch:
        if not bytes_path:
            patch.setattr(reader, "_read_streamed", lambda path, canonical, known: None)
        try:
            return read_table(path, canonical, {"name"})
        except InputError as exc:
            return f"InputError: {exc}"


def assert_same(fast: RawTable | str, slow: RawTable | str) -> None:
    if isinstance(slow, str) or isinstance(fast, str):
        assert fast == slow
        return
    assert (fast.source, fast.encoding, fast.headers, fast.columns, fast.rows_read, fast.blank_rows,
            fast.provided) == (slow.source, slow.encoding, slow.headers, slow.columns, slow.rows_read,
                               slow.blank_rows, slow.provided)
    assert fast.rejected == slow.rejected
    assert_frame_equal(fast.frame, slow.frame)


def check(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, data: bytes, chunks: bool = False
          ) -> tuple[RawTable | str, bool]:
    """Both paths agree on `data`; returns the table and whether the bytes path read it. `chunks`:
    the bytes path reads a line at a time (and the sniffer, in both paths, reads two characters)."""
    path = tmp_path / "t.csv"
    path.write_bytes(data)
    with monkeypatch.context() as patch:
        if chunks:
            patch.setattr(reader, "_CHUNK", 1)
            patch.setattr(reader, "_SNIFF_BYTES", 2)
        slow = outcome(path, monkeypatch, bytes_path=False)
        fast = outcome(path, monkeypatch, bytes_path=True)
        assert_same(fast, slow)
        return fast, reader._read_streamed(path, canonical, {"name"}) is not None


# Characters that matter to some test of either path: delimiters, quotes, line ends, white space that
# polars strips and Python's strip() strips alone (\x1c), a BOM, multi-byte text, a lone NBSP.
PIECES = st.sampled_from(
    ["a", "b", "name", "Name", " ", "\t", ",", '"', "\r", "\r\n", "\n", "\x1c", "\u3000", "\xa0", "\ufeff",
     "甲", "乙", "𠀀", "é"]
)
# Bytes that are not UTF-8 (or that GB18030 reads), at the byte level.
RAW = st.sampled_from([b"\xff", b"\xe4\xb8", b"\xed\xa0\x80", b"\xc0\x80", b"\xb9\xfa", b"\x81\x30"])


@st.composite
def files(draw) -> bytes:
    delimiter = draw(st.sampled_from([",", "\t"]))
    newline = draw(st.sampled_from(["\n", "\r\n"]))
    header = draw(st.lists(st.sampled_from(["name", "city", " x ", "备注", "", "Name"]), min_size=1, max_size=4))
    cell = st.lists(PIECES, max_size=3).map(lambda s: "".join(s).replace(delimiter, ""))
    rows = draw(st.lists(st.lists(cell, max_size=5), max_size=6))
    lines = [delimiter.join(header), *(delimiter.join(row) for row in rows)]
    # UTF-8, GB18030, or each line in one of the two (a file _decode reads line by line)
    encodings = draw(st.sampled_from([["utf-8"], ["gb18030"], ["utf-8", "gb18030"]]))
    ends = [newline] * (len(lines) - 1) + [draw(st.sampled_from(["", newline]))]
    data = draw(st.sampled_from([b"", BOM, BOM + BOM])) + b"".join(
        (line + end).encode(draw(st.sampled_from(encodings))) for line, end in zip(lines, ends))
    if draw(st.booleans()):
        at = draw(st.integers(0, len(data)))
        data = data[:at] + draw(RAW) + data[at:]
    return data


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=files(), chunks=st.booleans())
def test_bytes_path_equals_text_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, data: bytes,
                                     chunks: bool) -> None:
    check(tmp_path, monkeypatch, data, chunks)


@pytest.mark.parametrize(
    "data, taken",
    [
        (b"name,city\nA,B\n", True),
        (b"name,city\r\nA,B\r\n\r\nC,\r\n", None),  # a blank line: polars may drop it, then the text path
        (BOM + "name\t城市\n甲\t乙\n".encode(), True),
        (BOM + BOM + b"name\nA\n", False),  # polars would drop the second BOM that the header keeps
        (b'name,city\n"A,1",B\n', True),  # a quoted line: read alone by the csv module, as _read_quoted does
        (b'name,city\n"A\n1",B\n', True),  # a quoted line break: the chunk goes on to the record's end
        (b'name,city\n"A\n1,B\n', False),  # a quote never closed: the csv module words the error
        (b'"name",city\nA,B\n', True),  # a header quoted whole: polars reads the quotes too
        ('名称,城市\n"甲,1",乙\n丙,丁\n'.encode("gb18030"), True),
        (b"name,city\nA\rB,C\n", False),  # a lone CR ends a record for the csv module
        ("name,city\n甲,乙\n".encode("gb18030"), True),  # GB18030 throughout: transcoded a chunk at a time
        ("名称,城市\n甲,乙\n".encode("gb18030"), True),
        ("\ufeff名称,城市\n甲,乙\n".encode("gb18030"), False),  # a BOM in GB18030, which _decode keeps
        ("名称,城市\n甲,乙\n".encode("gb18030") + "丙,丁\n".encode(), False),  # a UTF-8 line: read line by line
        ("名称,城市\n甲,乙\n".encode("gb18030") + b"\x81\n", False),  # bad bytes: their row set aside
        (BOM + "名称,城市\n甲,乙\n".encode("gb18030"), False),  # a BOM says UTF-8
        ("name,city\n甲,乙\n".encode() + b"\xff\n", False),  # damaged UTF-8
        (b"\n\nname,city\nA,B\n", False),  # the header below blank lines
        (b"name,city\nA,B,C\n", False),  # ragged
        (b"name,city\n" + b"x" * 100_001 + b",B\n", False),  # an oversized cell: set aside by the csv path
        (("name,city\n" + "甲" * 50_000 + ",B\n").encode(), True),  # 150,000 bytes but 50,000 characters
        (b",".join([b"c"] * 1_001) + b"\nA\n", False),  # too many columns: the text path says so
        (b" \t\n", False),  # empty
    ],
)
@pytest.mark.parametrize("chunks", [False, True])
def test_bytes_path_cases(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, data: bytes, taken: bool | None,
                          chunks: bool) -> None:
    _, bytes_path = check(tmp_path, monkeypatch, data, chunks)
    if taken is not None:
        assert bytes_path is taken


def test_chunks_of_lines(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Read a line at a time, a short line, a longer one and a line starting with a BOM (which polars
    would drop at the start of a chunk) read as in one piece."""
    for data, taken in [(b"a,b,c\nx\n\nx,y,z\n,,\n", True), ("a,b\nx,y\nx,y\nx,y\n\ufeffz,w\n".encode(), False)]:
        table, bytes_path = check(tmp_path, monkeypatch, data, chunks=True)
        assert bytes_path is taken
        assert isinstance(table, RawTable) and table.frame.height in (2, 4)


def test_demo_like_file_reads_through_bytes_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rows = [f"CN2021{i:07d},甲乙科技有限公司;某某 ,发明, 2021-01-0{i % 9 + 1},G06Q40/00 ,有效" for i in range(2_000)]
    data = ("app_no,applicants,patent_type,app_date,ipc,legal_status\n" + "\n".join(rows) + "\n").encode()
    table, bytes_path = check(tmp_path, monkeypatch, data)
    assert bytes_path and isinstance(table, RawTable)
    assert table.rows_read == 2_000 and table.frame.height == 2_000
    assert table.frame.row(0) == ("CN20210000000", "甲乙科技有限公司;某某", "发明", "2021-01-01", "G06Q40/00", "有效", 1)


def test_white_space_is_what_polars_strips() -> None:
    """_trimmed skips a column in which no cell matches _needs_trim: the class must be exactly the
    characters polars' strip_chars() removes."""
    chars = [chr(i) for i in range(0x110000) if not 0xD800 <= i < 0xE000]
    cells = pl.Series([f"x{c}" for c in chars])
    stripped = {c for c, v in zip(chars, cells.str.strip_chars().to_list()) if v == "x"}
    assert stripped == set(reader._WHITE_SPACE)
    frame = pl.DataFrame({"a": [f"{c}x" for c in chars], "b": [f"x{c}" for c in chars]})
    needs = frame.select(reader._needs_trim(pl.col("a")), reader._needs_trim(pl.col("b")))
    assert {c for c, n in zip(chars, needs["a"]) if n} == stripped
    assert {c for c, n in zip(chars, needs["b"]) if n} == stripped


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(st.none(), st.text(st.sampled_from(["a", " ", "\u3000", "\x1c", "\n", "甲"]), max_size=3)),
                max_size=6))
def test_trimmed_equals_trimming_every_column(cells: list[str | None]) -> None:
    frame = pl.DataFrame({"a": cells, "b": ["k"] * len(cells)}, schema={"a": pl.Utf8, "b": pl.Utf8})
    every = frame.with_columns(
        pl.when(pl.col(c).str.strip_chars() != "").then(pl.col(c).str.strip_chars()).alias(c) for c in ("a", "b"))
    assert_frame_equal(reader._trimmed(frame, ["a", "b"]), every)


def outcome_quoted(path: Path, monkeypatch: pytest.MonkeyPatch, fast: bool, chunk: int | None = None
                   ) -> RawTable | str:
    """read_table's table (or error); not `fast`: quoted text read by the csv module alone. `chunk`: the
    bytes path reads that many bytes at a time (and the sniffer two characters)."""
    with monkeypatch.context() as patch:
        if not fast:
            patch.setattr(reader, "_read_quoted", lambda *args: None)
            patch.setattr(reader, "_read_all_quoted", lambda *args: None)
        if chunk is not None:
            patch.setattr(reader, "_CHUNK", chunk)
            patch.setattr(reader, "_SNIFF_BYTES", 2)
        try:
            return read_table(path, canonical, {"name"})
        except InputError as exc:
            return f"InputError: {exc}"


QUOTED_PIECES = st.sampled_from(
    ['"', '""', "a", "甲", " ", "\u3000", "\x1c", ",", "\t", "\n", "\r\n", "x" * 5]
)


@st.composite
def quoted_files(draw) -> bytes:
    """CSV text with the odd quoted cell (holding a delimiter, a doubled quote, at times a line break
    or a quote left open), in UTF-8 or GB18030."""
    delimiter = draw(st.sampled_from([",", "\t"]))
    newline = draw(st.sampled_from(["\n", "\r\n"]))
    header = draw(st.lists(st.sampled_from(["name", "city", " x ", "备注", "", "Name", '"q"', "\ufeffname"]),
                           min_size=1, max_size=3))
    plain_cell = st.lists(st.sampled_from(["a", "甲", " ", "\x1c", "\u3000", "b" * 4]), max_size=3).map("".join)
    quoted_cell = st.lists(QUOTED_PIECES, max_size=4).map(lambda p: '"' + "".join(p).replace('"', '""') + '"')
    odd_cell = st.lists(QUOTED_PIECES, max_size=3).map("".join)  # a stray quote, a line break…
    # The odd quoted cell, or every cell quoted (header too) but for the odd one
    if draw(st.booleans()):
        cell = st.one_of(plain_cell, plain_cell, quoted_cell, odd_cell)
    else:
        header = ['"' + h.replace('"', '""') + '"' for h in header]
        cell = st.one_of(*[quoted_cell] * 6, plain_cell, odd_cell)
    rows = draw(st.lists(st.lists(cell, max_size=4), max_size=7))
    text = newline.join([delimiter.join(header), *(delimiter.join(r) for r in rows)])
    text += draw(st.sampled_from(["", newline]))
    return text.encode(draw(st.sampled_from(["utf-8", "gb18030"])))


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=quoted_files(), chunk=st.sampled_from([None, 1, 13]))
def test_quoted_lines_path_equals_csv_module_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                  data: bytes, chunk: int | None) -> None:
    path = tmp_path / "q.csv"
    path.write_bytes(data)
    assert_same(outcome_quoted(path, monkeypatch, True, chunk), outcome_quoted(path, monkeypatch, False, chunk))


@pytest.mark.parametrize(
    "text, taken",
    [
        ('name,city\nA,B\n"C,1",D\nE,F\n', True),
        ('name,city\r\nA,B\r\n"C,1",D\r\n\r\n , \r\nE,"F"', True),  # blank rows, no final line break
        ('name,city\nA,B\n"C\nD",E\n', False),  # a line break inside quotes
        ('name,city\nA,B\n"C,D\n', False),  # a quote never closed: the csv module words the error
        ('name,city\n"A",B,C\n"1"\n\x1c,\x1c\n', True),  # too many fields; a short row; \x1c is blank here
        ('"name",city\nA,B\n', False),  # a quoted header
        ('name,city\nA,B,C\n"D",E\n', False),  # a ragged row polars refuses: the csv module sets it aside
        ('name,city\nname,city\n"x",y\n', True),  # the header again
        ('\ufeffname,city\nname,city\n"x",y\n', False),  # a BOM in the text, which polars would drop
    ],
)
def test_quoted_lines_cases(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str, taken: bool) -> None:
    path = tmp_path / "q.csv"
    for encoding in ("utf-8", "gb18030"):
        path.write_bytes(text.encode(encoding))
        fast = outcome_quoted(path, monkeypatch, True)
        assert_same(fast, outcome_quoted(path, monkeypatch, False))
        ran = reader._read_quoted(text, ",", "q.csv", encoding, canonical, {"name"}) is not None
        assert ran is taken


@pytest.mark.parametrize(
    "text, taken",
    [
        ('"name","city"\n' + "".join(f'"a{i}","b,""c"""\n' for i in range(100)), True),
        ('"name","city"\r\n"a",\r\n\r\n" ","\x1c"\r\n"name","city"\r\n"d","e"', True),  # blank rows, header again
        ('name,city\n"a","b"\n"c"\n', True),  # a short row: padded
        ('name,city\n"a","b","c"\n', False),  # a row wider than the header: the csv module sets it aside
        ('name,city\n"a\nb","c"\r\n"d\r\n\ne"\n', True),  # line breaks inside quotes, kept as written
        ('name,city\n"a\n\nb","c"\n\n"d",\n', True),  # a blank line, inside quotes and out
        ('name,city\n"a\nb,"c"\n', False),  # a quote never closed
        ('name,city\n"a"b,c\n', False),  # a quote closed inside the field
        ('name,city\na"b,c\n', False),  # a quote inside an unquoted field
        ('name,city\n "a",c\n', False),  # a space before the quote: the csv module reads it as written
    ],
)
def test_every_field_quoted_cases(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str, taken: bool) -> None:
    """An export that quotes every field (more quoted lines than _read_quoted takes) is read by polars
    whole, quotes included, when every quote belongs to a field quoted whole on one line."""
    ran = reader._read_all_quoted(text, ",", "q.csv", "utf-8", canonical, {"name"}) is not None
    assert ran is taken
    path = tmp_path / "q.csv"
    path.write_bytes(text.encode())
    for chunk in (None, 1, 9):
        assert_same(outcome_quoted(path, monkeypatch, True, chunk), outcome_quoted(path, monkeypatch, False, chunk))


@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from([b"\n", b"\r\n", b"\r", b"a", b"\xe7\x94\xb2", b"\xc3\xa9", b"\xb9\xfa", b"\xff",
                                 b"\xe4\xb8"]), max_size=12).map(b"".join))
def test_utf8_line_search_is_the_regex(data: bytes) -> None:
    assert reader._has_utf8_line(data) is (reader._UTF8_LINE.search(data) is not None)


@pytest.mark.parametrize("lengths", [[], [10], [999_999], [1_000_000], [1_000_001, 3], [3, 499_999, 500_000, 3],
                                     [700_000, 999_999, 20], [1_999_999], [10, 1_000_000]])
def test_long_line_precheck_misses_no_long_line(lengths: list[int]) -> None:
    text = "\n".join("x" * n for n in lengths)
    if reader._LONG_LINE.search(text) is not None:
        assert reader._may_have_long_line(text)
    if all(n < 900_000 for n in lengths) and lengths:
        assert not reader._may_have_long_line(text + "\n")
