"""How the index and the answering code grow with the corpus: synthetic 10k, 100k and 1M passages.

    python -m bench.scale              # 10k, 100k, 1M (about half an hour on 2 cores)
    python -m bench.scale --quick      # 2k and 60k, a smoke run

Three tables:

1. Vector index: for each size the index chosen by ``index.vectors.choose_spec`` (and the
   exact one beside it): build time, size on disk, resident memory of a serving process
   after loading it and answering the queries (RSS delta), search p50/p95 for one query
   at a time, and recall@10 against exact search.
2. Lexical search: the stored lexical index (``index.lexical``) over the generated
   passages' sentences (three a passage): build time (tokenising included), size on
   disk, resident memory of a fresh process that loads it and searches, and per dev
   question one search for the best ``LEXICAL_HITS`` sentences, p50/p95.
3. Quote selection: ``ask.retrieve.Retriever`` and ``ask.quotes.QuoteSelector`` over a
   synthetic index version written by ``index.write_version`` and loaded by
   ``index.load`` as the server does: load time, resident memory, and per dev question
   the candidate scoring (``query`` + ``score``) and the quote choice (``candidates`` +
   ``select``), each p50/p95.

Each measurement runs in a fresh process so memory figures are its own. RSS is the
whole process's resident memory, memory-mapped pages it touched included; "of it,
index" is the part that appeared while loading and answering.
"""

from __future__ import annotations

import argparse
import multiprocessing
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np

import index as idx
from ask import LEXICAL_HITS
from bench.measure import dev_questions, machine, percentiles_ms, rss_mb, table
from bench.synthetic import passage_texts, passage_words
from embedding import DIMENSION, MODEL_NAME
from index import clustered_vectors, exact_top_k, nearby_queries, recall_at_k

QUERIES = 200
WARM_UP = 20
K = 10
PARTS = ("vectors", "lexical", "quotes")
PAGE_PASSAGES = 1_000  # generated passages a synthetic page


def _in_fresh_process(function, *args):
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        return pool.apply(function, args)


# --- vector index ---------------------------------------------------------------------------


def vector_rows(count: int, workdir: Path) -> list[list]:
    """Build the chosen index (and the exact one) over ``count`` synthetic vectors and measure them."""
    import faiss

    faiss.omp_set_num_threads(multiprocessing.cpu_count())  # building uses every core
    data = clustered_vectors(count, dimension=DIMENSION)
    queries = nearby_queries(data, QUERIES)
    exact = exact_top_k(data, queries, K)
    np.save(workdir / "queries.npy", queries)
    np.save(workdir / "exact.npy", exact)
    chosen = idx.choose_spec(count)
    specs = [chosen] if chosen.kind == "flat" else [chosen, idx.choose_spec(count, "flat")]
    rows = []
    for spec in specs:
        started = time.perf_counter()
        built = idx.build_vectors(data, spec)
        build_seconds = time.perf_counter() - started
        path = workdir / f"{count}-{spec.kind}.faiss"
        idx.save_vectors(built, path)
        del built
        probe = _in_fresh_process(_probe_vectors, str(path), spec.to_dict(), str(workdir))
        recall = "exact" if spec.kind == "flat" else round(probe["recall"], 3)
        params = ",".join(f"{k}={v}" for k, v in spec.params.items()) or "-"
        rows.append(
            [
                count,
                spec.kind + (" (chosen)" if spec == chosen else ""),
                params,
                build_seconds,
                path.stat().st_size / 1e6,
                probe["rss_mb"],
                probe["p50"],
                probe["p95"],
                recall,
            ]
        )
        path.unlink()
    return rows


def _probe_vectors(path: str, spec: dict, workdir: str) -> dict:
    """In a fresh process: load the index as the server does, then answer one query at a time."""
    import faiss

    faiss.omp_set_num_threads(1)  # a server answers many single queries side by side, one core each
    queries = np.load(Path(workdir) / "queries.npy")
    exact = np.load(Path(workdir) / "exact.npy")
    before = rss_mb()
    loaded = idx.load_vectors(Path(path), idx.VectorIndexSpec(spec["kind"], spec["params"]))
    for query in queries[:WARM_UP]:
        loaded.search(query[None, :], K)
    seconds, found = [], []
    for query in queries:
        started = time.perf_counter()
        _, ids = loaded.search(query[None, :], K)
        seconds.append(time.perf_counter() - started)
        found.append(ids[0])
    p50, p95 = percentiles_ms(seconds)
    return {"rss_mb": rss_mb() - before, "p50": p50, "p95": p95, "recall": recall_at_k(np.array(found), exact)}


