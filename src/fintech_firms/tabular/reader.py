"""Read one raw file (CSV in UTF-8 or GB18030, or XLSX) into a table of text cells.

Cells stay text here; typing and validation happen per table in the rules. What cannot be read as a
row (too many fields, bytes invalid for the file's encoding, an oversized cell) is set aside with its
reason so that every data row is accounted for. Problems with the file as a whole raise InputError.
"""

from __future__ import annotations

import codecs
import csv
import dataclasses
import io
import json
import re
import unicodedata
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import cast

import polars as pl

from ..errors import InputError
from .cells import MAX_CELL_CHARS, xlsx_cell
from .limits import (
    EXCEL_MAX_ROWS,
    LONG_LINE_CHARS,
    MAX_COLUMNS,
    MAX_EXTRA_FIELDS_SHOWN,
    MAX_HEADER_CHARS,
    MAX_LINE_DELIMITERS,
    MAX_XLSX_UNZIPPED,
)

ROW = "_row"
_SNIFF_BYTES = 64 * 1024


@dataclass
class Rejected:
    """A data row set aside while reading, before any rule saw it."""

    row: int
    reason: str
    record: str


@dataclass
class RawTable:
    source: str
    encoding: str
    headers: list[str]  # as written in the file; a repeated one gets its position (备注_5) as a key
    columns: list[str]  # canonical name per header position
    frame: pl.DataFrame  # one Utf8 column per canonical name, blanks as null, plus _row (1-based)
    rejected: list[Rejected] = field(default_factory=list)
    rows_read: int = 0  # data rows in the file, blank ones included
    blank_rows: int = 0
    provided: bool = True  # False: an optional file that is not in the raw folder, read as empty

    @classmethod
    def absent(cls, source: str, columns: tuple[str, ...]) -> RawTable:
        frame = pl.DataFrame(schema={**{c: pl.Utf8 for c in columns}, ROW: pl.Int64})
        return cls(source, "", list(columns), list(columns), frame, provided=False)

    def records(self, rows: pl.DataFrame) -> list[str]:
        """The rows' cells as JSON objects keyed by the headers as written, for quarantine."""
        keys = list(zip(self.columns, self.headers))
        out = []
        for values in rows.select([c for c, _ in keys]).iter_rows():
            out.append(record_json(dict(zip((h for _, h in keys), values))))
        return out


def record_json(cells: dict) -> str:
    return json.dumps(cells, ensure_ascii=False)


def find_file(raw_dir: Path, stem: str) -> Path | None:
    """The raw file for a stem, as .csv or .xlsx (any case); two candidates are ambiguous."""
    found = sorted(
        p for p in raw_dir.iterdir()
        if p.is_file() and p.stem.lower() == stem and p.suffix.lower() in (".csv", ".xlsx")
    )
    if len(found) > 1:
        names = ", ".join(p.name for p in found)
        raise InputError(f"{raw_dir}: both {names} are present; keep one of them")
    return found[0] if found else None


def read_table(path: Path, canonical, known: set[str] | frozenset = frozenset(), *,
               bytes_path: bool = True) -> RawTable:
    """Read `path`; `canonical(header)` maps a written header to the contract's column name, and
    `known` lists the columns the file may carry (two headers meaning one of them is an error).
    `bytes_path=False`: the bytes path is not tried (read_chunks found it does not apply)."""
    if path.suffix.lower() == ".xlsx":
        from .xlsx_fast import read_xlsx_fast  # imports this module: loaded on first use

        _check_unzipped_size(path)
        fast = read_xlsx_fast(path)
        if fast is not None:
            return _from_xlsx_frame(path.name, *fast, canonical, known)
        headers, rows, encoding = _read_xlsx(path)
        return _build(path.name, headers, rows, encoding, False, canonical, known)
    streamed = _read_streamed(path, canonical, known) if bytes_path else None
    if streamed is not None:
        return streamed
    data = _load_csv_bytes(path)
    text, encoding, damaged, mixed = _decode_csv(data, path)
    del data
    delimiter = _sniff_delimiter(text)
    _check_header_line(text, delimiter, path.name)
    plain = None if damaged else _read_plain(text, delimiter)
    if plain is not None:
        del text
        return _from_frame(path.name, plain, encoding, canonical, known)
    # Only here: polars read no row wider than the header (it refuses a ragged file).
    _check_long_lines(text, delimiter, path.name)
    for read_quoted in (() if damaged else (_read_quoted, _read_all_quoted)):
        quoted = read_quoted(text, delimiter, path.name, encoding, canonical, known)
        if quoted is not None:
            return quoted
    headers, rows = _csv_rows(text, delimiter, path.name, mixed)
    return _build(path.name, headers, rows, encoding, damaged, canonical, known)


def _columns(source: str, headers: list[str], encoding: str, canonical, known) -> tuple[list[str], list[str]]:
    """Headers as written (cleaned) and the contract column each one means."""
    if len(headers) > MAX_COLUMNS:
        raise InputError(f"{source}: the header row has {len(headers):,} columns (limit {MAX_COLUMNS:,}); "
                         f"is this the right file?")
    headers = [_clean_header(h, i) for i, h in enumerate(headers)]
    for i, header in enumerate(headers):
        if _has_bad_bytes(header):
            # A damaged header would silently drop its column (or crash when printed); fix the file.
            raise InputError(
                f"{source}: the header row has bytes that are invalid for encoding {encoding} "
                f"(column {i + 1}: '{_shown(_escaped(header))}')"
            )
    columns = [canonical(h) for h in headers]
    seen: dict[str, int] = {}
    for i, col in enumerate(columns):
        if col in seen and col not in known:
            # Two columns the contract does not use (two 备注) are kept apart, not an error.
            col = columns[i] = f"{col}_{i + 1}"
        if col in seen:
            a, b = seen[col], i
            raise InputError(
                f"{source}: columns {a + 1} ('{_shown(headers[a])}') and {b + 1} ('{_shown(headers[b])}') both mean "
                f"'{col}'; remove or rename one of them"
            )
        seen[col] = i
    # Records in quarantine are keyed by header; a repeated header must not hide the other's value.
    written: set[str] = set()
    for i, header in enumerate(headers):
        if header in written:
            headers[i] = f"{header}_{i + 1}"
        written.add(headers[i])
    return headers, columns


def _build(
    source: str, headers: list[str], rows, encoding: str, damaged: bool, canonical, known
) -> RawTable:
    """`damaged`: the text holds bytes invalid for its encoding somewhere (rows with them are set aside)."""
    headers = [h.removeprefix(MIXED_MARK) for h in headers]  # a header in the other encoding is read
    written = _written(headers)
    headers, columns = _columns(source, headers, encoding, canonical, known)
    checked = _check_rows(enumerate(rows, start=1), headers, encoding, damaged)
    columns_of_cells = list(zip(*checked.kept)) if checked.kept else [()] * len(headers)
    data = {col: pl.Series(col, values, dtype=pl.Utf8) for col, values in zip(columns, columns_of_cells)}
    data[ROW] = pl.Series(ROW, checked.row_numbers, dtype=pl.Int64)
    frame = _trimmed(pl.DataFrame(data), columns)
    table = RawTable(source, encoding, headers, columns, frame, checked.rejected, checked.last_row, checked.blank)
    return _without_repeated_header(table, written)


@dataclass
class _CheckedRows:
    kept: list[list[str]] = field(default_factory=list)  # padded to the header's width
    row_numbers: list[int] = field(default_factory=list)  # of the kept rows
    rejected: list[Rejected] = field(default_factory=list)
    blank: int = 0
    last_row: int = 0


