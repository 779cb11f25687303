"""The saved conversation: what it holds, and that page and question text stay text."""

from __future__ import annotations

from datetime import datetime

import pytest
from streamlit.testing.v1 import AppTest

from tests.app.test_page import SPREAD, URGENT, ParsedHtml, ask, session_turns
from ui import saved_conversation

pytestmark = pytest.mark.slow


def test_it_holds_the_questions_quotes_sources_dates_and_the_not_advice_line(page: AppTest):
    ask(page, SPREAD)
    ask(page, URGENT)
    turns = session_turns(page)
    saved = saved_conversation.render(turns, saved_at=datetime(2026, 12, 1, 14, 5), title="Questions")
    shown = ParsedHtml(saved)
    assert "Saved on 1 December 2026 at 14:05." in shown.text
    assert shown.text.count("This is not medical advice.") == 2  # at the top and at the end
    assert f"Question 1: {SPREAD}" in shown.text and f"Question 2: {URGENT}" in shown.text
    for quote, facts in zip(turns[0].answer["quotes"], turns[0].facts, strict=True):
        assert quote["text"] in shown.text and quote["publisher"] in shown.text and quote["title"] in shown.text
        assert ("Page captured " in shown.text) or ("Page updated " in shown.text)
        if quote["url"]:
            assert ("a", {"class": "url", "href": quote["url"]}) in shown.tags and quote["url"] in shown.text
        for other in facts["also"]:
            assert other["text"] in shown.text
    assert turns[1].answer["message"] in shown.text  # the emergency message, with its numbers
    assert not [tag for tag, _ in shown.tags if tag == "script"]
    assert shown.text.count(turns[0].answer["message"]) == 1
    assert "@page" in saved  # printed with page margins, no fixed paper size: A4 and Letter alike


class _Turn:
    def __init__(self, question, answer, facts):
        self.question, self.answer, self.facts, self.problem = question, answer, facts, ""


def test_question_and_page_text_are_escaped():
    hostile = "<script>alert(1)</script> **bold** [x](javascript:alert(2))"
    quote = {
        "text": "<img src=x onerror=alert(3)>",
        "publisher": "<b>P</b>",
        "title": "<i>T</i>",
        "url": "javascript:alert(4)",
    }
    facts = {"date_kind": "updated", "date": "2014-05-02", "out_of_date": True, "also": []}
    answer = {"status": "answered", "message": "<u>m</u>", "quotes": [quote]}
    saved = saved_conversation.render([_Turn(hostile, answer, [facts])], saved_at=datetime(2026, 1, 2, 3, 4), title="T")
    shown = ParsedHtml(saved)
    assert {tag for tag, _ in shown.tags} <= {
        "html",
        "head",
        "meta",
        "title",
        "style",
        "body",
        "h1",
        "p",
        "section",
        "h2",
        "figure",
        "blockquote",
        "figcaption",
        "cite",
        "span",
    }
    for literal in (hostile, quote["text"], "<b>P</b>", "<i>T</i>", "<u>m</u>"):
        assert literal in shown.text
    assert "javascript:" not in " ".join(str(attrs) for _, attrs in shown.tags)
    assert "Page updated 2 May 2014. This page may be out of date." in shown.text


def test_it_says_what_the_page_said_and_the_opening_once(page: AppTest):
    from ui import patient

    ask(page, SPREAD)
    ask(page, "what about the liver?")
    ask(page, "what is the capital of France")
    turns = session_turns(page)
    assert turns[2].off_topic and turns[0].status == turns[1].status == "answered"
    saved = ParsedHtml(
        saved_conversation.render(turns, saved_at=datetime(2026, 12, 1), title="T", message_of=patient.shown_message)
    )
    assert patient.OFF_TOPIC in saved.text and turns[2].answer["message"] not in saved.text
    assert saved.text.count(turns[0].answer["message"]) == 1  # the answers' opening, once
