"""A fast path for .xlsx raw files: calamine (through fastexcel) reads the text cells, about nine times
faster than openpyxl, and the result is exactly what reader._read_xlsx (openpyxl) gives.

Numbers, dates, booleans and error values are taken from the sheet's XML and converted by openpyxl's own
functions, so that they read as cells.xlsx_cell renders them. calamine places a cell by its own reference
(r="B7"), openpyxl in the <row> that holds it (the reference gives only the column): a sheet where the
two disagree is left to openpyxl before calamine starts, as a far reference would also have calamine
allocate a grid of rows it does not have (_refs_in_their_rows). Whatever calamine might read differently,
and any error, returns None: reader.read_table then reads the file with openpyxl, the reference path,
which also words every error about a damaged workbook. tests/test_reader_xlsx_fast.py checks that both
paths give identical tables, and that the fast path is taken where it should be.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
import xml.parsers.expat as xml_parser
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import polars as pl

from .cells import MAX_CELL_CHARS, xlsx_cell
from .limits import EXCEL_MAX_ROWS

# The characters str.strip() removes (str.isspace). A row of cells made of these is blank to _build;
# polars' strip_chars and regex \s use Unicode White_Space, which lacks \x1c-\x1f. A test checks the list.
_PY_SPACE = (
    "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007"
    "\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)
_HAS_TEXT = "[^" + "".join(f"\\x{{{ord(c):x}}}" for c in _PY_SPACE) + "]"


def _has_text(cell: pl.Expr) -> pl.Expr:
    """True for a cell that str.strip() leaves non-empty; False for null."""
    return cell.str.contains(_HAS_TEXT).fill_null(False)


def read_xlsx_fast(path: Path) -> tuple[list[str], pl.DataFrame, pl.Series] | None:
    """The header and the data rows that _read_xlsx gives, the rows as a frame of text cells (None for
    an empty cell) with a mask of the rows that are not blank, or None when the openpyxl path must read
    the file.

    calamine (through fastexcel) reads the text cells, about nine times faster than openpyxl. Numbers,
    dates, booleans and error values are taken from the sheet's XML and converted by openpyxl's own
    functions, so they read exactly as xlsx_cell renders them. Anything calamine might read differently (see
    _xml_is_plain), a layout _build would treat row by row (a non-blank cell right of the header, an
    oversized cell), a cell whose reference names another row than the <row> holding it, a sheet whose
    cells lie so far apart that calamine's dense grid would not fit in memory and any error send the
    file to the openpyxl path, which also reports a damaged workbook.
    """
    try:
        return _xlsx_fast(path)
    except Exception:  # any surprise: the openpyxl path reads (or rejects) the file
        return None


def _xlsx_fast(path: Path) -> tuple[list[str], pl.DataFrame, pl.Series] | None:
    sheet = _first_sheet(path)
    if sheet is None:
        return None
    name, xml, strings_xml, convert = sheet
    del sheet
    if strings_xml and (not _xml_is_plain(strings_xml, b"sst") or b"x005F_" in strings_xml):
        return None  # openpyxl drops x005F_ from shared strings
    height = _row_count(xml)  # openpyxl's rows: 1 to the last <row>, gaps filled with empty rows
    # calamine places a cell by its own reference, openpyxl in the <row> that holds it: both checks
    # run before calamine starts, the density check's height being calamine's only once they agree.
    if height is None or not _refs_in_their_rows(xml) or not _dense_enough(xml, height):
        return None
    # calamine reads the sheet without the GIL, in a thread, while the checks below (Python, with the
    # GIL) run: at 470k certificates they take as long as it does. It starts only once the sheet is
    # known to be dense enough for its grid. If a check then fails, its reading is waited for (the
    # pool's exit) and dropped: those files go to openpyxl, nine times slower than calamine.
    with ThreadPoolExecutor(1, thread_name_prefix="calamine") as pool:
        loading = pool.submit(_calamine, path, name)
        if not _xml_is_plain(xml, b"worksheet"):
            return None
        cells = _non_text_cells(xml, convert)
        if cells is None:
            return None
        del xml
        loaded, frame = loading.result()
    if frame.height > height:
        if frame.slice(height).select(pl.all().is_not_null().any()).row(0) != (False,) * frame.width:
            return None
        frame = frame.head(height)
    columns = {info.absolute_index: frame.get_column(info.name) for info in loaded.selected_columns}
    width = max([*columns, *cells], default=-1) + 1
    grid = []
    for index in range(width):
        column = columns.get(index, pl.Series(dtype=pl.Utf8)).cast(pl.Utf8)
        column = column.extend_constant(None, height - column.len()).rename(f"c{index}")
        if index in cells:
            rows, texts = cells[index]
            if max(rows) >= height:
                return None
            column = column.scatter(rows, pl.Series(texts, dtype=pl.Utf8))
        grid.append(column)
    return _header_and_body(pl.DataFrame(grid))


def _calamine(path: Path, name: str):
    """The sheet as calamine reads its cells (all as text), and as a polars frame."""
    import fastexcel

    loaded = fastexcel.read_excel(path).load_sheet(name, header_row=None, skip_rows=0, dtypes="string")
    return loaded, loaded.to_polars()


def _header_and_body(grid: pl.DataFrame) -> tuple[list[str], pl.DataFrame, pl.Series] | None:
    """_read_xlsx's header (the first row with text, blank cells at its end dropped) and the rows after
    it, with the mask of those that have text, from the sheet's cells; None if the sheet is empty or a
    row is one _build handles row by row."""
    names = grid.columns
    filled = grid.select(pl.any_horizontal(_has_text(pl.col(c)) for c in names)).to_series()
    rows = filled.arg_true()
    if rows.len() == 0:
        return None  # the openpyxl path says the sheet is empty
    top = rows[0]
    headers = [v or "" for v in grid.row(top)]
    while headers and not headers[-1].strip():
        headers.pop()
    body = grid.slice(top + 1)
    extra = names[len(headers):]
    if extra and body.select(pl.any_horizontal(_has_text(pl.col(c)) for c in extra).any()).item():
        return None  # a row wider than the header: _build sets it aside with its raw cells
    longest = body.select(pl.max_horizontal(pl.all().str.len_chars().max())).item()
    if longest is not None and longest > MAX_CELL_CHARS:
        return None
    return headers, body.select(names[:len(headers)]), filled.slice(top + 1)


# A cell in a column past ZZ (702): calamine holds the sheet as a dense grid of rows x columns, so one
# cell at XFD1048576 would take it 17 billion cells. Such sheets go to openpyxl, which streams rows.
_WIDE_CELL = re.compile(rb'<c\s[^>]*?\br="[A-Z]{3}')
_TWO_LETTER_CELL = re.compile(rb'<c\s[^>]*?\br="[A-Z]{2}[0-9]')
# What every match of the two holds: a search that starts from a literal is five times faster, and most
# sheets have no such reference at all.
_WIDE_REF = re.compile(rb'r="[A-Z]{3}')
_TWO_LETTER_REF = re.compile(rb'r="[A-Z]{2}[0-9]')
# What every match of those two holds: a sheet of columns A to Z (most) is told so in one search.
_LETTERS_REF = re.compile(rb'r="[A-Z]{2}')


def _dense_enough(xml: bytes, height: int, piece: int = 1 << 24) -> bool:
    """Whether calamine's dense grid (rows x columns) stays within 32 cells per cell the sheet holds
    (or 4 million): a few stray cells far from the data are left to openpyxl. The usual cells are
    counted a piece (16 MiB) at a time until there are enough, most often in the first few pieces
    (calamine waits for this answer). A piece counts the cells that start in it (its search runs two
    bytes past its end), so the pieces' sum is the whole's count: a sparse sheet is counted once."""
    if height > EXCEL_MAX_ROWS:
        return False
    lettered = _LETTERS_REF.search(xml) is not None
    if lettered and _WIDE_REF.search(xml) and _WIDE_CELL.search(xml):
        return False
    width = 702 if lettered and _TWO_LETTER_REF.search(xml) and _TWO_LETTER_CELL.search(xml) else 26
    grid = height * width
    if grid <= 1 << 22:
        return True
    # The usual cell; the other two spellings are counted only if needed. "<c " cannot overlap itself,
    # so the cells starting in [start, start + piece) are those found in [start, start + piece + 2).
    cells = 0
    for start in range(0, len(xml), piece):
        cells += xml.count(b"<c ", start, start + piece + 2)
        if grid <= 32 * cells:
            return True
    return grid <= 32 * (cells + xml.count(b"<c>") + xml.count(b"<c/>"))


def _refs_in_their_rows(xml: bytes) -> bool:
    """Whether every cell of the sheet has a reference r="XN" whose row N is the r of the <row> that
    holds it, so that calamine (which places a cell by its reference) and openpyxl (by its <row>) put
    it in the same row, and calamine's grid is no taller than the rows (_dense_enough's height).

    The whole of <sheetData> must read as rows of cells in one of two grammars, one regex match each
    with a backreference to the row's r; anything else (a cell without r, or outside a row, a comment,
    CDATA, a prefixed element, a reference in lower case or with leading zeros its row lacks) is left
    to openpyxl. The usual grammar, what openpyxl, xlsxwriter, Excel and the demo write, is tried
    first: 0.07 s on the scale-1 hightech.xlsx (11.5 MB), 1.4 s on 1M such rows (248 MB), against
    0.32 and 6.7 s for the other, which takes any attribute order, quoting and whitespace. Costly on
    big sheets, but calamine may not start before the answer (a far reference is a grid it cannot
    hold), and a regex walking each cell is the cheapest exact reading found (docs/ingest.md)."""
    start, end = xml.find(b"<sheetData"), xml.rfind(b"</sheetData>")
    start = xml.find(b">", start, end) + 1
    if start <= 0:
        return False
    return bool(_USUAL_ROWS.fullmatch(xml, start, end) or _ANY_ROWS.fullmatch(xml, start, end))


# The grammars hold each cell's reference to the r of its row (the backreference to "row"), and read
# every "<" of <sheetData> as the XML parsers do: an attribute value runs to its closing quote; no
# element can hide in a text, which holds no "<". Two r attributes are refused (calamine takes the
# last), as is, in a row, an attribute named "x:r" or "x-r" before r, where _row_count's regex
# (\br="...") would take its value for the row's.
_USUAL_VALUE = rb'"[^"]*+"'
_USUAL_CONTENT = (
    rb'(?:<is><t>[^<]*+</t></is>|<v>[^<]*+</v>|<v ?/>|<is><t xml:space="preserve">[^<]*+</t></is>'
    rb'|<is><t ?/></is>|<f(?: [\w:.-]++=' + _USUAL_VALUE + rb')*+(?: ?/>|>[^<]*+</f>)(?:<v>[^<]*+</v>|<v ?/>|)|)')
_USUAL_CELL = (rb'<c r="[A-Z]{1,3}(?P=row)"(?: [st]=' + _USUAL_VALUE + rb')*+(?:>' + _USUAL_CONTENT
               + rb'</c>| ?/>)')
_USUAL_ROWS = re.compile(
    rb'(?:<row r="(?P<row>[0-9]++)"(?: [\w:.-]++=' + _USUAL_VALUE + rb')*+(?:>(?:' + _USUAL_CELL
    + rb')*+</row>| ?/>))*+')
_S = rb"[ \t\r\n]"
_ANY_VALUE = rb"""(?:"[^"<>]*+"|'[^'<>]*+')"""
_ANY_ATTR = _S + rb"++[\w:.-]++" + _S + rb"*+=" + _S + rb"*+" + _ANY_VALUE
_CELL_ATTR = _S + rb"++(?!r" + _S + rb"*+=)[\w:.-]++" + _S + rb"*+=" + _S + rb"*+" + _ANY_VALUE
_ROW_ATTR = (_S + rb"++(?!r" + _S + rb"*+=)(?![\w:.-]*?[:.-]r=)[\w:.-]++" + _S + rb"*+=" + _S
             + rb'*+"[^"<>]*+"')