def _check_rows(numbered_rows, headers: list[str], encoding: str, damaged: bool) -> _CheckedRows:
    """Rows parsed by the csv module, (row number, cells), sorted into kept, blank and rejected."""
    width = len(headers)
    out = _CheckedRows()
    for row_no, cells in numbered_rows:
        out.last_row = row_no
        if not "".join(cells).strip():
            out.blank += 1
            continue
        # The common row has the header's width, short cells and clean bytes: one cheap test.
        if (len(cells) != width or max(map(len, cells)) > MAX_CELL_CHARS
                or (damaged and _has_bad_bytes("".join(cells)))):
            reason = _row_problem(cells, width, encoding)
            if reason:
                out.rejected.append(Rejected(row_no, reason, _raw_record(headers, cells)))
                continue
            cells = (cells + [""] * width)[:width]
        out.row_numbers.append(row_no)
        out.kept.append(cells)
    return out


def _trimmed(frame: pl.DataFrame, columns: list[str]) -> pl.DataFrame:
    # Surrounding whitespace is never data; a blank cell is unknown (contract §1).
    # Only the columns with such a cell are rewritten, one at a time: a column of a file of millions
    # of rows is hundreds of MB, and most columns of an export have none.
    untrimmed = frame.select(_needs_trim(pl.col(c)).any().alias(c) for c in columns).row(0) if columns else ()
    for column, needed in zip(columns, untrimmed):
        if needed:
            stripped = pl.col(column).str.strip_chars()
            frame = frame.with_columns(pl.when(stripped != "").then(stripped).alias(column))
    return frame


# The characters polars' strip_chars() removes (Unicode White_Space; a test checks the list).
_WHITE_SPACE = ("\t\n\x0b\x0c\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008"
                "\u2009\u200a\u2028\u2029\u202f\u205f\u3000")


def _needs_trim(cell: pl.Expr) -> pl.Expr:
    """True for a cell that _trimmed changes: empty, or starting or ending with white space (what
    strip_chars removes: it is shorter stripped). Lengths compared rather than a regex with both
    anchors: a fifth of a plain chunk's reading less."""
    length = cell.str.len_bytes()
    return (cell.str.strip_chars().str.len_bytes() != length) | (length == 0)


def _read_plain(text: str, delimiter: str) -> pl.DataFrame | None:
    """The file's records (header first) read by polars, when the text is plain enough that this is
    exactly what the csv module would give: no quote characters, no lone carriage returns, a header on
    the first line, no record wider than the header and no oversized cell. Else None.

    Machine exports of a million rows are mostly plain; polars reads them ten times faster, in a
    fraction of the memory.
    """
    if '"' in text or text.count("\r") != text.count("\r\n") or not text.split("\n", 1)[0].strip():
        return None
    try:
        frame = pl.read_csv(
            text.encode("utf-8"), has_header=False, separator=delimiter, quote_char=None,
            infer_schema=False, raise_if_empty=True,
        )
    except (pl.exceptions.PolarsError, ValueError):
        return None  # a ragged row, say: the csv module path handles it row by row
    records = text.count("\n") + (0 if text.endswith("\n") else 1)
    if frame.height != records:
        return None  # blank lines dropped by this polars version: row numbers would shift
    return None if _longest_cell(frame) > MAX_CELL_CHARS else frame


# Quoted lines past this share of the records (an export that quotes every field) leave the file to
# the csv module: _read_quoted would parse most lines twice.
_MAX_QUOTED_SHARE = 0.05


def _read_quoted(text: str, delimiter: str, source: str, encoding: str, canonical, known) -> RawTable | None:
    """What _build makes of the csv module's rows of `text`, for a text whose quote characters all lie
    on lines that the csv module reads as one whole record each (no quoted line break, no open quote),
    like an export that quotes the odd cell holding a comma. polars reads the other lines (with the
    quoted ones emptied, so that the row numbers stay), the csv module the quoted ones, and both sets
    of rows are checked as _build checks its rows. None when that is not so, or not cheaply told so.

    Every record then is one line: the csv module starts each line outside quotes (the lines before
    hold no open quote), so a quoted line reads alone as it reads in the whole text.
    """
    from .xlsx_fast import _has_text  # str.strip()'s white space, as _build's blank rows use it

    if '"' not in text or text.startswith("\ufeff"):
        return None  # no quote: _read_plain has said no; a BOM left in the text: polars would drop it
    if "\r" in text and text.count("\r") != text.count("\r\n"):
        return None  # a lone CR ends a record for the csv module, not for polars
    first_end = text.find("\n")
    first = text[:len(text) if first_end == -1 else first_end]
    if not first.strip() or '"' in first:
        return None  # the header below blank lines, or quoted: for the csv module
    records = text.count("\n") + (0 if text.endswith("\n") else 1)
    spans: list[tuple[int, int]] = []  # start and end (past its LF) of each line with a quote character
    numbers: list[int] = []  # their 1-based line numbers
    line, cursor = 1, 0  # the line that starts at cursor
    position = text.find('"')
    while position != -1:
        start = text.rfind("\n", 0, position) + 1
        end = text.find("\n", position)
        end = len(text) if end == -1 else end + 1
        line += text.count("\n", cursor, start)
        spans.append((start, end))
        numbers.append(line)
        line, cursor = line + 1, end
        if len(spans) > _MAX_QUOTED_SHARE * records + 10:
            return None
        position = text.find('"', end)
    quoted_rows: list[tuple[int, list[str]]] = []
    for (start, end), number in zip(spans, numbers):
        try:
            parsed = list(csv.reader(io.StringIO(text[start:end], newline=""), delimiter=delimiter, strict=True))
        except csv.Error:
            return None  # the whole-text read words the error
        if len(parsed) != 1:
            return None
        quoted_rows.append((number - 1, parsed[0]))  # row 1 is the line after the header
    pieces, last = [], 0
    for start, end in spans:
        pieces.append(text[last:start])
        pieces.append(" \n" if text[end - 1:end] == "\n" else " ")  # one cell, whatever the width
        last = end
    pieces.append(text[last:])
    try:
        frame = pl.read_csv(
            "".join(pieces).encode("utf-8"), has_header=False, separator=delimiter, quote_char=None,
            infer_schema=False, raise_if_empty=True,
        )
    except (pl.exceptions.PolarsError, ValueError):
        return None  # a ragged row: the csv module sets it aside
    del pieces
    read = _header_and_body(frame, records, source, encoding, canonical, known)
    del frame
    if read is None:
        return None
    headers, columns, written, body = read
    filled = pl.any_horizontal(_has_text(pl.col(c)) for c in columns)
    body = body.filter(filled & ~pl.col(ROW).is_in([row for row, _ in quoted_rows]))
    blank = records - 1 - len(quoted_rows) - body.height
    # _build's test of each row, for the quoted ones (their text holds no invalid bytes on this path)
    checked = _check_rows(quoted_rows, headers, encoding, False)
    # Trimmed apart (trimming is cell by cell): the csv module's rows hold "" for a blank cell, and
    # trimmed together they would have every column of the file rewritten.
    frame = _trimmed(body, columns)
    del body
    if checked.kept:
        data = {col: pl.Series(col, values, dtype=pl.Utf8) for col, values in zip(columns, zip(*checked.kept))}
        data[ROW] = pl.Series(ROW, checked.row_numbers, dtype=pl.Int64)
        frame = _put_in_place(frame, _trimmed(pl.DataFrame(data), columns))
    table = RawTable(source, encoding, headers, columns, frame, checked.rejected, records - 1,
                     blank + checked.blank)
    return _without_repeated_header(table, written)


