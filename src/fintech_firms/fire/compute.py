"""The FIRE index of the report's chapters 2-3: raw values per city and year (the firm-derived ones from
the SQL models over the engine's tables, the others from city_stats), scored and aggregated by the SQL
models of `sql/idx_*.sql`. docs/index.md explains the method and what is inferred."""

from __future__ import annotations

import threading
import warnings
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

import duckdb
import polars as pl

from ..errors import InputError
from ..models.runner import Engine, folder_signature, run_on
from ..reference.indicators import LEVELS, Tree
from .inputs import IndexInputs, read_inputs

SCALINGS = ("log", "linear")
# The default: the report's magnitudes (西宁 1.684 and 潍坊 2.770 in 企业实力 beside 北京 10.171) are those
# of a compressing transform; a linear share of the best city's count would put most cities near 0.
DEFAULT_SCALING = "log"
DEFAULT_WINDOW = 3
BY = ("city", "region")
LEVEL_CHOICES = (*LEVELS, "all")
VALUES_SCHEMA = pl.Schema({"city": pl.Utf8, "year": pl.Int64, "indicator": pl.Utf8, "value": pl.Float64})
# Data contract of the long format (issue 11, item 5): the columns, in this order.
COLUMNS = ("entity_kind", "entity", "region", "level", "indicator", "name_zh", "name_en", "first_level",
           "year", "value", "score", "base_year", "base_value", "base_score", "growth", "rank", "base_rank",
           "rank_change")
# Kept for the people's tables: regions ranked by their best city too (the report's 表2).
EXTRA = ("best_city_score", "best_city_rank")


@dataclass(frozen=True)
class IndexResult:
    frame: pl.DataFrame  # COLUMNS + EXTRA, every level and entity kind
    notes: tuple[str, ...]  # what --partial left blank
    tree: Tree
    year: int
    base_year: int


def index(data_dir: str | Path = "data/parquet", year: int | None = None, base_year: int | None = None,
          level: str = "total", by: str = "city", indicator: str | None = None, scaling: str = DEFAULT_SCALING,
          window: int = DEFAULT_WINDOW, partial: bool = False, min_patents: int = 1) -> pl.DataFrame:
    """The FIRE index as a long polars frame: one row per entity x indicator (columns: COLUMNS).

    year: default the latest application year; base_year: default year - 1. level: total, first,
    secondary, tertiary or all; by: city or region; indicator: one code of indicators.csv (then
    `level` is ignored). scaling: log (default) or linear. window: the years of the patent
    statistics window. partial: compute what the city statistics allow (a warning says what is blank).
    """
    check_selection(level, by)
    result = compute(Path(data_dir), year=year, base_year=base_year, scaling=scaling, window=window,
                     partial=partial, min_patents=min_patents)
    for note in result.notes:
        warnings.warn(note, stacklevel=2)
    return select(result, level=level, by=by, indicator=indicator).select(COLUMNS)


# Results kept per folder and options while none of the folder's files changes: the index holds every
# level and entity kind, and its callers (the report, a notebook) ask for it by city and by region in turn.
_RESULTS: OrderedDict[tuple, IndexResult] = OrderedDict()
_RESULTS_MAX = 4
_RESULTS_LOCK = threading.Lock()


def compute(data_dir: Path, *, year: int | None = None, base_year: int | None = None,
            scaling: str = DEFAULT_SCALING, window: int = DEFAULT_WINDOW, partial: bool = False,
            min_patents: int = 1) -> IndexResult:
    _check_options(scaling, window, min_patents)
    folder = Path(data_dir).resolve()
    key = (folder, folder_signature(folder), year, base_year, scaling, window, partial, min_patents)
    with _RESULTS_LOCK:
        if key in _RESULTS:
            _RESULTS.move_to_end(key)
            return _RESULTS[key]
    result = _compute(data_dir, year=year, base_year=base_year, scaling=scaling, window=window, partial=partial,
                      min_patents=min_patents)
    with _RESULTS_LOCK:
        _RESULTS[key] = result
        while len(_RESULTS) > _RESULTS_MAX:
            _RESULTS.popitem(last=False)
    return result


