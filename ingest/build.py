"""Build the index from the corpus, incrementally: only new or changed pages are embedded.

A build reads and checks the whole corpus first (a bad page stops it before
anything is written), compares each page's text hash with the served version,
reuses the passages and vectors of unchanged pages, embeds the rest, and writes
a complete new version that replaces the old one in one atomic step.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

import index as idx
from embedding import DIMENSION, MODEL_NAME, Embedder, load_embedder
from errors import IndexCorruptError, IndexMissingError, IndexUnavailableError, StorageError
from index import has_notes
from ingest.corpus import SourcePage, read_corpus
from ingest.embed import embed_texts, known_vectors
from ingest.notes import version_notes
from ingest.recover import recover
from ingest.segment import segment
from ingest.split import split_passages, splitter_settings
from settings import Settings, settings_from_env

Progress = Callable[[str], None]


@dataclass
class BuildReport:
    """What a build changed. ``version`` is None when the index was already up to date."""

    version: str | None
    previous_version: str | None
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    details_changed: list[str] = field(default_factory=list)  # title, publisher, address or seed only
    removed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    passage_counts: dict[str, int] = field(default_factory=dict)
    removed_passages: int = 0
    passages_embedded: int = 0  # passages the model embedded; a text the served index holds keeps its vector
    sentences_embedded: int = 0  # the same for sentences; a sentence that is also a passage counts there
    vectors_reused: int = 0  # passages and sentences of new or changed pages whose text was already indexed
    total_passages: int = 0
    full: bool = False
    warnings: list[str] = field(default_factory=list)
    seconds: float = 0.0
    embed_seconds: float = 0.0
    model_load_seconds: float = 0.0

    @property
    def up_to_date(self) -> bool:
        return self.version is None

    def summary(self) -> str:
        """The change report printed by ``python -m ingest`` and shown on the maintainer page."""
        lines = [f"Warning: {warning}" for warning in self.warnings]
        if self.up_to_date:
            lines.append(
                f"Index is up to date (version {self.previous_version}, {len(self.unchanged)} pages, "
                f"{self.total_passages} passages)."
            )
            return "\n".join(lines)

        def pages(ids: list[str]) -> str:
            return ", ".join(f"{doc_id} ({self.passage_counts.get(doc_id, 0)} passages)" for doc_id in ids) or "none"

        kind = "Full rebuild" if self.full else "Incremental update"
        lines += [
            f"{kind}: index version {self.version} (was {self.previous_version or 'none'}).",
            f"  added:     {pages(self.added)}",
            f"  changed:   {pages(self.changed)}",
        ]
        if self.details_changed:
            lines.append(f"  details:   {', '.join(self.details_changed)} (title, publisher or address only)")
        lines += [
            f"  removed:   {', '.join(self.removed) or 'none'}"
            + (f" ({self.removed_passages} passages dropped)" if self.removed else ""),
            f"  unchanged: {len(self.unchanged)} page(s)",
            f"Embedded {self.passages_embedded} passages and {self.sentences_embedded} sentences in "
            f"{self.embed_seconds:.1f} s (kept {self.vectors_reused} vectors of unchanged text); "
            f"{self.total_passages} passages in all; took {self.seconds:.1f} s.",
        ]
        return "\n".join(lines)


@dataclass
class _PageParts:
    """One page's share of a version, before ids are numbered across pages."""

    record: idx.PageRecord
    text: str
    passages: list[tuple[int, int]]
    passage_vectors: np.ndarray
    sentences: list[tuple[int, int, int]]  # start, end, block number within the page
    sentence_vectors: np.ndarray
    blocks: list[tuple[int, int, str]]