def _header_and_body(frame: pl.DataFrame, records: int, source: str, encoding: str, canonical, known
                     ) -> tuple[list[str], list[str], list[str], pl.DataFrame] | None:
    """For a frame of the `records` records polars read (the header first): the headers, their
    columns, the header as a data row repeating it reads, and the data rows named and numbered (ROW).
    None when polars read another number of records (it dropped a blank line, say), a cell is over the
    size limit (the csv module sets its row aside) or the first record is blank (the csv module would
    take a later one for the header)."""
    if frame.height != records or _longest_cell(frame) > MAX_CELL_CHARS:
        return None
    header = [v or "" for v in frame.row(0)]
    if not any(h.strip() for h in header):
        return None
    headers, columns = _columns(source, header, encoding, canonical, known)
    body = frame.slice(1).rename(dict(zip(frame.columns, columns)))
    body = body.with_columns(pl.int_range(1, body.height + 1, dtype=pl.Int64).alias(ROW))
    return headers, columns, _written(header), body


def _quoted_fields(delimiter: str) -> re.Pattern[str]:
    """Records whose every quote character is part of a field quoted whole (from a delimiter or the
    line's start to a delimiter or its end, inner quotes doubled, line breaks inside kept as written):
    fields the csv module and polars read alike."""
    d = re.escape(delimiter)
    field = f'(?:"(?:[^"]++|"")*+"|[^"{d}\\r\\n]*+)'
    line = f"{field}(?:{d}{field})*+"
    return re.compile(f"(?:{line}\\r?\\n)*+(?:{line})?")


_QUOTED_FIELDS = {delimiter: _quoted_fields(delimiter) for delimiter in (",", "\t")}


def _read_all_quoted(text: str, delimiter: str, source: str, encoding: str, canonical, known) -> RawTable | None:
    """What _build makes of the csv module's rows of `text`, for a text whose quote characters all
    belong to fields quoted whole (_quoted_fields), like an export that quotes every field, or whose
    quoted cells hold line breaks: polars reads it all, quotes included. None when that is not so, or
    polars reads it otherwise (a row wider than the header, a blank line dropped)."""
    from .xlsx_fast import _has_text  # str.strip()'s white space, as _build's blank rows use it

    if text.startswith("\ufeff") or not _QUOTED_FIELDS[delimiter].fullmatch(text):
        return None  # a BOM left in the text: polars would drop it
    records = text.count("\n") + (0 if text.endswith("\n") else 1)
    try:
        frame = pl.read_csv(text.encode("utf-8"), has_header=False, separator=delimiter, quote_char='"',
                            infer_schema=False, raise_if_empty=True)
    except (pl.exceptions.PolarsError, ValueError):
        return None  # a ragged row: the csv module sets it aside
    if frame.height != records:
        # A record per line but for the line breaks inside quoted cells (unquoted ones hold none).
        records -= frame.select(pl.sum_horizontal(pl.all().str.count_matches("\n", literal=True).sum())).item()
    read = _header_and_body(frame, records, source, encoding, canonical, known)
    del frame
    if read is None:
        return None
    headers, columns, written, body = read
    body = body.filter(pl.any_horizontal(_has_text(pl.col(c)) for c in columns))
    table = RawTable(source, encoding, headers, columns, _trimmed(body, columns), [], records - 1,
                     records - 1 - body.height)
    return _without_repeated_header(table, written)


def _put_in_place(frame: pl.DataFrame, rows: pl.DataFrame) -> pl.DataFrame:
    """`frame` with the few `rows` put in their places by ROW (both sorted by it, no number in both):
    slices of the two joined without a copy, where a sort or a merge copies every column of the file."""
    at = frame.get_column(ROW).search_sorted(rows.get_column(ROW)).to_list()
    parts, last = [], 0
    for i, place in enumerate(at):
        parts += [frame.slice(last, place - last), rows.slice(i, 1)]
        last = place
    parts.append(frame.slice(last))
    return pl.concat(parts, rechunk=False)


_BOM = b"\xef\xbb\xbf"


# Bytes polars parses at a time on the bytes path: the file is never in memory whole, only its cells.
_CHUNK = 64 * 2**20


def _read_streamed(path: Path, canonical, known) -> RawTable | None:
    """read_table's table, for a file in UTF-8 or in GB18030 throughout that the bytes path reads
    (read_chunks's chunks, joined): polars reads the file's bytes a chunk of lines at a time (a
    GB18030 chunk transcoded to UTF-8 first, once; a chunk with quote characters read as
    _read_quoted reads a text), so neither the file's bytes nor a str of them (each more than the
    file's size; the str a second per 100 MB to decode, and then encoded back) are ever whole in
    memory. None when the file is not so, or not cheaply told so; the text path then reads it, and
    words any error.

    The text of valid UTF-8 encodes back to these very bytes (less a BOM, which polars drops too), so
    _read_plain's tests read the same on the bytes: b'"' and b"\r" are only ever those characters,
    and lines end at b"\n"; a chunk ends after a b"\n", so no test straddles two chunks. polars
    refuses bytes that are not UTF-8, which tells whether the file is. GB18030 never puts b"\n" inside
    a character, so a chunk of its lines decodes as it does within the whole file (_decoded).
    """
    started = _start_chunks(path, canonical, known)
    if started is None:
        return None
    head, chunks = started
    try:
        pieces = list(chunks)
    except NotStreamed:
        return None
    # Not rechunked: one read of the whole file gives a frame of many chunks as well.
    frame = pl.concat([p.frame for p in pieces], rechunk=False) if len(pieces) > 1 else pieces[0].frame
    return RawTable(head.source, head.encoding, head.headers, head.columns, frame,
                    [r for p in pieces for r in p.rejected], sum(p.rows_read for p in pieces),
                    sum(p.blank_rows for p in pieces))


class _NotPlain(Exception):
    """The file is not one for the bytes path."""


def _plain_head(file) -> tuple[bytes, str, str, str]:
    """The first chunk's bytes, the delimiter, the encoding and the header line (decoded, with its
    line end), for a file the bytes path may read."""
    # The first chunk holds the whole first line and what the delimiter sniffer reads.
    data = _read_lines(file, max(_CHUNK, 4 * _SNIFF_BYTES + 3))
    if data[:_SNIFF_BYTES].startswith(b"PK\x03\x04") or b"\x00" in data:
        raise _NotPlain  # not text: the text path says so
    start = 0
    if data.startswith(_BOM):
        if data.startswith(_BOM, 3):
            raise _NotPlain  # polars would drop this BOM too; _decode leaves it in the header
        start = 3
    end = data.find(b"\n", start)
    if (len(data) if end == -1 else end) - start > 4 * MAX_HEADER_CHARS:
        raise _NotPlain  # too long a header line at any width of character: the text path says so
    end = len(data) if end == -1 else end + 1  # past the line's end
    # Not UTF-8 as a whole when a line is not: GB18030 then, the other encoding _decode reads, if
    # every chunk is (_decoded).
    encoding = "utf-8-sig" if start else "utf-8" if _reads_as_utf8(data) else "gb18030"
    codec = "utf-8" if start else encoding
    try:
        line = data[start:end].decode(codec)
        # decoded up to a character that the cut splits; at least the characters the sniffer reads
        head = codecs.getincrementaldecoder(codec)().decode(data[start:start + 4 * _SNIFF_BYTES])
    except UnicodeDecodeError:
        raise _NotPlain from None
    first = line.removesuffix("\n").removesuffix("\r")
    if not first.strip() or first.startswith("\ufeff"):
        raise _NotPlain  # the header below blank lines: for the csv module; a GB18030 BOM: _decode keeps it
    delimiter = _sniff_delimiter(head)
    try:
        # the header is the first line, the one _check_header_line finds in the whole text
        _check_header_line(first, delimiter, "")
    except InputError:
        raise _NotPlain from None
    return data, delimiter, encoding, line


