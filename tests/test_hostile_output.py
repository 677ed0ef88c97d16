"""The output folder, `firms sql` and the exports under hostile use (issue 16): a full disk, two runs at
once, a precious --out, reads outside the data folder, queries that never end, formula injection."""

from __future__ import annotations

import fcntl
import io
import json
import os
import stat
import subprocess
import sys
import time
from pathlib import Path

import openpyxl
import polars as pl
import pytest
from test_bad_input import minimal_raw_folder, write_firms, write_patents
from test_writer import filled
from typer.testing import CliRunner

from fintech_firms.cli import app
from fintech_firms.errors import InputError
from fintech_firms.ingest import writer
from fintech_firms.ingest.pipeline import ingest
from fintech_firms.ingest.writer import REPORT_NAME, write_output
from fintech_firms.models.runner import duckdb_message


def tables(n: int) -> dict[str, pl.DataFrame]:
    return {"firms": filled("firms", n)}


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file() and not p.is_symlink()}


raw = pytest.fixture(minimal_raw_folder, name="raw")


def invoke(*args: str):
    return CliRunner().invoke(app, list(args))


# --- 5. a full disk -------------------------------------------------------------------------------------

@pytest.mark.parametrize("error", [
    pl.exceptions.ComputeError("failed to write: No space left on device (os error 28)\n\nResolved plan: …"),
    OSError(28, "No space left on device"),
])
def test_a_full_disk_is_one_line_and_the_previous_output_stays(tmp_path: Path, monkeypatch, error) -> None:
    out = tmp_path / "parquet"
    write_output(out, tables(2), {"run": 1})
    before = snapshot(out)

    def full(self, path, **kwargs):
        raise error

    monkeypatch.setattr(pl.DataFrame, "write_parquet", full)
    with pytest.raises(InputError) as caught:
        write_output(out, tables(5), {"run": 2})
    assert "No space left on device" in str(caught.value) and "\n" not in str(caught.value)
    assert str(caught.value).endswith("; the previous output is unchanged")
    assert snapshot(out) == before
    assert [p.name for p in tmp_path.iterdir()] == ["parquet"]


# --- 6. two ingests into one --out ---------------------------------------------------------------------

def test_a_second_ingest_into_a_locked_folder_is_refused_and_the_live_staging_kept(raw: Path) -> None:
    out = raw.parent / "out"
    ingest(raw, out)
    before = snapshot(out)
    # Another run is under way: it holds the lock and is writing its staging folder.
    live = raw.parent / ".out.new-live"
    live.mkdir()
    (live / "firms.parquet").write_bytes(b"being written")
    lock = raw.parent / ".out.lock"
    fd = os.open(lock, os.O_RDWR | os.O_CREAT)
    fcntl.flock(fd, fcntl.LOCK_EX)
    os.write(fd, b"4242\n")
    try:
        result = invoke("ingest", str(raw), "--out", str(out))
    finally:
        os.close(fd)
    assert result.exit_code == 2
    assert result.output == (f"Error: {out}: another firms ingest (process 4242) is writing this folder; "
                             f"wait for it to finish, or choose another --out\n")
    assert (live / "firms.parquet").read_bytes() == b"being written"
    assert snapshot(out) == before
    # Once the other run is gone, the next one cleans up after it and writes.
    assert invoke("ingest", str(raw), "--out", str(out), "-q").exit_code == 0
    assert sorted(p.name for p in raw.parent.iterdir()) == ["out", "raw"]


