"""The embedder with the real model: concurrent questions are batched and each gets its own vector."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from embedding import Embedder, EmbeddingModel, load_embedder
from embedding.embedder import BATCH_THREADS, LONE_TEXT_THREADS
from errors import ModelError

QUESTIONS = [
    "what are the symptoms of bone mets?",
    "is stage 4 curable",
    "Where does breast cancer usually spread to, and how would I know if it has reached my liver?",
    "palliative care",
    "how long can someone live with metastatic breast cancer?",
    "What does HER2-positive mean?",
    "I feel so tired all the time, is that normal",
    "can it spread to the brain",
    "what is hormone therapy and what side effects does it have for most people?",
    "lung mets cough",
    "who can I talk to",
    "is it hereditary?",
    "what tests show if cancer has spread",
    "de novo metastatic",
    "does exercise help with fatigue during treatment",
    "what is a clinical trial",
]


class _GatedModel(EmbeddingModel):
    """The real model, with a record of each call's batch; the first call waits until ``gate`` opens.

    Holding the first call keeps the model busy while the other askers arrive, so the test knows
    they are all waiting when it frees up.
    """

    def __init__(self, real: EmbeddingModel) -> None:
        self.real = real
        self.gate = threading.Event()
        self.batches: list[list[str]] = []

    def embed_batch(self, texts: list[str], *, batch_size: int) -> np.ndarray:
        self.batches.append(list(texts))
        if len(self.batches) == 1:
            assert self.gate.wait(timeout=30)
        return self.real.embed_batch(texts, batch_size=batch_size)


def _until_queued(embedder: Embedder, gated: _GatedModel, askers: int) -> None:
    """Wait until the first asker holds the model and every other one waits behind it."""
    deadline = time.monotonic() + 30
    while not (gated.batches and embedder.waiting == askers - 1):
        assert time.monotonic() < deadline, f"{embedder.waiting} of {askers - 1} askers queued"
        time.sleep(0.01)


@pytest.fixture(scope="module")
def embedder() -> Embedder:
    return load_embedder()


def test_concurrent_questions_share_one_batch_and_each_gets_its_own_vector(embedder: Embedder):
    one_at_a_time = np.stack([embedder.embed_one(q) for q in QUESTIONS])
    gated = _GatedModel(embedder.model)
    batching = Embedder(gated)

    with ThreadPoolExecutor(max_workers=len(QUESTIONS)) as pool:
        futures = [pool.submit(batching.embed_one, q) for q in QUESTIONS]
        _until_queued(batching, gated, len(QUESTIONS))  # every asker is queued behind the first, held call
        gated.gate.set()
        together = np.stack([f.result(timeout=60) for f in futures])

    assert len(gated.batches) == 2  # the first asker alone, then everyone who queued meanwhile
    assert sorted(q for batch in gated.batches for q in batch) == sorted(QUESTIONS)
    np.testing.assert_allclose(together, one_at_a_time, atol=1e-6)


def test_a_lone_question_is_embedded_at_once_and_alone(embedder: Embedder):
    gated = _GatedModel(embedder.model)
    gated.gate.set()
    vector = Embedder(gated).embed_one(QUESTIONS[0])
    assert gated.batches == [[QUESTIONS[0]]]
    np.testing.assert_allclose(vector, embedder.embed_one(QUESTIONS[0]), atol=1e-6)


def test_a_lone_question_runs_on_one_thread_and_a_batch_on_several(embedder: Embedder):
    import torch

    embedder.embed(QUESTIONS)
    assert torch.get_num_threads() == BATCH_THREADS
    embedder.embed_one(QUESTIONS[0])
    assert torch.get_num_threads() == LONE_TEXT_THREADS == 1
    embedder.embed(QUESTIONS[:2])
    assert torch.get_num_threads() == BATCH_THREADS


def test_a_text_the_model_cannot_read_fails_only_its_own_asker(embedder: Embedder):
    gated = _GatedModel(embedder.model)
    batching = Embedder(gated)
    asked = [*QUESTIONS[:3], 404]  # not text: the tokenizer refuses it

    with ThreadPoolExecutor(max_workers=len(asked)) as pool:
        futures = [pool.submit(batching.embed_one, q) for q in asked]
        _until_queued(batching, gated, len(asked))
        gated.gate.set()
        with pytest.raises(ModelError, match="Unsupported input type"):
            futures[-1].result(timeout=60)
        vectors = np.stack([f.result(timeout=60) for f in futures[:-1]])

    np.testing.assert_allclose(vectors, np.stack([embedder.embed_one(q) for q in QUESTIONS[:3]]), atol=1e-6)
    with pytest.raises(ModelError, match="Unsupported input type"):
        embedder.embed([404])