_NON_ASCII_BYTE = re.compile(rb"[\x80-\xff]")


def _reads_as_utf8(data: bytes) -> bool:
    """Whether the first line of `data` with a byte past ASCII is UTF-8 (or there is none): in a file
    in one encoding throughout, that tells UTF-8 from GB18030, whose Chinese text is hardly ever valid
    UTF-8. Either way every chunk is checked in the encoding chosen (by polars, or by _decoded)."""
    found = _NON_ASCII_BYTE.search(data)
    if found is None:
        return True
    at = found.start()
    end = data.find(b"\n", at)
    try:
        data[data.rfind(b"\n", 0, at) + 1:len(data) if end == -1 else end].decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _decoded(data: bytes, encoding: str, first: bool) -> str:
    """A chunk of lines (the file's `first`, or a later one) as _decode's text of the whole file holds
    them; _NotPlain when it is not so: bytes invalid in `encoding` (the text path keeps them and sets
    their rows aside), or, in GB18030, a line that _mixed takes for UTF-8 (the whole file would then be
    read line by line in two encodings)."""
    if encoding.startswith("utf-8"):
        encoding = "utf-8-sig" if first else "utf-8"  # the file's BOM, which _decode drops
    elif _has_utf8_looking_line(data):
        raise _NotPlain
    try:
        return data.decode(encoding)
    except UnicodeDecodeError:
        raise _NotPlain from None


def _plain_frames(file, data: bytes, delimiter: str, encoding: str, schema: pl.Schema
                  ) -> Iterator[pl.DataFrame | str]:
    """Each chunk of lines parsed by polars (the header line the first row of the first), starting
    with `data`, the first chunk's bytes, and the later ones parsed to `schema`, the header line's;
    a chunk of a GB18030 file is decoded (_decoded) and encoded in UTF-8 for polars. A chunk with a
    quote character comes as its text, for _read_quoted. Raises _NotPlain at a chunk that is not for
    the bytes path (a cell longer than MAX_CELL_CHARS included).

    GB18030 never puts a byte below 0x30 inside a character, so the checks for quotes, NULs, carriage
    returns and information separators read its bytes as they read UTF-8's."""
    first = True
    utf8 = encoding.startswith("utf-8")
    bom = _BOM if utf8 else "\ufeff".encode(encoding)
    # A row of \x1c-\x1f alone (str.strip() strips them, polars' strip_chars() does not) is blank for
    # _read_quoted and the csv module but not for a chunk polars reads: in a file that has both kinds
    # of chunk, the text path would read some chunks otherwise.
    quoted = separators = False
    while data:
        if b'"' in data:
            data = _whole_records(file, data)
        if (b"\x00" in data or (not first and data.startswith(bom))
                or (b"\r" in data and data.count(b"\r") != data.count(b"\r\n"))):
            raise _NotPlain  # a BOM starting a later chunk: polars would drop it
        piece: pl.DataFrame | str
        if b'"' in data:
            quoted = True
            piece = _decoded(data, encoding, first)
        else:
            separators = separators or any(c in data for c in b"\x1c\x1d\x1e\x1f")
            if not utf8:
                data = _decoded(data, encoding, first).encode("utf-8")
            try:
                piece = pl.read_csv(
                    data, has_header=False, separator=delimiter, quote_char=None, infer_schema=False,
                    raise_if_empty=True, schema=None if first else schema,
                )
            except (pl.exceptions.PolarsError, ValueError):
                raise _NotPlain from None  # not UTF-8, or a ragged row
            if piece.height != data.count(b"\n") + (0 if data.endswith(b"\n") else 1):
                raise _NotPlain
            if _longest_cell(piece) > MAX_CELL_CHARS:
                raise _NotPlain  # the text path words the error
        if quoted and separators:
            raise _NotPlain
        first = False
        del data  # not held while the caller works on the frame
        yield piece
        del piece
        data = _read_lines(file, _CHUNK)


# A chunk ends inside a quoted cell (an odd number of quote characters) at most this many bytes before
# the line that closes it; past that, the file is read whole.
_MAX_RECORD_BYTES = 16 * 2**20


def _whole_records(file, data: bytes) -> bytes:
    """`data`, a chunk of lines, and when an odd number of quote characters leaves a quoted cell open at
    its end, the lines after it up to the one that closes it (as the csv module counts quotes: a doubled
    one twice; and so in GB18030, which never puts b'"' inside a character). _NotPlain past
    _MAX_RECORD_BYTES, and at the end of the file with the cell still open (the text path words it)."""
    if data.count(b'"') % 2 == 0:
        return data
    more: list[bytes] = []
    size, open_cell = 0, True
    while open_cell:
        line = file.readline(_MAX_RECORD_BYTES + 1)
        size += len(line)
        if not line or size > _MAX_RECORD_BYTES:
            raise _NotPlain
        more.append(line)
        open_cell = line.count(b'"') % 2 == 0
    return data + b"".join(more)


def _read_lines(file, size: int) -> bytes:
    """The file's next `size` bytes and the rest of the line they end in, as read(size) + readline()
    gives them, in one read: joining the two copies the 64 MiB chunk (at ten million patents, a second
    of the reading)."""
    start = file.tell()
    file.seek(size, 1)
    rest = len(file.readline())
    file.seek(start)
    return file.read(size + rest)


def _longest_cell(frame: pl.DataFrame) -> int:
    """The characters of the longest cell (0 for none); counted in bytes first, which is quicker and
    at least as many."""
    longest = frame.select(pl.max_horizontal(pl.all().str.len_bytes().max())).item()
    if longest is None or longest <= MAX_CELL_CHARS:
        return longest or 0
    return frame.select(pl.max_horizontal(pl.all().str.len_chars().max())).item()


def _from_frame(source: str, frame: pl.DataFrame, encoding: str, canonical, known) -> RawTable:
    header = [v or "" for v in frame.row(0)]
    written = _written(header)
    headers, columns = _columns(source, header, encoding, canonical, known)
    body = frame.slice(1).rename(dict(zip(frame.columns, columns)))
    del frame  # body shares its cells; the columns _trimmed rewrites are freed as it goes
    return _from_body(source, encoding, headers, columns, written, body, 0)


def _from_body(source: str, encoding: str, headers: list[str], columns: list[str], written: list[str],
               body: pl.DataFrame, rows_before: int) -> RawTable:
    """_from_frame's table of the data rows `body` (columns named), the first of them the file's data
    row `rows_before + 1`."""
    body = _trimmed(body, columns).with_columns(
        pl.int_range(rows_before + 1, rows_before + body.height + 1, dtype=pl.Int64).alias(ROW))
    blank = pl.all_horizontal(pl.col(c).is_null() for c in columns)
    rows_read = body.height
    if body.select(blank.any()).item():
        body = body.filter(~blank)
    table = RawTable(source, encoding, headers, columns, body, [], rows_read, rows_read - body.height)
    return _without_repeated_header(table, written)


class NotStreamed(Exception):
    """read_chunks's chunks stop: past the chunks handed over, the file turned out not to be one for the
    bytes path (a quote character, a ragged row, bytes that are not UTF-8, an oversized cell). What was
    made of those chunks is to be dropped, and the file read whole: read_table(..., bytes_path=False)."""


