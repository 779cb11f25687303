"""The stored lexical index: BM25 as the textbook computes it, saved and loaded unchanged."""

from __future__ import annotations

import math
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from index import lexical, stem, terms

# (sentence, its heading, its list intro)
SENTENCES = [
    ("Bone pain is the most common sign of bone metastasis.", "Symptoms of bone metastases", ""),
    ("Pain in the back or hips.", "Symptoms of bone metastases", "Bone metastases can cause:"),
    ("Fractures after a small fall.", "Symptoms of bone metastases", "Bone metastases can cause:"),
    ("Liver metastases rarely produce symptoms.", "Liver", ""),
    ("Jaundice, a yellowing of the skin, can be a sign.", "Liver", ""),
    ("Treatment aims to control the cancer and ease pain.", "", ""),
]


def stemmed(weights: dict[str, float]) -> dict[str, float]:
    """A query as the index is searched with: each word's stem (the analyser's, so "bone" is what is indexed)."""
    return {stem(word): weight for word, weight in weights.items()}


QUERIES = [
    stemmed({"bone": 1.0, "pain": 1.0}),
    stemmed({"liver": 1.0, "sign": 0.3, "symptoms": 0.6}),
    stemmed({"fractures": 1.0, "hips": 0.5}),
    stemmed({"nothing": 1.0}),
]


def textbook_bm25(query: dict[str, float]) -> np.ndarray:
    """Okapi BM25 written out plainly, each sentence a document with its heading and intro weighted in."""
    documents = []
    for text, heading, intro in SENTENCES:
        doc: Counter = Counter()
        for extra, weight in ((text, 1.0), (heading, lexical.HEADING_WEIGHT), (intro, lexical.INTRO_WEIGHT)):
            for term in terms(extra):
                doc[term] += weight
        documents.append(doc)
    average = sum(sum(d.values()) for d in documents) / len(documents)
    scores = np.zeros(len(documents))
    for term, weight in query.items():
        holding = sum(1 for d in documents if term in d)
        if not holding:
            continue
        idf = math.log(1 + (len(documents) - holding + 0.5) / (holding + 0.5))
        for i, doc in enumerate(documents):
            tf = doc.get(term, 0.0)
            norm = lexical.K1 * (1 - lexical.B + lexical.B * sum(doc.values()) / average)
            scores[i] += weight * idf * tf * (lexical.K1 + 1) / (tf + norm)
    return scores


@pytest.fixture(scope="module")
def saved(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("lexical") / "lexical"
    lexical.save(lexical.build(SENTENCES), folder)
    return folder


@pytest.mark.parametrize("query", QUERIES, ids=lambda q: "+".join(q))
def test_scores_are_textbook_bm25(saved: Path, query: dict[str, float]):
    loaded = lexical.load(saved, len(SENTENCES))
    expected = textbook_bm25(query)
    every = np.arange(len(SENTENCES))
    np.testing.assert_allclose(loaded.matches(every).scores(query), expected, rtol=1e-6)
    hits, scores = loaded.search(query, k=3)
    matching = np.flatnonzero(expected)
    best = matching[np.argsort(-expected[matching], kind="stable")][:3]
    assert hits.tolist() == best.tolist()
    np.testing.assert_allclose(scores, expected[best], rtol=1e-6)


def test_save_then_load_keeps_every_table(saved: Path):
    built = lexical.build(SENTENCES)
    loaded = lexical.load(saved, len(SENTENCES))
    assert loaded.terms == built.terms and loaded.size == built.size == len(SENTENCES)
    assert loaded.word_counts == built.word_counts and loaded.word_sentences == built.word_sentences
    for name in ("idf", "indptr", "postings", "weights", "fields"):
        np.testing.assert_array_equal(getattr(loaded, name), getattr(built, name))
    assert loaded.word_counts["bone"] == 2 and loaded.word_sentences["pain"] == [0, 1, 5]
    assert loaded.idf_of(stem("jaundice")) == pytest.approx(math.log(1 + 5.5 / 1.5)) and loaded.idf_of("unknown") == 0.0


def test_holds_tells_where_a_term_occurs(saved: Path):
    loaded = lexical.load(saved, len(SENTENCES))
    matches = loaded.matches(np.arange(len(SENTENCES)))
    assert matches.holds(stem("bone"), lexical.IN_SENTENCE).tolist() == [True, False, False, False, False, False]
    assert matches.holds(stem("bone"), lexical.IN_HEADING).tolist() == [True, True, True, False, False, False]
    assert matches.holds(stem("cause"), lexical.IN_INTRO).tolist() == [False, True, True, False, False, False]
    assert loaded.matches(np.array([1, 4])).holds(stem("bone"), lexical.IN_HEADING).tolist() == [True, False]


def test_past_the_posting_budget_the_best_hits_keep_their_exact_scores(monkeypatch: pytest.MonkeyPatch):
    built = lexical.build(SENTENCES)
    query = stemmed({"bone": 1.0, "pain": 1.0, "the": 0.5})  # bone is in 3 sentences, pain in 3, the in 4
    assert all(lexical.build(SENTENCES).idf_of(term) > 0 for term in query)  # every term is indexed
    monkeypatch.setattr(lexical, "POSTING_BUDGET", 3)  # the first term is read in full, the others looked up
    monkeypatch.setattr(lexical, "COMPLETED", 2)
    hits, scores = built.search(query, k=2)
    expected = textbook_bm25(query)
    assert hits[0] == int(np.argmax(expected))
    np.testing.assert_allclose(scores, expected[hits], rtol=1e-6)


def test_a_query_of_only_terms_past_the_budget_finds_nothing(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(lexical, "POSTING_BUDGET", 2)
    query = stemmed({"bone": 1.0, "pain": 1.0})  # each in 3 sentences, more than the budget
    assert all(lexical.build(SENTENCES).idf_of(term) > 0 for term in query)
    hits, scores = lexical.build(SENTENCES).search(query, k=2)
    assert hits.tolist() == [] and scores.tolist() == []


def test_a_disagreeing_table_is_refused(saved: Path, tmp_path: Path):
    copy = tmp_path / "lexical"
    copy.mkdir()
    for path in saved.iterdir():
        (copy / path.name).write_bytes(path.read_bytes())
    np.save(copy / "weights.npy", np.zeros(3, dtype=np.float32))
    with pytest.raises(ValueError, match="disagree"):
        lexical.load(copy, len(SENTENCES))
