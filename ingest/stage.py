"""Refreshed pages wait in a staged candidate until a person publishes them.

``python -m ingest refresh`` never touches the live corpus or the served index. It writes a complete
candidate into the staging folder (``MBC_STAGE_DIR``, default ``staged/`` beside the index)::

    candidate/
        corpus/        the live corpus, with the refreshed pages in place
        index/         an index built from it (incrementally, from a copy of the served version)
        review.json    what changed, page by page: the outcome, a diff, the share of text changed,
                       whether it is held; and what the candidate was made from

The maintainer reads it (``python -m ingest staged``, the Maintainer page, which also shows the
citations the candidate would make stale and its evaluation beside the served index's), then
publishes it (``python -m ingest publish``) or discards it (``python -m ingest discard``). A page
whose text changed by more than ``MBC_HOLD_SHARE`` is held: publish names it and refuses until it
is approved by name (``--approve DOC_ID``).

Publishing copies the candidate's index version into the live index, then (see ``ingest.recover``)
records a journal and carries it out: the pages are copied into the live corpus and the version is
served, in one atomic switch of the index. A publish that fails before the journal leaves everything
live as it was; one killed after it is finished by the next command.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import os
import re
import shutil
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

import index as idx
from errors import CorpusError, IndexUnavailableError, RefreshError, StorageError
from ingest.build import BuildReport, build_locked
from ingest.corpus import MANIFEST_NAME, PAGE_SUFFIXES
from ingest.recover import CANDIDATE, TMP_PREFIX, finish_publish, recover, write_journal
from settings import Settings, settings_from_env

Progress = Callable[[str], None]
REVIEW = "review.json"
MAX_DIFF_LINES = 400
_WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class PageRefresh:
    """One page's refresh: ``outcome`` is "updated", "unchanged", "failed" or "skipped"."""

    doc_id: str
    url: str | None
    outcome: str
    reason: str = ""
    file: str = ""
    change_share: float = 0.0  # share of words removed or added (0 the same words, 1 none in common)
    held: bool = False  # changed beyond the hold share: published only when approved by name
    diff: str = ""  # a unified diff of the served text and the staged one


@dataclass(frozen=True)
class StagedRefresh:
    """A candidate corpus and index waiting for a maintainer."""

    created_at: str
    base_fingerprint: str  # of the live corpus it was made from
    base_version: str | None  # the index version served then
    candidate_version: str
    hold_share: float
    pages: tuple[PageRefresh, ...]
    folder: Path
    warnings: tuple[str, ...] = ()

    @property
    def corpus_dir(self) -> Path:
        return self.folder / "corpus"

    @property
    def index_dir(self) -> Path:
        return self.folder / "index"  # the same folder as Settings.candidate_index_dir

    @property
    def updated(self) -> list[PageRefresh]:
        return [page for page in self.pages if page.outcome == "updated"]

    @property
    def held(self) -> list[str]:
        return [page.doc_id for page in self.pages if page.held]

    def summary(self, *, diffs: bool = True) -> str:
        """What ``python -m ingest staged`` prints: each changed page, its diff, and what publishing needs."""
        lines = [
            f"Staged refresh of {self.created_at} (candidate index {self.candidate_version}, "
            f"made from served version {self.base_version or 'none'}):"
        ]
        for page in self.pages:
            share = f", {page.change_share:.0%} of its text changed" if page.outcome == "updated" else ""
            hold = f" — HELD: changed more than {self.hold_share:.0%}; publish with --approve {page.doc_id}"
            detail = f" — {page.reason}" if page.reason else ""
            lines.append(f"  {page.outcome:<9} {page.doc_id}{share}{detail}{hold if page.held else ''}")
        for warning in self.warnings:
            lines.append(f"Warning: {warning}")
        if diffs:
            for page in self.updated:
                lines += ["", f"--- what changed in {page.doc_id} ---", page.diff or "(only spacing changed)"]
        lines.append("")
        lines.append(
            "The citations it would make stale, and its evaluation beside the served index's: "
            "python -m staff.candidate --eval FILE"
        )
        held = self.held
        lines.append(
            "Publish with: python -m ingest publish"
            + "".join(f" --approve {doc_id}" for doc_id in held)
            + "   Discard with: python -m ingest discard"
        )
        return "\n".join(lines)

    def to_dict(self) -> dict:
        data = asdict(self)
        data["pages"] = [asdict(page) for page in self.pages]
        data["warnings"] = list(self.warnings)
        data.pop("folder")
        return data


@dataclass
class PublishReport:
    version: str
    previous_version: str | None
    pages: list[str] = field(default_factory=list)  # the page files written into the live corpus
    removed: list[str] = field(default_factory=list)
    approved: list[str] = field(default_factory=list)

    def summary(self) -> str:
        written = ", ".join(self.pages) or "none"
        text = f"Published: now serving index version {self.version} (was {self.previous_version or 'none'}).\n"
        text += f"  pages written: {written}"
        if self.removed:
            text += f"\n  pages removed: {', '.join(self.removed)}"
        if self.approved:
            text += f"\n  approved despite large changes: {', '.join(self.approved)}"
        return text


