"""fintech_firms: raw patent and investment exports to validated Parquet and the FIRE report's tables."""

__version__ = "0.1.0"
