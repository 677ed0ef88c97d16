"""The output formats of `firms aggregate` and `firms sql`, and writing them to a file or stdout.

For people: `table` (aligned text), `md`, `xlsx` (Chinese labels, percentages, rounded means).
For programs: `csv`, `json` (an array of row objects), `parquet`: keys as headers, values unrounded.
"""

from __future__ import annotations

import io
import json
import os
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


def render(result: Result, fmt: str) -> bytes:
    if fmt == "table":
        return text_table(result).encode()
    if fmt == "md":
        return markdown_table(result).encode()
    if fmt == "csv":
        return csv_bytes(result.frame)
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


def csv_bytes(frame: pl.DataFrame) -> bytes:
    # CSV has no nested or binary values: lists and structs are written as JSON text, bytes as hex.
    nested = [name for name, dtype in frame.schema.items() if dtype.is_nested() or dtype == pl.Binary]
    if nested:
        frame = frame.with_columns(
            pl.col(name).map_elements(plain, return_dtype=pl.String, skip_nulls=True) for name in nested)
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
