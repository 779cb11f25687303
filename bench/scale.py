"""How the index and the answering code grow with the corpus: synthetic 10k, 100k and 1M passages.

    python -m bench.scale              # 10k, 100k, 1M (a few minutes on 2 cores)
    python -m bench.scale --quick      # 2k and 60k, a smoke run

Three tables:

1. Vector index: for each size the index chosen by ``index.vectors.choose_spec`` (and the
   exact one beside it): build time, size on disk, resident memory of a serving process
   after loading it and answering the queries (RSS delta), search p50/p95 for one query
   at a time, and recall@10 against exact search.
2. Lexical search: ``ask.bm25.BM25`` over the passages (terms made from the generated
   words): build time, memory, and one scoring pass per dev question, p50/p95.
   Tokenising with ``ask.text.terms`` is timed on a sample and scaled to the size.
3. Quote selection: ``ask.retrieve.Retriever`` and ``ask.quotes.QuoteSelector`` over a
   synthetic index (three sentences a passage): load time, memory, and per dev question
   the sentence scoring (``query`` + ``score``) and the quote choice (``candidates`` +
   ``select``), each p50/p95.

Each measurement runs in a fresh process so memory figures are its own.
"""

from __future__ import annotations

import argparse
import multiprocessing
import tempfile
import time
from collections import Counter
from pathlib import Path

import numpy as np

from bench.measure import dev_questions, machine, percentiles_ms, rss_mb, table
from bench.synthetic import clustered_vectors, exact_top_k, nearby_queries, passage_texts, passage_words, recall_at_k
from index import vectors

QUERIES = 200
WARM_UP = 20
K = 10
TOKENISE_SAMPLE = 2_000
PARTS = ("vectors", "lexical", "quotes")
QUOTE_QUESTIONS = 25  # ask's per-question cost grows with the corpus; 25 questions keep 100k to minutes


def _in_fresh_process(function, *args):
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        return pool.apply(function, args)


# --- vector index ---------------------------------------------------------------------------


def vector_rows(count: int, workdir: Path) -> list[list]:
    """Build the chosen index (and the exact one) over ``count`` synthetic vectors and measure them."""
    import faiss

    faiss.omp_set_num_threads(multiprocessing.cpu_count())  # building uses every core
    data = clustered_vectors(count)
    queries = nearby_queries(data, QUERIES)
    exact = exact_top_k(data, queries, K)
    np.save(workdir / "queries.npy", queries)
    np.save(workdir / "exact.npy", exact)
    chosen = vectors.choose_spec(count)
    specs = [chosen] if chosen.kind == "flat" else [chosen, vectors.choose_spec(count, "flat")]
    rows = []
    for spec in specs:
        started = time.perf_counter()
        built = vectors.build(data, spec)
        build_seconds = time.perf_counter() - started
        path = workdir / f"{count}-{spec.kind}.faiss"
        vectors.save(built, path)
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
    loaded = vectors.load(Path(path), vectors.VectorIndexSpec(spec["kind"], spec["params"]))
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
    from ask.lexicon import load_lexicon
    from ask.text import stem, words

    stop = load_lexicon().stop
    return [{stem(w): 1.0 for w in words(q) if w not in stop} for q in dev_questions()]


def _probe_lexical(count: int) -> dict:
    """In a fresh process: ask's BM25 over ``count`` generated passages, built and queried."""
    from ask.bm25 import BM25
    from ask.text import stem, terms
    from bench.synthetic import corpus_vocabulary

    word_ids = passage_words(count)
    sample = passage_texts(word_ids[:TOKENISE_SAMPLE])
    started = time.perf_counter()
    for text in sample:
        terms(text)
    tokenise_seconds = (time.perf_counter() - started) / len(sample) * count

    # The generated words are plain lower-case words, so terms() of a passage is the stem of each word.
    stems = [stem(w) for w in corpus_vocabulary()[0]]
    before = rss_mb()
    started = time.perf_counter()
    documents = [dict(Counter(stems[i] for i in row)) for row in word_ids.tolist()]
    del word_ids
    bm25 = BM25(documents)
    build_seconds = time.perf_counter() - started
    memory = rss_mb() - before
    questions = _question_weights()
    seconds = []
    for weights in questions:
        started = time.perf_counter()
        bm25.scores(weights)
        seconds.append(time.perf_counter() - started)
    p50, p95 = percentiles_ms(seconds)
    return {"tokenise": tokenise_seconds, "build": build_seconds, "rss_mb": memory, "p50": p50, "p95": p95}


