"""The fast xlsx path (calamine for the text cells, the sheet's XML for the others) reads exactly the
table the openpyxl path reads, and leaves to openpyxl every workbook it might read differently."""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import re
import unicodedata
import zipfile
from pathlib import Path

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl.utils.datetime import CALENDAR_MAC_1904
from polars.testing import assert_frame_equal

from fintech_firms.errors import InputError
from fintech_firms.tabular import xlsx_fast
from fintech_firms.tabular.reader import (
    MAX_CELL_CHARS,
    _build,
    _from_xlsx_frame,
    _read_xlsx,
    read_table,
)
from fintech_firms.tabular.xlsx_fast import read_xlsx_fast as _read_xlsx_fast

NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'


def canonical(header: str) -> str:
    return header.lower()


def both(path: Path, fast: bool = True):
    """The table by the openpyxl path; asserts that the fast path is taken (or not) and that it, and
    read_table, give the same table."""
    read = _read_xlsx_fast(path)
    assert (read is not None) == fast
    headers, rows, encoding = _read_xlsx(path)
    slow = _build(path.name, headers, rows, encoding, False, canonical, set())
    tables = [read_table(path, canonical)]
    if read is not None:
        tables.append(_from_xlsx_frame(path.name, *read, canonical, set()))
    for table in tables:
        assert (table.source, table.encoding, table.headers, table.columns, table.rows_read,
                table.blank_rows) == (slow.source, slow.encoding, slow.headers, slow.columns,
                                      slow.rows_read, slow.blank_rows)
        assert table.rejected == slow.rejected
        assert_frame_equal(table.frame, slow.frame)
    return slow


