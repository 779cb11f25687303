"""The analyser shared by the stored lexical index and the questions: normalising and stemming."""

from __future__ import annotations

import pytest

from index import stem, strip_control, terms


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("symptoms", "symptom"),
        ("treated", "treating"),
        ("fractures", "fractured"),
        ("metastases", "metastatic"),
        ("cured", "cure"),
        ("bones", "bone"),
    ],
)
def test_forms_of_a_word_share_a_stem(a, b):
    assert stem(a) == stem(b)


@pytest.mark.parametrize(("a", "b"), [("news", "new"), ("general", "generous")])  # the old stemmer joined both
def test_different_words_keep_different_stems(a, b):
    assert stem(a) != stem(b)


def test_the_stemmer_is_snowball_english_with_one_term_for_metastasis():
    assert [stem(w) for w in ("running", "generously", "metastasis", "metastatic", "her2+")] == [
        "run",
        "generous",
        "metasta",
        "metasta",
        "her2+",
    ]


def test_stages_are_read_in_words_and_numerals():
    assert "stage4" in terms("Stage IV breast cancer")
    assert {"stage1", "stage2", "stage3"} <= set(terms("early or locally advanced (stage I, II or III) breast cancer"))
    assert "her2+" in terms("HER2+ cancer")


def test_control_characters_become_spaces():
    assert strip_control("a\x00b\x1bc\u200bd\ne") == "a b c d\ne"