def read_header(path: Path, canonical, known: set[str] | frozenset = frozenset()) -> RawTable:
    """read_table's table without its rows (its headers and the columns they mean), for a file whose
    rows are read later: from the file's first line alone when that line is plain (not blank, no quote
    character or lone carriage return, valid UTF-8 or GB18030, a header line within the limits) and
    the file's first 64 KiB hold no NUL (binary data, which read_table names as such);
    any other file is read whole by read_table and its rows dropped, as is a file whose header has an
    error (read_table words it, as it finds it first: a NUL byte further on, say).

    The first line is decoded on its own: in a file that is not in one encoding throughout (a damaged
    UTF-8 file that reads as GB18030 whole, say), read_table may decode it otherwise. A caller that reads
    the rows later takes the columns of that reading (ingest.pipeline._check_again checks them then)."""
    head = first_line_header(path, canonical, known)
    if head is not None:
        return head
    table = read_table(path, canonical, known)
    return dataclasses.replace(table, frame=table.frame.clear())


# A header line's bytes at most (MAX_HEADER_CHARS characters of up to four bytes, a BOM and the line end);
# a longer first line is left to read_table, which refuses it.
_HEADER_LINE_BYTES = 4 * MAX_HEADER_CHARS + 5


def first_line_header(path: Path, canonical, known: set[str] | frozenset = frozenset()) -> RawTable | None:
    """read_header's table from the first line, or None when the line is not one for it (a workbook
    included: the caller then reads the file)."""
    if path.suffix.lower() == ".xlsx":
        return None
    try:
        with path.open("rb") as file:
            line = file.readline(_HEADER_LINE_BYTES)
            sniffed = file.read(max(0, _SNIFF_BYTES - len(line)))
    except OSError:
        return None  # read_table words it
    if len(line) == _HEADER_LINE_BYTES and not line.endswith(b"\n"):
        return None
    if b"\x00" in sniffed:
        return None  # binary data, which read_table calls by its name (_load_csv_bytes)
    bom = line.startswith(_BOM)
    written = line[3 if bom else 0:].removesuffix(b"\n").removesuffix(b"\r")
    # What the text path would take differently, or refuse: a workbook, binary data, a carriage return
    # that ends a record for the csv module.
    if line.startswith(b"PK\x03\x04") or b"\x00" in written or b"\r" in written:
        return None
    # A BOM says UTF-8 (_decode); else the encodings _decode tries, UTF-8 first.
    for encoding in ("utf-8",) if bom else ("utf-8", "gb18030"):
        try:
            text = written.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        return None
    if not text.strip():
        return None  # the header below blank lines: read_table finds it
    delimiter = _sniff_delimiter(text)  # the first non-blank line, as it sniffs the whole text
    # The csv module, and polars on the bytes path, split an unquoted line at each delimiter, and read
    # a line of fields quoted whole alike; other quotes (a quoted line break, say) are the csv module's.
    if '"' not in text:
        cells = text.split(delimiter)
    elif _QUOTED_FIELDS[delimiter].fullmatch(text):
        cells = next(csv.reader([text], delimiter=delimiter, strict=True))
    else:
        return None
    if not any(cell.strip() for cell in cells):
        return None  # a line of blank cells: the csv module takes the next line as the header
    try:
        _check_header_line(text, delimiter, path.name)
        headers, columns = _columns(path.name, cells, encoding, canonical, known)
    except InputError:
        return None
    frame = pl.DataFrame(schema={**{c: pl.Utf8 for c in columns}, ROW: pl.Int64})
    return RawTable(path.name, "utf-8-sig" if bom else encoding, headers, columns, frame)


def read_chunks(path: Path, canonical, known: set[str] | frozenset = frozenset()
                ) -> tuple[RawTable, Iterator[RawTable]]:
    """read_table's table a chunk of rows at a time: the file's header (a RawTable without rows) and
    an iterator over its data rows as RawTables of consecutive rows, each with the rows the reader
    set aside among them and their counts (read, blank); row numbers (ROW) are the file's. Together
    the chunks are read_table's table: the same rows, numbers and counts, the same checks of every row.

    A CSV that the bytes path reads (UTF-8 or GB18030 throughout, its quotes, if any, on lines that
    each hold one record: _read_streamed) is read here up to its first chunk of lines (64 MiB), which
    gives the header, and then a chunk at a time as the iterator is drawn from: the whole table never
    exists. If a later chunk is not for the bytes path the iterator raises NotStreamed. Any other file
    is read whole here and handed over as one chunk.
    """
    if path.suffix.lower() != ".xlsx":
        started = _start_chunks(path, canonical, known)
        if started is not None:
            return started
    table = read_table(path, canonical, known)
    return dataclasses.replace(table, frame=table.frame.clear()), handed([table])


def handed(holder: list[RawTable]) -> Iterator[RawTable]:
    """The tables of `holder` as chunks, each held by the caller alone once drawn."""
    while holder:
        yield holder.pop()  # held by the caller alone from here


def _start_chunks(path: Path, canonical, known) -> tuple[RawTable, Iterator[RawTable]] | None:
    try:
        file = path.open("rb")
    except OSError:
        return None
    try:
        data, delimiter, encoding, line = _plain_head(file)
        # The header line parsed alone is the first row of the first chunk parsed (polars splits an
        # unquoted line at each delimiter), and gives the columns of every later one.
        quoted = '"' in line
        if quoted and not _QUOTED_FIELDS[delimiter].fullmatch(line):
            raise _NotPlain  # a quoted line break, say: the csv module
        header_row = pl.read_csv(line.encode("utf-8"), has_header=False, separator=delimiter,
                                 quote_char='"' if quoted else None, infer_schema=False, raise_if_empty=True)
        pieces = _plain_frames(file, data, delimiter, encoding, header_row.schema)
        del data
        first = next(pieces)
    except (OSError, _NotPlain, pl.exceptions.PolarsError, ValueError):
        file.close()
        return None
    header = [v or "" for v in header_row.row(0)]
    try:
        headers, columns = _columns(path.name, header, encoding, canonical, known)
    except InputError:
        file.close()
        return None  # read_table words the error, as it finds it first (a NUL byte further on, say)
    head = RawTable(path.name, encoding, headers, columns,
                    pl.DataFrame(schema={**{c: pl.Utf8 for c in columns}, ROW: pl.Int64}))
    layout = _Layout(head, _written(header), dict(zip(header_row.columns, columns)),
                     line, delimiter, canonical, known)
    chunks = _chunks(file, pieces, first, layout)
    try:
        next(chunks)  # started: the file is closed whenever the iterator is, or is dropped unfinished
    except _NotPlain:
        return None  # the first chunk, quoted, is not one _read_quoted reads
    return head, cast(Iterator[RawTable], chunks)


