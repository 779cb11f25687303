"""Word handling in answering: typo correction and follow-up reading."""

from __future__ import annotations

import pytest

from ask import load_lexicon, resolve
from ask.vocabulary import Vocabulary


def test_typos_are_corrected_towards_the_pages_words_but_real_words_are_kept():
    vocabulary = Vocabulary.from_words(["symptoms", "hospice", "usually", "hear"])
    assert vocabulary.correct("simptoms") == "symptoms"
    assert vocabulary.correct("hospise") == "hospice"
    assert vocabulary.correct("usualy") == "usually"
    assert vocabulary.correct("heart") == "heart"  # an English word, not a typo of "hear"


@pytest.mark.parametrize(
    ("pages", "asked", "read"),
    [
        (["tumors", "counselor"], "tumours", "tumors"),  # the pages' American spelling
        (["tumors", "counselor"], "counsellor", "counselor"),
        (["tumours"], "tumors", "tumours"),  # and their British one
        (["place"], "placebo", "placebo"),  # a common English word is not a typo, though one letter off
        (["medical"], "medicaid", "medicaid"),
        (["within"], "withn", "within"),
    ],
)
def test_spellings_are_read_as_the_pages_spell_them_and_english_words_are_left_alone(pages, asked, read):
    assert Vocabulary.from_words(pages).correct(asked) == read


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
