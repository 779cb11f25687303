"""The answering tests share one bot: the real model and the session's real index."""

from __future__ import annotations

from pathlib import Path

import pytest

from ask import Bot, load
from settings import Settings

DATA = Path(__file__).with_name("data")
HELDOUT = DATA / "heldout.jsonl"


@pytest.fixture(scope="session")
def bot(built_index_dir: Path) -> Bot:
    """One loaded bot over the session's built index (read-only: do not change its state)."""
    return load(Settings(index_dir=built_index_dir))