@dataclass(frozen=True)
class _Layout:
    """What a chunk of a file needs to be made a table of its rows: the file's header as read."""

    head: RawTable
    written: list[str]
    names: dict[str, str]  # the columns polars names by position → the columns they mean
    header_line: str  # the header line, with its line end
    delimiter: str
    canonical: Callable[[str], str]
    known: set[str] | frozenset

    def table(self, piece: pl.DataFrame | str, rows_before: int, first: bool = False) -> RawTable:
        """The table of a chunk's rows (the `first` chunk holds the header line), the first of them the
        file's data row `rows_before + 1`; _NotPlain when a quoted chunk is not one _read_quoted reads."""
        head = self.head
        if not isinstance(piece, str):
            body = piece.rename(self.names)
            if first:
                body = body.slice(1)
            return _from_body(head.source, head.encoding, head.headers, head.columns, self.written, body,
                              rows_before)
        # The chunk's lines under the header line: _read_quoted reads them as the file's text (each
        # line, and each quoted one on its own, reads alone as it reads in the whole text).
        text = piece if first else self.header_line + piece
        del piece
        try:
            _check_long_lines(text, self.delimiter, head.source)
        except InputError:
            raise _NotPlain from None  # the text path words it, with the line's number in the file
        args = (text, self.delimiter, head.source, head.encoding, self.canonical, self.known)
        # Both read what they take alike; the odd quoted line is cheaper for _read_quoted, and it turns
        # down a text with many.
        if text.count('"') > 2 * _MAX_QUOTED_SHARE * text.count("\n"):
            table = _read_all_quoted(*args) or _read_quoted(*args)
        else:
            table = _read_quoted(*args) or _read_all_quoted(*args)
        del text, args
        if table is None or table.columns != head.columns:
            raise _NotPlain
        if rows_before:
            table.frame = table.frame.with_columns(pl.col(ROW) + rows_before)
            table.rejected = [dataclasses.replace(r, row=r.row + rows_before) for r in table.rejected]
        return table


def _chunks(file, pieces: Iterator[pl.DataFrame | str], first: pl.DataFrame | str,
            layout: _Layout) -> Iterator[RawTable | None]:
    with file, ThreadPoolExecutor(1, thread_name_prefix="read-ahead") as ahead:
        opening = layout.table(first, 0, first=True)
        del first
        rows_before = opening.rows_read
        table: RawTable | None = opening
        del opening
        # The next chunk is read and made a table while the caller works on this one (and, for the
        # second, while the other files are read and the firms merged): polars parses without the GIL,
        # and the caller's work is mostly Python (at ten million patents, 3 s of parsing overlapped).
        # The read-ahead holds one chunk more, and only one.
        upcoming = ahead.submit(_next_table, pieces, layout, rows_before)
        yield None
        while table is not None:
            yield table
            del table
            try:
                table = upcoming.result()
            except (OSError, _NotPlain):
                raise NotStreamed(layout.head.source) from None
            if table is not None:
                rows_before += table.rows_read
                upcoming = ahead.submit(_next_table, pieces, layout, rows_before)


def _next_table(pieces: Iterator[pl.DataFrame | str], layout: _Layout, rows_before: int) -> RawTable | None:
    """_chunks's table of the next chunk of lines, None after the last; raises _NotPlain at a chunk that
    is not for the bytes path."""
    piece = next(pieces, None)
    if piece is None:
        return None
    return layout.table(piece, rows_before)


def _from_xlsx_frame(
    source: str, headers: list[str], body: pl.DataFrame, filled: pl.Series, canonical, known
) -> RawTable:
    """What _build makes of the same header and rows, read by xlsx_fast.read_xlsx_fast; `filled` tells the rows
    that are not blank to _build (some cell not empty after str.strip, which strips more than polars)."""
    written = _written(headers)
    headers, columns = _columns(source, headers, "xlsx", canonical, known)
    body = body.rename(dict(zip(body.columns, columns)))
    body = body.with_columns(pl.int_range(1, body.height + 1, dtype=pl.Int64).alias(ROW))
    rows_read = body.height
    body = _trimmed(body.filter(filled), columns)
    table = RawTable(source, "xlsx", headers, columns, body, [], rows_read, rows_read - body.height)
    return _without_repeated_header(table, written)


REPEATED_HEADER = "the header row again (files joined with their headers)"


def _written(headers: list[str]) -> list[str]:
    """The header cells as a data row that repeats them reads after trimming."""
    return [h.strip() for h in headers]


def _without_repeated_header(table: RawTable, written: list[str]) -> RawTable:
    """The table with rows that repeat the header (as exports joined by `cat` have) set aside: read as
    data they would become a firm named `name`."""
    if table.frame.is_empty() or not any(written):
        return table
    same = pl.all_horizontal(
        (pl.col(c) == w) if w else pl.col(c).is_null() for c, w in zip(table.columns, written)
    ).fill_null(False)
    # Told by the cells alone first: filtering the whole frame copies it (to line up the row
    # numbers' chunks with the cells'), gigabytes at ten million patents.
    if not table.frame.select(same.any()).item():
        return table
    repeated = table.frame.filter(same)
    rejected = [Rejected(row, REPEATED_HEADER, record)
                for row, record in zip(repeated[ROW].to_list(), table.records(repeated))]
    table.frame = table.frame.filter(~same)
    table.rejected = sorted(table.rejected + rejected, key=lambda r: r.row)
    return table


def _clean_header(header: str, index: int) -> str:
    text = unicodedata.normalize("NFKC", header).strip().lstrip("\ufeff").strip()
    return text or f"column_{index + 1}"


def _row_problem(cells: list[str], width: int, encoding: str) -> str | None:
    # Rows shorter than the header are common in exports that drop trailing blanks; they are padded.
    if len(cells) > width and any(c.strip() for c in cells[width:]):
        return f"row has {len(cells)} fields but the header has {width}"
    for j, cell in enumerate(cells):
        if len(cell) > MAX_CELL_CHARS:
            return f"cell {j + 1} is too long ({len(cell):,} characters; limit {MAX_CELL_CHARS:,})"
        if MIXED_MARK in cell:
            other = "utf-8" if encoding == "gb18030" else "gb18030"
            return f"row written in {other} in a file in {encoding}"
        if _has_bad_bytes(cell):
            return f"invalid bytes for encoding {encoding}"
    return None


_BAD_BYTE = re.compile("[\udc80-\udcff]")
_BAD_OR_MIXED = re.compile("[\udc00\udc80-\udcff]")


def _has_bad_bytes(text: str) -> bool:
    # surrogateescape decoding keeps an undecodable byte as a lone surrogate U+DC80..U+DCFF.
    return not text.isascii() and _BAD_OR_MIXED.search(text) is not None


def _raw_record(headers: list[str], cells: list[str]) -> str:
    shown: dict[str, str | None] = {}
    limit = len(headers) + MAX_EXTRA_FIELDS_SHOWN
    if len(cells) > limit:
        shown["…"] = f"{len(cells) - limit:,} more fields not shown"
        cells = cells[:limit]
    for j, cell in enumerate(cells):
        key = headers[j] if j < len(headers) else f"extra_{j + 1}"
        if len(cell) > MAX_CELL_CHARS:
            cell = cell[:1000] + f"…[truncated: {len(cell):,} characters]"
        shown[key] = _escaped(cell).strip() or None
    return record_json(shown)


