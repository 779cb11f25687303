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

- the app, opened in Chromium (already running) the moment its server answers: started as
  ``make run`` does (``serve.py``, which loads the model and the index before it listens), and as
  plain ``streamlit run app.py`` (which loads them when the first visitor arrives, in the
  background). Timed until the question box shows and until the answer to the question typed into
  it then; the target is that answer within 3 s of the page opening after ``make run``. Questions
  are not stored (``MBC_AUDIT=off``).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

from bench.measure import dev_questions, machine, table
from settings import REPO_ROOT
from ui import CHROMIUM, CHROMIUM_ARGS, streamlit_command

APP_TIMEOUT_MS = 120_000

TARGET_SECONDS = 6.0
APP_TARGET_SECONDS = 3.0  # from the page opening after `make run` to the first answer

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


def run_app(question: str, browser, *, launcher: bool) -> dict:
    """The app in a fresh process, opened in ``browser`` as soon as the server answers.

    ``launcher``: ``serve.py`` as ``make run`` starts it (the model loads before it listens), else
    plain ``streamlit run app.py``. Returns seconds: ``listening`` (server start until it answers
    its health check), ``box`` and ``answer`` (from the page opening until the question box shows,
    and until the answer to ``question``, typed as soon as the box showed, has its quotes on the
    page), and ``total`` (server start to that answer).
    """
    import urllib.request

    command, url = streamlit_command(launcher=launcher)
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
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:  # not listening yet
                if server.poll() is not None or time.perf_counter() - spawned > APP_TIMEOUT_MS / 1000:
                    raise SystemExit(f"Error: {' '.join(command[1:3])} did not start") from None
                time.sleep(0.05)
        listening = time.perf_counter()
        page.goto(url, timeout=APP_TIMEOUT_MS)
        box = page.locator('textarea[aria-label="Type your question here"]')
        box.wait_for(timeout=APP_TIMEOUT_MS)
        shown = time.perf_counter()
        box.fill(question)
        box.press("Enter")
        page.locator('[data-testid="stChatMessage"] blockquote').first.wait_for(timeout=APP_TIMEOUT_MS)
        answered = time.perf_counter()
        return {
            "listening": listening - spawned,
            "box": shown - listening,
            "answer": answered - listening,
            "total": answered - spawned,
        }
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
    for name, runs_of_kind in app_rows.items():
        print(f"\nThe app, {name}, in seconds (page opening = the first moment the server answers):")
        headers = ["run", "start to listening", "page opening to box", "page opening to answer", "start to answer"]
        print(table(headers, [[n, r["listening"], r["box"], r["answer"], r["total"]] for n, r in runs_of_kind]))
        median = statistics.median(r["answer"] for _, r in runs_of_kind)
        verdict = "met" if median <= APP_TARGET_SECONDS else "NOT met"
        print(
            f"Median: page opening to first answer {median:.2f} s (target <= {APP_TARGET_SECONDS:.0f} s: {verdict}), "
            f"server start to first answer {statistics.median(r['total'] for _, r in runs_of_kind):.2f} s."
        )
    return 0


def measure_app(question: str, runs: range) -> dict[str, list[tuple[int, dict]]]:
    """The app's runs by kind, or none (with the reason printed) when Debian's Chromium is not installed."""
    if not CHROMIUM.exists():
        print(f"\nThe app: not measured, {CHROMIUM} is missing (make browser).")
        return {}
    from playwright.sync_api import sync_playwright

    kinds = {"`make run` (serve.py)": True, "plain `streamlit run app.py`": False}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            return {
                name: [(run, run_app(question, browser, launcher=launcher)) for run in runs]
                for name, launcher in kinds.items()
            }
        finally:
            browser.close()


if __name__ == "__main__":
    raise SystemExit(main())
