"""Files that survive a crash: bytes on disk before the call returns, and a folder's renames made durable.

The index is written this way (``index.store``), and so are ``ingest``'s publish journal and page copies.
"""

from __future__ import annotations

import os
from pathlib import Path


def write_durably(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` (replacing it) and fsync it."""
    with open(path, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())


def fsync_path(path: Path) -> None:
    """fsync a file, or a folder: a folder's fsync makes the files created, renamed or removed in it durable."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
