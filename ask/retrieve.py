"""Score a question's candidate sentences: dense, lexical and precedent signals, fused.

Only candidates are scored, never every sentence of the index: the sentences of the
passages FAISS finds nearest the question, the best BM25 hits of the stored lexical
index, the answers of the nearest answered training questions (``ask.precedents``),
and the rest of the blocks they sit in (a quote may grow to its neighbours).
On a corpus with fewer passages than ``PASSAGES_SEARCHED`` that is every sentence.
The only model call is the question's own embedding, made by the caller; what is
worked out per sentence (is it quotable, its context terms) is cached.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np

from ask.lexicon import Lexicon
from ask.precedents import Precedents, load_precedents
from ask.vocabulary import Vocabulary
from errors import PromptError
from index import BLOCK_KINDS, IN_HEADING, IN_SENTENCE, Index, Matches, normalise, stem, terms, words
from prompts import REFIT, FittedFile, read_fitted_file
from settings import REPO_ROOT

RANKER_FILE = REPO_ROOT / "models" / "ranker.json"  # the fused score's weights, fitted by python -m learn fit
SIGNALS = ("dense", "passage", "lexical", "coverage", "precedent")  # the parts of the fused score, each in [0, 1]
PASSAGES_SEARCHED = 256  # nearest passages whose sentences are candidates and whose cosine counts
LEXICAL_HITS = 300  # best BM25 sentences that are candidates too, near a found passage or not
CACHED_SENTENCES = 200_000  # per-sentence facts kept between questions
EXPANSION_WEIGHT = 0.6
EVERYDAY_WEIGHT = 0.3  # in BM25; in coverage an everyday word counts half
TOPIC_WEIGHT = 0.3  # the pages' own topic (metastatic breast cancer) says little about which sentence answers
PREMISE_WEIGHT = 0.5  # words of an opening "If ..., " clause set the scene; the question comes after it
EVERYDAY_COVERAGE = 0.5  # an everyday word's share of the idf it would count for in coverage
PHRASE_COVERAGE = 0.5  # a phrase concept's ("side effects") share of its words' idf in coverage
_PREMISE = re.compile(r"^\s*(?:if|since|given that|now that|as|because)\b([^,?.!]{3,120}),")
NOT_QUOTABLE = 1.0  # how far a sentence that cannot be quoted is pushed down
LEXICAL_FLOOR = 0.4  # a BM25 score is divided by the best one, or by this share of a perfect match if higher
CONTEXT = IN_SENTENCE | IN_HEADING  # a sentence's context for coverage: its own words and its heading's
_LIST = BLOCK_KINDS.index("list")


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
class Weights:
    """How much each signal counts in the fused score; they add up to 1.

    Fitted (``learn.fit.fit_ranker``) as a logistic regression of "this sentence overlaps a gold
    passage" on the signals of every candidate of the training questions, out of fold.
    """

    dense: float
    passage: float
    lexical: float
    coverage: float
    precedent: float

    def to_dict(self) -> dict:
        return {name: round(getattr(self, name), 6) for name in SIGNALS}


class _RankerFile(FittedFile):
    model_id: str
    data_sha256: str
    examples_sha256: str
    fitted_on: str
    weights: dict[str, float]


def load_weights(path: Path = RANKER_FILE) -> Weights:
    """Read the fitted weights; raise ``PromptError`` naming what is wrong."""
    data = read_fitted_file(path, _RankerFile, "ranker file")
    if set(data.weights) != set(SIGNALS):
        raise PromptError(
            f"The ranker file {path} weighs {sorted(data.weights)}, not the signals {list(SIGNALS)}. {REFIT}"
        )
    weights = Weights(**data.weights)
    if min(data.weights.values()) < 0 or abs(sum(data.weights.values()) - 1.0) > 1e-3:
        raise PromptError(f"The ranker weights in {path} must be at least 0 and add up to 1: {weights.to_dict()}")
    return weights


@dataclass(frozen=True)
class Scores:
    """Signals for one question's candidate sentences, arrays aligned with ``ids``.

    Whether a sentence can be quoted is looked up only where it decides something: for
    the best few, their neighbours and the closest one. ``fused`` is the score before a
    sentence that cannot be quoted is pushed ``NOT_QUOTABLE`` down; ``fused_of`` is after.
    """

    query: Query
    ids: np.ndarray  # candidate sentence ids, ascending
    dense: np.ndarray  # cosine of the sentence
    passage: np.ndarray  # best cosine of a found passage holding the sentence
    lexical: np.ndarray  # BM25 over sentence + context, divided by the best
    coverage: np.ndarray  # idf share of the question's key terms found in the sentence's context
    precedent: np.ndarray  # the close answered questions whose answer holds the sentence (ask.precedents)
    fused: np.ndarray
    quotable: Callable[[int], bool]  # sentence id → can it be quoted

    def fused_of(self, sentence_id: int) -> float:
        """The fused score of a sentence; -inf for one that is not a candidate (it cannot join a quote)."""
        at = int(np.searchsorted(self.ids, sentence_id))
        if at == len(self.ids) or self.ids[at] != sentence_id:
            return -np.inf
        return float(self.fused[at]) - (0.0 if self.quotable(sentence_id) else NOT_QUOTABLE)

    def best(self, count: int) -> list[int]:
        """The ``count`` candidates with the highest ``fused_of``, best first.

        Walks down ``fused`` until ``count`` quotable sentences are seen: nothing further down
        can score above them, and what was passed over is ranked with its penalty.
        """
        seen: list[tuple[float, int]] = []
        quotable = 0
        for row in np.argsort(-self.fused, kind="stable").tolist():
            sentence_id = int(self.ids[row])
            if self.quotable(sentence_id):
                seen.append((float(self.fused[row]), sentence_id))
                quotable += 1
                if quotable == count:
                    break
            else:
                seen.append((float(self.fused[row]) - NOT_QUOTABLE, sentence_id))
        seen.sort(key=lambda pair: -pair[0])
        return [sentence_id for _, sentence_id in seen[:count]]

    def dense_of(self, sentence_ids: tuple[int, ...]) -> float:
        """The highest cosine among ``sentence_ids`` (candidates all)."""
        at = np.searchsorted(self.ids, np.array(sentence_ids))
        return float(self.dense[at].max())

    def precedent_of(self, sentence_ids: tuple[int, ...]) -> float:
        """The highest precedent vote among ``sentence_ids`` (candidates all)."""
        at = np.searchsorted(self.ids, np.array(sentence_ids))
        return float(self.precedent[at].max())

    def best_quotable_dense(self) -> float:
        """The highest cosine of a quotable candidate (-inf when none is quotable)."""
        for row in np.argsort(-self.dense, kind="stable").tolist():
            if self.quotable(int(self.ids[row])):
                return float(self.dense[row])
        return -np.inf


class Retriever:
    """Scores a question's candidate sentences in one loaded index.

    >>> retriever = Retriever(index, load_lexicon())
    >>> scores = retriever.score(retriever.query("bone pain"), embedder.embed_one("bone pain"))
    """

    def __init__(
        self, index: Index, lexicon: Lexicon, weights: Weights | None = None, precedents: Precedents | None = None
    ) -> None:
        self.index = index
        self.lexicon = lexicon
        self.weights = weights or load_weights()
        self.precedents = (precedents or load_precedents()).located(index)
        self.lexical = index.lexical
        self.max_idf = float(self.lexical.idf.max()) if len(self.lexical.idf) else 1.0
        self.quotable = lru_cache(maxsize=CACHED_SENTENCES)(self._quotable)
        self.context_terms = lru_cache(maxsize=CACHED_SENTENCES)(self._context_terms)
        # The pages' words are those of the sentences that can be quoted: a word seen only in a
        # headline or a question is not something the pages answer about.
        quoted = {
            word: count
            for word, count in self.lexical.word_counts.items()
            if any(self.quotable(i) for i in self.lexical.word_sentences[word])
        }
        self.vocabulary = Vocabulary.from_counts(quoted)

    def _quotable(self, sentence_id: int) -> bool:
        """A question, a link, a caption or a headline is never quoted as an answer."""
        index = self.index
        text = index.sentence_text(sentence_id)
        if text.rstrip().endswith("?") or len(text) < 20 or self.lexicon.is_furniture(text):
            return False
        sentence = index.sentences[sentence_id]
        block = index.blocks[sentence.block]
        if text.rstrip().endswith(":"):  # an introduction is an answer only with the list it introduces
            following = index.next_block(block.id)
            return sentence.end == block.end and following is not None and following.kind == "list"
        if block.kind == "paragraph":
            whole = index.block_text(block.id).rstrip()
            return whole[-1] in ".!:;)]\"'”’" and not whole.endswith(("’", "'"))
        return True

    def _context_terms(self, sentence_id: int) -> frozenset[str]:
        """The terms of a sentence and of its section heading."""
        block = int(self.index.sentences.block[sentence_id])
        return frozenset(terms(self.index.sentence_text(sentence_id))) | frozenset(
            terms(self.index.heading_text(block))
        )

    def coverages(self, query: Query, matches: Matches) -> np.ndarray:
        """``coverage`` of each of the sentences ``matches`` holds, read from the stored lexical index."""
        total = sum(idf for idf, _ in query.key_terms.values())
        out = np.zeros(len(matches.sentence_ids))
        if total <= 0:
            return out
        for idf, alternatives in query.key_terms.values():
            covered = np.zeros(len(matches.sentence_ids), dtype=bool)
            for term in alternatives:
                covered |= matches.holds(term, CONTEXT)
            out += idf * covered
        return out / total

    def coverage(self, query: Query, context: frozenset[str] | set[str], *, subject_only: bool = False) -> float:
        """The idf-weighted share of the question's words found in ``context`` (or of its subject words only)."""
        keys = [v for t, v in query.key_terms.items() if not subject_only or t in query.subject_terms]
        total = sum(idf for idf, _ in keys)
        if total <= 0:  # nothing but the pages' topic: every sentence covers it equally
            return 0.0
        return sum(idf for idf, alternatives in keys if alternatives & context) / total

    def unknown_share(self, query: Query) -> float:
        """The idf-weighted share of the question's content words that the pages never use (0 when it has none)."""
        if not query.content:
            return 0.0
        absent = set(query.absent)
        weights = [self.max_idf if w in absent else self.lexical.idf_of(stem(w)) or self.max_idf for w in query.content]
        return sum(w for word, w in zip(query.content, weights, strict=True) if word in absent) / sum(weights)

    def span_context(self, sentence_ids: tuple[int, ...]) -> frozenset[str]:
        return frozenset().union(*(self.context_terms(i) for i in sentence_ids))

    def query(self, text: str) -> Query:
        """Correct, filter and weight the question's words."""
        tokens = [self.vocabulary.correct(t) if t.isalpha() else t for t in words(text)]
        corrected = " ".join(tokens)
        read = self._read_words(tokens)
        self._weigh_stages(tokens, read.weights)
        self._weigh_expansions(corrected, read.weights)
        self._add_phrase_concepts(corrected, read.key_terms)
        _discount_premise(normalise(corrected), read.weights, read.key_terms)
        return Query(
            corrected, tuple(read.content), tuple(read.absent), read.weights, read.key_terms, frozenset(read.subject)
        )

    def _read_words(self, tokens: list[str]) -> _QueryWords:
        """Each word's BM25 weight and, for a word that says what is asked, its idf as a key term."""
        lexicon = self.lexicon
        read = _QueryWords()
        for token in tokens:
            if token in lexicon.stop:
                continue
            everyday = token in lexicon.everyday
            topic = token in lexicon.topic
            term = stem(token)
            weight = TOPIC_WEIGHT if topic else EVERYDAY_WEIGHT if everyday else 1.0
            read.weights[term] = max(read.weights.get(term, 0.0), weight)
            if topic or len(token) < 2:
                continue
            alternatives = {term, *terms(lexicon.expand(token))} - lexicon.stop
            idf = max((self.lexical.idf_of(t) for t in alternatives), default=0.0) or self.max_idf
            read.key_terms[term] = (idf * (EVERYDAY_COVERAGE if everyday else 1.0), frozenset(alternatives))
            if everyday:
                continue
            read.subject.add(term)
            read.content.append(token)
            if not self.vocabulary.knows(token) and not token.isdigit():
                read.absent.append(token)
        return read

    def _weigh_stages(self, tokens: list[str], weights: dict[str, float]) -> None:
        """A stage ("stage 3") is a term of its own; stage 4 is the pages' topic and says little."""
        for term in terms(" ".join(t for t in tokens if t not in self.lexicon.stop)):
            if term.startswith("stage") and term[5:].isdigit():
                weights[term] = TOPIC_WEIGHT if term == "stage4" else 1.0

    def _weigh_expansions(self, corrected: str, weights: dict[str, float]) -> None:
        """The lexicon's expansions of the question's words count in BM25, below the words themselves."""
        for term in terms(self.lexicon.expand(normalise(corrected))):
            if term not in self.lexicon.stop:
                weights.setdefault(term, EXPANSION_WEIGHT)

    def _add_phrase_concepts(self, corrected: str, key_terms: dict[str, tuple[float, frozenset[str]]]) -> None:
        """A phrase ("get from", "side effects") is a concept the answer should hold, like a word."""
        for concept in self.lexicon.phrase_concepts(normalise(corrected)):
            alternatives = frozenset(terms(concept)) - self.lexicon.stop
            idf = max((self.lexical.idf_of(t) for t in alternatives), default=0.0)
            if idf > 0:
                key_terms.setdefault("~" + concept, (idf * PHRASE_COVERAGE, alternatives))

    def score(self, query: Query, vector: np.ndarray) -> Scores:
        """Score the candidate sentences for ``query`` whose embedding is ``vector``."""
        index = self.index
        hits, hit_scores = self.lexical.search(query.weights, LEXICAL_HITS)
        nearest, nearness = self.precedents.nearest(vector)
        seeds = np.union1d(hits, self.precedents.answer_ids(nearest))
        ids, passage = self._candidates(index.search(vector, PASSAGES_SEARCHED), seeds)
        matches = self.lexical.matches(ids)
        raw = matches.scores(query.weights)
        perfect = sum(w * self.lexical.idf_of(t) for t, w in query.weights.items())
        scale = max(float(hit_scores.max(initial=0.0)), float(raw.max(initial=0.0)), LEXICAL_FLOOR * perfect)
        dense = np.asarray(index.sentence_vector_rows.take(ids) @ vector, dtype=np.float64)
        lexical = raw / scale if scale > 0 else raw
        coverage = self.coverages(query, matches)
        precedent = self.precedents.votes(ids, nearest, nearness)
        w = self.weights
        fused = (
            w.dense * dense
            + w.passage * passage
            + w.lexical * lexical
            + w.coverage * coverage
            + w.precedent * precedent
        )
        return Scores(query, ids, dense, passage, lexical, coverage, precedent, fused, self.quotable)

    def _candidates(self, found: list[tuple[int, float]], hits: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Candidate sentence ids (ascending) and, for each, the best cosine of a found passage holding it.

        The sentences of the found passages and ``hits`` (lexical and precedent), then the rest of
        their blocks and the list that follows a block, so a quote can grow within the candidates.
        """
        index = self.index
        passage_ids = np.array([p for p, _ in found], dtype=np.int64)
        first, stop = index.passages.first_sentence[passage_ids], index.passages.sentence_stop[passage_ids]
        near = _ranges(first, stop)
        cosines = np.repeat(np.array([c for _, c in found]), stop - first)
        near_ids, inverse = np.unique(near, return_inverse=True)
        near_cosines = np.zeros(len(near_ids))  # never below 0, the cosine a passage not found counts
        np.maximum.at(near_cosines, inverse, cosines)
        seeds = np.union1d(near_ids, hits)
        blocks = np.unique(index.sentences.block[seeds])
        following = blocks[blocks + 1 < len(index.blocks)] + 1
        blocks = np.union1d(blocks, following[index.blocks.kind[following] == _LIST])
        column = index.sentences.block
        members = _ranges(np.searchsorted(column, blocks), np.searchsorted(column, blocks, side="right"))
        ids = np.union1d(seeds, members)
        passage = np.zeros(len(ids))
        passage[np.isin(ids, near_ids, assume_unique=True)] = near_cosines  # both ascending
        return ids, passage


@dataclass
class _QueryWords:
    """What ``Retriever.query`` reads from the question's words, before the phrase and premise steps."""

    content: list[str] = field(default_factory=list)
    absent: list[str] = field(default_factory=list)
    weights: dict[str, float] = field(default_factory=dict)
    key_terms: dict[str, tuple[float, frozenset[str]]] = field(default_factory=dict)
    subject: set[str] = field(default_factory=set)


def _discount_premise(
    normalised: str, weights: dict[str, float], key_terms: dict[str, tuple[float, frozenset[str]]]
) -> None:
    """Words only of an opening "If ..., " clause set the scene: they count ``PREMISE_WEIGHT`` as much."""
    premise = _PREMISE.match(normalised)
    if not premise:
        return
    main_terms = set(terms(normalised[premise.end() :]))
    for term in set(terms(premise.group(1))) - main_terms:
        if term in weights:
            weights[term] *= PREMISE_WEIGHT
        if term in key_terms:
            idf, alternatives = key_terms[term]
            key_terms[term] = (idf * PREMISE_WEIGHT, alternatives)


def _ranges(starts: np.ndarray, stops: np.ndarray) -> np.ndarray:
    """The concatenation of ``range(start, stop)`` for each pair, as one array."""
    lengths = (stops - starts).astype(np.int64)
    offsets = np.repeat(starts - np.cumsum(lengths) + lengths, lengths)
    return np.arange(int(lengths.sum()), dtype=np.int64) + offsets
