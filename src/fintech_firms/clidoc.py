"""docs/cli.md, generated from the commands' --help so that the reference never drifts from the code.

    python -m fintech_firms.clidoc > docs/cli.md
"""

from __future__ import annotations

import typer
from typer.core import TyperGroup
from typer.main import get_group
from typer.testing import CliRunner

from .cli import app

WIDTH = "100"  # fixed, so that the text does not depend on the terminal that generates it
# Typer's help layout changes between versions; the file records the version that rendered it.
RENDERED_WITH = "rendered with typer "


def render() -> str:
    parts = [
        "# Command-line reference",
        "",
        "Generated from `firms --help` by `python -m fintech_firms.clidoc > docs/cli.md`; a test fails when",
        "this file is stale. The data contract behind the commands is in [data-contract.md](data-contract.md),",
        "the metrics in [metrics.md](metrics.md).",
        "",
        f"<!-- {RENDERED_WITH}{typer.__version__} -->",
        "",
        "## firms",
        "",
        "```text",
        _help(),
        "```",
    ]
    group = get_group(app)
    for name in group.list_commands(typer.Context(group)):
        parts += ["", f"## firms {name}", "", "```text", _help(name), "```"]
        # A sub-app (`firms links`): each of its commands gets its own section.
        sub = group.get_command(typer.Context(group), name)
        if isinstance(sub, TyperGroup):
            for subname in sub.list_commands(typer.Context(sub)):
                parts += ["", f"## firms {name} {subname}", "", "```text", _help(name, subname), "```"]
    return "\n".join(parts) + "\n"


def _help(*command: str) -> str:
    result = CliRunner().invoke(app, [*command, "--help"], prog_name="firms",
                                env={"COLUMNS": WIDTH, "TERM": "dumb", "NO_COLOR": "1"})
    if result.exit_code != 0:
        raise RuntimeError(f"firms {' '.join(command)} --help failed: {result.output}")
    return result.output.rstrip()


if __name__ == "__main__":
    print(render(), end="")