# --- lexical search ---------------------------------------------------------------------------


def _question_weights() -> list[dict[str, float]]:
    """Each dev question as the BM25 query the answering code makes: content words, stemmed."""
    from ask import load_lexicon
    from index import stem, words

    stop = load_lexicon().stop
    return [{stem(w): 1.0 for w in words(q) if w not in stop} for q in dev_questions()]


def _sentence_texts(count: int) -> list[str]:
    """The sentences of ``count`` generated passages, three a passage, as ``synthetic_content`` cuts them."""
    return [
        sentence if sentence.endswith(".") else sentence + "."
        for text in passage_texts(passage_words(count))
        for sentence in text.split(". ")
    ]


def _build_lexical(count: int, folder: str) -> dict:
    """In a fresh process: build the lexical index of ``count`` passages' sentences and save it."""

    sentences = _sentence_texts(count)
    started = time.perf_counter()
    built = idx.build_lexical((text, "", "") for text in sentences)
    idx.save_lexical(built, Path(folder))
    seconds = time.perf_counter() - started
    size = sum(path.stat().st_size for path in Path(folder).iterdir())
    return {"sentences": len(sentences), "build": seconds, "disk_mb": size / 1e6}


def _probe_lexical(folder: str, sentences: int) -> dict:
    """In a fresh process: load the stored lexical index as the server does and search once per dev question."""

    questions = _question_weights()
    before = rss_mb()
    loaded = idx.load_lexical(Path(folder), sentences)
    for weights in questions[:WARM_UP]:
        loaded.search(weights, LEXICAL_HITS)
    seconds = []
    for weights in questions:
        started = time.perf_counter()
        loaded.search(weights, LEXICAL_HITS)
        seconds.append(time.perf_counter() - started)
    p50, p95 = percentiles_ms(seconds)
    return {"rss_mb": rss_mb(), "index_mb": rss_mb() - before, "p50": p50, "p95": p95}


# --- quote selection ----------------------------------------------------------------------------


def synthetic_content(count: int, workdir: Path):
    """An ``index.VersionContent`` of ``count`` generated passages, three sentences each, 1,000 a page.

    Each sentence is a paragraph of its own. The vectors are memory-mapped files in ``workdir``.
    """

    texts, passages, sentences, blocks, pages = {}, [], [], [], []
    all_texts = passage_texts(passage_words(count))
    for page_start in range(0, count, PAGE_PASSAGES):
        doc_id = f"page-{page_start // PAGE_PASSAGES:05d}"
        offset, parts = 0, []
        first_passage, first_sentence = len(passages), len(sentences)
        for text in all_texts[page_start : page_start + PAGE_PASSAGES]:
            passages.append(idx.Passage(len(passages), doc_id, offset, offset + len(text), text))
            cursor = offset
            for sentence in text.split(". "):
                length = len(sentence) + (0 if sentence.endswith(".") else 1)
                blocks.append(idx.Block(len(blocks), doc_id, cursor, cursor + length, "paragraph"))
                sentences.append(idx.Sentence(len(sentences), doc_id, cursor, cursor + length, len(blocks) - 1))
                cursor += length + 1
            parts.append(text)
            offset += len(text) + 2
        texts[doc_id] = "\n\n".join(parts)
        pages.append(
            idx.PageRecord(
                doc_id, f"synthetic/{doc_id}.txt", doc_id, "Synthetic", None, None, "-", "-", "-",
                len(passages) - first_passage, len(sentences) - first_sentence,
            )
        )  # fmt: skip
    passage_vectors = clustered_vectors(count, dimension=DIMENSION, out=_vector_file(workdir / "passages.npy", count))
    sentence_vectors = clustered_vectors(
        len(sentences), dimension=DIMENSION, seed=3, out=_vector_file(workdir / "sentences.npy", len(sentences))
    )
    return idx.VersionContent(texts, passages, passage_vectors, sentences, sentence_vectors, blocks, pages)


def _vector_file(path: Path, rows: int) -> np.ndarray:
    return np.lib.format.open_memmap(path, mode="w+", dtype=np.float32, shape=(rows, DIMENSION))


def synthetic_index(count: int, index_dir: Path):
    """Write a synthetic version of ``count`` passages into ``index_dir`` and load it as the server does."""

    _write_synthetic(count, str(index_dir))
    return idx.load(index_dir)


