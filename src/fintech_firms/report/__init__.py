"""The report as charts: one offline HTML page and SVG/PNG files, from the chapter-4 tables and the index."""

from .api import Report, build_report, evaluate_links, load_index, read_provenance, write_report

__all__ = ["Report", "build_report", "evaluate_links", "load_index", "read_provenance", "write_report"]
