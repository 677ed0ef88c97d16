"""The output formats of `firms aggregate` and `firms sql`, and writing them to a file or stdout.

For people: `table` (aligned text), `md`, `xlsx` (Chinese labels, percentages, rounded means).
For programs: `csv`, `json` (an array of row objects), `parquet`: keys as headers, values unrounded.
"""

from __future__ import annotations

import io
import json
import os
import re
import tempfile
from decimal import Decimal
from pathlib import Path
from typing import Any

import polars as pl

from ..errors import InputError
from .cells import Result, decimal_number, plain
from .text import markdown_table, text_table

FORMATS = ("table", "csv", "json", "parquet", "md", "xlsx")
BINARY_FORMATS = ("parquet", "xlsx")


def check_format(fmt: str, out: Path | None) -> None:
    if fmt not in FORMATS:
        raise InputError(f"unknown format '{fmt}'; valid: {', '.join(FORMATS)}")
    if fmt in BINARY_FORMATS and out is None:
        raise InputError(f"--format {fmt} writes a binary file: give --out FILE")


def render(result: Result, fmt: str, *, raw_csv: bool = False) -> bytes:
    """The result in format `fmt`; `raw_csv` writes CSV text cells without the formula escape."""
    if fmt == "table":
        return text_table(result).encode()
    if fmt == "md":
        return markdown_table(result).encode()
    if fmt == "csv":
        return csv_bytes(result.frame, escape=not raw_csv)
    if fmt == "json":
        return json_bytes(result.frame)
    if fmt == "parquet":
        raw = io.BytesIO()
        result.frame.write_parquet(raw, compression="zstd", statistics=True)
        return raw.getvalue()
    if fmt == "xlsx":
        from .xlsx import workbook_bytes  # openpyxl: only for this format

        return workbook_bytes([result])
    raise InputError(f"unknown format '{fmt}'; valid: {', '.join(FORMATS)}")


# Text a spreadsheet would run as a formula when it opens the CSV (OWASP, "CSV injection"): a cell
# that starts with = + - @, or a tab or carriage return before one of them.
FORMULA_START = r"^[=+\-@\t\r]"


def csv_bytes(frame: pl.DataFrame, *, escape: bool = True) -> bytes:
    """The frame as CSV. With `escape`, a text cell that starts with = + - @ (or a tab or CR) gets a
    leading ' (the usual spreadsheet-injection escape), so that Excel or LibreOffice shows it as text
    instead of running it; numbers, negative ones included, are not text and stay as they are."""
    # CSV has no nested or binary values: lists and structs are written as JSON text, bytes as hex.
    nested = [name for name, dtype in frame.schema.items() if dtype.is_nested() or dtype == pl.Binary]
    if nested:
        frame = frame.with_columns(
            pl.col(name).map_elements(plain, return_dtype=pl.String, skip_nulls=True) for name in nested)
    if escape:
        text = [name for name, dtype in frame.schema.items() if dtype in (pl.String, pl.Categorical, pl.Enum)]
        frame = frame.with_columns(
            pl.when(pl.col(name).cast(pl.String).str.contains(FORMULA_START))
            .then(pl.lit("'") + pl.col(name).cast(pl.String)).otherwise(pl.col(name)).alias(name)
            for name in text)
        headers = {n: "'" + n for n in frame.columns if re.match(FORMULA_START, n) and "'" + n not in frame.columns}
        frame = frame.rename(headers) if headers else frame
    return frame.write_csv().encode()


def json_bytes(frame: pl.DataFrame) -> bytes:
    """One object per row, one row per line; floats in their shortest exact form."""
    rows = [json.dumps(row, ensure_ascii=False, default=_json_value) for row in frame.iter_rows(named=True)]
    return ("[\n" + ",\n".join(rows) + "\n]\n").encode() if rows else b"[]\n"


def _json_value(value: Any) -> Any:
    if isinstance(value, Decimal):
        return decimal_number(value)
    if isinstance(value, bytes):
        return value.hex()
    return plain(value)


def write_bytes(data: bytes, out: Path) -> None:
    """Write atomically: a reader never sees half a file, and a failure leaves the old one."""
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{out.name}.", dir=out.parent)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            os.chmod(tmp, 0o644)  # mkstemp's 0600 would hide the result from the user's colleagues
            os.replace(tmp, out)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    except OSError as exc:
        raise InputError(f"cannot write {out}: {exc.strerror or exc}") from None
