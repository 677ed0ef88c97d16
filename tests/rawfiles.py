"""Writing small raw exports in tests."""

from pathlib import Path


def write(path: Path, text: str) -> None:
    path.write_text(text, encoding="utf-8")
