"""Read the corpus folder: the pages and their sources manifest, checked before anything is built.

The folder holds pages (``.txt``, ``.md``, ``.html``) and ``sources.json``, a list
of entries ``{"file", "publisher", "title", "url", "seed", ...}`` checked against
``SourceEntry`` (pydantic, unknown fields forbidden; each message names the file, the
entry and the field). A missing or empty ``sources.json`` is an error; a page without
an entry is still read, with a warning and its file name as title; an entry whose
file is missing is an error. Symbolic links are refused (every page is a real file
inside the folder), and so is a page larger than ``max_page_bytes``. Every problem
found is reported at once, each naming its file, and nothing is built from a corpus
that has any.
"""

from __future__ import annotations

import hashlib
import json
import urllib.parse
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from errors import CorpusError
from ingest.html import extract_main_text
from settings import REPO_ROOT

MANIFEST_NAME = "sources.json"
PAGE_SUFFIXES = (".txt", ".md", ".html", ".htm")
DEFAULT_MAX_PAGE_BYTES = 2_000_000
# Left by an interrupted refresh (see ingest.stage); never a page.
_TEMP_MARK = ".refresh-"


class SourceEntry(BaseModel):
    """One sources.json entry, checked: unknown fields and wrong types are errors, not silently kept."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    file: str
    publisher: str = Field(min_length=1)
    title: str = Field(min_length=1)
    seed: str | None = None
    url: str | None = None
    url_confirmed: bool = False
    allow_http: bool = False  # refresh may fetch this page's http:// address (https is the rule)
    note: str = ""
    updated: str | None = None

    @field_validator("file")
    @classmethod
    def _plain_page_name(cls, value: str) -> str:
        if not value.strip() or value != value.strip():
            raise ValueError("must name a page file, without spaces around it")
        if "/" in value or "\\" in value or value in (".", "..") or value.startswith("."):
            raise ValueError("must be a plain file name inside the corpus folder, not a path")
        if not value.lower().endswith(PAGE_SUFFIXES):
            raise ValueError(f"must end in one of {', '.join(PAGE_SUFFIXES)}")
        return value

    @field_validator("publisher", "title")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be blank")
        return value

    @field_validator("url")
    @classmethod
    def _web_address(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if any(ord(ch) < 32 or ord(ch) == 127 for ch in value):
            raise ValueError("must not contain control characters")
        return value or None


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
    allow_http: bool = False  # its sources.json entry lets refresh fetch an http:// address


@dataclass(frozen=True)
class Corpus:
    pages: tuple[SourcePage, ...]
    warnings: tuple[str, ...]


def read_corpus(
    corpus_dir: Path, *, max_page_bytes: int = DEFAULT_MAX_PAGE_BYTES, shown_as: Path | None = None
) -> Corpus:
    """Read and check every page; raise ``CorpusError`` listing all problems found.

    Args:
        corpus_dir: the folder of pages and sources.json.
        max_page_bytes: a page file larger than this is an error (``MBC_MAX_PAGE_BYTES``).
        shown_as: the folder the pages are named by in paths (a staged copy is named as the live corpus).
    """
    if corpus_dir.is_symlink():
        raise CorpusError(
            f"The corpus folder {corpus_dir} is a symbolic link; point MBC_CORPUS_DIR at the real folder."
        )
    if not corpus_dir.is_dir():
        raise CorpusError(f"The corpus folder {corpus_dir} does not exist.")
    shown_dir = shown_as or corpus_dir
    problems: list[str] = []
    warnings: list[str] = []
    listing = _listing(corpus_dir, shown_dir, problems)
    entries = _read_manifest(corpus_dir, shown_dir, problems)
    files = [p for p in listing if _is_page_file(p)]
    if not files:
        raise CorpusError(f"The corpus folder {_shown(shown_dir)} has no pages; add .txt, .md or .html files to it.")
    for name in entries:
        path = corpus_dir / name
        if not path.is_symlink() and not path.is_file():
            problems.append(f"{MANIFEST_NAME} lists {name!r}, but {_shown(shown_dir / name)} does not exist.")

    pages: list[SourcePage] = []
    seen_ids: dict[str, Path] = {}
    seen_texts: dict[str, Path] = {}
    for file in files:
        shown_file = shown_dir / file.name
        doc_id = file.stem
        if doc_id in seen_ids:
            problems.append(
                f"{_shown(shown_file)} and {_shown(shown_dir / seen_ids[doc_id].name)} are the same page name; "
                "rename one."
            )
            continue
        seen_ids[doc_id] = file
        try:
            raw, text = _read_page(file, shown_file, max_page_bytes)
        except CorpusError as exc:
            problems.append(str(exc))
            continue
        text_sha = hashlib.sha256(text.encode("utf-8")).hexdigest()
        if text_sha in seen_texts:
            problems.append(
                f"{_shown(shown_file)} is a duplicate of {_shown(shown_dir / seen_texts[text_sha].name)} (the same text)."
            )
            continue
        seen_texts[text_sha] = file
        pages.append(_source_page(file, shown_file, raw, text, text_sha, entries.get(file.name), warnings))
    if problems:
        listed = "\n".join(f"  - {problem}" for problem in problems)
        raise CorpusError(f"The corpus in {_shown(shown_dir)} cannot be indexed; nothing was changed:\n{listed}")
    return Corpus(tuple(pages), tuple(warnings))


def _listing(corpus_dir: Path, shown_dir: Path, problems: list[str]) -> list[Path]:
    """The folder's entries, sorted; a symbolic link among them is a problem (a page must be the file itself)."""
    try:
        listing = sorted(corpus_dir.iterdir())
    except OSError as exc:
        raise CorpusError(f"The corpus folder {corpus_dir} cannot be listed ({exc.strerror}).") from exc
    for path in listing:
        if path.is_symlink():
            target = "a missing file" if not path.exists() else "another file"
            problems.append(
                f"{_shown(shown_dir / path.name)} is a symbolic link (to {target}); put the page itself in the "
                "corpus folder, or remove the link."
            )
    return listing


