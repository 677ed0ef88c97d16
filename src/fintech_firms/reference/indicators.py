"""The FIRE index's indicator tree (indicators.csv) and the universities of its cities (universities.csv).

Both ship as package defaults and are replaced by a file of the same name in the raw folder, like
tracks.csv. The tree is checked here, once, for every caller (ingest validates city_stats codes
against it; the index scores along it): a bad tree is one clear error, never a wrong index.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import polars as pl

from ..contract.tables import TABLES
from ..errors import InputError
from ..rules.names import normalize_name
from .tables import aliases_of, load

LEVELS = ("total", "first", "secondary", "tertiary")
SOURCES = ("firms", "city")
# The tertiary indicators that sql/idx_firm_values.sql computes from the engine's tables. A tree may
# leave some out, but a `firms` indicator must be one of these.
FIRM_INDICATORS = (
    "rd_staff", "rd_staff_transfer", "university_patents",
    "fintech_firms", "financing_events", "patents_cumulative", "patents_window",
    "hightech_firms", "c_plus_events", "top_vc_leads", "invention_patents",
)
WEIGHT_TOLERANCE = 1e-6
# The checked tree's columns: those of indicators.csv, then `position` (contract/tables.py declares them).
TREE_SCHEMA = TABLES["index_indicators"].schema


@dataclass(frozen=True)
class Tree:
    """The checked tree: one row per indicator in file order (`position`), weights as floats."""

    frame: pl.DataFrame
    origin: str

    def codes(self, level: str | None = None, source: str | None = None) -> list[str]:
        frame = self.frame
        if level is not None:
            frame = frame.filter(pl.col("level") == level)
        if source is not None:
            frame = frame.filter(pl.col("source") == source)
        return frame["code"].to_list()

    def total(self) -> str:
        return self.codes("total")[0]

    def row(self, code: str) -> dict:
        rows = self.frame.filter(pl.col("code") == code).to_dicts()
        if not rows:
            raise InputError(f"unknown indicator code '{code}'; codes: {', '.join(self.frame['code'])}")
        return rows[0]

    def first_level_of(self, code: str) -> str | None:
        """The first-level ancestor's code (itself for a first-level indicator; None for the total)."""
        parents = dict(zip(self.frame["code"], self.frame["parent"]))
        levels = dict(zip(self.frame["code"], self.frame["level"]))
        while code is not None and levels[code] != "first":
            code = parents[code]
        return code

    def descendants(self, code: str, level: str) -> list[str]:
        out, frontier = [], [code]
        while frontier:
            children = self.frame.filter(pl.col("parent").is_in(frontier))
            out += children.filter(pl.col("level") == level)["code"].to_list()
            frontier = children["code"].to_list()
        return out if self.row(code)["level"] != level else [code]


def load_tree(raw_dir: Path | None) -> Tree:
    table = load("indicators", raw_dir)
    return check_tree(table.frame, "indicators.csv" if table.origin == "default" else table.origin)


def check_tree(frame: pl.DataFrame, source: str) -> Tree:
    """The tree's rules: one total; codes unique; parents known and one level up; no cycle;
    weights >= 0 that sum to 1 within each parent; sources `firms` (a known code) or `city` on the
    tertiary indicators; every indicator above the tertiary has children."""
    rows = frame.select(list(TREE_SCHEMA)[:-1]).with_columns(pl.all().str.strip_chars()).to_dicts()
    if not rows:
        raise InputError(f"{source}: the indicator tree is empty")
    codes: dict[str, dict] = {}
    for i, row in enumerate(rows, start=1):
        code = row["code"] or ""
        if not code:
            raise InputError(f"{source}: row {i}: blank code")
        if code in codes:
            raise InputError(f"{source}: row {i}: code '{code}' appears twice")
        if row["level"] not in LEVELS:
            raise InputError(f"{source}: row {i} ({code}): level '{row['level']}'; valid: {', '.join(LEVELS)}")
        row["weight"] = _weight(row["weight"], source, i, code)
        codes[code] = row
    for i, row in enumerate(rows, start=1):
        parent = row["parent"]
        if parent and parent not in codes:
            raise InputError(f"{source}: row {i} ({row['code']}): unknown parent code '{parent}'")
    for code in codes:  # a cycle before the level check, so that the message names it
        seen = [code]
        parent = codes[code]["parent"]
        while parent:
            if parent in seen:
                raise InputError(f"{source}: the tree has a cycle: {' -> '.join(seen + [parent])}")
            seen.append(parent)
            parent = codes[parent]["parent"]
    totals = [c for c, r in codes.items() if r["level"] == "total"]
    if len(totals) != 1:
        raise InputError(f"{source}: the tree needs exactly one indicator of level 'total' (found {len(totals)})")
    children: dict[str, list[str]] = {c: [] for c in codes}
    for i, row in enumerate(rows, start=1):
        code, level, parent = row["code"], row["level"], row["parent"]
        if level == "total":
            if parent:
                raise InputError(f"{source}: row {i} ({code}): the total has no parent")
            continue
        want = LEVELS[LEVELS.index(level) - 1]
        if not parent or codes[parent]["level"] != want:
            raise InputError(f"{source}: row {i} ({code}): a {level} indicator's parent must be a {want} one")
        children[parent].append(code)
        if level == "tertiary":
            if row["source"] not in SOURCES:
                raise InputError(f"{source}: row {i} ({code}): source '{row['source'] or ''}'; valid: firms, city")
            if row["source"] == "firms" and code not in FIRM_INDICATORS:
                raise InputError(f"{source}: row {i}: unknown firm-derived indicator code '{code}'; "
                                 f"valid: {', '.join(FIRM_INDICATORS)}")
        elif row["source"]:
            raise InputError(f"{source}: row {i} ({code}): only tertiary indicators have a source")
    for code, kids in children.items():
        if codes[code]["level"] != "tertiary" and not kids:
            raise InputError(f"{source}: indicator '{code}' has no children")
        if kids:
            total = sum(codes[k]["weight"] for k in kids)
            if abs(total - 1) > WEIGHT_TOLERANCE:
                listed = ", ".join(f"{k} {float(codes[k]['weight']):g}" for k in kids)
                raise InputError(f"{source}: the weights under '{code}' sum to {float(total):g}, not 1 ({listed})")
    out = pl.DataFrame(
        [{**r, "weight": float(r["weight"]), "source": r["source"] or None, "parent": r["parent"] or None,
          "position": i} for i, r in enumerate(rows)],
        schema=TREE_SCHEMA,
    )
    return Tree(out, source)