def save(path: Path, rows: list[list], formats: dict[int, str] | None = None, setup=None) -> Path:
    """A workbook written by openpyxl; formats: number format per 0-based column of the data rows."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    for col, fmt in (formats or {}).items():
        for cells in sheet.iter_rows(min_row=2, min_col=col + 1, max_col=col + 1):
            cells[0].number_format = fmt
    if setup:
        setup(workbook)
    workbook.save(path)
    return path


def rezip(path: Path, parts: dict[str, bytes | None]) -> Path:
    """The workbook with parts replaced (None drops one, a new name adds it)."""
    source = zipfile.ZipFile(io.BytesIO(path.read_bytes()))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for name in source.namelist():
            data = parts.get(name, source.read(name))
            if data is not None:
                target.writestr(name, data)
        for name, data in parts.items():
            if name not in source.namelist() and data is not None:
                target.writestr(name, data)
    path.write_bytes(buffer.getvalue())
    return path


def sheet_xml(rows: str, dimension: str | None = None) -> bytes:
    head = f'<dimension ref="{dimension}"/>' if dimension else ""
    return (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet {NS}>{head}'
            f"<sheetData>{rows}</sheetData></worksheet>").encode()


def handmade(tmp_path: Path, rows: str, dimension: str | None = None, strings: list[str] | None = None,
             styles: bytes | None = None, name: str = "t.xlsx") -> Path:
    """A workbook whose first sheet is the given <sheetData> rows (and shared strings, as <si> bodies)."""
    path = save(tmp_path / name, [["x"]], setup=lambda wb: wb.create_sheet("ignored").append(["y"]))
    parts: dict[str, bytes | None] = {"xl/worksheets/sheet1.xml": sheet_xml(rows, dimension)}
    if strings is not None:
        source = zipfile.ZipFile(path)
        items = "".join(f"<si>{s}</si>" for s in strings)
        parts["xl/sharedStrings.xml"] = (
            f'<?xml version="1.0" encoding="UTF-8"?><sst {NS} count="{len(strings)}" '
            f'uniqueCount="{len(strings)}">{items}</sst>').encode()
        parts["[Content_Types].xml"] = source.read("[Content_Types].xml").replace(
            b"</Types>", b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
            b'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>')
        parts["xl/_rels/workbook.xml.rels"] = source.read("xl/_rels/workbook.xml.rels").replace(
            b"</Relationships>", b'<Relationship Id="rIdS" Type="http://schemas.openxmlformats.org/'
            b'officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>')
    if styles is not None:
        parts["xl/styles.xml"] = styles
    return rezip(path, parts)


def inline(ref: str, text: str, attrs: str = "") -> str:
    return f'<c r="{ref}" t="inlineStr"><is><t{attrs}>{text}</t></is></c>'


STYLES = (
    f'<?xml version="1.0" encoding="UTF-8"?><styleSheet {NS}>'
    '<numFmts count="3"><numFmt numFmtId="164" formatCode="yyyy&quot;年&quot;m&quot;月&quot;d&quot;日&quot;"/>'
    '<numFmt numFmtId="165" formatCode="h:mm:ss"/><numFmt numFmtId="166" formatCode="0.00%"/></numFmts>'
    '<fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>'
    '<fills count="1"><fill><patternFill patternType="none"/></fill></fills>'
    '<borders count="1"><border/></borders><cellStyleXfs count="1"><xf numFmtId="0"/></cellStyleXfs>'
    '<cellXfs count="7"><xf numFmtId="0" xfId="0"/><xf numFmtId="14" xfId="0"/><xf numFmtId="164" xfId="0"/>'
    '<xf numFmtId="165" xfId="0"/><xf numFmtId="166" xfId="0"/><xf numFmtId="22" xfId="0"/>'
    '<xf numFmtId="49" xfId="0"/></cellXfs>'
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>'
).encode()


# --- workbooks written by openpyxl ----------------------------------------------------------------

def test_cell_types(tmp_path: Path) -> None:
    rows = [
        ["名称", "code", "amount", "flag", "when", "note"],
        ["甲科技", "007", 1250, True, dt.date(2021, 3, 5), "  spaced  "],
        ["乙", "0123456789", 1.5, False, dt.datetime(2021, 3, 5, 14, 30), "line\nbreak"],
        ["丙", 123456789012345678, 0.1, None, dt.datetime(2021, 3, 5), None],
        ["丁", 914403001922038216, 1 / 3, True, dt.datetime(2021, 3, 5, 14, 30, 0, 500000), "   "],
        ["戊", 201610920041.0, 1.5e-7, None, dt.time(14, 30), "=1+1"],
        ["己", -5, 1e20, None, dt.date(2021, 3, 6), "\u3000全角\u3000"],
        ["庚", 0, -0.0, None, dt.date(1900, 1, 1), "a&b <c>"],
        ["辛", 2**53 + 1, 44260.60416666666, None, dt.datetime(1900, 2, 28, 12), "x"],
    ]
    table = both(save(tmp_path / "t.xlsx", rows))
    assert table.frame.height == 8


def test_a_duration_cell_is_left_to_openpyxl(tmp_path: Path) -> None:
    # openpyxl reads durations its own way, which changed in 3.1.3: the installed one decides.
    rows = [["名称", "when"], ["甲", dt.timedelta(days=1, hours=2)], ["乙", dt.date(2021, 3, 5)]]
    table = both(save(tmp_path / "t.xlsx", rows), fast=False)
    assert table.frame.height == 2


def test_blank_rows_trailing_rows_and_columns(tmp_path: Path) -> None:
    def setup(workbook):
        sheet = workbook.active
        sheet["F1"].number_format = "0.00"  # styled but empty: stretches the dimension to F
        sheet["B40"].number_format = "0.00"  # an empty styled row far below the data
    rows = [
        ["name", "city", None, "", None],
        ["甲", "深圳"],
        [None, None, None],
        [],
        ["乙", None, None, None, None],
        ["   ", "\t"],
        ["丙", "上海", None, "  "],
    ]
    table = both(save(tmp_path / "t.xlsx", rows, setup=setup))
    assert (table.rows_read, table.blank_rows) == (39, 36)


def test_header_below_blank_rows_and_right_of_blank_columns(tmp_path: Path) -> None:
    def setup(workbook):
        sheet = workbook.active
        sheet["C3"], sheet["D3"] = "name", "city"
        sheet["C5"], sheet["D6"] = "甲", 42
    table = both(save(tmp_path / "t.xlsx", [], setup=setup))
    assert table.headers == ["column_1", "column_2", "name", "city"]


def test_header_only_and_second_sheet_ignored(tmp_path: Path) -> None:
    def setup(workbook):
        other = workbook.create_sheet("other")
        other.append(["name"])
        other.append(["not read"])
        workbook.active = 1
    table = both(save(tmp_path / "t.xlsx", [["name", "city"]], setup=setup))
    assert (table.rows_read, table.headers) == (0, ["name", "city"])


def test_number_formats_and_1904_dates(tmp_path: Path) -> None:
    # (No duration column: durations go to openpyxl, see test_a_duration_cell_is_left_to_openpyxl.)
    rows = [["d", "p", "s", "n"]] + [
        [dt.date(2000, 1, 1) + dt.timedelta(days=37 * i), i / 7, i * 11, 44000 + i]
        for i in range(60)
    ]
    formats = {0: 'yyyy"年"m"月"d"日"', 1: "0.00%", 2: "@", 3: "General"}
    both(save(tmp_path / "a.xlsx", rows, formats))

    def mac(workbook):
        workbook.epoch = CALENDAR_MAC_1904
    both(save(tmp_path / "b.xlsx", rows, formats, setup=mac))


def test_whole_serial_dates(tmp_path: Path) -> None:
    # Date cells holding whole serials take a shortcut past openpyxl's from_excel: same text throughout.
    serials = [*range(70), *range(2_958_400, 2_958_466), *range(100, 2_958_465, 9_973)]
    rows = "".join(f'<row r="{i + 2}"><c r="A{i + 2}" s="1"><v>{n}</v></c><c r="B{i + 2}" s="5"><v>{n}'
                   f'</v></c><c r="C{i + 2}" s="2"><v>{n}.0</v></c></row>' for i, n in enumerate(serials))
    header = f'<row r="1">{inline("A1", "d")}{inline("B1", "dt")}{inline("C1", "f")}</row>'
    table = both(handmade(tmp_path, header + rows, styles=STYLES))
    assert table.frame["d"].to_list()[68:72] == ["1900-03-08", "1900-03-09", "9999-10-27", "9999-10-28"]
    assert table.frame["dt"][135] == "9999-12-31"


def test_property_random_sheets(tmp_path: Path) -> None:
    cells = st.one_of(
        st.none(),
        st.text(alphabet=st.sampled_from(list("ab 0甲乙\u3000\xa0\t\n.-&<")), max_size=5).filter(
            lambda s: not s.startswith("=")),
        st.integers(-(10**20), 10**20),
        st.floats(allow_nan=False, allow_infinity=False),
        st.booleans(),
        st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(9999, 12, 31)),
        st.datetimes(min_value=dt.datetime(1900, 1, 1), max_value=dt.datetime(9999, 12, 31)),
        st.times(),
    )
    counter = iter(range(10**6))

    @settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(rows=st.lists(st.lists(cells, max_size=7), min_size=1, max_size=8))
    def check(rows):
        rows = [["h1", "h2", "h3", "h4", "h5"], *rows]
        path = save(tmp_path / f"p{next(counter)}.xlsx", rows)
        # a non-blank cell right of the header sends the sheet to openpyxl
        wide = any(v is not None and (not isinstance(v, str) or v.strip()) for r in rows for v in r[5:])
        both(path, fast=not wide)

    check()


GOLDEN_WORKBOOKS = sorted(Path(__file__).parent.glob("golden/*/raw/*.xlsx"))


@pytest.mark.parametrize("path", GOLDEN_WORKBOOKS, ids=lambda p: p.name)
def test_golden_workbooks(path: Path) -> None:
    both(path)


def test_demo_workbook(tmp_path: Path) -> None:
    from fintech_firms.demo.writer import write_xlsx

    rows = [["甲", "914403001922038216", "GR20241100254", dt.date(2024, 5, 24)],
            [None, "91440300192203821X", None, "2023/11/26"], [None, None, None, None],
            ["乙 & 丙 <x>", None, "GR2008", dt.date(1990, 1, 1)]] * 50
    path = tmp_path / "h.xlsx"
    write_xlsx(path, ["企业名称", "统一社会信用代码", "证书编号", "发证日期"], rows)
    both(path)


# --- hand-made sheet XML --------------------------------------------------------------------------

def test_property_shared_strings_and_typed_cells(tmp_path: Path) -> None:
    # Cells as Excel writes them: shared strings (xml:space="preserve" where the text has edge spaces),
    # numbers as repr, booleans, errors, numbers in date, time and duration styles.
    texts = st.text(alphabet=st.sampled_from(list("ab 0甲\u3000\xa0\t\n.&<>\"'")), max_size=6)
    cells = st.one_of(
        st.none(),
        texts.map(lambda t: ("s", None, t)),
        st.floats(allow_nan=False, allow_infinity=False).map(lambda f: ("n", None, repr(f))),
        st.integers(-(10**20), 10**20).map(lambda i: ("n", None, str(i))),
        st.booleans().map(lambda b: ("b", None, str(int(b)))),
        st.sampled_from(["#N/A", "#DIV/0!", "#VALUE!"]).map(lambda e: ("e", None, e)),
        st.tuples(st.sampled_from(["1", "2", "3", "5"]),
                  st.floats(min_value=0, max_value=2_958_465.5)).map(lambda x: ("n", x[0], repr(x[1]))),
        st.integers(0, 2_958_465).map(lambda i: ("n", "1", str(i))),
    )
    counter = iter(range(10**6))

    def escape(text: str) -> str:
        return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")

    @settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(rows=st.lists(st.lists(cells, max_size=4), min_size=1, max_size=8))
    def check(rows):
        strings: list[str] = []
        xml = [f'<row r="1">{"".join(inline(f"{c}1", f"h{c}") for c in "ABCD")}</row>']
        for r, row in enumerate(rows, start=2):
            out = []
            for c, cell in zip("ABCD", row):
                if cell is None:
                    continue
                kind, style, value = cell
                style_attr = f' s="{style}"' if style else ""
                if kind == "s":
                    preserve = ' xml:space="preserve"' if value != value.strip(" \t\n") else ""
                    strings.append(f"<t{preserve}>{escape(value)}</t>")
                    value = str(len(strings) - 1)
                type_attr = "" if kind == "n" else f' t="{kind}"'
                out.append(f'<c r="{c}{r}"{style_attr}{type_attr}><v>{value}</v></c>')
            xml.append(f'<row r="{r}">{"".join(out)}</row>')
        path = handmade(tmp_path, "".join(xml), f"A1:D{len(rows) + 1}", strings=strings, styles=STYLES,
                        name=f"p{next(counter)}.xlsx")
        both(path)

    check()


def test_shared_strings(tmp_path: Path) -> None:
    strings = [
        "<t>name</t>", "<t>city</t>", '<t xml:space="preserve">  甲  </t>',
        '<r><t>rich</t></r><r><rPr><b/></rPr><t xml:space="preserve"> text</t></r>',
        '<t>漢字</t><rPh sb="0" eb="2"><t>カンジ</t></rPh><phoneticPr fontId="1"/>',
        "<t>a&amp;b &lt;c&gt; &#x4E2D; &quot;q&quot;</t>", "<t/>", "<t>tab\there\nnl</t>", "<t>a&#13;b</t>",
    ]
    rows = "".join(f'<row r="{i + 1}"><c r="A{i + 1}" t="s"><v>{i}</v></c><c r="B{i + 1}" t="s"><v>{i}'
                   f"</v></c></row>" for i in range(1, len(strings)))
    rows = '<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c></row>' + rows
    both(handmade(tmp_path, rows, "A1:B9", strings=strings))


def test_cells_openpyxl_would_write_otherwise(tmp_path: Path) -> None:
    rows = (
        f'<row r="1" spans="1:6">{inline("A1", "a")}{inline("B1", "b")}{inline("C1", "c")}'
        f'{inline("D1", "d")}{inline("E1", "e")}{inline("F1", "f")}</row>'
        # attributes in another order and quoting; an explicit t="n"; big whole numbers as written
        """<row r="2"><c s="1" r="A2"><v>44260</v></c><c r='B2' t='n'><v>123456789012345678</v></c>"""
        '<c r="C2" t="e"><v>#N/A</v></c><c r="D2" t="b"><v>0</v></c>'
        '<c r="E2" t="d"><v>2021-03-05T14:30:00</v></c><c r="F2"><v>1E+21</v></c></row>'
        # formulas: cached number, cached string, none; an empty value; a lone styled cell
        '<row r="3"><c r="A3"><f>SUM(1,2)</f><v>3</v></c><c r="B3" t="str"><f>"x"&amp;"y"</f><v>xy</v></c>'
        '<c r="C3" t="e"><f>1/0</f><v>#DIV/0!</v></c><c r="D3"><f>1</f></c><c r="E3"><v/></c>'
        '<c r="F3" s="4"/></row>'
        # a gap, then numbers in every style
        '<row r="6"><c r="A6" s="2"><v>45000.5</v></c><c r="B6" s="3"><v>1.0833333333333333</v></c>'
        '<c r="C6" s="4"><v>0.125</v></c><c r="D6" s="5"><v>44260.604166666664</v></c>'
        '<c r="E6" s="6"><v>5</v></c><c r="F6" s="1"><v>10</v></c></row>'
        '<row r="7"><c r="A7" s="1"><v>0.5</v></c><c r="B7" s="1"><v>59.5</v></c><c r="C7"><v>-0</v></c>'
        '<c r="D7"><v>0.000015</v></c><c r="E7"><v>9007199254740993</v></c><c r="F7"><v>12.50</v></c></row>'
    )
    table = both(handmade(tmp_path, rows, "A1:F7", styles=STYLES))
    assert table.frame.row(0)[:6] == ("2021-03-05", "123456789012345678", "#N/A", "false",
                                      "2021-03-05 14:30:00", "1000000000000000000000")


def test_text_cells_with_date_styles(tmp_path: Path) -> None:
    rows = (f'<row r="1">{inline("A1", "a")}{inline("B1", "b")}{inline("C1", "c")}{inline("D1", "d")}</row>'
            '<row r="2"><c r="A2" s="1" t="str"><f>X</f><v>44260</v></c>'
            '<c r="B2" s="1" t="inlineStr"><is><t>44260</t></is></c>'
            '<c r="C2" s="3" t="str"><v>1.5</v></c><c r="D2" s="6" t="str"><v>007</v></c></row>')
    table = both(handmade(tmp_path, rows, "A1:D2", styles=STYLES))
    assert table.frame.row(0) == ("44260", "44260", "1.5", "007", 1)


def test_no_dimension_and_row_gaps(tmp_path: Path) -> None:
    rows = (f'<row r="2">{inline("A2", "name")}{inline("B2", "city")}</row>'
            f'<row r="3">{inline("B3", "深圳")}</row><row r="9">{inline("A9", "甲")}</row><row r="12"/>')
    table = both(handmade(tmp_path, rows))
    assert (table.rows_read, table.blank_rows) == (10, 8)


# --- a stale <dimension> is not believed (both paths read every cell; issue 16) -------------------

@pytest.mark.parametrize(
    ("rows", "dimension", "expected"),
    [
        ((f'<row r="1">{inline("A1", "name")}</row><row r="2">{inline("A2", "a")}</row>'
          f'<row r="3">{inline("A3", "b")}</row>'), "A1:A2", {"name": ["a", "b"]}),
        ((f'<row r="1">{inline("A1", "name")}{inline("B1", "x")}</row><row r="2">{inline("B2", "a")}</row>'),
         "A1:A2", {"name": [None], "x": ["a"]}),
        # a dimension larger than the cells: no rows are invented past the last <row>
        ((f'<row r="1">{inline("A1", "name")}</row><row r="2">{inline("A2", "a")}</row>'),
         "A1:C900", {"name": ["a"]}),
        ((f'<row r="1">{inline("A1", "name")}</row><row r="2">{inline("A2", "a")}</row>'
          f'<row r="7">{inline("A7", "b")}</row>'), "B3:B3", {"name": ["a", "b"]}),
    ],
    ids=["rows-past-dimension", "columns-past-dimension", "dimension-past-rows", "dimension-elsewhere"],
)
def test_stale_dimension_is_ignored(tmp_path: Path, rows: str, dimension: str, expected: dict) -> None:
    table = both(handmade(tmp_path, rows, dimension))
    assert table.frame.drop("_row").to_dict(as_series=False) == expected
    assert table.rows_read == table.frame.height + table.blank_rows


def test_openpyxl_written_sheet_with_a_stale_dimension(tmp_path: Path) -> None:
    # The recipe of issue 16: five data rows under a dimension of A1:B2 were read as one row.
    path = save(tmp_path / "t.xlsx", [["name", "city"], *[[f"甲{i}", "北京"] for i in range(5)]])
    xml = zipfile.ZipFile(path).read("xl/worksheets/sheet1.xml")
    rezip(path, {"xl/worksheets/sheet1.xml": re.sub(rb'<dimension ref="[^"]*"', b'<dimension ref="A1:B2"', xml)})
    table = both(path)
    assert (table.rows_read, table.frame["name"].to_list()) == (5, [f"甲{i}" for i in range(5)])


@pytest.mark.parametrize("ref", ["XFD1048576", "AAA1048576", "ZZ1048576", "C1048576", "XFD3"])
def test_far_cells_do_not_reach_calamine(tmp_path: Path, ref: str) -> None:
    # One cell at XFD1048576 in a 5 KB file made calamine allocate its dense grid and abort (issue 16).
    path = save(tmp_path / "t.xlsx", [["name", "city"], ["甲", "北京"]])
    workbook = openpyxl.load_workbook(path)
    workbook.active[ref] = "x"
    workbook.save(path)
    assert path.stat().st_size < 10_000
    table = both(path, fast=False)
    last = openpyxl.utils.cell.coordinate_to_tuple(ref)[0] - 1
    assert [(r.row, r.reason.split(" but")[0]) for r in table.rejected] == [
        (last, f"row has {openpyxl.utils.cell.coordinate_to_tuple(ref)[1]} fields")]
    assert table.frame["name"].to_list() == ["甲"]



# --- a cell's reference names the row that holds it ------------------------------------------------
# openpyxl places a cell in its <row> (the reference gives the column), calamine by its reference.

@pytest.fixture
def calamine_calls(monkeypatch) -> list:
    """The sheets calamine was started on."""
    calls: list = []
    original = xlsx_fast._calamine
    monkeypatch.setattr(xlsx_fast, "_calamine", lambda *args: calls.append(args) or original(*args))
    return calls


@pytest.mark.parametrize(
    ("rows", "expected"),
    [
        # a reference to the next row, then to the one before
        (f'<row r="2">{inline("A2", "甲")}{inline("B3", "北京")}</row><row r="3">{inline("A3", "乙")}</row>',
         {"name": ["甲", "乙"], "city": ["北京", None]}),
        (f'<row r="2">{inline("A2", "甲")}</row><row r="3">{inline("A3", "乙")}{inline("B2", "北京")}</row>',
         {"name": ["甲", "乙"], "city": [None, "北京"]}),
        # a reference to Excel's last row, from a sheet of two rows
        (f'<row r="2">{inline("A2", "甲")}<c r="B1048576" t="inlineStr"><is><t>北京</t></is></c></row>',
         {"name": ["甲"], "city": ["北京"]}),
        ('<row r="2"><c r="A1048576" s="1"><v>44260</v></c></row>', {"name": ["2021-03-05"], "city": [None]}),
    ],
    ids=["next-row", "row-before", "last-row", "last-row-number"],
)
def test_cells_referring_to_another_row_are_left_to_openpyxl(
        tmp_path: Path, calamine_calls: list, rows: str, expected: dict) -> None:
    header = f'<row r="1">{inline("A1", "name")}{inline("B1", "city")}</row>'
    table = both(handmade(tmp_path, header + rows, styles=STYLES), fast=False)
    assert table.frame.drop("_row").to_dict(as_series=False) == expected
    assert calamine_calls == []


@pytest.mark.parametrize("ref", ["ZZ1048576", "A1048576"])
def test_a_far_reference_in_a_small_sheet_does_not_reach_calamine(
        tmp_path: Path, calamine_calls: list, ref: str) -> None:
    # calamine's grid would be 1,048,576 rows by the reference's column: openpyxl reads the cell in the
    # header row, in its column (A, after H: openpyxl's row ends at the column of its last cell)
    header = "".join(f'<c r="{c}1" t="s"><v>{i}</v></c>' for i, c in enumerate("ABCDEFGH"))
    rows = (f'<row r="1">{header}<c r="{ref}" t="s"><v>8</v></c></row>'
            '<row r="2"><c r="A2" t="s"><v>9</v></c></row>')
    strings = [f"<t>h{i}</t>" for i in range(8)] + ["<t>far</t>", "<t>甲</t>"]
    table = both(handmade(tmp_path, rows, strings=strings), fast=False)
    if ref == "A1048576":
        assert table.headers == ["far"]
    else:
        assert (len(table.headers), table.headers[:2], table.headers[-1]) == (702, ["h0", "h1"], "far")
    assert table.frame.row(0)[0] == "甲"
    assert calamine_calls == []


def test_references_that_agree_stay_on_the_fast_path(tmp_path: Path, calamine_calls: list) -> None:
    # r after other attributes, single quotes, a row's r after its spans, whitespace between elements
    rows = ('<row r="1" spans="1:3"><c t="inlineStr" r="A1"><is><t>name</t></is></c>'
            '<c s="0" t="inlineStr" r="B1"><is><t>city</t></is></c><c r=\'C1\' t=\'inlineStr\'><is><t>n</t></is></c>'
            '</row>\n  <row spans="1:3" r="2">\n    <c s="1" r="A2" t="inlineStr"><is><t>甲</t></is></c>\n'
            '    <c t="inlineStr"\n       r="B2"><is><t>深圳</t></is></c><c t="n" r="C2"><v>5</v></c>\n  </row>\n'
            '<row r="4"><c r="A4" t="inlineStr"><is><t>乙</t></is></c><c r="C4"/></row>\n')
    path = handmade(tmp_path, rows, styles=STYLES)
    table = both(path)
    assert table.frame.drop("_row").to_dict(as_series=False) == {
        "name": ["甲", "乙"], "city": ["深圳", None], "n": ["5", None]}
    assert calamine_calls == [(path, "Sheet")] * 2  # read_xlsx_fast, then read_table


@pytest.mark.parametrize(
    "cell",
    [
        '<c r="b2" t="inlineStr"><is><t>x</t></is></c>',  # calamine reads lower case, openpyxl too
        '<c r="B02" t="inlineStr"><is><t>x</t></is></c>',  # the same row, written otherwise
        '<c t="inlineStr"><is><t>x</t></is></c>',  # no r: both count, but the grammar has none
        '<c r = "B2" t="inlineStr"><is><t>x</t></is></c>',
        '<x:c xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main" r="B1048576" '
        't="inlineStr"><x:is><x:t>x</x:t></x:is></x:c>',  # calamine takes it for a c, and openpyxl
        '<c r="B2" t="inlineStr"><is><t>x</t></is><!-- c --></c>',
    ],
    ids=["lower-case", "leading-zero", "no-r", "spaced-r", "prefixed", "comment"],
)
def test_cells_the_check_does_not_read_are_left_to_openpyxl(
        tmp_path: Path, calamine_calls: list, cell: str) -> None:
    rows = (f'<row r="1">{inline("A1", "name")}{inline("B1", "city")}</row>'
            f'<row r="2">{inline("A2", "甲")}{cell}</row>')
    table = both(handmade(tmp_path, rows), fast=False)
    assert table.frame["name"].to_list() == ["甲"]
    assert calamine_calls == []


@pytest.mark.parametrize(
    "rows",
    [
        # a cell between rows: openpyxl does not read it, calamine does
        f'<row r="1">{inline("A1", "name")}</row>{inline("A3", "x")}<row r="2">{inline("A2", "a")}</row>',
        # two r: calamine takes the last one, expat refuses the sheet
        f'<row r="1">{inline("A1", "name")}</row><row r="2"><c r="A2" r="A1048576"><v>1</v></c></row>',
        # an attribute before the row's r that _row_count's regex takes for it
        f'<row r="1">{inline("A1", "name")}</row><row x-r="2" r="1048576">{inline("A1048576", "a")}</row>',
    ],
    ids=["between-rows", "two-r", "row-attribute-named-like-r"],
)
def test_other_layouts_never_reach_calamine(tmp_path: Path, calamine_calls: list, rows: str) -> None:
    path = handmade(tmp_path, rows)
    assert not xlsx_fast._refs_in_their_rows(zipfile.ZipFile(path).read("xl/worksheets/sheet1.xml"))
    assert _read_xlsx_fast(path) is None
    assert calamine_calls == []


def _refs_reference(xml: bytes) -> tuple[bool, list[bytes]]:
    """Read by expat: whether every element named c (any prefix) is an unprefixed child of a row with r
    and has a reference [A-Z]{1,3}N, N that r, and rows are children of sheetData; and the rows' r."""
    import xml.parsers.expat as expat

    parser = expat.ParserCreate()
    stack: list[tuple[str, str | None]] = []
    rows: list[bytes] = []
    ok = [True]

    def start(name, attrs):
        local = name.rpartition(":")[2]
        parent = stack[-1] if stack else ("", None)
        if local == "row":
            ok[0] &= name == "row" and parent[0] == "sheetData" and bool(re.fullmatch("[0-9]+", attrs.get("r", "")))
            rows.append(attrs.get("r", "").encode())
        if local == "c":
            ref = re.fullmatch("[A-Z]{1,3}([0-9]+)", attrs.get("r", ""))
            ok[0] &= (name == "c" and parent[0] == "row" and ref is not None and parent[1] is not None
                      and ref.group(1) == parent[1])
        stack.append((name, attrs.get("r")))

    parser.StartElementHandler = start
    parser.EndElementHandler = lambda name: stack.pop()
    parser.Parse(xml, True)
    return ok[0], rows


