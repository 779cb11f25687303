"""Fixtures for the staff pages: staff accounts, the pages under AppTest, and stored answers with real quotes."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from streamlit.runtime.media_file_manager import MediaFileManager
from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage
from streamlit.testing.v1 import AppTest

import index as idx
from ask import Answer, Quote
from audit import AuditLog
from settings import REPO_ROOT, Settings, settings_from_env
from staff import make_entry

REVIEWER_PAGE = REPO_ROOT / "pages" / "1_Reviewer.py"
MAINTAINER_PAGE = REPO_ROOT / "pages" / "2_Maintainer.py"
PASSWORDS = {"ann": "ann reviews passages", "max": "max keeps the index", "kim": "kim does both"}


def staff_cookie(page, timeout_s: float = 30.0) -> dict:
    """The ``mbc_staff`` cookie of a page that has just signed in, once its script has swapped the ticket.

    The page shows the signed-in view at once and swaps its one-time ticket for the cookie just after,
    so a test that leaves the page (another address, another replica) waits for the cookie first.
    """
    for _ in range(int(timeout_s * 10)):
        cookie = next((c for c in page.context.cookies() if c["name"] == "mbc_staff"), None)
        if cookie:
            return cookie
        page.wait_for_timeout(100)
    raise AssertionError(f"no mbc_staff cookie {timeout_s:.0f} s after signing in")


@pytest.fixture(scope="session")
def staff_users_value() -> str:
    """Three accounts: ann reviews, max maintains, kim does both (hashes made once per session)."""
    return ", ".join(
        [
            make_entry("ann", "reviewer", PASSWORDS["ann"]),
            make_entry("max", "maintainer", PASSWORDS["max"]),
            make_entry("kim", "reviewer+maintainer", PASSWORDS["kim"]),
        ]
    )


@pytest.fixture
def staff(monkeypatch: pytest.MonkeyPatch, staff_users_value: str) -> str:
    """Staff sign-in configured through the environment."""
    monkeypatch.setenv("MBC_STAFF_USERS", staff_users_value)
    return staff_users_value


class StaffPages:
    """Drives the staff pages under AppTest and reads what they show."""

    reviewer = REVIEWER_PAGE
    maintainer = MAINTAINER_PAGE
    passwords = PASSWORDS

    def __init__(self, downloads: dict[str, Callable[[], bytes | str]]) -> None:
        self._downloads = downloads

    @staticmethod
    def open(path: Path, *, timeout: float = 120, secrets: dict | None = None) -> AppTest:
        # Opened as the server opens it: app.py is the main script and the staff page one of its pages.
        at = AppTest.from_file(str(REPO_ROOT / "app.py"), default_timeout=timeout)
        at.switch_page(str(path.relative_to(REPO_ROOT)))
        # Always some secrets: AppTest then ignores any real .streamlit/secrets.toml on this machine.
        at.secrets.update(secrets or {"tests": "isolated from local secrets"})
        return at.run()

    @staticmethod
    def sign_in(at: AppTest, name: str, password: str | None = None) -> AppTest:
        at.text_input(key="sign-in-name").input(name)
        at.text_input(key="sign-in-password").input(PASSWORDS[name] if password is None else password)
        return at.button(key="sign-in-submit").click().run()

    def open_signed_in(self, path: Path, name: str) -> AppTest:
        return self.ok(self.sign_in(self.open(path), name))

    @staticmethod
    def text(at: AppTest) -> str:
        """Everything the page shows as text, to check what a visitor can and cannot see."""
        parts: list[str] = []
        kinds = ("title", "header", "subheader", "markdown", "caption", "text", "code", "error", "warning", "info")
        for kind in (*kinds, "success"):
            parts += [str(element.value) for element in getattr(at, kind)]
        parts += [element.proto.body for element in at.html]
        parts += [f"{element.label} {element.value}" for element in at.metric]
        parts += [element.label for element in at.expander]
        parts += [str(element.value) for element in at.exception]
        return "\n".join(parts)

    @staticmethod
    def ok(at: AppTest) -> AppTest:
        assert not at.exception, [e.value for e in at.exception]
        return at

    def download(self, at: AppTest, key: str) -> bytes:
        """The bytes the download button ``key`` sends when clicked."""
        button = next(b for b in at.get("download_button") if b.key == key)
        file_id = button.proto.deferred_file_id or button.proto.url.rsplit("/", 1)[-1].split(".", 1)[0]
        data = self._downloads[file_id]()
        return data.encode("utf-8") if isinstance(data, str) else data


@pytest.fixture
def captured_downloads(monkeypatch: pytest.MonkeyPatch) -> dict[str, Callable[[], bytes | str]]:
    """What each download button would send, by file id: Streamlit's real media manager, observed.

    A deferred download (data given as a callable) is made only when clicked; the test calls it.
    """
    files: dict[str, Callable[[], bytes | str]] = {}
    add_deferred = MediaFileManager.add_deferred
    load_and_get_id = MemoryMediaFileStorage.load_and_get_id

    def spy_deferred(self, data_callable, *args, **kwargs):
        file_id = add_deferred(self, data_callable, *args, **kwargs)
        files[file_id] = data_callable
        return file_id

    def spy_eager(self, path_or_data, mimetype, kind, filename=None):
        file_id = load_and_get_id(self, path_or_data, mimetype, kind, filename)
        if isinstance(path_or_data, bytes):
            files[file_id] = lambda: path_or_data
        return file_id

    monkeypatch.setattr(MediaFileManager, "add_deferred", spy_deferred)
    monkeypatch.setattr(MemoryMediaFileStorage, "load_and_get_id", spy_eager)
    return files


@pytest.fixture
def pages(captured_downloads: dict[str, Callable[[], bytes | str]]) -> StaffPages:
    return StaffPages(captured_downloads)


@pytest.fixture
def own_index(built_index_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """A writable copy of the session's built index, served through MBC_INDEX_DIR."""
    copy = tmp_path / "own-index"
    shutil.copytree(built_index_dir, copy)
    monkeypatch.setenv("MBC_INDEX_DIR", str(copy))
    return settings_from_env()


