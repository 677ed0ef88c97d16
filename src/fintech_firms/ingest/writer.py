"""Write the output folder atomically: a failed or interrupted run leaves the previous output as it was.

Guarantees (docs/ingest.md, "Limits and guarantees"): one ingest at a time writes a folder (a lock
beside it); only a new or empty folder or an earlier output of `firms ingest` is ever replaced; the
replaced folder keeps its permissions, and files the run does not make are carried over as they are
(a symbolic link stays a link, it is never followed).
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import signal
import stat
import tempfile
import threading
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager, suppress
from pathlib import Path

import duckdb
import polars as pl
from polars.io.plugins import register_io_source

from ..contract.tables import check
from ..errors import InputError
from ..files import new_folder_mode
from ..frames import Table

REPORT_NAME = "ingest_report.json"
# What a folder may hold and still count as empty: what a repository keeps in a folder it ignores.
_PLACEHOLDERS = (".gitkeep", ".gitignore", ".keep")
_HELD: set[Path] = set()  # output folders whose lock this process holds


def check_out_dir(out_dir: Path) -> Path:
    """The folder `firms ingest` may write, resolved; refuses one it must not replace."""
    given = Path(out_dir)
    if str(out_dir) in ("", "."):
        # Path("") is ".": an unset shell variable in --out "$OUT" would replace the working folder.
        raise InputError("--out names the current folder; give the output a folder of its own "
                         "(e.g. --out data/parquet)")
    if given.is_symlink():
        raise InputError(f"{given}: is a symbolic link; give the folder it points to as --out "
                         f"(links are never followed when the output is replaced)")
    out_dir = given.resolve()
    cwd = Path.cwd().resolve()
    if out_dir == cwd or out_dir in cwd.parents:
        raise InputError(f"{out_dir}: is the current folder or holds it; give the output a folder "
                         f"of its own (e.g. --out data/parquet)")
    if out_dir.exists() and not out_dir.is_dir():
        raise InputError(f"{out_dir}: is a file; --out must name a folder")
    if out_dir.is_dir() and not _replaceable(out_dir):
        raise InputError(
            f"{out_dir}: is not an output of firms ingest (it has no {REPORT_NAME}) and is not empty; "
            f"--out must name a new or empty folder or an earlier output, which is replaced")
    return out_dir


def _replaceable(folder: Path) -> bool:
    report = folder / REPORT_NAME
    if report.is_file() and not report.is_symlink():
        return True
    try:
        names = [p.name for p in folder.iterdir()]
    except OSError:
        return False
    return all(n in _PLACEHOLDERS or n.lower().startswith("readme") for n in names)


@contextmanager
def output_lock(out_dir: Path) -> Iterator[None]:
    """Hold the output folder's lock (a file `.NAME.lock` beside it, taken with flock: Linux and
    macOS) for the `with` block; a second ingest into the same folder is refused at once."""
    out_dir = Path(out_dir).resolve()
    if out_dir in _HELD:
        yield
        return
    lock = out_dir.with_name(f".{out_dir.name}.lock")
    # The folders made only to hold the lock, deepest first: a run that writes no output removes them.
    made = [folder for folder in (out_dir.parent, *out_dir.parent.parents) if not folder.exists()]
    try:
        out_dir.parent.mkdir(parents=True, exist_ok=True)
        fd = _acquire(lock)
    except BlockingIOError:
        holder = _holder(lock)
        raise InputError(f"{out_dir}: another firms ingest{holder} is writing this folder; wait for it "
                         f"to finish, or choose another --out") from None
    except OSError as exc:
        raise InputError(f"{out_dir}: cannot lock the output folder ({exc.strerror or exc})") from None
    _HELD.add(out_dir)
    try:
        yield
    finally:
        _HELD.discard(out_dir)
        try:
            lock.unlink()  # while still held: a run waiting on this file checks it is still there
        except OSError:
            pass
        os.close(fd)
        if not out_dir.exists():
            for folder in made:
                try:
                    folder.rmdir()  # only if empty: never anything another process put there
                except OSError:
                    break


@contextmanager
def spill_folder(out_dir: Path) -> Iterator[Path]:
    """A folder beside the output (the disk the output needs anyway) where DuckDB spills what does not fit
    in its memory limit, removed after the run. Call it holding output_lock: only the lock's holder makes
    these folders, so any other one of the output's name was left by a killed run and is removed first."""
    out_dir = Path(out_dir)
    prefix = f".{out_dir.name}.spill-"
    for stale in out_dir.parent.iterdir():
        if stale.name.startswith(prefix) and stale.is_dir() and not stale.is_symlink():
            shutil.rmtree(stale, ignore_errors=True)
    try:
        spill = Path(tempfile.mkdtemp(prefix=prefix, dir=out_dir.parent))
    except OSError as exc:
        raise InputError(f"{out_dir}: cannot write beside the output folder ({exc.strerror or exc})") from None
    try:
        yield spill
    finally:
        shutil.rmtree(spill, ignore_errors=True)


