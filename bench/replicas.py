"""Replicas under load: chat sessions in Chromium against one app replica, then two sharing PostgreSQL and
one index folder, with a re-index in the middle; every answer's audit row is checked to be there exactly once.

    python -m bench.replicas                       # 4 sessions x 4 questions per phase (docs/performance.md)
    python -m bench.replicas --sessions 2 --questions 2

Everything runs on 127.0.0.1 and is bounded: at most 8 sessions of at most 8 questions per phase (and one
more per session after the re-index), each answer waited for at most ``ANSWER_S``. It needs the served index (``make index``), Debian's Chromium
(``make browser``) and PostgreSQL's server (``make postgres``). The served index and ``corpus/`` are
copied to a temp folder first, so the re-index (a changed page, ``python -m ingest`` as the one
build job) never touches them. Each session is a real browser page holding a real Streamlit
websocket session; an answer's time runs from pressing Enter to the answer being on the page.
The servers (the PostgreSQL cluster, the ``serve.py`` replicas) are the throwaway ones of ``servers``.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from bench.measure import dev_questions, machine, percentiles_ms, table
from servers import AppServer, Cluster
from settings import REPO_ROOT
from ui import CHROMIUM, CHROMIUM_ARGS

ANSWER_S = 120
MAX_SESSIONS, MAX_QUESTIONS = 8, 8
INPUT_LABEL = "Type your question here"
WARM_UP = "what is metastatic breast cancer?"  # each replica's first, uncounted answer
# Appended to a page by the re-index in the middle: new text, so the build makes a new version.
ADDED_PARAGRAPH = "\n\nThis paragraph was added by the replica benchmark to make a new index version.\n"


async def ask_in_page(page, question: str, number: int) -> float:
    """Type ``question`` as the ``number``-th (0-based) of this page's conversation; seconds until it is answered."""
    box = page.get_by_role("textbox", name=INPUT_LABEL)
    await box.fill(question)
    started = time.perf_counter()
    await box.press("Enter")
    answer = page.locator('[data-testid="stChatMessage"]').nth(2 * number + 1)
    await answer.locator(".mbc-urgent, .mbc-refused, .mbc-feedback, figure.mbc-quote").first.wait_for(
        timeout=ANSWER_S * 1000
    )
    return time.perf_counter() - started


@dataclass
class Asked:
    question: str
    replica: str
    submitted: float  # time.time() when Enter was pressed
    seconds: float | None  # None: no answer came (an error)
    final: bool = False  # the session's last question, asked once the re-index was done


async def run_sessions(browser, plan: list[tuple[str, list[str]]], *, halfway=None, then=None) -> tuple[list, float]:
    """One page per ``(replica url, questions)`` pair, all at once; returns every ask and the wall time.

    ``halfway()`` is called when a session has asked half its questions; with ``then``, a pair of an
    ``asyncio.Event`` and one question per session, each session waits for the event after its
    questions and then asks its last one.
    """

    async def session(number: int, url: str, questions: list[str]) -> list[Asked]:
        context = await browser.new_context(viewport={"width": 1000, "height": 800})
        page = await context.new_page()
        done: list[Asked] = []
        last = [] if then is None else [then[1][number]]
        try:
            await page.goto(url)
            await page.get_by_role("textbox", name=INPUT_LABEL).wait_for(timeout=ANSWER_S * 1000)
            for turn, question in enumerate([*questions, *last]):
                if turn == len(questions) // 2 and halfway is not None:
                    halfway()
                if turn == len(questions) and then is not None:
                    await then[0].wait()
                submitted = time.time()
                try:
                    seconds = await ask_in_page(page, question, turn)
                except Exception:  # a timeout or a closed page: counted as an error, the session stops
                    done.append(Asked(question, url, submitted, None))
                    break
                done.append(Asked(question, url, submitted, seconds, final=turn >= len(questions)))
                await page.wait_for_timeout(300)  # the rerun after an answer settles, as a reader would wait
        finally:
            await context.close()
        return done

    started = time.perf_counter()
    results = await asyncio.gather(*(session(n, url, questions) for n, (url, questions) in enumerate(plan)))
    return [asked for found in results for asked in found], time.perf_counter() - started


def audit_rows(url: str) -> list[tuple[str, str]]:
    """Every stored answer's ``(question, index_version)``."""
    from audit import AuditLog

    log = AuditLog(url)
    return [(a.question, a.index_version) for a in log.answers(limit=100_000)]


