"""Writing the chapter-4 tables: a CSV per table, one workbook, one Markdown file."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from ..analytics.chapter import Table
from ..errors import InputError
from .cells import Result
from .formats import csv_bytes, write_bytes
from .text import markdown_table
from .xlsx import workbook_bytes

WORKBOOK = "chapter4.xlsx"
MARKDOWN = "chapter4.md"


def write_tables(tables: Mapping[str, Table], out: Path) -> list[Path]:
    if out.exists() and not out.is_dir():
        raise InputError(f"{out} is a file; --out takes a folder")
    written = []
    results = [Result(t.frame, t.columns, t.key) for t in tables.values()]
    for table in tables.values():
        path = out / f"{table.key}.csv"
        write_bytes(csv_bytes(table.frame), path)
        written.append(path)
    write_bytes(workbook_bytes(results), out / WORKBOOK)
    write_bytes(markdown(tables).encode(), out / MARKDOWN)
    return [*written, out / WORKBOOK, out / MARKDOWN]


def markdown(tables: Mapping[str, Table]) -> str:
    parts = ["# 中国金融科技企业发展概况：数据表 (chapter 4 tables)\n"]
    for table in tables.values():
        parts.append(f"## {table.title} (`{table.key}`)\n")
        parts.append(markdown_table(Result(table.frame, table.columns, table.key)))
    return "\n".join(parts)
