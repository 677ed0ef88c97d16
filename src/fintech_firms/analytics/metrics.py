"""The group metrics of data contract §3, for any choice of dimensions, as a polars DataFrame."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from ..errors import InputError
from ..models.runner import Engine, kept_engine
from .columns import DIMENSIONS, FRACTION_KINDS, METRICS, TECH_MODES, TOTAL, region_order, tech_order


@dataclass(frozen=True)
class SnapshotOptions:
    """What the universe is: the snapshot year (None: the latest application year), tech mode, patents."""

    as_of: int | None = None
    tech_mode: str = "primary"
    min_patents: int = 1

    def __post_init__(self) -> None:
        if self.tech_mode not in TECH_MODES:
            raise InputError(f"unknown tech mode '{self.tech_mode}'; valid: {', '.join(TECH_MODES)}")
        if isinstance(self.min_patents, bool) or not isinstance(self.min_patents, int) or self.min_patents < 0:
            raise InputError(f"min_patents must be a whole number >= 0, not {self.min_patents!r}")
        if self.as_of is not None and (isinstance(self.as_of, bool) or not isinstance(self.as_of, int)):
            raise InputError(f"as_of must be a year, not {self.as_of!r}")
        if self.as_of is not None and not 1 <= self.as_of <= 9999:
            raise InputError(f"as_of must be a year from 1 to 9999, not {self.as_of}")


@dataclass
class Snapshot:
    """One data folder at one snapshot year: computes the metrics for as many groupings as asked."""

    engine: Engine
    options: SnapshotOptions = field(default_factory=SnapshotOptions)
    as_of: int = field(init=False)
    _groupings: dict[tuple, Groupings] = field(init=False, default_factory=dict)

    def __post_init__(self) -> None:
        as_of = self.options.as_of
        if as_of is None:
            as_of = self.engine.default_as_of()
            if as_of is None:
                raise InputError("the patents table is empty, so there is no default snapshot year; give --as-of")
        self.as_of = int(as_of)

    def metrics(self, by: Sequence[str], *, with_total: bool = False, sort: str | None = None,
                selection: Mapping[str, Iterable[str]] | None = None) -> pl.DataFrame:
        dims = parse_dimensions(by)
        if sort is not None and sort not in METRICS:
            raise InputError(f"unknown sort metric '{sort}'; valid: {', '.join(METRICS)}")
        chosen = {d: list(v) for d, v in (selection or {}).items()}
        self._check_selection(chosen)
        self.engine.select(chosen)
        groups = order_rows(self._grouped(dims), dims, sort)
        if not with_total:
            return groups
        total = self._grouped(()).with_columns(pl.lit(TOTAL, pl.String).alias(d) for d in dims)
        return pl.concat([groups, total.select(groups.columns)])

    def groupings(self, selection: Mapping[str, Iterable[str]] | None = None) -> Groupings:
        """Every grouping of the firms in `selection` at once (sql/group_metrics_sets.sql: one query for all
        16, where `metrics` runs one per grouping); computed once per selection (its values as a set)."""
        chosen = {d: list(v) for d, v in (selection or {}).items()}
        key = tuple(sorted((d, frozenset(v)) for d, v in chosen.items()))
        if key not in self._groupings:
            self._check_selection(chosen)
            self.engine.select(chosen)
            params = {"as_of": self.as_of, "min_patents": self.options.min_patents,
                      "tech_mode": self.options.tech_mode}
            self._groupings[key] = Groupings(self.engine.frame("group_metrics_sets", params))
        return self._groupings[key]

    def _check_selection(self, selection: Mapping[str, list[str]]) -> None:
        """A region or city that no firm has is most likely a typo: say so rather than print zeros."""
        for dimension, values in selection.items():
            if dimension not in ("region", "city"):
                raise InputError(f"cannot select by '{dimension}'; valid: region, city")
            known = self.engine.values(dimension)
            unknown = [v for v in values if v not in known]
            if unknown:
                ordered = order_rows(pl.DataFrame({dimension: sorted(known)}), (dimension,))
                shown = ordered.get_column(dimension).to_list()
                more = f" … ({len(shown) - 40} more)" if len(shown) > 40 else ""
                raise InputError(f"no firm has {dimension} '{unknown[0]}'; {dimension} values in the data: "
                                 f"{', '.join(shown[:40])}{more}")

    def _grouped(self, dims: Sequence[str]) -> pl.DataFrame:
        params = {
            "as_of": self.as_of,
            "min_patents": self.options.min_patents,
            "tech_mode": self.options.tech_mode,
            **{f"by_{d}": d in dims for d in DIMENSIONS},
        }
        return _typed(self.engine.frame("group_metrics", params), dims)


@dataclass(frozen=True)
class Groupings:
    """The rows of sql/group_metrics_sets.sql: the metrics of every grouping of one set of firms."""

    frame: pl.DataFrame

    def metrics(self, by: Sequence[str], *, with_total: bool = False) -> pl.DataFrame:
        """What Snapshot.metrics gives for the same grouping and firms, row for row."""
        dims = parse_dimensions(by)
        groups = order_rows(self._grouped(dims), dims)
        if not with_total:
            return groups
        total = self._grouped(()).with_columns(pl.lit(TOTAL, pl.String).alias(d) for d in dims)
        return pl.concat([groups, total.select(groups.columns)])

    def _grouped(self, dims: Sequence[str]) -> pl.DataFrame:
        # The model names a grouping by its dimensions in the order of DIMENSIONS, whatever the order asked.
        name = ",".join(d for d in DIMENSIONS if d in dims)
        return _typed(self.frame.filter(pl.col("dimensions") == name), dims)


def _typed(frame: pl.DataFrame, dims: Sequence[str]) -> pl.DataFrame:
    """The dimensions asked for, then the metrics, with the types of data contract §3."""
    if not dims and frame.is_empty():
        # SQL's GROUP BY gives no row over no firms; the total over no firms is still a row.
        frame = pl.DataFrame([_empty_total()])
    return frame.select(
        *(pl.col(d).cast(pl.String) for d in dims),
        *(pl.col(m).cast(pl.Float64 if METRICS[m].kind in FRACTION_KINDS else pl.Int64) for m in METRICS),
    )


def _empty_total() -> dict[str, int | None]:
    return {m: None if METRICS[m].kind in FRACTION_KINDS else 0 for m in METRICS}


def parse_dimensions(by: str | Sequence[str]) -> tuple[str, ...]:
    """`region,tech` or ["region", "tech"] -> ("region", "tech"), checked against the fixed list."""
    items = [p.strip() for p in by.split(",")] if isinstance(by, str) else [str(p).strip() for p in by]
    items = [p for p in items if p]
    valid = ", ".join(DIMENSIONS)
    for item in items:
        if item not in DIMENSIONS:
            raise InputError(f"unknown dimension '{item}'; valid: {valid}")
    repeated = sorted({d for d in items if items.count(d) > 1})
    if repeated:
        raise InputError(f"dimension '{repeated[0]}' given twice; valid: {valid}")
    return tuple(items)


def order_rows(frame: pl.DataFrame, dims: Sequence[str], sort: str | None = None) -> pl.DataFrame:
    """Regions in the report's order and tech classes in the taxonomy's, other dimensions by value
    (code point, the same on every machine), nulls last; with `sort`, that metric first, descending."""
    keys: list[pl.Expr] = []
    descending: list[bool] = []
    if sort is not None:
        keys.append(pl.col(sort))
        descending.append(True)
    for d in dims:
        fixed = region_order() if d == "region" else tech_order() if d == "tech" else None
        if fixed is not None:
            keys.append(pl.col(d).replace_strict(fixed, default=len(fixed) + 500, return_dtype=pl.Int64))
            descending.append(False)
        keys.append(pl.col(d))
        descending.append(False)
    if not keys:
        return frame
    return frame.sort(keys, descending=descending, nulls_last=True, maintain_order=True)


def aggregate(data_dir: str | Path = "data/parquet", by: str | Sequence[str] = ("region",), *,
              as_of: int | None = None, tech_mode: str = "primary", min_patents: int = 1,
              with_total: bool = False, sort: str | None = None,
              regions: Iterable[str] | None = None, cities: Iterable[str] | None = None) -> pl.DataFrame:
    """The metrics of data contract §3 for each group of `by` (any of region, province, city, tech).

    `regions` and `cities` keep only the firms in those regions or cities (the universe and the
    total shrink with them). Returns one row per group, the dimensions first, then the metrics.
    """
    options = SnapshotOptions(as_of, tech_mode, min_patents)
    selection = {k: list(v) for k, v in (("region", regions), ("city", cities)) if v is not None}
    # One grouping (two with the total): not worth materialising the models it reads. The engine is
    # kept for the next call on the same folder (models.runner.kept_engine).
    with kept_engine(Path(data_dir)) as engine:
        return Snapshot(engine, options).metrics(by, with_total=with_total, sort=sort, selection=selection)
