"""The on-disk index: the only code that writes it and the only code that reads it.

Layout under the index folder (``MBC_INDEX_DIR``, default ``var/index/``)::

    CURRENT                     the served version's id, replaced atomically
    build.lock                  held while a build writes
    versions/<id>/
        manifest.json           format, version id, model, splitter, FAISS type, pages
        pages/<doc_id>.txt      each page's canonical text (UTF-8)
        passages.jsonl          one retrieval passage a line: doc_id, start, end, text
        passage_vectors.npy     float32 (passages x 384), unit rows, row i = passage i
        sentences.jsonl         quotable units (sentences, list items): doc_id, start, end, block
        sentence_vectors.npy    float32 (sentences x 384)
        blocks.jsonl            paragraphs, lists and headings: doc_id, start, end, kind
        vectors.faiss           FAISS index over passage_vectors

A build writes a complete new version into a temporary folder, renames it into
``versions/`` and only then points ``CURRENT`` at it with one ``os.replace``. A
reader reads ``CURRENT`` once and loads that folder, so it never sees a
half-written index; a crash mid-build leaves the previous version served.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from index import vectors as vector_index
from index.errors import REBUILD_HINT, BuildInProgressError, IndexCorruptError, IndexMissingError

FORMAT_VERSION = 1
_TMP_PREFIX = ".tmp-"


@dataclass(frozen=True)
class PageRecord:
    """One indexed page and what is known of its source."""

    doc_id: str
    path: str  # relative to the repository root when inside it, e.g. corpus/penn-medicine.txt
    title: str
    publisher: str
    url: str | None
    seed: str | None
    sha256: str  # of the file's bytes
    text_sha256: str  # of the canonical text
    changed_at: str  # when this page's text last changed in the index (ISO 8601, UTC)
    passage_count: int
    sentence_count: int


@dataclass(frozen=True)
class Passage:
    """A retrieval unit: ``page_text[start:end] == text``."""

    id: int
    doc_id: str
    start: int
    end: int
    text: str


@dataclass(frozen=True)
class Sentence:
    """A quotable unit (a sentence or a list item) inside ``block``."""

    id: int
    doc_id: str
    start: int
    end: int
    block: int


@dataclass(frozen=True)
class Block:
    """A paragraph, a list or a heading: the context a quote is shown in."""

    id: int
    doc_id: str
    start: int
    end: int
    kind: str  # "paragraph" | "list" | "heading"


@dataclass(frozen=True)
class Manifest:
    """What a version holds and how it was built."""

    format_version: int
    version: str
    built_at: str
    model: str
    dimension: int
    splitter: dict
    faiss_index: dict
    pages: tuple[PageRecord, ...]
    passage_count: int
    sentence_count: int

    def page(self, doc_id: str) -> PageRecord:
        for page in self.pages:
            if page.doc_id == doc_id:
                return page
        raise KeyError(doc_id)

    def to_dict(self) -> dict:
        data = asdict(self)
        data["pages"] = [asdict(page) for page in self.pages]
        return data

    @classmethod
    def from_dict(cls, data: dict) -> Manifest:
        pages = tuple(PageRecord(**page) for page in data["pages"])
        return cls(**{**data, "pages": pages})


@dataclass
class VersionContent:
    """Everything one version holds, ready to be written."""

    texts: dict[str, str]
    passages: list[Passage]
    passage_vectors: np.ndarray
    sentences: list[Sentence]
    sentence_vectors: np.ndarray
    blocks: list[Block]
    pages: list[PageRecord] = field(default_factory=list)


@dataclass
class Index:
    """One loaded index version, read-only.

    >>> index = load(settings_from_env().index_dir)
    >>> index.manifest.version, len(index.passages)
    """

    path: Path
    manifest: Manifest
    texts: dict[str, str]
    passages: list[Passage]
    passage_vectors: np.ndarray
    sentences: list[Sentence]
    sentence_vectors: np.ndarray
    blocks: list[Block]
    vector_index: object  # a faiss.Index over passage_vectors

    @property
    def version(self) -> str:
        return self.manifest.version

    def page(self, doc_id: str) -> PageRecord:
        return self.manifest.page(doc_id)

    def search(self, query_vector: np.ndarray, k: int) -> list[tuple[int, float]]:
        """Nearest passages to a unit query vector: ``[(passage_id, cosine), ...]``, best first."""
        if not self.passages or k <= 0:
            return []
        query = np.ascontiguousarray(query_vector.reshape(1, -1), dtype=np.float32)
        scores, ids = self.vector_index.search(query, min(k, len(self.passages)))
        return [(int(i), float(s)) for i, s in zip(ids[0], scores[0], strict=True) if i >= 0]


# --- paths -------------------------------------------------------------------------------


def _versions_dir(index_dir: Path) -> Path:
    return index_dir / "versions"


def current_version(index_dir: Path) -> str | None:
    """The served version's id, or None when nothing has been built. Cheap: one small read."""
    try:
        return (index_dir / "CURRENT").read_text(encoding="utf-8").strip() or None
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise IndexCorruptError(
            f"The index pointer {index_dir / 'CURRENT'} cannot be read: {exc}. {REBUILD_HINT}"
        ) from exc


