"""Writing the raw files: CSV (UTF-8 or GB18030, appended in chunks) and a byte-stable XLSX."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from pathlib import Path
from typing import Self
from xml.sax.saxutils import escape

import polars as pl


class CsvAppender:
    """A CSV file written frame by frame (the header once), in UTF-8."""

    def __init__(self, path: Path, columns: list[str]):
        self.path = path
        self.columns = columns
        self.rows = 0
        self._file = open(path, "wb")  # noqa: SIM115 - closed by close() / the with block
        self._file.write((",".join(columns) + "\n").encode("utf-8"))

    def write(self, frame: pl.DataFrame) -> None:
        _blank_as_null(frame.select(self.columns)).write_csv(self._file, include_header=False,
                                                             line_terminator="\n")
        self.rows += frame.height

    def close(self) -> None:
        self._file.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _blank_as_null(frame: pl.DataFrame) -> pl.DataFrame:
    """Empty strings as nulls: polars writes "" for an empty string, nothing for a null."""
    return frame.with_columns(
        pl.when(pl.col(c) != "").then(pl.col(c)).alias(c) for c, t in frame.schema.items() if t == pl.Utf8)


def write_csv(path: Path, frame: pl.DataFrame, encoding: str = "utf-8") -> None:
    text = _blank_as_null(frame).write_csv(line_terminator="\n")
    path.write_bytes(text.encode(encoding))


_XLSX_PARTS = {
    "[Content_Types].xml": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/worksheets/sheet1.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        '<Override PartName="/xl/styles.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
        '</Types>'),
    "_rels/.rels": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" '
        'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
        'Target="xl/workbook.xml"/></Relationships>'),
    "xl/workbook.xml": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
        'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
        '<sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>'),
    "xl/_rels/workbook.xml.rels": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" '
        'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" '
        'Target="worksheets/sheet1.xml"/>'
        '<Relationship Id="rId2" '
        'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" '
        'Target="styles.xml"/></Relationships>'),
    # Style 1: the built-in date format 14, so that date cells read back as dates.
    "xl/styles.xml": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        '<fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>'
        '<fills count="2"><fill><patternFill patternType="none"/></fill>'
        '<fill><patternFill patternType="gray125"/></fill></fills>'
        '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
        '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
        '<cellXfs count="2"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
        '<xf numFmtId="14" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs>'
        '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
        '</styleSheet>'),
}
_ZIP_TIME = (2000, 1, 1, 0, 0, 0)
_EXCEL_EPOCH = dt.date(1899, 12, 30)


def _column_letters(n: int) -> list[str]:
    out = []
    for j in range(n):
        name, k = "", j + 1
        while k:
            k, r = divmod(k - 1, 26)
            name = chr(65 + r) + name
        out.append(name)
    return out


def write_xlsx(path: Path, header: list[str], rows: list[list]) -> None:
    """One worksheet: text cells (inline strings), date cells (datetime.date, shown as dates) and
    blanks (None); fixed timestamps, so the same rows give the same bytes. Written directly as
    SpreadsheetML, which is many times faster than openpyxl for hundreds of thousands of rows."""
    letters = _column_letters(len(header))
    raw = io.BytesIO()
    with zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED) as book:
        for name, text in _XLSX_PARTS.items():
            book.writestr(_entry(name), text.encode("utf-8"))
        with book.open(_entry("xl/worksheets/sheet1.xml"), "w") as sheet:
            sheet.write(b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                        b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
                        b'<sheetData>')
            chunk: list[str] = []
            for r, row in enumerate([header, *rows], start=1):
                cells = []
                for letter, value in zip(letters, row):
                    if value is None or value == "":
                        continue
                    if isinstance(value, dt.date):
                        cells.append(f'<c r="{letter}{r}" s="1"><v>{(value - _EXCEL_EPOCH).days}</v></c>')
                    else:
                        cells.append(f'<c r="{letter}{r}" t="inlineStr"><is><t>{escape(str(value))}</t></is></c>')
                chunk.append(f'<row r="{r}">{"".join(cells)}</row>')
                if len(chunk) >= 10_000:
                    sheet.write("".join(chunk).encode("utf-8"))
                    chunk = []
            sheet.write(("".join(chunk) + "</sheetData></worksheet>").encode("utf-8"))
    path.write_bytes(raw.getvalue())


def _entry(name: str) -> zipfile.ZipInfo:
    entry = zipfile.ZipInfo(name, date_time=_ZIP_TIME)
    entry.compress_type = zipfile.ZIP_DEFLATED
    return entry
