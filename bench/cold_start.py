"""Cold start: from starting a Python process to its first answer.

    python -m bench.cold_start           # five fresh processes of each kind
    python -m bench.cold_start --quick   # one

Two kinds of fresh process, both timed by this parent from the moment it starts them to
the moment the first answer exists (the process's exit afterwards is not counted):

- the CLI, ``python -m ask --jsonl`` given one question: until its answer line appears on stdout
  (``--jsonl`` flushes each answer, where a plain answer sent to a pipe waits for the exit).
- an instrumented child that does what the CLI and the app do, ``import ask``, ``ask.load()``
  (importing torch and sentence-transformers, loading the model, reading the index),
  ``bot.ask(question)``, and reports each phase's seconds and the CPU seconds it used
  (which vary less than wall seconds with other work on the machine).

The app's cold start is the same ``ask.load()``: the Streamlit server process runs it once,
for the first visitor (behind "Opening the information pages..."), and every later visitor
and question reuses the loaded bot. So a server's first answer costs the import and
``ask.load()`` figures below plus one answer; its later answers cost the answer alone.
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

TARGET_SECONDS = 6.0

CHILD = """
import json, resource, time
started = time.time()
import ask
imported = time.time()
bot = ask.load()
loaded = time.time()
answer = bot.ask({question!r})
answered = time.time()
usage = resource.getrusage(resource.RUSAGE_SELF)
print(json.dumps({{"started": started, "import": imported - started, "load": loaded - imported,
                  "ask": answered - loaded, "answered": answered, "cpu": usage.ru_utime + usage.ru_stime,
                  "status": answer.status}}), flush=True)
"""


def run_child(question: str) -> dict:
    """One instrumented fresh process; returns its phases in seconds."""
    spawned = time.time()
    done = subprocess.run(
        [sys.executable, "-c", CHILD.format(question=question)],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise SystemExit(f"Error: the child process failed: {last}")
    phases = json.loads(done.stdout.strip().splitlines()[-1])
    return {"total": phases["answered"] - spawned, "interpreter": phases["started"] - spawned, **phases}


def run_cli(question: str) -> float:
    """``python -m ask --jsonl`` in a fresh process, given one question; seconds until its answer line."""
    spawned = time.perf_counter()
    with subprocess.Popen(
        [sys.executable, "-m", "ask", "--jsonl"],
        cwd=REPO_ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    ) as process:
        process.stdin.write(question + "\n")
        process.stdin.close()
        line = process.stdout.readline()  # printed and flushed as soon as the answer exists
        seconds = time.perf_counter() - spawned
        process.wait()
        if process.returncode != 0 or not line:
            raise SystemExit(f"Error: python -m ask failed: {process.stderr.read().strip()}")
    json.loads(line)  # a whole answer, not a partial line
    return seconds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.cold_start", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="one run of each kind")
    args = parser.parse_args(argv)
    print(f"Machine: {machine()}", flush=True)
    question = dev_questions()[0]
    rows, cli_seconds = [], []
    for run in range(1, 2 if args.quick else 6):
        r = run_child(question)
        seconds = run_cli(question)
        cli_seconds.append(seconds)
        rows.append(
            [run, seconds, r["total"], r["cpu"], r["interpreter"], r["import"], r["load"], r["ask"], r["status"]]
        )
    print(f"\nProcess start to first answer ({question[:50]}...), in seconds:")
    headers = ["run", "CLI", "child", "child CPU", "interpreter", "import ask", "ask.load()", "first ask", "status"]
    print(table(headers, rows))
    median = statistics.median(cli_seconds)
    cpu = statistics.median(r[3] for r in rows)
    print(
        f"\nMedian: CLI {median:.2f} s, child {statistics.median(r[2] for r in rows):.2f} s "
        f"(CPU {cpu:.2f} s). Target: <= {TARGET_SECONDS:.0f} s "
        f"({'met' if median <= TARGET_SECONDS else 'NOT met'} by the CLI on this machine now)."
    )
    print(
        "CLI: `python -m ask --jsonl` started to its answer printed. Child: the same work, timed by phase "
        "(`ask.load()` includes importing torch and sentence-transformers and loading the model). "
        "App: the server's first visitor waits for import + ask.load(); later answers reuse the loaded bot."
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
