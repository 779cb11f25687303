"""Many people asking at once: 1, 4 and 16 threads asking one loaded bot.

    python -m bench.concurrency           # each thread count answers the dev questions twice over
    python -m bench.concurrency --quick   # 16 questions per thread count

One ``ask.load()`` bot serves every thread, as one Streamlit server process does.
Reports answers per second, per-answer latency p50/p95, and each p95 against the
single asker's (the target is 16 askers at no more than 4x), and the queueing floor:
the slowdown when there are more askers than cores and every answer costs the same CPU
whether asked alone or with others. Only batching (questions asked together share one
model call) can go below it.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor

from bench.measure import dev_questions, machine, percentiles_ms, table
from errors import ChatbotError

THREADS = (1, 4, 16)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.concurrency", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="16 questions per thread count")
    args = parser.parse_args(argv)
    from ask import load

    print(f"Machine: {machine()}", flush=True)
    try:
        bot = load()
    except ChatbotError as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return 1
    questions = dev_questions()
    asks = questions[:16] if args.quick else questions * 2
    for question in questions[:5]:  # warm up: first calls allocate and fill caches
        bot.ask(question)

    def timed(question: str) -> float:
        started = time.perf_counter()
        bot.ask(question)
        return time.perf_counter() - started

    rows, single_p95 = [], None
    cores = os.cpu_count() or 1
    for threads in THREADS:
        started = time.perf_counter()
        with ThreadPoolExecutor(max_workers=threads) as pool:
            seconds = list(pool.map(timed, asks))
        wall = time.perf_counter() - started
        p50, p95 = percentiles_ms(seconds)
        single_p95 = single_p95 or p95
        rows.append([threads, len(asks), len(asks) / wall, p50, p95, p95 / single_p95, max(1.0, threads / cores)])
    print(f"\nOne bot, index version {bot.index_version}, {len(asks)} questions per run:")
    print(table(["threads", "answers", "answers/s", "p50 ms", "p95 ms", "p95 / 1 thread", "queueing floor"], rows))
    print(
        f"\nAn answer is CPU work, so with more askers than the machine's {cores} cores each waits its turn: "
        "the queueing floor (threads / cores) is the slowdown if an answer cost the same CPU alone or with "
        "others. Questions asked together share one model call, which is the only way below it."
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