def _acquire(lock: Path) -> int:
    while True:
        fd = os.open(lock, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BaseException:
            os.close(fd)
            raise
        try:
            same = os.stat(lock, follow_symlinks=False).st_ino == os.fstat(fd).st_ino
        except FileNotFoundError:
            same = False
        if same:
            os.ftruncate(fd, 0)
            os.write(fd, f"{os.getpid()}\n".encode())
            return fd
        os.close(fd)  # the run before removed the file as it let go: lock the new one


def _holder(lock: Path) -> str:
    try:
        pid = lock.read_text().strip()
    except OSError:
        return ""
    return f" (process {pid})" if pid.isdigit() else ""


def write_output(out_dir: Path, tables: dict[str, Table], report: dict) -> None:
    """Write every table to `out_dir/NAME.parquet` and the report, replacing the folder in one step.

    Each frame is first checked against its declared table (contract/tables.py, by Staging.write): a
    column missing, moved, of another type or null where it may not be is an internal error
    (SchemaMismatch), and nothing is written. `tables` is emptied as its frames are written.
    """
    with staged_output(out_dir) as staging:
        staging.write(tables)
        staging.finish(report)


class Staging:
    """The new output folder while it is written, beside the output (see staged_output)."""

    def __init__(self, out_dir: Path, folder: Path) -> None:
        self.out_dir = out_dir
        self.folder = folder
        self.written: set[str] = set()
        self.finished = False
        self._pending: list[Future[None]] = []  # background writes, in the order they were handed over
        self._writes: dict[str, Future[None]] = {}  # the background write of each table handed over
        self._pool: ThreadPoolExecutor | None = None

    def write(self, tables: dict[str, Table], *, background: bool = False) -> None:
        """Write each table as NAME.parquet, all checked first (contract/tables.py; a Deferred table's
        slices as they are made). The tables are taken out of `tables` as they are written, so that the
        caller's dict stops holding them and each one's memory is freed once it is on disk (gigabytes at
        ten million patents).

        `background`: written by a thread while the caller goes on (encoding and compressing run in
        polars, off the interpreter's lock, on the other core); one write at a time, in order. A
        background write is queued behind those before it, so the caller does not wait for them (at
        scale 1 the patents were still being written when their applicants were handed over); a write
        in the foreground, `wait` or `finish` waits for them all and raises the first one's error."""
        for name, frame in tables.items():
            _check(name, frame)
        if background:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="parquet-writer")
            future = self._pool.submit(self._write, dict(tables))
            self._pending.append(future)
            self._writes.update(dict.fromkeys(tables, future))
            tables.clear()
        else:
            self.wait()
            self._write(tables)

    def _write(self, tables: dict[str, Table]) -> None:
        with self._writing():
            while tables:
                name = next(iter(tables))
                write_table(name, tables.pop(name), self.path(name))
                self.written.add(name)

    def wait_for(self, name: str) -> None:
        """Until table `name`, handed over to be written in the background, is on disk (any thread); its
        write's error, if it failed. A table written in the foreground is on disk once `write` returned."""
        future = self._writes.get(name)
        if future is not None:
            future.result()

    def wait(self) -> None:
        """Until the background writes are done; the first one's error, if one failed."""
        pending, self._pending = self._pending, []
        failed: list[BaseException] = []
        for future in pending:  # each one waited for, so that none is still writing after this
            try:
                future.result()
            except BaseException as exc:
                failed.append(exc)
        if failed:
            raise failed[0]

    def close(self) -> None:
        """Wait for the background writes, whatever happened to the caller, so that no thread writes
        into a folder that is being removed."""
        with suppress(BaseException):
            self.wait()
        if self._pool is not None:
            self._pool.shutdown()
            self._pool = None

    def path(self, name: str) -> Path:
        """Where table `name` is (or will be) written: a complete Parquet file once write returned."""
        return self.folder / f"{name}.parquet"

    def finish(self, report: dict) -> None:
        """Write the report and put the new folder in the output's place, in one step."""
        self.wait()
        with self._writing():
            (self.folder / REPORT_NAME).write_text(
                json.dumps(report, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
            _swap(self.folder, self.out_dir, self.written)
        self.finished = True

    @contextmanager
    def _writing(self) -> Iterator[None]:
        try:
            yield
        except (OSError, pl.exceptions.PolarsError) as exc:
            # A full disk reaches us as OSError from Python and as a polars ComputeError from Rust.
            detail = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:300]
            raise InputError(f"{self.out_dir}: cannot write the output ({detail}); "
                             f"the previous output is unchanged") from None


@contextmanager
def staged_output(out_dir: Path) -> Iterator[Staging]:
    """A new output folder to write (Staging.write, then Staging.finish), under the output's lock.

    Until `finish` the previous output is untouched: an error, a Ctrl-C or a `with` block left without
    `finish` removes what was written, and a killed run's leftovers are removed by the next run. The
    block may do other work between the writes (compute more tables): only the writes' own errors are
    worded as errors of writing the output.
    """
    out_dir = check_out_dir(out_dir)
    with output_lock(out_dir):
        parent = out_dir.parent
        try:
            _recover(out_dir)
            folder = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.new-", dir=parent))
        except OSError as exc:
            raise InputError(f"{out_dir}: cannot write the output folder ({exc.strerror})") from None
        staging = Staging(out_dir, folder)
        try:
            yield staging
        except BaseException:
            staging.close()
            shutil.rmtree(folder, ignore_errors=True)
            raise
        staging.close()
        if not staging.finished:
            shutil.rmtree(folder, ignore_errors=True)


def _check(name: str, table: Table) -> None:
    """contract/tables.check of a frame, or of a Deferred table's columns (its rows are checked as
    they are made)."""
    check(name, table if isinstance(table, pl.DataFrame) else table.rows(0, 0))


# Fixed settings so that the same input gives the same bytes.
PARQUET_SETTINGS: dict = {"compression": "zstd", "statistics": True}


def write_table(name: str, table: Table, path: Path) -> None:
    """Write one table. A Deferred table goes a row group at a time, in the row groups polars gives a
    frame of its height, so that its file has the bytes `write_parquet` would give the whole frame
    (and no more of its text is held than one row group's)."""
    if isinstance(table, pl.DataFrame):
        table.write_parquet(path, **PARQUET_SETTINGS)
        return
    sizes = row_groups(table.height, path.with_name(f".{path.name}.probe"))
    if len(sizes) < 2:
        table.collect().write_parquet(path, **PARQUET_SETTINGS)
        return
    failed: list[BaseException] = []

    def slices(with_columns, predicate, n_rows, batch_size) -> Iterator[pl.DataFrame]:
        offset = 0
        for size in sizes:
            try:
                part = table.rows(offset, size)
                check(name, part)
            except BaseException as exc:  # polars would wrap it; it is raised as it is below
                failed.append(exc)
                raise
            offset += size
            yield part

    try:
        # polars keeps slices of these sizes as they come (tests/test_writer.py checks the bytes).
        register_io_source(slices, schema=table.rows(0, 0).schema).sink_parquet(path, **PARQUET_SETTINGS)
    except BaseException:
        if failed:
            raise failed[0] from None
        raise


def row_groups(height: int, probe: Path) -> list[int]:
    """The rows of each row group polars writes for a frame of `height` rows (it cuts a frame into
    groups of about equal size by its height alone), read from a one-byte column of that height."""
    try:
        pl.DataFrame({"_": pl.repeat(0, height, dtype=pl.Int8, eager=True)}).write_parquet(probe)
        return row_groups_of(probe)
    finally:
        probe.unlink(missing_ok=True)


def row_groups_of(path: Path) -> list[int]:
    con = duckdb.connect()
    try:
        # The path is a bound value, never SQL text.
        found = con.execute("select row_group_id, any_value(row_group_num_rows) from parquet_metadata(?) "
                            "group by row_group_id order by row_group_id", [str(path)]).fetchall()
    finally:
        con.close()
    return [rows for _, rows in found]


def _swap(staging: Path, out_dir: Path, table_names: set[str]) -> None:
    ours = {f"{n}.parquet" for n in table_names} | {REPORT_NAME}
    if not out_dir.exists():
        os.chmod(staging, new_folder_mode())  # mkdtemp's 0700, as mkdir would have made it
        with _no_interrupts():
            os.replace(staging, out_dir)
        return
    before = out_dir.lstat()
    # Files the run does not make (a README kept in git, a user's notes) move over unchanged.
    for item in out_dir.iterdir():
        if item.name not in ours and not (staging / item.name).exists():
            _copy(item, staging / item.name)
    os.chmod(staging, stat.S_IMODE(before.st_mode))  # 2775 stays 2775 (mkdtemp makes 0700)
    try:
        os.chown(staging, -1, before.st_gid)
    except OSError:
        pass  # a group this user is not in: the parent's group stays
    old = out_dir.with_name(f".{out_dir.name}.old")
    if old.exists() or old.is_symlink():
        _remove(old)
    # Ctrl-C between the two renames would leave no folder at OUT: they are not interrupted.
    with _no_interrupts():
        os.replace(out_dir, old)
        try:
            os.replace(staging, out_dir)
        except BaseException:
            os.replace(old, out_dir)
            raise
    _remove(old)


def _copy(item: Path, target: Path) -> None:
    """A copy of a file, folder or link as it is: a link is copied as a link, never followed."""
    if item.is_symlink():
        os.symlink(os.readlink(item), target)
    elif item.is_dir():
        shutil.copytree(item, target, symlinks=True)
        shutil.copystat(item, target, follow_symlinks=False)
    else:
        shutil.copy2(item, target, follow_symlinks=False)


def _remove(path: Path) -> None:
    if path.is_symlink() or not path.is_dir():
        path.unlink(missing_ok=True)
    else:
        shutil.rmtree(path, ignore_errors=True)


@contextmanager
def _no_interrupts() -> Iterator[None]:
    """SIGINT and SIGTERM held back for the block, then delivered (main thread only: Python runs signal
    handlers there). Handlers rather than a signal mask: polars' threads would take a masked signal."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    received: list[int] = []
    previous = {s: signal.signal(s, lambda signum, _frame: received.append(signum))
                for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        if received:
            # To this thread, not the process: os.kill may hand it to a worker thread that is not
            # scheduled before the caller has moved on (seen once in CI on a loaded machine).
            signal.raise_signal(received[0])


def _recover(out_dir: Path) -> None:
    """Put back the previous output if a run was killed between the two renames of _swap, and remove
    what killed runs left: only under the folder's lock, so no other run's staging is touched."""
    old = out_dir.with_name(f".{out_dir.name}.old")
    if old.is_dir() and not old.is_symlink() and not out_dir.exists():
        os.replace(old, out_dir)
    elif old.exists() or old.is_symlink():
        _remove(old)  # killed after the second rename: the new output is in place
    for stale in out_dir.parent.glob(f".{out_dir.name}.new-*"):
        _remove(stale)
