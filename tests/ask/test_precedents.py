"""Precedents as a mechanism: a question worded like an answered one is steered to that one's answer,
even where its words never reach it; an answer a refresh removed no longer votes; a broken file
names itself."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from ask import Precedents, Retriever, load_precedents
from ask.precedents import PRECEDENTS_FILE, LocatedPrecedents
from errors import PromptError

# One sentence of a page, and a question whose words are nowhere near it.
QUESTION = "my aunt keeps asking about the thing with the tablets, what was it again?"


def _a_quotable_sentence(bot) -> tuple[int, str, str]:
    index, retriever = bot.index, bot.retriever
    for sentence_id in range(len(index.sentences)):
        text = index.sentence_text(sentence_id)
        if retriever.quotable(sentence_id) and len(text) > 80:
            doc_id = index.sentences[sentence_id].doc_id
            return sentence_id, index.page(doc_id).seed, text
    raise AssertionError("the index holds no quotable sentence")


def test_the_nearest_precedent_brings_its_answer_into_the_candidates_and_votes_for_it(bot):
    sentence_id, seed, text = _a_quotable_sentence(bot)
    vector = bot.embedder.embed_one(QUESTION)
    own = Precedents(vector[None, :].astype(np.float32), (((seed, text),),), k=10, temperature=0.05)
    nobody = Precedents(np.zeros((0, vector.shape[0]), dtype=np.float32), (), k=10, temperature=0.05)

    with_it = Retriever(bot.index, bot.lexicon, bot.retriever.weights, own)
    without = Retriever(bot.index, bot.lexicon, bot.retriever.weights, nobody)
    query = with_it.query(QUESTION)
    scores, before = with_it.score(query, vector), without.score(query, vector)

    assert sentence_id in scores.ids.tolist()
    at = scores.ids.tolist().index(sentence_id)
    assert scores.precedent[at] == pytest.approx(1.0, abs=1e-4)  # the question itself: a full vote
    assert scores.precedent.sum() == pytest.approx(1.0, abs=1e-4)  # and for nothing else
    assert not before.precedent.any()
    if sentence_id in before.ids.tolist():
        assert scores.fused[at] > before.fused[before.ids.tolist().index(sentence_id)]


def test_only_a_precedent_close_to_the_question_counts():
    located = LocatedPrecedents(np.eye(3, dtype=np.float32), (np.array([10]), np.array([20]), np.array([30])), 3, 0.05)
    question = np.array([0.98, 0.199, 0.0], dtype=np.float32)  # cosine 0.98 with the first, 0.2 with the second
    rows, weights = located.nearest(question)
    votes = located.votes(np.array([10, 20, 30, 40]), rows, weights)
    assert votes[0] == pytest.approx(np.exp(-0.02 / 0.05), rel=1e-3)
    assert 0 < votes[1] < 1e-6 and votes[2] < 1e-8 and votes[3] == 0
    same = located.votes(np.array([10]), *located.nearest(np.array([1.0, 0, 0], dtype=np.float32)))
    assert same[0] == pytest.approx(1.0)


def test_an_answer_a_refresh_removed_no_longer_votes(bot):
    _, seed, text = _a_quotable_sentence(bot)
    vectors = np.ones((2, 384), dtype=np.float32) / np.sqrt(384)
    precedents = Precedents(vectors, (((seed, text),), ((seed, "a sentence no page holds any more."),)))
    located = precedents.located(bot.index)
    assert len(located.vectors) == 1 and len(located.sentence_ids) == 1


def test_the_committed_precedents_are_located_in_the_built_index(bot):
    committed = load_precedents()
    located = committed.located(bot.index)
    assert len(committed.answers) > 200
    assert len(located.vectors) == len(committed.answers)  # every gold passage is in the pages


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (lambda d: d.pop("answers"), "missing entry answers"),
        (lambda d: d.update(surplus=1), "unknown entry surplus"),
        (lambda d: d.update(vectors_sha256="0" * 64), "its sha256 differs"),
        (lambda d: d.update(k=0), "k >= 1"),
    ],
)
def test_a_broken_precedents_file_names_what_is_wrong(tmp_path, change, problem):
    data = json.loads(PRECEDENTS_FILE.read_text(encoding="utf-8"))
    change(data)
    path = tmp_path / PRECEDENTS_FILE.name
    path.write_text(json.dumps(data), encoding="utf-8")
    shutil.copy(PRECEDENTS_FILE.with_suffix(".npy"), tmp_path)
    with pytest.raises(PromptError, match=problem) as caught:
        load_precedents(path)
    assert "python -m learn fit" in str(caught.value)
