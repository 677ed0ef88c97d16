"""The linking truth of the demo: every name the generator wrote in patents, financing and
certificates, with the firm it belongs to (its USCC, or its name when it has no valid one) or
`none` (people, universities, outside companies, firms in no table). `firms links eval` scores the
ingest's links against it (docs/linking.md)."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import polars as pl

from .firms import Firms

NONE = "none"
COLUMNS = ["name", "firm"]


def truth_frame(firms: Firms, typos: dict[int, str], written: Iterable[str]) -> pl.DataFrame:
    """(name, firm) for each distinct written name, sorted by name: the same seed gives the same bytes."""
    f = firms.frame
    # A firm is known by its USCC when it has a valid one (uscc_kind 0), else by its name.
    identity = f.select(pl.when(pl.col("uscc_kind") == 0).then(pl.col("uscc")).otherwise(pl.col("name")))
    ids = identity.to_series().to_list()
    owner: dict[str, str] = {}
    for column in ("name", "variant", "former", "former2"):
        for text, firm in zip(f[column].to_list(), ids):
            if text:
                owner[text] = firm
    for firm_index, text in typos.items():
        owner[text] = ids[firm_index]
    names = sorted({n for n in written if n})
    return pl.DataFrame({"name": names, "firm": [owner.get(n, NONE) for n in names]},
                        schema={"name": pl.Utf8, "firm": pl.Utf8})


def write_truth(path: Path, frame: pl.DataFrame) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(frame.write_csv(line_terminator="\n").encode("utf-8"))
