"""The on-disk format: atomic versions, pruning, readers during writes, damage reported clearly."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pytest

import index
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
        v = rng.normal(size=(n, index.DIMENSION)).astype(np.float32)
        return v / np.linalg.norm(v, axis=1, keepdims=True)

    return index.VersionContent(pages, passages, unit(len(passages)), sentences, unit(len(sentences)), blocks, records)


def _write(index_dir: Path, pages: dict[str, str], keep: int = 3) -> index.Manifest:
    with index.build_lock(index_dir):
        return index.write_version(
            index_dir,
            _content(pages),
            model=index.MODEL_NAME,
            dimension=index.DIMENSION,
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
    assert loaded.texts == {"a": "Alpha text.", "b": "Beta text."}
    assert [p.text for p in loaded.passages] == ["Alpha text.", "Beta text."]
    best = loaded.search(np.asarray(loaded.passage_vectors[1]), k=1)
    assert best[0][0] == 1 and best[0][1] == pytest.approx(1.0, abs=1e-5)


def test_old_versions_are_pruned_but_the_served_one_kept(tmp_path: Path):
    versions = [_write(tmp_path, {"a": f"Version {i}."}, keep=2).version for i in range(4)]
    assert index.list_versions(tmp_path) == versions[-2:]
    assert index.current_version(tmp_path) == versions[-1]


def test_missing_index_names_the_command_that_builds_it(tmp_path: Path):
    with pytest.raises(index.IndexMissingError, match=r"python -m ingest"):
        index.load(tmp_path / "nothing-here")


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda root: (root / "passages.jsonl").write_text('{"id": 0, "doc_id": "a"', encoding="utf-8"), "damaged"),
        (lambda root: (root / "passage_vectors.npy").unlink(), "damaged"),
        (lambda root: (root / "manifest.json").write_text("{not json", encoding="utf-8"), "unreadable"),
        (lambda root: (root / "pages" / "a.txt").write_text("Different text.", encoding="utf-8"), "inconsistent"),
        (lambda root: (root / "vectors.faiss").write_bytes(b"garbage"), "cannot be read"),
    ],
    ids=["truncated passages", "missing vectors", "bad manifest", "page text changed", "bad faiss file"],
)
def test_damaged_index_is_reported_with_the_rebuild_command(tmp_path: Path, damage, message):
    manifest = _write(tmp_path, {"a": "Alpha text."})
    damage(tmp_path / "versions" / manifest.version)
    with pytest.raises(index.IndexCorruptError, match=message) as caught:
        index.load(tmp_path)
    assert "python -m ingest" in str(caught.value)


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
        pytest.raises(index.BuildInProgressError, match="Another build"),
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
