"""The embedding model: the fine-tuned all-MiniLM-L6-v2, loaded offline, behind ``Embedder``.

``Embedder`` turns texts into unit vectors, one model call at a time, batching questions that
arrive together and choosing torch's threads per call. It runs any ``EmbeddingModel``, the seam
with one method to implement (``embed_batch``); ``SentenceTransformerModel`` is the real one. ``ingest`` embeds passages with it, ``ask``
and ``safety`` embed messages, ``learn`` fine-tunes the model it loads.
"""

from embedding.embedder import (
    BASE_MODEL,
    DIMENSION,
    ENCODER_FILE,
    FINE_TUNED_FILE,
    MODEL_NAME,
    Embedder,
    fine_tune_id,
    fitted_model_id,
    load_base_model,
    load_embedder,
    load_model_folder,
    model_name,
    sentence_transformer_at,
)
from embedding.model import EmbeddingModel, SentenceTransformerModel

__all__ = [
    "BASE_MODEL",
    "DIMENSION",
    "ENCODER_FILE",
    "FINE_TUNED_FILE",
    "MODEL_NAME",
    "Embedder",
    "EmbeddingModel",
    "SentenceTransformerModel",
    "fine_tune_id",
    "fitted_model_id",
    "load_base_model",
    "load_embedder",
    "load_model_folder",
    "model_name",
    "sentence_transformer_at",
]
