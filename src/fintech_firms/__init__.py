"""fintech_firms: raw patent and investment exports to validated Parquet and the FIRE report's tables.

For notebooks:

    import fintech_firms as ff
    con = ff.connect("data/parquet")                # DuckDB, with a view per table
    df = ff.aggregate("data/parquet", by=["region", "tech"])   # polars DataFrame
"""

# Before the imports: modules below read it while this package is still being imported.
__version__ = "0.1.0"

from .analytics.api import chapter_tables, connect  # noqa: E402
from .analytics.metrics import aggregate  # noqa: E402

__all__ = ["__version__", "aggregate", "chapter_tables", "connect"]
