"""A way on after a refusal: questions the pages do answer, taken from the pages themselves.

The candidates are the pages' own headings ("Is metastatic breast cancer curable?", "Hospice care")
and their sentences that are questions, word for word, never written by us. A candidate is kept
only when it reads as a whole phrase (two words or more, not ending in "for" or "of" as a heading
cut across lines does), the bot answers it with a quote from the section that heading opens (for
a question sentence, from its own page), so a suggestion always leads to an answer, and it is
about what the pages are about: cosine with the mean of their passages at least ``ON_TOPIC``
(0.55). On the five pages, under the fine-tuned encoder, that last rule drops the site furniture
("Get care", "Discussion Boards", "Member Stories", "Read the full report", 0.33-0.48) and keeps the
shortest real headings ("Hormonal Therapy" 0.65, "Targeted Therapy" 0.62, "Hospice care" 0.59).

After a refusal, ``Suggester.suggest`` offers up to three, nearest first, whose embedding's cosine
with the question is at least ``NEAR`` (0.53); none when nothing is that near. ``far_from_pages``
tells a question about something else entirely (its nearest passage under ``FAR``, 0.49) so it gets
its own message. Both were set on questions read by hand against the five pages, under the
fine-tuned encoder (``make model``): off-topic ones ("what is the capital of France", "best
football team", "what is the weather today", "what is the capital of Australia", "how do I fix my
car") had a nearest passage of 0.30-0.49 and nearest candidate of 0.33-0.41; near-domain refusals
("can my dog get breast cancer", "what diet should I eat with metastatic breast cancer") 0.50-0.51
and 0.55-0.56, while "what are the side effects of tamoxifen", which no heading answers, peaked at
0.52. The fine-tuned encoder leaves less room between these than the base model did: some
near-domain questions ("can I drink alcohol on chemo", 0.42) are under FAR and get the off-topic
message, which is still a kind refusal. A refit of the encoder needs these measured again.

>>> suggester = Suggester(bot)
>>> suggester.suggest("what diet should I eat with metastatic breast cancer")
['Living With Metastatic Breast Cancer', ...]
"""

from __future__ import annotations

import threading

import numpy as np

from ask.answer import ANSWERED
from errors import ChatbotError

NEAR = 0.53
FAR = 0.49
ON_TOPIC = 0.55
MAX_SUGGESTIONS = 3
# Each candidate is asked once when the suggester is first used (about 20 ms each): the first
# MAX_CANDIDATES in page order are checked. The five pages have 90; a corpus with many more headings
# would need them checked at build time instead.
MAX_CANDIDATES = 2000
_CUT_ENDINGS = {"for", "of", "to", "with", "and", "or", "the", "a", "in", "on", "about", "by", "from"}


class Suggester:
    """Suggestions for one ``Bot`` (one index version); the candidates are checked once, on first use."""

    def __init__(self, bot) -> None:
        self.bot = bot
        self._lock = threading.Lock()
        self._candidates: list[str] | None = None
        self._vectors: np.ndarray | None = None

    def candidates(self) -> list[str]:
        """Every heading or question sentence of the pages that the bot answers from its own section."""
        with self._lock:
            if self._candidates is None:
                found = [text for text, check in _raw_candidates(self.bot.index) if self._answers(text, check)]
                vectors = self.bot.embedder.embed(found) if found else np.zeros((0, 1), dtype=np.float32)
                keep = _on_topic(self.bot.index, vectors)
                self._candidates = [text for text, kept in zip(found, keep, strict=True) if kept]
                self._vectors = vectors[keep] if len(found) else vectors
            return self._candidates

    def suggest(self, question: str, *, limit: int = MAX_SUGGESTIONS) -> list[str]:
        """Up to ``limit`` candidates nearest to ``question`` (cosine >= NEAR), nearest first."""
        candidates = self.candidates()
        if not candidates or not isinstance(question, str) or not question.strip():
            return []
        try:
            vector = self.bot.embedder.embed_one(question)
        except ChatbotError:
            return []
        similarity = self._vectors @ vector
        asked = question.strip().lower()
        order = np.argsort(-similarity, kind="stable")
        chosen = [i for i in order if similarity[i] >= NEAR and candidates[i].lower() != asked]
        return [candidates[i] for i in chosen[:limit]]

    def far_from_pages(self, question: str) -> bool:
        """Whether ``question`` is about something the pages do not touch at all."""
        if not isinstance(question, str) or not question.strip():
            return False
        try:
            vector = self.bot.embedder.embed_one(question)
        except ChatbotError:
            return False
        nearest = self.bot.index.search(vector, 1)
        return not nearest or nearest[0][1] < FAR

    def _answers(self, text: str, check: tuple[str, int | None]) -> bool:
        doc_id, heading_block = check
        try:
            answer = self.bot.ask(text)
        except ChatbotError:
            return False
        if answer.status != ANSWERED:
            return False
        return any(_under(self.bot.index, quote, doc_id, heading_block) for quote in answer.quotes)


def _on_topic(index, vectors: np.ndarray) -> np.ndarray:
    """Which candidate vectors are about what the pages are about: cosine with their passages' mean >= ON_TOPIC."""
    passages = np.asarray(index.passage_vectors, dtype=np.float32)
    if not len(vectors) or not len(passages):
        return np.zeros(len(vectors), dtype=bool)
    centre = passages.mean(axis=0)
    norm = float(np.linalg.norm(centre))
    if norm == 0.0:
        return np.ones(len(vectors), dtype=bool)
    return (vectors @ (centre / norm)) >= ON_TOPIC


def _raw_candidates(index) -> list[tuple[str, tuple[str, int | None]]]:
    """(text, (page, heading block or None)) for headings and question sentences, first of each text only."""
    seen: set[str] = set()
    found: list[tuple[str, tuple[str, int | None]]] = []

    def add(text: str, check: tuple[str, int | None]) -> None:
        text = " ".join(text.split())
        words = text.rstrip("?:.").split()
        key = text.lower()
        if len(words) < 2 or words[-1].lower() in _CUT_ENDINGS or key in seen or len(text) > 120:
            return
        seen.add(key)
        found.append((text, check))

    for block in index.blocks:
        if block.kind == "heading":
            add(index.texts[block.doc_id][block.start : block.end], (block.doc_id, block.id))
    for sentence in index.sentences:
        text = index.sentence_text(sentence.id).strip()
        if text.endswith("?"):
            add(text, (sentence.doc_id, None))
    return found[:MAX_CANDIDATES]


def _under(index, quote, doc_id: str, heading_block: int | None) -> bool:
    """Whether ``quote`` comes from ``doc_id`` and, for a heading, from the section it opens."""
    if quote.doc_id != doc_id:
        return False
    if heading_block is None:
        return True
    try:
        doc = index.sentences.doc_ids.index(doc_id)
    except ValueError:
        return False
    columns = index.sentences.columns
    inside = (columns[0] == doc) & (columns[1] < quote.end) & (columns[2] > quote.start)
    blocks = np.unique(columns[3][inside]).astype(np.int64)
    return bool(np.any(blocks == heading_block) or np.any(np.asarray(index.blocks.heading)[blocks] == heading_block))
