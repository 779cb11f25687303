"""Benchmarks: scripts that print their figures as a plain table.

    python -m bench.ingest        full build and one-page re-index of the real corpus
    python -m bench.scale         synthetic 10k / 100k / 1M passages: build, size, memory, latency, recall
    python -m bench.concurrency   1, 4 and 16 threads asking one loaded bot at once
    python -m bench.cold_start    process start to first answer
    python -m bench.ask           warm answer latency over the dev questions

Each takes ``--quick`` for a smoke run.
"""

__all__: list[str] = []
