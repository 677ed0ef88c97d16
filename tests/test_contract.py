"""The output tables are declared once (fintech_firms.contract.tables): the writer refuses a frame that
differs from its declaration, and what ingest writes has the declared columns, types, grain and order."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pyarrow.parquet as pq
import pytest
from index_data import write_raw
from test_writer import filled

from fintech_firms.contract.tables import CONTRACT_TABLES, TABLES, TYPE_NAMES, SchemaMismatch, check
from fintech_firms.ingest.pipeline import IngestOptions, ingest
from fintech_firms.ingest.progress import Quiet
from fintech_firms.ingest.writer import REPORT_NAME, write_output

GOLDEN = Path(__file__).parent / "golden"
# The Arrow type of each type name the docs use (data-contract.md §4: "Types are Parquet/Arrow types").
ARROW = {"string": "large_string", "int64": "int64", "float64": "double", "bool": "bool", "date": "date32[day]",
         "list<string>": "large_list<element: large_string>"}


@pytest.mark.parametrize("name", list(TABLES))
def test_each_declared_table_passes_its_own_check(name):
    check(name, TABLES[name].empty())
    check(name, filled(name, 3))


def test_every_declared_column_has_a_type_name_and_a_meaning():
    for table in TABLES.values():
        assert len(set(table.names)) == len(table.names), table.name
        assert set(table.key) <= set(table.names) and table.key, table.name
        assert set(table.sorted_by) <= set(table.names), table.name
        assert table.sorted_by or table.order, f"{table.name}: say how its rows are ordered"
        assert set(table.contract_columns) <= set(table.names), table.name
        for column in table.columns:
            assert column.dtype in TYPE_NAMES, (table.name, column.name)
            assert column.meaning.strip() and "\n" not in column.meaning, (table.name, column.name)
            assert "|" not in column.meaning, (table.name, column.name)  # it is a Markdown table cell
    # data contract §4: the seven tables and the columns it names, in its order
    assert CONTRACT_TABLES == ("firms", "firm_tracks", "patents", "patent_applicants", "financing", "hightech",
                               "quarantine")
    assert TABLES["firm_tracks"].contract_columns == ("firm_id", "track", "tech", "position")


def test_a_column_of_another_type_is_an_internal_error_naming_it(tmp_path):
    out = tmp_path / "parquet"
    write_output(out, {"firms": filled("firms", 2)}, {"run": 1})
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    wrong = filled("firms", 2).with_columns(pl.col("rd_staff").cast(pl.Float64))
    with pytest.raises(SchemaMismatch) as caught:
        write_output(out, {"firms": filled("firms", 2), "patents": filled("patents", 1)} | {"firms": wrong},
                     {"run": 2})
    assert str(caught.value) == "internal error: table firms, column rd_staff: expected Int64, found Float64"
    # nothing written: the previous output stays, no staging folder is left
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["parquet"]


def test_a_list_of_another_type_is_an_internal_error():
    wrong = filled("financing", 1).with_columns(pl.col("top_vc").cast(pl.List(pl.Categorical)))
    with pytest.raises(SchemaMismatch, match=r"^internal error: table financing, column top_vc: "
                                             r"expected List\(String\), found List\(Categorical"):
        check("financing", wrong)


@pytest.mark.parametrize(("change", "message"), [
    (lambda f: f.drop("tech"), "internal error: table firms: column tech (String) is missing"),
    (lambda f: f.select("name", pl.exclude("name")),
     "internal error: table firms: column firm_id is at position 2, expected 1 (after nothing)"),
    (lambda f: f.select(pl.exclude("region"), "region"),
     "internal error: table firms: column region is at position 18, expected 6 (after province)"),
    (lambda f: f.with_columns(pl.lit(1).alias("extra")), "internal error: table firms: undeclared column extra (Int32)"),
    (lambda f: f.with_columns(pl.lit(None, pl.String).alias("region")),
     "internal error: table firms, column region: 3 nulls in a column declared never null"),
    (lambda f: f.with_columns(pl.lit(None).alias("uscc")),
     "internal error: table firms, column uscc: expected String, found Null"),
])
def test_a_frame_unlike_its_declaration_is_refused(change, message):
    with pytest.raises(SchemaMismatch) as caught:
        check("firms", change(filled("firms", 3)))
    assert str(caught.value) == message


def test_a_table_that_is_not_declared_is_refused(tmp_path):
    with pytest.raises(SchemaMismatch, match="^internal error: table firm is not declared"):
        write_output(tmp_path / "parquet", {"firm": filled("firms", 1)}, {})
    assert not (tmp_path / "parquet").exists()


def test_nullable_columns_may_hold_nulls():
    frame = filled("firms", 2).with_columns(pl.lit(None, pl.String).alias("uscc"))
    check("firms", frame)


def _raw_folders(tmp_path: Path) -> list[Path]:
    return [*sorted(GOLDEN.glob("*/raw")), write_raw(tmp_path / "index_raw")]


def test_what_ingest_writes_is_what_is_declared(tmp_path):
    """Every declared table is written (over the golden folders and one with the index's files), with the
    declared Parquet types, unique on its key and in its declared order."""
    written: set[str] = set()
    for i, raw in enumerate(_raw_folders(tmp_path)):
        out = tmp_path / f"out{i}"
        ingest(raw, out, IngestOptions(), Quiet())
        names = {p.stem for p in out.glob("*.parquet")}
        assert names <= set(TABLES), raw
        assert set(CONTRACT_TABLES) <= names, raw
        written |= names
        for name in sorted(names):
            table = TABLES[name]
            frame = pl.read_parquet(out / f"{name}.parquet")
            assert frame.schema == table.schema, (raw, name)
            arrow = pq.read_schema(out / f"{name}.parquet")
            assert arrow.names == list(table.names)
            # the doc's type names are what other tools see in the files
            assert [ARROW[TYPE_NAMES[c.dtype]] for c in table.columns] == [str(t) for t in arrow.types], name
            assert not frame.select(table.key).is_duplicated().any(), (raw, name, table.key)
            if table.sorted_by:
                assert frame.equals(frame.sort(table.sorted_by, nulls_last=True, maintain_order=True)), (raw, name)
        assert (out / REPORT_NAME).is_file()
    assert written == set(TABLES)


# The table of data contract §4 as the shared contract writes it, word for word: users rely on these
# tables and columns, so a declaration may add columns but never drop or rename one of these.
SHARED_CONTRACT_TABLE = """\
| table | one row is | key columns |
| --- | --- | --- |
| `firms` | a firm after merging | `firm_id`, `name`, `uscc`, `city`, `province`, `region`, `rd_staff` |
| `firm_tracks` | a firm's track, in order | `firm_id`, `track`, `tech`, `position` |
| `patents` | a distinct application | `app_no`, `patent_type` (`invention`/`utility`/`design`), `app_year` |
| `patent_applicants` | an applicant name on a patent | `app_no`, `applicant`, `firm_id` (null when unlinked), `link_method`, `link_score` |
| `financing` | a distinct event | `firm_id`, `date`, `round`, `is_c_plus`, `is_top_vc_led` |
| `hightech` | a certificate | `firm_id`, `cert_no`, `issue_year` |
| `quarantine` | a rejected input row | `source` (file name), `row` (1-based data row), `reason`, `record` |"""


def test_the_generated_contract_table_is_the_shared_contracts():
    from fintech_firms.contract.doc import contract_table

    assert contract_table() == SHARED_CONTRACT_TABLE
