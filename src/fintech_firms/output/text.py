"""Aligned text tables for the terminal, and Markdown tables for reports."""

from __future__ import annotations

from .cells import Result, is_numeric, rows_for_people, width


def text_table(result: Result) -> str:
    header = [c.label for c in result.columns]
    body = rows_for_people(result)
    widths = [max(width(cell) for cell in column) for column in zip(header, *body)] if header else []
    right = [is_numeric(c) for c in result.columns]

    def line(cells: list[str]) -> str:
        padded = [_pad(cell, w, r) for cell, w, r in zip(cells, widths, right)]
        return "  ".join(padded).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(header), rule, *(line(row) for row in body)]) + "\n"


def markdown_table(result: Result) -> str:
    """A pipe table; each header cell is the Chinese label over the stable key."""
    header = [f"{c.label}<br>`{c.key}`" if c.label != c.key else f"`{c.key}`" for c in result.columns]
    align = ["---:" if is_numeric(c) else "---" for c in result.columns]
    rows = [[_md_escape(cell) for cell in row] for row in rows_for_people(result)]
    return "\n".join("| " + " | ".join(cells) + " |" for cells in [header, align, *rows]) + "\n"


def _pad(cell: str, w: int, right: bool) -> str:
    gap = " " * (w - width(cell))
    return gap + cell if right else cell + gap


def _md_escape(cell: str) -> str:
    return cell.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")