# inside a cell: text, and elements other than c and row (calamine reads v, f and is, and fails on others)
_ANY_CONTENT = (
    rb"(?:[^<]++|<(?!c[ \t\r\n/>]|row[ \t\r\n/>])[A-Za-z][\w.-]*+(?:" + _ANY_ATTR + rb")*+" + _S + rb"*+/?>"
    rb"|</(?!c[ \t\r\n>]|row[ \t\r\n>])[A-Za-z][\w.-]*+" + _S + rb"*+>)*+")
_ANY_CELL = (rb"<c(?:" + _CELL_ATTR + rb")*+" + _S + rb"++r=(?:\"[A-Z]{1,3}(?P=row)\"|'[A-Z]{1,3}(?P=row)')(?:"
             + _CELL_ATTR + rb")*+" + _S + rb"*+(?:/>|>" + _ANY_CONTENT + rb"</c" + _S + rb"*+>)")
_ANY_ROWS = re.compile(
    rb"(?:<row(?:" + _ROW_ATTR + rb")*+" + _S + rb"++r=\"(?P<row>[0-9]++)\"(?:" + _ROW_ATTR + rb")*+" + _S
    + rb"*+(?:/>|>(?:" + _ANY_CELL + rb"|" + _S + rb"++)*+</row" + _S + rb"*+>)|" + _S + rb"++)*+")


