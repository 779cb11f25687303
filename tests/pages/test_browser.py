"""The reviewer page in a real browser: `streamlit run app.py` with staff configured, driven through Chromium.

A screenshot goes to tests/artifacts/reviewer.png (git-ignored).
"""

from __future__ import annotations

import pytest

import index as idx

pytestmark = [pytest.mark.slow, pytest.mark.browser]

ARTIFACTS = idx.REPO_ROOT / "tests" / "artifacts"
HOSTILE = '<img src=x onerror="alert(1)">'
WAIT_MS = 60_000


@pytest.fixture
def server(staff, use_built_index: idx.Settings, streamlit_server: str) -> str:
    """The app with staff sign-in configured, serving the session's index."""
    return streamlit_server


def test_reviewer_signs_in_and_sees_the_quote_marked_in_its_page(
    server, browser, use_built_index, pages, record_answer, quote_of
):
    from playwright.sync_api import expect

    served = idx.load(use_built_index.index_dir)
    sentence = next(s for s in served.sentences if s.doc_id == "susan-g-komen" and s.end - s.start > 60)
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

    page.get_by_text("Citation 1: Penn Medicine").click()
    expect(page.get_by_text("Stale: the page changed and no longer contains the quoted text.")).to_be_visible()
    expect(page.get_by_text(HOSTILE, exact=True)).to_be_visible()
    assert page.locator("img[src='x']").count() == 0
    page.wait_for_timeout(500)
    page.screenshot(path=str(ARTIFACTS / "reviewer.png"), full_page=True)
    assert dialogs == []  # nothing from the stored text ran as script
