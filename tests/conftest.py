"""Shared fixtures: real parts, loaded once, with every test's paths isolated.

- ``isolated_env`` (autouse): MBC_* settings point into the test's temp folder, so
  no test reads or writes var/ or changes corpus/.
- ``built_index_dir`` (session): the real corpus built once, with the real model,
  into a temp folder. Treat it as read-only; copy it to change it.
- ``use_built_index``: points MBC_INDEX_DIR at ``built_index_dir`` for one test.
- ``corpus_copy``: a writable copy of the real corpus for tests that change pages.
- ``browser`` and ``streamlit_server``: Debian's Chromium (a Playwright browser) and the app as
  ``make run`` serves it (``servers.AppServer``) on a free port of 127.0.0.1, for the browser tests.
- ``postgres_cluster`` (session) and ``postgres_url``: a real PostgreSQL server started in a temp
  folder (``servers.Cluster``), and a new empty database on it for one test. Tests that use them
  are marked ``postgres``; without PostgreSQL they are skipped, except under ``make test-postgres``
  (``MBC_TEST_POSTGRES=required``) and on CI, where they fail.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from servers import AppServer, Cluster, server_bin
from settings import REPO_ROOT, Settings, settings_from_env
from ui import CHROMIUM, CHROMIUM_ARGS

CORPUS_DIR = REPO_ROOT / "corpus"
SERVER_START_S = 120  # the launcher listens once the model is loaded: seconds on a busy machine


@pytest.fixture(autouse=True)
def isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """Point every setting at the test's own temp folder (the corpus stays the real, read-only one)."""
    for name in list(os.environ):
        if name.startswith("MBC_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("MBC_CORPUS_DIR", str(CORPUS_DIR))
    monkeypatch.setenv("MBC_INDEX_DIR", str(tmp_path / "index"))
    monkeypatch.setenv("MBC_AUDIT_DB", str(tmp_path / "audit.sqlite3"))
    return settings_from_env()


def built_index(corpus_dir: Path, tmp_path_factory: pytest.TempPathFactory, name: str) -> Path:
    """``corpus_dir`` built with the real model and FAISS into a new temporary folder ``name``."""
    from ingest import build

    index_dir = tmp_path_factory.mktemp(name)
    build(Settings(corpus_dir=corpus_dir, index_dir=index_dir))
    return index_dir


def serve_index(index_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """Serve ``index_dir`` to the code under test; returns the settings it now reads."""
    monkeypatch.setenv("MBC_INDEX_DIR", str(index_dir))
    return settings_from_env()


@pytest.fixture(scope="session")
def built_index_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The real corpus, built once per test session with the real model and FAISS."""
    return built_index(CORPUS_DIR, tmp_path_factory, "built-index")


@pytest.fixture
def use_built_index(built_index_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """Serve the session's built index to the code under test."""
    return serve_index(built_index_dir, monkeypatch)


@pytest.fixture
def corpus_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A writable copy of the real corpus, served through MBC_CORPUS_DIR."""
    copy = tmp_path / "corpus"
    shutil.copytree(CORPUS_DIR, copy)
    monkeypatch.setenv("MBC_CORPUS_DIR", str(copy))
    return copy


@pytest.fixture(scope="session")
def postgres_cluster() -> Iterator:
    """A throwaway PostgreSQL server for this test session, stopped (and its folder removed) at the end."""
    from audit.database import forget_engines

    if server_bin() is None:
        reason = "PostgreSQL's server is not installed; `make test-postgres` installs it and runs these tests"
        if os.environ.get("MBC_TEST_POSTGRES") == "required" or os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    cluster = Cluster()
    try:
        cluster.start()
    except (OSError, RuntimeError, subprocess.SubprocessError) as exc:
        cluster.stop()
        pytest.fail(f"PostgreSQL could not be started: {exc}")
    try:
        yield cluster
    finally:
        forget_engines()
        cluster.stop()


@pytest.fixture
def postgres_url(postgres_cluster) -> str:
    """A new, empty database on the session's PostgreSQL server."""
    return postgres_cluster.create_database(f"test_{uuid.uuid4().hex[:12]}")


@pytest.fixture
def browser() -> Iterator:
    """Debian's Chromium, headless, driven by Playwright (never `playwright install`); always closed.

    Missing, the test fails on CI (which installs it) and is skipped elsewhere.
    """
    if not CHROMIUM.exists():
        reason = f"{CHROMIUM} is missing; install Debian's chromium (make browser)"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def streamlit_server(tmp_path: Path) -> Iterator[str]:
    """The app as ``make run`` serves it, on a free port of 127.0.0.1 with this test's MBC_* settings; always stopped.

    Request it after the fixtures that set the environment (e.g. ``use_built_index``).
    """
    server = AppServer(dict(os.environ), tmp_path / "streamlit.log").start()
    try:
        try:
            server.wait(SERVER_START_S)
        except RuntimeError as exc:
            pytest.fail(str(exc))
        yield server.url
    finally:
        server.stop()
        # Shown by pytest only when the test fails.
        print(server.log.read_text(encoding="utf-8", errors="replace")[-5000:])
