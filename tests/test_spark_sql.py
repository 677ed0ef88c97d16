"""Every model of sql/ stays portable to Spark SQL (sql/README.md, "On Spark"): it uses only functions
that Spark SQL has under the same name and meaning, sqlglot transpiles it from DuckDB's dialect with no
unsupported construct, and Spark's parser reads the result back."""

from __future__ import annotations

from pathlib import Path

import pytest

sqlglot = pytest.importorskip("sqlglot")
from sqlglot import exp  # noqa: E402
from sqlglot.errors import ErrorLevel  # noqa: E402

SQL = Path(__file__).resolve().parents[1] / "sql"
MODELS = sorted(SQL.glob("*.sql"))
# sqlglot's names for the functions and operators the models may use: standard SQL, or functions
# that Spark SQL and DuckDB both have with the same arguments (concat_ws, grouping, ln, pow, round).
PORTABLE = {
    "Abs", "And", "Avg", "Case", "Cast", "Coalesce", "ConcatWs", "Count", "Exists", "Grouping", "If", "Ln",
    "Max", "Min", "Nullif", "Or", "Pow", "Rank", "Round", "RowNumber", "Sum",
}


def functions_used(sql: str) -> set[str]:
    tree = sqlglot.parse_one(sql, read="duckdb")
    return {f.name if isinstance(f, exp.Anonymous) else type(f).__name__ for f in tree.find_all(exp.Func)}


def test_every_model_is_checked():
    assert {p.stem for p in MODELS} >= {"group_metrics", "group_metrics_sets", "dim_firm_universe", "idx_scores"}


@pytest.mark.parametrize("path", MODELS, ids=lambda p: p.stem)
def test_model_uses_portable_functions_only(path: Path):
    assert functions_used(path.read_text(encoding="utf-8")) - PORTABLE == set()


@pytest.mark.parametrize("path", MODELS, ids=lambda p: p.stem)
def test_model_transpiles_to_spark(path: Path):
    spark = sqlglot.transpile(path.read_text(encoding="utf-8"), read="duckdb", write="spark",
                              unsupported_level=ErrorLevel.RAISE, error_level=ErrorLevel.RAISE)
    assert len(spark) == 1
    assert sqlglot.parse_one(spark[0], read="spark").find(exp.Select) is not None


@pytest.mark.parametrize("sql, found", [
    ("select list_sort(x) from t", {"ArraySort"}),
    ("select x from t where regexp_matches(x, 'a')", {"RegexpLike"}),
    ("select my_macro(x) from t", {"my_macro"}),
])
def test_a_function_outside_the_list_is_found(sql: str, found: set[str]):
    assert functions_used(sql) - PORTABLE == found