def test_two_real_ingests_at_once_one_is_refused(raw: Path) -> None:
    out = raw.parent / "out"
    command = [sys.executable, "-m", "fintech_firms", "ingest", str(raw), "--out", str(out), "-q"]
    holder = subprocess.Popen([sys.executable, "-c", (
        "import fcntl, os, sys, time; fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT); "
        "fcntl.flock(fd, fcntl.LOCK_EX); print('held', flush=True); time.sleep(60)"), str(raw.parent / ".out.lock")],
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline() == "held\n"
        second = subprocess.run(command, capture_output=True, text=True, timeout=120)
    finally:
        holder.kill()
        holder.wait()
    assert second.returncode == 2
    assert "another firms ingest" in second.stderr and "Traceback" not in second.stderr
    assert not out.exists()
    assert subprocess.run(command, capture_output=True, timeout=120).returncode == 0


# --- 7. replacing the output folder ----------------------------------------------------------------------

def test_the_folder_keeps_its_mode_and_group_bits(tmp_path: Path) -> None:
    out = tmp_path / "parquet"
    write_output(out, tables(1), {"run": 1})
    for mode in (0o2775, 0o750):
        os.chmod(out, mode)
        write_output(out, tables(2), {"run": 2})
        assert stat.S_IMODE(out.stat().st_mode) == mode


def test_a_new_folder_gets_the_usual_mode_not_mkdtemps(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        write_output(tmp_path / "parquet", tables(1), {})
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "parquet").stat().st_mode) == 0o755


def test_links_inside_the_output_stay_links(tmp_path: Path) -> None:
    out = tmp_path / "parquet"
    write_output(out, tables(1), {"run": 1})
    precious = tmp_path / "precious"
    precious.mkdir()
    (precious / "big.bin").write_bytes(b"x" * 1000)
    (out / "shared").symlink_to(precious)
    (out / "notes.md").symlink_to(precious / "big.bin")
    (out / "dangling").symlink_to(tmp_path / "nowhere")
    write_output(out, tables(2), {"run": 2})
    assert os.readlink(out / "shared") == str(precious)
    assert os.readlink(out / "notes.md") == str(precious / "big.bin")
    assert os.readlink(out / "dangling") == str(tmp_path / "nowhere")
    assert sorted(p.name for p in precious.iterdir()) == ["big.bin"]


def test_a_folder_inside_the_output_keeps_its_links(tmp_path: Path) -> None:
    out = tmp_path / "parquet"
    write_output(out, tables(1), {"run": 1})
    (out / "docs").mkdir()
    (out / "docs" / "link").symlink_to("/etc/hostname")
    write_output(out, tables(2), {"run": 2})
    assert (out / "docs" / "link").is_symlink()


@pytest.mark.parametrize("given", ["", ".", "..", "CWD", "CWD/..", "/", "./"])
def test_out_naming_the_working_folder_or_above_is_refused(tmp_path: Path, raw: Path, monkeypatch,
                                                            given: str) -> None:
    # --out "$OUT" with OUT unset is --out "": it replaced the working folder.
    work = tmp_path / "work"
    work.mkdir()
    (work / "thesis.tex").write_text("years of work")
    monkeypatch.chdir(work)
    before = sorted(p.name for p in tmp_path.iterdir())
    result = invoke("ingest", str(raw), "--out", given.replace("CWD", str(work)))
    assert result.exit_code == 2
    assert "the current folder" in result.output and result.output.count("\n") == 1
    assert (work / "thesis.tex").read_text() == "years of work"
    assert sorted(p.name for p in tmp_path.iterdir()) == before


@pytest.mark.parametrize("contents", [{"notes.txt": "mine"}, {".bashrc": "alias"}, {"sub/x.parquet": "y"},
                                      {"firms.parquet": "not ours"}])
def test_a_folder_that_is_no_earlier_output_is_not_replaced(raw: Path, contents: dict) -> None:
    out = raw.parent / "home"
    for name, text in contents.items():
        (out / name).parent.mkdir(parents=True, exist_ok=True)
        (out / name).write_text(text)
    before = snapshot(out)
    result = invoke("ingest", str(raw), "--out", str(out))
    assert result.exit_code == 2
    assert result.output == (f"Error: {out}: is not an output of firms ingest (it has no {REPORT_NAME}) and "
                             f"is not empty; --out must name a new or empty folder or an earlier output, "
                             f"which is replaced\n")
    assert snapshot(out) == before


