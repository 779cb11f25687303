"""Fetch pages from their addresses into a staged candidate, for a person to review and publish.

Each page with an address is fetched under the rules of ``ingest.fetch`` (https, listed hosts, public
addresses, robots.txt, one deadline, a byte cap, a strict content type and charset), its main text
extracted, and judged: too little main text, or text that shares few words with the page it would
replace, is an error or block page and fails. A page that fails keeps its served text. The pages
that changed are written into a staged candidate corpus with its own index (``ingest.stage``),
never into the live corpus: ``python -m ingest publish`` makes them live once someone has read them.
"""

from __future__ import annotations

import re
import urllib.parse
from dataclasses import dataclass, field

import index as idx
from errors import CorpusError, RefreshError
from ingest.build import Progress
from ingest.corpus import SourcePage, page_text, read_corpus
from ingest.fetch import Fetched, Fetcher
from ingest.html import extract_main_text
from ingest.recover import recover
from ingest.stage import PageRefresh, StagedRefresh, clear_stage, compare_texts, stage_candidate
from settings import Settings, settings_from_env

__all__ = ["MIN_MAIN_TEXT_CHARS", "MIN_SHARED_WORDS", "PageRefresh", "RefreshReport", "refresh"]

DEFAULT_TIMEOUT = 15.0
MIN_MAIN_TEXT_CHARS = 200  # less than this is an error, block or consent page, not patient information
MIN_SHARED_WORDS = 0.35  # of the fetched text's distinct words, at least this share must be on the served page
_WORD = re.compile(r"[^\W\d_]{4,}")


@dataclass
class RefreshReport:
    pages: list[PageRefresh] = field(default_factory=list)
    staged: StagedRefresh | None = None
    not_staged: str = ""  # why changed pages could not be staged

    def outcome(self, doc_id: str) -> str:
        return next(page.outcome for page in self.pages if page.doc_id == doc_id)

    def reason(self, doc_id: str) -> str:
        return next(page.reason for page in self.pages if page.doc_id == doc_id)

    def summary(self) -> str:
        lines = []
        for page in self.pages:
            detail = f" — {page.reason}" if page.reason else ""
            lines.append(f"  {page.outcome:<9} {page.doc_id}{detail}")
        text = "Refreshed pages from their addresses:\n" + "\n".join(lines)
        if self.not_staged:
            text += "\n" + self.not_staged
        elif self.staged is not None:
            text += "\n\n" + self.staged.summary(diffs=False)
            text += "\nNothing is live yet. Read what changed with: python -m ingest staged"
        else:
            text += "\nNo page changed; nothing is staged, and the served pages stay as they are."
        return text


def refresh(
    settings: Settings | None = None,
    *,
    timeout: float | None = None,
    progress: Progress | None = None,
    fetcher: Fetcher | None = None,
) -> RefreshReport:
    """Fetch every page that has an address and stage the changed ones for review.

    Args:
        timeout: seconds for one page's whole fetch (default ``MBC_FETCH_TIMEOUT``).
        fetcher: how pages are fetched (the tests pass one that may reach their own server).

    Raises:
        CorpusError: the live corpus itself is bad (checked before anything is fetched).
        BuildInProgressError: another build, refresh or publish is running.
    """
    settings = settings or settings_from_env()
    say = progress or (lambda message: None)
    fetcher = fetcher or Fetcher(
        deadline_s=timeout if timeout is not None else settings.fetch_timeout_s, max_bytes=settings.max_page_bytes
    )
    with idx.build_lock(settings.index_dir):
        recover(settings)
        corpus = read_corpus(settings.corpus_dir, max_page_bytes=settings.max_page_bytes)
        hosts = {host for page in corpus.pages if page.url and (host := _host(page.url))}
        report = RefreshReport()
        new_files: dict[str, bytes] = {}
        for page in corpus.pages:
            if not page.url:
                report.pages.append(PageRefresh(page.doc_id, None, "skipped", "no address is known", page.file.name))
                continue
            say(f"Fetching {page.url}")
            try:
                fetched = fetcher.fetch(page.url, allowed_hosts=hosts, allow_http=page.allow_http)
                data, text = _page_content(page, fetched)
                _check_is_the_page(page, text)
            except RefreshError as exc:
                report.pages.append(PageRefresh(page.doc_id, page.url, "failed", str(exc), page.file.name))
                continue
            if text == page.text:
                report.pages.append(PageRefresh(page.doc_id, page.url, "unchanged", "", page.file.name))
                continue
            share, diff = compare_texts(page.text, text, path=page.path)
            new_files[page.file.name] = data
            report.pages.append(
                PageRefresh(
                    page.doc_id,
                    page.url,
                    "updated",
                    "",
                    page.file.name,
                    change_share=share,
                    held=share > settings.hold_share,
                    diff=diff,
                )
            )
        if not new_files:
            clear_stage(settings)
            return report
        try:
            report.staged = stage_candidate(settings, new_files, report.pages, progress=progress)
        except RefreshError as exc:
            report.not_staged = str(exc)
            clear_stage(settings)  # an earlier candidate is out of date now
    return report


def _host(url: str) -> str | None:
    try:
        return urllib.parse.urlsplit(url).hostname
    except ValueError:
        return None


def _page_content(page: SourcePage, fetched: Fetched) -> tuple[bytes, str]:
    """The page's new file content and its canonical text.

    An HTML page keeps the fetched HTML (as UTF-8); a .txt or .md page gets the extracted text.
    """
    is_html = fetched.content_type in ("text/html", "application/xhtml+xml")
    if page.file.suffix.lower() in (".html", ".htm"):
        if not is_html:
            raise RefreshError(f"the server sent {fetched.content_type} for an HTML page")
        data = fetched.text.encode("utf-8")
        try:
            return data, page_text(page.file, data)
        except CorpusError as exc:
            raise RefreshError(str(exc)) from exc
    text = extract_main_text(fetched.text) if is_html else fetched.text
    if not text.strip():
        raise RefreshError("the fetched page has no main text")
    return text.encode("utf-8"), text


def _check_is_the_page(page: SourcePage, text: str) -> None:
    """An error, block or consent page served with HTTP 200 fails here, not in front of patients."""
    length = len(text.strip())
    if length < MIN_MAIN_TEXT_CHARS:
        raise RefreshError(
            f"the fetched page has only {length} characters of main text (at least {MIN_MAIN_TEXT_CHARS} expected); "
            "it looks like an error or block page"
        )
    fetched_words = {word.lower() for word in _WORD.findall(text)}
    served_words = {word.lower() for word in _WORD.findall(page.text)}
    if fetched_words and served_words:
        shared = len(fetched_words & served_words) / len(fetched_words)
        if shared < MIN_SHARED_WORDS:
            raise RefreshError(
                f"the fetched text is very unlike the served page (only {shared:.0%} of its words are on it); "
                "it looks like an error or block page, or another page"
            )
