"""The patient page under Streamlit's AppTest, answering with the real model and index."""

from __future__ import annotations

import shutil
import threading
from html.parser import HTMLParser
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from index import ModelError, current_version, load, settings_from_env

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
    examples = [button.label for button in page.button]
    assert len(examples) == 4 and "Where does it usually spread?" in examples
    assert page.chat_input[0].placeholder == "Type your question here"


def test_footer_shows_the_index_version_and_date_and_what_is_stored(page: AppTest, use_built_index):
    manifest = load(use_built_index.index_dir).manifest
    footer = text_of(page.main)
    assert f"Index version {manifest.version}, built " in footer
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
            assert links == [{"href": quote["url"], "target": "_blank", "rel": "noopener noreferrer"}]
        else:
            assert links == []
    assert any(word in " ".join(q["text"] for q in turn.answer["quotes"]).lower() for word in ("bone", "liver"))
    assert [e.label for e in answer.expander] == [f"Show quote {n} in context" for n in range(1, len(quotes) + 1)]


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


def test_off_topic_question_is_refused_kindly_not_as_an_error(page: AppTest):
    ask(page, OFF_TOPIC)
    [answer] = answers(page)
    assert session_turns(page)[0].answer["status"] == "refused"
    assert not quotes_in(answer) and not answer.error and not answer.expander
    boxes = [p for p in parsed(answer) if ("div", {"class": "mbc-refused"}) in p.tags]
    assert boxes and "care team" in boxes[0].text


def test_urgent_message_comes_first_with_emergency_numbers_and_no_quotes(page: AppTest):
    ask(page, URGENT)
    [answer] = answers(page)
    assert session_turns(page)[0].answer["status"] == "urgent"
    first = parsed(answer)[0]
    assert ("div", {"class": "mbc-urgent", "role": "alert"}) in first.tags
    assert "Please get help now" in first.text and "emergency" in first.text and "999" in first.text
    assert not quotes_in(answer) and not answer.expander


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
    from ask.audit import AuditLog

    ask(page, SPREAD)
    turn = session_turns(page)[0]
    assert "Was this helpful?" in text_of(answers(page)[0])
    page.button(key=f"helpful-{turn.id}").click().run()
    assert not page.exception
    stored = AuditLog(settings_from_env().audit_db).answer(turn.answer_id)
    assert (stored.question, stored.helpful, stored.status) == (SPREAD, True, "answered")
    assert stored.index_version == turn.answer["index_version"]
    assert [q.text for q in stored.quotes] == [q["text"] for q in turn.answer["quotes"]]
    assert "You said this was helpful" in text_of(answers(page)[0])


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
    assert f"Index version {first}," in text_of(at.main)

    page = corpus_copy / "penn-medicine.txt"
    page.write_text(page.read_text(encoding="utf-8") + "\n\nA new paragraph about hospice at home.\n", encoding="utf-8")
    build(settings)
    second = current_version(index_dir)
    assert second != first
    ask(at, SPREAD)
    assert f"Index version {second}," in text_of(at.main)
    assert session_turns(at)[0].answer["index_version"] == second


def test_the_page_can_be_used_while_the_model_is_still_loading(use_built_index, monkeypatch, open_page):
    import index

    real = index.load_embedder
    ready = threading.Event()

    def slow_model():
        assert ready.wait(timeout=120)
        return real()

    monkeypatch.setattr(index, "load_embedder", slow_model)
    st.cache_resource.clear()  # a fresh server process: nothing loaded yet
    at = open_page()  # returns while the model waits for ``ready``, which nothing has set yet
    assert [button.key for button in at.button] == [f"example-{n}" for n in range(4)]
    assert at.chat_input and "Index version " in text_of(at.main)

    threading.Timer(1.0, ready.set).start()
    ask(at, SPREAD)  # asked before the model is ready: waits for it, then answers
    [turn] = session_turns(at)
    assert turn.answer["status"] == "answered" and quotes_in(answers(at)[0])


def test_a_model_that_failed_to_load_is_tried_again_by_the_next_question(use_built_index, monkeypatch, open_page):
    import index

    real = index.load_embedder

    def missing_model():
        raise ModelError("The embedding model's packages are not installed (torch).")

    monkeypatch.setattr(index, "load_embedder", missing_model)
    st.cache_resource.clear()
    at = open_page()
    ask(at, SPREAD)
    assert "something went wrong on our side" in text_of(answers(at)[0])

    monkeypatch.setattr(index, "load_embedder", real)  # the packages are back
    ask(at, SPREAD)
    assert session_turns(at)[1].answer["status"] == "answered" and quotes_in(answers(at)[1])
