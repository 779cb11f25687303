"""The patient page in a real browser: the app as `make run` serves it (serve.py), driven through Debian's Chromium.

Screenshots go to tests/artifacts/ (git-ignored); docs/screenshot-desktop.png (desktop-sources.png),
docs/screenshot-phone.png (the phone-*.png side by side) and docs/screenshot-saved-conversation.png are
copied from there.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from index import load
from settings import REPO_ROOT, Settings

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
    tab_to(page, f"(e) => e && e.getAttribute('aria-label') === '{INPUT_LABEL}'")
    page.keyboard.type(hostile)
    page.keyboard.press("Enter")
    answer_complete(page, 2)  # whatever triage makes of it: the question above it is what matters here
    question = page.locator('[data-testid="stChatMessage"]').nth(4)
    assert question.locator(".mbc-question").inner_text() == hostile
    assert question.locator("b, img, a").count() == 0
    assert dialogs == []


def answer_complete(page, number: int):
    """The assistant message ``number`` (0-based) once its answer is on the page (any kind)."""
    answer = page.locator('[data-testid="stChatMessage"]').nth(2 * number + 1)
    answer.locator(".mbc-urgent, .mbc-refused, .mbc-feedback, figure.mbc-quote").first.wait_for(timeout=ANSWER_MS)
    page.wait_for_timeout(600)  # the rerun that follows an answer settles
    return answer


def type_question(page, question: str, number: int):
    box = page.get_by_role("textbox", name=INPUT_LABEL)
    box.fill(question)
    box.press("Enter")
    return answer_complete(page, number)


def in_viewport(page, locator) -> bool:
    box = locator.bounding_box()
    size = page.viewport_size
    return box is not None and box["y"] >= 0 and box["y"] + box["height"] <= size["height"] and box["x"] >= 0


def test_a_phone_opens_at_the_top_and_emergencies_refusals_and_sources_read_well(server: str, browser):
    from playwright.sync_api import expect

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page = browser.new_page(viewport={"width": 375, "height": 812})
    page.goto(server)
    title = page.get_by_role("heading", name="Questions about metastatic breast cancer")
    expect(title).to_be_visible(timeout=ANSWER_MS)
    expect(page.get_by_role("button", name="Where does it usually spread?")).to_be_visible(timeout=ANSWER_MS)
    page.wait_for_timeout(1500)  # Streamlit's own scrolling happens after the first paint
    # The first screen, without scrolling: the title in at most two lines, the intro, not-medical-advice.
    intro = page.get_by_text("Answers are quoted word for word")
    advice = page.get_by_text("This is not medical advice.")
    for shown in (title, intro, advice):
        assert in_viewport(page, shown), shown
    lines = title.evaluate(
        "e => { const r = document.createRange(); r.selectNodeContents(e);"
        " return new Set(Array.from(r.getClientRects(), (c) => Math.round(c.top))).size; }"
    )
    assert lines <= 2
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    page.screenshot(path=str(ARTIFACTS / "phone-first-screen.png"))

    # An emergency about self-harm: the crisis line first, as tap-to-call links, and no feedback prompt.
    urgent = type_question(page, "I want to kill myself", 0)
    calls = urgent.locator("a.mbc-call")
    expect(calls.first).to_be_visible()
    hrefs = [calls.nth(i).get_attribute("href") for i in range(calls.count())]
    assert hrefs[:2] == ["tel:988", "tel:116123"] and "tel:999" in hrefs
    assert urgent.locator('a[href="tel:116123"]').count() >= 2  # the number inside the message too
    assert urgent.get_by_text("Was this helpful?").count() == 0
    page.screenshot(path=str(ARTIFACTS / "phone-emergency.png"))

    # A refusal near what the pages cover offers their own questions as buttons.
    refused = type_question(page, "can my dog get breast cancer", 1)
    suggestions = refused.locator('[data-testid="stButton"] button')
    expect(suggestions.first).to_be_visible()
    offered = suggestions.all_inner_texts()
    assert 1 <= len(offered) <= 3
    page.screenshot(path=str(ARTIFACTS / "phone-refusal.png"))
    suggestions.first.click()  # a suggested question is one the pages answer
    answered = answer_complete(page, 2)
    expect(answered.locator("figure.mbc-quote").first).to_be_visible()

    # On a phone the answer uses the width: no avatar column, and the feedback in one row.
    content = answered.locator('[data-testid="stChatMessageContent"]')
    assert content.bounding_box()["x"] - answered.bounding_box()["x"] < 4
    question_label = answered.get_by_text("Was this helpful?")
    choices = answered.locator('[data-testid="stButtonGroup"] button')
    assert choices.count() == 2
    rows = {
        round(b["y"] + b["height"] / 2)
        for b in (question_label.bounding_box(), *(c.bounding_box() for c in choices.all()))
    }
    assert max(rows) - min(rows) <= 6  # one row
    choices.filter(has_text="Yes").click()
    expect(answered.get_by_text("You said this was helpful")).to_be_visible(timeout=ANSWER_MS)
    expect(answered.locator('[data-testid="stButtonGroup"] button[aria-checked="true"]')).to_have_text("Yes")
    page.screenshot(path=str(ARTIFACTS / "phone-answer.png"))


def test_sources_agreement_and_the_saved_conversation_on_a_desktop(server: str, browser, use_built_index, tmp_path):
    from playwright.sync_api import expect

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page = browser.new_page(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    page.goto(server)
    expect(page.get_by_role("button", name="Where does it usually spread?")).to_be_visible(timeout=ANSWER_MS)
    page.wait_for_timeout(1500)
    for first_screen in ("Questions about metastatic breast cancer", "This is not medical advice."):
        assert in_viewport(page, page.get_by_text(first_screen).first), first_screen
    assert page.get_by_text("Index version").count() == 0  # that is for the staff pages
    question = "how many women with early breast cancer will develop metastatic disease?"
    answer = type_question(page, question, 0)
    # Under a quote: its page's date, and the other pages that say the same, each openable in context.
    agreeing = answer.locator("figure.mbc-quote").filter(has_text="Also said by:").first
    expect(agreeing).to_be_visible()
    caption = agreeing.locator("figcaption").inner_text()
    assert "Page captured " in caption or "Page updated " in caption
    named = caption.split("Also said by:", 1)[1].strip().splitlines()[0]
    assert any(name in named for name in PUBLISHERS)
    others = answer.get_by_text("Show what the other pages say").first
    others.click()
    mark = answer.locator(".mbc-also .mbc-context mark").first
    expect(mark).to_be_visible()
    assert "30" in mark.inner_text()  # "Nearly 30% ..." / "About 30 percent ..."
    screenshot(page, ARTIFACTS / "desktop-sources.png", 1280, 900)

    type_question(page, "what is palliative care?", 1)
    # "Save this conversation": an HTML page to keep or print.
    with page.expect_download() as download_info:
        page.get_by_role("button", name="Save this conversation").click()
    download = download_info.value
    assert download.suggested_filename.startswith("conversation-") and download.suggested_filename.endswith(".html")
    saved_file = tmp_path / download.suggested_filename
    download.save_as(saved_file)
    saved = browser.new_page(viewport={"width": 900, "height": 1200})
    saved.goto(saved_file.as_uri())
    text = saved.locator("body").inner_text()
    assert f"Question 1: {question}" in text and "Question 2: what is palliative care?" in text
    assert "This is not medical advice." in text and "Saved on " in text
    assert "Also said by:" in text and ("Page captured " in text or "Page updated " in text)
    for quote in answer.locator("figure.mbc-quote blockquote").all_inner_texts():
        assert quote.strip() in text
    assert saved.locator("a.url[href^='https://']").count() >= 1  # addresses printed in full
    # Printed by Chromium on A4 and on Letter, and looked at as printed.
    for paper, (width, height) in {"A4": (595.9, 842.9), "Letter": (612.0, 792.0)}.items():
        pdf = saved.pdf(format=paper, print_background=True)
        boxes = re.findall(rb"/MediaBox \[0 0 ([\d.]+) ([\d.]+)\]", pdf)
        assert pdf.startswith(b"%PDF") and 1 <= len(boxes) <= 4  # two questions fit a page or two
        assert all(abs(float(w) - width) < 1 and abs(float(h) - height) < 1 for w, h in boxes), boxes
        (ARTIFACTS / f"saved-conversation-{paper}.pdf").write_bytes(pdf)
    saved.emulate_media(media="print")
    saved.screenshot(path=str(ARTIFACTS / "saved-conversation.png"), full_page=True)
    saved.close()

    # "Print this conversation" opens the same page in a new window for the browser's print dialog.
    with page.context.expect_page() as opened:
        page.get_by_role("button", name="Print this conversation").click()
    printable = opened.value
    printable.wait_for_load_state()
    expect(printable.get_by_text(f"Question 1: {question}")).to_be_visible()
    printable.close()
