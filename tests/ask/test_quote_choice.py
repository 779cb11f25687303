"""Quote choice as a mechanism, over every answer to the held-out dev questions: a lead-in comes
with what it introduces, no two quotes say the same thing, a further quote also answers, and the
fitted weights of the fused score are a reviewable, normalised file."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from ask.quotes import NEAR_DUPLICATE, Span
from ask.retrieve import SIGNALS, load_weights
from learn import DEV_FILE, read_rows

QUESTIONS = [(r.question, r.history_turns()) for r in read_rows(DEV_FILE) if r.expect == "answer"]


@pytest.fixture(scope="module")
def answers(bot):
    return [bot.ask(question, history or None) for question, history in QUESTIONS]


def _sentences(index, quote) -> list[int]:
    """The ids of the sentences a quote is made of."""
    rows = index.sentences
    return [i for i in rows.of_doc(quote.doc_id) if quote.start <= rows.start[i] and rows.end[i] <= quote.end]


def _span(index, quote) -> Span:
    return Span(quote.doc_id, quote.start, quote.end, quote.score, tuple(_sentences(index, quote)))


def test_a_lead_in_is_never_shown_without_what_it_introduces(answers):
    quotes = [q for a in answers for q in a.quotes]
    assert quotes
    assert [q.text for q in quotes if q.text.rstrip().endswith(":")] == []


def test_a_quote_that_opens_a_list_holds_its_items(bot, answers):
    index = bot.index
    checked = 0
    for quote in (q for a in answers for q in a.quotes):
        for sentence in _sentences(index, quote):
            text = index.sentence_text(sentence)
            block = index.blocks[int(index.sentences.block[sentence])]
            following = index.next_block(block.id)
            if text.rstrip().endswith(":") and following is not None and following.kind == "list":
                checked += 1
                assert quote.end > following.start, quote.text
    assert checked > 0


def test_no_two_quotes_of_an_answer_say_the_same_thing(bot, answers):
    selector = bot.selector
    pairs = 0
    for answer in answers:
        for a, b in itertools.combinations([_span(bot.index, q) for q in answer.quotes], 2):
            pairs += 1
            # As close as a rewording only when the two give different figures (both are then shown).
            assert not selector.repeats(b, [a]), (a, b)
            if float(selector.vector(a) @ selector.vector(b)) >= NEAR_DUPLICATE:
                assert selector.figures(a) != selector.figures(b)
    assert pairs > 0


def test_a_further_quote_that_does_not_answer_or_repeats_the_first_is_left_out(bot):
    retriever, selector = bot.retriever, bot.selector
    several = 0
    for question, _ in QUESTIONS:
        spans = selector.candidates(retriever.score(retriever.query(question), bot.embedder.embed_one(question)))
        if len(selector.select(spans)) > 1:  # further quotes close enough to the best to be shown
            several += 1
            assert selector.select(spans, also_answers=lambda span: False) == [spans[0]]
            assert selector.repeats(spans[0], [spans[0]])
    assert several >= 3


def test_the_fused_score_weights_are_fitted_and_add_up_to_one():
    weights = load_weights()
    values = np.array([getattr(weights, name) for name in SIGNALS])
    assert (values >= 0).all() and values.sum() == pytest.approx(1.0, abs=1e-3)
