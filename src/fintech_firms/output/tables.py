"""Writing the chapter-4 tables: a CSV per table, one workbook, one Markdown file."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from ..analytics.chapter import Table
from ..errors import InputError
from .cells import Result
from .formats import csv_bytes, write_bytes
from .text import markdown_table

WORKBOOK = "chapter4.xlsx"
MARKDOWN = "chapter4.md"
# What the report's prose quotes from figures 8-15: counts, shares, ratios and per-firm means.
HEADLINE = ("firms", "hightech_ratio", "patents", "invention_share", "rd_staff", "rd_per_firm", "top_vc_leads",
            "top_vc_leads_per_firm")


def write_tables(tables: Mapping[str, Table], out: Path) -> list[Path]:
    from .xlsx import workbook_bytes  # openpyxl is loaded only by the commands that write a workbook

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


def headline(tables: Mapping[str, Table]) -> list[Result]:
    """The by-region and by-class tables cut to the headline columns, for a terminal."""
    results = []
    for key, dim in (("by_region", "region"), ("by_tech", "tech")):
        table = tables[key]
        columns = tuple(c for c in table.columns if c.key == dim or c.key in HEADLINE)
        results.append(Result(table.frame.select(c.key for c in columns), columns, table.title))
    return results
