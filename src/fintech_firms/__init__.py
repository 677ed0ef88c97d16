"""fintech_firms: raw patent and investment exports to validated Parquet and the FIRE report's tables.

For notebooks:

    import fintech_firms as ff
    con = ff.connect("data/parquet")                # DuckDB, with a view per table
    df = ff.aggregate("data/parquet", by=["region", "tech"])   # polars DataFrame
"""

import os as _os
import sys as _sys

# polars' allocator (jemalloc) keeps freed pages for half a second, and then a second more, before
# giving them back (polars puts dirty_decay_ms:500,muzzy_decay_ms:1000 before this setting, which
# follows and wins), so large frames an ingest step has freed still count towards the next step's
# peak. Decaying them within 0.1 s took the scale-1 ingest's peak RSS from 1.12 to 0.97 GB at no
# measurable cost in time (docs/benchmarks.md). It can only be set before polars loads, and a
# setting of the user's wins.
if "polars" not in _sys.modules:
    _os.environ.setdefault("_RJEM_MALLOC_CONF", "dirty_decay_ms:100,muzzy_decay_ms:0")

from .analytics.api import chapter_tables, connect  # noqa: E402
from .analytics.metrics import aggregate  # noqa: E402
from .version import __version__  # noqa: E402

__all__ = ["__version__", "aggregate", "chapter_tables", "connect"]
