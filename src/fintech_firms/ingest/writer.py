"""Write the output folder atomically: a failed or interrupted run leaves the previous output as it was."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path

import polars as pl

from ..errors import InputError

REPORT_NAME = "ingest_report.json"


def write_output(out_dir: Path, tables: dict[str, pl.DataFrame], report: dict) -> None:
    """Write every table to `out_dir/NAME.parquet` and the report, replacing the folder in one step."""
    out_dir = out_dir.resolve()
    parent = out_dir.parent
    if out_dir.exists() and not out_dir.is_dir():
        raise InputError(f"{out_dir}: is a file; --out must name a folder")
    try:
        parent.mkdir(parents=True, exist_ok=True)
        _recover(out_dir)
        staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.new-", dir=parent))
    except OSError as exc:
        raise InputError(f"{out_dir}: cannot write the output folder ({exc.strerror})") from None
    try:
        for name, frame in tables.items():
            # Fixed settings so that the same input gives the same bytes.
            frame.write_parquet(staging / f"{name}.parquet", compression="zstd", statistics=True)
        (staging / REPORT_NAME).write_text(
            json.dumps(report, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        _swap(staging, out_dir, set(tables))
    except OSError as exc:
        shutil.rmtree(staging, ignore_errors=True)
        raise InputError(f"{out_dir}: cannot write the output ({exc}); the previous output is unchanged") from None
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def _swap(staging: Path, out_dir: Path, table_names: set[str]) -> None:
    ours = {f"{n}.parquet" for n in table_names} | {REPORT_NAME}
    if out_dir.exists():
        # Files the run does not make (a README kept in git, a user's notes) move over unchanged.
        for item in out_dir.iterdir():
            if item.name not in ours and not (staging / item.name).exists():
                if item.is_dir():
                    shutil.copytree(item, staging / item.name)
                else:
                    shutil.copy2(item, staging / item.name)
        old = out_dir.with_name(f".{out_dir.name}.old")
        if old.exists():
            shutil.rmtree(old)
        os.replace(out_dir, old)
        os.replace(staging, out_dir)
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.replace(staging, out_dir)


def _recover(out_dir: Path) -> None:
    """Put back the previous output if a run was stopped between the two renames of _swap."""
    old = out_dir.with_name(f".{out_dir.name}.old")
    if old.exists() and not out_dir.exists():
        os.replace(old, out_dir)
    for stale in out_dir.parent.glob(f".{out_dir.name}.new-*"):
        shutil.rmtree(stale, ignore_errors=True)
