"""Writing results for people (aligned text, Markdown, XLSX) and for programs (CSV, JSON, Parquet)."""