def _weight(cell: str | None, source: str, row: int, code: str) -> Fraction:
    """A weight written as a decimal (0.15) or a fraction (1/3), so that thirds sum to exactly 1."""
    try:
        value = Fraction((cell or "").replace(" ", ""))
    except (ValueError, ZeroDivisionError):
        raise InputError(f"{source}: row {row} ({code}): weight '{cell or ''}' is not a number") from None
    if value < 0:
        raise InputError(f"{source}: row {row} ({code}): negative weight {cell}")
    return value


UNIVERSITY_SCHEMA = TABLES["index_universities"].schema


def load_universities(raw_dir: Path | None) -> pl.DataFrame:
    """universities.csv as it was written (name, aliases, city)."""
    table = load("universities", raw_dir)
    frame = table.frame
    if "aliases" not in frame.columns:
        frame = frame.with_columns(pl.lit(None, pl.Utf8).alias("aliases"))
    return frame.select("name", "aliases", "city")


def university_keys(universities: pl.DataFrame, city_of) -> pl.DataFrame:
    """One row per normalised name or alias (the key patent_applicants.applicant_key is matched on),
    with the university and its canonical city (`city_of(written)`: the regions table's name).

    A key that two universities of different cities share is an error: it could not be placed."""
    seen: dict[str, tuple[str, str]] = {}
    rows = []
    for i, (name, aliases, city) in enumerate(universities.select("name", "aliases", "city").iter_rows(), 1):
        if not normalize_name(name or "") or not (city or "").strip():
            raise InputError(f"universities.csv: row {i}: a university needs a name and a city")
        place = city_of(city)
        for written in [name, *aliases_of(aliases)]:
            key = normalize_name(written)
            if key in seen:
                if seen[key][1] != place:
                    raise InputError(f"universities.csv: row {i}: '{written}' also names {seen[key][0]} "
                                     f"in {seen[key][1]}")
                continue
            seen[key] = (name, place)
            rows.append((key, name, place))
    return pl.DataFrame(rows, schema=UNIVERSITY_SCHEMA, orient="row")


# What `firms ingest` stores for the index when the raw folder holds city_stats.csv, indicators.csv or
# universities.csv (a folder without any of them ingests as before): the city statistics and the
# reference tables the index then reads, so that the index of a data folder uses the tables it was
# ingested with. Without them the index uses the packaged defaults.
CITY_STATS = "city_stats"
INDEX_TREE = "index_indicators"
INDEX_UNIVERSITIES = "index_universities"
INDEX_CITIES = "index_cities"
CITY_STATS_SCHEMA = TABLES[CITY_STATS].schema
CITIES_SCHEMA = TABLES[INDEX_CITIES].schema


def index_cities(regions: pl.DataFrame, city_of) -> pl.DataFrame:
    """The indexed cities: those of the regions table, by their canonical names, in table order."""
    rows = [(city_of(c), p, r) for c, p, r in regions.select("city", "province", "region").iter_rows()]
    return pl.DataFrame(rows, schema=CITIES_SCHEMA, orient="row").unique("city", keep="first", maintain_order=True)
