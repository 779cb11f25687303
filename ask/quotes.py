"""Turn scored sentences into a few focused, verbatim, non-overlapping quotes.

A quote grows from its best sentence: to the next sentence of the same paragraph when
that one also answers, back to the previous one when it opens with a word that
points back ("This", "However"), to the list a sentence introduces ("...include:"),
and to a whole list (or the run of its items that answer) when several items answer.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ask.retrieve import Retriever, Scores

MAX_QUOTES = 4
CANDIDATES = 30
QUOTE_MARGIN = 0.03  # a further quote scores within this of the best (measured out of fold: docs/learning.md)
SAME_PAGE_PENALTY = 0.04  # prefer a second publisher to a second quote from the same page
EXTEND_MARGIN = 0.08  # a neighbouring sentence joins when it scores within this of the seed
LIST_MARGIN = 0.10
MAX_CHARS = 480
# Two quotes whose embeddings are this close say the same thing: the second adds nothing to read.
# (Pairs of the pages' sentences above it are rewordings of one statement; below it, related points.)
NEAR_DUPLICATE = 0.90
_FIGURE = re.compile(r"\d+(?:[.,]\d+)?")
_POINTS_BACK = re.compile(
    r"^(this|these|that|those|it|they|there|however|but|so|therefore|thus|also|in addition)\b", re.I
)


@dataclass(frozen=True)
class Span:
    """A candidate quote: ``texts[doc_id][start:end]``, from whole sentences."""

    doc_id: str
    start: int
    end: int
    score: float
    sentences: tuple[int, ...]


class QuoteSelector:
    """Builds spans for one index; ``select`` is called once per question."""

    def __init__(self, retriever: Retriever) -> None:
        self.retriever = retriever
        self.index = retriever.index

    def span(self, seed: int, scores: Scores) -> Span | None:
        """The quote that grows from sentence ``seed`` (None for a lead-in that cannot take its list)."""
        index = self.index
        fused = scores.fused_of
        block = index.blocks[int(index.sentences.block[seed])]
        members = index.block_sentences(block.id)
        floor = fused(seed) - (LIST_MARGIN if block.kind == "list" else EXTEND_MARGIN)
        text = index.sentence_text
        if block.kind == "list":
            strong = [i for i in members if fused(i) >= floor]
            first, last = min(strong), max(strong)
            if len(strong) >= 2:
                chosen = list(range(first, last + 1))
                if sum(len(text(i)) for i in chosen) > MAX_CHARS:
                    chosen = [seed]
            else:
                chosen = [seed]
            return self._make(chosen, scores)
        chosen = [seed]
        if seed > members.start and _POINTS_BACK.match(text(seed)):
            chosen.insert(0, seed - 1)
        length = sum(len(text(i)) for i in chosen)
        for following in range(seed + 1, members.stop):
            if fused(following) < floor or length + len(text(following)) > MAX_CHARS:
                break
            chosen.append(following)
            length += len(text(following))
        span = self._make(chosen, scores)
        if text(chosen[-1]).rstrip().endswith(":") and chosen[-1] == members.stop - 1:
            following_block = index.next_block(block.id)
            if following_block is not None and following_block.kind == "list":
                # A lead-in is quoted with what it introduces: the whole list, or as many of its first
                # items as fit; one that cannot take even its first item is no quote.
                items, room = [], MAX_CHARS + 200 - (span.end - span.start)
                for item in index.block_sentences(following_block.id):
                    room -= len(text(item)) + 1
                    if room < 0:
                        break
                    items.append(item)
                return self._make(chosen + items, scores) if items else None
        return span

    def _make(self, ids: list[int], scores: Scores) -> Span:
        sentences = self.index.sentences
        first, last = sentences[min(ids)], sentences[max(ids)]
        best = max(scores.fused_of(i) for i in ids)
        return Span(first.doc_id, first.start, last.end, best, tuple(sorted(ids)))

    def candidates(self, scores: Scores) -> list[Span]:
        """Non-overlapping spans from the best sentences, best first."""
        spans: list[Span] = []
        for seed in scores.best(CANDIDATES):
            if not scores.quotable(seed):
                continue
            if any(seed in span.sentences for span in spans):
                continue
            span = self.span(seed, scores)
            if span is None:
                continue
            if any(
                span.doc_id == other.doc_id and span.start < other.end and other.start < span.end for other in spans
            ):
                continue
            spans.append(span)
        return spans

    def select(self, spans: list[Span], also_answers: Callable[[Span], bool] = lambda span: True) -> list[Span]:
        """At most ``MAX_QUOTES`` spans close to the best, preferring different publishers.

        A further span must also answer (``also_answers``) and must not say what a chosen one says.
        """
        if not spans:
            return []
        best = spans[0].score
        chosen = [spans[0]]
        pool = [s for s in spans[1:] if s.score >= best - QUOTE_MARGIN]
        while pool and len(chosen) < MAX_QUOTES:
            pages = {s.doc_id for s in chosen}
            pick = max(pool, key=lambda s: s.score - (SAME_PAGE_PENALTY if s.doc_id in pages else 0.0))
            pool.remove(pick)
            if not self.repeats(pick, chosen) and also_answers(pick):
                chosen.append(pick)
        return sorted(chosen, key=lambda s: -s.score)

    def vector(self, span: Span) -> np.ndarray:
        """A span's direction: the mean of its sentences' unit vectors, made unit length."""
        rows = self.index.sentence_vector_rows.take(np.array(span.sentences))
        mean = np.asarray(rows, dtype=np.float64).mean(axis=0)
        return mean / (np.linalg.norm(mean) or 1.0)

    def repeats(self, span: Span, chosen: list[Span]) -> bool:
        """Whether ``span`` says what one of ``chosen`` says: their cosine is at least ``NEAR_DUPLICATE``
        and they give the same figures (pages giving different figures are both shown)."""
        mine, figures = self.vector(span), self.figures(span)
        return any(
            float(mine @ self.vector(other)) >= NEAR_DUPLICATE and self.figures(other) == figures for other in chosen
        )

    def figures(self, span: Span) -> frozenset[str]:
        """The numbers a span gives ("30%" gives "30")."""
        return frozenset(_FIGURE.findall(self.index.texts[span.doc_id][span.start : span.end]))
