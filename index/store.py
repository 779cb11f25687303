"""The on-disk index: the only code that writes it and the only code that reads it.

Layout under the index folder (``MBC_INDEX_DIR``, default ``var/index/``)::

    CURRENT                     the served version's id, replaced atomically
    build.lock                  held while a build writes
    versions/<id>/
        manifest.json           format, version id, model, splitter, lexical settings, FAISS type, pages
        pages/<doc_id>.txt      each page's canonical text (UTF-8)
        passages.npy            int32 columns of the retrieval passages: doc, start, end, and the
                                range of sentences each overlaps: first sentence, sentence stop
        passage_vectors.npy     float32 (passages x 384), unit rows, row i = passage i
        sentences.npy           int32 columns of the quotable units (sentences, list items): doc, start, end, block
        sentence_vectors.npy    float32 (sentences x 384)
        blocks.npy              int32 columns of paragraphs, lists and headings: doc, start, end, kind, heading, intro
        lexical/                BM25 over the sentences (see ``index.lexical``)
        vectors.faiss           FAISS index over passage_vectors

``doc`` is a page's number in the manifest's ``pages``. The arrays are memory-mapped
when loaded, so a large index costs little memory and no parsing (see ``index.rows``).

A build writes a complete new version into a temporary folder, renames it into
``versions/`` and only then points ``CURRENT`` at it with one ``os.replace``. A
reader reads ``CURRENT`` once and loads that folder, so it never sees a
half-written index; a crash mid-build leaves the previous version served.

The manifest records the SHA-256 of every other file of its version (``checksums``), and loading
checks them all. When the served version fails the check (a file changed, truncated or missing
since it was written), ``load`` serves the newest older version that passes, logs a warning, and
says so on the returned ``Index`` (``fallback_from``, ``fallback_reason``), which the maintainer
page shows.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import logging
import os
import shutil
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field, fields
from dataclasses import replace as replaced
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

import numpy as np

from errors import REBUILD_HINT, BuildInProgressError, IndexCorruptError, IndexIntegrityError, IndexMissingError
from index import lexical as lexical_index
from index import vectors as vector_index
from index.files import fsync_path, write_durably
from index.lexical import LexicalIndex
from index.rows import (
    NO_BLOCK,
    Block,
    Blocks,
    FileRows,
    Passage,
    Passages,
    Sentence,
    Sentences,
    block_columns,
    equal_range,
    passage_columns,
    read_mapped,
    sentence_columns,
)

FORMAT_VERSION = 3  # 3: the manifest records a checksum of every file
_TMP_PREFIX = ".tmp-"
_log = logging.getLogger("index")
_D = TypeVar("_D")


def filled_from(cls: type[_D], source: object, **given: object) -> _D:
    """A ``cls`` (a dataclass) with the fields ``given`` and every other field taken from ``source``'s
    attribute of the same name: a page's record from the corpus page, a quote from its page."""
    taken = {f.name: getattr(source, f.name) for f in fields(cls) if f.init and f.name not in given}
    return cls(**taken, **given)


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
class Manifest:
    """What a version holds and how it was built."""

    format_version: int
    version: str
    built_at: str
    model: str
    dimension: int
    splitter: dict
    lexical: dict
    faiss_index: dict
    pages: tuple[PageRecord, ...]
    passage_count: int
    sentence_count: int
    checksums: dict = field(default_factory=dict)  # path inside the version folder → SHA-256 of its bytes

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
    >>> index.manifest.version, len(index.passages), index.sentences[0].doc_id
    """

    path: Path
    manifest: Manifest
    texts: dict[str, str]
    passages: Passages
    passage_vectors: np.ndarray
    sentences: Sentences
    sentence_vectors: np.ndarray
    blocks: Blocks
    vector_index: object  # a faiss.Index over passage_vectors
    lexical: LexicalIndex
    sentence_vector_rows: FileRows  # sentence_vectors, read row by row
    fallback_from: str | None = None  # the served version, when it failed its check and this one is served instead
    fallback_reason: str = ""

    @property
    def version(self) -> str:
        return self.manifest.version

    def page(self, doc_id: str) -> PageRecord:
        return self.manifest.page(doc_id)

    def search(self, query_vector: np.ndarray, k: int) -> list[tuple[int, float]]:
        """Nearest passages to a unit query vector: ``[(passage_id, cosine), ...]``, best first."""
        if not len(self.passages) or k <= 0:
            return []
        query = np.ascontiguousarray(query_vector.reshape(1, -1), dtype=np.float32)
        scores, ids = self.vector_index.search(query, min(k, len(self.passages)))
        return [(int(i), float(s)) for i, s in zip(ids[0], scores[0], strict=True) if i >= 0]

    def sentence_text(self, sentence_id: int) -> str:
        doc, start, end = self.sentences.columns[:3, sentence_id].tolist()
        return self.texts[self.sentences.doc_ids[doc]][start:end]

    def block_text(self, block_id: int) -> str:
        doc, start, end = self.blocks.columns[:3, block_id].tolist()
        return self.texts[self.blocks.doc_ids[doc]][start:end]

    def block_sentences(self, block_id: int) -> range:
        """The ids of the sentences in a block (sentences and blocks are both numbered in page order)."""
        return equal_range(self.sentences.block, block_id)

    def next_block(self, block_id: int) -> Block | None:
        """The block after ``block_id`` on the same page, if any."""
        following = block_id + 1
        if following >= len(self.blocks) or self.blocks.doc[following] != self.blocks.doc[block_id]:
            return None
        return self.blocks[following]

    def heading_text(self, block_id: int) -> str:
        """The text of the section heading ``block_id`` sits under ("" before the first heading)."""
        heading = int(self.blocks.heading[block_id])
        return "" if heading == NO_BLOCK else self.block_text(heading)


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
    switch: bool = True,
    extra_files: dict[str, bytes] | None = None,
) -> Manifest:
    """Write ``content`` as a new version, switch ``CURRENT`` to it, prune old versions.

    ``extra_files`` are further files of the version (``index.notes``), written inside it before
    the checksums are taken, so the manifest covers them like every other file. The caller holds
    ``build_lock``. With ``switch=False`` the version is written complete but not served (a staged
    candidate is published later with ``switch_to``). Returns the new version's manifest.
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
        lexical=lexical_index.settings(),
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
        doc_number = {page.doc_id: n for n, page in enumerate(manifest.pages)}
        blocks = Blocks(block_columns(content.blocks, doc_number), tuple(doc_number))
        sentences = sentence_columns(content.sentences, doc_number)
        _write_npy(tmp / "passages.npy", passage_columns(content.passages, doc_number, sentences))
        _write_npy(tmp / "sentences.npy", sentences)
        _write_npy(tmp / "blocks.npy", blocks.columns)
        _write_npy(tmp / "passage_vectors.npy", np.asarray(content.passage_vectors, dtype=np.float32))
        _write_npy(tmp / "sentence_vectors.npy", np.asarray(content.sentence_vectors, dtype=np.float32))
        _write_lexical(tmp / "lexical", content, blocks)
        faiss_index = vector_index.build(content.passage_vectors, spec)
        vector_index.save(faiss_index, tmp / "vectors.faiss")
        fsync_path(tmp / "vectors.faiss")
        for name, data in (extra_files or {}).items():
            _write_bytes(tmp / Path(name).name, data)
        manifest = replaced(manifest, checksums=_checksums(tmp))
        # The manifest goes last: a folder with a manifest is a complete version.
        _write_bytes(tmp / "manifest.json", json.dumps(manifest.to_dict(), indent=2).encode("utf-8"))
        fsync_path(tmp)
        final = versions / version
        os.rename(tmp, final)
        fsync_path(versions)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    if switch:
        _point_current_at(index_dir, version)
        prune(index_dir, keep=keep_versions)
    return manifest


