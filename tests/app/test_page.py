"""The patient page under Streamlit's AppTest, answering with the real model and index."""

from __future__ import annotations

import shutil
import threading
from html.parser import HTMLParser
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from errors import ModelError
from index import current_version, load
from settings import settings_from_env

pytestmark = pytest.mark.slow

SPREAD = "where does it usually spread?"
LIVER = "what about the liver?"
OFF_TOPIC = "What is the capital of Australia?"
URGENT = "i cant breathe properly, my chest is really hurting and my lips look blue"
PUBLISHERS = {
    "Penn Medicine (Abramson Cancer Center)",
    "Breastcancer.org",
    "Aurora Health Care",
    "Medical News Today",
    "Susan G. Komen",
}
# Every tag the page itself writes into st.html; anything else would have come from page or question text.
OWN_TAGS = {"div", "p", "figure", "blockquote", "figcaption", "span", "cite", "a", "mark", "script", "style"}


class ParsedHtml(HTMLParser):
    """The tags, attributes and text a browser would build from an ``st.html`` body."""

    def __init__(self, body: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.chunks: list[str] = []
        self.in_script = False
        self.feed(body)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        self.in_script = tag in {"script", "style"}

    def handle_endtag(self, tag: str) -> None:
        self.in_script = False

    def handle_data(self, data: str) -> None:
        if not self.in_script:
            self.chunks.append(data)

    @property
    def text(self) -> str:
        return "".join(self.chunks)


def ask(at: AppTest, question: str) -> AppTest:
    """Type a question into the chat box and wait for the page to settle."""
    at.chat_input[0].set_value(question).run()
    assert not at.exception, at.exception
    return at


def parsed(block) -> list[ParsedHtml]:
    return [ParsedHtml(element.value) for element in block.html]


def text_of(block) -> str:
    """What a reader sees in a block: its HTML text, Markdown, captions and alerts."""
    parts = [p.text for p in parsed(block)]
    parts += [element.value for element in [*block.markdown, *block.caption, *block.info, *block.error]]
    return "\n".join(parts)


def quotes_in(block) -> list[ParsedHtml]:
    return [p for p in parsed(block) if any(tag == "blockquote" for tag, _ in p.tags)]


def answers(at: AppTest):
    return [message for message in at.chat_message if message.name == "assistant"]


def session_turns(at: AppTest) -> list:
    return at.session_state["turns"]


def test_without_an_index_the_page_gives_the_one_command_that_builds_it(open_page):
    at = open_page()
    assert "not been prepared yet" in at.info[0].value
    assert [code.value for code in at.code] == ["python -m ingest"]
    assert not at.chat_input  # nothing to ask until the pages exist


def test_a_broken_index_is_one_calm_sentence_not_a_traceback(
    built_index_dir: Path, tmp_path: Path, monkeypatch, open_page
):
    broken = tmp_path / "broken-index"
    shutil.copytree(built_index_dir, broken)
    (broken / "CURRENT").write_text("20000101T000000000000Z", encoding="utf-8")  # a version that is not there
    monkeypatch.setenv("MBC_INDEX_DIR", str(broken))
    at = open_page()
    assert "cannot be opened" in at.info[0].value
    assert [code.value for code in at.code] == ["python -m ingest --full"]


def test_welcome_says_what_this_is_and_offers_examples(page: AppTest):
    welcome = text_of(page.main)
    assert "quoted word for word" in welcome and "not medical advice" in welcome and "care team" in welcome
    [intro] = [p for p in parsed(page.main) if ("div", {"class": "mbc-welcome"}) in p.tags]
    assert [tag for tag, _ in intro.tags].count("p") == 2  # one line of intro, one of not-medical-advice
    examples = [button.label for button in page.button]
    assert len(examples) == 4 and "Where does it usually spread?" in examples
    assert page.chat_input[0].placeholder == "Type your question here"


def test_footer_says_what_is_stored_and_not_the_index_version(page: AppTest, use_built_index):
    manifest = load(use_built_index.index_dir).manifest
    footer = text_of(page.main)
    assert manifest.version not in footer and "Index version" not in footer  # that is for staff pages
    assert "saved on this computer only" in footer and "Nothing leaves this computer" in footer


def test_answerable_question_shows_numbered_quotes_with_citations(page: AppTest, use_built_index):
    ask(page, SPREAD)
    [answer] = answers(page)
    quotes = quotes_in(answer)
    assert quotes
    index = load(use_built_index.index_dir)
    turn = session_turns(page)[0]
    assert turn.answer["status"] == "answered"
    for number, (shown, quote) in enumerate(zip(quotes, turn.answer["quotes"], strict=True), start=1):
        assert quote["text"] in shown.text
        assert index.texts[quote["doc_id"]][quote["start"] : quote["end"]] == quote["text"]
        assert f"[{number}]" in shown.text
        assert quote["publisher"] in PUBLISHERS and quote["publisher"] in shown.text and quote["title"] in shown.text
        links = [attrs for tag, attrs in shown.tags if tag == "a"]
        if quote["url"]:
            assert links[0] == {"href": quote["url"], "target": "_blank", "rel": "noopener noreferrer"}
        assert all(link["href"].startswith("http") for link in links)
        assert "Page captured " in shown.text or "Page updated " in shown.text
    assert any(word in " ".join(q["text"] for q in turn.answer["quotes"]).lower() for word in ("bone", "liver"))
    in_context = [e.label for e in answer.expander if e.label.startswith("Show quote")]
    assert in_context == [f"Show quote {n} in context" for n in range(1, len(quotes) + 1)]


def test_show_in_context_marks_the_quote_inside_its_paragraphs(page: AppTest, use_built_index):
    ask(page, SPREAD)
    index = load(use_built_index.index_dir)
    quote = session_turns(page)[0].answer["quotes"][0]
    [context] = parsed(answers(page)[0].expander[0])
    marked = context.text
    assert quote["text"] in marked and len(marked) > len(quote["text"])  # the quote plus what surrounds it
    body = answers(page)[0].expander[0].html[0].value
    start = body.index("<mark>") + len("<mark>")
    assert ParsedHtml(body[start : body.index("</mark>", start)]).text in quote["text"]
    page_text = index.texts[quote["doc_id"]]
    # The context is the page's own paragraphs, in page order: the quoted block and its neighbours.
    shown = [ParsedHtml(piece).text for piece in body.split("</p>") if piece.strip()]
    assert len(shown) >= 2
    places = [page_text.index(shown[0])]
    for paragraph in shown[1:]:
        places.append(page_text.index(paragraph, places[-1] + 1))
    assert places[0] <= quote["start"] < quote["end"] <= places[-1] + len(shown[-1])


@pytest.mark.xfail(
    strict=True, reason="known miss: under the fine-tuned encoder a heading is near enough to be suggested"
)
def test_off_topic_question_gets_its_own_message_and_no_suggestions(page: AppTest):
    from ui import patient

    ask(page, OFF_TOPIC)
    [answer] = answers(page)
    turn = session_turns(page)[0]
    assert turn.answer["status"] == "refused" and turn.off_topic and turn.suggestions == []
    assert not quotes_in(answer) and not answer.error and not answer.expander
    boxes = [p for p in parsed(answer) if ("div", {"class": "mbc-refused"}) in p.tags]
    assert boxes and boxes[0].text == patient.OFF_TOPIC and turn.answer["message"] not in boxes[0].text
    assert "only help with questions about metastatic breast cancer" in boxes[0].text
    assert not [b for b in answer.button if b.key and b.key.startswith("suggest-")]


def test_a_near_domain_refusal_offers_the_pages_own_questions_as_buttons(page: AppTest, use_built_index):
    ask(page, "can my dog get breast cancer")
    [answer] = answers(page)
    turn = session_turns(page)[0]
    assert turn.answer["status"] == "refused" and not turn.off_topic
    suggested = [b for b in answer.button if b.key and b.key.startswith(f"suggest-{turn.id}-")]
    assert 1 <= len(suggested) <= 3 and [b.label for b in suggested] == turn.suggestions
    index = load(use_built_index.index_dir)
    headings = {" ".join(index.texts[b.doc_id][b.start : b.end].split()) for b in index.blocks if b.kind == "heading"}
    assert all(label in headings for label in turn.suggestions)  # taken from the pages, never invented
    assert turn.answer["message"] in text_of(answer)  # the usual refusal, with a way on under it
    suggested[0].click().run()
    assert not page.exception
    second = session_turns(page)[1]
    assert second.question == turn.suggestions[0] and second.answer["status"] == "answered"


def test_urgent_message_comes_first_with_tap_to_call_numbers_no_quotes_and_no_feedback(page: AppTest):
    ask(page, URGENT)
    [answer] = answers(page)
    turn = session_turns(page)[0]
    assert turn.answer["status"] == "urgent" and turn.reason.startswith("urgent:")
    first = parsed(answer)[0]
    assert ("div", {"class": "mbc-urgent", "role": "alert"}) in first.tags
    assert "Please get help now" in first.text and "emergency" in first.text and "999" in first.text
    calls = [attrs["href"] for tag, attrs in first.tags if tag == "a" and attrs.get("class") == "mbc-call"]
    assert calls == ["tel:911", "tel:999", "tel:112"]  # emergency numbers first for an emergency
    in_text = [attrs["href"] for tag, attrs in first.tags if tag == "a" and "class" not in attrs]
    assert "tel:999" in in_text  # the numbers inside the message are links too
    assert not quotes_in(answer) and not answer.expander
    assert "Was this helpful?" not in text_of(answer) and not answer.segmented_control


def test_self_harm_puts_the_crisis_lines_first(page: AppTest):
    ask(page, "I want to kill myself")
    [answer] = answers(page)
    turn = session_turns(page)[0]
    assert turn.answer["status"] == "urgent" and "self_harm" in turn.reason
    first = parsed(answer)[0]
    calls = [attrs["href"] for tag, attrs in first.tags if tag == "a" and attrs.get("class") == "mbc-call"]
    assert calls[:2] == ["tel:988", "tel:116123"] and "tel:911" in calls
    assert "Was this helpful?" not in text_of(answer)


def test_follow_up_question_uses_the_conversation(page: AppTest, use_built_index):
    from ask import load as load_bot

    ask(page, SPREAD)
    ask(page, LIVER)
    first, second = session_turns(page)
    assert (first.question, second.question) == (SPREAD, LIVER)
    assert second.answer["status"] == "answered"
    shown = [q.text for q in quotes_in(answers(page)[1])]
    assert any("liver" in text.lower() for text in shown)
    # The page passed the conversation: the answer is the one given with history, not the standalone one.
    bot = load_bot(use_built_index)
    with_history = bot.ask(LIVER, history=[{"role": "user", "content": SPREAD}]).to_dict()["quotes"]
    standalone = bot.ask(LIVER).to_dict()["quotes"]
    assert with_history != standalone, "the follow-up no longer depends on history; pick another pair"
    assert second.answer["quotes"] == with_history


def test_an_example_button_asks_its_question(page: AppTest):
    page.button(key="example-0").click().run()
    assert not page.exception
    [turn] = session_turns(page)
    assert turn.question == "Where does it usually spread?" and turn.answer["status"] == "answered"
    assert not [b for b in page.button if b.key and b.key.startswith("example-")]  # examples give way to the chat


def test_every_example_question_gets_quoted_passages(page: AppTest):
    examples = [button.label for button in page.button]
    for number, question in enumerate(examples):
        page.button(key=f"example-{number}").click().run()
        assert not page.exception
        [turn] = session_turns(page)
        assert (turn.question, turn.answer["status"]) == (question, "answered")
        assert quotes_in(answers(page)[0])
        page.button(key="new-conversation").click().run()


def test_new_conversation_clears_the_chat(page: AppTest):
    ask(page, SPREAD)
    page.button(key="new-conversation").click().run()
    assert not page.exception
    assert not page.chat_message and session_turns(page) == []
    assert page.button[0].label == "Where does it usually spread?"


def test_feedback_is_stored_with_the_answer(page: AppTest):
    from audit import AuditLog

    ask(page, SPREAD)
    turn = session_turns(page)[0]
    assert "Was this helpful?" in text_of(answers(page)[0])
    [control] = answers(page)[0].segmented_control
    assert control.options == ["Yes", "No"] and control.value is None
    control.set_value("Yes").run()
    assert not page.exception
    stored = AuditLog(settings_from_env().audit_db).answer(turn.answer_id)
    assert (stored.question, stored.helpful, stored.status) == (SPREAD, True, "answered")
    assert stored.index_version == turn.answer["index_version"]
    assert [q.text for q in stored.quotes] == [q["text"] for q in turn.answer["quotes"]]
    assert "You said this was helpful" in text_of(answers(page)[0])
    assert answers(page)[0].segmented_control[0].value == "Yes"  # the choice made stays shown

    answers(page)[0].segmented_control[0].set_value("No").run()  # and can be changed
    assert AuditLog(settings_from_env().audit_db).answer(turn.answer_id).helpful is False
    assert "You said this was not helpful" in text_of(answers(page)[0])
    answers(page)[0].segmented_control[0].set_value(None).run()  # clicking the choice again keeps it
    assert answers(page)[0].segmented_control[0].value == "No"
    assert AuditLog(settings_from_env().audit_db).answer(turn.answer_id).helpful is False


def test_the_answers_opening_is_said_once_per_conversation(page: AppTest):
    ask(page, SPREAD)
    ask(page, LIVER)
    first, second = session_turns(page)
    assert first.answer["message"] == second.answer["message"]
    opening = first.answer["message"]
    assert [opening in text_of(answer) for answer in answers(page)] == [True, False]
    assert quotes_in(answers(page)[1])


def test_each_quote_shows_its_page_date_and_the_pages_that_say_the_same(page: AppTest, use_built_index):
    ask(page, "how many women with early breast cancer will develop metastatic disease?")
    [turn] = session_turns(page)
    assert turn.answer["status"] == "answered"
    facts = turn.facts
    assert len(facts) == len(turn.answer["quotes"])
    agreeing = [(quote, fact) for quote, fact in zip(turn.answer["quotes"], facts, strict=True) if fact["also"]]
    assert agreeing, [q["text"] for q in turn.answer["quotes"]]
    quote, fact = agreeing[0]
    index = load(use_built_index.index_dir)
    for other in fact["also"]:
        assert other["doc_id"] != quote["doc_id"]
        assert index.texts[other["doc_id"]][other["start"] : other["end"]] == other["text"]
    shown = text_of(answers(page)[0])
    names = ", ".join(other["publisher"] for other in fact["also"] if not other["figures_differ"])
    assert f"Also said by: {names}" in shown
    others = [e for e in answers(page)[0].expander if e.label.startswith("Show what the other pages say")]
    assert others
    inside = text_of(others[0])
    assert all(
        other["text"] in inside and other["publisher"] in inside
        for other in fact["also"]
        if not other["figures_differ"]
    )
    marks = [p for p in parsed(others[0]) if any(tag == "mark" for tag, _ in p.tags)]
    assert marks  # each is shown in its own page, marked


def test_a_page_older_than_the_configured_age_is_marked(use_built_index, monkeypatch, open_page):
    ask_about = "Can stage 4 breast cancer be cured?"  # answered with the Komen page among others
    at = open_page()
    ask(at, ask_about)
    [turn] = session_turns(at)
    komen = [
        fact
        for quote, fact in zip(turn.answer["quotes"], turn.facts, strict=True)
        if quote["doc_id"] == "susan-g-komen"
    ]
    others = [
        fact
        for quote, fact in zip(turn.answer["quotes"], turn.facts, strict=True)
        if quote["doc_id"] != "susan-g-komen"
    ]
    assert komen and others
    for fact in komen:  # the Komen page says "Updated 05/02/14"
        assert (fact["date_kind"], fact["date"], fact["out_of_date"]) == ("updated", "2014-05-02", True)
    for fact in others:
        assert fact["date_kind"] == "captured" and not fact["out_of_date"]
    assert "Page updated 2 May 2014 · This page may be out of date." in text_of(answers(at)[0])
    monkeypatch.setenv("MBC_PAGE_MAX_AGE_YEARS", "50")  # the age is a setting
    at = open_page()
    ask(at, ask_about)
    assert not any(fact["out_of_date"] for fact in session_turns(at)[0].facts)
    assert "may be out of date" not in text_of(answers(at)[0])


def test_with_storage_off_nothing_is_saved_and_the_page_says_so(use_built_index, monkeypatch, open_page):
    monkeypatch.setenv("MBC_AUDIT", "off")
    at = open_page()
    ask(at, SPREAD)
    assert "nothing you type is saved" in text_of(at.main).lower()
    assert "Was this helpful?" not in text_of(at.main)
    assert not settings_from_env().audit_db.exists()


def test_an_audit_database_that_cannot_be_written_never_hides_the_answer(
    use_built_index, tmp_path, monkeypatch, open_page
):
    monkeypatch.setenv("MBC_AUDIT_DB", str(tmp_path))  # a folder, not a database file
    at = open_page()
    ask(at, SPREAD)
    [answer] = answers(at)
    assert quotes_in(answer) and session_turns(at)[0].answer_id is None
    assert "Was this helpful?" not in text_of(answer)


def test_a_question_with_html_and_markdown_shows_as_plain_text(page: AppTest):
    question = '<img src=x onerror="alert(1)"> **where** does it [spread](javascript:alert(1))? <script>x()</script>'
    ask(page, question)
    [user] = [message for message in page.chat_message if message.name == "user"]
    [shown] = parsed(user)
    assert shown.text == question
    assert [tag for tag, _ in shown.tags] == ["p"]
    announcement = page.session_state["announcement"]
    assert question in announcement  # the live region gets it as text; see test_browser for the DOM


def test_hostile_page_text_and_metadata_render_inert(hostile_page: AppTest):
    ask(hostile_page, "where does metastatic breast cancer spread to?")
    [answer] = answers(hostile_page)
    turn = session_turns(hostile_page)[0]
    assert turn.answer["status"] == "answered"
    hostile = [q for q in turn.answer["quotes"] if q["doc_id"] == "hostile"]
    assert hostile, turn.answer["quotes"]
    shown_quotes = quotes_in(answer)
    contexts = [p for expander in answer.expander for p in parsed(expander)]
    for shown in [*shown_quotes, *contexts]:
        assert {tag for tag, _ in shown.tags} <= OWN_TAGS - {"script", "style"}
        for tag, attrs in shown.tags:
            assert "onerror" not in attrs
            if tag == "a":
                assert attrs["href"].startswith("https://")
    everything = "\n".join(p.text for p in [*shown_quotes, *contexts])
    for literal in (
        "<script>alert(1)</script>",
        "[click](javascript:alert(1))",
        "<img src=x onerror=alert(2)>",
        "**first**",
        "<b>Hostile</b> & Co [pub](javascript:alert(3))",
        "**Spread** <i>guide</i>",
    ):
        assert literal in everything, literal


def test_a_new_index_version_is_picked_up_without_a_restart(
    open_page, built_index_dir: Path, corpus_copy: Path, tmp_path, monkeypatch
):
    from ingest import build

    index_dir = tmp_path / "index"
    shutil.copytree(built_index_dir, index_dir)
    monkeypatch.setenv("MBC_INDEX_DIR", str(index_dir))
    settings = settings_from_env()
    build(settings)  # the copy's paths differ from corpus/, so this only rewrites page details
    first = current_version(index_dir)
    at = open_page()
    ask(at, SPREAD)
    assert session_turns(at)[0].answer["index_version"] == first

    page = corpus_copy / "penn-medicine.txt"
    page.write_text(page.read_text(encoding="utf-8") + "\n\nA new paragraph about hospice at home.\n", encoding="utf-8")
    build(settings)
    second = current_version(index_dir)
    assert second != first
    ask(at, SPREAD)
    assert session_turns(at)[1].answer["index_version"] == second


def test_the_page_can_be_used_while_the_model_is_still_loading(use_built_index, monkeypatch, open_page):
    import embedding

    real = embedding.load_embedder
    ready = threading.Event()

    def slow_model():
        assert ready.wait(timeout=120)
        return real()

    monkeypatch.setattr(embedding, "load_embedder", slow_model)
    st.cache_resource.clear()  # a fresh server process: nothing loaded yet
    at = open_page()  # returns while the model waits for ``ready``, which nothing has set yet
    assert [button.key for button in at.button] == [f"example-{n}" for n in range(4)]
    assert at.chat_input and "not medical advice" in text_of(at.main)

    threading.Timer(1.0, ready.set).start()
    ask(at, SPREAD)  # asked before the model is ready: waits for it, then answers
    [turn] = session_turns(at)
    assert turn.answer["status"] == "answered" and quotes_in(answers(at)[0])


def test_a_model_that_failed_to_load_is_tried_again_by_the_next_question(use_built_index, monkeypatch, open_page):
    import embedding

    real = embedding.load_embedder

    def missing_model():
        raise ModelError("The embedding model's packages are not installed (torch).")

    monkeypatch.setattr(embedding, "load_embedder", missing_model)
    st.cache_resource.clear()
    at = open_page()
    ask(at, SPREAD)
    assert "something went wrong on our side" in text_of(answers(at)[0])

    monkeypatch.setattr(embedding, "load_embedder", real)  # the packages are back
    ask(at, SPREAD)
    assert session_turns(at)[1].answer["status"] == "answered" and quotes_in(answers(at)[1])


FIGURES_PAGES = {
    "one.txt": "Survival\n\nAbout 30 percent of women with metastatic breast cancer live at least five years after diagnosis.\n",
    "two.txt": "Survival\n\nAbout 15 percent of women with metastatic breast cancer live at least five years after diagnosis.\n",
}


def test_pages_giving_different_figures_are_both_shown_with_their_sources(tmp_path, monkeypatch, open_page):
    import json

    from ingest import build

    corpus = tmp_path / "figures-corpus"
    corpus.mkdir()
    for name, text in FIGURES_PAGES.items():
        (corpus / name).write_text(text, encoding="utf-8")
    sources = [
        {"file": "one.txt", "publisher": "First <b>Publisher</b>", "title": "One", "url": "https://one.example/page"},
        {"file": "two.txt", "publisher": "Second Publisher", "title": "Two", "url": None},
    ]
    (corpus / "sources.json").write_text(json.dumps(sources), encoding="utf-8")
    monkeypatch.setenv("MBC_CORPUS_DIR", str(corpus))
    build(settings_from_env())
    at = open_page()
    ask(at, "how many women with metastatic breast cancer live at least five years after diagnosis?")
    [turn] = session_turns(at)
    assert turn.answer["status"] == "answered"
    quotes, facts = turn.answer["quotes"], turn.facts
    assert {q["doc_id"] for q in quotes} == {"one", "two"}  # both pages answer it
    [(first, first_facts), (second, second_facts)] = list(zip(quotes, facts, strict=True))
    [other] = first_facts["also"]
    assert other["doc_id"] == second["doc_id"] and other["figures_differ"] and other["quoted_as"] == 2
    assert second_facts["also"][0]["quoted_as"] == 1
    shown = quotes_in(answers(at)[0])
    assert ("div", {"class": "mbc-differ"}) in shown[0].tags
    assert f"Quote [2] gives different figures: {second['publisher']}" in shown[0].text
    assert f"Quote [1] gives different figures: {first['publisher']}" in shown[1].text
    assert "Also said by" not in shown[0].text + shown[1].text
    assert ("b", {}) not in shown[0].tags + shown[1].tags  # "First <b>Publisher</b>" stays text
    saved = ParsedHtml(saved_page(turn))
    assert "Quote [2] gives different figures" in saved.text
    assert "30 percent" in saved.text and "15 percent" in saved.text


def saved_page(turn) -> str:
    from datetime import datetime

    from ui import saved_conversation

    return saved_conversation.render([turn], saved_at=datetime(2026, 12, 1), title="T")


def test_a_page_giving_other_figures_and_not_quoted_is_shown_under_the_quote():
    from ui import patient

    other = {
        "doc_id": "two",
        "publisher": "Second <i>Publisher</i>",
        "title": "Two",
        "url": "https://two.example/",
        "text": "About 15 percent <script>x()</script>",
        "start": 0,
        "end": 10,
        "figures_differ": True,
        "quoted_as": None,
    }
    facts = {"date_kind": "captured", "date": "2026-12-01", "out_of_date": False, "also": [other]}
    quote = {"text": "About 30 percent", "publisher": "First", "title": "One", "url": None}
    shown = ParsedHtml(patient.quote_html(1, quote, facts))
    assert ("div", {"class": "mbc-differ"}) in shown.tags
    assert "Another page gives different figures: Second <i>Publisher</i>: Two" in shown.text
    assert "About 15 percent <script>x()</script>" in shown.text and ("script", {}) not in shown.tags
    assert ("a", {"href": "https://two.example/", "target": "_blank", "rel": "noopener noreferrer"}) in shown.tags


def test_a_status_this_page_does_not_know_yet_still_shows_its_message(page: AppTest):
    from ui import patient

    turn = patient.Turn(question="q", answer={"status": "declined", "message": "A new kind of reply.", "quotes": []})
    page.session_state["turns"] = [turn]
    page.run()
    assert not page.exception
    assert "A new kind of reply." in text_of(answers(page)[0])


def test_a_quote_in_context_shows_its_own_page_only_with_a_block_either_side(use_built_index):
    from ui import patient

    index = load(use_built_index.index_dir)
    for doc_id in index.blocks.doc_ids:
        blocks = sorted((index.blocks[i] for i in index.blocks.of_doc(doc_id)), key=lambda b: b.start)
        middle = blocks[len(blocks) // 2]
        page = index.texts[doc_id]
        shown = patient.context_html(index, doc_id, middle.start, middle.end, page[middle.start : middle.end])
        neighbours = blocks[len(blocks) // 2 - 1 : len(blocks) // 2 + 2]
        assert shown.count("<mark>") == 1 and shown.count("<p") == len(neighbours) == 3
        for block in neighbours:
            assert patient.escape(page[block.start : block.end]) in shown.replace("<mark>", "").replace("</mark>", "")
    assert patient.context_html(index, doc_id, 0, 5, "not the page's text") is None
