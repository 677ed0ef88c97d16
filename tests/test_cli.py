"""The command line, called in-process: exit codes and the exact output."""

from pathlib import Path

import pytest
from typer.main import get_command
from typer.testing import CliRunner

from fintech_firms.cli import app

EXAMPLES = Path(__file__).parents[1] / "examples" / "raw"
runner = CliRunner()


def commands():
    group = get_command(app)
    found = []
    for name in group.list_commands(None):
        command = group.get_command(None, name)
        found.append((name, command))
        # A sub-app's commands (`firms links review`) too.
        found += [(f"{name} {sub}", command.get_command(None, sub))
                  for sub in getattr(command, "list_commands", lambda _: [])(None)]
    return found


@pytest.mark.parametrize(("name", "command"), commands())
def test_every_command_has_help_with_an_example_for_every_option(name, command):
    result = runner.invoke(app, [*name.split(), "--help"])
    assert result.exit_code == 0
    assert "Examples:" in result.output
    examples = result.output.split("Examples:")[1].split("Arguments:")[0].split("Options:")[0]
    for param in command.params:
        if param.param_type_name == "option" and param.name != "help":
            assert param.help, f"{name} {param.opts[0]} has no help"
            assert any(opt in examples for opt in param.opts), f"no example uses {param.opts[0]}"


def test_ingest_examples_prints_what_happened_to_every_file(tmp_path):
    # Every count below was worked out by hand from examples/raw (see the comments there in the test
    # of the data: two firm duplicates, one patent written twice, one wrong check digit, ...).
    out = tmp_path / "parquet"
    result = runner.invoke(app, ["ingest", str(EXAMPLES), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert result.output.replace(str(out), "OUT").splitlines() == [
        "Wrote OUT/ (12 firms, 16 firm_tracks, 12 patents, 17 patent_applicants, 5 financing, "
        "5 hightech, 3 quarantine, 4 cell_issues)",
        "  firms.csv [utf-8]: 14 rows read, 12 kept, 2 merged as duplicates, 0 quarantined",
        "  patents.csv [utf-8]: 15 rows read, 12 kept, 1 merged as duplicates, 2 quarantined",
        "      1 × malformed application number",
        "      1 × wrong check digit",
        "  financing.csv [utf-8]: 7 rows read, 5 kept, 1 merged as duplicates, 1 quarantined",
        "      1 × missing date",
        "  hightech.csv [gb18030]: 5 rows read, 5 kept, 0 merged as duplicates, 0 quarantined",
        "  links in patents: exact 12, former_name 1, fuzzy 1, no match 3",
        "  links in financing: exact 4, former_name 1",
        "  links in hightech: uscc 1, exact 4",
        "  unlinked names: 3; most frequent: 山东大学 (1), 张伟 (1), 清华大学 (1)",
        "  invalid USCCs ignored: 1",
        "  patent type disagreements (number wins): 1",
        "  1 × firms.csv founded: date out of range (2099) (read as blank)",
        "  1 × firms.csv rd_staff: negative number (read as blank)",
        "  1 × firms.csv uscc: invalid USCC (fails the GB 32100-2015 check) (read as blank)",
        "  1 × patents.csv app_date: date out of range (2099) (read as blank)",
        "  every input row accounted for",
        "Full report: OUT/ingest_report.json",
    ]
    assert sorted(p.name for p in out.iterdir()) == [
        "cell_issues.parquet", "fct_firm_patent_years.parquet", "fct_shared_patents.parquet",
        "financing.parquet", "firm_tracks.parquet", "firms.parquet", "hightech.parquet",
        "ingest_report.json", "patent_applicants.parquet", "patents.parquet", "quarantine.parquet"]


def test_fuzzy_threshold_101_leaves_the_typo_unlinked(tmp_path):
    result = runner.invoke(app, ["ingest", str(EXAMPLES), "--out", str(tmp_path / "o"),
                                 "--fuzzy-threshold", "101"])
    assert result.exit_code == 0
    assert "  links in patents: exact 12, former_name 1, no match 4" in result.output.splitlines()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["ingest", "no/such/folder"], "Error: no/such/folder: no such folder"),
        (["ingest", str(EXAMPLES), "--workers", "0"], "Error: --workers must be a positive number"),
        (["ingest", str(EXAMPLES), "--fuzzy-threshold", "150"], "Invalid value for '--fuzzy-threshold'"),
    ],
)
def test_bad_arguments_get_a_message_and_exit_code_2(args, message, tmp_path):
    result = runner.invoke(app, args + ["--out", str(tmp_path / "o")])
    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "o").exists()


def test_the_process_ends_with_the_commands_output_and_exit_code(tmp_path):
    """`firms` ends the process at once when the command is done (cli._exit_now): what it printed, to a
    pipe, is all there, and its exit code is the command's."""
    import subprocess
    import sys

    out = tmp_path / "parquet"
    done = subprocess.run([sys.executable, "-m", "fintech_firms", "ingest", str(EXAMPLES), "--out", str(out)],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0 and done.stdout == runner.invoke(app, ["ingest", str(EXAMPLES), "--out", str(out)]).output
    failed = subprocess.run([sys.executable, "-m", "fintech_firms", "aggregate", "--by", "nowhere", "--data", str(out)],
                            capture_output=True, text=True, timeout=300)
    assert (failed.returncode, failed.stdout) == (2, "")
    assert failed.stderr.startswith("Error: ") and failed.stderr.endswith("\n")


def test_an_exit_whose_code_is_a_message_is_left_to_python():
    from fintech_firms.cli import _exit_now

    with pytest.raises(SystemExit, match="a message"):
        _exit_now(SystemExit("a message"))
