"""The reviewer page in a real browser: `streamlit run app.py` with staff configured, driven through Chromium.

A screenshot goes to tests/artifacts/reviewer.png (git-ignored).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

import index as idx

pytestmark = [pytest.mark.slow, pytest.mark.browser]

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]
ARTIFACTS = idx.REPO_ROOT / "tests" / "artifacts"
HOSTILE = '<img src=x onerror="alert(1)">'
WAIT_MS = 60_000


@pytest.fixture
def chromium() -> Path:
    if not CHROMIUM.exists():
        reason = f"{CHROMIUM} is missing; install Debian's chromium (make browser)"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    return CHROMIUM


@pytest.fixture
def server(staff, use_built_index: idx.Settings, tmp_path: Path) -> Iterator[str]:
    """`streamlit run app.py` on a free port of 127.0.0.1 with staff sign-in configured; always stopped."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    log = tmp_path / "streamlit.log"
    command = [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true"]
    command += ["--server.address", "127.0.0.1", "--server.port", str(port), "--server.fileWatcherType", "none"]
    with open(log, "wb") as output:
        process = subprocess.Popen(command, cwd=idx.REPO_ROOT, env=dict(os.environ), stdout=output, stderr=output)
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                pytest.fail(f"streamlit exited with {process.returncode}:\n{log.read_text(errors='replace')}")
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail(f"streamlit did not start:\n{log.read_text(errors='replace')}")
                time.sleep(0.25)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=15)
        print(log.read_text(encoding="utf-8", errors="replace")[-5000:])


def test_reviewer_signs_in_and_sees_the_quote_marked_in_its_page(
    server, chromium, use_built_index, pages, record_answer, quote_of
):
    from playwright.sync_api import expect, sync_playwright

    served = idx.load(use_built_index.index_dir)
    sentence = next(s for s in served.sentences if s.doc_id == "susan-g-komen" and s.end - s.start > 60)
    quoted = served.texts["susan-g-komen"][sentence.start : sentence.end]
    record_answer(f"what is it? {HOSTILE}", [quote_of(served, "susan-g-komen", sentence.start, sentence.end)])
    stale = quote_of(served, "penn-medicine", 0, 10) | {"text": HOSTILE, "start": 0, "end": len(HOSTILE)}
    record_answer("an older answer", [stale])

    dialogs: list[str] = []
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(chromium), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
            page.goto(f"{server}/Reviewer")
            page.get_by_role("textbox", name="Name").fill("ann")
            page.get_by_role("textbox", name="Password").fill(pages.passwords["ann"])
            page.get_by_role("button", name="Sign in").click()
            expect(page.get_by_text("Stale citations")).to_be_visible(timeout=WAIT_MS)
            expect(page.get_by_text(f"what is it? {HOSTILE}")).to_be_visible()  # shown as text

            page.get_by_text("Citation 1: Susan G. Komen").click()
            mark = page.locator("mark#quote")
            expect(mark).to_be_visible()
            assert mark.inner_text().split() == quoted.split()
            page_box = mark.locator("xpath=..")
            assert len(page_box.inner_text()) > len(served.texts["susan-g-komen"]) // 2  # the whole page is there

            page.get_by_text("Citation 1: Penn Medicine").click()
            expect(page.get_by_text("Stale: the page changed and no longer contains the quoted text.")).to_be_visible()
            expect(page.get_by_text(HOSTILE, exact=True)).to_be_visible()
            assert page.locator("img[src='x']").count() == 0
            page.wait_for_timeout(500)
            page.screenshot(path=str(ARTIFACTS / "reviewer.png"), full_page=True)
        finally:
            browser.close()
    assert dialogs == []  # nothing from the stored text ran as script
