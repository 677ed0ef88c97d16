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
# Delimiters on one line of a CSV: a row has at most MAX_COLUMNS cells of MAX_CELL_CHARS, but no real
# line comes near a million delimiters; the csv module would hold each of them as a field (a 200 MB
# line of commas, 200 million fields, takes tens of GB).
MAX_LINE_DELIMITERS = 1_000_000
# Lines shorter than this cannot hold that many delimiters with anything between: only longer ones are
# counted.
LONG_LINE_CHARS = MAX_LINE_DELIMITERS
# Fields of a rejected row shown in its quarantine record past the header's: the record of a row of
# millions of fields would otherwise be as large.
MAX_EXTRA_FIELDS_SHOWN = 20
# Excel's own sheet size; no real workbook holds a cell beyond it.
EXCEL_MAX_ROWS = 1_048_576
# Uncompressed size of an .xlsx's parts together: a full sheet of Excel's 1,048,576 rows with 40
# columns of 50-byte cells is about 2 GiB of XML.
MAX_XLSX_UNZIPPED = 4 * 1024**3

__all__ = ["EXCEL_MAX_ROWS", "LONG_LINE_CHARS", "MAX_CELL_CHARS", "MAX_COLUMNS", "MAX_EXTRA_FIELDS_SHOWN",
           "MAX_HEADER_CHARS", "MAX_LINE_DELIMITERS", "MAX_XLSX_UNZIPPED"]
