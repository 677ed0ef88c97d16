"""fintech_firms: raw patent and investment exports to validated Parquet and the FIRE report's tables.

For notebooks:

    import fintech_firms as ff
    con = ff.connect("data/parquet")                # DuckDB, with a view per table
    df = ff.aggregate("data/parquet", by=["region", "tech"])   # polars DataFrame
    fire = ff.index("data/parquet", level="first", by="region")  # the FIRE index, long form
"""

from __future__ import annotations

import os as _os
import sys as _sys
from typing import TYPE_CHECKING, Any

# polars' allocator (jemalloc) keeps freed pages for half a second, and then a second more, before
# giving them back, so large frames an ingest step has freed still count towards the next step's
# peak. Giving them back after a second, without the second wait, keeps the scale-1 ingest's peak RSS
# at 0.64 GB (0.68 GB with polars' setting); giving them back within 0.1 s (0.61 GB), as this did
# before, made the ingest fault half a million pages back in and cost 0.3 s of its 6-7 s
# (docs/benchmarks.md). It works only if set before polars loads.
# polars writes its own defaults into the variable (and so passes them to child processes), then
# the value it was given, which jemalloc reads later and so obeys; a decay the user chose is kept.
_POLARS_DEFAULTS = "dirty_decay_ms:500,muzzy_decay_ms:1000"
_DECAY = "dirty_decay_ms:1000,muzzy_decay_ms:0"
if "polars" not in _sys.modules:
    _conf = _os.environ.get("_RJEM_MALLOC_CONF", "")
    if "decay_ms" not in _conf.replace(_POLARS_DEFAULTS, ""):
        _os.environ["_RJEM_MALLOC_CONF"] = ",".join(filter(None, [_conf, _DECAY]))

from .version import __version__  # noqa: E402

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