def switch_to(index_dir: Path, version: str, *, keep_versions: int = 3) -> None:
    """Serve ``version`` (complete on disk) in one atomic step, then prune old versions. Holds no lock itself."""
    if not (_versions_dir(index_dir) / version / "manifest.json").is_file():
        raise IndexMissingError(f"The index version {version} is not in {index_dir}. {REBUILD_HINT}")
    if current_version(index_dir) != version:
        _point_current_at(index_dir, version)
    prune(index_dir, keep=keep_versions, protect={version})


def import_version(index_dir: Path, source_dir: Path, version: str) -> None:
    """Copy the complete ``version`` of the index at ``source_dir`` into ``index_dir``, not yet served.

    Written as a build writes: into a temporary folder, renamed into place whole. The caller holds
    ``build_lock`` of ``index_dir``. Copying an existing version again changes nothing.
    """
    source = _versions_dir(source_dir) / version
    if not (source / "manifest.json").is_file():
        raise IndexMissingError(f"The index version {version} is not in {source_dir}.")
    versions = _versions_dir(index_dir)
    versions.mkdir(parents=True, exist_ok=True)
    final = versions / version
    if final.is_dir():
        return
    tmp = versions / f"{_TMP_PREFIX}{version}-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    try:
        shutil.copytree(source, tmp)
        for path in sorted(tmp.rglob("*")):
            if path.is_file():
                fsync_path(path)
        for folder in sorted((p for p in tmp.rglob("*") if p.is_dir()), reverse=True):
            fsync_path(folder)
        fsync_path(tmp)
        os.rename(tmp, final)
        fsync_path(versions)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def remove_abandoned(index_dir: Path) -> list[str]:
    """Remove what a killed build left (temporary version folders, pointer files); the caller holds the lock."""
    removed = []
    versions = _versions_dir(index_dir)
    if versions.is_dir():
        for leftover in versions.glob(f"{_TMP_PREFIX}*"):
            shutil.rmtree(leftover, ignore_errors=True)
            removed.append(leftover.name)
    if index_dir.is_dir():
        for leftover in index_dir.glob(f"CURRENT{_TMP_PREFIX}*"):
            leftover.unlink(missing_ok=True)
            removed.append(leftover.name)
    return removed