_REF_PARTS = [
    '<row r="1">', '<row r="2" spans="1:2">', '<row spans="1:2" r="3">', '<row r="4"/>', '<row r="01">',
    '<row x:r="5" r="6" xmlns:x="u">', "</row>",
    '<c r="A1"/>', '<c r="B2" t="s"><v>0</v></c>', '<c s="1" r="C3"><v>1</v></c>', "<c r='D6' t='n'><v>2</v></c>",
    '<c r="AB1" t="inlineStr"><is><t>x</t></is></c>', '<c r="A01"/>', '<c r="a1"/>', '<c><v>1</v></c>',
    '<c r="A4">', "</c>", '<c r="A1" s="1" r="A2"/>', '<v>3</v>', '<f t="shared" si="0"/>', "\n", " ",
    '<c r="A6"\n t="b"><v>1</v></c>', '<x:c xmlns:x="u" r="A1"/>', "<!-- x -->", '<c r="A2"><f>1</f><v/></c>',
]


@settings(max_examples=500, deadline=None)
@given(parts=st.lists(st.sampled_from(_REF_PARTS), max_size=12))
def test_refs_in_their_rows_only_says_yes_when_they_are(parts: list[str]) -> None:
    _check_refs_in_their_rows("".join(parts))


def _check_refs_in_their_rows(sheet_data: str) -> None:
    xml = f'<worksheet {NS}><sheetData>{sheet_data}</sheetData></worksheet>'.encode()
    try:
        reference, rows = _refs_reference(xml)
    except Exception:  # not well-formed: expat refuses it after calamine, which never got it either
        reference, rows = False, []
    if xlsx_fast._refs_in_their_rows(xml):
        assert reference
        # and _row_count reads the same rows (its regex, not expat)
        assert xlsx_fast._ROW.findall(xml) == rows