def _escaped(text: str) -> str:
    """Text with the raw bytes kept as lone surrogates shown as \\xNN."""
    text = text.replace(MIXED_MARK, "")
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def _shown(text: str, limit: int = 80) -> str:
    """Text for a message: a header or cell as written, cut so that a message stays one short line."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit] + f"…[{len(text):,} characters]"


def headers_shown(headers: list[str], limit: int = 12) -> str:
    """The headers of a file for a message (the first `limit`, each cut short)."""
    shown = ", ".join(_shown(h, 40) for h in headers[:limit])
    return shown + (f", … ({len(headers):,} in all)" if len(headers) > limit else "")


_NOT_SPACE = re.compile(r"\S")


def _check_header_line(text: str, delimiter: str, source: str) -> None:
    """Refuse a header line that no export writes (a line of 500,000 commas, a megabyte of text)
    before a parser turns it into as many columns."""
    found = _NOT_SPACE.search(text)  # the header is the first line that is not blank
    first = found.start() if found else 0
    start = text.rfind("\n", 0, first) + 1
    end = text.find("\n", start)
    end = len(text) if end == -1 else end
    if end - start > MAX_HEADER_CHARS:
        raise InputError(f"{source}: the header line is {end - start:,} characters long (limit "
                         f"{MAX_HEADER_CHARS:,}); is this the right file?")
    line = text[start:end]
    if line.count(delimiter) >= MAX_COLUMNS:
        fields = next(csv.reader([line], delimiter=delimiter), [])
        if len(fields) > MAX_COLUMNS:
            raise InputError(f"{source}: the header row has {len(fields):,} columns (limit "
                             f"{MAX_COLUMNS:,}); is this the right file?")


_LONG_LINE = re.compile(f"^[^\\n]{{{LONG_LINE_CHARS}}}", re.MULTILINE)


def _check_long_lines(text: str, delimiter: str, source: str) -> None:
    """Refuse a line of a million delimiters or more before the csv module makes each a field."""
    if not _may_have_long_line(text):
        return
    for match in _LONG_LINE.finditer(text):
        end = text.find("\n", match.start())
        end = len(text) if end == -1 else end
        if text.count(delimiter, match.start(), end) >= MAX_LINE_DELIMITERS:
            line = text.count("\n", 0, match.start()) + 1
            raise InputError(f"{source}: line {line} holds {text.count(delimiter, match.start(), end):,} "
                             f"delimiters (limit {MAX_LINE_DELIMITERS:,}); the file is damaged")


def _may_have_long_line(text: str) -> bool:
    """False when no line reaches LONG_LINE_CHARS: every stretch of half that length, from the start,
    holds a line break (a line that long would hold one whole stretch). A few hundred str.find calls
    per 100 MB instead of _LONG_LINE's attempt at every character."""
    step = LONG_LINE_CHARS // 2
    return any(text.find("\n", i, i + step) == -1 for i in range(0, len(text), step))


def _check_unzipped_size(path: Path) -> None:
    """Refuse a workbook whose parts would unzip to more than MAX_XLSX_UNZIPPED (a zip bomb, or
    far beyond any sheet Excel can hold); a file that is no zip is left to the readers' messages."""
    import zipfile

    try:
        with zipfile.ZipFile(path) as archive:
            total = sum(info.file_size for info in archive.infolist())
    except (OSError, zipfile.BadZipFile, ValueError):
        return
    if total > MAX_XLSX_UNZIPPED:
        raise InputError(f"{path.name}: the workbook unzips to {total / 2**20:,.0f} MiB (limit "
                         f"{MAX_XLSX_UNZIPPED / 2**20:,.0f} MiB); split it or export it as CSV")


def _load_csv_bytes(path: Path) -> bytes:
    """The bytes of a CSV file; a file that is not CSV text (a workbook, binary data) stops the run."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"{path.name}: cannot be read ({exc.strerror})") from None
    head = data[:_SNIFF_BYTES]
    if head.startswith(b"PK\x03\x04"):
        raise InputError(f"{path.name}: is an xlsx/zip workbook, not CSV text; rename it to .xlsx")
    if b"\x00" in head:
        raise InputError(f"{path.name}: is not a CSV text file (it holds binary data)")
    nul = data.find(b"\x00", len(head))
    if nul != -1:
        # No text export writes NUL; past the first 64 KiB it means a damaged or spliced file.
        line = data.count(b"\n", 0, nul) + 1
        raise InputError(f"{path.name}: line {line} holds a NUL byte "
                         f"(binary data); this is not a CSV text file, or it is damaged")
    return data


def _decode_csv(data: bytes, path: Path) -> tuple[str, str, bool, frozenset[int]]:
    """_load_csv_text's answer for the bytes _load_csv_bytes gave."""
    text, encoding, damaged, mixed = _decode(data)
    if _NOT_SPACE.search(text) is None:
        raise InputError(f"{path.name}: is empty; expected a header row")
    return text, encoding, damaged, mixed


def _csv_rows(text: str, delimiter: str, source: str,
              mixed: frozenset[int] = frozenset()) -> tuple[list[str], object]:
    """The header and an iterator over the data rows, parsed by the csv module; a row on one of the
    `mixed` lines (1-based) gets MIXED_MARK before its first cell."""
    csv.field_size_limit(2**31 - 1)
    # strict: a quoted field left open would otherwise swallow the rest of the file as one cell.
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    rows = _guarded(reader, source, mixed)
    for headers in rows:
        if any(h.strip() for h in headers):
            return headers, rows
    raise InputError(f"{source}: is empty; expected a header row")


def _guarded(reader, source: str, mixed: frozenset[int] = frozenset()):
    """The reader's rows; a CSV syntax error stops the run with the line where its record starts."""
    start = 1
    try:
        for row in reader:
            if mixed and row and any(n in mixed for n in range(start, reader.line_num + 1)):
                row[0] = MIXED_MARK + row[0]
            yield row
            start = reader.line_num + 1
    except csv.Error as exc:
        if "unexpected end of data" in str(exc):
            raise InputError(
                f"{source}: line {start}: a quoted field starts here and is never closed "
                f"(unbalanced '\"'); the rest of the file would be read as one cell"
            ) from None
        raise InputError(f"{source}: line {start} cannot be parsed as CSV ({exc})") from None


def decode(data: bytes) -> tuple[str, str, bool]:
    """Text, encoding name and whether bytes were invalid (see _decode)."""
    return _decode(data)[:3]


def _decode(data: bytes) -> tuple[str, str, bool, frozenset[int]]:
    """Text, encoding name and whether bytes were invalid, for a raw file in UTF-8 (BOM or not) or
    GB18030, the two the contract allows.

    A file that is neither cleanly is decoded as the likelier of the two, with its bad bytes kept as
    lone surrogates so that only the rows holding them are rejected. A file whose lines are partly
    UTF-8 and partly GB18030 is read in the encoding most of its lines use; each line in the other
    encoding is decoded in its own and its number returned, so that its row is quarantined as
    written in another encoding instead of kept as mojibake (UTF-8 bytes are often valid GB18030).
    """
    if data.startswith(b"\xef\xbb\xbf"):
        try:
            return data[3:].decode("utf-8"), "utf-8-sig", False, frozenset()
        except UnicodeDecodeError:
            mixed = _mixed(data[3:], "utf-8")
            if mixed is not None:
                return mixed[0], "utf-8-sig", True, mixed[2]
            return data[3:].decode("utf-8", "surrogateescape"), "utf-8-sig", True, frozenset()
    try:
        return data.decode("utf-8"), "utf-8", False, frozenset()
    except UnicodeDecodeError:
        pass
    mixed = _mixed(data)
    if mixed is not None:
        return mixed[0], mixed[1], True, mixed[2]
    try:
        return data.decode("gb18030"), "gb18030", False, frozenset()
    except UnicodeDecodeError:
        pass
    as_utf8 = data.decode("utf-8", "surrogateescape")
    bad = _count_bad(as_utf8)
    good = sum(1 for ch in as_utf8 if ord(ch) > 0x7F) - bad
    # GB18030 bytes read as UTF-8 fail at almost every character; a damaged UTF-8 file mostly decodes.
    if good >= bad:
        return as_utf8, "utf-8", True, frozenset()
    as_gb = data.decode("gb18030", "surrogateescape")
    # Without evidence for GB18030 (an ASCII file with one stray byte fails both alike) it is UTF-8.
    if _count_bad(as_gb) >= bad:
        return as_utf8, "utf-8", True, frozenset()
    return as_gb, "gb18030", True, frozenset()