def _point_current_at(index_dir: Path, version: str) -> None:
    tmp = index_dir / f"CURRENT{_TMP_PREFIX}{os.getpid()}"
    _write_bytes(tmp, (version + "\n").encode("utf-8"))
    os.replace(tmp, index_dir / "CURRENT")
    fsync_path(index_dir)


def prune(index_dir: Path, *, keep: int, protect: set[str] | frozenset[str] = frozenset()) -> list[str]:
    """Delete all but the newest ``keep`` versions (never the served one); returns those removed."""
    served = current_version(index_dir)
    removable = [v for v in list_versions(index_dir) if v != served and v not in protect]
    surplus = removable[: max(0, len(removable) - max(0, keep - 1))]
    for version in surplus:
        shutil.rmtree(_versions_dir(index_dir) / version, ignore_errors=True)
    return surplus


def _remove_abandoned_builds(versions: Path) -> None:
    """A build killed mid-write leaves a temporary folder; the lock says none is running now."""
    for leftover in versions.glob(f"{_TMP_PREFIX}*"):
        shutil.rmtree(leftover, ignore_errors=True)


# Every file of a version is written through this name, so a test can fill the disk at it.
_write_bytes = write_durably


def _write_npy(path: Path, array: np.ndarray) -> None:
    with open(path, "wb") as handle:
        np.save(handle, np.ascontiguousarray(array))
        handle.flush()
        os.fsync(handle.fileno())


