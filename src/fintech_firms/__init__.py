"""fintech_firms: raw patent and investment exports to validated Parquet and the FIRE report's tables.

For notebooks:

    import fintech_firms as ff
    con = ff.connect("data/parquet")                # DuckDB, with a view per table
    df = ff.aggregate("data/parquet", by=["region", "tech"])   # polars DataFrame
"""

from .analytics.api import chapter_tables, connect
from .analytics.metrics import aggregate
from .version import __version__

__all__ = ["__version__", "aggregate", "chapter_tables", "connect"]
