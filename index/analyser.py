"""Normalise, tokenise and stem text the same way for questions and pages.

The stored lexical index is built with these functions, so any change to what they
return must come with a new ``ANALYZER``: the manifest records it and a build that
finds another one rebuilds every page.
"""

from __future__ import annotations

import itertools
import re
import threading
import unicodedata
from functools import lru_cache

ANALYZER = "index.analyser v2 (Snowball English)"  # v1: the hand-written suffix stripper

_APOSTROPHES = str.maketrans({"’": "'", "‘": "'", "`": "'", "´": "'"})
_DASHES = str.maketrans({"–": "-", "—": "-", "‐": "-", "‑": "-"})
_ROMAN_STAGE = re.compile(r"\bstage[\s-]*(iv|iii|ii|i)\b")
_ROMAN = {"i": "1", "ii": "2", "iii": "3", "iv": "4"}
# "stage I, II or III" names three stages; the numerals after the first are not otherwise words.
_ROMAN_LIST = re.compile(r"\b(stage 4|stage 3|stage 2|stage 1)((?:\s*(?:,|or|and|to|-)\s*(?:iv|iii|ii|i|[0-4])\b)+)")
_TOKEN = re.compile(r"[a-z0-9]+(?:\+)?")
_POSITIVE = re.compile(r"\b(her2|hr|er|pr)\s*\+")
_stemmers = threading.local()


def strip_control(text: str) -> str:
    """Replace control and format characters (except ordinary white space) by spaces."""
    return "".join(
        " " if unicodedata.category(ch) in {"Cc", "Cf", "Cs", "Co"} and ch not in "\n\t" else ch for ch in text
    )


def normalise(text: str) -> str:
    """Lower case, plain apostrophes and dashes, no apostrophes inside words, stage numerals as digits."""
    text = unicodedata.normalize("NFKC", text).lower().translate(_APOSTROPHES).translate(_DASHES)
    text = re.sub(r"(?<=[a-z])'(?=[a-z])", "", text)
    text = _POSITIVE.sub(lambda m: f"{m.group(1)}+ ", text)
    text = _ROMAN_STAGE.sub(lambda m: f"stage {_ROMAN[m.group(1)]}", text)
    text = re.sub(r"\bstage[\s-]+([0-4])\b", r"stage \1", text)
    text = _ROMAN_LIST.sub(_expand_stage_list, text)
    return text


def normalised_line(text: str) -> str:
    """``normalise(text)`` with each run of whitespace as one space: the form question patterns match.

    >>> normalised_line("Can it  spread\nto the BONES?")
    'can it spread to the bones?'
    """
    return " ".join(normalise(text).split())


def _expand_stage_list(match: re.Match) -> str:
    stages = [match.group(1)]
    for numeral in re.findall(r"\b(iv|iii|ii|i|[0-4])\b", match.group(2)):
        stages.append(f"stage {_ROMAN.get(numeral, numeral)}")
    return " ".join(stages)


def words(text: str) -> list[str]:
    """Normalised word tokens of ``text`` (``her2+`` stays one token)."""
    return _TOKEN.findall(normalise(text))


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """The Snowball English stem of ``word`` (PyStemmer), with every form of "metastasis" as one term.

    >>> [stem(w) for w in ("news", "bones", "fractures", "metastatic", "her2+")]
    ['news', 'bone', 'fractur', 'metasta', 'her2+']
    """
    if word.startswith("metasta") or word.startswith("metastis"):
        return "metasta"
    if not word.isalpha():
        return word
    return _snowball().stemWord(word)


def _snowball():
    """This thread's Snowball English stemmer (a PyStemmer stemmer is not safe to share between threads)."""
    stemmer = getattr(_stemmers, "english", None)
    if stemmer is None:
        import Stemmer

        stemmer = _stemmers.english = Stemmer.Stemmer("english")
    return stemmer


def terms(text: str) -> list[str]:
    """Stemmed tokens of ``text``, plus ``stage N`` as one term ``stageN``."""
    return terms_of_words(words(text))


def terms_of_words(tokens: list[str]) -> list[str]:
    """``terms`` of a text whose ``words`` are ``tokens``."""
    out = [stem(t) for t in tokens]
    out.extend(f"stage{b}" for a, b in itertools.pairwise(tokens) if a == "stage" and b in "01234")
    return out
