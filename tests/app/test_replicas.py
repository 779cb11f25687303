"""Two app replicas (real ``serve.py`` servers) on one index folder and one real PostgreSQL, as deployed behind
nginx: a question on each, a re-index by a separate build job, both answering from the new version, the audit
rows of both, and a staff sign-in and lockout that hold on the other replica."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from audit import AuditLog
from index import current_version
from servers import AppServer, Proxy
from settings import REPO_ROOT
from tests.app.test_browser import type_question

pytestmark = [pytest.mark.slow, pytest.mark.browser, pytest.mark.postgres]

SPREAD = "where does breast cancer spread?"
BONES = "what are the symptoms of bone metastases?"
ADDED = "\n\nThe replica test added this paragraph so that a re-index makes a new version of the index.\n"


@pytest.fixture(scope="module")
def staff() -> str:
    """Staff sign-ins for both replicas: ann reviews, kim reviews and maintains."""
    from staff import make_entry
    from tests.pages.conftest import PASSWORDS

    return ", ".join([make_entry("ann", "reviewer", PASSWORDS["ann"]), make_entry("kim", "reviewer", PASSWORDS["kim"])])


@pytest.fixture
def deployment(built_index_dir: Path, corpus_copy: Path, postgres_url: str, staff: str, tmp_path: Path):
    """Two replicas sharing a copy of the built index, the corpus copy and one PostgreSQL database."""
    index_dir = tmp_path / "shared-index"
    shutil.copytree(built_index_dir, index_dir, symlinks=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("MBC_")}
    env |= {
        "MBC_INDEX_DIR": str(index_dir),
        "MBC_CORPUS_DIR": str(corpus_copy),
        "MBC_AUDIT_DB": postgres_url,
        "MBC_STAFF_USERS": staff,
    }
    replicas = [AppServer(env, tmp_path / f"replica-{n}.log").start() for n in range(2)]
    try:
        for replica in replicas:
            replica.wait()
        yield replicas, env, index_dir
    finally:
        for replica in replicas:
            replica.stop()
        for replica in replicas:
            print(replica.log.read_text(errors="replace")[-3000:])  # shown only when the test fails


def test_two_replicas_share_the_index_and_the_audit_trail_through_a_re_index(deployment, browser, postgres_url):
    replicas, env, index_dir = deployment
    first = current_version(index_dir)
    pages = [browser.new_page(viewport={"width": 1000, "height": 900}) for _ in replicas]
    for page, replica in zip(pages, replicas, strict=True):
        page.goto(replica.url)
    type_question(pages[0], SPREAD, 0)
    type_question(pages[1], BONES, 0)

    # The build job: a page changes, `python -m ingest` writes a new version beside the served one.
    page_file = sorted(Path(env["MBC_CORPUS_DIR"]).glob("*.txt"))[0]
    page_file.write_text(page_file.read_text(encoding="utf-8") + ADDED, encoding="utf-8")
    built = subprocess.run(
        [sys.executable, "-m", "ingest"], cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=300
    )
    assert built.returncode == 0, built.stderr
    second = current_version(index_dir)
    assert second != first

    type_question(pages[0], BONES, 1)
    type_question(pages[1], SPREAD, 1)
    stored = AuditLog(postgres_url).answers(limit=100)
    # Newest first: each replica's answer after the re-index came from the new version, before it from the old.
    assert sorted((a.question, a.index_version, a.history_len) for a in stored) == sorted(
        [(SPREAD, first, 0), (BONES, first, 0), (BONES, second, 2), (SPREAD, second, 2)]
    )


def test_nginx_with_the_sample_config_serves_a_conversation_and_a_sign_in_holds_on_every_replica(
    deployment, browser, postgres_url, tmp_path
):
    from playwright.sync_api import expect

    from tests.pages.conftest import PASSWORDS, staff_cookie

    if shutil.which("nginx") is None and not Path("/usr/sbin/nginx").exists():
        reason = "nginx is not installed; `make nginx` installs Debian's (make test-postgres does)"
        if os.environ.get("MBC_TEST_POSTGRES") == "required" or os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    replicas, _env, _index_dir = deployment
    proxy = Proxy([f"127.0.0.1:{r.port}" for r in replicas], tmp_path / "nginx").start()
    try:
        page = browser.new_page(viewport={"width": 1000, "height": 900})
        page.goto(proxy.url)
        answer = type_question(page, SPREAD, 0)  # over the proxied websocket
        # The feedback row comes with the rerun after the quotes, a moment later on a busy machine.
        expect(answer.get_by_text("Was this helpful?")).to_be_visible(timeout=60_000)
        [stored] = AuditLog(postgres_url).answers()
        assert stored.question == SPREAD

        # Signed in through the proxy (one replica), the cookie opens the reviewer page on each replica itself.
        page.goto(f"{proxy.url}/Reviewer")
        page.get_by_role("textbox", name="Name").fill("ann")
        page.get_by_role("textbox", name="Password").fill(PASSWORDS["ann"])
        page.get_by_role("button", name="Sign in").click()
        expect(page.get_by_text(SPREAD).first).to_be_visible(timeout=60_000)  # the stored answers, listed
        staff_cookie(page)  # swapped for the one-time ticket just after the signed-in view shows
        for replica in replicas:
            page.goto(f"{replica.url}/Reviewer")
            expect(page.get_by_text(SPREAD).first).to_be_visible(timeout=60_000)
            expect(page.get_by_role("textbox", name="Password")).to_have_count(0)
    finally:
        proxy.stop()

    # Five wrong passwords on one replica lock the name out on the other, even with the right password.
    other = browser.new_page(viewport={"width": 1000, "height": 900})
    for attempt in range(6):
        other.goto(f"{replicas[attempt // 3].url}/Reviewer")
        other.get_by_role("textbox", name="Name").fill("kim")
        password = PASSWORDS["kim"] if attempt == 5 else "not kim's password at all"
        other.get_by_role("textbox", name="Password").fill(password)
        other.get_by_role("button", name="Sign in").click()
        expected = "Too many wrong sign-ins" if attempt == 5 else "That name and password do not open"
        expect(other.get_by_text(expected)).to_be_visible(timeout=60_000)