def test_out_naming_the_raw_folder_or_its_parent_is_refused(raw: Path) -> None:
    before = snapshot(raw.parent)
    for out in (raw, raw.parent):
        result = invoke("ingest", str(raw), "--out", str(out))
        assert result.exit_code == 2 and "is not an output of firms ingest" in result.output
    assert snapshot(raw.parent) == before


def test_an_output_whose_report_is_a_link_is_not_an_output(raw: Path) -> None:
    out = raw.parent / "looks_like_output"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    (out / REPORT_NAME).symlink_to(raw / "firms.csv")
    assert invoke("ingest", str(raw), "--out", str(out)).exit_code == 2
    assert (out / "notes.txt").read_text() == "mine"


@pytest.mark.parametrize("contents", [{}, {"README.md": "what this is"}, {".gitkeep": ""}])
def test_an_empty_folder_or_one_a_repository_keeps_is_written(raw: Path, contents: dict) -> None:
    out = raw.parent / "parquet"
    out.mkdir()
    for name, text in contents.items():
        (out / name).write_text(text)
    assert invoke("ingest", str(raw), "--out", str(out), "-q").exit_code == 0
    assert (out / REPORT_NAME).is_file()
    assert {n: (out / n).read_text() for n in contents} == contents


def test_out_as_a_symlink_is_refused(raw: Path) -> None:
    target = raw.parent / "target"
    ingest(raw, target)
    (raw.parent / "link").symlink_to(target)
    result = invoke("ingest", str(raw), "--out", str(raw.parent / "link"))
    assert result.exit_code == 2
    assert "is a symbolic link" in result.output
    assert (raw.parent / "link").is_symlink()


def test_an_interrupt_between_the_renames_puts_the_old_output_back(tmp_path: Path, monkeypatch) -> None:
    out = tmp_path / "parquet"
    write_output(out, tables(2), {"run": 1})
    before = snapshot(out)
    real = os.replace

    def interrupted(src, dst):
        if Path(src).name.startswith(".parquet.new-"):
            raise KeyboardInterrupt
        real(src, dst)

    monkeypatch.setattr(writer.os, "replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        write_output(out, tables(5), {"run": 2})
    assert snapshot(out) == before
    assert [p.name for p in tmp_path.iterdir()] == ["parquet"]


def test_ctrl_c_during_the_swap_is_delivered_after_it(tmp_path: Path, monkeypatch) -> None:
    import signal

    out = tmp_path / "parquet"
    write_output(out, tables(2), {"run": 1})
    real = os.replace

    def interrupted(src, dst):
        real(src, dst)
        if Path(dst).name == ".parquet.old":
            signal.raise_signal(signal.SIGINT)  # Ctrl-C right between the two renames

    monkeypatch.setattr(writer.os, "replace", interrupted)
    # Ctrl-C as an interactive shell gives it: a process started in the background by a script inherits
    # SIGINT ignored, and Python then leaves it ignored.
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        with pytest.raises(KeyboardInterrupt):
            write_output(out, tables(5), {"run": 2})
    finally:
        signal.signal(signal.SIGINT, previous)
    assert json.loads((out / REPORT_NAME).read_text()) == {"run": 2}  # the new output, whole
    assert pl.read_parquet(out / "firms.parquet").height == 5


# --- 8, 9. firms sql: no temp directory, a timeout, a cap inside the query ------------------------------

@pytest.fixture
def data(raw: Path) -> Path:
    out = raw.parent / "parquet"
    ingest(raw, out)
    return out


@pytest.mark.parametrize("query", [
    "select * from read_text('.tmp/secret.txt')",
    "select * from glob('.tmp/*')",
    "select * from read_csv('.tmp/secret.txt')",
    "select * from read_text('./.tmp/../.tmp/secret.txt')",
])
def test_sql_cannot_read_the_duckdb_temp_folder(data: Path, tmp_path: Path, monkeypatch, query: str) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".tmp").mkdir()
    (tmp_path / ".tmp" / "secret.txt").write_text("api_key=hunter2\n")
    result = invoke("sql", query, "--data", str(data))
    assert result.exit_code == 2, result.output
    assert "hunter2" not in result.output and ".tmp/secret.txt" not in result.stdout
    assert result.output.startswith("Error: refused: firms sql reads only the tables in")