# --- quote selection ----------------------------------------------------------------------------


def synthetic_index(count: int):
    """An in-memory ``index.Index`` of ``count`` generated passages, three sentences each, 1,000 a page."""
    import index as idx

    texts, passages, sentences, blocks = {}, [], [], []
    all_texts = passage_texts(passage_words(count))
    for page_start in range(0, count, 1_000):
        doc_id = f"page-{page_start // 1_000:05d}"
        offset, parts = 0, []
        for text in all_texts[page_start : page_start + 1_000]:
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
    passage_vectors = clustered_vectors(count)
    sentence_vectors = clustered_vectors(len(sentences), seed=3)
    spec = vectors.choose_spec(count)
    manifest = idx.Manifest(1, "synthetic", "", idx.MODEL_NAME, idx.DIMENSION, {}, spec.to_dict(), (), count, 0)
    return idx.Index(
        Path("synthetic"),
        manifest,
        texts,
        passages,
        passage_vectors,
        sentences,
        sentence_vectors,
        blocks,
        vectors.build(passage_vectors, spec),
    )


def _probe_quotes(count: int) -> dict:
    """In a fresh process: ask's Retriever and QuoteSelector over a synthetic index, asked every dev question."""
    import faiss

    from ask.lexicon import load_lexicon
    from ask.quotes import QuoteSelector
    from ask.retrieve import Retriever

    faiss.omp_set_num_threads(1)
    index = synthetic_index(count)
    questions = dev_questions()[:QUOTE_QUESTIONS]
    query_vectors = nearby_queries(index.passage_vectors, len(questions))
    before = rss_mb()
    started = time.perf_counter()
    retriever = Retriever(index, load_lexicon())
    selector = QuoteSelector(retriever)
    load_seconds = time.perf_counter() - started
    memory = rss_mb() - before
    score_seconds, select_seconds = [], []
    for question, vector in zip(questions, query_vectors, strict=True):
        started = time.perf_counter()
        scores = retriever.score(retriever.query(question), vector)
        scored = time.perf_counter()
        selector.select(selector.candidates(scores))
        score_seconds.append(scored - started)
        select_seconds.append(time.perf_counter() - scored)
    return {
        "sentences": len(index.sentences),
        "load": load_seconds,
        "rss_mb": memory,
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
    lexical_rows = []
    for count in sizes:
        probe = _in_fresh_process(_probe_lexical, count)
        lexical_rows.append([count, probe["tokenise"], probe["build"], probe["rss_mb"], probe["p50"], probe["p95"]])
    print(f"\nLexical search (ask.bm25.BM25, {len(dev_questions())} dev questions, one scoring pass each):")
    headers = ["passages", "tokenise s (est.)", "build s", "RSS MB", "p50 ms", "p95 ms"]
    print(table(headers, lexical_rows), flush=True)


def print_quote_table(sizes: list[int]) -> None:
    quote_rows = []
    for count in sizes:
        probe = _in_fresh_process(_probe_quotes, count)
        quote_rows.append(
            [count, probe["sentences"], probe["load"], probe["rss_mb"], *probe["score"], *probe["select"]]
        )
    print(f"\nQuote selection (ask's Retriever and QuoteSelector; the first {QUOTE_QUESTIONS} dev questions):")
    headers = ["passages", "sentences", "load s", "RSS MB", "score p50 ms", "score p95 ms", "select p50", "select p95"]
    print(table(headers, quote_rows), flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.scale", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="2k and 60k passages only")
    parser.add_argument(
        "--quotes-up-to", type=int, default=None, help="largest size for quote selection (default: 100k; quick: 2k)"
    )
    parser.add_argument("--only", choices=PARTS, action="append", help="run only this part (may be repeated)")
    args = parser.parse_args(argv)
    parts = args.only or PARTS
    sizes = (2_000, 60_000) if args.quick else (10_000, 100_000, 1_000_000)
    quotes_up_to = args.quotes_up_to or (2_000 if args.quick else 100_000)
    print(f"Machine: {machine()}", flush=True)

    if "vectors" in parts:
        print_vector_table(sizes)
    if "lexical" in parts:
        print_lexical_table(sizes)
    if "quotes" in parts:
        print_quote_table([c for c in sizes if c <= quotes_up_to])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
