"""Analytics over the ingested Parquet tables: the SQL models of `sql/`, run by DuckDB."""