def test_sql_has_no_temp_directory(data: Path) -> None:
    result = invoke("sql", "select current_setting('temp_directory') as t", "--data", str(data), "-f", "csv")
    assert result.stdout == 't\n""\n'  # the empty text


@pytest.mark.parametrize("query", [
    "with recursive t(n) as (select 1 union all select n + 1 from t) select count(*) from t",
    "select count(*) from range(1000000) a, range(1000000) b",
])
def test_a_query_that_does_not_end_is_stopped_by_the_timeout(data: Path, query: str) -> None:
    started = time.monotonic()
    result = invoke("sql", query, "--data", str(data), "--timeout", "1")
    assert time.monotonic() - started < 30
    assert result.exit_code == 2
    assert result.output == ("Error: the query was stopped after 1 s (--timeout); narrow it down (WHERE, LIMIT) "
                             "or allow it more time\n")


def test_max_rows_stops_the_work_inside_the_query(data: Path) -> None:
    # A trillion rows: without the cap inside the query it would run until killed.
    started = time.monotonic()
    result = invoke("sql", "select a.range as a, b.range as b from range(1000000) a, range(1000000) b",
                    "--data", str(data), "--max-rows", "3", "--timeout", "60")
    assert time.monotonic() - started < 30
    assert result.exit_code == 0
    assert result.stdout.splitlines()[2:] == ["0  0", "1  0", "2  0"]
    assert result.stderr == "(first 3 rows shown; --max-rows or --format csv for all)\n"


def test_engine_errors_are_one_line(data: Path) -> None:
    result = invoke("sql", "select nope\nfrom firms", "--data", str(data))
    assert result.exit_code == 2
    assert result.output.count("\n") == 1 and "LINE" not in result.output
    assert result.output.startswith('Error: Binder Error: Referenced column "nope" not found')
    result = invoke("aggregate", "--by", "region", "--data", str(data), "--as-of", "99999999999")
    assert result.output == "Error: as_of must be a year from 1 to 9999, not 99999999999\n"


def test_duckdb_messages_lose_their_excerpt() -> None:
    class Fake(Exception):
        pass

    text = "Out of Memory Error: could not allocate block of size 256 KiB (1.6 GiB/1.6 GiB used)\n\nLINE 3: x\n   ^"
    assert duckdb_message(Fake(text)) == ("Out of Memory Error: could not allocate block of size 256 KiB "
                                          "(1.6 GiB/1.6 GiB used)")


def test_an_engine_error_no_command_caught_is_one_line(tmp_path: Path) -> None:
    # Out of memory inside DuckDB, outside any model: the entry point's last net.
    script = ("import duckdb, fintech_firms.cli as cli\n"
              "def boom(*a, **k):\n    raise duckdb.OutOfMemoryException('Out of Memory Error: failed\\nLINE 1: x')\n"
              "cli.run_query = boom\ncli.run()\n")
    done = subprocess.run([sys.executable, "-c", script, "sql", "select 1", "--data", str(tmp_path)],
                          capture_output=True, text=True, timeout=120)
    assert (done.returncode, done.stderr) == (2, "Error: OutOfMemoryException: Out of Memory Error: failed LINE 1: x\n")