# --- reading the live corpus and the stage ----------------------------------------------------------


def corpus_files(corpus_dir: Path) -> list[Path]:
    """The files a corpus consists of: its pages and sources.json (no hidden or temporary files, no links)."""
    if not corpus_dir.is_dir():
        return []
    return sorted(
        p
        for p in corpus_dir.iterdir()
        if not p.name.startswith(".")
        and not p.is_symlink()
        and p.is_file()
        and (p.name == MANIFEST_NAME or p.suffix.lower() in PAGE_SUFFIXES)
    )


def fingerprint(corpus_dir: Path) -> str:
    """One hash of every corpus file's name and bytes: equal exactly when the corpus is unchanged."""
    digest = hashlib.sha256()
    for path in corpus_files(corpus_dir):
        digest.update(path.name.encode("utf-8") + b"\0" + hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def read_staged(settings: Settings) -> StagedRefresh | None:
    """The staged candidate, or None when nothing is staged."""
    folder = settings.staging_dir / CANDIDATE
    path = folder / REVIEW
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        pages = tuple(PageRefresh(**page) for page in data.pop("pages"))
        warnings = tuple(data.pop("warnings", ()))
        return StagedRefresh(**data, pages=pages, folder=folder, warnings=warnings)
    except (OSError, ValueError, TypeError, KeyError) as exc:
        raise RefreshError(
            f"The staged refresh in {folder} cannot be read ({exc}); discard it with: python -m ingest discard"
        ) from exc


def compare_texts(old: str, new: str, *, path: str) -> tuple[float, str]:
    """The share of the old text's words that changed, and a readable unified diff (capped)."""
    old_words, new_words = _WORD.findall(old.lower()), _WORD.findall(new.lower())
    matcher = difflib.SequenceMatcher(None, old_words, new_words, autojunk=False)
    # Words removed and words added both count: 0 for the same words, 1 for none in common.
    share = 1.0 - matcher.ratio() if old_words or new_words else 0.0
    lines = list(
        difflib.unified_diff(
            old.splitlines(), new.splitlines(), fromfile=f"{path} (served)", tofile=f"{path} (staged)", n=1, lineterm=""
        )
    )
    if len(lines) > MAX_DIFF_LINES:
        lines = [*lines[:MAX_DIFF_LINES], f"... {len(lines) - MAX_DIFF_LINES} more diff lines not shown"]
    return max(0.0, min(1.0, share)), "\n".join(lines)


# --- staging -------------------------------------------------------------------------------------------


def stage_candidate(
    settings: Settings,
    new_files: dict[str, bytes],
    pages: list[PageRefresh],
    *,
    progress: Progress | None = None,
) -> StagedRefresh:
    """Write the candidate: the live corpus with ``new_files`` in place, and its index. Live files are not touched.

    The caller holds the live index's build lock. A new candidate replaces an earlier one whole.

    Raises:
        RefreshError: the candidate corpus is bad (e.g. two pages now have the same text); nothing is staged.
    """
    say = progress or (lambda message: None)
    stage = settings.staging_dir
    stage.mkdir(parents=True, exist_ok=True)
    base = fingerprint(settings.corpus_dir)
    served = idx.current_version(settings.index_dir)
    tmp = stage / f"{TMP_PREFIX}{os.getpid()}-candidate"
    shutil.rmtree(tmp, ignore_errors=True)
    try:
        corpus = tmp / "corpus"
        corpus.mkdir(parents=True)
        for path in corpus_files(settings.corpus_dir):
            shutil.copyfile(path, corpus / path.name)
        for name, data in new_files.items():
            (corpus / name).write_bytes(data)
        candidate_index = tmp / "index"
        if served is not None:
            idx.import_version(candidate_index, settings.index_dir, served)
            idx.switch_to(candidate_index, served, keep_versions=2)
        candidate = replace(settings, corpus_dir=corpus, index_dir=candidate_index, keep_versions=2)
        say("Building the candidate index from the staged pages")
        try:
            with idx.build_lock(candidate_index):
                report: BuildReport = build_locked(candidate, progress=progress, shown_as=settings.corpus_dir)
        except CorpusError as exc:
            raise RefreshError(
                f"The refreshed pages were not staged, because together they are not a corpus that can be "
                f"indexed; the live pages are unchanged.\n{exc}"
            ) from exc
        version = report.version or report.previous_version
        if version is None:
            raise RefreshError("The candidate index was not built; the live pages are unchanged.")
        staged = StagedRefresh(
            created_at=datetime.now(UTC).isoformat(timespec="seconds"),
            base_fingerprint=base,
            base_version=served,
            candidate_version=version,
            hold_share=settings.hold_share,
            pages=tuple(pages),
            folder=stage / CANDIDATE,
            warnings=tuple(report.warnings),
        )
        (tmp / REVIEW).write_text(json.dumps(staged.to_dict(), indent=2), encoding="utf-8")
        _swap_in(stage, tmp)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return staged


def _swap_in(stage: Path, tmp: Path) -> None:
    """Make ``tmp`` the candidate; an earlier candidate goes. A kill between the renames leaves none staged."""
    current = stage / CANDIDATE
    if current.exists():
        old = stage / f"{TMP_PREFIX}{os.getpid()}-replaced"
        os.rename(current, old)
        shutil.rmtree(old, ignore_errors=True)
    os.rename(tmp, current)


def clear_stage(settings: Settings) -> bool:
    """Remove the staged candidate (the caller holds the lock); whether there was one."""
    current = settings.staging_dir / CANDIDATE
    if not current.exists():
        return False
    doomed = settings.staging_dir / f"{TMP_PREFIX}{os.getpid()}-discarded"
    os.rename(current, doomed)
    shutil.rmtree(doomed, ignore_errors=True)
    return True


# --- the maintainer's commands ---------------------------------------------------------------------------


def staged(settings: Settings | None = None) -> StagedRefresh | None:
    """The staged candidate after clearing leftovers and finishing an interrupted publish."""
    settings = settings or settings_from_env()
    with idx.build_lock(settings.index_dir):
        recover(settings)
        return read_staged(settings)


def discard(settings: Settings | None = None) -> bool:
    """Throw the staged candidate away; the live corpus and index are untouched. Whether there was one."""
    settings = settings or settings_from_env()
    with idx.build_lock(settings.index_dir):
        recover(settings)
        return clear_stage(settings)


def publish(
    settings: Settings | None = None, *, approve: Iterable[str] = (), progress: Progress | None = None
) -> PublishReport:
    """Make the staged candidate live: its pages in the corpus, its index version served.

    Args:
        approve: doc ids of held pages (changed beyond the hold share) that a person has read and accepts.

    Raises:
        RefreshError: nothing is staged, a held page is not approved, or the live corpus or index changed
            since the candidate was staged; nothing live was changed.
    """
    settings = settings or settings_from_env()
    say = progress or (lambda message: None)
    approved = set(approve)
    with idx.build_lock(settings.index_dir):
        recover(settings)
        candidate = read_staged(settings)
        if candidate is None:
            raise RefreshError("Nothing is staged; fetch pages first with: python -m ingest refresh")
        unknown = sorted(approved - {page.doc_id for page in candidate.updated})
        if unknown:
            raise RefreshError(f"--approve names {', '.join(unknown)}, which the staged refresh did not change.")
        waiting = [doc_id for doc_id in candidate.held if doc_id not in approved]
        if waiting:
            raise RefreshError(
                f"Not published: {', '.join(waiting)} changed by more than {candidate.hold_share:.0%} of its text and "
                "is held for approval. Read its diff (python -m ingest staged), then publish with "
                + " ".join(f"--approve {doc_id}" for doc_id in waiting)
                + ". Nothing live was changed."
            )
        if fingerprint(settings.corpus_dir) != candidate.base_fingerprint:
            raise RefreshError(
                "Not published: the live corpus changed since this refresh was staged. Discard it and refresh again "
                "(python -m ingest discard, then python -m ingest refresh). Nothing live was changed."
            )
        served = idx.current_version(settings.index_dir)
        if served != candidate.base_version:
            raise RefreshError(
                f"Not published: the served index is now version {served}, not {candidate.base_version} as when "
                "this refresh was staged. Discard it and refresh again. Nothing live was changed."
            )
        say(f"Checking the candidate index version {candidate.candidate_version}")
        try:
            idx.load(candidate.index_dir, candidate.candidate_version)
        except IndexUnavailableError as exc:
            raise RefreshError(
                f"Not published: the staged index cannot be used ({exc}). Discard it and refresh again."
            ) from exc
        write, remove = _corpus_changes(candidate.corpus_dir, settings.corpus_dir)
        try:
            say("Copying the candidate index version into the live index")
            idx.import_version(settings.index_dir, candidate.index_dir, candidate.candidate_version)
            # The commit point: from here on the publish is carried out, now or at the next start.
            write_journal(settings, version=candidate.candidate_version, write=write, remove=remove)
            say("Writing the pages into the live corpus and serving the new version")
            version = finish_publish(settings)
        except OSError as exc:
            raise StorageError(
                f"Publishing stopped because a write failed ({exc.strerror or exc}). If it failed before the "
                "pages were copied, nothing live changed; otherwise the next python -m ingest command finishes it."
            ) from exc
    return PublishReport(
        version=version,
        previous_version=served,
        pages=write,
        removed=remove,
        approved=sorted(approved & set(candidate.held)),
    )


def _corpus_changes(staged_dir: Path, live_dir: Path) -> tuple[list[str], list[str]]:
    """The files to write into the live corpus (new or different) and the ones to remove."""
    staged_files = {path.name: path for path in corpus_files(staged_dir)}
    live_files = {path.name: path for path in corpus_files(live_dir)}
    write = sorted(
        name
        for name, path in staged_files.items()
        if name not in live_files or live_files[name].read_bytes() != path.read_bytes()
    )
    remove = sorted(name for name in live_files if name not in staged_files)
    return write, remove