def _compute(data_dir: Path, *, year: int | None, base_year: int | None, scaling: str, window: int,
             partial: bool, min_patents: int) -> IndexResult:
    inputs = read_inputs(data_dir)
    # An engine that stores each model it runs as a temporary table, once per parameters: the two years
    # then share what does not depend on the year (idx_university_patent_years, a scan of every
    # applicant's name: most of the index's time at scale 10, once instead of once per year).
    with Engine(data_dir) as engine:
        if year is None:
            year = engine.default_as_of()
            if year is None:
                raise InputError(f"{data_dir}: the patents table is empty, so there is no default --year")
        base_year = year - 1 if base_year is None else base_year
        if base_year > year:
            raise InputError(f"--base-year {base_year} is after --year {year}")
        engine.con.register("ff_index_cities", inputs.cities.select("city", "region"))
        engine.con.register("ff_universities", inputs.universities)
        firm_codes = inputs.tree.codes("tertiary", "firms")
        firm_values = []
        for y in sorted({base_year, year}):
            frame = engine.frame("idx_firm_values", {"as_of": y, "min_patents": min_patents, "window": window})
            firm_values.append(frame.filter(pl.col("indicator").is_in(firm_codes))
                               .select("city", pl.lit(y, pl.Int64).alias("year"), "indicator", "value"))
    stats, notes = city_values(inputs, sorted({base_year, year}), partial)
    values = pl.concat([*firm_values, stats]).cast(VALUES_SCHEMA)
    frame = score_values(values, inputs.tree, inputs.cities, year=year, base_year=base_year, scaling=scaling)
    return IndexResult(frame, tuple(notes), inputs.tree, year, base_year)


def _check_options(scaling: str, window: int, min_patents: int) -> None:
    if scaling not in SCALINGS:
        raise InputError(f"unknown scaling '{scaling}'; valid: {', '.join(SCALINGS)}")
    if window < 1:
        raise InputError(f"--window must be at least 1 year (got {window})")
    if min_patents < 0:
        raise InputError(f"--min-patents must be 0 or more (got {min_patents})")


def city_values(inputs: IndexInputs, years: list[int], partial: bool) -> tuple[pl.DataFrame, list[str]]:
    """The city statistics the index needs (every indexed city x year x `city` indicator), checked:
    a missing value is an error listing every missing one, unless `partial`, which blanks the whole
    indicator (so that no scale is taken from a subset of the cities) and says which."""
    codes = inputs.tree.codes("tertiary", "city")
    needed = inputs.cities.select("city").join(pl.DataFrame({"year": years}, schema={"year": pl.Int64}),
                                               how="cross").join(pl.DataFrame({"indicator": codes},
                                                                              schema={"indicator": pl.Utf8}),
                                                                 how="cross")
    stats = inputs.city_stats if inputs.city_stats is not None else pl.DataFrame(schema=VALUES_SCHEMA)
    negative = stats.filter(pl.col("value") < 0)
    if not negative.is_empty():
        row = negative.row(0, named=True)
        raise InputError(f"city_stats: negative value {row['value']:g} for {row['city']} {row['year']} "
                         f"{row['indicator']} ({negative.height} negative values)")
    got = needed.join(stats.select("city", "year", "indicator", "value").unique(["city", "year", "indicator"],
                                                                                   keep="first"),
                      on=["city", "year", "indicator"], how="left")
    missing = got.filter(pl.col("value").is_null()).sort("city", "year", "indicator")
    notes: list[str] = []
    if not missing.is_empty():
        if not partial:
            if inputs.city_stats is None:
                raise InputError(
                    "the data folder has no city statistics (city_stats.parquet): put city_stats.csv in the raw "
                    "folder and run `firms ingest` again, or use --partial to compute only the firm-derived "
                    f"parts ({missing.height} values missing)")
            listed = "; ".join(f"{c} {y} {i}" for c, y, i in missing.select("city", "year", "indicator").iter_rows())
            raise InputError(f"city_stats lacks {missing.height} values the index needs (city year indicator): "
                             f"{listed}; or use --partial")
        blank = sorted(set(missing["indicator"]))
        got = got.with_columns(pl.when(pl.col("indicator").is_in(blank)).then(None).otherwise(pl.col("value"))
                               .alias("value"))
        firsts = sorted({inputs.tree.row(inputs.tree.first_level_of(c) or "")["name_zh"] for c in blank})
        notes.append(f"--partial: {missing.height} city statistics are missing, so {', '.join(blank)} and the "
                     f"first-level indicators {', '.join(firsts)} and the total are blank")
    return got.select("city", "year", "indicator", "value"), notes


