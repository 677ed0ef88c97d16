"""The SQL models in `sql/`: which exist, what each reads, and the parameters each binds.

Python never writes SQL from user text: a model is chosen from this fixed list, and the values it needs
are bound as named parameters (`$as_of`, ...).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from importlib import resources

_PARAMETER = re.compile(r"\$([a-z_]+)\b")


@dataclass(frozen=True)
class Model:
    name: str
    sql: str
    depends_on: tuple[str, ...]

    @property
    def parameters(self) -> tuple[str, ...]:
        """Named parameters in order of first use; DuckDB refuses values for parameters a query lacks."""
        seen: dict[str, None] = {}
        for name in _PARAMETER.findall(without_comments(self.sql)):
            seen.setdefault(name)
        return tuple(seen)


# The models other models read are materialised first, as temporary tables of the same name.
DEPENDENCIES: dict[str, tuple[str, ...]] = {
    "snapshot_year": (),
    "fct_firm_patents": (),
    "fct_firm_applications": (),
    "fct_firm_patent_years": ("fct_firm_applications",),
    "fct_shared_patents": ("fct_firm_applications",),
    "fct_firm_financing": (),
    "dim_firm_universe": ("fct_firm_patent_years", "fct_firm_financing"),
    "dim_firm_tech": (),
    "group_metrics": ("dim_firm_universe", "dim_firm_tech", "fct_shared_patents"),
    # The FIRE index (src/fintech_firms/index/, docs/index.md).
    "idx_firm_counts": ("dim_firm_universe",),
    "idx_firm_patents": ("dim_firm_universe", "fct_firm_patent_years", "fct_shared_patents"),
    "idx_university_patents": (),
    "idx_firm_values": ("idx_firm_counts", "idx_firm_patents", "idx_university_patents"),
    "idx_tertiary_scores": (),
    "idx_node_scores": ("idx_tertiary_scores",),
    "idx_entity_scores": ("idx_node_scores",),
    "idx_scores": ("idx_entity_scores",),
}

# Models without parameters that only read the ingested tables: `firms ingest` stores them in the data
# folder as NAME.parquet, so that a query sums them instead of joining every application to its
# applicants. A folder written before they existed still works: they are then computed per connection.
STORED: tuple[str, ...] = ("fct_firm_patent_years", "fct_shared_patents")
# The columns they read: ingest hands DuckDB only these, not the whole in-memory tables.
STORED_READS: dict[str, tuple[str, ...]] = {
    "patents": ("patent_id", "app_no", "app_year", "patent_type"),
    "patent_applicants": ("patent_id", "firm_id"),
}


@cache
def model(name: str) -> Model:
    if name not in DEPENDENCIES:
        raise KeyError(f"no SQL model named {name!r}; models: {', '.join(DEPENDENCIES)}")
    sql = resources.files("fintech_firms.sql").joinpath(f"{name}.sql").read_text(encoding="utf-8")
    return Model(name, sql, DEPENDENCIES[name])


def without_comments(sql: str) -> str:
    """The text without `--` line comments (a `--` inside a string literal also ends the line)."""
    return "\n".join(line.split("--", 1)[0] for line in sql.splitlines())