# Sheets of rows of cells, most references agreeing with their row: the others name the next, the one
# before or the last row, are written otherwise or twice, and odd parts come between the elements.
_REF_KINDS = ["same"] * 60 + ["next", "before", "last", "lower", "zero", "single", "none", "twice"]
_CELL_FORMS = ['<c {} t="inlineStr"><is><t>x</t></is></c>', '<c {} s="1"><v>1</v></c>', "<c {}/>",
               '<c s="1" {}><v>2</v></c>', "<c t='n' {}><v>3</v></c>", '<c\n {} t="b"><v>1</v></c>',
               "<c {}><f>A1</f><v /></c>"]
_ROW_FORMS = ['<row r="{}">'] * 20 + ['<row r="{}" spans="1:4">', '<row spans="1:4" r="{}">',
                                     '<row x-r="9" r="{}">', '<row r="0{}">', "<row>"]
_BETWEEN = [""] * 80 + ["\n", "<!-- c -->", '<x:c xmlns:x="u" r="A1"/>', '<c r="A1"/>', "</row>", '<row r="7">']


def _ref_attr(kind: str, column: str, row: int) -> str:
    return {"same": f'r="{column}{row}"', "next": f'r="{column}{row + 1}"', "before": f'r="{column}{row - 1}"',
            "last": f'r="{column}1048576"', "lower": f'r="{column.lower()}{row}"', "zero": f'r="{column}0{row}"',
            "single": f"r='{column}{row}'", "none": "", "twice": f'r="{column}{row}" r="{column}1048576"'}[kind]


