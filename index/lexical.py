"""BM25 over the sentences, built with each index version and read memory-mapped.

A sentence's document is its own terms, those of its section heading (at
``HEADING_WEIGHT``) and, for a list item, those of the paragraph introducing the list
(at ``INTRO_WEIGHT``): a list item often names its subject only there. The table is a
term × sentence sparse matrix in CSR form: row ``t`` lists, in order, the sentences
holding ``terms[t]``, each with its BM25 term weight ``tf (k1 + 1) / (tf + norm)`` (idf
apart) and where the term occurs. A search is a few slices of memory-mapped arrays summed
per sentence; scoring given sentences is a binary search per term. Nothing is built when
the index is loaded.

Files in a version's ``lexical/`` folder::

    terms.json      the terms, sorted; term t is row t
    words.json      every word of the sentences: its count and the first sentences holding it
    idf.npy         float64, one per term
    indptr.npy      int64 (terms + 1): row t is postings[indptr[t]:indptr[t + 1]]
    postings.npy    int32 sentence ids
    weights.npy     float32 BM25 term weights
    fields.npy      uint8 bits: IN_SENTENCE | IN_HEADING | IN_INTRO
"""

from __future__ import annotations

import json
from array import array
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from index.analyser import ANALYZER, terms, terms_of_words, words
from index.rows import read_mapped

K1 = 1.2
B = 0.75
HEADING_WEIGHT = 0.5
INTRO_WEIGHT = 0.3
IN_SENTENCE, IN_HEADING, IN_INTRO = 1, 2, 4
WORD_SENTENCES = 16  # sentences kept per word: enough to tell whether a quotable one holds it
# A term in nearly every sentence (idf under this) moves no ranking but costs a full pass.
MIN_IDF = 0.05
# Postings a search reads in full, rarest terms first (a few ms at 1M passages); the commoner
# terms beyond them are looked up only for the best COMPLETED sentences found with the rarer ones.
POSTING_BUDGET = 250_000
COMPLETED = 2_000
_ARRAYS = ("idf", "indptr", "postings", "weights", "fields")


def settings() -> dict:
    """What the manifest records; a build that finds other values rebuilds every page."""
    return {
        "analyzer": ANALYZER,
        "k1": K1,
        "b": B,
        "heading_weight": HEADING_WEIGHT,
        "intro_weight": INTRO_WEIGHT,
        "word_sentences": WORD_SENTENCES,
    }


@dataclass(frozen=True)
class LexicalIndex:
    """The stored BM25 table of one index version.

    >>> lexical = build([("Bone pain is common.", "Symptoms", ""), ("Liver pain.", "Symptoms", "")])
    >>> lexical.search({"bon": 1.0, "pain": 0.5}, k=10)  # stemmed terms, as index.text.terms makes them
    """

    terms: dict[str, int]  # term → row
    idf: np.ndarray
    indptr: np.ndarray
    postings: np.ndarray
    weights: np.ndarray
    fields: np.ndarray
    word_counts: dict[str, int]  # every word of the sentences (normalised, unstemmed)
    word_sentences: dict[str, list[int]]  # the first ``WORD_SENTENCES`` sentences holding each word
    size: int  # how many sentences

    def idf_of(self, term: str) -> float:
        """The term's idf, 0.0 for a term no sentence holds."""
        row = self.terms.get(term)
        return 0.0 if row is None else float(self.idf[row])

    def search(self, query: dict[str, float], k: int) -> tuple[np.ndarray, np.ndarray]:
        """The (at most) ``k`` best sentences for ``query`` (term → weight) by BM25, best first, and their scores.

        Exact while the query's postings number under ``POSTING_BUDGET``. Past it, the rarer terms
        that fit are read in full and the rest only looked up for the ``COMPLETED`` best sentences
        found so far; a query of nothing but words in most sentences finds nothing. A sentence
        holding only the commonest words can be missed, which is what a huge corpus makes of them.
        """
        rows = sorted(self._rows(query), key=lambda row: row[0].stop - row[0].start)
        read = np.cumsum([postings.stop - postings.start for postings, _ in rows])
        full = int(np.searchsorted(read, POSTING_BUDGET, side="right"))
        if not full:
            return np.zeros(0, dtype=np.int64), np.zeros(0)
        ids = np.concatenate([self.postings[postings] for postings, _ in rows[:full]])
        gains = np.concatenate([self.weights[postings] * factor for postings, factor in rows[:full]])
        # Summed per sentence over the postings read, not into an array of every sentence: far fewer.
        found, inverse = np.unique(ids, return_inverse=True)
        partial = np.bincount(inverse, weights=gains)
        keep = COMPLETED if full < len(rows) else k
        if len(found) > keep:
            top = np.sort(np.argpartition(-partial, keep)[:keep])
            found, partial = found[top], partial[top]
        scores = partial + Matches(self, found)._gains(rows[full:])
        best = np.argsort(-scores, kind="stable")[:k]
        return found[best].astype(np.int64), scores[best]

    def matches(self, sentence_ids: np.ndarray) -> Matches:
        """The postings of ``sentence_ids`` (ascending), to score them or ask which terms they hold."""
        return Matches(self, sentence_ids)

    def _rows(self, query: dict[str, float]) -> list[tuple[slice, float]]:
        """The query's terms the index holds, as (their postings, weight × idf), very common terms left out."""
        rows = []
        for term, weight in query.items():
            row = self.terms.get(term)
            if row is not None and self.idf[row] >= MIN_IDF:
                rows.append((self.postings_of(row), weight * float(self.idf[row])))
        return rows

    def postings_of(self, row: int) -> slice:
        """Where term ``row``'s postings lie in ``postings``, ``weights`` and ``fields``."""
        return slice(int(self.indptr[row]), int(self.indptr[row + 1]))


