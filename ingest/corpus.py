"""Read the corpus folder: the pages and their sources manifest, checked before anything is built.

The folder holds pages (``.txt``, ``.md``, ``.html``) and ``sources.json``, a list
of entries ``{"file", "publisher", "title", "url", "seed", ...}``. A page without
an entry is still read, with a warning and its file name as title; an entry whose
file is missing is an error. Every problem found is reported at once, each naming
its file, and nothing is built from a corpus that has any.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from index import REPO_ROOT, CorpusError
from ingest.html import extract_main_text

MANIFEST_NAME = "sources.json"
PAGE_SUFFIXES = (".txt", ".md", ".html", ".htm")
_ENTRY_FIELDS = {"file", "seed", "publisher", "title", "url", "url_confirmed", "note", "updated"}


@dataclass(frozen=True)
class SourcePage:
    """One page as read from the corpus, with its canonical text."""

    doc_id: str  # the file name without its suffix
    file: Path
    path: str  # shown to users and stored in quotes: relative to the repository when inside it
    title: str
    publisher: str
    url: str | None
    seed: str | None
    sha256: str  # of the file's bytes
    text: str  # the canonical text: the file itself for .txt/.md, the extracted main text for HTML
    text_sha256: str


@dataclass(frozen=True)
class Corpus:
    pages: tuple[SourcePage, ...]
    warnings: tuple[str, ...]


def read_corpus(corpus_dir: Path) -> Corpus:
    """Read and check every page; raise ``CorpusError`` listing all problems found."""
    if not corpus_dir.is_dir():
        raise CorpusError(f"The corpus folder {corpus_dir} does not exist.")
    problems: list[str] = []
    warnings: list[str] = []
    entries = _read_manifest(corpus_dir, problems)
    files = sorted(p for p in corpus_dir.iterdir() if p.is_file() and p.suffix.lower() in PAGE_SUFFIXES)
    files = [p for p in files if p.name != "README.md" and not p.name.startswith(".")]

    if not files:
        raise CorpusError(f"The corpus folder {_shown(corpus_dir)} has no pages; add .txt, .md or .html files to it.")
    for name in entries:
        if not (corpus_dir / name).is_file():
            problems.append(f"{MANIFEST_NAME} lists {name!r}, but {_shown(corpus_dir / name)} does not exist.")

    pages: list[SourcePage] = []
    seen_ids: dict[str, Path] = {}
    seen_texts: dict[str, Path] = {}
    for file in files:
        doc_id = file.stem
        if doc_id in seen_ids:
            problems.append(f"{_shown(file)} and {_shown(seen_ids[doc_id])} are the same page name; rename one.")
            continue
        seen_ids[doc_id] = file
        try:
            raw, text = _read_page(file)
        except CorpusError as exc:
            problems.append(str(exc))
            continue
        text_sha = hashlib.sha256(text.encode("utf-8")).hexdigest()
        if text_sha in seen_texts:
            problems.append(f"{_shown(file)} is a duplicate of {_shown(seen_texts[text_sha])} (the same text).")
            continue
        seen_texts[text_sha] = file
        entry = entries.get(file.name)
        if entry is None:
            warnings.append(f"{_shown(file)} has no entry in {MANIFEST_NAME}; its file name is used as its title.")
            entry = {}
        pages.append(
            SourcePage(
                doc_id=doc_id,
                file=file,
                path=_shown(file),
                title=entry.get("title") or file.name,
                publisher=entry.get("publisher") or "Unknown publisher",
                url=entry.get("url") or None,
                seed=entry.get("seed"),
                sha256=hashlib.sha256(raw).hexdigest(),
                text=text,
                text_sha256=text_sha,
            )
        )
    if problems:
        listed = "\n".join(f"  - {problem}" for problem in problems)
        raise CorpusError(f"The corpus in {_shown(corpus_dir)} cannot be indexed; nothing was changed:\n{listed}")
    return Corpus(tuple(pages), tuple(warnings))


def page_text(file: Path, raw: bytes) -> str:
    """The canonical text of a page's bytes: decoded as-is, or extracted from HTML."""
    if b"\x00" in raw:
        raise CorpusError(f"{_shown(file)} is a binary file, not a text page.")
    try:
        decoded = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise CorpusError(
            f"{_shown(file)} is not valid UTF-8 (byte 0x{raw[exc.start]:02x} at position {exc.start}); "
            "save it as UTF-8."
        ) from exc
    text = extract_main_text(decoded) if file.suffix.lower() in (".html", ".htm") else decoded
    if not text.strip():
        what = "has no main text that could be extracted" if file.suffix.lower() in (".html", ".htm") else "is empty"
        raise CorpusError(f"{_shown(file)} {what}.")
    return text


def _read_page(file: Path) -> tuple[bytes, str]:
    try:
        raw = file.read_bytes()
    except OSError as exc:
        raise CorpusError(f"{_shown(file)} cannot be read ({exc.strerror}).") from exc
    return raw, page_text(file, raw)


def _read_manifest(corpus_dir: Path, problems: list[str]) -> dict[str, dict]:
    path = corpus_dir / MANIFEST_NAME
    if not path.exists():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        problems.append(f"{_shown(path)} is not readable JSON ({exc}).")
        return {}
    if not isinstance(data, list):
        problems.append(f"{_shown(path)} must be a JSON list of entries, one per page.")
        return {}
    entries: dict[str, dict] = {}
    for number, entry in enumerate(data, start=1):
        where = f"{_shown(path)} entry {number}"
        if not isinstance(entry, dict) or not isinstance(entry.get("file"), str) or not entry["file"].strip():
            problems.append(f'{where} needs a "file" naming a page in the corpus folder.')
            continue
        unknown = sorted(set(entry) - _ENTRY_FIELDS)
        if unknown:
            problems.append(
                f"{where} ({entry['file']}) has unknown field(s) {', '.join(unknown)}; "
                f"allowed: {', '.join(sorted(_ENTRY_FIELDS))}."
            )
        if entry["file"] in entries:
            problems.append(f"{where} lists {entry['file']!r} a second time.")
        entries[entry["file"]] = entry
    return entries


def _shown(path: Path) -> str:
    """A path as people see it: relative to the repository when inside it."""
    try:
        return path.resolve().relative_to(REPO_ROOT).as_posix()
    except ValueError:
        return str(path)