def score_values(values: pl.DataFrame, tree: Tree, cities: pl.DataFrame, *, year: int, base_year: int,
                 scaling: str = DEFAULT_SCALING) -> pl.DataFrame:
    """Score the tertiary raw values (city, year, indicator, value) along the tree, cities and regions,
    with growth and ranks (sql/idx_tertiary_scores.sql ... idx_scores.sql); columns COLUMNS + EXTRA."""
    if scaling not in SCALINGS:
        raise InputError(f"unknown scaling '{scaling}'; valid: {', '.join(SCALINGS)}")
    negative = values.filter(pl.col("value") < 0)
    if not negative.is_empty():
        row = negative.row(0, named=True)
        raise InputError(f"negative value {row['value']:g} for {row['city']} {row['year']} {row['indicator']}")
    con = duckdb.connect()
    try:
        con.register("ff_index_values", values)
        con.register("ff_index_tree", tree.frame)
        con.register("ff_index_cities", cities.select("city", "region"))
        scored = run_on(con, "idx_scores", {"year": year, "base_year": base_year, "scaling": scaling})
    finally:
        con.close()
    return _labelled(scored, tree)


def score_given(scores: pl.DataFrame, tree: Tree, cities: pl.DataFrame, *, year: int,
                base_year: int) -> pl.DataFrame:
    """Aggregate scores given at any level (city, year, indicator, score) up the tree and to regions,
    with growth and ranks: the report's own arithmetic, fed its published scores."""
    con = duckdb.connect()
    try:
        con.register("idx_tertiary_scores", scores.with_columns(pl.lit(None, pl.Float64).alias("value")))
        con.register("ff_index_tree", tree.frame)
        con.register("ff_index_cities", cities.select("city", "region"))
        scored = run_on(con, "idx_scores", {"year": year, "base_year": base_year, "scaling": "linear"},
                        given=("idx_tertiary_scores",))
    finally:
        con.close()
    return _labelled(scored, tree)


def _labelled(scored: pl.DataFrame, tree: Tree) -> pl.DataFrame:
    """Names, the first-level ancestor's name, and the order people read: level, tree order, rank."""
    names = tree.frame.select(
        pl.col("code").alias("indicator"), "name_zh", "name_en", "position",
        pl.Series("first_code", [tree.first_level_of(c) for c in tree.frame["code"]], dtype=pl.Utf8))
    first_names = tree.frame.select(pl.col("code").alias("first_code"), pl.col("name_zh").alias("first_level"))
    level_order = pl.DataFrame({"level": list(LEVELS), "level_order": list(range(len(LEVELS)))})
    return (
        scored.join(names, on="indicator", how="left").join(first_names, on="first_code", how="left")
        .join(level_order, on="level", how="left")
        .with_columns(pl.col(c).cast(pl.Int64) for c in ("year", "base_year", "rank", "base_rank", "rank_change",
                                                         "best_city_rank"))
        .sort(["entity_kind", "level_order", "position", "rank", "entity"], nulls_last=True)
        .select(*COLUMNS, *EXTRA)
    )


def select(result: IndexResult, *, level: str = "total", by: str = "city",
           indicator: str | None = None) -> pl.DataFrame:
    """The rows of one entity kind, and of one level or one indicator."""
    check_selection(level, by)
    frame = result.frame.filter(pl.col("entity_kind") == by)
    if indicator is not None:
        result.tree.row(indicator)  # an unknown code is an error naming the valid ones
        return frame.filter(pl.col("indicator") == indicator)
    return frame if level == "all" else frame.filter(pl.col("level") == level)


def check_selection(level: str, by: str) -> None:
    """Checked before the index is computed, so that a typo costs nothing."""
    if by not in BY:
        raise InputError(f"unknown --by '{by}'; valid: {', '.join(BY)}")
    if level not in LEVEL_CHOICES:
        raise InputError(f"unknown --level '{level}'; valid: {', '.join(LEVEL_CHOICES)}")
