"""What the data folder says about linking: each distinct written name with its rows and the link
they got, and the firms' names as the linker indexed them."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from ..errors import InputError
from ..rules.fuzzy import ChoiceIndex, FuzzyOptions
from ..rules.names import normalize_names

# The tables whose names are linked, with the column holding the name as written. A row is a
# patent_applicants row (one applicant of one application), a financing event or a certificate.
NAME_COLUMNS = {"patent_applicants": "applicant", "financing": "firm_name", "hightech": "name"}
TABLE_LABELS = {"patent_applicants": "patents"}
# The methods in the order a name's rows decide its outcome on a tie (see names_outcome).
METHOD_ORDER = ("manual", "uscc", "exact", "former_name", "fuzzy")
REPORT = "ingest_report.json"


@dataclass
class LinkData:
    firms: pl.DataFrame  # firm_id, name, uscc, name_key
    names: dict[str, set[int]]  # normalised name → firms carrying it (as the linker's index)
    former: dict[str, set[int]]  # normalised former name → firms
    rows: pl.DataFrame  # a linked-table row with a name: table, example, name, name_key, firm_id, outcome, score
    fuzzy: FuzzyOptions  # the settings the ingest used

    def choice_index(self) -> ChoiceIndex:
        """The fuzzy step's candidates: every name and former name, keyed by its firm."""
        choices: list[str] = []
        keys: list[int] = []
        for index in (self.names, self.former):
            for name in sorted(index):
                for firm_id in sorted(index[name]):
                    choices.append(name)
                    keys.append(firm_id)
        return ChoiceIndex(choices, keys)

    def is_exact(self, key: str) -> bool:
        return key in self.names or key in self.former


def load(data: Path) -> LinkData:
    data = Path(data)
    tables = {name: _read(data, name) for name in ("firms", *NAME_COLUMNS)}
    firms = tables["firms"]
    firm_names = firms.select("firm_id", pl.col("names").alias("n")).explode("n")
    former = firms.select("firm_id", pl.col("former_names").alias("n")).explode("n")
    rows = pl.concat([_named_rows(tables[table], table, column) for table, column in NAME_COLUMNS.items()])
    return LinkData(
        firms=firms.select("firm_id", "name", "uscc").with_columns(
            normalize_names(firms["name"]).alias("name_key")),
        names=_by_key(firm_names),
        former=_by_key(former),
        rows=rows,
        fuzzy=_settings(data),
    )


def _named_rows(frame: pl.DataFrame, table: str, column: str) -> pl.DataFrame:
    frame = frame.filter(pl.col(column).is_not_null())
    if "applicant_key" in frame.columns:  # patent_applicants keeps the key the linker used
        keyed = frame.rename({"applicant_key": "name_key"})
    else:  # few distinct names: each is normalised once
        distinct = frame[column].unique(maintain_order=True)
        keys = pl.DataFrame({column: distinct, "name_key": normalize_names(distinct)})
        keyed = frame.join(keys, on=column, how="left", maintain_order="left")
    label = TABLE_LABELS.get(table, table)
    # Where a person finds the row: the application number, or the input row of the event.
    where = (pl.format("{} {}", pl.lit(label), "app_no") if "app_no" in keyed.columns
             else pl.format("{} row {}", pl.lit(label), "source_row"))
    return keyed.select(
        pl.lit(label).alias("table"),
        where.alias("example"),
        pl.col(column).alias("name"),
        "name_key",
        "firm_id",
        pl.coalesce("link_method", "unlinked").alias("outcome"),
        pl.col("link_score").alias("score"),
    )


def names_outcome(rows: pl.DataFrame) -> pl.DataFrame:
    """One row per normalised name: the name as first written, its rows in all and per table, and
    its outcome: the (firm, method or unlinked reason) most of its rows got; on a tie the earlier
    method of METHOD_ORDER, then any link before none, then the lower firm_id. A name's rows differ
    only where some carry a USCC (financing, certificates) or links.csv names the name."""
    rank = pl.col("outcome").replace_strict(
        {m: i for i, m in enumerate(METHOD_ORDER)}, default=len(METHOD_ORDER), return_dtype=pl.Int64)
    # One pass over the rows (a million at the report's size); the rest works on its few groups.
    groups = rows.group_by("name_key", "table", "firm_id", "outcome", maintain_order=True).agg(
        pl.len().alias("n"), pl.col("score").max(), pl.col("name").first(), pl.col("example").first())
    per_table = (
        groups.group_by("name_key", "table").agg(pl.col("n").sum()).sort("table")
        .group_by("name_key").agg(pl.format("{} {}", "table", "n").str.join("; ").alias("tables"),
                                  pl.col("n").sum().alias("rows"))
    )
    written = groups.group_by("name_key", maintain_order=True).agg(pl.col("name", "example").first())
    decided = (
        groups.group_by("name_key", "firm_id", "outcome")
        .agg(pl.col("n").sum(), pl.col("score").max())
        .with_columns(rank.alias("_rank"))
        .sort(["name_key", "n", "_rank", "firm_id"], descending=[False, True, False, False],
              nulls_last=True)
        .group_by("name_key", maintain_order=True).first()
        .drop("n", "_rank")
    )
    return (
        written.join(per_table, on="name_key").join(decided, on="name_key")
        .select("name_key", "name", "rows", "tables", "example", "firm_id", "outcome", "score")
    )


def _read(data: Path, name: str) -> pl.DataFrame:
    path = data / f"{name}.parquet"
    if not path.is_file():
        raise InputError(f"{data}: no {name}.parquet (run `firms ingest` first, or give --data)")
    try:
        return pl.read_parquet(path)
    except (OSError, pl.exceptions.PolarsError) as exc:
        raise InputError(f"{path}: cannot be read ({exc})") from None


def _by_key(pairs: pl.DataFrame) -> dict[str, set[int]]:
    pairs = pairs.filter(pl.col("n").is_not_null())
    out: dict[str, set[int]] = {}
    for key, firm_id in zip(normalize_names(pairs["n"]).to_list(), pairs["firm_id"].to_list()):
        out.setdefault(key, set()).add(firm_id)
    return out


def _settings(data: Path) -> FuzzyOptions:
    """The fuzzy threshold and margin of the ingest that wrote `data` (the defaults when unknown)."""
    try:
        options = json.loads((data / REPORT).read_text(encoding="utf-8"))["options"]
        return FuzzyOptions(float(options["fuzzy_threshold"]), float(options["fuzzy_margin"]))
    except (OSError, ValueError, KeyError, TypeError):
        return FuzzyOptions()