# Put before the first cell of a row on a line written in the other encoding: a lone surrogate below
# U+DC80, which surrogateescape never makes and no decoded text holds.
MIXED_MARK = "\udc00"
_LINE_END = re.compile(rb"(\r\n|\r|\n)")  # as the csv module counts lines
_ASCII = rb"[\x00-\x09\x0b\x0c\x0e-\x7f]"
_MULTIBYTE = rb"(?:[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3})"
# A line of UTF-8 sequences with at least one multi-byte character (a superset of the lines _looks_utf8
# accepts, in a file whose lines end with LF or CRLF).
_UTF8_LINE = re.compile(rb"(?m)^" + _ASCII + rb"*+" + _MULTIBYTE + rb"(?:" + _ASCII + rb"|" + _MULTIBYTE
                        + rb")*+\r?$")


# _UTF8_LINE at a line start past the first: the search skips to each LF (a literal first byte) instead
# of trying ^ at every byte.
_UTF8_LINE_AFTER_LF = re.compile(rb"(?m)\n" + _UTF8_LINE.pattern.removeprefix(rb"(?m)^"))


def _has_utf8_line(data: bytes) -> bool:
    """Whether _UTF8_LINE.search(data) finds a line."""
    return _UTF8_LINE.match(data) is not None or _UTF8_LINE_AFTER_LF.search(data) is not None


def _has_utf8_looking_line(data: bytes) -> bool:
    """Whether a line of `data` (lines ending with LF or CRLF) is one that _mixed's first pass takes
    for UTF-8: _UTF8_LINE finds every such line (and more, which _looks_utf8 then turns down)."""
    first = _UTF8_LINE.match(data)
    found = ([first] if first is not None else []) + list(_UTF8_LINE_AFTER_LF.finditer(data))
    return any(_looks_utf8(match.group().strip(b"\r\n")) for match in found)


def _mixed(data: bytes, only: str | None = None) -> tuple[str, str, frozenset[int]] | None:
    """For a file that is not UTF-8 as a whole, when some of its lines are UTF-8 (and not GB18030
    read by chance as UTF-8) and others GB18030 (and not damaged UTF-8): the text, each line decoded
    in its own encoding (bytes valid in neither become lone surrogates of the file's encoding), the
    encoding of most lines, and the 1-based numbers of the lines in the other. None if not mixed.
    `only`: the encoding the file must be read in (a BOM said so)."""
    if (b"\r" not in data or data.count(b"\r") == data.count(b"\r\n")) and not _has_utf8_line(data):
        return None  # no line is UTF-8 with a multi-byte character: one regex pass instead of a loop
    parts = _LINE_END.split(data)
    lines = parts[::2]
    # Most files that get here are GB18030 throughout: one cheap pass looks for UTF-8 lines first.
    kinds: list[str | None] = [None if line.isascii() or not _looks_utf8(line) else "utf-8" for line in lines]
    utf8 = kinds.count("utf-8")
    if not utf8:
        return None
    for i, line in enumerate(lines):
        if kinds[i] is None and not line.isascii() and _looks_gb18030(line):
            kinds[i] = "gb18030"
    gb = kinds.count("gb18030")
    if not gb:
        return None
    main = only or ("utf-8" if utf8 > gb else "gb18030")
    out = []
    others = set()
    for number, (line, kind) in enumerate(zip(lines, kinds), start=1):
        if kind is None or kind == main:
            out.append(line.decode(main, "surrogateescape"))
        else:
            out.append(line.decode(kind))
            others.add(number)
        if 2 * number - 1 < len(parts):
            out.append(parts[2 * number - 1].decode("ascii"))
    return "".join(out), main, frozenset(others)


# What GB18030 text decoded as UTF-8 by chance gives: two-byte sequences (U+0080-U+07FF: Latin-1,
# Latin extensions, Greek, Cyrillic…) that Chinese exports hardly hold, NBSP and · × ° ¥ aside. A
# Chinese UTF-8 line has a character from U+0800 on (three bytes), which one GB18030 pair never makes.
_NOT_CHINESE_UTF8 = re.compile("[\u0080-\u009f\u00a1-\u00a4\u00a6-\u00af\u00b1-\u00b6\u00b8-\u00d6"
                               "\u00d8-\u07ff]")
# Every character from U+0800 on, written as the complement: the same set, but a class of two ranges
# compiles in 0.1 ms where [\u0800-\uffff\U00010000-\U0010ffff] took 3 ms (at every start of `firms`).
_CHINESE_UTF8 = re.compile("[^\x00-\u07ff]")
_NON_ASCII = re.compile("[^\x00-\x7f]")


def _looks_gb18030(line: bytes) -> bool:
    """Valid GB18030, and not damaged UTF-8 (which still holds valid UTF-8 characters, and which the
    lax GB18030 byte ranges often accept as well)."""
    try:
        line.decode("gb18030")
    except UnicodeDecodeError:
        return False
    as_utf8 = line.decode("utf-8", "surrogateescape")
    bad = _count_bad(as_utf8)
    return len(_NON_ASCII.findall(as_utf8)) - bad < bad


def _looks_utf8(line: bytes) -> bool:
    try:
        text = line.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return _NOT_CHINESE_UTF8.search(text) is None and _CHINESE_UTF8.search(text) is not None


def _count_bad(text: str) -> int:
    return len(_BAD_BYTE.findall(text))


def _sniff_delimiter(text: str) -> str:
    """Tab or comma, by which the header line (the first non-blank one) holds more of."""
    first = next((line for line in text[:_SNIFF_BYTES].splitlines() if line.strip()), "")
    return "\t" if first.count("\t") > first.count(",") else ","


def _read_xlsx(path: Path) -> tuple[list[str], object, str]:
    import openpyxl

    # A damaged workbook fails inside openpyxl with whatever its zip, zlib or XML layer raises, and in
    # read-only mode the sheet is parsed lazily, so every call into the workbook is guarded.
    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # any failure here: not a usable workbook
        raise _unreadable(path, exc) from None
    if not workbook.worksheets:
        workbook.close()
        raise InputError(f"{path.name}: the workbook has no worksheet; expected the data on the first sheet")
    sheet = workbook.worksheets[0]
    # Every row and cell that is in the sheet is read: a <dimension> is often stale (some tools write
    # A1:B2 over thousands of rows), and openpyxl would stop at it.
    sheet.reset_dimensions()
    rows = _workbook_rows(path, workbook, sheet)
    for first in rows:
        headers = [xlsx_cell(v) for v in first]
        if any(h.strip() for h in headers):
            break
    else:
        workbook.close()
        raise InputError(f"{path.name}: the first sheet is empty; expected a header row")
    while headers and not headers[-1].strip():
        headers.pop()  # formatting can stretch a sheet's used range past its last real column

    def data_rows():
        try:
            for number, values in enumerate(rows, start=2):
                if number > EXCEL_MAX_ROWS:
                    raise InputError(f"{path.name}: the first sheet has rows past Excel's last row "
                                     f"{EXCEL_MAX_ROWS:,}; the workbook is damaged")
                yield [xlsx_cell(v) for v in values]
        finally:
            workbook.close()

    return headers, data_rows(), "xlsx"


def _workbook_rows(path: Path, workbook, sheet):
    try:
        yield from sheet.iter_rows(values_only=True)
    except Exception as exc:  # see _read_xlsx
        workbook.close()
        raise _unreadable(path, exc) from None


def _unreadable(path: Path, exc: Exception) -> InputError:
    detail = str(exc) or type(exc).__name__
    return InputError(f"{path.name}: cannot be read as an xlsx workbook ({detail})")
