"""Cold start: from starting a Python process to its first answer.

    python -m bench.cold_start           # five fresh processes of each kind
    python -m bench.cold_start --quick   # one

Three kinds of fresh process, each timed by this parent from the moment it starts it to
the moment the first answer exists (the process's exit afterwards is not counted):

- the CLI, ``python -m ask --jsonl`` given one question: until its answer line appears on stdout
  (``--jsonl`` flushes each answer, where a plain answer sent to a pipe waits for the exit).
- an instrumented child that does what the CLI and the app do, ``import ask``, ``ask.load()``
  (importing torch and sentence-transformers, loading the model, reading the index),
  ``bot.ask(question)``, and reports each phase's seconds and the CPU seconds it used
  (which vary less than wall seconds with other work on the machine).

- the app, ``streamlit run app.py`` opened in Chromium (already running) as soon as the server
  listens: until the question box shows, and until the answer to the question typed into it then.
  The page shows at once and loads the model in the background, so a visitor can read and type
  meanwhile; a question asked before the model is ready waits for the rest. Every later visitor
  and question reuses the loaded model. Questions are not stored (``MBC_AUDIT=off``).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

from bench.measure import CHROMIUM, CHROMIUM_ARGS, dev_questions, machine, streamlit_command, table
from index import REPO_ROOT

APP_TIMEOUT_MS = 120_000

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


def run_app(question: str, browser) -> tuple[float, float]:
    """``streamlit run app.py`` in a fresh process, opened in ``browser`` as soon as it listens.

    Returns the seconds from starting the server until the question box shows, and until the
    answer to ``question``, typed into the box as soon as it showed, has its quotes on the page.
    """
    from playwright.sync_api import Error as PlaywrightError

    command, url = streamlit_command()
    page = browser.new_page()
    spawned = time.perf_counter()
    server = subprocess.Popen(
        command,
        cwd=REPO_ROOT,
        env={**os.environ, "MBC_AUDIT": "off"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        while True:
            try:
                page.goto(url, timeout=APP_TIMEOUT_MS)
                break
            except PlaywrightError:  # not listening yet
                if server.poll() is not None or time.perf_counter() - spawned > APP_TIMEOUT_MS / 1000:
                    raise SystemExit("Error: streamlit run app.py did not start") from None
                time.sleep(0.05)
        box = page.locator('textarea[aria-label="Type your question here"]')
        box.wait_for(timeout=APP_TIMEOUT_MS)
        ready = time.perf_counter() - spawned
        box.fill(question)
        box.press("Enter")
        page.locator('[data-testid="stChatMessage"] blockquote').first.wait_for(timeout=APP_TIMEOUT_MS)
        return ready, time.perf_counter() - spawned
    finally:
        page.close()
        server.terminate()
        server.wait(timeout=30)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.cold_start", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="one run of each kind")
    args = parser.parse_args(argv)
    print(f"Machine: {machine()}", flush=True)
    question = dev_questions()[0]
    runs = range(1, 2 if args.quick else 6)
    rows, cli_seconds = [], []
    for run in runs:
        r = run_child(question)
        seconds = run_cli(question)
        cli_seconds.append(seconds)
        rows.append(
            [run, seconds, r["total"], r["cpu"], r["interpreter"], r["import"], r["load"], r["ask"], r["status"]]
        )
    print(f"\nProcess start to first answer ({question[:50]}...), in seconds:")
    headers = ["run", "CLI", "child", "child CPU", "interpreter", "import ask", "ask.load()", "first ask", "status"]
    print(table(headers, rows))
    app_rows = measure_app(question, runs)
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
    )
    if app_rows:
        print("\nThe app, `streamlit run app.py` started to (seconds):")
        print(table(["run", "question box shows", "first answer"], app_rows))
        print(
            f"Median: question box {statistics.median(r[1] for r in app_rows):.2f} s, first answer "
            f"{statistics.median(r[2] for r in app_rows):.2f} s, for a question typed the moment the box showed."
        )
    return 0


def measure_app(question: str, runs: range) -> list[list]:
    """The app's runs, or none (with the reason printed) when Debian's Chromium is not installed."""
    if not CHROMIUM.exists():
        print(f"\nThe app: not measured, {CHROMIUM} is missing (make browser).")
        return []
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            return [[run, *run_app(question, browser)] for run in runs]
        finally:
            browser.close()


if __name__ == "__main__":
    raise SystemExit(main())
