"""Synthetic texts for the scale benchmark: words drawn from the real corpus's vocabulary by frequency,
nothing is downloaded. Its vectors are ``index.clustered_vectors`` and ``index.nearby_queries``.
"""

from __future__ import annotations

import re

import numpy as np

from settings import REPO_ROOT

WORDS_PER_PASSAGE = 60


def corpus_vocabulary() -> tuple[list[str], np.ndarray]:
    """The real corpus's words and how often each occurs, most frequent first."""
    counts: dict[str, int] = {}
    for path in sorted((REPO_ROOT / "corpus").glob("*.txt")):
        for word in re.findall(r"[A-Za-z][A-Za-z'-]*", path.read_text(encoding="utf-8")):
            counts[word.lower()] = counts.get(word.lower(), 0) + 1
    words = sorted(counts, key=lambda w: (-counts[w], w))
    return words, np.array([counts[w] for w in words], dtype=np.float64)


def passage_words(count: int, *, seed: int = 2, words_per_passage: int = WORDS_PER_PASSAGE) -> np.ndarray:
    """Word numbers (into ``corpus_vocabulary()``) of ``count`` passages, drawn by frequency."""
    _, frequency = corpus_vocabulary()
    rng = np.random.default_rng(seed)
    return rng.choice(len(frequency), (count, words_per_passage), p=frequency / frequency.sum()).astype(np.int32)


def passage_texts(word_ids: np.ndarray, *, sentences_per_passage: int = 3) -> list[str]:
    """Texts of passages given as word numbers: that many capitalised sentences, each ending in a full stop."""
    words, _ = corpus_vocabulary()
    length = -(-word_ids.shape[1] // sentences_per_passage)
    return [
        " ".join(
            " ".join(words[i] for i in row[start : start + length]).capitalize() + "."
            for start in range(0, len(row), length)
        )
        for row in word_ids.tolist()
    ]
