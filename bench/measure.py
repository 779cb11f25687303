"""Small measuring helpers shared by the benchmarks: memory, percentiles, the machine, a table."""

from __future__ import annotations

import os
import platform
import resource
from pathlib import Path

import numpy as np

from settings import Settings

DEV_QUESTIONS = Settings().eval_file  # the shared dev set beside the clone, as for "Run evaluation"


def rss_mb() -> float:
    """This process's resident memory now, in MB (from /proc)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def peak_rss_mb() -> float:
    """This process's peak resident memory so far, in MB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def percentiles_ms(seconds: list[float]) -> tuple[float, float]:
    """p50 and p95 of durations given in seconds, in milliseconds."""
    values = np.asarray(seconds) * 1000
    return float(np.percentile(values, 50)), float(np.percentile(values, 95))


def machine() -> str:
    """One line naming the CPU, cores, memory and the current load, for the README next to the figures.

    The load average is there because other work on the machine slows every figure down.
    """
    cpu = platform.processor() or "unknown CPU"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    memory_kb = next(
        int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines() if line.startswith("MemTotal:")
    )
    load = os.getloadavg()[0]
    return (
        f"{cpu}, {os.cpu_count()} cores, {memory_kb / 1024**2:.0f} GB RAM, Python {platform.python_version()}; "
        f"load average {load:.1f}"
    )


def dev_questions(path: Path = DEV_QUESTIONS) -> list[str]:
    """The dev questions' texts (the shared evaluation file), in file order."""
    import json

    return [json.loads(line)["question"] for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def table(headers: list[str], rows: list[list]) -> str:
    """A plain text table, numbers right-aligned."""

    def cell(value) -> str:
        if isinstance(value, float):
            return f"{value:,.3f}" if abs(value) < 10 else f"{value:,.1f}"
        if isinstance(value, int):
            return f"{value:,}"
        return str(value)

    cells = [[cell(v) for v in row] for row in rows]
    widths = [max(len(h), *(len(r[i]) for r in cells)) for i, h in enumerate(headers)]
    numeric = [all(isinstance(row[i], int | float) for row in rows) for i in range(len(headers))]

    def line(values: list[str]) -> str:
        return "  ".join(v.rjust(w) if n else v.ljust(w) for v, w, n in zip(values, widths, numeric, strict=True))

    return "\n".join([line(headers), line(["-" * w for w in widths]), *(line(r) for r in cells)])
