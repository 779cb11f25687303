"""Score every quotable sentence of the index against a question: dense and lexical signals, fused.

Everything here is computed once at load (BM25 tables, sentence contexts) except one
matrix product and one BM25 pass per question; the only model call is the question's
own embedding, made by the caller.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass

import numpy as np

from ask.bm25 import BM25
from ask.lexicon import Lexicon
from ask.text import normalise, stem, terms, words
from ask.vocabulary import Vocabulary
from index import Index

# Weights of the fused score; the parts are each in [0, 1].
W_SENTENCE = 0.50
W_PASSAGE = 0.15
W_LEXICAL = 0.20
W_COVERAGE = 0.15
PASSAGES_SEARCHED = 256  # nearest passages whose cosine counts; the rest are far from the question anyway
HEADING_WEIGHT = 0.5
INTRO_WEIGHT = 0.3
EXPANSION_WEIGHT = 0.6
EVERYDAY_WEIGHT = 0.3  # in BM25; in coverage an everyday word counts half
TOPIC_WEIGHT = 0.3  # the pages' own topic (metastatic breast cancer) says little about which sentence answers
PREMISE_WEIGHT = 0.5  # words of an opening "If ..., " clause set the scene; the question comes after it
_PREMISE = re.compile(r"^\s*(?:if|since|given that|now that|as|because)\b([^,?.!]{3,120}),")
LEXICAL_FLOOR = 0.4  # a BM25 score is divided by the best one, or by this share of a perfect match if higher


@dataclass(frozen=True)
class Query:
    """A question as the retriever sees it."""

    text: str
    content: tuple[str, ...]  # corrected content words, neither stop nor everyday words
    absent: tuple[str, ...]  # content words the pages never use (after typo correction)
    weights: dict[str, float]  # stemmed term → weight for BM25
    key_terms: dict[str, tuple[float, frozenset[str]]]  # term → (idf, the terms that cover it); everyday at half
    subject_terms: frozenset[str]  # the key terms that are not everyday words


@dataclass(frozen=True)
class Scores:
    """Per-sentence signals for one question, arrays aligned with ``index.sentences``."""

    query: Query
    dense: np.ndarray  # cosine of the sentence
    passage: np.ndarray  # best cosine of a passage holding the sentence
    lexical: np.ndarray  # BM25 over sentence + context, divided by the best
    coverage: np.ndarray  # idf share of the question's key terms found in the sentence's context
    fused: np.ndarray


class Retriever:
    """Precomputed lexical tables for one loaded index.

    >>> retriever = Retriever(index, load_lexicon())
    >>> scores = retriever.score(retriever.query("bone pain"), embedder.embed_one("bone pain"))
    """

    def __init__(self, index: Index, lexicon: Lexicon) -> None:
        self.index = index
        self.lexicon = lexicon
        sentences = index.sentences
        self.sentence_texts = [index.texts[s.doc_id][s.start : s.end] for s in sentences]
        self.block_of = {b.id: b for b in index.blocks}
        ordered = sorted(index.blocks, key=lambda b: (b.doc_id, b.start))
        self.next_block = {a.id: b for a, b in itertools.pairwise(ordered) if a.doc_id == b.doc_id}
        headings, intros = self._contexts()
        self.quotable = np.array([self._quotable(i, t) for i, t in enumerate(self.sentence_texts)])
        docs = []
        self.context_terms: list[frozenset[str]] = []
        for i, text in enumerate(self.sentence_texts):
            doc: dict[str, float] = {}
            for term in terms(text):
                doc[term] = doc.get(term, 0.0) + 1.0
            own = set(doc)
            for extra, weight in ((headings[i], HEADING_WEIGHT), (intros[i], INTRO_WEIGHT)):
                for term in terms(extra):
                    doc[term] = doc.get(term, 0.0) + weight
            docs.append(doc)
            self.context_terms.append(frozenset(own | set(terms(headings[i]))))
        self._term_rows: dict[str, np.ndarray] = {}
        for i, context in enumerate(self.context_terms):
            for term in context:
                self._term_rows.setdefault(term, np.zeros(len(docs), dtype=bool))[i] = True
        self.sentence_bm25 = BM25(docs)
        self.max_idf = max(self.sentence_bm25.idf.values(), default=1.0)
        self.sentence_passages = self._sentence_passages()
        corpus_words = [w for i, t in enumerate(self.sentence_texts) if self.quotable[i] for w in words(t)]
        self.vocabulary = Vocabulary.from_words(corpus_words)

    def _quotable(self, i: int, text: str) -> bool:
        """A question, a link, a caption or a headline is never quoted as an answer."""
        if text.rstrip().endswith("?") or len(text) < 20 or self.lexicon.is_furniture(text):
            return False
        sentence = self.index.sentences[i]
        block = self.block_of[sentence.block]
        if text.rstrip().endswith(":"):  # an introduction is an answer only with the list it introduces
            following = self.next_block.get(block.id)
            return sentence.end == block.end and following is not None and following.kind == "list"
        if block.kind == "paragraph":
            whole = self.index.texts[block.doc_id][block.start : block.end].rstrip()
            return whole[-1] in ".!:;)]\"'”’" and not whole.endswith(("’", "'"))
        return True

    def _contexts(self) -> tuple[list[str], list[str]]:
        """Each sentence's section heading, and for a list item the paragraph that introduces the list."""
        index = self.index
        heading_of_block: dict[int, str] = {}
        intro_of_block: dict[int, str] = {}
        previous_doc, heading, previous = None, "", None
        for block in sorted(index.blocks, key=lambda b: (b.doc_id, b.start)):
            if block.doc_id != previous_doc:
                previous_doc, heading, previous = block.doc_id, "", None
            text = index.texts[block.doc_id][block.start : block.end]
            if block.kind == "heading":
                heading = text
            heading_of_block[block.id] = heading
            if block.kind == "list" and previous is not None and previous.kind == "paragraph":
                intro_of_block[block.id] = index.texts[previous.doc_id][previous.start : previous.end]
            previous = block
        headings = [heading_of_block.get(s.block, "") for s in index.sentences]
        intros = [intro_of_block.get(s.block, "") for s in index.sentences]
        return headings, intros

    def _sentence_passages(self) -> np.ndarray:
        """Row i: the passages overlapping sentence i, padded with -1."""
        by_doc: dict[str, list] = {}
        for passage in self.index.passages:
            by_doc.setdefault(passage.doc_id, []).append(passage)
        rows = [
            [p.id for p in by_doc.get(s.doc_id, []) if p.start < s.end and s.start < p.end]
            for s in self.index.sentences
        ]
        width = max((len(r) for r in rows), default=0) or 1
        return np.array([r + [-1] * (width - len(r)) for r in rows], dtype=np.int64).reshape(len(rows), width)

    def coverages(self, query: Query) -> np.ndarray:
        """``coverage`` of every sentence's context at once."""
        total = sum(idf for idf, _ in query.key_terms.values())
        out = np.zeros(len(self.context_terms))
        if total <= 0:
            return out
        for idf, alternatives in query.key_terms.values():
            rows = [self._term_rows[t] for t in alternatives if t in self._term_rows]
            if rows:
                out += idf * np.logical_or.reduce(rows)
        return out / total

    def coverage(self, query: Query, context: frozenset[str] | set[str], *, subject_only: bool = False) -> float:
        """The idf-weighted share of the question's words found in ``context`` (or of its subject words only)."""
        keys = [v for t, v in query.key_terms.items() if not subject_only or t in query.subject_terms]
        total = sum(idf for idf, _ in keys)
        if total <= 0:  # nothing but the pages' topic: every sentence covers it equally
            return 0.0
        return sum(idf for idf, alternatives in keys if alternatives & context) / total

    def span_context(self, sentence_ids: tuple[int, ...]) -> frozenset[str]:
        return frozenset().union(*(self.context_terms[i] for i in sentence_ids))

    def query(self, text: str) -> Query:
        """Correct, filter and weight the question's words."""
        lexicon = self.lexicon
        tokens = [self.vocabulary.correct(t) if t.isalpha() else t for t in words(text)]
        corrected = " ".join(tokens)
        content, absent = [], []
        weights: dict[str, float] = {}
        premise = _PREMISE.match(normalise(corrected))
        premise_terms = set(terms(premise.group(1))) if premise else set()
        key_terms: dict[str, tuple[float, frozenset[str]]] = {}
        subject: set[str] = set()
        for token in tokens:
            if token in lexicon.stop:
                continue
            everyday = token in lexicon.everyday
            topic = token in lexicon.topic
            term = stem(token)
            weight = TOPIC_WEIGHT if topic else EVERYDAY_WEIGHT if everyday else 1.0
            weights[term] = max(weights.get(term, 0.0), weight)
            if topic or len(token) < 2:
                continue
            alternatives = {term, *terms(lexicon.expand(token))} - lexicon.stop
            idf = max((self.sentence_bm25.idf.get(t, 0.0) for t in alternatives), default=0.0) or self.max_idf
            key_terms[term] = (idf * (0.5 if everyday else 1.0), frozenset(alternatives))
            if everyday:
                continue
            subject.add(term)
            content.append(token)
            if not self.vocabulary.knows(token) and not token.isdigit():
                absent.append(token)
        for term in terms(" ".join(t for t in tokens if t not in lexicon.stop)):
            if term.startswith("stage") and term[5:].isdigit():
                weights[term] = TOPIC_WEIGHT if term == "stage4" else 1.0
        for term in terms(lexicon.expand(normalise(corrected))):
            if term not in lexicon.stop:
                weights.setdefault(term, EXPANSION_WEIGHT)
        for concept in lexicon.phrase_concepts(normalise(corrected)):
            # A phrase ("get from", "side effects") is a concept the answer should hold, like a word.
            alternatives = frozenset(terms(concept)) - lexicon.stop
            idf = max((self.sentence_bm25.idf.get(t, 0.0) for t in alternatives), default=0.0)
            if idf > 0:
                key_terms.setdefault("~" + concept, (idf * 0.5, alternatives))
        main_terms = set(terms(normalise(corrected)[premise.end() :])) if premise else set()
        for term in premise_terms - main_terms:
            if term in weights:
                weights[term] *= PREMISE_WEIGHT
            if term in key_terms:
                idf, alternatives = key_terms[term]
                key_terms[term] = (idf * PREMISE_WEIGHT, alternatives)
        return Query(corrected, tuple(content), tuple(absent), weights, key_terms, frozenset(subject))

    def score(self, query: Query, vector: np.ndarray) -> Scores:
        """Score every sentence for ``query`` whose embedding is ``vector``."""
        index = self.index
        dense = np.asarray(index.sentence_vectors @ vector, dtype=np.float64)
        passage_cos = np.zeros(len(index.passages))
        for passage_id, cosine in index.search(vector, PASSAGES_SEARCHED):
            passage_cos[passage_id] = cosine
        padded = self.sentence_passages
        passage = np.where(padded >= 0, passage_cos[np.maximum(padded, 0)], 0.0).max(axis=1)
        raw = self.sentence_bm25.scores(query.weights)
        perfect = sum(w * self.sentence_bm25.idf.get(t, 0.0) for t, w in query.weights.items())
        scale = max(float(raw.max()), LEXICAL_FLOOR * perfect)
        lexical = raw / scale if scale > 0 else raw
        coverage = self.coverages(query)
        fused = W_SENTENCE * dense + W_PASSAGE * passage + W_LEXICAL * lexical + W_COVERAGE * coverage
        fused = np.where(self.quotable, fused, fused - 1.0)
        return Scores(query, dense, passage, lexical, coverage, fused)