def _first_sheet(path: Path):
    """What openpyxl knows of the workbook before reading cells: the first worksheet's name and XML,
    the shared strings' XML, and a function that converts a cell that is not a string as openpyxl's
    sheet parser does. The workbook is loaded as
    load_workbook loads it, less the shared strings (calamine reads those), so a part load_workbook
    rejects raises here too. None if there is no worksheet, or the shared strings are not where both
    openpyxl and calamine find them."""
    from openpyxl.packaging.relationship import get_dependents, get_rels_path
    from openpyxl.reader.excel import ExcelReader
    from openpyxl.utils.datetime import from_excel, from_ISO8601
    from openpyxl.worksheet._read_only import ReadOnlyWorksheet
    from openpyxl.worksheet._reader import _cast_number
    from openpyxl.xml.constants import SHARED_STRINGS

    class FirstSheet(ReadOnlyWorksheet):
        def _get_size(self):
            # The sheet's <dimension> is not read: both paths read every row and cell that is there,
            # whatever a (often stale) dimension says. openpyxl would parse a sheet without one to
            # its end here; the XML is kept for the caller instead.
            self.xml = self.parent._archive.read(self._worksheet_path)

    class Reader(ExcelReader):
        def read_strings(self):
            pass

        def read_worksheets(self):
            # ExcelReader.read_worksheets for read_only, with the first worksheet a FirstSheet
            for sheet, rel in self.parser.find_sheets():
                if rel.target not in self.valid_files:
                    continue
                if "chartsheet" in rel.Type:
                    self.read_chartsheet(sheet, rel)
                    continue
                rels_path = get_rels_path(rel.target)
                if rels_path in self.valid_files:
                    get_dependents(self.archive, rels_path)
                kind = ReadOnlyWorksheet if self.wb.worksheets else FirstSheet
                worksheet = kind(self.wb, sheet.name, rel.target, self.shared_strings)
                worksheet.sheet_state = sheet.state
                self.wb._sheets.append(worksheet)

    reader = Reader(path, read_only=True, data_only=True)
    try:
        reader.read()
        workbook = reader.wb
        if not workbook.worksheets:
            return None
        part = reader.package.find(SHARED_STRINGS)
        strings = [] if part is None else [part.PartName[1:]]
        # calamine must read the shared strings openpyxl reads (it looks for them at this path)
        rels = reader.parser.rels  # a dict in recent openpyxl, a RelationshipList in 3.1.0
        related = [r.Target for r in (rels.values() if hasattr(rels, "values") else rels.Relationship)
                   if str(r.Type).endswith("/sharedStrings")]
        present = [n for n in reader.valid_files if n.lower().endswith("sharedstrings.xml")]
        if strings not in ([], ["xl/sharedStrings.xml"]) or strings != related or strings != present:
            return None
        strings_xml = reader.archive.read(strings[0]) if strings else b""
    finally:
        reader.archive.close()
    sheet = workbook.worksheets[0]
    epoch, epoch_day = workbook.epoch, workbook.epoch.date()
    date_formats, timedelta_formats = workbook._date_formats, workbook._timedelta_formats

    def convert(data_type: str, style: str | None, value: str | None) -> str:
        # WorkSheetParser.parse_cell with data_only, for a cell that is not a shared, inline or formula
        # string; then xlsx_cell.
        if value is None:
            return ""
        style_id = 0 if style is None else style
        if style_id:
            style_id = int(style_id)
        if data_type == "n":
            number = _cast_number(value)
            if style_id in timedelta_formats:
                # openpyxl reads a duration as a timedelta from 3.1.3 on and as a datetime before:
                # left to the openpyxl that is installed (raises here)
                raise ValueError("a duration cell")
            if style_id in date_formats:
                if type(number) is int and number >= 60 and style_id not in timedelta_formats:
                    # what from_excel gives for a whole serial past the 1900 leap-year bug: midnight
                    # of that day, which xlsx_cell writes as the date (a test checks it)
                    return (epoch_day + dt.timedelta(days=number)).isoformat()
                # out of range, openpyxl warns and gives #VALUE!: left to the openpyxl path (raises here)
                return xlsx_cell(from_excel(number, epoch, timedelta=style_id in timedelta_formats))
            return xlsx_cell(number)
        if data_type == "b":
            return xlsx_cell(bool(int(value)))
        if data_type == "d":
            return xlsx_cell(from_ISO8601(value))
        return xlsx_cell(value)

    return sheet.title, sheet.xml, strings_xml, convert