def _write_lexical(folder: Path, content: VersionContent, blocks: Blocks) -> None:
    """Build and write the BM25 table: each sentence with its heading's and list intro's text."""

    def block_text(block: int) -> str:
        if block == NO_BLOCK:
            return ""
        b = content.blocks[block]
        return content.texts[b.doc_id][b.start : b.end]

    sentences = (
        (
            content.texts[s.doc_id][s.start : s.end],
            block_text(blocks.heading[s.block]),
            block_text(blocks.intro[s.block]),
        )
        for s in content.sentences
    )
    lexical_index.save(lexical_index.build(sentences), folder)
    for path in folder.iterdir():
        fsync_path(path)
    fsync_path(folder)


def _checksums(folder: Path) -> dict[str, str]:
    """SHA-256 of every file under ``folder`` but the manifest, by its path inside the folder."""
    return {
        path.relative_to(folder).as_posix(): _sha256(path)
        for path in sorted(folder.rglob("*"))
        if path.is_file() and path.name != "manifest.json"
    }


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def verify_version(index_dir: Path, manifest: Manifest) -> None:
    """Every file of the version has the checksum its manifest recorded; else ``IndexCorruptError`` naming it."""
    root = _versions_dir(index_dir) / manifest.version
    if not manifest.checksums:
        raise IndexCorruptError(
            f"The index version {manifest.version} in {index_dir} records no checksums. {REBUILD_HINT} --full"
        )
    for name, expected in manifest.checksums.items():
        path = root / name
        try:
            found = _sha256(path)
        except FileNotFoundError:
            problem = f"{name} is missing"
        except OSError as exc:
            problem = f"{name} cannot be read ({exc.strerror})"
        else:
            if found == expected:
                continue
            problem = f"{name} has changed since it was written"
        raise IndexIntegrityError(
            f"The index version {manifest.version} in {index_dir} failed its integrity check: {problem}. "
            f"{REBUILD_HINT} --full"
        )


# --- reading -----------------------------------------------------------------------------


def read_manifest(index_dir: Path, version: str | None = None) -> Manifest:
    """The manifest of ``version`` (default: the served one) without loading anything else."""
    version = version or current_version(index_dir)
    if version is None:
        raise IndexMissingError(f"No index has been built in {index_dir} yet. {REBUILD_HINT}")
    path = _versions_dir(index_dir) / version / "manifest.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise IndexCorruptError(
            f"The index version {version} in {index_dir} is missing its manifest. {REBUILD_HINT}"
        ) from exc
    except (OSError, ValueError) as exc:
        raise IndexCorruptError(f"The index manifest {path} is unreadable ({exc}). {REBUILD_HINT}") from exc
    # The format is checked before the fields: an older format may lack some.
    found = data.get("format_version") if isinstance(data, dict) else None
    if found != FORMAT_VERSION:
        raise IndexCorruptError(
            f"The index in {index_dir} has format {found}, this code reads format {FORMAT_VERSION}. "
            f"{REBUILD_HINT} --full"
        )
    try:
        return Manifest.from_dict(data)
    except (ValueError, TypeError, KeyError) as exc:
        raise IndexCorruptError(f"The index manifest {path} is unreadable ({exc}). {REBUILD_HINT}") from exc


LOAD_ATTEMPTS = 5  # a served version pruned mid-load by newer builds: try the newest one again


def load(index_dir: Path, version: str | None = None) -> Index:
    """Load the served version (or ``version``) and check it is whole.

    The page texts are read; every array, the lexical table's included, is memory-mapped.
    When the served version is removed while it loads (newer builds switched over and pruned
    it), the version served then is loaded instead.

    Raises ``IndexMissingError`` when nothing was built, ``IndexCorruptError`` when a file is
    missing, unreadable or disagrees with the others; both messages say how to rebuild.
    """
    if version is not None:
        return _load_version(index_dir, version)
    for _ in range(LOAD_ATTEMPTS - 1):
        served = current_version(index_dir)
        try:
            return _load_version(index_dir, served)
        except IndexCorruptError as exc:
            if served is None:
                raise
            if current_version(index_dir) == served:
                if isinstance(exc, IndexIntegrityError):
                    return _fall_back(index_dir, served, exc)
                raise
    return _load_version(index_dir, current_version(index_dir))


