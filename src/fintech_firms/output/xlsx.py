"""XLSX workbooks: a sheet per result, Chinese labels over the English keys, numbers kept as numbers.

openpyxl stamps the save time into the workbook and its zip entries; `workbook_bytes` rewrites both
to a fixed time so that the same results give a byte-identical file.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Sequence
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from .cells import Result, decimal_number, display, is_numeric, plain, width

_NUMBER_FORMATS = {"ratio": "0.0%", "mean1": "0.0", "mean2": "0.00", "count": "0", "rank": "0"}
_FIXED_TIME = "2000-01-01T00:00:00Z"
_ZIP_TIME = (2000, 1, 1, 0, 0, 0)
_STAMP = re.compile(rb"(<dcterms:(created|modified)[^>]*>)[^<]*(</dcterms:\2>)")
# Excel refuses sheet names over 31 characters or with these characters.
_SHEET_BAD = re.compile(r"[\[\]:*?/\\]")


def workbook_bytes(results: Sequence[Result]) -> bytes:
    book = Workbook()
    book.remove(book.active)
    for result in results:
        _add_sheet(book, result)
    raw = io.BytesIO()
    book.save(raw)
    return _fixed_times(raw.getvalue())


def _add_sheet(book: Workbook, result: Result) -> None:
    sheet = book.create_sheet(_SHEET_BAD.sub("_", result.title)[:31])
    _append(sheet, [c.label for c in result.columns])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    # Labels over keys; an ad-hoc query's columns are their own labels and get one header row.
    header_rows = 1 if all(c.label == c.key for c in result.columns) else 2
    if header_rows == 2:
        _append(sheet, [c.key for c in result.columns])
        for cell in sheet[2]:
            cell.font = Font(italic=True, color="808080")
    for row in result.frame.iter_rows():
        _append(sheet, [_cell(v, c, result.null) for v, c in zip(row, result.columns)])
    for j, column in enumerate(result.columns, start=1):
        fmt = _NUMBER_FORMATS.get(column.kind)
        letter = get_column_letter(j)
        if fmt and result.frame.height:
            for (cell,) in sheet.iter_rows(min_row=header_rows + 1, min_col=j, max_col=j):
                cell.number_format = fmt
                cell.alignment = Alignment(horizontal="right")
        longest = max([width(column.label), len(column.key)]
                      + [width(display(v, column, "")) for v in result.frame.get_column(column.key).head(200)])
        sheet.column_dimensions[letter].width = min(60, longest + 2)
    sheet.freeze_panes = f"A{header_rows + 1}"


def _append(sheet, values: list) -> None:
    sheet.append(values)
    for j, value in enumerate(values, start=1):
        if isinstance(value, str) and value.startswith("="):
            # openpyxl writes a string that starts with = as a live formula: text stays a text cell.
            sheet.cell(sheet.max_row, j).data_type = "s"


def _cell(value, column, null):
    if value is None:
        return None
    if isinstance(value, Decimal):
        value = decimal_number(value)
    if is_numeric(column) and isinstance(value, (int, float)) and not isinstance(value, bool):
        return value
    if column.kind == "text":
        return display(value, column, null)
    return plain(value)


def _fixed_times(data: bytes) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            content = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                content = _STAMP.sub(rb"\g<1>" + _FIXED_TIME.encode() + rb"\g<3>", content)
            entry = zipfile.ZipInfo(info.filename, date_time=_ZIP_TIME)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = info.external_attr
            dst.writestr(entry, content)
    return out.getvalue()
