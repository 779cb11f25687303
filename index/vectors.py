"""The FAISS vector index over passage vectors, its type chosen by size.

Exact inner-product search (``flat``) is used below ``EXACT_LIMIT`` vectors: it
is already fast there and never misses. Above it an HNSW graph answers in about
a millisecond with recall@10 above 0.95 (see ``bench/scale.py``). The choice is
recorded in the manifest and can be forced with ``MBC_FAISS_INDEX``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from index.errors import IndexCorruptError

EXACT_LIMIT = 50_000
KINDS = ("flat", "hnsw")
HNSW_M = 32
HNSW_EF_CONSTRUCTION = 80
HNSW_EF_SEARCH = 96


@dataclass(frozen=True)
class VectorIndexSpec:
    """What kind of FAISS index to build, and with which parameters."""

    kind: str
    params: dict

    def to_dict(self) -> dict:
        return {"kind": self.kind, "params": dict(self.params)}


def choose_spec(count: int, forced: str | None = None) -> VectorIndexSpec:
    """Pick the index type for ``count`` vectors, or the forced one."""
    kind = forced or ("flat" if count < EXACT_LIMIT else "hnsw")
    if kind not in KINDS:
        raise ValueError(f"Unknown FAISS index type {kind!r}; choose one of: {', '.join(KINDS)}")
    if kind == "hnsw":
        return VectorIndexSpec(
            "hnsw", {"M": HNSW_M, "efConstruction": HNSW_EF_CONSTRUCTION, "efSearch": HNSW_EF_SEARCH}
        )
    return VectorIndexSpec("flat", {})


def build(vectors: np.ndarray, spec: VectorIndexSpec):
    """Build a FAISS inner-product index over unit-length ``vectors``."""
    import faiss

    dimension = vectors.shape[1]
    if spec.kind == "hnsw":
        index = faiss.IndexHNSWFlat(dimension, spec.params["M"], faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = spec.params["efConstruction"]
        index.hnsw.efSearch = spec.params["efSearch"]
    else:
        index = faiss.IndexFlatIP(dimension)
    if len(vectors):
        index.add(np.ascontiguousarray(vectors, dtype=np.float32))
    return index


def save(index, path: Path) -> None:
    import faiss

    faiss.write_index(index, str(path))


def load(path: Path, spec: VectorIndexSpec):
    """Read a saved index back, memory-mapped where FAISS allows it."""
    import faiss

    try:
        index = faiss.read_index(str(path), faiss.IO_FLAG_MMAP | faiss.IO_FLAG_READ_ONLY)
    except RuntimeError:
        try:
            index = faiss.read_index(str(path))
        except RuntimeError as exc:
            raise IndexCorruptError(f"The vector index {path} cannot be read: {exc}") from exc
    if spec.kind == "hnsw":
        faiss.downcast_index(index).hnsw.efSearch = spec.params.get("efSearch", HNSW_EF_SEARCH)
    return index
