"""The on-disk format: atomic versions, pruning, readers during writes, damage reported clearly."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import numpy as np
import pytest

import index
from embedding import DIMENSION, MODEL_NAME
from errors import BuildInProgressError, IndexCorruptError, IndexMissingError
from index import store


def _content(pages: dict[str, str]) -> index.VersionContent:
    """A small version with one passage and one sentence per page and random unit vectors."""
    rng = np.random.default_rng(0)
    passages, sentences, blocks, records = [], [], [], []
    for doc_id, text in pages.items():
        blocks.append(index.Block(len(blocks), doc_id, 0, len(text), "paragraph"))
        passages.append(index.Passage(len(passages), doc_id, 0, len(text), text))
        sentences.append(index.Sentence(len(sentences), doc_id, 0, len(text), len(blocks) - 1))
        records.append(
            index.PageRecord(doc_id, f"corpus/{doc_id}.txt", doc_id, "Publisher", None, None, "a", "b", "now", 1, 1)
        )

    def unit(n: int) -> np.ndarray:
        v = rng.normal(size=(n, DIMENSION)).astype(np.float32)
        return v / np.linalg.norm(v, axis=1, keepdims=True)

    return index.VersionContent(pages, passages, unit(len(passages)), sentences, unit(len(sentences)), blocks, records)


def _write(index_dir: Path, pages: dict[str, str], keep: int = 3) -> index.Manifest:
    with index.build_lock(index_dir):
        return index.write_version(
            index_dir,
            _content(pages),
            model=MODEL_NAME,
            dimension=DIMENSION,
            splitter={},
            keep_versions=keep,
        )


def test_public_names_are_exactly_the_documented_ones():
    assert sorted(index.__all__) == sorted(name for name in index.__all__ if hasattr(index, name))
    assert "store" not in index.__all__


def test_write_then_load_round_trips(tmp_path: Path):
    manifest = _write(tmp_path, {"a": "Alpha text.", "b": "Beta text."})
    loaded = index.load(tmp_path)
    assert loaded.version == manifest.version == index.current_version(tmp_path)
    assert loaded.manifest == manifest
    assert manifest.lexical == index.lexical_settings()
    assert loaded.texts == {"a": "Alpha text.", "b": "Beta text."}
    assert [p.text for p in loaded.passages] == ["Alpha text.", "Beta text."]
    assert list(loaded.sentences) == _content(loaded.texts).sentences
    assert list(loaded.blocks) == _content(loaded.texts).blocks
    assert loaded.sentences[-1] == loaded.sentences[1] == index.Sentence(1, "b", 0, 10, 1)
    assert loaded.passages[0:1] == [index.Passage(0, "a", 0, 11, "Alpha text.")]
    with pytest.raises(IndexError):
        loaded.sentences[2]
    best = loaded.search(np.asarray(loaded.passage_vectors[1]), k=1)
    assert best[0][0] == 1 and best[0][1] == pytest.approx(1.0, abs=1e-5)
    hits, _ = loaded.lexical.search({"beta": 1.0}, k=5)
    assert hits.tolist() == [1]


def test_rows_are_memory_mapped_columns_not_objects(tmp_path: Path):
    _write(tmp_path, {"a": "Alpha text.", "b": "Beta text."})
    loaded = index.load(tmp_path)
    for table in (loaded.passages, loaded.sentences, loaded.blocks):
        assert isinstance(table.columns.base, np.memmap) and table.columns.dtype == np.int32
    assert isinstance(loaded.lexical.postings.base, np.memmap)
    assert isinstance(loaded.sentence_vectors.base, np.memmap)
    assert loaded.passages.first_sentence.tolist() == [0, 1] and loaded.passages.sentence_stop.tolist() == [1, 2]


def test_sentence_vectors_read_row_by_row_are_the_stored_ones(tmp_path: Path):
    _write(tmp_path, {name: f"Page {name}." for name in "abcde"})
    loaded = index.load(tmp_path)
    rows = np.array([0, 2, 3])  # a single row and a run of two
    np.testing.assert_array_equal(loaded.sentence_vector_rows.take(rows), loaded.sentence_vectors[rows])
    for _ in range(3):  # the loaded version is pruned from disk while it is still served
        _write(tmp_path, {"a": "Newer."}, keep=1)
    assert not (loaded.path / "sentence_vectors.npy").exists()
    np.testing.assert_array_equal(loaded.sentence_vector_rows.take(rows), loaded.sentence_vectors[rows])


def test_old_versions_are_pruned_but_the_served_one_kept(tmp_path: Path):
    versions = [_write(tmp_path, {"a": f"Version {i}."}, keep=2).version for i in range(4)]
    assert index.list_versions(tmp_path) == versions[-2:]
    assert index.current_version(tmp_path) == versions[-1]


def test_missing_index_names_the_command_that_builds_it(tmp_path: Path):
    with pytest.raises(IndexMissingError, match=r"python -m ingest"):
        index.load(tmp_path / "nothing-here")


def _old_format(root: Path) -> None:
    """A version as format 1 wrote it: no lexical settings in the manifest, rows as JSON lines."""
    manifest = json.loads((root / "manifest.json").read_text(encoding="utf-8"))
    del manifest["lexical"]
    (root / "manifest.json").write_text(json.dumps({**manifest, "format_version": 1}), encoding="utf-8")
    (root / "passages.npy").unlink()
    (root / "passages.jsonl").write_text('{"id": 0, "doc_id": "a", "start": 0, "end": 11}\n', encoding="utf-8")


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda root: (root / "passages.npy").write_bytes(b"\x93NUMPY truncated"), "passages.npy has changed"),
        (lambda root: (root / "passage_vectors.npy").unlink(), "failed its integrity check: passage_vectors.npy is"),
        (lambda root: (root / "lexical" / "postings.npy").unlink(), "lexical/postings.npy is missing"),
        (lambda root: (root / "lexical" / "terms.json").write_text('["alpha"]', encoding="utf-8"), "terms.json has"),
        (lambda root: (root / "manifest.json").write_text("{not json", encoding="utf-8"), "unreadable"),
        (lambda root: (root / "pages" / "a.txt").write_text("Alpha.", encoding="utf-8"), "pages/a.txt has changed"),
        (lambda root: (root / "vectors.faiss").write_bytes(b"garbage"), "vectors.faiss has changed"),
        (_old_format, "has format 1, this code reads format 3"),
    ],
    ids=[
        "truncated passages",
        "missing vectors",
        "missing lexical postings",
        "lexical terms disagree",
        "bad manifest",
        "page cut short",
        "bad faiss file",
        "older format",
    ],
)
def test_damaged_index_is_reported_with_the_rebuild_command(tmp_path: Path, damage, message):
    manifest = _write(tmp_path, {"a": "Alpha text."})
    damage(tmp_path / "versions" / manifest.version)
    with pytest.raises(IndexCorruptError, match=message) as caught:
        index.load(tmp_path)
    assert "python -m ingest" in str(caught.value)


def test_an_older_format_asks_for_a_full_rebuild(tmp_path: Path):
    manifest = _write(tmp_path, {"a": "Alpha text."})
    _old_format(tmp_path / "versions" / manifest.version)
    with pytest.raises(IndexCorruptError) as caught:
        index.read_manifest(tmp_path)
    assert str(caught.value).endswith("Build it with: python -m ingest --full")


def test_an_abandoned_build_folder_is_ignored_and_then_removed(tmp_path: Path):
    first = _write(tmp_path, {"a": "Alpha text."})
    leftover = tmp_path / "versions" / ".tmp-20990101T000000000000Z-1"
    leftover.mkdir()
    (leftover / "passages.jsonl").write_text("half", encoding="utf-8")
    assert index.load(tmp_path).version == first.version
    _write(tmp_path, {"a": "Alpha text, again."})
    assert not leftover.exists()


def test_a_failed_write_leaves_the_served_version_intact(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    first = _write(tmp_path, {"a": "Alpha text."})

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(store.vector_index, "build", interrupted)
    with pytest.raises(KeyboardInterrupt):
        _write(tmp_path, {"a": "Something new."})
    assert index.current_version(tmp_path) == first.version
    assert index.load(tmp_path).texts == {"a": "Alpha text."}
    assert not list((tmp_path / "versions").glob(".tmp-*"))


def test_a_second_build_is_refused_while_one_holds_the_lock(tmp_path: Path):
    with (
        index.build_lock(tmp_path),
        pytest.raises(BuildInProgressError, match="Another build"),
        index.build_lock(tmp_path),
    ):
        pass


def test_readers_never_see_a_half_written_index(tmp_path: Path):
    _write(tmp_path, {"a": "Version 0."})
    errors: list[BaseException] = []
    stop = threading.Event()

    def read_forever():
        while not stop.is_set():
            try:
                loaded = index.load(tmp_path)
                assert loaded.texts["a"].startswith("Version ")
            except BaseException as exc:  # any failure at all is the finding
                errors.append(exc)
                return

    readers = [threading.Thread(target=read_forever) for _ in range(3)]
    for reader in readers:
        reader.start()
    for i in range(1, 25):
        _write(tmp_path, {"a": f"Version {i}."}, keep=4)
    stop.set()
    for reader in readers:
        reader.join()
    assert errors == []


# Index integrity: a served version that fails its checksums falls back to the newest intact one.
FILE_DAMAGE = [
    ("a page text edited", lambda root: (root / "pages" / "a.txt").write_text("Alpha!", encoding="utf-8")),
    ("vectors flipped", lambda root: _flip_last_byte(root / "passage_vectors.npy")),
    ("faiss file missing", lambda root: (root / "vectors.faiss").unlink()),
    ("lexical table truncated", lambda root: (root / "lexical" / "postings.npy").write_bytes(b"")),
]


def _flip_last_byte(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[-1] ^= 0xFF
    path.write_bytes(bytes(data))


@pytest.mark.parametrize("damage", [d[1] for d in FILE_DAMAGE], ids=[d[0] for d in FILE_DAMAGE])
def test_a_damaged_served_version_falls_back_to_the_newest_intact_one(tmp_path: Path, caplog, damage):
    older = _write(tmp_path, {"a": "Alpha text."}, keep=3)
    newer = _write(tmp_path, {"a": "Alpha text, newer."}, keep=3)
    damage(tmp_path / "versions" / newer.version)
    with caplog.at_level("WARNING", logger="index"):
        loaded = index.load(tmp_path)
    assert loaded.version == older.version and loaded.texts == {"a": "Alpha text."}
    assert loaded.fallback_from == newer.version and "failed its integrity check" in loaded.fallback_reason
    assert f"index version {newer.version} in {tmp_path} cannot be served" in caplog.text
    assert f"serving {older.version}, the newest intact version" in caplog.text
    with pytest.raises(IndexCorruptError, match="failed its integrity check"):
        index.load(tmp_path, newer.version)  # asked for by name, it is refused


def test_every_file_of_a_version_has_a_checksum_in_its_manifest(tmp_path: Path):
    manifest = _write(tmp_path, {"a": "Alpha text."})
    root = tmp_path / "versions" / manifest.version
    files = sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file() and p.name != "manifest.json")
    assert sorted(manifest.checksums) == files and "pages/a.txt" in files and "vectors.faiss" in files
    assert index.load(tmp_path).fallback_from is None
