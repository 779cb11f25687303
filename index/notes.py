"""What a version knows about its pages besides their text: stated dates, and which sentences agree.

Two small JSON files sit in each version folder beside the manifest, written with the version
(``notes_files``) and read back by ``read_notes``:

- ``page_dates.json``: ``{doc_id: "YYYY-MM-DD"}``, the date a page itself says it was updated
  (``"updated"`` in ``corpus/sources.json``, taken from the page's own text).
- ``agreement.json``: pairs of sentences on different pages that say the same thing, found at
  build time (``ingest.agreement``), with the rule that found them.
- ``captured.json``: ``{doc_id: {"text_sha256", "date"}}``, the day this text of the page first
  entered the index, carried from version to version while the text stays the same (a full
  rebuild keeps it too); shown as the page's date when the page states none.

A version written before these files existed has neither: ``read_notes`` then returns empty
notes, and the next build writes them.

>>> notes = read_notes(index)
>>> notes.echoes(sentence_ids=[12, 13])   # other pages saying what sentences 12 and 13 say
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

PAGE_DATES_FILE = "page_dates.json"
AGREEMENT_FILE = "agreement.json"
CAPTURED_FILE = "captured.json"
NOTES_FORMAT = 1


@dataclass(frozen=True)
class Echo:
    """A sentence on another page that says what one of ours says.

    ``figures_differ`` is set when both give numbers and the numbers are not the same.
    """

    sentence_id: int  # the other page's sentence
    doc_id: str
    start: int
    end: int
    similarity: float
    figures_differ: bool


@dataclass(frozen=True)
class AgreementRule:
    """How pairs were chosen: cosine at least ``threshold`` and ``min_shared_words`` content words in common."""

    threshold: float
    min_shared_words: int


@dataclass
class Notes:
    """One version's page dates and agreeing sentence pairs."""

    page_dates: dict[str, str] = field(default_factory=dict)
    captured: dict[str, str] = field(default_factory=dict)  # doc_id -> "YYYY-MM-DD"
    rule: AgreementRule | None = None
    # sentence id -> the other pages' sentences agreeing with it, most similar first
    pairs: dict[int, list[Echo]] = field(default_factory=dict)

    def echoes(self, sentence_ids: list[int] | range, *, exclude_doc: str | None = None) -> list[Echo]:
        """The other pages' sentences agreeing with any of ``sentence_ids``: one per page, most similar first."""
        best: dict[str, Echo] = {}
        for sentence_id in sentence_ids:
            for echo in self.pairs.get(int(sentence_id), []):
                if echo.doc_id == exclude_doc:
                    continue
                if echo.doc_id not in best or echo.similarity > best[echo.doc_id].similarity:
                    best[echo.doc_id] = echo
        return sorted(best.values(), key=lambda e: -e.similarity)


def notes_files(
    page_dates: dict[str, str],
    rule: AgreementRule,
    pairs: list[tuple[int, int, float, bool]],
    captured: dict[str, dict[str, str]],
) -> dict[str, bytes]:
    """The files' bytes, ready for ``write_version(extra_files=...)``.

    ``pairs`` as (a, b, cosine, differ); ``captured`` as ``{doc_id: {"text_sha256", "date"}}``.
    """
    agreement = {
        "format": NOTES_FORMAT,
        "threshold": rule.threshold,
        "min_shared_words": rule.min_shared_words,
        "pairs": [[int(a), int(b), round(float(s), 4), bool(d)] for a, b, s, d in sorted(pairs)],
    }
    return {
        PAGE_DATES_FILE: json.dumps(dict(sorted(page_dates.items())), indent=1).encode("utf-8"),
        AGREEMENT_FILE: json.dumps(agreement).encode("utf-8"),
        CAPTURED_FILE: json.dumps(dict(sorted(captured.items())), indent=1).encode("utf-8"),
    }


def has_notes(index_dir: Path, version: str) -> bool:
    """Whether a version holds both notes files (versions built before they existed do not)."""
    from index.store import _versions_dir

    folder = _versions_dir(index_dir) / version
    return all((folder / name).is_file() for name in (PAGE_DATES_FILE, AGREEMENT_FILE, CAPTURED_FILE))


def read_captured(index_dir: Path) -> dict[str, dict[str, str]]:
    """The served version's ``captured.json`` (``{}`` when there is none), for the next build to carry on."""
    from index.store import _versions_dir, current_version

    try:
        version = current_version(index_dir)
        if version is None:
            return {}
        data = json.loads((_versions_dir(index_dir) / version / CAPTURED_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict):
        return {}
    return {
        str(doc_id): {"text_sha256": str(entry["text_sha256"]), "date": str(entry["date"])}
        for doc_id, entry in data.items()
        if isinstance(entry, dict) and "text_sha256" in entry and "date" in entry
    }


def read_notes(index) -> Notes:
    """The notes of a loaded ``Index``; empty notes when the version has none or they are unreadable.

    Notes only add to what a quote shows, so a missing or damaged file never stops an answer.
    """
    root: Path = index.path
    notes = Notes()
    try:
        dates = json.loads((root / PAGE_DATES_FILE).read_text(encoding="utf-8"))
        notes.page_dates = {str(k): str(v) for k, v in dates.items() if k in index.texts}
    except (OSError, ValueError, AttributeError):
        pass
    try:
        captured = json.loads((root / CAPTURED_FILE).read_text(encoding="utf-8"))
        notes.captured = {str(k): str(v["date"]) for k, v in captured.items() if k in index.texts}
    except (OSError, ValueError, AttributeError, KeyError, TypeError):
        pass
    try:
        data = json.loads((root / AGREEMENT_FILE).read_text(encoding="utf-8"))
        if data.get("format") != NOTES_FORMAT:
            return notes
        notes.rule = AgreementRule(float(data["threshold"]), int(data["min_shared_words"]))
        columns = index.sentences.columns
        doc_ids = index.sentences.doc_ids
        count = len(index.sentences)
        for a, b, similarity, differ in data["pairs"]:
            if not (0 <= a < count and 0 <= b < count):
                continue
            for mine, other in ((a, b), (b, a)):
                doc, start, end = columns[:3, other].tolist()
                echo = Echo(int(other), doc_ids[doc], int(start), int(end), float(similarity), bool(differ))
                notes.pairs.setdefault(int(mine), []).append(echo)
        for echoes in notes.pairs.values():
            echoes.sort(key=lambda e: -e.similarity)
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        notes.pairs, notes.rule = {}, None
    return notes