@settings(max_examples=400, deadline=None)
@given(rows=st.lists(st.tuples(
    st.integers(1, 2), st.sampled_from(_ROW_FORMS), st.sampled_from(_BETWEEN),
    st.lists(st.tuples(st.sampled_from(_REF_KINDS), st.sampled_from(_CELL_FORMS), st.sampled_from(_BETWEEN)),
             max_size=4)), min_size=1, max_size=5))
def test_refs_in_their_rows_on_sheets_with_some_other_rows(rows: list) -> None:
    parts, number = [], 0
    for gap, row_form, between, cells in rows:
        number += gap
        parts.append(row_form.format(number) + between)
        parts += [form.format(_ref_attr(kind, column, number)) + after
                  for column, (kind, form, after) in zip("ABCD", cells)]
        parts.append("</row>")
    _check_refs_in_their_rows("".join(parts))


@settings(max_examples=200, deadline=None)
@given(rows=st.lists(st.tuples(st.integers(1, 3), st.lists(st.sampled_from([
    '<c r="{}{}" t="inlineStr"><is><t>x</t></is></c>', '<c r="{}{}" s="1"><v>1</v></c>', '<c r="{}{}" s="2"/>',
    '<c r="{}{}"><f>A1</f><v /></c>', '<c s="1" r="{}{}"><v>1</v></c>',
    '<c r="{}{}" t="inlineStr"><is><t xml:space="preserve"> y </t></is></c>']), max_size=4)), max_size=6))
