"""Fetch pages from their addresses and re-index the ones whose text changed.

Each page with an address is fetched, its main text extracted, and compared
with the page's current canonical text. A changed page's file is replaced
atomically; a page that fails (HTTP error, time-out, no text) is left exactly as
it was. One build then re-indexes whatever changed.
"""

from __future__ import annotations

import os
import socket
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import index as idx
from ingest.build import BuildReport, Progress, build
from ingest.corpus import SourcePage, page_text, read_corpus
from ingest.html import extract_main_text

DEFAULT_TIMEOUT = 15.0
_USER_AGENT = "mbc-quotes-refresh/1.0 (patient-information index)"


@dataclass(frozen=True)
class PageRefresh:
    doc_id: str
    url: str | None
    outcome: str  # "updated" | "unchanged" | "failed" | "skipped"
    reason: str = ""


@dataclass
class RefreshReport:
    pages: list[PageRefresh] = field(default_factory=list)
    build: BuildReport | None = None

    def outcome(self, doc_id: str) -> str:
        return next(page.outcome for page in self.pages if page.doc_id == doc_id)

    def summary(self) -> str:
        lines = []
        for page in self.pages:
            detail = f" — {page.reason}" if page.reason else ""
            lines.append(f"  {page.outcome:<9} {page.doc_id}{detail}")
        text = "Refreshed pages from their addresses:\n" + "\n".join(lines)
        if self.build is not None:
            text += "\n" + self.build.summary()
        return text


def refresh(
    settings: idx.Settings | None = None, *, timeout: float = DEFAULT_TIMEOUT, progress: Progress | None = None
) -> RefreshReport:
    """Fetch every page that has an address; update and re-index the changed ones.

    Raises:
        CorpusError: the corpus itself is bad (checked before anything is fetched).
        BuildInProgressError: another build is running when the re-index starts.
    """
    settings = settings or idx.settings_from_env()
    say = progress or (lambda message: None)
    corpus = read_corpus(settings.corpus_dir)
    report = RefreshReport()
    for page in corpus.pages:
        if not page.url:
            report.pages.append(PageRefresh(page.doc_id, None, "skipped", "no address is known"))
            continue
        say(f"Fetching {page.url}")
        try:
            data, text = _fetch(page, timeout)
        except idx.RefreshError as exc:
            report.pages.append(PageRefresh(page.doc_id, page.url, "failed", str(exc)))
            continue
        if text == page.text:
            report.pages.append(PageRefresh(page.doc_id, page.url, "unchanged"))
            continue
        _replace_file(page.file, data)
        report.pages.append(PageRefresh(page.doc_id, page.url, "updated"))
    if any(page.outcome == "updated" for page in report.pages):
        report.build = build(settings, progress=progress)
    return report


def _fetch(page: SourcePage, timeout: float) -> tuple[bytes, str]:
    """The page's new file content and its canonical text.

    An HTML page keeps the fetched HTML; a .txt or .md page gets the extracted text.
    """
    request = urllib.request.Request(page.url, headers={"User-Agent": _USER_AGENT})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            raw = response.read()
            charset = response.headers.get_content_charset() or "utf-8"
            content_type = response.headers.get_content_type()
    except urllib.error.HTTPError as exc:
        raise idx.RefreshError(f"the server answered HTTP {exc.code} {exc.reason}") from exc
    except TimeoutError as exc:
        raise idx.RefreshError(f"no answer within {timeout:g} s") from exc
    except urllib.error.URLError as exc:
        if isinstance(exc.reason, TimeoutError | socket.timeout):
            raise idx.RefreshError(f"no answer within {timeout:g} s") from exc
        raise idx.RefreshError(f"the address could not be reached ({exc.reason})") from exc
    except (OSError, ValueError) as exc:
        raise idx.RefreshError(f"the page could not be fetched ({exc})") from exc
    if page.file.suffix.lower() in (".html", ".htm"):
        try:
            return raw, page_text(page.file, raw)
        except idx.CorpusError as exc:
            raise idx.RefreshError(str(exc)) from exc
    decoded = raw.decode(charset, errors="replace")
    text = extract_main_text(decoded) if content_type in ("text/html", "application/xhtml+xml") else decoded
    if not text.strip():
        raise idx.RefreshError("the fetched page has no main text")
    return text.encode("utf-8"), text


def _replace_file(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.refresh-{os.getpid()}")
    with open(tmp, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)
