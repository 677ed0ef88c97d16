"""Limits on what a raw file may hold, each far above the largest real export, so that a hostile or
broken file ends in a clear message instead of exhausting memory (docs/ingest.md, "Limits and
guarantees", lists them with what happens at each)."""

from __future__ import annotations

from .cells import MAX_CELL_CHARS

# Columns of a header (and cells of an xlsx row): the widest patent-database exports have a few hundred
# fields; a 500,000-column line would otherwise become 500,000 frame columns.
MAX_COLUMNS = 1_000
# Characters of the header line: 1,000 columns of 200-character headers.
MAX_HEADER_CHARS = 200_000
# Excel's own sheet size; no real workbook holds a cell beyond it.
EXCEL_MAX_ROWS = 1_048_576
# Uncompressed size of an .xlsx's parts together: a full sheet of Excel's 1,048,576 rows with 40
# columns of 50-byte cells is about 2 GiB of XML.
MAX_XLSX_UNZIPPED = 4 * 1024**3

__all__ = ["EXCEL_MAX_ROWS", "MAX_CELL_CHARS", "MAX_COLUMNS", "MAX_HEADER_CHARS", "MAX_XLSX_UNZIPPED"]