def test_refs_in_their_rows_says_yes_to_agreeing_sheets(rows: list[tuple[int, list[str]]]) -> None:
    xml, number = [], 0
    for gap, cells in rows:
        number += gap
        xml.append(f'<row r="{number}">' + "".join(c.format(col, number) for col, c in zip("ABCD", cells))
                   + "</row>")
    assert xlsx_fast._refs_in_their_rows(f'<worksheet><sheetData>{"".join(xml)}</sheetData></worksheet>'.encode())

def test_a_zip_bomb_is_refused(tmp_path: Path, monkeypatch) -> None:
    from fintech_firms.tabular import reader

    path = save(tmp_path / "t.xlsx", [["name"], *[["甲" * 50] for _ in range(2000)]])
    monkeypatch.setattr(reader, "MAX_XLSX_UNZIPPED", 100_000)
    with pytest.raises(InputError, match=r"t.xlsx: the workbook unzips to .* MiB \(limit"):
        read_table(path, canonical)


# --- left to openpyxl ---------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("rows", "dimension", "strings"),
    [
        # _xHHHH_ escapes: calamine decodes them, openpyxl does not
        (f'<row r="1">{inline("A1", "name")}</row><row r="2">{inline("A2", "a_x000D_b")}</row>', None, None),
        ('<row r="1"><c r="A1" t="s"><v>0</v></c></row><row r="2"><c r="A2" t="s"><v>1</v></c></row>',
         None, ["<t>name</t>", "<t>ax005F_b</t>"]),
        # whitespace without xml:space="preserve": calamine trims it, here inside rich text
        ('<row r="1"><c r="A1" t="s"><v>0</v></c></row><row r="2"><c r="A2" t="s"><v>1</v></c></row>',
         None, ["<t>name</t>", "<r><t>a </t></r><r><t> b</t></r>"]),
        (f'<row r="1">{inline("A1", "name")}</row><row r="2">{inline("A2", "  x")}</row>', None, None),
        (f'<row r="1">{inline("A1", "name")}</row><row r="2">{inline("A2", "<![CDATA[ x ]]>")}</row>',
         None, None),
        # a non-blank cell right of the header: _build rejects the row with its raw cells
        (f'<row r="1">{inline("A1", "name")}</row><row r="2">{inline("A2", "a")}{inline("C2", "b")}</row>',
         None, None),
        # a cell without r, a row without r: openpyxl counts
        (f'<row r="1">{inline("A1", "name")}</row><row r="2"><c><v>5</v></c></row>', None, None),
        (f'<row r="1">{inline("A1", "name")}</row><row>{inline("A2", "a")}</row>', None, None),
        # a date serial past year 9999: openpyxl warns and writes #VALUE!
        (f'<row r="1">{inline("A1", "name")}</row><row r="2"><c r="A2" s="1"><v>1e10</v></c></row>',
         None, None),
        # an entity in a cached value
        (f'<row r="1">{inline("A1", "name")}</row><row r="2"><c r="A2" t="e"><v>&amp;</v></c></row>',
         None, None),
        # rows out of order: openpyxl skips the one that goes back
        (f'<row r="1">{inline("A1", "name")}</row><row r="5"/><row r="3">{inline("A3", "a")}</row>',
         None, None),
        # a comment inside a text
        (f'<row r="1">{inline("A1", "name")}</row><row r="2">{inline("A2", "a<!-- c -->b")}</row>',
         None, None),
    ],
    ids=["escape", "x005F", "rich-text-trimmed", "leading-space", "cdata", "wider-than-header",
         "cell-without-r", "row-without-r",
         "date-out-of-range", "entity-in-value", "rows-out-of-order", "comment"],
)
def test_left_to_openpyxl(tmp_path: Path, rows: str, dimension, strings) -> None:
    with pytest.warns(UserWarning) if "1e10" in rows else contextlib.nullcontext():
        both(handmade(tmp_path, rows, dimension, strings=strings, styles=STYLES), fast=False)


