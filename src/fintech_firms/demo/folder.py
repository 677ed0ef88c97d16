"""The demo raw folder on disk: written whole or not at all, and reused when it is already the one asked for.

A folder the generator wrote holds `demo.json` (seed, scale, engine version, plan checksum). A folder
that holds raw files without it is someone's data and is never overwritten.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import time
from dataclasses import asdict, dataclass
from importlib import resources
from pathlib import Path

from ..errors import InputError
from ..files import new_folder_mode
from ..version import __version__
from .generate import FILES, DemoSummary, generate
from .plan import DEFAULT_SEED

MANIFEST = "demo.json"
RAW_STEMS = ("firms", "patents", "financing", "hightech")
# 100: eight million firms and about a hundred million patent rows (patents are written in slices).
MIN_SCALE, MAX_SCALE = 0.01, 100.0


@dataclass(frozen=True)
class Prepared:
    raw: Path
    generated: bool
    seconds: float
    summary: dict


def prepare(raw: Path, *, seed: int = DEFAULT_SEED, scale: float = 1.0, force: bool = False,
            truth: Path | None = None) -> Prepared:
    """The demo raw folder at `raw` for this seed and scale: reused if it is there (with its truth
    file, when one is asked for), else (re)written."""
    wanted = _identity(seed, scale)
    manifest = read_manifest(raw)
    files = manifest.get("summary", {}).get("files", FILES) if manifest is not None else FILES
    complete = all((raw / name).is_file() for name in files)
    if truth is not None and manifest is not None:
        # The truth must be the one written with these raw files, not one of another seed.
        complete = complete and manifest.get("truth_sha256") == _sha256(truth)
    if not force and complete and manifest is not None and manifest.get("identity") == wanted:
        return Prepared(raw, False, 0.0, manifest["summary"])
    start = time.perf_counter()
    summary = write(raw, seed=seed, scale=scale, truth=truth)
    return Prepared(raw, True, time.perf_counter() - start, asdict(summary))


def write(raw: Path, *, seed: int = DEFAULT_SEED, scale: float = 1.0, truth: Path | None = None) -> DemoSummary:
    """Generate into a staging folder next to `raw`, then swap it in, so `raw` is never half written.
    `truth` (outside `raw`: ingest would read it as a raw file) receives the linking truth."""
    check_scale(scale)
    if truth is not None and truth.resolve().parent == raw.resolve():
        raise InputError(f"{truth}: the truth file must be outside the raw folder {raw}")
    if raw.exists() and not raw.is_dir():
        raise InputError(f"{raw} is a file; the demo data needs a folder")
    if raw.is_dir() and read_manifest(raw) is None and _holds_raw_files(raw):
        raise InputError(f"{raw} holds raw files that the demo did not write; choose another folder "
                         f"or remove them")
    try:
        return _write(raw, seed, scale, truth)
    except OSError as exc:
        raise InputError(f"cannot write the demo data to {raw}: {exc.strerror or exc}") from None


def _write(raw: Path, seed: int, scale: float, truth: Path | None) -> DemoSummary:
    raw.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{raw.name}.", dir=raw.parent))
    try:
        os.chmod(staging, new_folder_mode())  # as mkdir would make it, not mkdtemp's 0700
        summary = generate(staging, seed=seed, scale=scale, truth=truth)
        manifest = {"identity": _identity(seed, scale), "summary": asdict(summary),
                    "truth_sha256": None if truth is None else _sha256(truth)}
        (staging / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=2) + "\n",
                                        encoding="utf-8")
        if raw.exists():
            old = raw.with_name(f".{raw.name}.old")
            shutil.rmtree(old, ignore_errors=True)
            os.replace(raw, old)
            os.replace(staging, raw)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(staging, raw)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return summary


def read_manifest(raw: Path) -> dict | None:
    try:
        return json.loads((raw / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def check_scale(scale: float) -> None:
    if not MIN_SCALE <= scale <= MAX_SCALE:
        raise InputError(f"--scale must be between {MIN_SCALE} and {MAX_SCALE:g} (got {scale:g})")


def _identity(seed: int, scale: float) -> dict:
    plan = resources.files("fintech_firms.demo").joinpath("plan.csv").read_bytes()
    return {"seed": seed, "scale": scale, "fintech_firms": __version__,
            "plan_sha256": hashlib.sha256(plan).hexdigest()}


def _sha256(path: Path) -> str | None:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None


def _holds_raw_files(folder: Path) -> bool:
    return any(p.stem.lower() in RAW_STEMS and p.suffix.lower() in (".csv", ".xlsx") for p in folder.iterdir())