def build(
    settings: Settings | None = None,
    *,
    full: bool = False,
    progress: Progress | None = None,
    embedder: Embedder | None = None,
) -> BuildReport:
    """Bring the index at ``settings.index_dir`` up to date with ``settings.corpus_dir``.

    Args:
        settings: where the corpus and index live (default: from the environment).
        full: re-split and re-embed every page instead of reusing unchanged ones.
        progress: called with a short line of text at each step.
        embedder: the model to embed with (default: the served fine-tuned model, loaded when needed).

    Returns:
        A ``BuildReport`` of what changed.

    Raises:
        CorpusError: a page or the manifest is bad; nothing was written.
        BuildInProgressError: another build is running.
        StorageError: the disk refused a write; the served version is unchanged.
    """
    settings = settings or settings_from_env()
    with idx.build_lock(settings.index_dir):
        recover(settings)
        return build_locked(settings, full=full, progress=progress, embedder=embedder)


def build_locked(
    settings: Settings,
    *,
    full: bool = False,
    progress: Progress | None = None,
    shown_as: Path | None = None,
    embedder: Embedder | None = None,
) -> BuildReport:
    """``build`` for a caller that holds the index's build lock.

    ``shown_as`` names the folder pages are cited from, when ``settings.corpus_dir`` is a staged copy.
    """
    started = time.perf_counter()
    say = progress or (lambda message: None)
    say(f"Reading pages from {settings.corpus_dir}")
    corpus = read_corpus(settings.corpus_dir, max_page_bytes=settings.max_page_bytes, shown_as=shown_as)
    try:
        report = _build_locked(settings, corpus.pages, full=full, say=say, embedder=embedder)
    except OSError as exc:
        raise StorageError(
            f"The index in {settings.index_dir} could not be written ({exc.strerror or exc}); "
            "the version being served is unchanged. Free some space or fix the folder's permissions, then run "
            "python -m ingest again."
        ) from exc
    report.warnings[:0] = list(corpus.warnings)
    report.seconds = time.perf_counter() - started
    return report


def _build_locked(
    settings: Settings,
    pages: tuple[SourcePage, ...],
    *,
    full: bool,
    say: Progress,
    embedder: Embedder | None,
) -> BuildReport:
    """Compare the pages with the served version, reuse what holds, embed the rest, write a version."""
    model = embedder.name if embedder is not None else MODEL_NAME
    previous, reason = _previous_manifest(settings, full, model)
    served = previous.version if previous else _served_version(settings)
    report = BuildReport(version=None, previous_version=served)
    if reason:
        report.warnings.append(reason)
    _compare_pages(report, pages, previous)
    if previous and not _needs_new_version(settings, report, previous):
        report.total_passages = previous.passage_count
        report.passage_counts = {page.doc_id: page.passage_count for page in previous.pages}
        say("Index is up to date")
        return report

    reusable = _load_previous(settings, previous, report) if previous else None
    if reusable is None and previous is not None:
        report.full = True
        report.added += report.changed + report.unchanged
        report.changed, report.unchanged, report.details_changed = [], [], []
    parts = [_reuse(reusable, page) for page in pages if reusable is not None and page.doc_id in report.unchanged]
    to_embed = [_split(page, say) for page in pages if not (reusable is not None and page.doc_id in report.unchanged)]
    if to_embed:
        parts += _embed_pages(to_embed, reusable, report, say, embedder)
    parts.sort(key=lambda part: part.record.doc_id)
    return _write(settings, parts, report, say, model=model)


def _compare_pages(report: BuildReport, pages: tuple[SourcePage, ...], previous: idx.Manifest | None) -> None:
    """Sort the pages into added, changed, unchanged (and details changed) and removed, in ``report``."""
    old_pages = {page.doc_id: page for page in previous.pages} if previous else {}
    for page in pages:
        old = old_pages.get(page.doc_id)
        if old is None:
            report.added.append(page.doc_id)
        elif old.text_sha256 != page.text_sha256:
            report.changed.append(page.doc_id)
        else:
            report.unchanged.append(page.doc_id)
            if (old.title, old.publisher, old.url, old.seed, old.sha256, old.path) != (
                page.title,
                page.publisher,
                page.url,
                page.seed,
                page.sha256,
                page.path,
            ):
                report.details_changed.append(page.doc_id)
    current_ids = {page.doc_id for page in pages}
    report.removed = sorted(doc_id for doc_id in old_pages if doc_id not in current_ids)
    report.removed_passages = sum(old_pages[doc_id].passage_count for doc_id in report.removed)
    report.full = previous is None


