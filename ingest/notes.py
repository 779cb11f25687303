"""The notes a version carries beside its text (``index.notes``): page dates and agreeing sentences."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from index import VersionContent, notes_files, read_captured
from ingest.agreement import RULE, agreeing_pairs
from ingest.corpus import MANIFEST_NAME


def stated_dates(corpus_dir: Path, doc_ids: set[str]) -> dict[str, str]:
    """``{doc_id: "YYYY-MM-DD"}`` for pages whose ``sources.json`` entry gives the date the page states.

    ``read_corpus`` has already checked the file; an entry whose date is not a real date is left out.
    """
    try:
        entries = json.loads((corpus_dir / MANIFEST_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    dates: dict[str, str] = {}
    for entry in entries if isinstance(entries, list) else []:
        if not isinstance(entry, dict) or not isinstance(entry.get("file"), str):
            continue
        doc_id = Path(entry["file"]).stem
        try:
            stated = date.fromisoformat(str(entry.get("updated") or ""))
        except ValueError:
            continue
        if doc_id in doc_ids:
            dates[doc_id] = stated.isoformat()
    return dates


def captured_dates(content: VersionContent, earlier: dict[str, dict[str, str]]) -> dict[str, dict[str, str]]:
    """Each page's capture day: kept from ``earlier`` while its text is the same, else the day it changed."""
    captured = {}
    for page in content.pages:
        before = earlier.get(page.doc_id)
        if before and before["text_sha256"] == page.text_sha256:
            captured[page.doc_id] = before
        else:
            captured[page.doc_id] = {"text_sha256": page.text_sha256, "date": page.changed_at[:10]}
    return captured


def version_notes(content: VersionContent, corpus_dir: Path, index_dir: Path) -> dict[str, bytes]:
    """The notes files for ``content``, built from the corpus in ``corpus_dir`` and the served version's notes."""
    return notes_files(
        stated_dates(corpus_dir, set(content.texts)),
        RULE,
        agreeing_pairs(content),
        captured_dates(content, read_captured(index_dir)),
    )
