"""The reference docs and the packaging stay in step with the code."""

import re
import tomllib
from pathlib import Path

import polars as pl
import pytest
import typer
from typer.main import get_command

from fintech_firms import clidoc
from fintech_firms.cli import app
from fintech_firms.contract import doc as contract_doc
from fintech_firms.models import doc as model_doc
from fintech_firms.models.catalog import in_run_order, model, names

ROOT = Path(__file__).parents[1]


def _words(text: str) -> list[str]:
    # Compare word for word: line wrapping may differ with the terminal, the words may not.
    return text.split()


STALE = "docs/cli.md is stale: run `python -m fintech_firms.clidoc > docs/cli.md`"


def test_cli_reference_is_generated_from_the_current_help():
    written = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    rendered_with = re.search(re.escape(clidoc.RENDERED_WITH) + r"(\S+)", written).group(1)
    if rendered_with != typer.__version__:
        pytest.skip(f"docs/cli.md was rendered with typer {rendered_with}, this is {typer.__version__}; "
                    "test_cli_reference_has_every_help_text checks the content")
    assert _words(written) == _words(clidoc.render()), STALE


def test_cli_reference_has_every_help_text():
    # Whatever typer version renders the help, every docstring line and option help we wrote is there.
    written = " ".join(_words((ROOT / "docs" / "cli.md").read_text(encoding="utf-8")))
    group = get_command(app)
    for name in group.list_commands(None):
        command = group.get_command(None, name)
        for line in (command.help or "").splitlines():
            assert " ".join(_words(line.replace("\b", ""))) in written, (STALE, name, line)
        for param in command.params:
            if param.help:
                assert " ".join(_words(param.help)) in written, (STALE, name, param.help)
            for opt in getattr(param, "opts", []):
                if opt.startswith("-"):
                    assert opt in written, (STALE, name, opt)


def test_every_command_is_in_the_cli_reference():
    written = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    assert re.findall(r"^## (firms.*)$", written, re.M) == [
        "firms", "firms ingest", "firms aggregate", "firms sql", "firms tables", "firms index", "firms report",
        "firms demo-data", "firms demo", "firms links", "firms links review", "firms links eval"]


def test_every_sql_model_is_known_and_well_formed():
    on_disk = sorted(p.stem for p in (ROOT / "sql").glob("*.sql"))
    assert list(names()) == on_disk
    assert sorted(in_run_order()) == on_disk  # no cycle among the models
    for name in names():
        m = model(name)
        assert m.sql.rstrip().endswith("select * from final"), f"{name}.sql should end with the final CTE"
        assert m.one_row, f"{name}.sql needs a `-- One row:` header line (the docs' table is made from it)"
        # A CTE named after a model would hide the model from the derived dependencies.
        assert not set(m.ctes) & set(names()), (name, m.ctes)
        # The `-- Parameters:` line names the model's own parameters, and may name those it takes
        # through the models it reads.
        declared = re.search(r"^-- Parameters: (.*)$", m.sql, re.M)
        declared_names = set(re.findall(r"\$([a-z_]+)", declared.group(1))) if declared else set()
        assert set(m.parameters) <= declared_names <= set(m.parameters) | upstream_parameters(name), name


def upstream_parameters(name: str) -> set[str]:
    found: set[str] = set()
    for dependency in model(name).depends_on:
        found |= set(model(dependency).parameters) | upstream_parameters(dependency)
    return found


def test_dependencies_are_derived_from_the_sql_text():
    assert model("group_metrics").depends_on == ("dim_firm_universe", "dim_firm_tech", "fct_shared_patents")
    assert model("group_metrics").reads == ("dim_firm_universe", "ff_selection", "dim_firm_tech",
                                            "fct_shared_patents")
    assert model("dim_firm_universe").depends_on == ("fct_firm_patent_years", "fct_firm_financing")
    assert model("fct_firm_applications").depends_on == ()
    assert model("snapshot_year").reads == ("patents",)


@pytest.mark.parametrize("doc", model_doc.DOCS)
def test_models_tables_are_generated_from_the_sql(doc):
    written = (ROOT / doc).read_text(encoding="utf-8")
    assert model_doc.updated(written) == written, f"{doc} is stale: run `python -m fintech_firms.models.doc`"


def test_contract_tables_are_generated_from_their_declaration():
    written = (ROOT / contract_doc.DOC).read_text(encoding="utf-8")
    assert contract_doc.updated(written) == written, \
        f"{contract_doc.DOC} is stale: run `python -m fintech_firms.contract.doc`"


def test_the_contract_doc_generator_refuses_a_doc_without_its_markers():
    with pytest.raises(ValueError, match="no generated contract tables"):
        contract_doc.updated("# a doc\n")


def test_pyproject_lists_every_package():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]
    found = sorted("fintech_firms" + ("." + ".".join(p.parent.relative_to(ROOT / "src" / "fintech_firms").parts)
                                      if p.parent != ROOT / "src" / "fintech_firms" else "")
                   for p in (ROOT / "src" / "fintech_firms").rglob("__init__.py"))
    assert sorted(config["packages"]) == sorted([*found, "fintech_firms.sql"])


