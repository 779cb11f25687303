"""Warm answer latency against the floor of one bare query embedding, measured in the same run.

    python -m bench.ask                       # dev questions, 3 rounds
    python -m bench.ask --rounds 5 --file data/dev.jsonl

For each question, in turn: one bare ``embed_one`` of the question (the floor: every answer
that searches embeds its question once) and one full ``bot.ask``. Interleaving the two keeps
them under the same machine load. Targets: answer p50 <= 1.5x and p95 <= 3x the embedding's p50.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from bench.measure import DEV_QUESTIONS, machine, percentiles_ms


class _Precomputed:
    """Hands back the vectors of texts embedded before the timing (each question and the sentences
    triage reads of it); any other text goes to the model."""

    def __init__(self, embedder, vectors: dict) -> None:
        self._embedder = embedder
        self._vectors = vectors

    def embed_one(self, text: str):
        vector = self._vectors.get(text)
        return vector if vector is not None else self._embedder.embed_one(text)

    def embed(self, texts: list[str]):
        import numpy as np

        return np.stack([self.embed_one(text) for text in texts])


def _questions(path: Path) -> list[str]:
    return [json.loads(line)["question"] for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.ask", description=__doc__.split("\n\n")[0])
    parser.add_argument("--file", type=Path, default=DEV_QUESTIONS, help="questions (JSONL with a question field)")
    parser.add_argument("--rounds", type=int, default=3, help="passes over the questions")
    args = parser.parse_args(argv)

    from ask import Bot, load
    from errors import ChatbotError

    try:
        bot = load()
    except ChatbotError as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return 1
    questions = _questions(args.file)
    for question in questions[:5]:  # warm up the model, the tokenizer and the caches
        bot.embedder.embed_one(question)
        bot.ask(question)

    embed_times: list[float] = []
    answer_times: dict[str, list[float]] = {"answered": [], "refused": [], "urgent": []}
    for _ in range(args.rounds):
        for question in questions:
            started = time.perf_counter()
            bot.embedder.embed_one(question)
            embed_times.append(time.perf_counter() - started)
            started = time.perf_counter()
            answer = bot.ask(question)
            answer_times[answer.status].append(time.perf_counter() - started)

    # The pipeline alone: the same answers with each question's vector computed beforehand, so a busy
    # machine's slow embeddings do not hide what the rest of the answer costs.
    vectors = {text: bot.embedder.embed_one(text) for q in questions for text in bot.triage.readings(q)}
    pipeline_bot = Bot(bot.index, _Precomputed(bot.embedder, vectors))
    pipeline_times: list[float] = []
    for _ in range(args.rounds):
        for question in questions:
            started = time.perf_counter()
            pipeline_bot.ask(question)
            pipeline_times.append(time.perf_counter() - started)

    floor_p50, _ = percentiles_ms(embed_times)
    every = [t for times in answer_times.values() for t in times]
    rows = [("bare embed_one (floor)", embed_times), ("answer, all questions", every)]
    rows += [(f"answer, {status}", times) for status, times in answer_times.items() if times]
    rows.append(("answer minus embedding", pipeline_times))
    print(f"Machine: {machine()}")
    print(f"Index {bot.index_version}; {len(questions)} questions x {args.rounds} rounds\n")
    print(f"{'':26}{'n':>6}{'p50 ms':>10}{'p95 ms':>10}{'p50/floor':>11}{'p95/floor':>11}")
    for name, times in rows:
        p50, p95 = percentiles_ms(times)
        print(f"{name:26}{len(times):>6}{p50:>10.1f}{p95:>10.1f}{p50 / floor_p50:>11.2f}{p95 / floor_p50:>11.2f}")
    p50, p95 = percentiles_ms(every)
    print(
        f"\nTargets: answer p50 <= 1.5x floor p50 ({p50 / floor_p50:.2f}x: {'met' if p50 <= 1.5 * floor_p50 else 'NOT met'}), "
        f"p95 <= 3x floor p50 ({p95 / floor_p50:.2f}x: {'met' if p95 <= 3 * floor_p50 else 'NOT met'})."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
