"""Shared fixtures: an empty raw folder for tests that write their own small exports."""

from pathlib import Path

import pytest


@pytest.fixture
def raw(tmp_path: Path) -> Path:
    folder = tmp_path / "raw"
    folder.mkdir()
    return folder