def _row_count(xml: bytes) -> int | None:
    """The r of the last <row>, or None if there is no row, a row without a plain r="N" (openpyxl
    counts those) or rows out of order (openpyxl skips a row that goes back)."""
    start, end = xml.find(b"<sheetData"), xml.rfind(b"</sheetData>")
    # one pass: every "<row" gives one item, its r or b"" (a "<row" without a plain r="N", which the
    # old pair of passes, the row numbers and a count of "<row", turned down as a count mismatch)
    numbers = _ROW.findall(xml, start, end)
    if not numbers or b"" in numbers:
        return None
    numbers = list(map(int, numbers))
    if any(a >= b for a, b in itertools.pairwise(numbers)):
        return None
    return numbers[-1]


_ROW = re.compile(rb'<row(?:\s[^>]*?\br="([0-9]+)")?')
# A cell that is not a shared, inline or formula string (calamine reads those): with the usual
# attributes and a lone cached value, or else with any attributes and content. The first lookahead
# turns down the usual string cell quickly, the second any other.
_NON_TEXT_CELL = re.compile(
    rb'<c(?=[\s/>])(?!\s+r="[A-Z]+[0-9]+"(?:\s+s="[0-9]+")?\s+t="(?:s|inlineStr|str)")'
    rb'(?![^>]*\st\s*=\s*["\'](?:s|inlineStr|str)["\'])'
    rb'(?:\s+r="([A-Z]{1,3})([0-9]{1,7})"(?:\s+s="([0-9]+)")?(?:\s+t="([a-z]+)")?\s*'
    rb'(?:/>|><v>([^<&]*)</v></c>)'
    rb'|([^>]*?)(?:/>|>(.*?)</c>))', re.DOTALL)
