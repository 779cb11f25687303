"""Cold start: from starting a Python process to its first answer.

    python -m bench.cold_start           # five fresh processes
    python -m bench.cold_start --quick   # one

Each run starts a new interpreter that imports ``ask``, loads the model, then the
served index (``ask.load()``), and answers one dev question. The parent times the
whole span, interpreter start-up included; the child reports where the time went.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time

from bench.measure import dev_questions, machine, table
from index import REPO_ROOT

CHILD = """
import json, time
started = time.perf_counter()
import ask
import index
imported = time.perf_counter()
index.load_embedder()
model = time.perf_counter()
bot = ask.load()  # the index and the answering tables; the model is already loaded
loaded = time.perf_counter()
answer = bot.ask({question!r})
answered = time.perf_counter()
print(json.dumps({{"import": imported - started, "model": model - imported, "load": loaded - model,
                  "ask": answered - loaded, "status": answer.status}}))
"""


def run_once(question: str) -> dict:
    """Start one fresh process, wait for its first answer; returns the phases in seconds."""
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", CHILD.format(question=question)],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    total = time.perf_counter() - started
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise SystemExit(f"Error: the child process failed: {last}")
    phases = json.loads(done.stdout.strip().splitlines()[-1])
    return {"total": total, **phases}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.cold_start", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="one run")
    args = parser.parse_args(argv)
    print(f"Machine: {machine()}", flush=True)
    question = dev_questions()[0]
    runs = [run_once(question) for _ in range(1 if args.quick else 5)]
    rows = [
        [
            i,
            r["total"],
            r["total"] - r["import"] - r["model"] - r["load"] - r["ask"],
            r["import"],
            r["model"],
            r["load"],
            r["ask"],
            r["status"],
        ]
        for i, r in enumerate(runs, start=1)
    ]
    print(f"\nProcess start to first answer ({question[:50]}...):")
    headers = ["run", "total s", "interpreter s", "import s", "model s", "ask.load() s", "first ask s", "status"]
    print(table(headers, rows))
    print(f"\nMedian: {statistics.median(r['total'] for r in runs):.2f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