def test_dtd_left_to_openpyxl(tmp_path: Path) -> None:
    path = save(tmp_path / "t.xlsx", [["name"], ["x"]])
    xml = zipfile.ZipFile(path).read("xl/worksheets/sheet1.xml")
    xml = xml.replace(b"<worksheet", b"<!DOCTYPE worksheet [<!ENTITY e 'entity'>]><worksheet")
    rezip(path, {"xl/worksheets/sheet1.xml": xml.replace(b"<t>x</t>", b"<t>&e;</t>")})
    assert both(path, fast=False).frame["name"].to_list() == ["entity"]


def test_oversized_cell_left_to_openpyxl(tmp_path: Path) -> None:
    # openpyxl cuts what it writes at Excel's 32,767 characters; a file from elsewhere need not be
    rows = (f'<row r="1">{inline("A1", "name")}</row><row r="2">{inline("A2", "x" * (MAX_CELL_CHARS + 1))}'
            f'</row><row r="3">{inline("A3", "y")}</row>')
    table = both(handmade(tmp_path, rows), fast=False)
    assert [r.row for r in table.rejected] == [1]


def _truncated(data: bytes) -> bytes:
    return data[: len(data) // 2]


@pytest.mark.parametrize(
    "damage",
    [
        lambda p: p.write_bytes(b""),
        lambda p: p.write_bytes(p.read_bytes()[:1500]),
        lambda p: rezip(p, {"xl/worksheets/sheet1.xml": _truncated(zipfile.ZipFile(p).read(
            "xl/worksheets/sheet1.xml"))}),
        lambda p: rezip(p, {"xl/worksheets/sheet1.xml": zipfile.ZipFile(p).read(
            "xl/worksheets/sheet1.xml").replace(b"</row>", b"</rov>", 1)}),
        lambda p: rezip(p, {"xl/worksheets/sheet1.xml": None, "xl/worksheets/sheet2.xml": None}),
        lambda p: rezip(p, {"xl/styles.xml": b"<styleSheet"}),
        lambda p: rezip(p, {"xl/worksheets/sheet2.xml": b"<worksheet"}),
        lambda p: save(p, []),
        lambda p: save(p, [[None, "  "], [], ["\u3000"]]),
        # a shared string cell in a workbook without shared strings
        lambda p: rezip(p, {"xl/worksheets/sheet1.xml": sheet_xml(
            f'<row r="1">{inline("A1", "name")}</row><row r="2"><c r="A2" t="s"><v>0</v></c></row>')}),
    ],
    ids=["empty-file", "truncated-zip", "truncated-sheet", "bad-sheet-xml", "no-worksheet",
         "bad-styles", "bad-second-sheet", "empty-sheet", "blank-sheet", "no-shared-strings"],
)
def test_damaged_workbooks_give_the_openpyxl_message(tmp_path: Path, damage) -> None:
    path = save(tmp_path / "t.xlsx", [["name", "city"], *[["甲", i] for i in range(200)]],
                setup=lambda wb: wb.create_sheet("other").append(["y"]))
    damage(path)
    assert _read_xlsx_fast(path) is None
    with pytest.raises(InputError) as slow:
        list(_read_xlsx(path)[1])
    with pytest.raises(InputError) as fast:
        read_table(path, canonical)
    assert str(fast.value) == str(slow.value)


def test_shared_strings_openpyxl_does_not_find(tmp_path: Path) -> None:
    # calamine would read xl/sharedStrings.xml; openpyxl finds shared strings through the manifest only
    rows = '<row r="1"><c r="A1" t="s"><v>0</v></c></row><row r="2"><c r="A2" t="s"><v>1</v></c></row>'
    path = handmade(tmp_path, rows, strings=["<t>name</t>", "<t>x</t>"])
    manifest = zipfile.ZipFile(path).read("[Content_Types].xml")
    rezip(path, {"[Content_Types].xml": re.sub(rb'<Override PartName="/xl/sharedStrings.xml"[^>]*/>', b"",
                                                manifest)})
    assert _read_xlsx_fast(path) is None
    with pytest.raises(InputError) as slow:
        list(_read_xlsx(path)[1])
    with pytest.raises(InputError) as fast:
        read_table(path, canonical)
    assert str(fast.value) == str(slow.value) == (
        "t.xlsx: cannot be read as an xlsx workbook (list index out of range)")


def test_python_whitespace_list() -> None:
    assert xlsx_fast._PY_SPACE == "".join(c for c in map(chr, range(0x110000)) if c.isspace())
    assert all(unicodedata.category(c)[0] in "ZC" for c in xlsx_fast._PY_SPACE)


def _dense_enough_reference(xml: bytes, height: int) -> bool:
    """_dense_enough as first written: both regexes over the whole XML, all three counts."""
    if height > xlsx_fast.EXCEL_MAX_ROWS or xlsx_fast._WIDE_CELL.search(xml):
        return False
    width = 702 if xlsx_fast._TWO_LETTER_CELL.search(xml) else 26
    cells = xml.count(b"<c ") + xml.count(b"<c>") + xml.count(b"<c/>")
    return height * width <= max(32 * cells, 1 << 22)


@settings(max_examples=80, deadline=None)
@given(
    parts=st.lists(st.sampled_from([b'<c r="A1" t="s">', b'<c r="AB12">', b'<c r="ABC3"/>', b"<c>", b"<c/>",
                                    b'<row r="AB1">', b' r="XFD9"', b"<col min=\"1\"/>", b"<c\tr=\"ZZ9\"/>",
                                    b'<c s="1" r="AA1"/>']), max_size=8),
    repeat=st.sampled_from([1, 1000, 200_000]),
    height=st.sampled_from([1, 5_000, 200_000, 1_048_576, 1_048_577]),
)
def test_dense_enough_is_the_reference(parts: list[bytes], repeat: int, height: int) -> None:
    xml = b"".join(parts) * repeat
    expected = _dense_enough_reference(xml, height)
    assert xlsx_fast._dense_enough(xml, height) == expected
    # cells counted in small pieces (whose seams split some "<c "): the same answer. Small pieces only on
    # the smaller sheets: on the 18 MB ones they are millions of counts in Python (the test took 90 s).
    for piece in (2, 7, 1000) if len(xml) <= 1 << 20 else (1 << 16,):
        assert xlsx_fast._dense_enough(xml, height, piece) == expected


def _row_count_reference(xml: bytes) -> int | None:
    """_row_count as first written: the rows' r in one pass, a count of "<row" in another."""
    start, end = xml.find(b"<sheetData"), xml.rfind(b"</sheetData>")
    numbers = re.findall(rb'<row\s[^>]*?\br="([0-9]+)"', xml[start:end] if end >= 0 else xml[start:-1])
    if not numbers or len(numbers) != xml.count(b"<row", start, end):
        return None
    values = [int(n) for n in numbers]
    return None if any(a >= b for a, b in zip(values, values[1:])) else values[-1]


# Parts with no "<" inside a tag: only there do the two differ (a "<row" inside a row's start tag is
# counted by the old pass and skipped by the new), and expat refuses such a sheet anyway.
@settings(max_examples=300, deadline=None)
@given(parts=st.lists(st.sampled_from([
    b'<row r="1">', b'<row r="2" spans="1:3">', b'<row spans="1:3" r="7"/>', b"<row>", b"<row/>",
    b'<row\tr="3">', b'<rowBreaks count="1"/>', b'<row r="x">', b'<row ar="4">', b'<row r="5"', b"</row>",
    b'<c r="A1"/>', b"<sheetData>", b"</sheetData>", b'<row r="12" x="r=&quot;9&quot;">']), max_size=10))
def test_row_count_is_the_reference(parts: list[bytes]) -> None:
    xml = b"<worksheet><sheetData>" + b"".join(parts) + b"</sheetData></worksheet>"
    assert xlsx_fast._row_count(xml) == _row_count_reference(xml)


# Prologs and texts around the whitespace forms the trimming check looks for: a PI holding "<t> ",
# a line feed before the root, tabs, CRs and LFs at a text's ends, xml:space, whole-cell blanks.
@settings(max_examples=400, deadline=None)
@given(
    prolog=st.sampled_from([b"", b'<?xml version="1.0"?>\n', b'<?xml version="1.0"?>\r\n',
                            b"<?pi <t>\n?>", b"<?pi /t\t?>\n", b"<?pi <t> x</t> ?>"]),
    parts=st.lists(st.sampled_from([
        b"<si><t>a</t></si>", b"<si><t> a</t></si>", b"<si><t>\na</t></si>", b"<si><t>a\t</t></si>",
        b"<si><t>a\r</t></si>", b"<is><t>\n</t></is>", b'<si><t xml:space="preserve">\ta </t></si>',
        b"<r><t>b\n</t></r>", b"<t\tx='1'>\rc</t>", b"\n", b"\t", b"x", b"</t>", b"<t>"]), max_size=8),
    root=st.sampled_from([b"sst", b"worksheet"]),
)
def test_no_trimmed_text_without_the_translated_copy(prolog: bytes, parts: list[bytes], root: bytes) -> None:
    xml = prolog + b"<" + root + b">" + b"".join(parts) + b"</" + root + b">"
    translated = xlsx_fast._no_trimmed_text(xml, root)
    original = xlsx_fast._spaced
    try:
        xlsx_fast._spaced = lambda xml, root: xml.translate(xlsx_fast._SPACES)
        assert xlsx_fast._no_trimmed_text(xml, root) == translated
    finally:
        xlsx_fast._spaced = original


def test_spaced_skips_the_copy_only_when_it_is_the_same() -> None:
    xml = b'<?xml version="1.0"?>\n<worksheet><t>a</t></worksheet>'
    assert xlsx_fast._spaced(xml, b"worksheet") is xml
    assert xlsx_fast._spaced(xml.replace(b"?>", b"?>\t"), b"worksheet") == xml.replace(b"?>", b"?>\t")
    for other in (xml.replace(b"a", b"\na"), xml.replace(b"?>", b"?><?pi <t>?>"), xml.replace(b"a", b"a\r")):
        assert xlsx_fast._spaced(other, b"worksheet") == other.translate(xlsx_fast._SPACES)
    assert xlsx_fast._spaced(xml.replace(b"a", b"\na"), b"worksheet") is not xml
