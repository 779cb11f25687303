"""The staff pages in a real browser: the app as `make run` serves it, staff configured, driven through Chromium.

A screenshot goes to tests/artifacts/reviewer.png (git-ignored).
"""

from __future__ import annotations

import re

import pytest

import index as idx
from settings import REPO_ROOT, Settings, settings_from_env
from tests.pages.conftest import staff_cookie

pytestmark = [pytest.mark.slow, pytest.mark.browser]

ARTIFACTS = REPO_ROOT / "tests" / "artifacts"
HOSTILE = '<img src=x onerror="alert(1)">'
WAIT_MS = 60_000


@pytest.fixture
def server(staff, use_built_index: Settings, streamlit_server: str) -> str:
    """The app with staff sign-in configured, serving the session's index."""
    return streamlit_server


def test_reviewer_signs_in_and_sees_the_quote_marked_in_its_page(
    server, browser, use_built_index, pages, record_answer, quote_of
):
    from playwright.sync_api import expect

    served = idx.load(use_built_index.index_dir)
    # A sentence far down its page, so the page box has to scroll to show it.
    sentence = [s for s in served.sentences if s.doc_id == "susan-g-komen" and s.end - s.start > 60][-3]
    assert sentence.start > len(served.texts["susan-g-komen"]) // 2
    quoted = served.texts["susan-g-komen"][sentence.start : sentence.end]
    record_answer(f"what is it? {HOSTILE}", [quote_of(served, "susan-g-komen", sentence.start, sentence.end)])
    stale = quote_of(served, "penn-medicine", 0, 10) | {"text": HOSTILE, "start": 0, "end": len(HOSTILE)}
    record_answer("an older answer", [stale])

    dialogs: list[str] = []
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
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
    # The box opens scrolled to the quote: the highlight is inside the box's visible part.
    page.wait_for_function(
        "() => { const b = document.querySelector('mark#quote').parentElement; return b.scrollTop > 500; }",
        timeout=WAIT_MS,
    )
    box, spot = page_box.bounding_box(), mark.bounding_box()
    assert box["y"] <= spot["y"] and spot["y"] + min(spot["height"], 40) <= box["y"] + box["height"]
    # The list shows the question and each quote's first words with its publisher, a readable date, no emoji.
    first_words = " ".join(quoted.split()[:6])
    expect(page.get_by_text(f"1. “{first_words}", exact=False).first).to_be_visible()
    listing = page.locator('[data-testid="stMain"]').inner_text()
    assert re.search(r"#\d+ · \d{1,2} [A-Z][a-z]{2} \d{4}, \d{2}:\d{2} · answered", listing), listing[:500]
    assert "✅" not in listing and "⚠" not in listing and "Why this status: answered" not in listing

    page.get_by_text("Citation 1: Penn Medicine").click()
    expect(page.get_by_text("Stale: the page changed and no longer contains the quoted text.")).to_be_visible()
    expect(page.get_by_text(HOSTILE, exact=True)).to_be_visible()
    assert page.locator("img[src='x']").count() == 0
    page.wait_for_timeout(500)
    page.screenshot(path=str(ARTIFACTS / "reviewer.png"), full_page=True)
    assert dialogs == []  # nothing from the stored text ran as script


@pytest.fixture
def page_server():
    """The pages' own web server on 127.0.0.1 (see tests/ingest/conftest.py)."""
    from tests.ingest.conftest import serve

    yield from serve()


@pytest.fixture
def refreshed(staff, own_index, corpus_copy, page_server):
    """A corpus whose Penn Medicine page has a new paragraph at its address, refreshed into a staged candidate."""
    import json

    from ingest import Fetcher, build, refresh

    settings = settings_from_env()
    text = (corpus_copy / "penn-medicine.txt").read_text(encoding="utf-8")
    page_server.plain["/penn"] = text.replace(
        "\n\n", "\n\nA new paragraph from the publisher: ask your care team about clinical trials near you.\n\n", 1
    )
    sources = json.loads((corpus_copy / "sources.json").read_text(encoding="utf-8"))
    for entry in sources:  # only the local page has an address: nothing leaves this machine
        is_penn = entry["file"] == "penn-medicine.txt"
        entry.update(url=page_server.url("/penn") if is_penn else None, allow_http=is_penn)
    (corpus_copy / "sources.json").write_text(json.dumps(sources), encoding="utf-8")
    build(settings)  # the copy's paths and the new address are details of the pages
    report = refresh(settings, fetcher=Fetcher(deadline_s=5, allow_loopback_for_tests=True))
    assert report.staged is not None, report.summary()
    return settings, report.staged


