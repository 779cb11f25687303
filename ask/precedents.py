"""Precedents: the labelled questions the pages answer, with the passages that answer them.

A new question worded like an answered one is most likely answered by the same passages, whatever
words it uses. For each candidate sentence, ``LocatedPrecedents.votes`` adds up, over the
question's ``k`` nearest precedents whose answer holds that sentence, ``exp((cosine - 1) /
temperature)``: 1 for the same question, about 0.37 at cosine 0.95, 0.02 at 0.8, so only a
precedent close to the question counts (capped at 1). It is a signal of the fused score, with a
weight fitted like the others (``learn.fit.fit_ranker``), and the precedents' answers join the
candidates so a sentence the question's words never reach can still be found.

Measured out of fold (the candidates of the 311 answerable training questions, ranked by a
regression over the signals): the best candidate overlapped a gold passage for 0.67 of them
without this signal and 0.70 with it. A share of the nearest precedents' weight instead (which
counts a far precedent as much as a close one when it is the nearest) gave 0.65. Over k 5, 10, 20
and temperatures 0.03, 0.05, 0.1 the votes gave 0.67-0.70; k 10 and 0.05 (``learn.fit``) were best.

``models/precedents.json`` (the answers, as exact text of the pages) and ``models/precedents.npy``
(the questions' vectors, float16) are written by ``python -m learn fit`` from ``data/train.jsonl``.
The answers are located in whatever index is served: an answer whose text a refresh removed
simply no longer votes.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from errors import PromptError
from index import Index, nearest_weighted
from prompts import REFIT, FittedFile, read_fitted_file, read_vectors
from settings import REPO_ROOT

PRECEDENTS_FILE = REPO_ROOT / "models" / "precedents.json"


@dataclass(frozen=True)
class Precedents:
    """Answered questions: their vectors and, for each, its answer as (page seed, exact text) pairs."""

    vectors: np.ndarray  # (n, dims), unit length
    answers: tuple[tuple[tuple[str, str], ...], ...]
    k: int = 10
    temperature: float = 0.05

    def __post_init__(self) -> None:
        if self.vectors.ndim != 2 or len(self.vectors) != len(self.answers):
            raise ValueError(f"{len(self.answers)} precedent answers but vectors of shape {self.vectors.shape}")
        if self.k < 1 or self.temperature <= 0:
            raise ValueError(f"precedents need k >= 1 and a temperature above 0 (k={self.k})")

    def located(self, index: Index) -> LocatedPrecedents:
        """The precedents whose answers are found in ``index``, each with its answer's sentence ids."""
        by_seed = {page.seed: page.doc_id for page in index.manifest.pages if page.seed is not None}
        keep, sentence_ids = [], []
        for row, answer in enumerate(self.answers):
            found = set()
            for seed, text in answer:
                doc_id = by_seed.get(seed)
                page = index.texts.get(doc_id, "") if doc_id else ""
                start = page.find(text) if text else -1
                if start >= 0:
                    found.update(_sentences_between(index, doc_id, start, start + len(text)))
            if found:
                keep.append(row)
                sentence_ids.append(np.array(sorted(found), dtype=np.int64))
        return LocatedPrecedents(self.vectors[keep], tuple(sentence_ids), self.k, self.temperature)

    def to_dict(self, vectors: dict) -> dict:
        """The settings and answers, with ``vectors``: the entry ``prompts.write_vectors`` returned."""
        answers = [[list(pair) for pair in answer] for answer in self.answers]
        return {"k": self.k, "temperature": self.temperature, **vectors, "answers": answers}


@dataclass(frozen=True)
class LocatedPrecedents:
    """Precedents whose answers are sentences of one index."""

    vectors: np.ndarray
    sentence_ids: tuple[np.ndarray, ...]  # per precedent, ascending
    k: int
    temperature: float

    def nearest(self, vector: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The rows of the ``k`` nearest precedents and their weights, ``exp((cosine - 1) / temperature)``."""
        if not len(self.vectors):
            return np.zeros(0, dtype=np.int64), np.zeros(0)
        similarity = self.vectors @ np.asarray(vector, dtype=np.float32)
        rows, weights = nearest_weighted(similarity[None, :], self.k, self.temperature)
        return rows[0], weights[0]  # a weight over 1 (float16 rounding) still gives a vote of 1: votes are capped

    def answer_ids(self, rows: np.ndarray) -> np.ndarray:
        """The sentence ids of the answers of ``rows``, ascending."""
        if not len(rows):
            return np.zeros(0, dtype=np.int64)
        return np.unique(np.concatenate([self.sentence_ids[int(r)] for r in rows]))

    def votes(self, ids: np.ndarray, rows: np.ndarray, weights: np.ndarray) -> np.ndarray:
        """For each candidate of ``ids`` (ascending), the weight of the precedents whose answer holds it, at most 1."""
        out = np.zeros(len(ids))
        for row, weight in zip(rows.tolist(), weights.tolist(), strict=True):
            out[np.isin(ids, self.sentence_ids[row], assume_unique=True)] += weight
        return np.minimum(out, 1.0)


def _sentences_between(index: Index, doc_id: str, start: int, end: int) -> list[int]:
    """The ids of the sentences of page ``doc_id`` that overlap characters ``start:end``."""
    rows = index.sentences.of_doc(doc_id)
    starts, ends = index.sentences.start[rows.start : rows.stop], index.sentences.end[rows.start : rows.stop]
    return (np.nonzero((starts < end) & (start < ends))[0] + rows.start).tolist()


class _PrecedentsFile(FittedFile):
    model_id: str
    data_sha256: str
    fitted_on: str
    k: int
    temperature: float
    vectors: str  # the .npy file's name, beside this file
    vectors_sha256: str
    texts_sha256: str
    answers: list[list[tuple[str, str]]]


def load_precedents(path: Path = PRECEDENTS_FILE) -> Precedents:
    """Read the precedents; raise ``PromptError`` naming what is wrong."""
    path = Path(path)
    data = read_fitted_file(path, _PrecedentsFile, "precedents file")
    vectors = read_vectors(path.with_name(data.vectors), data.vectors_sha256, "precedents file")
    answers = tuple(tuple((seed, text) for seed, text in answer) for answer in data.answers)
    try:
        return Precedents(vectors, answers, k=data.k, temperature=data.temperature)
    except ValueError as exc:
        raise PromptError(f"The precedents file {path} cannot be used ({exc}). {REFIT}") from exc
