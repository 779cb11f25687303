"""Which question words the pages know, with typo correction against the pages' own words.

A word the pages never use is either a typo ("simptoms"), an everyday word ("husband")
or a sign that the question is about something the pages do not cover ("palbociclib",
"pregnant"). A word the pages spell the other side of the Atlantic ("tumour", "tumor") is
taken in the pages' spelling (breame's British and American spellings); a real word-frequency
list of English (wordfreq) tells a common English word from a typo; symspellpy finds the pages'
word a typo is closest to.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from functools import cache

from symspellpy import SymSpell, Verbosity

from index import stem

# A word used at least once per million words of English (wordfreq's Zipf scale) is no typo. The
# tokenizer vocabulary this replaces held about 21,700 words, 90 % of them at or above 3.0.
ENGLISH_ZIPF = 3.0
MIN_CORRECTED = 4  # shorter words are left as they are: too many words are one edit apart


@cache
def is_english(word: str) -> bool:
    """Whether ``word`` is a common English word (wordfreq's frequency list, offline)."""
    from wordfreq import zipf_frequency

    return zipf_frequency(word, "en") >= ENGLISH_ZIPF


def _edits_allowed(word: str) -> int:
    return 2 if len(word) >= 7 else 1


@dataclass
class Vocabulary:
    """The pages' words (with counts) and a spelling corrector towards them.

    >>> vocabulary = Vocabulary.from_words(["symptoms", "bones"])
    >>> vocabulary.correct("simptoms")
    'symptoms'
    """

    counts: Counter
    stems: frozenset[str]
    _speller: SymSpell

    @classmethod
    def from_words(cls, words: list[str]) -> Vocabulary:
        return cls.from_counts(Counter(words))

    @classmethod
    def from_counts(cls, word_counts: dict[str, int]) -> Vocabulary:
        """From the pages' words and how often each occurs (as the lexical index stores them)."""
        counts = Counter({w: n for w, n in word_counts.items() if w.isalpha()})
        speller = SymSpell(max_dictionary_edit_distance=2, prefix_length=7)
        for word, count in counts.items():
            if len(word) >= MIN_CORRECTED:
                speller.create_dictionary_entry(word, count)
        return cls(counts, frozenset(stem(w) for w in word_counts), speller)

    def knows(self, word: str) -> bool:
        return word in self.counts or stem(word) in self.stems

    def correct(self, word: str) -> str:
        """The pages' word ``word`` is a typo of, or ``word`` itself."""
        if self.knows(word) or not word.isalpha():
            return word
        if (spelling := self._other_spelling(word)) is not None:
            return spelling
        if len(word) < MIN_CORRECTED or is_english(word):
            return word
        edits = _edits_allowed(word)
        found = self._speller.lookup(word, Verbosity.ALL, max_edit_distance=edits)
        # A typo seldom changes the first letter ("ovaries" is no typo of "varies").
        scored = [(s.distance, -s.count, s.term) for s in found if s.term[0] == word[0] and s.distance <= edits]
        return min(scored)[2] if scored else word

    def _other_spelling(self, word: str) -> str | None:
        """The pages' word when they spell ``word`` the American or British way instead."""
        from breame.spelling import get_american_spelling, get_british_spelling

        for spelling in (get_american_spelling(word), get_british_spelling(word)):
            if spelling != word and self.knows(spelling):
                return spelling
        return None
