"""fintech_firms: raw patent and investment exports to validated Parquet and the FIRE report's tables.

For notebooks:

    import fintech_firms as ff
    con = ff.connect("data/parquet")                # DuckDB, with a view per table
    df = ff.aggregate("data/parquet", by=["region", "tech"])   # polars DataFrame
    fire = ff.index("data/parquet", level="first", by="region")  # the FIRE index, long form
"""

from .analytics.api import chapter_tables, connect
from .analytics.metrics import aggregate

# `index` is both the subpackage and its function: the name is bound to the function after the
# subpackage is imported, so `fintech_firms.index(...)` is the function (the package stays importable
# as `fintech_firms.index.compute` etc. through sys.modules).
from .index.compute import index
from .version import __version__

__all__ = ["__version__", "aggregate", "chapter_tables", "connect", "index"]