class Matches:
    """The postings of some sentences, each term looked up once however often it is asked about.

    >>> matches = lexical.matches(np.array([0, 1]))
    >>> matches.scores({"bon": 1.0}), matches.holds("symptom", IN_HEADING)
    """

    def __init__(self, lexical: LexicalIndex, sentence_ids: np.ndarray) -> None:
        self.lexical = lexical
        self.sentence_ids = sentence_ids
        self._found: dict[int, tuple[np.ndarray, np.ndarray]] = {}

    def scores(self, query: dict[str, float]) -> np.ndarray:
        """The exact BM25 score of each sentence for ``query`` (term → weight)."""
        return self._gains(self.lexical._rows(query))

    def holds(self, term: str, fields: int) -> np.ndarray:
        """For each sentence, whether ``term`` occurs in one of ``fields`` of it."""
        row = self.lexical.terms.get(term)
        if row is None:
            return np.zeros(len(self.sentence_ids), dtype=bool)
        postings = self.lexical.postings_of(row)
        found, at = self._find(postings)
        return found & (self.lexical.fields[postings][at] & fields != 0)

    def _gains(self, rows: list[tuple[slice, float]]) -> np.ndarray:
        out = np.zeros(len(self.sentence_ids))
        for postings, factor in rows:
            found, at = self._find(postings)
            out += np.where(found, self.lexical.weights[postings][at] * factor, 0.0)
        return out

    def _find(self, postings: slice) -> tuple[np.ndarray, np.ndarray]:
        """Which of the sentences a term's postings hold, and where (valid where found)."""
        if postings.start not in self._found:
            held = self.lexical.postings[postings]
            keys = self.sentence_ids.astype(held.dtype)  # keys of another type would copy the postings
            at = np.minimum(held.searchsorted(keys), max(len(held) - 1, 0))
            found = held[at] == keys if len(held) else np.zeros(len(keys), dtype=bool)
            self._found[postings.start] = (found, at)
        return self._found[postings.start]


