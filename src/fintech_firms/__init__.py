"""fintech_firms: raw patent and investment exports to validated Parquet and the FIRE report's tables.

For notebooks:

    import fintech_firms as ff
    con = ff.connect("data/parquet")                # DuckDB, with a view per table
    df = ff.aggregate("data/parquet", by=["region", "tech"])   # polars DataFrame
    fire = ff.index("data/parquet", level="first", by="region")  # the FIRE index, long form
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .version import __version__

if TYPE_CHECKING:
    from .analytics.api import chapter_tables, connect
    from .analytics.metrics import aggregate
    from .fire.compute import index

__all__ = ["__version__", "aggregate", "chapter_tables", "connect", "index"]


def __getattr__(name: str) -> Any:
    # Loaded on first use, so that `firms` starts (and takes Ctrl-C) before DuckDB and polars load.
    if name in ("chapter_tables", "connect"):
        from .analytics import api

        return getattr(api, name)
    if name == "aggregate":
        from .analytics.metrics import aggregate

        return aggregate
    if name == "index":
        from .fire.compute import index

        return index
    raise AttributeError(f"module 'fintech_firms' has no attribute {name!r}")