def _needs_new_version(settings: Settings, report: BuildReport, previous: idx.Manifest) -> bool:
    """Whether anything differs from the served version: a page, the FAISS kind asked for, or missing notes."""
    wanted_kind = settings.faiss_index
    kind_changed = bool(wanted_kind and previous.faiss_index.get("kind") != wanted_kind)
    # A version written before notes existed (index.notes) gets a new version with them, reusing every vector.
    notes_missing = not has_notes(settings.index_dir, previous.version)
    return bool(
        report.added or report.changed or report.removed or report.details_changed or kind_changed or notes_missing
    )


@dataclass
class _SplitPage:
    """A new or changed page cut into passages, blocks and quotable units, before it is embedded."""

    page: SourcePage
    passages: list
    blocks: list
    units: list
    unit_texts: list[str]


def _split(page: SourcePage, say: Progress) -> _SplitPage:
    say(f"Splitting {page.path}")
    passages = split_passages(page.text)
    blocks, units = segment(page.text)
    return _SplitPage(page, passages, blocks, units, [page.text[u.start : u.end] for u in units])


def _embed_pages(
    to_embed: list[_SplitPage],
    reusable: idx.Index | None,
    report: BuildReport,
    say: Progress,
    embedder: Embedder | None,
) -> list[_PageParts]:
    """Each split page with its vectors: only texts the served index lacks go through the model."""

    def embed(texts: list[str]) -> np.ndarray:
        say("Loading the embedding model")
        model_started = time.perf_counter()
        model_in_use = embedder or load_embedder()
        report.model_load_seconds = time.perf_counter() - model_started
        say(f"Embedding {len(texts)} new or changed texts of {', '.join(split.page.path for split in to_embed)}")
        return model_in_use.embed(texts)

    embed_started = time.perf_counter()
    embedded = embed_texts(
        embed,
        [p.text for split in to_embed for p in split.passages],
        [text for split in to_embed for text in split.unit_texts],
        known_vectors(reusable),
    )
    report.embed_seconds = time.perf_counter() - embed_started - report.model_load_seconds
    report.passages_embedded = embedded.passages_embedded
    report.sentences_embedded = embedded.sentences_embedded
    report.vectors_reused = embedded.reused
    now = datetime.now(UTC).isoformat(timespec="seconds")
    return [
        _PageParts(
            record=_record(split.page, len(split.passages), len(split.units), changed_at=now),
            text=split.page.text,
            passages=[(p.start, p.end) for p in split.passages],
            passage_vectors=_rows(embedded.vectors, [p.text for p in split.passages]),
            sentences=[(u.start, u.end, u.block) for u in split.units],
            sentence_vectors=_rows(embedded.vectors, split.unit_texts),
            blocks=[(b.start, b.end, b.kind) for b in split.blocks],
        )
        for split in to_embed
    ]


def _write(
    settings: Settings, parts: list[_PageParts], report: BuildReport, say: Progress, *, model: str
) -> BuildReport:
    """Write the pages' parts as a new version, switch to it, and complete ``report``."""
    content = _assemble(parts)
    say("Writing the new index version")
    manifest = idx.write_version(
        settings.index_dir,
        content,
        model=model,
        dimension=DIMENSION,
        splitter=splitter_settings(),
        faiss_kind=settings.faiss_index,
        keep_versions=settings.keep_versions,
        extra_files=version_notes(content, settings.corpus_dir, settings.index_dir),
    )
    report.version = manifest.version
    report.total_passages = manifest.passage_count
    report.passage_counts = {page.doc_id: page.passage_count for page in manifest.pages}
    say(f"Now serving index version {manifest.version}")
    return report


def _served_version(settings: Settings) -> str | None:
    try:
        return idx.current_version(settings.index_dir)
    except IndexUnavailableError:
        return None