def build(sentences: Iterable[tuple[str, str, str]]) -> LexicalIndex:
    """The table for ``sentences``, each given as (its text, its heading's text, its list intro's text)."""
    context_terms = lru_cache(maxsize=4096)(lambda text: Counter(terms(text)))
    term_rows: dict[str, int] = {}
    word_counts: Counter = Counter()
    word_sentences: dict[str, list[int]] = {}
    post_sentence, post_term, post_tf, post_field = array("i"), array("i"), array("d"), array("B")
    lengths = array("d")
    for sentence_id, (text, heading, intro) in enumerate(sentences):
        doc: dict[str, list] = {}
        tokens = words(text)
        for term in terms_of_words(tokens):
            entry = doc.setdefault(term, [0.0, 0])
            entry[0] += 1.0
            entry[1] |= IN_SENTENCE
        for extra, weight, field in ((heading, HEADING_WEIGHT, IN_HEADING), (intro, INTRO_WEIGHT, IN_INTRO)):
            for term, count in context_terms(extra).items():
                entry = doc.setdefault(term, [0.0, 0])
                entry[0] += weight * count
                entry[1] |= field
        for word in tokens:
            word_counts[word] += 1
            held = word_sentences.setdefault(word, [])
            if len(held) < WORD_SENTENCES and (not held or held[-1] != sentence_id):
                held.append(sentence_id)
        lengths.append(sum(tf for tf, _ in doc.values()))
        for term, (tf, field) in doc.items():
            post_sentence.append(sentence_id)
            post_term.append(term_rows.setdefault(term, len(term_rows)))
            post_tf.append(tf)
            post_field.append(field)
    size = len(lengths)
    ordered = sorted(term_rows)
    renumber = np.empty(len(term_rows), dtype=np.int64)
    renumber[[term_rows[t] for t in ordered]] = np.arange(len(ordered))
    term_ids = renumber[np.asarray(post_term, dtype=np.int64)]
    order = np.argsort(term_ids, kind="stable")  # stable: each row stays in sentence order
    sentence_ids = np.asarray(post_sentence, dtype=np.int32)[order]
    length = np.asarray(lengths, dtype=np.float64)
    average = float(length.mean()) if size else 1.0
    tf = np.asarray(post_tf, dtype=np.float64)[order]
    norm = K1 * (1 - B + B * length[sentence_ids] / (average or 1.0))
    document_frequency = np.bincount(term_ids, minlength=len(ordered))
    return LexicalIndex(
        terms={term: row for row, term in enumerate(ordered)},
        idf=np.log(1 + (size - document_frequency + 0.5) / (document_frequency + 0.5)),
        indptr=np.concatenate([[0], np.cumsum(document_frequency)]).astype(np.int64),
        postings=sentence_ids,
        weights=(tf * (K1 + 1) / (tf + norm)).astype(np.float32),
        fields=np.asarray(post_field, dtype=np.uint8)[order],
        word_counts=dict(word_counts),
        word_sentences=word_sentences,
        size=size,
    )


def save(lexical: LexicalIndex, folder: Path) -> None:
    """Write ``lexical`` into ``folder`` (created); the caller syncs the files."""
    folder.mkdir()
    (folder / "terms.json").write_text(json.dumps(sorted(lexical.terms, key=lexical.terms.get)), encoding="utf-8")
    words_table = {"counts": lexical.word_counts, "sentences": lexical.word_sentences}
    (folder / "words.json").write_text(json.dumps(words_table, ensure_ascii=False), encoding="utf-8")
    for name in _ARRAYS:
        np.save(folder / f"{name}.npy", getattr(lexical, name))


def load(folder: Path, size: int) -> LexicalIndex:
    """Read the table of ``size`` sentences from ``folder``, arrays memory-mapped.

    Raises ``OSError`` or ``ValueError`` when a file is missing, unreadable or disagrees with the others.
    """
    term_list = json.loads((folder / "terms.json").read_text(encoding="utf-8"))
    words_table = json.loads((folder / "words.json").read_text(encoding="utf-8"))
    arrays = {name: read_mapped(folder / f"{name}.npy") for name in _ARRAYS}
    postings = len(arrays["postings"])
    if (
        len(arrays["idf"]) != len(term_list)
        or arrays["indptr"].shape != (len(term_list) + 1,)
        or (len(term_list) and int(arrays["indptr"][-1]) != postings)
        or len(arrays["weights"]) != postings
        or len(arrays["fields"]) != postings
    ):
        raise ValueError(
            f"the lexical table in {folder} has {len(term_list)} terms and {postings} postings that disagree"
        )
    return LexicalIndex(
        {t: row for row, t in enumerate(term_list)},
        **arrays,
        word_counts=words_table["counts"],
        word_sentences=words_table["sentences"],
        size=size,
    )
