"""The FAISS index: exact parity with brute force, approximate recall, the choice by size and its override."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

import index
from embedding import DIMENSION
from errors import SettingsError
from index import clustered_vectors, exact_top_k, nearby_queries, recall_at_k, vectors
from settings import settings_from_env


def _search(faiss_index, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    scores, ids = faiss_index.search(np.ascontiguousarray(queries, dtype=np.float32), k)
    return scores, ids


def test_flat_top_k_equals_brute_force_cosine(tmp_path: Path):
    data = clustered_vectors(3_000, dimension=DIMENSION, seed=5)
    queries = nearby_queries(data, 50, seed=6)
    spec = vectors.choose_spec(len(data))
    assert spec.kind == "flat"
    vectors.save(vectors.build(data, spec), tmp_path / "vectors.faiss")
    scores, ids = _search(vectors.load(tmp_path / "vectors.faiss", spec), queries, 10)

    cosine = queries @ data.T
    expected_ids = np.argsort(-cosine, axis=1)[:, :10]
    np.testing.assert_array_equal(ids, expected_ids)
    np.testing.assert_allclose(scores, np.take_along_axis(cosine, expected_ids, axis=1), atol=1e-5)


@pytest.mark.parametrize("kind", ["ivf", "hnsw"])
def test_approximate_index_keeps_recall_at_10_above_0_95(tmp_path: Path, kind: str):
    data = clustered_vectors(20_000, dimension=DIMENSION, seed=7)
    queries = nearby_queries(data, 200, seed=8)
    spec = vectors.choose_spec(len(data), kind)
    vectors.save(vectors.build(data, spec), tmp_path / "vectors.faiss")
    loaded = vectors.load(tmp_path / "vectors.faiss", spec)
    _, ids = _search(loaded, queries, 10)
    assert recall_at_k(ids, exact_top_k(data, queries, 10)) >= 0.95


def test_ivf_search_parameters_come_from_the_spec_on_load(tmp_path: Path):
    import faiss

    data = clustered_vectors(2_000, dimension=DIMENSION, seed=9)
    spec = vectors.choose_spec(len(data), "ivf")
    vectors.save(vectors.build(data, spec), tmp_path / "vectors.faiss")
    wider = vectors.VectorIndexSpec("ivf", {**spec.params, "nprobe": spec.params["nprobe"] + 3})
    loaded = faiss.extract_index_ivf(vectors.load(tmp_path / "vectors.faiss", wider))
    assert (loaded.nlist, loaded.nprobe) == (spec.params["nlist"], spec.params["nprobe"] + 3)


def test_ivf_forced_on_a_handful_of_vectors_still_finds_each_one():
    data = clustered_vectors(5, dimension=DIMENSION, seed=10)
    built = vectors.build(data, vectors.choose_spec(len(data), "ivf"))
    _, ids = _search(built, data, 1)
    assert ids[:, 0].tolist() == [0, 1, 2, 3, 4]


@pytest.mark.parametrize(
    ("count", "forced", "kind"),
    [
        (0, None, "flat"),
        (vectors.EXACT_LIMIT - 1, None, "flat"),
        (vectors.EXACT_LIMIT, None, "ivf"),
        (1_000_000, None, "ivf"),
        (1_000_000, "flat", "flat"),
        (10, "hnsw", "hnsw"),
        (10, "ivf", "ivf"),
    ],
)
def test_index_type_is_chosen_by_size_unless_forced(count: int, forced: str | None, kind: str):
    assert vectors.choose_spec(count, forced).kind == kind


def test_ivf_parameters_grow_with_size_and_scan_a_small_share():
    small, large = vectors.choose_spec(vectors.EXACT_LIMIT), vectors.choose_spec(1_000_000)
    assert large.to_dict() == {"kind": "ivf", "params": {"nlist": 2000, "nprobe": 62, "codes": "sq8"}}
    assert small.params["nlist"] < large.params["nlist"]
    assert small.params["nprobe"] >= vectors.IVF_MIN_PROBES
    assert large.params["nprobe"] / large.params["nlist"] <= 1 / 30


@pytest.mark.parametrize("value", ["annoy", "IVF_PQ", "exact"])
def test_a_bad_override_lists_the_valid_choices(value: str):
    with pytest.raises(SettingsError) as caught:
        vectors.choose_spec(100, value)
    assert str(caught.value) == (
        f"Unknown FAISS index type {value!r} in MBC_FAISS_INDEX; choose one of: flat, ivf, hnsw."
    )


@pytest.mark.slow
def test_override_setting_is_built_and_recorded_in_the_manifest(
    built_index_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    from ingest import build

    index_dir = tmp_path / "copy"
    shutil.copytree(built_index_dir, index_dir)
    exact = index.load(index_dir)
    assert exact.manifest.faiss_index == {"kind": "flat", "params": {}}
    monkeypatch.setenv("MBC_INDEX_DIR", str(index_dir))
    monkeypatch.setenv("MBC_FAISS_INDEX", "IVF")

    report = build(settings_from_env())

    assert report.passages_embedded == 0  # only the FAISS index was rebuilt
    manifest = json.loads((index_dir / "versions" / report.version / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["faiss_index"]["kind"] == "ivf"
    approximate = index.load(index_dir)
    for row in (0, len(approximate.passages) // 2, len(approximate.passages) - 1):
        assert approximate.search(np.asarray(approximate.passage_vectors[row]), 1)[0][0] == row


@pytest.mark.slow
def test_a_bad_override_stops_the_build_calmly_and_keeps_the_served_index(
    built_index_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
):
    from ingest.__main__ import main

    index_dir = tmp_path / "copy"
    shutil.copytree(built_index_dir, index_dir)
    served = index.current_version(index_dir)
    monkeypatch.setenv("MBC_INDEX_DIR", str(index_dir))
    monkeypatch.setenv("MBC_FAISS_INDEX", "annoy")

    assert main(["--quiet"]) == 1

    assert capsys.readouterr().err == (
        "Error: Unknown FAISS index type 'annoy' in MBC_FAISS_INDEX; choose one of: flat, ivf, hnsw.\n"
    )
    assert index.current_version(index_dir) == served
