"""What the vector index's recall is measured on: clustered unit vectors, queries near them, exact search.

Random unit vectors in 384 dimensions are all about equally far apart, which makes
nearest-neighbour search meaningless; real passage embeddings cluster by topic.
So vectors are drawn around sub-topic centres, which are drawn around topic
centres: two passages of one sub-topic have cosine about 0.25, a little less alike than related
passages under all-MiniLM-L6-v2, so recall is not flattered. Queries sit near a passage (cosine about 0.7),
as a question sits near the passage that answers it. The IVF parameters of ``index.vectors`` were chosen
on this data; ``tests/index`` checks them on it and ``python -m bench.scale`` measures them at scale.
"""

from __future__ import annotations

import numpy as np

SUBTOPIC_SPREAD = 0.8  # how far a sub-topic centre strays from its topic
PASSAGE_SPREAD = 1.7  # how far a passage strays from its sub-topic centre
QUERY_SPREAD = 1.0  # how far a query strays from the passage it is about


def _unit_rows(array: np.ndarray) -> np.ndarray:
    array /= np.linalg.norm(array, axis=1, keepdims=True)
    return array


def _random_directions(rng: np.random.Generator, count: int, dimension: int) -> np.ndarray:
    return _unit_rows(rng.standard_normal((count, dimension), dtype=np.float32))


def clustered_vectors(
    count: int, *, dimension: int, seed: int = 0, chunk: int = 100_000, out: np.ndarray | None = None
) -> np.ndarray:
    """``count`` unit float32 vectors in topic and sub-topic clusters (about 200 passages a sub-topic).

    ``out`` (say a memory-mapped file) receives them instead of a new array, for sizes that would crowd memory.
    """
    rng = np.random.default_rng(seed)
    topics = _random_directions(rng, max(8, int(count**0.5) // 4), dimension)
    subtopic_count = max(16, count // 200)
    subtopics = _unit_rows(
        topics[rng.integers(0, len(topics), subtopic_count)]
        + SUBTOPIC_SPREAD * _random_directions(rng, subtopic_count, dimension)
    )
    vectors = np.empty((count, dimension), dtype=np.float32) if out is None else out
    for start in range(0, count, chunk):
        end = min(count, start + chunk)
        centres = subtopics[rng.integers(0, subtopic_count, end - start)]
        vectors[start:end] = _unit_rows(centres + PASSAGE_SPREAD * _random_directions(rng, end - start, dimension))
    return vectors


def nearby_queries(vectors: np.ndarray, count: int, *, seed: int = 1) -> np.ndarray:
    """``count`` unit query vectors, each near a randomly chosen row of ``vectors``."""
    rng = np.random.default_rng(seed)
    anchors = np.asarray(vectors[rng.integers(0, len(vectors), count)], dtype=np.float32)
    return _unit_rows(anchors + QUERY_SPREAD * _random_directions(rng, count, vectors.shape[1]))


def exact_top_k(vectors: np.ndarray, queries: np.ndarray, k: int, *, chunk: int = 200_000) -> np.ndarray:
    """Row ids of the ``k`` largest inner products per query, by brute force (the ground truth)."""
    best_scores = np.full((len(queries), 0), -np.inf, dtype=np.float32)
    best_ids = np.zeros((len(queries), 0), dtype=np.int64)
    for start in range(0, len(vectors), chunk):
        scores = queries @ np.asarray(vectors[start : start + chunk]).T
        top = np.argpartition(-scores, min(k, scores.shape[1] - 1), axis=1)[:, :k]
        best_scores = np.hstack([best_scores, np.take_along_axis(scores, top, axis=1)])
        best_ids = np.hstack([best_ids, top + start])
        keep = np.argsort(-best_scores, axis=1)[:, :k]
        best_scores = np.take_along_axis(best_scores, keep, axis=1)
        best_ids = np.take_along_axis(best_ids, keep, axis=1)
    return best_ids


def recall_at_k(found: np.ndarray, exact: np.ndarray) -> float:
    """Mean share of each query's exact top-k that ``found`` also returned."""
    k = exact.shape[1]
    return float(
        np.mean([len(set(f[f >= 0].tolist()) & set(e.tolist())) / k for f, e in zip(found, exact, strict=True)])
    )