@pytest.fixture
def quote_of() -> Callable[..., dict]:
    """A quote dict as ``Answer.to_dict()`` has it, for ``index.texts[doc_id][start:end]``."""
    return _quote_of


def _quote_of(index: idx.Index, doc_id: str, start: int, end: int, score: float = 0.6) -> dict:
    page = index.page(doc_id)
    return {
        "text": index.texts[doc_id][start:end],
        "doc_id": doc_id,
        "path": page.path,
        "title": page.title,
        "publisher": page.publisher,
        "url": page.url,
        "start": start,
        "end": end,
        "score": score,
    }


@pytest.fixture
def unique_sentences() -> Callable[..., list[idx.Sentence]]:
    """Sentences of a page whose text occurs exactly once in it."""
    return _unique_sentences


def _unique_sentences(index: idx.Index, doc_id: str, *, min_chars: int = 60) -> list[idx.Sentence]:
    """Sentences of a page whose text occurs exactly once in it, so a moved quote can be found again."""
    text = index.texts[doc_id]
    found = []
    for sentence in index.sentences:
        piece = text[sentence.start : sentence.end]
        if sentence.doc_id == doc_id and len(piece) >= min_chars and text.count(piece) == 1:
            found.append(sentence)
    return found


@pytest.fixture
def record_answer(isolated_env: Settings) -> Callable[..., int]:
    """Store an answer in the test's audit database; returns its id."""
    log = AuditLog(isolated_env.audit_db)

    def record(question: str, quotes: list[dict], *, status: str = "answered", index_version: str = "v", **kw) -> int:
        answer = Answer(
            question=question,
            status=status,
            message=kw.pop("message", "These passages from the pages answer it:"),
            quotes=tuple(Quote(**quote) for quote in quotes),
            index_version=index_version,
        )
        return log.record(answer, kw.pop("history_len", 0), **kw)

    return record
