"""The SQL models in `sql/`: which exist, what each reads, and the parameters each binds.

Everything here is derived from the SQL text, the one source of truth: a model is a file `NAME.sql`;
what it reads are the names after its FROM and JOIN that are not its own CTEs (dbt's `ref()` without
the macro: the names are plain, so the files stay runnable as they are); its dependencies are the
models among those; its parameters are the `$names` it uses. Python never writes SQL from user text:
a model is chosen from this fixed list, and the values it needs are bound as named parameters.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from importlib import resources

_PARAMETER = re.compile(r"\$([a-z_]+)\b")
# A relation after FROM or JOIN: not a column in `is [not] distinct from x.col` or `extract(y from col)`
# (qualified, or inside parentheses that the models never use for a table).
_RELATION = re.compile(r"(?<!distinct )\b(?:from|join)\s+([a-z_][a-z0-9_]*)\b(?!\s*[.(])", re.IGNORECASE)
_CTE = re.compile(r"(?:\bwith|,)\s*([a-z_][a-z0-9_]*)\s+as\s*\(", re.IGNORECASE)
_STRING = re.compile(r"'(?:[^']|'')*'")
# The header line `-- One row: …`, and its continuation lines, indented by three spaces after `--`.
_ONE_ROW = re.compile(r"^-- One row: (.*(?:\n--   .*)*)", re.MULTILINE)

# Models without parameters that only read the ingested tables: `firms ingest` stores them in the data
# folder as NAME.parquet, so that a query sums them instead of joining every application to its
# applicants. A folder written before they existed still works: they are then computed per connection.
STORED: tuple[str, ...] = ("fct_firm_patent_years", "fct_shared_patents")
# The columns they read: ingest has DuckDB read only these from the tables' Parquet files.
STORED_READS: dict[str, tuple[str, ...]] = {
    "patents": ("patent_id", "app_no", "app_year", "patent_type"),
    "patent_applicants": ("patent_id", "firm_id"),
}


@dataclass(frozen=True)
class Model:
    name: str
    sql: str

    @property
    def reads(self) -> tuple[str, ...]:
        """The tables and models it reads, in order of first mention."""
        code = _STRING.sub("''", without_comments(self.sql))
        ctes = {name.lower() for name in _CTE.findall(code)}
        found = (name.lower() for name in _RELATION.findall(code))
        return tuple(dict.fromkeys(name for name in found if name not in ctes))

    @property
    def depends_on(self) -> tuple[str, ...]:
        """The models it reads: each is run (or found stored) before it."""
        return tuple(name for name in self.reads if name in names())

    @property
    def ctes(self) -> tuple[str, ...]:
        return tuple(name.lower() for name in _CTE.findall(without_comments(self.sql)))

    @property
    def parameters(self) -> tuple[str, ...]:
        """Named parameters in order of first use; DuckDB refuses values for parameters a query lacks."""
        seen: dict[str, None] = {}
        for name in _PARAMETER.findall(without_comments(self.sql)):
            seen.setdefault(name)
        return tuple(seen)

    @property
    def one_row(self) -> str:
        """What one row of the result is, from the header's `-- One row:` line (for the docs' tables)."""
        found = _ONE_ROW.search(self.sql)
        if found is None:
            return ""
        return " ".join(line.removeprefix("--").strip() for line in found.group(1).splitlines())


@cache
def names() -> tuple[str, ...]:
    """Every model: the `.sql` files of the package `fintech_firms.sql` (the folder sql/)."""
    folder = resources.files("fintech_firms.sql")
    return tuple(sorted(entry.name[:-4] for entry in folder.iterdir() if entry.name.endswith(".sql")))


@cache
def model(name: str) -> Model:
    if name not in names():
        raise KeyError(f"no SQL model named {name!r}; models: {', '.join(names())}")
    sql = resources.files("fintech_firms.sql").joinpath(f"{name}.sql").read_text(encoding="utf-8")
    return Model(name, sql)


def in_run_order() -> list[str]:
    """Every model after the models it reads (a cycle is an error: it could never run)."""
    order: list[str] = []
    visiting: list[str] = []

    def visit(name: str) -> None:
        if name in order:
            return
        if name in visiting:
            raise ValueError(f"SQL models read each other in a cycle: {' -> '.join([*visiting, name])}")
        visiting.append(name)
        for dependency in model(name).depends_on:
            visit(dependency)
        visiting.pop()
        order.append(name)

    for name in names():
        visit(name)
    return order


def without_comments(sql: str) -> str:
    """The text without `--` line comments (a `--` inside a string literal also ends the line)."""
    return "\n".join(line.split("--", 1)[0] for line in sql.splitlines())