def _is_page_file(path: Path) -> bool:
    """A page: a regular file with a page suffix, not the folder's README nor a hidden (temporary) file."""
    return (
        path.suffix.lower() in PAGE_SUFFIXES
        and not path.is_symlink()
        and path.is_file()
        and path.name != "README.md"
        and not path.name.startswith(".")
    )


def _source_page(
    file: Path,
    shown_file: Path,
    raw: bytes,
    text: str,
    text_sha256: str,
    entry: SourceEntry | None,
    warnings: list[str],
) -> SourcePage:
    """The page read from ``file``, described by its ``sources.json`` entry (or by its file name, with a warning)."""
    if entry is None:
        warnings.append(f"{_shown(shown_file)} has no entry in {MANIFEST_NAME}; its file name is used as its title.")
    elif entry.url and urllib.parse.urlsplit(entry.url).scheme.lower() not in ("http", "https"):
        warnings.append(
            f"{MANIFEST_NAME} gives {file.name} the address {entry.url[:60]!r}, which is not a web address; "
            "it is never linked or fetched."
        )
    return SourcePage(
        doc_id=file.stem,
        file=file,
        path=_shown(shown_file),
        title=entry.title if entry else file.name,
        publisher=entry.publisher if entry else "Unknown publisher",
        url=entry.url if entry else None,
        seed=entry.seed if entry else None,
        sha256=hashlib.sha256(raw).hexdigest(),
        text=text,
        text_sha256=text_sha256,
        allow_http=entry.allow_http if entry else False,
    )


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


def _read_page(file: Path, shown: Path, max_page_bytes: int) -> tuple[bytes, str]:
    try:
        size = file.stat().st_size
        if size > max_page_bytes:
            raise CorpusError(
                f"{_shown(shown)} is {size:,} bytes; a page may be at most {max_page_bytes:,} bytes "
                "(MBC_MAX_PAGE_BYTES). Split it, or keep only its main text."
            )
        raw = file.read_bytes()
    except OSError as exc:
        raise CorpusError(f"{_shown(shown)} cannot be read ({exc.strerror}).") from exc
    if len(raw) > max_page_bytes:
        raise CorpusError(f"{_shown(shown)} grew past {max_page_bytes:,} bytes while it was read.")
    return raw, page_text(shown, raw)


def _read_manifest(corpus_dir: Path, shown_dir: Path, problems: list[str]) -> dict[str, SourceEntry]:
    path = corpus_dir / MANIFEST_NAME
    shown = _shown(shown_dir / MANIFEST_NAME)
    if path.is_symlink():
        return {}  # reported with the other links
    if not path.exists():
        problems.append(f"{shown} is missing; describe each page in it (file, publisher, title, url).")
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        problems.append(f"{shown} is not readable JSON ({exc}).")
        return {}
    if not isinstance(data, list):
        problems.append(f"{shown} must be a JSON list of entries, one per page.")
        return {}
    if not data:
        problems.append(f"{shown} lists no pages; describe each page in it (file, publisher, title, url).")
        return {}
    entries: dict[str, SourceEntry] = {}
    for number, raw in enumerate(data, start=1):
        name = raw.get("file") if isinstance(raw, dict) and isinstance(raw.get("file"), str) else None
        where = f"{shown} entry {number}" + (f" ({name})" if name else "")
        if not isinstance(raw, dict):
            problems.append(f"{where} must be an object with file, publisher and title.")
            continue
        try:
            entry = SourceEntry.model_validate(raw)
        except ValidationError as exc:
            problems.extend(_entry_problems(where, exc))
            continue
        if entry.file in entries:
            problems.append(f"{where} lists {entry.file!r} a second time.")
        entries[entry.file] = entry
    return entries


def _entry_problems(where: str, error: ValidationError) -> list[str]:
    """One sentence per schema error: the entry, the field and what is wrong."""
    allowed = ", ".join(SourceEntry.model_fields)
    found = []
    for detail in error.errors(include_url=False):
        field = ".".join(str(part) for part in detail["loc"]) or "entry"
        if detail["type"] == "extra_forbidden":
            found.append(f"{where} has unknown field(s) {field}; allowed: {allowed}.")
        elif detail["type"] == "missing":
            found.append(f'{where} needs a "{field}".')
        else:
            message = detail["msg"].removeprefix("Value error, ")
            found.append(f'{where}, field "{field}": {message} (found {detail.get("input")!r:.60}).')
    return found


def _shown(path: Path) -> str:
    """A path as people see it: relative to the repository when inside it (a link is named, not followed)."""
    try:
        return (path.parent.resolve() / path.name).relative_to(REPO_ROOT).as_posix()
    except (ValueError, OSError):
        return str(path)
