"""File-system facts that more than one writer needs."""

from __future__ import annotations

import os


def new_folder_mode() -> int:
    """The mode `mkdir` would give a new folder under this process's umask (tempfile.mkdtemp gives 0700,
    which would leave a staged-then-renamed output readable by its owner alone)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return 0o777 & ~mask
