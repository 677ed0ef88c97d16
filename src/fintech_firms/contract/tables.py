"""Every table `firms ingest` writes, declared once: its columns in order, each column's type, whether it
may hold nulls and what it means, the table's grain (the columns unique together) and the order of its
rows.

`ingest/writer.py` checks each frame against its table here before writing it, so a column that changes
type or moves is an internal error naming it, never a silent change in the files users read; the tables
of docs/data-contract.md §4 are generated from here (`python -m fintech_firms.contract.doc`).

Meanings are one line of Markdown, with links relative to docs/ (where the generated tables live).
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

STRING, INT, FLOAT, BOOL, DATE = pl.String(), pl.Int64(), pl.Float64(), pl.Boolean(), pl.Date()
STRINGS = pl.List(pl.String())
# How the docs name each type: its Parquet/Arrow name, as users reading the files with other tools see it.
TYPE_NAMES: dict[pl.DataType, str] = {
    STRING: "string", INT: "int64", FLOAT: "float64", BOOL: "bool", DATE: "date", STRINGS: "list<string>",
}


@dataclass(frozen=True)
class Column:
    name: str
    dtype: pl.DataType
    meaning: str
    nullable: bool = True  # False: the writer refuses a null (declared only where the code guarantees it)
    contract_note: str = ""  # the words the contract's table of §4 adds after the name, if any


@dataclass(frozen=True)
class Table:
    name: str
    row: str  # what one row is, e.g. "one row per merged firm"
    columns: tuple[Column, ...]
    key: tuple[str, ...]  # the grain: these columns are unique together
    sorted_by: tuple[str, ...] = ()  # the rows are sorted on these columns (nulls last)
    order: str = ""  # the order in words, where that says it better (or the rows are not sorted on columns)
    group: str = "extra"  # "contract" (named by contract §4), "extra", "stored" (a model of sql/), "index"
    contract_row: str = ""  # the contract's words for one row (contract tables)
    contract_columns: tuple[str, ...] = ()  # the columns the contract's table names, in its order
    note: str = ""

    @property
    def schema(self) -> pl.Schema:
        return pl.Schema({c.name: c.dtype for c in self.columns})

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(f"{self.name} has no column {name}")

    def empty(self) -> pl.DataFrame:
        return pl.DataFrame(schema=self.schema)


class SchemaMismatch(RuntimeError):
    """A frame about to be written differs from its declared table: a bug of the engine, not of the input."""


def check(name: str, frame: pl.DataFrame) -> None:
    """Raise SchemaMismatch unless `frame` has exactly table `name`'s columns, in order, with their
    types, and no null in a column declared never null."""
    table = TABLES.get(name)
    if table is None:
        raise SchemaMismatch(f"internal error: table {name} is not declared in fintech_firms.contract.tables "
                             f"(declared: {', '.join(TABLES)})")
    found = frame.schema
    for position, column in enumerate(table.columns):
        if column.name not in found:
            raise SchemaMismatch(f"internal error: table {name}: column {column.name} ({column.dtype}) is missing")
        if found[column.name] != column.dtype:
            raise SchemaMismatch(f"internal error: table {name}, column {column.name}: expected {column.dtype}, "
                                 f"found {found[column.name]}")
        if frame.columns[position] != column.name:
            raise SchemaMismatch(f"internal error: table {name}: column {column.name} is at position "
                                 f"{frame.columns.index(column.name) + 1}, expected {position + 1} "
                                 f"(after {table.columns[position - 1].name if position else 'nothing'})")
        if not column.nullable and frame.get_column(column.name).null_count():
            raise SchemaMismatch(f"internal error: table {name}, column {column.name}: "
                                 f"{frame.get_column(column.name).null_count()} nulls in a column declared never null")
    extra = [c for c in frame.columns if c not in table.schema]
    if extra:
        raise SchemaMismatch(f"internal error: table {name}: undeclared column {extra[0]} ({found[extra[0]]})")


# Columns several tables share, with the same meaning.
def _records(what: str) -> Column:
    return Column("records", INT, f"input rows merged into this {what}", nullable=False)


SOURCE_ROW = Column("source_row", INT, "its first row", nullable=False)
LINKED_FIRM = Column("firm_id", INT, "the linked firm; null when unlinked")
LINK_METHOD = Column("link_method", STRING, "`uscc`, `exact`, `former_name`, `fuzzy`; null when unlinked")
LINK_SCORE = Column("link_score", FLOAT, "100, or the fuzzy score")
UNLINKED = Column("unlinked", STRING, "null, `ambiguous` or `no match`")
VALID_USCC = Column("uscc", STRING, "valid USCC (normalised); null when blank or invalid")

STORED_NOTE = ("The model `sql/{}.sql`, which ingest runs once over the tables above and stores, so that "
               "`aggregate` need not join every application to its applicants "
               "([metrics.md](metrics.md#how-the-sql-is-organised)); derived, not read from input, so the "
               "report's `tables` and the summary line leave it out.")
INDEX_NOTE = ("Written, as the table the FIRE index then reads instead of its packaged default, when the raw "
              "folder holds `city_stats.csv`, `indicators.csv` or `universities.csv` "
              "([index.md](index.md#city-statistics)).")

TABLES: dict[str, Table] = {t.name: t for t in (
    Table(
        "firms", "one row per merged firm", key=("firm_id",), sorted_by=("firm_id",), group="contract",
        contract_row="a firm after merging",
        contract_columns=("firm_id", "name", "uscc", "city", "province", "region", "rd_staff"),
        columns=(
            Column("firm_id", INT, "1..n, in order of each firm's first record", nullable=False),
            Column("name", STRING, "the first record's name", nullable=False),
            Column("uscc", STRING, "valid USCC; null for firms merged by name"),
            Column("city", STRING, "canonical city (see [City](ingest.md#city-province-and-region-geopy))"),
            Column("province", STRING, "province-level unit"),
            Column("region", STRING, "region, `其他` or `未知`", nullable=False),
            Column("rd_staff", INT, "R&D headcount"),
            Column("tech", STRING, "class key of the primary track, or `unclassified`", nullable=False),
            Column("primary_track", STRING, "the first known track"),
            Column("has_patent_transfer", BOOL, "是否有专利转让许可"),
            Column("founded", DATE, "founding date, when the day is known"),
            Column("founded_year", INT, "founding year"),
            Column("former_names", STRINGS, "former names, united"),
            Column("names", STRINGS, "every distinct name the firm's records carried"),
            Column("source_firm_id", STRING, "the first input `firm_id`"),
            Column("city_written", STRING, "the first non-blank city as written"),
            Column("records", INT, "records merged into the firm", nullable=False),
            Column("source_row", INT, "row of the first record", nullable=False),
        ),
    ),
    Table(
        "firm_tracks", "one row per (firm, written track)", key=("firm_id", "position"),
        sorted_by=("firm_id", "position"), group="contract", contract_row="a firm's track, in order",
        contract_columns=("firm_id", "track", "tech", "position"),
        columns=(
            Column("firm_id", INT, "the firm", nullable=False),
            Column("position", INT, "1-based order among the firm's tracks", nullable=False),
            Column("track_written", STRING, "the track as written (first spelling)", nullable=False),
            Column("track", STRING, "the taxonomy's track; null when unknown"),
            Column("tech", STRING, "its class key; null when unknown"),
            Column("match_method", STRING, "`exact`, `alias`, `fuzzy`; null when unknown"),
            Column("match_score", FLOAT, "100 for exact and alias, the fuzzy score otherwise; null when unknown"),
        ),
    ),
    Table(
        "patents", "one row per distinct application", key=("app_no",), sorted_by=("app_no",),
        group="contract", contract_row="a distinct application",
        contract_columns=("app_no", "patent_type", "app_year"),
        columns=(
            Column("app_no", STRING, "canonical number `digits.check`", nullable=False),
            Column("patent_id", INT, "1..n in `app_no` order: a number for joins (the models join on it; an "
                   "integer joins several times faster than the 13-character `app_no` at ten million rows)",
                   nullable=False),
            Column("patent_type", STRING, "`invention`, `utility`, `design`; null when neither source gives one",
                   contract_note="`invention`/`utility`/`design`"),
            Column("app_year", INT, "application year", nullable=False),
            Column("app_date", DATE, "application date, when known"),
            Column("ipc", STRING, "as written"),
            Column("grant_date", STRING, "as written (not parsed)"),
            Column("legal_status", STRING, "as written"),
            Column("type_source", STRING, "`number` or `patent_type`; null when no type"),
            _records("patent"),
            SOURCE_ROW,
        ),
    ),
    Table(
        "patent_applicants", "one row per (patent, distinct applicant)", key=("patent_id", "position"),
        sorted_by=("app_no", "position"), group="contract", contract_row="an applicant name on a patent",
        contract_columns=("app_no", "applicant", "firm_id", "link_method", "link_score"),
        columns=(
            Column("app_no", STRING, "the patent", nullable=False),
            Column("patent_id", INT, "the patent's `patent_id`", nullable=False),
            Column("position", INT, "1-based order of the applicant on the patent", nullable=False),
            Column("applicant", STRING, "the name as written (first spelling)", nullable=False),
            Column("applicant_key", STRING, "its normalised form", nullable=False),
            Column("firm_id", INT, "the linked firm; null when unlinked", contract_note="null when unlinked"),
            Column("link_method", STRING, "`exact`, `former_name`, `fuzzy` (`uscc` cannot occur: applicants "
                   "carry no USCC)"),
            LINK_SCORE,
            UNLINKED,
        ),
    ),
    Table(
        "financing", "one row per distinct event", key=("source_row",), sorted_by=("source_row",),
        order="in the order of each event's first input row", group="contract", contract_row="a distinct event",
        contract_columns=("firm_id", "date", "round", "is_c_plus", "is_top_vc_led"),
        columns=(
            LINKED_FIRM,
            Column("firm_name", STRING, "as written"),
            VALID_USCC,
            Column("date", DATE, "event date; null when only the year is known"),
            Column("year", INT, "event year", nullable=False),
            Column("round", STRING, "canonical round"),
            Column("round_written", STRING, "as written"),
            Column("is_c_plus", BOOL, "C-and-later round", nullable=False),
            Column("is_top_vc_led", BOOL, "a lead investor is top-tier", nullable=False),
            Column("top_vc", STRINGS, "the top-tier lead investors, by their canonical names"),
            Column("lead_investors", STRINGS, "lead investors, united"),
            Column("investors", STRINGS, "investors, united"),
            Column("amount", STRING, "as written"),
            LINK_METHOD,
            LINK_SCORE,
            UNLINKED,
            _records("event"),
            SOURCE_ROW,
        ),
    ),
    Table(
        "hightech", "one row per distinct certificate", key=("source_row",), sorted_by=("source_row",),
        order="in the order of each certificate's first input row", group="contract",
        contract_row="a certificate", contract_columns=("firm_id", "cert_no", "issue_year"),
        columns=(
            LINKED_FIRM,
            Column("name", STRING, "as written"),
            VALID_USCC,
            Column("cert_no", STRING, "as written"),
            Column("issue_date", DATE, "issue date, when known"),
            Column("issue_year", INT, "issue year", nullable=False),
            Column("valid_until", INT, "last year the certificate is valid: `issue_year` + 2 (valid in its issue "
                   "year and the two years after)", nullable=False),
            LINK_METHOD,
            LINK_SCORE,
            UNLINKED,
            _records("certificate"),
            SOURCE_ROW,
        ),
    ),
    Table(
        "quarantine", "one row per rejected input row", key=("source", "row"),
        sorted_by=("source", "row", "reason"), group="contract", contract_row="a rejected input row",
        contract_columns=("source", "row", "reason", "record"),
        columns=(
            Column("source", STRING, "file name as found (`firms.csv`, `Patents.xlsx`)", nullable=False,
                   contract_note="file name"),
            Column("row", INT, "1-based data row", nullable=False, contract_note="1-based data row"),
            Column("reason", STRING, "see [the reasons](ingest.md#quarantine-reasons)", nullable=False),
            Column("record", STRING, "the row as a JSON object keyed by the headers as written", nullable=False),
        ),
    ),
    Table(
        "cell_issues", "one row per unusable value in a kept row", key=("source", "row", "column"),
        sorted_by=("source", "row", "reason"),
        columns=(
            Column("source", STRING, "file name as found", nullable=False),
            Column("row", INT, "1-based data row", nullable=False),
            Column("column", STRING, "contract column name (`rd_staff`, `founded`, …)", nullable=False),
            Column("value", STRING, "the value as written (trimmed)"),
            Column("reason", STRING, "see [the reasons](ingest.md#cell-issue-reasons)", nullable=False),
        ),
    ),
    Table(
        "fct_firm_patent_years", "one row per (linked firm, application year)", key=("firm_id", "app_year"),
        sorted_by=("firm_id", "app_year", "patents", "invention_patents", "solo_patents",
                   "solo_invention_patents"),
        order="sorted on every column", group="stored", note=STORED_NOTE.format("fct_firm_patent_years"),
        columns=(
            Column("firm_id", INT, "the linked firm", nullable=False),
            Column("app_year", INT, "application year", nullable=False),
            Column("patents", INT, "the firm's distinct applications of that year", nullable=False),
            Column("invention_patents", INT, "of those, inventions", nullable=False),
            Column("solo_patents", INT, "of `patents`, those with no other linked firm among their applicants",
                   nullable=False),
            Column("solo_invention_patents", INT, "of `solo_patents`, inventions", nullable=False),
        ),
    ),
    Table(
        "fct_shared_patents", "one row per (firm, application) for applications that two or more linked firms "
        "share", key=("firm_id", "patent_id"),
        sorted_by=("firm_id", "patent_id", "app_no", "app_year", "is_invention"),
        order="sorted on every column", group="stored", note=STORED_NOTE.format("fct_shared_patents"),
        columns=(
            Column("firm_id", INT, "a linked firm among the application's applicants", nullable=False),
            Column("patent_id", INT, "the patent's `patent_id`", nullable=False),
            Column("app_no", STRING, "the patent's `app_no`", nullable=False),
            Column("app_year", INT, "application year", nullable=False),
            Column("is_invention", BOOL, "the patent is an invention", nullable=False),
        ),
    ),
    Table(
        "city_stats", "one row per (city, year, indicator): a city statistic of the FIRE index",
        key=("city", "year", "indicator"), sorted_by=("city", "year", "indicator"), group="index",
        note="Written when the raw folder holds `city_stats.csv` ([index.md](index.md#city-statistics)).",
        columns=(
            Column("city", STRING, "an indexed city, by the regions table's name", nullable=False),
            Column("year", INT, "the year of the value", nullable=False),
            Column("indicator", STRING, "the code of a `city` indicator of `index_indicators`", nullable=False),
            Column("value", FLOAT, "the value (≥ 0), in the unit supplied", nullable=False),
        ),
    ),
    Table(
        "index_indicators", "one row per indicator of the FIRE index's tree (`indicators.csv`)", key=("code",),
        sorted_by=("position",), group="index", note=INDEX_NOTE,
        columns=(
            Column("code", STRING, "the indicator's code", nullable=False),
            Column("parent", STRING, "its parent's code; null for the total"),
            Column("level", STRING, "`total`, `first`, `secondary` or `tertiary`", nullable=False),
            Column("name_zh", STRING, "its Chinese name"),
            Column("name_en", STRING, "its English name"),
            Column("weight", FLOAT, "its weight within its parent", nullable=False),
            Column("source", STRING, "tertiary only: `firms` (computed from the engine's tables) or `city` "
                   "(from `city_stats`); null above the tertiary"),
            Column("position", INT, "0-based row of the indicator in `indicators.csv`", nullable=False),
        ),
    ),
    Table(
        "index_universities", "one row per normalised name or alias of a university (`universities.csv`)",
        key=("name_key",), order="in the order of `universities.csv`, each name before its aliases",
        group="index", note=INDEX_NOTE,
        columns=(
            Column("name_key", STRING, "the normalised name or alias, matched against "
                   "`patent_applicants.applicant_key`", nullable=False),
            Column("university", STRING, "the university's name as written", nullable=False),
            Column("city", STRING, "its city, by the regions table's name"),
        ),
    ),
    Table(
        "index_cities", "one row per indexed city (a city of the regions table)", key=("city",),
        order="in the order of the regions table", group="index", note=INDEX_NOTE,
        columns=(
            Column("city", STRING, "the city, by its canonical name"),
            Column("province", STRING, "its province"),
            Column("region", STRING, "its region"),
        ),
    ),
)}

CONTRACT_TABLES = tuple(name for name, t in TABLES.items() if t.group == "contract")
