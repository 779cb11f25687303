"""Suggested questions under a refusal: the pages' own headings and questions, nearest first, or none."""

from __future__ import annotations

import pytest

from ask import ANSWERED, REFUSED, Suggester
from ask.suggest import MAX_SUGGESTIONS


@pytest.fixture(scope="module")
def suggester(bot) -> Suggester:
    return Suggester(bot)


def _headings_and_questions(index) -> set[str]:
    texts = {" ".join(index.texts[b.doc_id][b.start : b.end].split()) for b in index.blocks if b.kind == "heading"}
    texts |= {
        index.sentence_text(s.id).strip() for s in index.sentences if index.sentence_text(s.id).strip().endswith("?")
    }
    return texts


def test_every_candidate_is_a_heading_or_question_of_the_pages_and_is_answered(suggester: Suggester, bot):
    candidates = suggester.candidates()
    assert "Is metastatic breast cancer curable?" in candidates and "Hospice care" in candidates
    assert set(candidates) <= _headings_and_questions(bot.index)  # never invented
    for furniture in ("Get care", "Discussion Boards", "Member Stories", "Read the full report", "Macromedia Flash"):
        assert furniture not in candidates
    for heading in ("Recommended Treatments for", "Pain Management Related to"):  # cut across lines
        assert heading not in candidates
    assert all(bot.ask(text).status == ANSWERED for text in candidates[:10])


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("can my dog get breast cancer", None),
        (
            "what diet should I eat with metastatic breast cancer",
            "What should you do when diagnosed with metastatic breast cancer?",
        ),
    ],
)
def test_a_near_domain_refusal_gets_up_to_three_near_suggestions(suggester: Suggester, bot, question, expected):
    assert bot.ask(question).status == REFUSED
    suggestions = suggester.suggest(question)
    assert 1 <= len(suggestions) <= MAX_SUGGESTIONS and (expected is None or expected in suggestions)
    assert all(bot.ask(text).status == ANSWERED for text in suggestions)  # each one, asked, is answered
    assert not suggester.far_from_pages(question)


@pytest.mark.parametrize(
    "question", ["what is the capital of France", "best football team", "what is the weather today"]
)
def test_an_off_topic_question_gets_no_suggestion_and_is_far_from_the_pages(suggester: Suggester, question):
    assert suggester.suggest(question) == []
    assert suggester.far_from_pages(question)


def test_nothing_near_means_no_suggestion_even_in_the_domain(suggester: Suggester):
    assert suggester.suggest("what are the side effects of tamoxifen") == []


@pytest.mark.parametrize("bad", ["", "   ", None, 42])
def test_no_question_gets_no_suggestion(suggester: Suggester, bad):
    assert suggester.suggest(bad) == []
    assert suggester.far_from_pages(bad) is False


def test_control_characters_never_crash(suggester: Suggester):
    assert isinstance(suggester.suggest("\x00\x01 <b>"), list)
