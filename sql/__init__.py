"""The SQL models, shipped inside the package as fintech_firms.sql; the .sql files are the content."""