def test_ctrl_c_at_start_up_is_no_traceback() -> None:
    # From a quarter second on: the interpreter's own start-up (before any of this package runs) is
    # not ours to guard; the loading of typer, polars and DuckDB that follows is.
    for delay in (0.25, 0.4, 0.6, 0.9):
        process = subprocess.Popen([sys.executable, "-m", "fintech_firms", "sql", "select 1", "--data", "/nowhere"],
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        time.sleep(delay)
        process.send_signal(2)
        _, stderr = process.communicate(timeout=60)
        assert "Traceback" not in stderr, (delay, stderr)
        assert process.returncode in (2, 130, -2), (delay, process.returncode, stderr)


# --- 10. formula injection in exports ---------------------------------------------------------------------

INJECTION = ("select '=HYPERLINK(\"http://evil\",\"x\")' as a, '+1+1' as b, '-2+3' as c, '@SUM(A1)' as d, "
             "-5 as n, -2.5 as f, 'plain' as e, '=x' as \"=h\"")


def test_xlsx_exports_write_text_as_text(data: Path, tmp_path: Path) -> None:
    out = tmp_path / "r.xlsx"
    assert invoke("sql", INJECTION, "--data", str(data), "-f", "xlsx", "-o", str(out)).exit_code == 0
    sheet = openpyxl.load_workbook(out).active
    header, row = [[(c.value, c.data_type) for c in r] for r in sheet.iter_rows()]
    assert row == [('=HYPERLINK("http://evil","x")', "s"), ("+1+1", "s"), ("-2+3", "s"), ("@SUM(A1)", "s"),
                   (-5, "n"), (-2.5, "n"), ("plain", "s"), ("=x", "s")]
    assert header[-1] == ("=h", "s")
    assert b"<f>" not in _sheet_xml(out)


def _sheet_xml(path: Path) -> bytes:
    import zipfile

    return zipfile.ZipFile(path).read("xl/worksheets/sheet1.xml")


def test_csv_exports_escape_formula_text_and_keep_numbers(data: Path) -> None:
    result = invoke("sql", INJECTION, "--data", str(data), "-f", "csv")
    assert result.stdout == ("a,b,c,d,n,f,e,'=h\n"
                             "\"'=HYPERLINK(\"\"http://evil\"\",\"\"x\"\")\",'+1+1,'-2+3,'@SUM(A1),-5,-2.5,plain,'=x\n")
    raw = invoke("sql", INJECTION, "--data", str(data), "-f", "csv", "--raw-csv")
    assert raw.stdout == ("a,b,c,d,n,f,e,=h\n"
                          "\"=HYPERLINK(\"\"http://evil\"\",\"\"x\"\")\",+1+1,-2+3,@SUM(A1),-5,-2.5,plain,=x\n")


def test_a_formula_from_a_raw_file_stays_text_in_every_export(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    raw.mkdir()
    write_firms(raw, rows=[["=cmd|' /C calc'!A0", "深圳", "", "1", "2015"], ["\t=1+1", "北京", "", "2", "2016"]])
    write_patents(raw, rows=[])
    out = tmp_path / "parquet"
    ingest(raw, out)
    query = "select name from firms order by name"
    csv_out = invoke("sql", query, "--data", str(out), "-f", "csv").stdout
    assert csv_out == "name\n'=1+1\n'=cmd|' /C calc'!A0\n"  # the tab was trimmed at ingest
    xlsx_out = tmp_path / "f.xlsx"
    invoke("sql", query, "--data", str(out), "-f", "xlsx", "-o", str(xlsx_out))
    cells = [c.data_type for (c,) in openpyxl.load_workbook(xlsx_out).active.iter_rows(min_row=2)]
    assert cells == ["s", "s"]
    assert json.loads(invoke("sql", query, "--data", str(out), "-f", "json").stdout)[0]["name"] == "=1+1"


def test_aggregate_csv_has_the_raw_option_too(data: Path) -> None:
    escaped = invoke("aggregate", "--by", "city", "--data", str(data), "-f", "csv")
    raw_csv = invoke("aggregate", "--by", "city", "--data", str(data), "-f", "csv", "--raw-csv")
    assert escaped.exit_code == raw_csv.exit_code == 0
    assert escaped.stdout == raw_csv.stdout  # nothing there starts like a formula: the same bytes
    assert io.StringIO(escaped.stdout).readline().startswith("city,")
