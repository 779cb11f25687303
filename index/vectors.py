"""The FAISS vector index over passage vectors, its type chosen by size.

Below ``EXACT_LIMIT`` vectors the index is exact (``flat``): a full scan is only
a few milliseconds there and never misses. From ``EXACT_LIMIT`` up it is
approximate (``ivf``): an inverted file of ``nlist`` k-means cells whose vectors
are stored as 8-bit scalar-quantised codes, a quarter of float32's size, and a
search scans the ``nprobe`` nearest cells. At 1M passages that is about 0.4 GB
instead of 1.5 GB, searches in a few milliseconds and keeps recall@10 above 0.95
against exact search (measured by ``python -m bench.scale``). ``hnsw`` (a graph
over the full vectors) stays available by override: it is as fast to search but
slow to build on a small machine and holds every float32 vector in memory.

The chosen type and its parameters are recorded in the manifest's
``faiss_index`` field; ``MBC_FAISS_INDEX`` forces one of ``KINDS``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from errors import IndexCorruptError, SettingsError, StorageError, map_exceptions

EXACT_LIMIT = 50_000
KINDS = ("flat", "ivf", "hnsw")

# IVF: about 2*sqrt(n) cells of about sqrt(n)/2 vectors each. Scanning a fixed
# share of them (1/32, never fewer than 16 cells) keeps recall@10 >= 0.95 on the
# clustered benchmark data from 10k to 1M vectors with p95 of a few ms.
IVF_CELLS_PER_SQRT = 2
IVF_MIN_CELLS = 16
IVF_PROBE_SHARE = 32
IVF_MIN_PROBES = 16
# k-means needs about 40 points per cell; more only slows the build.
IVF_TRAIN_PER_CELL = 40
IVF_TRAIN_SEED = 1234

HNSW_M = 32
HNSW_EF_CONSTRUCTION = 80
HNSW_EF_SEARCH = 96


@dataclass(frozen=True)
class VectorIndexSpec:
    """What kind of FAISS index to build, and with which parameters.

    >>> choose_spec(1_000_000).to_dict()
    {'kind': 'ivf', 'params': {'nlist': 2000, 'nprobe': 62, 'codes': 'sq8'}}
    """

    kind: str
    params: dict

    def to_dict(self) -> dict:
        return {"kind": self.kind, "params": dict(self.params)}


def choose_spec(count: int, forced: str | None = None) -> VectorIndexSpec:
    """Pick the index type for ``count`` vectors, or the forced one.

    Args:
        count: how many vectors the index will hold.
        forced: a kind from ``KINDS`` (the ``MBC_FAISS_INDEX`` setting), or None to choose by size.

    Returns:
        The spec to build, as recorded in the manifest.

    Raises:
        SettingsError: ``forced`` is not one of ``KINDS``; the message lists them.
    """
    kind = forced or ("flat" if count < EXACT_LIMIT else "ivf")
    if kind not in KINDS:
        raise SettingsError(f"Unknown FAISS index type {kind!r} in MBC_FAISS_INDEX; choose one of: {', '.join(KINDS)}.")
    if kind == "ivf":
        nlist = max(IVF_MIN_CELLS, round(IVF_CELLS_PER_SQRT * math.sqrt(count)))
        nprobe = min(nlist, max(IVF_MIN_PROBES, nlist // IVF_PROBE_SHARE))
        return VectorIndexSpec("ivf", {"nlist": nlist, "nprobe": nprobe, "codes": "sq8"})
    if kind == "hnsw":
        return VectorIndexSpec(
            "hnsw", {"M": HNSW_M, "efConstruction": HNSW_EF_CONSTRUCTION, "efSearch": HNSW_EF_SEARCH}
        )
    return VectorIndexSpec("flat", {})


def build(vectors: np.ndarray, spec: VectorIndexSpec):
    """Build a FAISS inner-product index over unit-length ``vectors`` as ``spec`` says."""
    import faiss

    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    dimension = vectors.shape[1]
    if spec.kind == "ivf":
        index = _build_ivf(vectors, spec.params)
    elif spec.kind == "hnsw":
        index = faiss.IndexHNSWFlat(dimension, spec.params["M"], faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = spec.params["efConstruction"]
        index.hnsw.efSearch = spec.params["efSearch"]
        if len(vectors):
            index.add(vectors)
    else:
        index = faiss.IndexFlatIP(dimension)
        if len(vectors):
            index.add(vectors)
    return index


def _build_ivf(vectors: np.ndarray, params: dict):
    import faiss

    count, dimension = vectors.shape
    # A forced ivf over a handful of vectors cannot have more cells than points.
    nlist = max(1, min(params["nlist"], count))
    quantizer = faiss.IndexFlatIP(dimension)
    index = faiss.IndexIVFScalarQuantizer(
        quantizer, dimension, nlist, faiss.ScalarQuantizer.QT_8bit, faiss.METRIC_INNER_PRODUCT
    )
    index.cp.seed = IVF_TRAIN_SEED
    if count:
        sample_size = min(count, nlist * IVF_TRAIN_PER_CELL)
        rows = np.random.default_rng(IVF_TRAIN_SEED).choice(count, sample_size, replace=False)
        index.train(vectors[np.sort(rows)])
        index.add(vectors)
    index.nprobe = min(nlist, params["nprobe"])
    return index


def save(index, path: Path) -> None:
    """Write ``index`` to ``path``."""
    import faiss

    with map_exceptions({RuntimeError: StorageError}, f"The vector index {path} could not be written"):
        faiss.write_index(index, str(path))


def load(path: Path, spec: VectorIndexSpec):
    """Read a saved index back, memory-mapped where FAISS allows it, with its search parameters set."""
    import faiss

    try:
        index = faiss.read_index(str(path), faiss.IO_FLAG_MMAP | faiss.IO_FLAG_READ_ONLY)
    except RuntimeError:  # not every index type can be memory-mapped: read it whole
        with map_exceptions({RuntimeError: IndexCorruptError}, f"The vector index {path} cannot be read"):
            index = faiss.read_index(str(path))
    if spec.kind == "hnsw":
        faiss.downcast_index(index).hnsw.efSearch = spec.params.get("efSearch", HNSW_EF_SEARCH)
    elif spec.kind == "ivf":
        ivf = faiss.extract_index_ivf(index)
        ivf.nprobe = min(ivf.nlist, spec.params.get("nprobe", IVF_MIN_PROBES))
    return index
