"""Shared fixtures: real parts, loaded once, with every test's paths isolated.

- ``isolated_env`` (autouse): MBC_* settings point into the test's temp folder, so
  no test reads or writes var/ or changes corpus/.
- ``built_index_dir`` (session): the real corpus built once, with the real model,
  into a temp folder. Treat it as read-only; copy it to change it.
- ``use_built_index``: points MBC_INDEX_DIR at ``built_index_dir`` for one test.
- ``corpus_copy``: a writable copy of the real corpus for tests that change pages.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from index import REPO_ROOT, Settings, settings_from_env

CORPUS_DIR = REPO_ROOT / "corpus"


@pytest.fixture(autouse=True)
def isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """Point every setting at the test's own temp folder (the corpus stays the real, read-only one)."""
    import os

    for name in list(os.environ):
        if name.startswith("MBC_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("MBC_CORPUS_DIR", str(CORPUS_DIR))
    monkeypatch.setenv("MBC_INDEX_DIR", str(tmp_path / "index"))
    monkeypatch.setenv("MBC_AUDIT_DB", str(tmp_path / "audit.sqlite3"))
    return settings_from_env()


@pytest.fixture(scope="session")
def built_index_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The real corpus, built once per test session with the real model and FAISS."""
    from ingest import build

    index_dir = tmp_path_factory.mktemp("built-index")
    build(Settings(corpus_dir=CORPUS_DIR, index_dir=index_dir))
    return index_dir


@pytest.fixture
def use_built_index(built_index_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """Serve the session's built index to the code under test."""
    monkeypatch.setenv("MBC_INDEX_DIR", str(built_index_dir))
    return settings_from_env()


@pytest.fixture
def corpus_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A writable copy of the real corpus, served through MBC_CORPUS_DIR."""
    copy = tmp_path / "corpus"
    shutil.copytree(CORPUS_DIR, copy)
    monkeypatch.setenv("MBC_CORPUS_DIR", str(copy))
    return copy
