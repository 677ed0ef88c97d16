"""Writing the FIRE index tables (the report's 表3-表7 and 图1-图7): a CSV per table, index.xlsx, index.md."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from ..analytics.columns import Column
from ..fire.people import IndexTable, Spec
from .cells import Result
from .formats import csv_bytes, write_bytes
from .text import markdown_table

WORKBOOK = "index.xlsx"
MARKDOWN = "index.md"


def columns(specs: Sequence[Spec]) -> tuple[Column, ...]:
    return tuple(Column(s.key, s.label, s.kind) for s in specs)


def result(table: IndexTable) -> Result:
    return Result(table.frame, columns(table.columns), table.key)


def write_index_tables(tables: Sequence[IndexTable], out: Path) -> list[Path]:
    from .xlsx import workbook_bytes  # openpyxl is loaded only by the commands that write a workbook

    written = []
    for table in tables:
        path = out / f"{table.key}.csv"
        write_bytes(csv_bytes(table.frame), path)
        written.append(path)
    write_bytes(workbook_bytes([result(t) for t in tables]), out / WORKBOOK)
    parts = ["# 中国金融科技燃指数：数据表 (FIRE index tables)\n"]
    for table in tables:
        parts.append(f"## {table.title} (`{table.key}`)\n")
        parts.append(markdown_table(result(table)))
    write_bytes("\n".join(parts).encode(), out / MARKDOWN)
    return [*written, out / WORKBOOK, out / MARKDOWN]