def list_versions(index_dir: Path) -> list[str]:
    """Complete versions on disk, oldest first (ids sort by build time)."""
    root = _versions_dir(index_dir)
    if not root.is_dir():
        return []
    return sorted(p.name for p in root.iterdir() if p.is_dir() and not p.name.startswith(_TMP_PREFIX))


def new_version_id(now: datetime | None = None) -> str:
    now = now or datetime.now(UTC)
    return now.strftime("%Y%m%dT%H%M%S") + f"{now.microsecond:06d}Z"


# --- writing -----------------------------------------------------------------------------


@contextlib.contextmanager
def build_lock(index_dir: Path) -> Iterator[None]:
    """Hold the index's build lock; raise ``BuildInProgressError`` if another build has it."""
    index_dir.mkdir(parents=True, exist_ok=True)
    with open(index_dir / "build.lock", "a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            raise BuildInProgressError(
                f"Another build of {index_dir} is running; try again when it has finished."
            ) from exc
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def write_version(
    index_dir: Path,
    content: VersionContent,
    *,
    model: str,
    dimension: int,
    splitter: dict,
    faiss_kind: str | None = None,
    keep_versions: int = 3,
    version: str | None = None,
) -> Manifest:
    """Write ``content`` as a new version, switch ``CURRENT`` to it, prune old versions.

    The caller holds ``build_lock``. Returns the new version's manifest.
    """
    versions = _versions_dir(index_dir)
    versions.mkdir(parents=True, exist_ok=True)
    _remove_abandoned_builds(versions)
    version = version or new_version_id()
    built_at = datetime.now(UTC).isoformat(timespec="seconds")
    spec = vector_index.choose_spec(len(content.passages), faiss_kind)
    manifest = Manifest(
        format_version=FORMAT_VERSION,
        version=version,
        built_at=built_at,
        model=model,
        dimension=dimension,
        splitter=splitter,
        faiss_index=spec.to_dict(),
        pages=tuple(sorted(content.pages, key=lambda p: p.doc_id)),
        passage_count=len(content.passages),
        sentence_count=len(content.sentences),
    )
    tmp = versions / f"{_TMP_PREFIX}{version}-{os.getpid()}"
    tmp.mkdir()
    try:
        (tmp / "pages").mkdir()
        for doc_id, text in content.texts.items():
            _write_bytes(tmp / "pages" / f"{doc_id}.txt", text.encode("utf-8"))
        _write_jsonl(tmp / "passages.jsonl", (asdict(p) for p in content.passages))
        _write_jsonl(tmp / "sentences.jsonl", (asdict(s) for s in content.sentences))
        _write_jsonl(tmp / "blocks.jsonl", (asdict(b) for b in content.blocks))
        _write_npy(tmp / "passage_vectors.npy", content.passage_vectors)
        _write_npy(tmp / "sentence_vectors.npy", content.sentence_vectors)
        faiss_index = vector_index.build(content.passage_vectors, spec)
        vector_index.save(faiss_index, tmp / "vectors.faiss")
        _fsync_file(tmp / "vectors.faiss")
        # The manifest goes last: a folder with a manifest is a complete version.
        _write_bytes(tmp / "manifest.json", json.dumps(manifest.to_dict(), indent=2).encode("utf-8"))
        _fsync_dir(tmp)
        final = versions / version
        os.rename(tmp, final)
        _fsync_dir(versions)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    _point_current_at(index_dir, version)
    prune(index_dir, keep=keep_versions)
    return manifest


def _point_current_at(index_dir: Path, version: str) -> None:
    tmp = index_dir / f"CURRENT{_TMP_PREFIX}{os.getpid()}"
    _write_bytes(tmp, (version + "\n").encode("utf-8"))
    os.replace(tmp, index_dir / "CURRENT")
    _fsync_dir(index_dir)


def prune(index_dir: Path, *, keep: int) -> list[str]:
    """Delete all but the newest ``keep`` versions (never the served one); returns those removed."""
    served = current_version(index_dir)
    removable = [v for v in list_versions(index_dir) if v != served]
    surplus = removable[: max(0, len(removable) - max(0, keep - 1))]
    for version in surplus:
        shutil.rmtree(_versions_dir(index_dir) / version, ignore_errors=True)
    return surplus


def _remove_abandoned_builds(versions: Path) -> None:
    """A build killed mid-write leaves a temporary folder; the lock says none is running now."""
    for leftover in versions.glob(f"{_TMP_PREFIX}*"):
        shutil.rmtree(leftover, ignore_errors=True)


def _write_bytes(path: Path, data: bytes) -> None:
    with open(path, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())


