"""Financing rows → distinct events with their round, C-and-later and top-tier flags (contract §2)."""

from __future__ import annotations

from collections.abc import Iterable

import polars as pl

from ..rules.names import normalize_names, split_lists
from ..rules.rounds import is_c_plus, normalize_round
from ..rules.values import parse_dates
from ..tabular.reader import RawTable
from .columns import first_of_pairs
from .investors import InvestorMatcher
from .ledger import Ledger
from .linking import Linker
from .stage import Rule, Stage, run_stage


def _stage(max_year: int) -> Stage:
    return Stage(
        optional=("firm_name", "uscc", "amount", "lead_investors", "investors"),
        rules=(
            Rule("date", {"date_value": pl.Date, "year": pl.Int64, "date_error": pl.Utf8},
                 distinct=lambda values: parse_dates(values, max_year=max_year).rename(
                     {"date": "date_value", "error": "date_error"})),
            Rule("round", {"round_norm": pl.Utf8}, scalar=lambda v: (normalize_round(v),)),
        ),
        reason=(
            pl.when(pl.col("firm_name").is_null() & pl.col("uscc").is_null())
            .then(pl.lit("missing firm name and USCC"))
            .when(pl.col("date").is_null()).then(pl.lit("missing date"))
            .when(pl.col("date_error").is_not_null()).then(pl.col("date_error"))
            .when(pl.col("round").is_null()).then(pl.lit("missing round"))
        ),
        name="firm_name",
        derived=(
            pl.coalesce(pl.col("date_value").cast(pl.Utf8), pl.col("year").cast(pl.Utf8)).alias("when"),),
        keys=("who", "when", "round_norm"),
        first=("firm_id", "firm_name", "uscc_key", "date_value", "year", "round", "amount",
               "link_method", "link_score", "unlinked"),
        lists=("lead_investors", "investors"),
    )


def build_financing(
    chunks: RawTable | Iterable[RawTable], ledger: Ledger, linker: Linker, investors: InvestorMatcher, max_year: int
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The deduplicated table, and the input rows left unlinked (for the report). `chunks`: the file
    whole or as its chunks (tabular.reader.read_chunks; stage.run_stage)."""
    staged = run_stage(chunks, ledger, linker, _stage(max_year))
    events = staged.events

    lead_names = _names(events, "lead_investors")
    written = lead_names["item"].unique().sort()
    top = investors.match_all(written.to_list())
    # Two spellings of leads may be one top-tier firm: each event names it once.
    top_vc = _name_lists(_first_by_name(
        lead_names.join(pl.DataFrame({"item": written, "_vc": [top[n] for n in written.to_list()]},
                                schema={"item": pl.Utf8, "_vc": pl.Utf8}), on="item", how="left",
                   maintain_order="left")
        .filter(pl.col("_vc").is_not_null()).select("_e", pl.col("_vc").alias("item"))),
        events.height)
    leads = _name_lists(lead_names, events.height)
    backers = _name_lists(_names(events, "investors"), events.height)
    rounds = events["round_norm"].unique().drop_nulls()
    c_plus = dict(zip(rounds.to_list(), [is_c_plus(r) for r in rounds.to_list()]))
    deduplicated = events.select(
        "firm_id", "firm_name",
        pl.col("uscc_key").alias("uscc"),
        pl.col("date_value").alias("date"),
        "year",
        pl.col("round_norm").alias("round"),
        pl.col("round").alias("round_written"),
        pl.col("round_norm").replace_strict(c_plus, default=None, return_dtype=pl.Boolean).alias("is_c_plus"),
        (top_vc.list.len() > 0).alias("is_top_vc_led"),
        top_vc.alias("top_vc"),
        leads.alias("lead_investors"),
        backers.alias("investors"),
        "amount", "link_method", "link_score", "unlinked", "records", "source_row",
    )
    return deduplicated, staged.unlinked


def _names(events: pl.DataFrame, column: str) -> pl.DataFrame:
    """(_e, item): each event's names in `column` (its list of cells), as split_list splits each cell,
    in order, each once by normalised name with its first spelling (unique_in_order), as rows.

    Done with polars on the distinct cells: building a list column from Python lists costs seconds at
    300k events. The names are normalised once per distinct cell, not once per event naming them."""
    cells = (
        events.select(pl.int_range(pl.len(), dtype=pl.Int64).alias("_e"), pl.col(column))
        .explode(column).with_row_index("_cell")
    )
    items = split_lists(cells[column].unique().drop_nulls()).rename({"value": column})
    items = items.with_columns(_name_keys(items["item"]))
    return _first_per_event(cells.join(items, on=column, how="inner").sort("_cell", "position"))


def _first_by_name(named: pl.DataFrame) -> pl.DataFrame:
    """(_e, item) rows, each event's items once by normalised name, the first spelling kept (each
    distinct item normalised once)."""
    items = named.get_column("item").unique()
    keys = pl.DataFrame([items, _name_keys(items)])
    return _first_per_event(named.join(keys, on="item", how="left", maintain_order="left"))


def _name_keys(items: pl.Series) -> pl.Series:
    """_key: each item's normalised name as a number (its category's), so that the first of each
    (event, name) is found by hashing integers, several times faster than pairs of an integer and a text."""
    return normalize_names(items).cast(pl.Categorical).to_physical().cast(pl.Int64).alias("_key")


def _first_per_event(named: pl.DataFrame) -> pl.DataFrame:
    """(_e, item) of the rows (_e, item, _key, in order) that are the first of their event with their key."""
    return named.filter(first_of_pairs("_e", "_key", pl.col("_key").max() + 1)).select("_e", "item")


def _name_lists(named: pl.DataFrame, events: int) -> pl.Series:
    """(_e, item) rows (an event's items in order, each once) → one list per event, in order (an event
    without items: an empty list)."""
    lists = named.group_by("_e", maintain_order=True).agg("item")
    return (
        pl.DataFrame({"_e": pl.int_range(events, dtype=pl.Int64, eager=True)})
        .join(lists, on="_e", how="left", maintain_order="left")
        .select(pl.col("item").fill_null(pl.lit([], dtype=pl.List(pl.Utf8))))
        .to_series()
    )