_ATTR = re.compile(rb'([\w:.-]+)\s*=\s*(?:"([^"]*)"|\'([^\']*)\')')
_CELL_VALUE = re.compile(rb'<v(?:\s[^>]*)?(?:/>|>([^<]*)</v>)')


def _non_text_cells(xml: bytes, convert) -> dict[int, tuple[list[int], list[str | None]]] | None:
    """The cells of the sheet that are not strings, as 0-based row numbers and texts (None for empty)
    per 0-based column; None if one is written in a way left to openpyxl."""
    from openpyxl.utils.cell import column_index_from_string, coordinate_to_tuple

    out: dict[int, tuple[list[int], list[str | None]]] = {}
    columns: dict[bytes, tuple[list[int], list[str | None]]] = {}
    texts: dict[tuple, str | None] = {}
    for letters, digits, style, data_type, value, attrs, content in _NON_TEXT_CELL.findall(xml):
        if letters:
            key = (data_type, style, value)
        else:
            found = {k: (a or b) for k, a, b in _ATTR.findall(attrs)}
            if b"r" not in found or found.get(b"t") == b"" or found.get(b"s") == b"":
                return None  # placed by counting, or an empty t or s, which openpyxl reads its own way
            row, col = coordinate_to_tuple(found[b"r"].decode())
            match = _CELL_VALUE.search(content)
            key = (found.get(b"t", b""), found.get(b"s", b""), match.group(1) or b"" if match else b"")
        if key in texts:
            text = texts[key]
        else:
            data_type, style, value = key
            if b"&" in value:
                return None  # an entity: leave the unescaping to openpyxl
            text = texts[key] = convert(
                (data_type or b"n").decode(), style.decode() if style else None,
                value.decode() if value else None) or None
        if letters:
            cells = columns.get(letters)
            if cells is None:
                col = column_index_from_string(letters.decode())
                cells = columns[letters] = out.setdefault(col - 1, ([], []))
            cells[0].append(int(digits) - 1)
        else:
            cells = out.setdefault(col - 1, ([], []))
            cells[0].append(row - 1)
        cells[1].append(text)
    return out


