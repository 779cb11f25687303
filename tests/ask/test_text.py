"""Word handling: normalising, stemming, typo correction and follow-up reading."""

from __future__ import annotations

import pytest

from ask.followup import resolve
from ask.lexicon import load_lexicon
from ask.text import stem, strip_control, terms
from ask.vocabulary import Vocabulary


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("symptoms", "symptom"),
        ("treated", "treatment"),
        ("metastases", "metastatic"),
        ("cured", "cure"),
        ("bones", "bone"),
    ],
)
def test_forms_of_a_word_share_a_stem(a, b):
    assert stem(a) == stem(b)


def test_stages_are_read_in_words_and_numerals():
    assert "stage4" in terms("Stage IV breast cancer")
    assert {"stage1", "stage2", "stage3"} <= set(terms("early or locally advanced (stage I, II or III) breast cancer"))
    assert "her2+" in terms("HER2+ cancer")


def test_control_characters_become_spaces():
    assert strip_control("a\x00b\x1bc\u200bd\ne") == "a b c d\ne"


def test_typos_are_corrected_towards_the_pages_words_but_real_words_are_kept():
    vocabulary = Vocabulary.from_words(["symptoms", "hospice", "usually", "hear"])
    assert vocabulary.correct("simptoms") == "symptoms"
    assert vocabulary.correct("hospise") == "hospice"
    assert vocabulary.correct("usualy") == "usually"
    assert vocabulary.correct("heart") == "heart"  # an English word, not a typo of "hear"


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("what about the liver?", "What are the symptoms of mets? what about the liver?"),
        ("and the brain?", "What are the symptoms of mets? and the brain?"),
        ("what are the symptoms of liver metastasis?", "what are the symptoms of liver metastasis?"),
    ],
)
def test_a_follow_up_takes_the_previous_topic_but_not_its_place(question, expected):
    history = [
        {"role": "user", "content": "What are the symptoms of bone mets?"},
        {"role": "assistant", "content": "..."},
    ]
    assert resolve(question, history, load_lexicon()) == expected


def test_without_history_a_question_is_unchanged():
    assert resolve("what about the liver?", None, load_lexicon()) == "what about the liver?"