def _fall_back(index_dir: Path, served: str, problem: IndexIntegrityError) -> Index:
    """The newest older version that loads and passes its check, instead of a served one that does not."""
    for version in reversed(list_versions(index_dir)):
        if version == served:
            continue
        try:
            loaded = _load_version(index_dir, version)
        except IndexCorruptError:
            continue
        _log.warning(
            "index version %s in %s cannot be served (%s); serving %s, the newest intact version",
            served,
            index_dir,
            problem,
            version,
        )
        loaded.fallback_from, loaded.fallback_reason = served, str(problem)
        return loaded
    raise problem


def _load_version(index_dir: Path, version: str | None) -> Index:
    manifest = read_manifest(index_dir, version)
    verify_version(index_dir, manifest)
    root = _versions_dir(index_dir) / manifest.version
    doc_ids = tuple(page.doc_id for page in manifest.pages)
    try:
        texts = {doc_id: (root / "pages" / f"{doc_id}.txt").read_text(encoding="utf-8") for doc_id in doc_ids}
        passages = Passages(read_mapped(root / "passages.npy"), doc_ids, texts)
        sentences = Sentences(read_mapped(root / "sentences.npy"), doc_ids)
        blocks = Blocks(read_mapped(root / "blocks.npy"), doc_ids)
        passage_vectors = read_mapped(root / "passage_vectors.npy")
        sentence_vectors = read_mapped(root / "sentence_vectors.npy")
        lexical = lexical_index.load(root / "lexical", manifest.sentence_count)
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
    loaded = Index(
        root,
        manifest,
        texts,
        passages,
        passage_vectors,
        sentences,
        sentence_vectors,
        blocks,
        faiss_index,
        lexical,
        FileRows(root / "sentence_vectors.npy"),
    )
    _check_consistent(loaded, index_dir)
    return loaded


def _check_consistent(index: Index, index_dir: Path) -> None:
    """Counts and shapes agree with the manifest, and every row lies inside its page."""
    manifest = index.manifest

    def corrupt(problem: str) -> IndexCorruptError:
        return IndexCorruptError(
            f"The index version {manifest.version} in {index_dir} is inconsistent: {problem}. {REBUILD_HINT} --full"
        )

    passages, sentences = len(index.passages), len(index.sentences)
    if passages != manifest.passage_count or index.passage_vectors.shape != (passages, manifest.dimension):
        raise corrupt(
            f"{passages} passages, {index.passage_vectors.shape[0]} vectors, manifest says {manifest.passage_count}"
        )
    if sentences != manifest.sentence_count or index.sentence_vectors.shape != (sentences, manifest.dimension):
        raise corrupt(
            f"{sentences} sentences, {index.sentence_vectors.shape[0]} vectors, manifest says {manifest.sentence_count}"
        )
    if index.vector_index.ntotal != passages:
        raise corrupt(f"the FAISS index holds {index.vector_index.ntotal} vectors for {passages} passages")
    lengths = np.array([len(index.texts[doc_id]) for doc_id in index.passages.doc_ids] + [0], dtype=np.int64)
    for name, rows in (("passage", index.passages), ("sentence", index.sentences), ("block", index.blocks)):
        doc = np.asarray(rows.doc, dtype=np.int64)
        if rows.columns.ndim != 2 or rows.columns.shape[0] != rows.width:
            raise corrupt(f"the {name} table has shape {rows.columns.shape}")
        outside = (doc < 0) | (doc >= len(lengths) - 1) | (rows.start < 0) | (rows.start > rows.end)
        outside |= rows.end > lengths[np.clip(doc, 0, len(lengths) - 1)]
        if outside.any():
            raise corrupt(f"{name} {int(np.argmax(outside))} does not lie inside its page")
    if sentences and not 0 <= int(index.sentences.block.min()) <= int(index.sentences.block.max()) < len(index.blocks):
        raise corrupt("a sentence names a block that does not exist")
