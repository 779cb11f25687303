"""Turn scored sentences into a few focused, verbatim, non-overlapping quotes.

A quote grows from its best sentence: to the next sentence of the same paragraph when
that one also answers, back to the previous one when it opens with a word that
points back ("This", "However"), to the list a sentence introduces ("...include:"),
and to a whole list (or the run of its items that answer) when several items answer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from ask.retrieve import Retriever, Scores

MAX_QUOTES = 4
CANDIDATES = 30
QUOTE_MARGIN = 0.10  # a further quote scores within this of the best
SAME_PAGE_PENALTY = 0.04  # prefer a second publisher to a second quote from the same page
EXTEND_MARGIN = 0.08  # a neighbouring sentence joins when it scores within this of the seed
LIST_MARGIN = 0.10
MAX_CHARS = 480
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


def _block_sentences(retriever: Retriever) -> dict[int, list[int]]:
    out: dict[int, list[int]] = {}
    for s in retriever.index.sentences:
        out.setdefault(s.block, []).append(s.id)
    return out


class QuoteSelector:
    """Builds spans for one index; ``select`` is called once per question."""

    def __init__(self, retriever: Retriever) -> None:
        self.retriever = retriever
        self.index = retriever.index
        self.by_block = _block_sentences(retriever)
        self.next_block = retriever.next_block

    def span(self, seed: int, scores: Scores) -> Span:
        """The quote that grows from sentence ``seed``."""
        sentences = self.index.sentences
        fused = scores.fused
        s = sentences[seed]
        block = self.retriever.block_of[s.block]
        members = self.by_block[s.block]
        floor = fused[seed] - (LIST_MARGIN if block.kind == "list" else EXTEND_MARGIN)
        if block.kind == "list":
            strong = [i for i in members if fused[i] >= floor]
            first, last = min(strong), max(strong)
            if len(strong) >= 2:
                chosen = [i for i in members if first <= i <= last]
                if sum(len(self.retriever.sentence_texts[i]) for i in chosen) > MAX_CHARS:
                    chosen = [seed]
            else:
                chosen = [seed]
            return self._make(chosen, scores)
        position = members.index(seed)
        chosen = [seed]
        text = self.retriever.sentence_texts
        if position > 0 and _POINTS_BACK.match(text[seed]):
            chosen.insert(0, members[position - 1])
        length = sum(len(text[i]) for i in chosen)
        for following in members[position + 1 :]:
            if fused[following] < floor or length + len(text[following]) > MAX_CHARS:
                break
            chosen.append(following)
            length += len(text[following])
        span = self._make(chosen, scores)
        if text[chosen[-1]].rstrip().endswith(":") and chosen[-1] == members[-1]:
            following_block = self.next_block.get(s.block)
            if following_block is not None and following_block.kind == "list":
                items = self.by_block.get(following_block.id, [])
                if items and following_block.end - span.start <= MAX_CHARS + 200:
                    return self._make(chosen + items, scores)
        return span

    def _make(self, ids: list[int], scores: Scores) -> Span:
        sentences = self.index.sentences
        first, last = sentences[min(ids)], sentences[max(ids)]
        best = max(float(scores.fused[i]) for i in ids)
        return Span(first.doc_id, first.start, last.end, best, tuple(sorted(ids)))

    def candidates(self, scores: Scores) -> list[Span]:
        """Non-overlapping spans from the best sentences, best first."""
        if not len(scores.fused):
            return []
        top = np.argpartition(-scores.fused, min(CANDIDATES, len(scores.fused) - 1))[:CANDIDATES]
        order = top[np.argsort(-scores.fused[top])]
        spans: list[Span] = []
        for seed in order:
            seed = int(seed)
            if not self.retriever.quotable[seed]:
                continue
            if any(seed in span.sentences for span in spans):
                continue
            span = self.span(seed, scores)
            if any(
                span.doc_id == other.doc_id and span.start < other.end and other.start < span.end for other in spans
            ):
                continue
            spans.append(span)
        return spans

    def select(self, spans: list[Span]) -> list[Span]:
        """At most ``MAX_QUOTES`` spans close to the best, preferring different publishers."""
        if not spans:
            return []
        best = spans[0].score
        chosen = [spans[0]]
        pool = [s for s in spans[1:] if s.score >= best - QUOTE_MARGIN]
        while pool and len(chosen) < MAX_QUOTES:
            pages = {s.doc_id for s in chosen}
            pick = max(pool, key=lambda s: s.score - (SAME_PAGE_PENALTY if s.doc_id in pages else 0.0))
            chosen.append(pick)
            pool.remove(pick)
        return sorted(chosen, key=lambda s: -s.score)