# The worked example of docs/metrics.md: its raw files are in the doc, and so are its results.
EXAMPLE_CALLS = [
    {"by": ["region"], "with_total": True},
    {"by": ["tech"], "with_total": True},
    {"by": ["tech"], "tech_mode": "any", "with_total": True},
    {"by": ["region"], "as_of": 2020, "with_total": True},
]


def _metrics_doc_example(tmp_path: Path) -> tuple[Path, list[list[list[str]]]]:
    text = (ROOT / "docs" / "metrics.md").read_text(encoding="utf-8")
    raw = tmp_path / "raw"
    raw.mkdir()
    for name, body in re.findall(r"^    # (\w+\.csv)\n((?:    .+\n)+)", text, re.M):
        (raw / name).write_text("".join(line[4:] + "\n" for line in body.splitlines()), encoding="utf-8")
    tables = []
    for block in re.findall(r"^(\| (?:region|tech) \| firms \|.*\n(?:\|.*\n)+)", text, re.M):
        rows = [[cell.strip() for cell in line.strip("|").split("|")] for line in block.splitlines()]
        tables.append([rows[0], *rows[2:]])
    return raw, tables


def test_the_worked_example_in_metrics_md_is_what_the_code_computes(tmp_path):
    from fintech_firms import aggregate
    from fintech_firms.ingest.pipeline import IngestOptions, ingest
    from fintech_firms.ingest.progress import Quiet

    raw, tables = _metrics_doc_example(tmp_path)
    assert sorted(p.name for p in raw.iterdir()) == ["financing.csv", "firms.csv", "hightech.csv", "patents.csv"]
    assert len(tables) == len(EXAMPLE_CALLS)
    ingest(raw, tmp_path / "parquet", IngestOptions(), Quiet())
    for call, (header, *rows) in zip(EXAMPLE_CALLS, tables):
        got = aggregate(tmp_path / "parquet", **call)
        assert got.height == len(rows), call
        assert got.columns == header
        # the doc rounds ratios to 4 decimals
        shown = [[_as_doc(v, written) for v, written in zip(row, doc_row)]
                 for row, doc_row in zip(got.iter_rows(), rows)]
        assert shown == rows, call


def _as_doc(value, written: str) -> str:
    if isinstance(value, float):
        decimals = len(written.split(".")[1]) if "." in written else 0
        return f"{value:.{decimals}f}"
    return "" if value is None else str(value)


def test_the_readme_notebook_example_runs(tmp_path, monkeypatch):
    from fintech_firms.ingest.pipeline import IngestOptions, ingest
    from fintech_firms.ingest.progress import Quiet

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    code = re.search(r"\*\*In a notebook:\*\*\n\n```python\n(.*?)```", readme, re.S).group(1)
    ingest(ROOT / "examples" / "raw", tmp_path / "data" / "parquet", IngestOptions(), Quiet())
    monkeypatch.chdir(tmp_path)
    scope: dict = {}
    with pytest.warns(UserWarning, match="--partial"):
        exec(compile(code, "README.md", "exec"), scope)
    assert scope["fire"].filter(pl.col("indicator") == "enterprises")["score"].null_count() == 0
    assert scope["df"].columns[:2] == ["region", "tech"] and scope["df"]["region"][-1] == "ALL"
    assert scope["tables"]["by_region"].frame.height > 1


def test_the_worked_example_in_index_md_is_what_the_code_computes(tmp_path):
    """docs/index.md's worked-example table against fintech_firms.index on the golden raw folder."""
    from decimal import ROUND_HALF_UP, Decimal

    from index_data import write_raw

    from fintech_firms import index
    from fintech_firms.ingest.pipeline import IngestOptions, ingest
    from fintech_firms.ingest.progress import Quiet

    text = (ROOT / "docs" / "index.md").read_text(encoding="utf-8")
    block = text.split("<!-- worked-example")[1].split("\n\n")[0]
    rows = [[cell.strip() for cell in line.strip().strip("|").split("|")] for line in block.splitlines()[3:]]
    assert len(rows) == 23
    ingest(write_raw(tmp_path / "raw"), tmp_path / "parquet", IngestOptions(max_year=2021), Quiet())
    frame = pl.concat([index(tmp_path / "parquet", year=2021, scaling="linear", level="all", by=by)
                       for by in ("city", "region")])

    def shown(value, places):
        if value is None:
            return ""
        return str(Decimal(repr(value)).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP))

    for entity, code, base_value, value, base_score, score, growth, rank in rows:
        row = frame.filter((pl.col("entity") == entity) & (pl.col("indicator") == code)).row(0, named=True)
        assert [shown(row["base_value"], 0), shown(row["value"], 0)] == [base_value, value], (entity, code)
        assert [shown(row["base_score"], 3), shown(row["score"], 3)] == [base_score, score], (entity, code)
        assert shown(None if row["growth"] is None else row["growth"] * 100, 2) == growth, (entity, code)
        assert str(row["rank"]) == rank, (entity, code)