def test_maintainer_reviews_the_staged_refresh_and_publishes_it(refreshed, streamlit_server, browser, pages):
    from playwright.sync_api import expect

    settings, candidate = refreshed
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page = browser.new_page(viewport={"width": 1280, "height": 1400})
    page.goto(f"{streamlit_server}/Maintainer")
    page.get_by_role("textbox", name="Name").fill("max")
    page.get_by_role("textbox", name="Password").fill(pages.passwords["max"])
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_text("Staged refresh: review, then publish or discard")).to_be_visible(timeout=WAIT_MS)
    page.get_by_text("What changed in penn-medicine").click()
    expect(page.get_by_text("+A new paragraph from the publisher", exact=False).first).to_be_visible()
    page.get_by_text("Staged refresh: review, then publish or discard").scroll_into_view_if_needed()
    page.wait_for_timeout(500)
    page.screenshot(path=str(ARTIFACTS / "maintainer-staged.png"), full_page=True)
    assert idx.current_version(settings.index_dir) != candidate.candidate_version  # nothing live yet

    page.get_by_role("button", name="Publish").click()
    expect(page.get_by_text(f"now serving index version {candidate.candidate_version}", exact=False)).to_be_visible(
        timeout=WAIT_MS
    )
    assert idx.current_version(settings.index_dir) == candidate.candidate_version
    assert "clinical trials near you" in (settings.corpus_dir / "penn-medicine.txt").read_text(encoding="utf-8")


def test_a_staff_sign_in_survives_a_reload_and_other_pages_until_sign_out(server, browser, pages):
    from playwright.sync_api import expect

    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(f"{server}/Maintainer")
    page.get_by_role("textbox", name="Name").fill("kim")
    page.get_by_role("textbox", name="Password").fill(pages.passwords["kim"])
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_text("Signed in as")).to_be_visible(timeout=WAIT_MS)
    cookie = staff_cookie(page)
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"
    assert page.evaluate("document.cookie").find("mbc_staff") == -1  # scripts cannot read it
    assert "mbc_staff" not in page.url and "ticket" not in page.url  # never in the address

    page.reload()
    expect(page.get_by_text("Signed in as")).to_be_visible(timeout=WAIT_MS)
    expect(page.get_by_role("heading", name="Maintainer: index and answer quality")).to_be_visible()
    # The pages table fits 1280 px: no column is scrolled out of sight.
    table = page.locator('[data-testid="stDataFrame"]').first
    expect(table).to_be_visible(timeout=WAIT_MS)
    page.wait_for_timeout(800)
    scroller = table.locator(".dvn-scroller").first
    widths = scroller.evaluate("e => [e.scrollWidth, e.clientWidth]")
    assert widths[0] <= widths[1] + 1, widths
    assert table.bounding_box()["x"] + table.bounding_box()["width"] <= 1280
    page.screenshot(path=str(ARTIFACTS / "maintainer.png"), full_page=True)
    page.goto(f"{server}/Reviewer")  # another staff page, opened by its address
    expect(page.get_by_role("heading", name="Reviewer: cited passages")).to_be_visible(timeout=WAIT_MS)
    expect(page.get_by_text("Signed in as")).to_be_visible()

    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_text("You are signed out.")).to_be_visible(timeout=WAIT_MS)
    page.wait_for_timeout(500)
    page.reload()
    expect(page.get_by_role("button", name="Sign in")).to_be_visible(timeout=WAIT_MS)
    assert page.get_by_text("Signed in as").count() == 0
    context.close()