_TEXT_ESCAPE = re.compile(rb"_x[0-9A-Fa-f]{4}_")
_T_LEADING_SPACE = re.compile(rb"<t(?:\s[^>]*)?> ")
_PRESERVE = re.compile(rb"""space\s*=\s*["']preserve["']""")
_SPACES = bytes.maketrans(b"\t\r\n", b"   ")


def _xml_is_plain(xml: bytes, root: bytes) -> bool:
    """Whether calamine reads every string of this part as openpyxl does, and the part is well-formed
    XML (else an error to openpyxl): no _xHHHH_ escapes (calamine decodes them, openpyxl does not),
    no CDATA, and no <t> that starts or ends with whitespace without xml:space="preserve"
    (calamine trims it, also inside rich text), unless it is a whole cell of whitespace (blank either
    way; openpyxl writes " \u3000" so)."""
    if b"<" + root not in xml[:4096] or _TEXT_ESCAPE.search(xml):
        return False
    # calamine reads past some malformed XML (a mismatched end tag, say) that openpyxl rejects; and
    # leave a DTD, CDATA or a comment (which may split a text) to openpyxl.
    parser = xml_parser.ParserCreate()
    parser.StartDoctypeDeclHandler = parser.StartCdataSectionHandler = parser.CommentHandler = _refuse
    try:
        parser.Parse(xml, True)
    except (xml_parser.ExpatError, _Refused):
        return False
    return _no_trimmed_text(xml, root)


def _no_trimmed_text(xml: bytes, root: bytes) -> bool:
    """Whether calamine's trimming of <t> elements leaves every text as openpyxl reads it."""
    spaced = _spaced(xml, root)
    for match in _T_LEADING_SPACE.finditer(spaced):
        if _calamine_trims(spaced, match.start()):
            return False
    end = spaced.rfind(b" </t>")
    while end != -1:
        if _calamine_trims(spaced, spaced.rfind(b"<", 0, end)):
            return False
        end = spaced.rfind(b" </t>", 0, end)
    return True


def _spaced(xml: bytes, root: bytes) -> bytes:
    """xml with tabs, CRs and LFs as spaces, or xml itself when the searches of _xml_is_plain find the
    same in both: a part written without them after its root's start (most; one byte each is looked
    for at memchr speed), and no "<t" or "/t" before that start. Then every match of those searches
    starts at or past the root's "<", where both are the same bytes (no "<t" or "</t>" can begin
    before it or reach across it, its "<" being followed by the root's name), and what _calamine_trims
    reads before such a match (<is>, <si>) holds no space. A copy of the sheet (0.35 s at 359 MB)
    saved."""
    root_start = xml.find(b"<" + root)
    head = xml[:root_start]
    if (root_start < 0 or b"<t" in head or b"/t" in head
            or any(xml.find(space, root_start) != -1 for space in (b"\t", b"\r", b"\n"))):
        return xml.translate(_SPACES)
    return xml


class _Refused(Exception):
    pass


def _refuse(*_) -> None:
    raise _Refused


def _calamine_trims(spaced: bytes, start: int) -> bool:
    """Whether calamine's trimming of the <t> element at `start` can change what openpyxl reads."""
    tag_end = spaced.find(b">", start)
    if _PRESERVE.search(spaced, start, tag_end):
        return False
    end = spaced.find(b"</t>", tag_end)
    text = spaced[tag_end + 1:end]
    whole_cell = (spaced[start - 4:start] in (b"<is>", b"<si>")
                  and spaced[end + 4:end + 9] in (b"</is>", b"</si>"))
    return not (whole_cell and len(text) < 1000 and not text.decode("utf-8", "replace").strip())
