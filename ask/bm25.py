"""Okapi BM25 over weighted term lists, small enough to build in memory at load time."""

from __future__ import annotations

import math
from collections import defaultdict

import numpy as np

K1 = 1.2
B = 0.75


class BM25:
    """Scores documents (term → weight maps) against a weighted query.

    >>> bm25 = BM25([{"bone": 1.0, "pain": 1.0}, {"liver": 1.0}])
    >>> bm25.scores({"bone": 1.0}).round(2)
    """

    def __init__(self, documents: list[dict[str, float]]) -> None:
        self.size = len(documents)
        lengths = np.array([sum(doc.values()) for doc in documents], dtype=np.float64)
        average = float(lengths.mean()) if self.size else 1.0
        self._postings: dict[str, list[tuple[int, float]]] = defaultdict(list)
        for doc_id, doc in enumerate(documents):
            norm = K1 * (1 - B + B * lengths[doc_id] / (average or 1.0))
            for term, tf in doc.items():
                self._postings[term].append((doc_id, tf * (K1 + 1) / (tf + norm)))
        self.idf = {
            term: math.log(1 + (self.size - len(posts) + 0.5) / (len(posts) + 0.5))
            for term, posts in self._postings.items()
        }

    def scores(self, query: dict[str, float]) -> np.ndarray:
        """BM25 score of every document for ``query`` (term → weight)."""
        out = np.zeros(self.size, dtype=np.float64)
        for term, weight in query.items():
            idf = self.idf.get(term)
            if idf is None:
                continue
            for doc_id, saturated in self._postings[term]:
                out[doc_id] += weight * idf * saturated
        return out
