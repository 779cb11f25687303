"""Embed a build's passages and sentences: each distinct text once, and only texts the index lacks.

A vector depends only on its text (the manifest pins the model), so a passage or a sentence
whose text the served index already holds keeps its vector, and a sentence that is also a
whole passage (a one-sentence paragraph) is embedded once. A typical page edit changes a few
sentences; only those, and the passages around them, go through the model.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

import index as idx


@dataclass
class EmbeddedTexts:
    """The vectors of one build's new or changed pages, and how many texts the model embedded."""

    vectors: dict[str, np.ndarray]
    passages_embedded: int  # passages whose text the model embedded in this build
    sentences_embedded: int  # the same for sentences (a text shared with a passage counts there)
    reused: int  # passages and sentences whose vector came from the served index


def known_vectors(served: idx.Index | None) -> dict[str, np.ndarray]:
    """Every passage and sentence text of the served index, with its vector."""
    if served is None:
        return {}
    known = {p.text: served.passage_vectors[p.id] for p in served.passages}
    for s in served.sentences:
        known.setdefault(served.texts[s.doc_id][s.start : s.end], served.sentence_vectors[s.id])
    return known


def embed_texts(
    embed: Callable[[list[str]], np.ndarray], passages: list[str], sentences: list[str], known: dict[str, np.ndarray]
) -> EmbeddedTexts:
    """Vectors for every given text: taken from ``known`` when there, else from one call of ``embed``.

    ``embed`` is not called when every text is known, so such a build never loads the model.
    """
    new: list[str] = []
    counts = {"passages": 0, "sentences": 0}
    reused = 0
    seen: set[str] = set()
    for kind, texts in (("passages", passages), ("sentences", sentences)):
        for text in texts:
            if text in known:
                reused += 1
            elif text not in seen:
                seen.add(text)
                new.append(text)
                counts[kind] += 1
    vectors = dict(known)
    if new:
        vectors.update(zip(new, embed(new), strict=True))
    return EmbeddedTexts(vectors, counts["passages"], counts["sentences"], reused)
