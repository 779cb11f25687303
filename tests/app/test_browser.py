"""The patient page in a real browser: `streamlit run app.py` driven through Debian's Chromium.

Screenshots go to tests/artifacts/ (git-ignored); docs/screenshot-desktop.png is copied from there.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from index import REPO_ROOT, Settings, load

pytestmark = [pytest.mark.slow, pytest.mark.browser]

ARTIFACTS = REPO_ROOT / "tests" / "artifacts"
ANSWER_MS = 120_000  # the first question also loads the model and the index
INPUT_LABEL = "Type your question here"
PUBLISHERS = (
    "Penn Medicine (Abramson Cancer Center)",
    "Breastcancer.org",
    "Aurora Health Care",
    "Medical News Today",
    "Susan G. Komen",
)


@pytest.fixture
def server(use_built_index: Settings, streamlit_server: str) -> str:
    """The patient page, served with the session's index."""
    return streamlit_server


def screenshot(page, path: Path, width: int, height: int) -> None:
    """The whole conversation: Streamlit scrolls inside its main area, so grow the window to fit it first."""
    content = page.evaluate("Math.max(...Array.from(document.querySelectorAll('*'), (e) => e.scrollHeight))")
    page.set_viewport_size({"width": width, "height": max(height, int(content))})
    page.evaluate("for (const e of document.querySelectorAll('*')) if (e.scrollTop) e.scrollTop = 0")
    page.wait_for_timeout(300)
    page.screenshot(path=str(path))
    page.set_viewport_size({"width": width, "height": height})


def tab_to(page, is_target: str, *, backwards: bool = False, limit: int = 60) -> None:
    """Press Tab (or Shift+Tab) until the JavaScript test ``is_target(document.activeElement)`` holds."""
    for _ in range(limit):
        page.keyboard.press("Shift+Tab" if backwards else "Tab")
        if page.evaluate(f"({is_target})(document.activeElement)"):
            return
    pytest.fail(f"{limit} key presses never reached the element: {is_target}")


def ask(page, question: str, answers_before: int):
    """With the keyboard only: reach the chat box, type, press Enter; return the answer once it has arrived."""
    tab_to(page, f"(e) => e && e.getAttribute('aria-label') === '{INPUT_LABEL}'")
    page.keyboard.type(question)
    page.keyboard.press("Enter")
    messages = page.locator('[data-testid="stChatMessage"]')
    answer = messages.nth(2 * answers_before + 1)
    # The answer is complete when the feedback question under it is shown.
    answer.get_by_text("Was this helpful?").wait_for(timeout=ANSWER_MS)
    return answer


def test_patient_asks_opens_a_quote_in_context_and_follows_up(server: str, browser, use_built_index):
    from playwright.sync_api import expect

    texts = load(use_built_index.index_dir).texts
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(server)
    expect(page.get_by_role("heading", name="Questions about metastatic breast cancer")).to_be_visible(
        timeout=ANSWER_MS
    )
    expect(page.get_by_text("This is not medical advice.")).to_be_visible()
    # Staff pages are not offered to patients.
    assert page.get_by_role("link", name="Reviewer").count() == 0
    assert page.get_by_role("link", name="Maintainer").count() == 0
    # The first visit also loads the model and the index.
    expect(page.get_by_role("button", name="Where does it usually spread?")).to_be_visible(timeout=ANSWER_MS)

    answer = ask(page, "where does it usually spread?", answers_before=0)
    quotes = answer.locator("figure.mbc-quote")
    assert quotes.count() >= 1
    first_quote = quotes.first.locator("blockquote").inner_text()
    assert any(first_quote.strip() in text for text in texts.values())
    caption = quotes.first.locator("figcaption").inner_text()
    assert caption.startswith("[1]") and any(name in caption for name in PUBLISHERS)
    all_quotes = " ".join(quotes.locator("blockquote").all_inner_texts()).lower()
    assert "bone" in all_quotes or "liver" in all_quotes
    # Screen readers hear the answer: the live region holds it as text.
    live = page.locator('#mbc-live[role="status"][aria-live="polite"]')
    expect(live).to_contain_text('Answer to your question "where does it usually spread?"')

    # Keyboard only: back up to the expander and press Enter to open the passage in context.
    tab_to(
        page,
        "(e) => e && e.tagName === 'SUMMARY' && e.textContent.includes('Show quote 1 in context')",
        backwards=True,
    )
    page.keyboard.press("Enter")
    mark = answer.locator(".mbc-context mark").first
    expect(mark).to_be_visible()
    marked = mark.inner_text().strip()
    assert marked and marked in first_quote
    context = answer.locator(".mbc-context").first.inner_text()
    assert len(context) > len(first_quote)

    screenshot(page, ARTIFACTS / "desktop.png", 1280, 900)
    page.set_viewport_size({"width": 375, "height": 812})
    page.wait_for_timeout(500)
    assert page.evaluate("document.documentElement.scrollWidth") <= 375  # nothing runs off a phone screen
    expect(page.get_by_role("textbox", name=INPUT_LABEL)).to_be_visible()
    screenshot(page, ARTIFACTS / "phone-375.png", 375, 812)

    follow_up = ask(page, "what about the liver?", answers_before=1)
    liver_quotes = follow_up.locator("figure.mbc-quote blockquote").all_inner_texts()
    assert any("liver" in quote.lower() for quote in liver_quotes), liver_quotes
    for link in follow_up.locator("figure.mbc-quote a").all():  # a page's address opens in a new tab
        assert link.get_attribute("target") == "_blank" and link.get_attribute("href").startswith("http")
    expect(live).to_contain_text('Answer to your question "what about the liver?"')
    screenshot(page, ARTIFACTS / "phone-375-follow-up.png", 375, 812)

    # A question full of HTML and Markdown is shown as the characters typed, and runs nothing.
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    hostile = "<b>bold</b> <img src=x onerror=alert(1)> [x](javascript:alert(2)) **where**?"
    ask(page, hostile, answers_before=2)
    question = page.locator('[data-testid="stChatMessage"]').nth(4)
    assert question.locator(".mbc-question").inner_text() == hostile
    assert question.locator("b, img, a").count() == 0
    assert dialogs == []
