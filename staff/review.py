"""What the reviewer and maintainer pages compute: stale citations, highlighted pages, CSV export.

A stored quote was verbatim ``page_text[start:end]`` in the index version that answered. After a
re-index the page may have changed: the quote is *stale* when those offsets in the current index no
longer hold its text (it moved, or it is gone from the page, or the page left the index).
"""

from __future__ import annotations

import csv
import html
import io
from collections.abc import Iterable
from dataclasses import dataclass

from audit import CitedSpan, StoredAnswer, StoredQuote

__all__ = [
    "CURRENT",
    "EXPORT_COLUMNS",
    "GONE",
    "MOVED",
    "PAGE_REMOVED",
    "CitationCheck",
    "check_citation",
    "export_csv",
    "highlight_html",
    "stale_count",
]

CURRENT = "current"  # the quote's text is still at its offsets
MOVED = "moved"  # the text is still in the page, at other offsets
GONE = "gone"  # the text is no longer anywhere in the page
PAGE_REMOVED = "page_removed"  # the page is no longer indexed

_DESCRIPTIONS = {
    CURRENT: "Current: the quoted text is still at these offsets in the served index.",
    MOVED: "Stale: the page changed and the quoted text is now at other offsets.",
    GONE: "Stale: the page changed and no longer contains the quoted text.",
    PAGE_REMOVED: "Stale: the page is no longer in the index.",
}


@dataclass(frozen=True)
class CitationCheck:
    """A stored quote checked against the served index; ``start``/``end`` locate its text there, if found."""

    state: str
    page_text: str | None  # the page as the served index holds it (None when removed)
    start: int | None
    end: int | None

    @property
    def stale(self) -> bool:
        return self.state != CURRENT

    @property
    def description(self) -> str:
        return _DESCRIPTIONS[self.state]


def check_citation(quote: StoredQuote | CitedSpan, texts: dict[str, str]) -> CitationCheck:
    """Check ``quote`` against the served index's page texts (``index.texts``)."""
    page = texts.get(quote.doc_id)
    if page is None:
        return CitationCheck(PAGE_REMOVED, None, None, None)
    if page[quote.start : quote.end] == quote.text:
        return CitationCheck(CURRENT, page, quote.start, quote.end)
    found = page.find(quote.text) if quote.text else -1
    if found < 0:
        return CitationCheck(GONE, page, None, None)
    # Several occurrences: the one nearest the old offsets is most likely the same passage.
    best = found
    while found >= 0:
        if abs(found - quote.start) < abs(best - quote.start):
            best = found
        found = page.find(quote.text, found + 1)
    return CitationCheck(MOVED, page, best, best + len(quote.text))


def stale_count(quotes: Iterable[StoredQuote | CitedSpan], texts: dict[str, str]) -> int:
    """How many of ``quotes`` are stale against the served page texts."""
    return sum(check_citation(quote, texts).stale for quote in quotes)


def highlight_html(text: str, start: int | None, end: int | None) -> str:
    """``text`` as escaped HTML, line breaks kept, with ``text[start:end]`` inside ``<mark>``.

    Nothing from ``text`` is ever interpreted as HTML or Markdown: every character is escaped and
    the only markup is the ``<mark>`` and ``<br>`` this function adds.
    """

    def escape(part: str) -> str:
        return html.escape(part, quote=True).replace("\r\n", "\n").replace("\n", "<br>")

    if start is None or end is None or not 0 <= start <= end <= len(text):
        return escape(text)
    return f'{escape(text[:start])}<mark id="quote">{escape(text[start:end])}</mark>{escape(text[end:])}'


EXPORT_COLUMNS = (
    "answer_id",
    "answered_at",
    "question",
    "history_len",
    "status",
    "message",
    "reason",
    "index_version",
    "helpful",
    "feedback_at",
    "quote_id",
    "quote_position",
    "doc_id",
    "title",
    "publisher",
    "url",
    "start",
    "end",
    "quote_text",
    "score",
    "citation_state",
    "verdict",
    "comment",
    "reviewer",
    "verdict_at",
)


def _cell(value: object) -> object:
    """Spreadsheets run a cell starting with = + - @ as a formula; a leading ' keeps it as text."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def export_csv(answers: Iterable[StoredAnswer], texts: dict[str, str] | None = None) -> str:
    """Answers and verdicts as CSV: one row per quote (a quoteless answer gets one row).

    ``texts`` (the served index's page texts) fills ``citation_state``; without it the column is empty.
    """
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(EXPORT_COLUMNS)
    for answer in answers:
        helpful = "" if answer.helpful is None else ("yes" if answer.helpful else "no")
        head = [
            answer.id,
            answer.created_at,
            answer.question,
            answer.history_len,
            answer.status,
            answer.message,
            answer.reason,
            answer.index_version,
            helpful,
            answer.feedback_at or "",
        ]
        if not answer.quotes:
            writer.writerow([_cell(v) for v in head + [""] * (len(EXPORT_COLUMNS) - len(head))])
        for quote in answer.quotes:
            verdict = quote.verdict
            state = check_citation(quote, texts).state if texts is not None else ""
            row = [
                *head,
                quote.id,
                quote.position,
                quote.doc_id,
                quote.title,
                quote.publisher,
                quote.url or "",
                quote.start,
                quote.end,
                quote.text,
                f"{quote.score:.4f}",
                state,
                verdict.verdict if verdict else "",
                verdict.comment if verdict else "",
                verdict.reviewer if verdict else "",
                verdict.created_at if verdict else "",
            ]
            writer.writerow([_cell(v) for v in row])
    return out.getvalue()
