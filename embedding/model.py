"""The seam between the project and an embedding library: one method, ``embed_batch``.

``Embedder`` (batching concurrent askers, torch's threads, our errors) is built on this method
alone, as llm builds its embedding collections on ``EmbeddingModel.embed_batch``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod

import numpy as np


class EmbeddingModel(ABC):
    """Turns a batch of texts into vectors. Implement ``embed_batch``; the rest is built on it.

    >>> class Counting(EmbeddingModel):
    ...     def __init__(self, real: EmbeddingModel) -> None:
    ...         self.real, self.texts = real, 0
    ...
    ...     def embed_batch(self, texts: list[str], *, batch_size: int) -> np.ndarray:
    ...         self.texts += len(texts)
    ...         return self.real.embed_batch(texts, batch_size=batch_size)
    >>> Embedder(Counting(load_embedder().model)).embed_one("bone pain").shape
    (384,)
    """

    @abstractmethod
    def embed_batch(self, texts: list[str], *, batch_size: int) -> np.ndarray:
        """Embed ``texts`` in one call.

        Args:
            texts: the texts, in order.
            batch_size: how many texts the library runs through the network at once.

        Returns:
            An array of shape (len(texts), dimension), one row of unit length per text.
        """


class SentenceTransformerModel(EmbeddingModel):
    """A sentence-transformers model (the fine-tuned all-MiniLM-L6-v2), normalised, on the CPU."""

    def __init__(self, transformer) -> None:
        self.transformer = transformer  # a sentence_transformers.SentenceTransformer

    def embed_batch(self, texts: list[str], *, batch_size: int) -> np.ndarray:
        return self.transformer.encode(
            texts,
            batch_size=batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