def _write_jsonl(path: Path, rows) -> None:
    with open(path, "w", encoding="utf-8") as handle:
        for row in rows:
            handle.write(json.dumps(row, ensure_ascii=False))
            handle.write("\n")
        handle.flush()
        os.fsync(handle.fileno())


def _write_npy(path: Path, array: np.ndarray) -> None:
    with open(path, "wb") as handle:
        np.save(handle, np.ascontiguousarray(array, dtype=np.float32))
        handle.flush()
        os.fsync(handle.fileno())


def _fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


# --- reading -----------------------------------------------------------------------------


def read_manifest(index_dir: Path, version: str | None = None) -> Manifest:
    """The manifest of ``version`` (default: the served one) without loading anything else."""
    version = version or current_version(index_dir)
    if version is None:
        raise IndexMissingError(f"No index has been built in {index_dir} yet. {REBUILD_HINT}")
    path = _versions_dir(index_dir) / version / "manifest.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        manifest = Manifest.from_dict(data)
    except FileNotFoundError as exc:
        raise IndexCorruptError(
            f"The index version {version} in {index_dir} is missing its manifest. {REBUILD_HINT}"
        ) from exc
    except (OSError, ValueError, TypeError, KeyError) as exc:
        raise IndexCorruptError(f"The index manifest {path} is unreadable ({exc}). {REBUILD_HINT}") from exc
    if manifest.format_version != FORMAT_VERSION:
        raise IndexCorruptError(
            f"The index in {index_dir} has format {manifest.format_version}, this code reads format "
            f"{FORMAT_VERSION}. {REBUILD_HINT} --full"
        )
    return manifest


def load(index_dir: Path, version: str | None = None) -> Index:
    """Load the served version (or ``version``) and check it is whole.

    Raises ``IndexMissingError`` when nothing was built, ``IndexCorruptError`` when a file is
    missing, unreadable or disagrees with the others; both messages say how to rebuild.
    """
    manifest = read_manifest(index_dir, version)
    root = _versions_dir(index_dir) / manifest.version
    try:
        texts = {p.doc_id: (root / "pages" / f"{p.doc_id}.txt").read_text(encoding="utf-8") for p in manifest.pages}
        passages = [Passage(**row) for row in _read_jsonl(root / "passages.jsonl")]
        sentences = [Sentence(**row) for row in _read_jsonl(root / "sentences.jsonl")]
        blocks = [Block(**row) for row in _read_jsonl(root / "blocks.jsonl")]
        passage_vectors = np.load(root / "passage_vectors.npy", mmap_mode="r")
        sentence_vectors = np.load(root / "sentence_vectors.npy", mmap_mode="r")
    except (OSError, ValueError, TypeError, KeyError) as exc:
        raise IndexCorruptError(
            f"The index version {manifest.version} in {index_dir} is damaged ({exc}). {REBUILD_HINT} --full"
        ) from exc
    spec = vector_index.VectorIndexSpec(manifest.faiss_index["kind"], manifest.faiss_index.get("params", {}))
    try:
        faiss_index = vector_index.load(root / "vectors.faiss", spec)
    except (RuntimeError, OSError, IndexCorruptError) as exc:
        # FAISS's own messages are C++ stack details; keep them as the cause only.
        raise IndexCorruptError(
            f"The vector index of version {manifest.version} in {index_dir} cannot be read. {REBUILD_HINT} --full"
        ) from exc
    _check_consistent(manifest, texts, passages, passage_vectors, sentences, sentence_vectors, faiss_index, index_dir)
    return Index(root, manifest, texts, passages, passage_vectors, sentences, sentence_vectors, blocks, faiss_index)


def _read_jsonl(path: Path) -> Iterator[dict]:
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                yield json.loads(line)


def _check_consistent(manifest, texts, passages, passage_vectors, sentences, sentence_vectors, faiss_index, index_dir):
    def corrupt(problem: str) -> IndexCorruptError:
        return IndexCorruptError(
            f"The index version {manifest.version} in {index_dir} is inconsistent: {problem}. {REBUILD_HINT} --full"
        )

    if len(passages) != manifest.passage_count or passage_vectors.shape != (len(passages), manifest.dimension):
        raise corrupt(
            f"{len(passages)} passages, {passage_vectors.shape[0]} vectors, manifest says {manifest.passage_count}"
        )
    if len(sentences) != manifest.sentence_count or sentence_vectors.shape != (len(sentences), manifest.dimension):
        raise corrupt(
            f"{len(sentences)} sentences, {sentence_vectors.shape[0]} vectors, manifest says {manifest.sentence_count}"
        )
    if faiss_index.ntotal != len(passages):
        raise corrupt(f"the FAISS index holds {faiss_index.ntotal} vectors for {len(passages)} passages")
    for passage in passages:
        text = texts.get(passage.doc_id)
        if text is None or text[passage.start : passage.end] != passage.text:
            raise corrupt(f"passage {passage.id} does not match its page {passage.doc_id}")
