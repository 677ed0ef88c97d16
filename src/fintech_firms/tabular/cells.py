"""What the two .xlsx paths (reader's openpyxl path and xlsx_fast's calamine path) must agree on:
how a cell value reads as text, and how long a cell may be."""

from __future__ import annotations

import datetime as dt

# A cell longer than this is not a value any column of the contract can hold (the longest real ones,
# applicant lists of big consortia, stay far below); the row goes to quarantine instead of into memory
# several times over.
MAX_CELL_CHARS = 100_000


def xlsx_cell(value) -> str:
    """An openpyxl cell value as the text the raw table holds."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0, 0):
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
