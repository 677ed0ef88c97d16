"""The runner of the SQL models in `sql/`: which models exist and what each reads (derived from the SQL
text), and the one place that opens DuckDB and runs them (stored at ingest, materialised or composed at
query time)."""