def row(phase: str, replicas: int, asked: list[Asked]) -> list:
    """A table row; answers/s over the time from the first question asked to the last answer."""
    answered = [a.seconds for a in asked if a.seconds is not None]
    p50, p95 = percentiles_ms(answered) if answered else (0.0, 0.0)
    ends = [a.submitted + a.seconds for a in asked if a.seconds is not None]
    wall = (max(ends) - min(a.submitted for a in asked)) if ends else 0.0
    rate = len(answered) / wall if wall else 0.0
    return [phase, replicas, len(asked), len(answered), rate, p50, p95, len(asked) - len(answered)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.replicas", description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", type=int, default=4, help=f"chat sessions per phase (at most {MAX_SESSIONS})")
    parser.add_argument("--questions", type=int, default=4, help=f"questions per session (at most {MAX_QUESTIONS})")
    args = parser.parse_args(argv)
    sessions, per_session = min(max(1, args.sessions), MAX_SESSIONS), min(max(1, args.questions), MAX_QUESTIONS)
    from index import current_version
    from settings import settings_from_env

    settings = settings_from_env()
    if current_version(settings.index_dir) is None:
        print(f"Error: no index at {settings.index_dir}; build it with: make index", file=sys.stderr)
        return 1
    if not CHROMIUM.exists():
        print(f"Error: {CHROMIUM} is missing; install it with: make browser", file=sys.stderr)
        return 1
    pool = [q for q in dict.fromkeys(dev_questions()) if q != WARM_UP]
    needed = 2 * sessions * per_session + sessions  # and one per session after the re-index
    # Each question is asked once in the whole run, so its audit row can be told apart.
    questions = [pool[i % len(pool)] + ("" if i < len(pool) else f" ({i // len(pool)})") for i in range(needed)]
    print(f"Machine: {machine()}", flush=True)
    with tempfile.TemporaryDirectory(prefix="mbc-replicas-") as workdir, Cluster() as cluster:
        work = Path(workdir)
        shutil.copytree(settings.index_dir, work / "index", symlinks=True)
        shutil.copytree(settings.corpus_dir, work / "corpus")
        database = cluster.create_database("bench")
        env = {k: v for k, v in os.environ.items() if not k.startswith("MBC_")}
        env |= {
            "MBC_INDEX_DIR": str(work / "index"),
            "MBC_CORPUS_DIR": str(work / "corpus"),
            "MBC_AUDIT_DB": database,
            "MBC_MODEL_DIR": str(settings.model_dir),
        }
        replicas = [AppServer(env, work / f"replica-{n}.log").start() for n in range(2)]
        try:
            for replica in replicas:
                replica.wait()
            before = current_version(work / "index")
            rows, asked, reindex = asyncio.run(_phases(replicas, questions, sessions, per_session, env, work))
        finally:
            for replica in replicas:
                replica.stop()
        stored = audit_rows(database)
    print(table(["phase", "replicas", "asked", "answered", "answers/s", "p50 ms", "p95 ms", "errors"], rows))
    built_at, after, took = reindex
    counts: dict[str, int] = {}
    for question, _version in stored:
        counts[question] = counts.get(question, 0) + 1
    answered = [a for a in asked if a.seconds is not None]
    missing = [a.question for a in answered if counts.get(a.question, 0) == 0]
    doubled = [q for q, n in counts.items() if n > (len(replicas) if q == WARM_UP else 1)]
    unknown = [q for q in counts if q not in {a.question for a in asked} | {WARM_UP}]
    versions = dict(stored)
    late = [a for a in answered if a.submitted > built_at]
    stale = [a.question for a in late if versions.get(a.question) != after]
    print(
        f"\nRe-index in the middle: {before} -> {after}, built in {took:.1f} s by one `python -m ingest` while "
        f"both replicas answered; {len(late)} answers asked after it, {len(late) - len(stale)} of them from {after}."
    )
    print(
        f"Audit rows in PostgreSQL: {len(stored)} for {len(answered)} answers; missing {len(missing)}, "
        f"stored twice {len(doubled)}, unexpected {len(unknown)}."
    )
    failed = missing or doubled or unknown or stale or any(a.seconds is None for a in asked)
    return 1 if failed else 0


async def _phases(replicas: list[AppServer], questions: list[str], sessions: int, per_session: int, env, work: Path):
    """The one-replica phase, then the two-replica phase: a re-index starts once every session has asked half
    its questions, and when it is done each session asks one more."""
    from playwright.async_api import async_playwright

    from index import current_version

    def chunks(offset: int) -> list[list[str]]:
        return [questions[offset + s * per_session : offset + (s + 1) * per_session] for s in range(sessions)]

    page = sorted((work / "corpus").glob("*.txt"))[0]

    def rebuild() -> tuple[float, str, float]:
        with open(page, "a", encoding="utf-8") as handle:
            handle.write(ADDED_PARAGRAPH)
        started = time.perf_counter()
        subprocess.run([sys.executable, "-m", "ingest"], cwd=REPO_ROOT, env=env, check=True, capture_output=True)
        return time.time(), current_version(work / "index"), time.perf_counter() - started

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            # Warm-up (not counted): each replica's first answer pays for loading its caches.
            await run_sessions(browser, [(r.url, [WARM_UP]) for r in replicas])
            one, _wall = await run_sessions(browser, [(replicas[0].url, c) for c in chunks(0)])
            plan = [(replicas[s % 2].url, c) for s, c in enumerate(chunks(sessions * per_session))]
            finals = questions[2 * sessions * per_session :]
            halfway_count, start_build, built = [0], asyncio.Event(), asyncio.Event()

            def halfway() -> None:
                halfway_count[0] += 1
                if halfway_count[0] == sessions:
                    start_build.set()

            async def reindex():
                await start_build.wait()
                try:
                    return await asyncio.to_thread(rebuild)
                finally:
                    built.set()

            (two, _wall), reindex_result = await asyncio.gather(
                run_sessions(browser, plan, halfway=halfway, then=(built, finals)), reindex()
            )
        finally:
            await browser.close()
    during = [a for a in two if not a.final]
    rows = [
        row("one replica", 1, one),
        row("two replicas, re-index under way", 2, during),
        row("two replicas, after the re-index", 2, [a for a in two if a.final]),
    ]
    return rows, one + two, reindex_result


if __name__ == "__main__":
    raise SystemExit(main())
