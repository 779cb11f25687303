"""The scale benchmark's synthetic corpora: shaped like the real thing, and its ground truth right."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from bench.scale import synthetic_index
from bench.synthetic import passage_texts, passage_words
from embedding import DIMENSION
from index import clustered_vectors, exact_top_k, nearby_queries, recall_at_k


def test_vectors_are_unit_rows_clustered_more_than_chance():
    data = clustered_vectors(4_000, dimension=DIMENSION, seed=1)
    assert data.shape == (4_000, 384) and data.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(data, axis=1), 1.0, atol=1e-5)
    cosine = data[:200] @ data.T
    tenth_best = np.sort(cosine, axis=1)[:, -11]  # the best is the row itself
    # Random directions in 384-d have cosine about 0 +- 0.05; neighbours here are much closer.
    assert tenth_best.mean() > 0.2


def test_queries_sit_near_a_passage():
    data = clustered_vectors(2_000, dimension=DIMENSION, seed=2)
    queries = nearby_queries(data, 100, seed=3)
    best = (queries @ data.T).max(axis=1)
    assert 0.6 < best.mean() < 0.8


def test_exact_top_k_is_the_brute_force_order_across_chunks():
    data = clustered_vectors(1_000, dimension=DIMENSION, seed=4)
    queries = nearby_queries(data, 20, seed=5)
    expected = np.argsort(-(queries @ data.T), axis=1)[:, :10]
    np.testing.assert_array_equal(exact_top_k(data, queries, 10, chunk=300), expected)


@pytest.mark.parametrize(
    ("found", "expected"), [([[1, 2], [3, 4]], 1.0), ([[2, 9], [-1, -1]], 0.25), ([[7, 8], [5, 6]], 0.0)]
)
def test_recall_at_k(found, expected):
    assert recall_at_k(np.array(found), np.array([[1, 2], [3, 4]])) == expected


def test_generated_texts_are_sentences_of_corpus_words():
    texts = passage_texts(passage_words(5, seed=6))
    assert len(texts) == 5
    for text in texts:
        assert text.count(". ") == 2 and text.endswith(".") and text[0].isupper()


def test_synthetic_index_spans_match_their_pages(tmp_path: Path):
    index = synthetic_index(1_500, tmp_path / "index")
    assert len(index.passages) == 1_500 and len(index.sentences) == 4_500
    assert index.passage_vectors.shape == (1_500, 384) and index.sentence_vectors.shape == (4_500, 384)
    for passage in index.passages:
        assert index.texts[passage.doc_id][passage.start : passage.end] == passage.text
    for sentence in index.sentences:
        text = index.texts[sentence.doc_id][sentence.start : sentence.end]
        assert text[0].isupper() and text.endswith(".") and "." not in text[:-1]
        block = index.blocks[sentence.block]
        assert (block.start, block.end) == (sentence.start, sentence.end)
    assert index.search(np.asarray(index.passage_vectors[42]), 1)[0][0] == 42