def _write_synthetic(count: int, index_dir: str) -> dict:
    """Write a synthetic version of ``count`` passages (vector files made beside the index, then removed)."""

    workdir = Path(index_dir) / "vectors-in-making"
    workdir.mkdir(parents=True)
    content = synthetic_content(count, workdir)
    started = time.perf_counter()
    with idx.build_lock(Path(index_dir)):
        idx.write_version(Path(index_dir), content, model=MODEL_NAME, dimension=DIMENSION, splitter={})
    seconds = time.perf_counter() - started
    del content
    shutil.rmtree(workdir)
    return {"write": seconds}


def _probe_quotes(index_dir: str) -> dict:
    """In a fresh process: load the index, Retriever and QuoteSelector as the server does; ask every dev question."""
    import faiss

    from ask import QuoteSelector, Retriever, load_lexicon

    faiss.omp_set_num_threads(1)
    questions = dev_questions()
    before = rss_mb()
    started = time.perf_counter()
    index = idx.load(Path(index_dir))
    retriever = Retriever(index, load_lexicon())
    selector = QuoteSelector(retriever)
    load_seconds = time.perf_counter() - started
    query_vectors = nearby_queries(index.passage_vectors, len(questions))
    score_seconds, select_seconds, candidates = [], [], []
    for question, vector in zip(questions, query_vectors, strict=True):
        started = time.perf_counter()
        scores = retriever.score(retriever.query(question), vector)
        scored = time.perf_counter()
        selector.select(selector.candidates(scores))
        score_seconds.append(scored - started)
        select_seconds.append(time.perf_counter() - scored)
        candidates.append(len(scores.ids))
    return {
        "sentences": len(index.sentences),
        "load": load_seconds,
        "rss_mb": rss_mb(),
        "index_mb": rss_mb() - before,
        "candidates": int(np.median(candidates)),
        "score": percentiles_ms(score_seconds),
        "select": percentiles_ms(select_seconds),
    }


def print_vector_table(sizes: tuple[int, ...]) -> None:
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-scale-") as workdir:
        for count in sizes:
            rows += vector_rows(count, Path(workdir))
    print("\nVector index (one query at a time, one core; 384-d clustered vectors; 200 queries):")
    headers = ["passages", "index", "parameters", "build s", "disk MB", "RSS MB", "p50 ms", "p95 ms", "recall@10"]
    print(table(headers, rows), flush=True)


def print_lexical_table(sizes: tuple[int, ...]) -> None:
    rows = []
    for count in sizes:
        with tempfile.TemporaryDirectory(prefix="bench-lexical-") as workdir:
            folder = str(Path(workdir) / "lexical")
            built = _in_fresh_process(_build_lexical, count, folder)
            probe = _in_fresh_process(_probe_lexical, folder, built["sentences"])
        rows.append(
            [
                count,
                built["sentences"],
                built["build"],
                built["disk_mb"],
                probe["rss_mb"],
                probe["index_mb"],
                probe["p50"],
                probe["p95"],
            ]
        )
    print(
        f"\nLexical search (the stored index.lexical table over the sentences; {len(dev_questions())} dev questions, "
        f"one search each for the best {LEXICAL_HITS}):"
    )
    headers = ["passages", "sentences", "build s", "disk MB", "RSS MB", "of it, index", "p50 ms", "p95 ms"]
    print(table(headers, rows), flush=True)


def print_quote_table(sizes: tuple[int, ...]) -> None:
    rows = []
    for count in sizes:
        with tempfile.TemporaryDirectory(prefix="bench-quotes-") as workdir:
            written = _in_fresh_process(_write_synthetic, count, workdir)
            probe = _in_fresh_process(_probe_quotes, workdir)
        rows.append(
            [
                count,
                probe["sentences"],
                written["write"],
                probe["load"],
                probe["rss_mb"],
                probe["index_mb"],
                probe["candidates"],
                *probe["score"],
                *probe["select"],
            ]
        )
    print(
        f"\nQuote selection (index.load, ask's Retriever and QuoteSelector; {len(dev_questions())} dev questions; "
        "candidates: median sentences scored per question):"
    )
    headers = [
        "passages", "sentences", "write s", "load s", "RSS MB", "of it, index", "candidates",
        "score p50 ms", "score p95 ms", "select p50", "select p95",
    ]  # fmt: skip
    print(table(headers, rows), flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.scale", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="2k and 60k passages only")
    parser.add_argument("--only", choices=PARTS, action="append", help="run only this part (may be repeated)")
    args = parser.parse_args(argv)
    parts = args.only or PARTS
    sizes = (2_000, 60_000) if args.quick else (10_000, 100_000, 1_000_000)
    print(f"Machine: {machine()}", flush=True)

    if "vectors" in parts:
        print_vector_table(sizes)
    if "lexical" in parts:
        print_lexical_table(sizes)
    if "quotes" in parts:
        print_quote_table(sizes)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
