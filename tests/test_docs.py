"""The reference docs and the packaging stay in step with the code."""

import re
import tomllib
from pathlib import Path

import pytest
import typer
from typer.main import get_command

from fintech_firms import clidoc
from fintech_firms.cli import app
from fintech_firms.analytics.models import DEPENDENCIES, model

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
        "firms", "firms ingest", "firms aggregate", "firms sql", "firms tables"]


def test_every_sql_model_is_known_and_every_known_model_exists():
    on_disk = sorted(p.stem for p in (ROOT / "sql").glob("*.sql"))
    assert on_disk == sorted(DEPENDENCIES)
    for name in DEPENDENCIES:
        sql = model(name).sql
        assert sql.rstrip().endswith("select * from final"), f"{name}.sql should end with the final CTE"
        for dependency in model(name).depends_on:
            assert re.search(rf"\bfrom {dependency}\b|\bjoin {dependency}\b", sql), (name, dependency)


def test_pyproject_lists_every_package():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]
    found = sorted("fintech_firms" + ("." + ".".join(p.parent.relative_to(ROOT / "src" / "fintech_firms").parts)
                                      if p.parent != ROOT / "src" / "fintech_firms" else "")
                   for p in (ROOT / "src" / "fintech_firms").rglob("__init__.py"))
    assert sorted(config["packages"]) == sorted([*found, "fintech_firms.sql"])