def _rows(vectors: dict[str, np.ndarray], texts: list[str]) -> np.ndarray:
    """The vectors of ``texts``, in order, as one (len(texts), 384) array."""
    if not texts:
        return np.zeros((0, DIMENSION), dtype=np.float32)
    return np.vstack([vectors[text] for text in texts])


def _previous_manifest(settings: Settings, full: bool, model: str) -> tuple[idx.Manifest | None, str | None]:
    """The served manifest if its pages can be reused, with the reason when they cannot."""
    if full:
        return None, None
    try:
        manifest = idx.read_manifest(settings.index_dir)
    except IndexMissingError:
        return None, None
    except IndexCorruptError as exc:
        return None, f"the served index could not be read, so every page is rebuilt ({exc})"
    if (
        manifest.model != model
        or manifest.splitter != splitter_settings()
        or manifest.lexical != idx.lexical_settings()
    ):
        return None, "the model, splitter or lexical settings changed since the last build, so every page is rebuilt"
    return manifest, None


def _load_previous(settings: Settings, previous: idx.Manifest, report: BuildReport) -> idx.Index | None:
    try:
        return idx.load(settings.index_dir, previous.version)
    except IndexUnavailableError as exc:
        report.warnings.append(f"the served index could not be reused, so every page is rebuilt ({exc})")
        return None


def _reuse(old: idx.Index, page: SourcePage) -> _PageParts:
    """An unchanged page's passages, sentences, blocks and vectors, taken from the served version."""
    passage_rows = old.passages.of_doc(page.doc_id)
    sentence_rows = old.sentences.of_doc(page.doc_id)
    old_blocks = [old.blocks[i] for i in old.blocks.of_doc(page.doc_id)]
    first_block = old_blocks[0].id if old_blocks else 0
    old_record = old.page(page.doc_id)
    sentences = [old.sentences[i] for i in sentence_rows]
    return _PageParts(
        record=_record(page, len(passage_rows), len(sentence_rows), changed_at=old_record.changed_at),
        text=old.texts[page.doc_id],
        passages=[(old.passages[i].start, old.passages[i].end) for i in passage_rows],
        passage_vectors=np.asarray(old.passage_vectors[passage_rows.start : passage_rows.stop]),
        sentences=[(s.start, s.end, s.block - first_block) for s in sentences],
        sentence_vectors=np.asarray(old.sentence_vectors[sentence_rows.start : sentence_rows.stop]),
        blocks=[(b.start, b.end, b.kind) for b in old_blocks],
    )


def _record(page: SourcePage, passages: int, sentences: int, *, changed_at: str) -> idx.PageRecord:
    return idx.filled_from(
        idx.PageRecord, page, changed_at=changed_at, passage_count=passages, sentence_count=sentences
    )


def _assemble(parts: list[_PageParts]) -> idx.VersionContent:
    """Number passages, sentences and blocks across pages, in page order."""
    passages: list[idx.Passage] = []
    sentences: list[idx.Sentence] = []
    blocks: list[idx.Block] = []
    for part in parts:
        doc_id = part.record.doc_id
        first_block = len(blocks)
        for start, end, kind in part.blocks:
            blocks.append(idx.Block(len(blocks), doc_id, start, end, kind))
        for start, end in part.passages:
            passages.append(idx.Passage(len(passages), doc_id, start, end, part.text[start:end]))
        for start, end, block in part.sentences:
            sentences.append(idx.Sentence(len(sentences), doc_id, start, end, first_block + block))
    empty = np.zeros((0, DIMENSION), dtype=np.float32)
    return idx.VersionContent(
        texts={part.record.doc_id: part.text for part in parts},
        passages=passages,
        passage_vectors=np.vstack([p.passage_vectors for p in parts]) if parts else empty,
        sentences=sentences,
        sentence_vectors=np.vstack([p.sentence_vectors for p in parts]) if parts else empty,
        blocks=blocks,
        pages=[part.record for part in parts],
    )
