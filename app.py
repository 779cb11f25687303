"""The patient chat page: a question in, passages quoted word for word from named pages out.

Run it with ``make run`` (or ``streamlit run app.py``). The page only renders what ``ask``
returns. Text that comes from a question or from a page is always escaped and shown through
``st.html``, never through Markdown, so it can never become a link, a script or formatting.

Kept in ``st.session_state`` per browser tab: the conversation (``turns``), a question picked
from the examples (``pending``) and the text of the last announcement for screen readers.
"""

from __future__ import annotations

import html
import json
import logging
import uuid
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import urlsplit

import streamlit as st

from index import (
    ChatbotError,
    Index,
    IndexMissingError,
    IndexUnavailableError,
    QuestionError,
    Settings,
    current_version,
    settings_from_env,
)

TITLE = "Questions about metastatic breast cancer"
EXAMPLE_QUESTIONS = (
    "Where does it usually spread?",
    "Can stage 4 breast cancer be cured?",
    "What is palliative care?",
    "Is it normal to feel angry and keep crying?",
)
# Quiet icons instead of the default red and orange faces.
USER_AVATAR = ":material/person:"
ANSWER_AVATAR = ":material/menu_book:"
INPUT_PLACEHOLDER = "Type your question here"
SEARCHING = "Looking through the pages…"
OPENING = "Opening the information pages… The first question takes a few seconds."
BUILD_COMMAND = "python -m ingest"
SOMETHING_WENT_WRONG = (
    "Sorry, something went wrong on our side and I could not answer this. Please try again in a moment."
)
CONTEXT_CHANGED = "This page has been updated since this answer, so the passage cannot be shown in its page any more."

log = logging.getLogger("mbc.app")

# Calm, readable styling. Text sizes are in rem so the reader's own browser zoom still applies.
STYLE = """
<style>
.mbc-sr { position: absolute; width: 1px; height: 1px; padding: 0; margin: -1px; overflow: hidden;
  clip: rect(0 0 0 0); white-space: nowrap; border: 0; }
.mbc-welcome p { margin: 0 0 0.5rem 0; line-height: 1.6; }
.mbc-text p { margin: 0 0 0.6rem 0; line-height: 1.6; white-space: pre-wrap; overflow-wrap: anywhere; }
.mbc-question { margin: 0; line-height: 1.6; white-space: pre-wrap; overflow-wrap: anywhere; }
.mbc-quote { margin: 0.75rem 0 0.25rem 0; }
.mbc-quote blockquote { margin: 0; padding: 0.6rem 1rem; border-left: 0.3rem solid #2b6f8f;
  background: #eef4f7; border-radius: 0 0.5rem 0.5rem 0; line-height: 1.6; white-space: pre-wrap;
  overflow-wrap: anywhere; }
.mbc-quote figcaption { margin: 0.35rem 0 0 0; font-size: 0.95rem; line-height: 1.5; overflow-wrap: anywhere; }
.mbc-cite-number { font-weight: 700; margin-right: 0.35rem; }
.mbc-quote a, .mbc-footer a { color: #1d5873; text-decoration: underline; }
.mbc-context p { margin: 0 0 0.6rem 0; line-height: 1.6; white-space: pre-wrap; overflow-wrap: anywhere; }
.mbc-context .mbc-heading { font-weight: 700; }
.mbc-context mark { background: #fde9a9; color: #1f2a30; padding: 0 0.1rem; border-radius: 0.2rem; }
.mbc-refused { padding: 0.8rem 1rem; border-radius: 0.5rem; background: #eaf2f8; border: 1px solid #b9d3e6; }
.mbc-refused p, .mbc-urgent p { margin: 0 0 0.4rem 0; line-height: 1.6; white-space: pre-wrap; }
.mbc-urgent { padding: 0.9rem 1rem; border-radius: 0.5rem; background: #fdecec; border: 2px solid #b42318;
  color: #5c0f0a; }
.mbc-urgent-title { font-weight: 700; font-size: 1.15rem; }
.mbc-feedback { margin: 0; }
.mbc-footer p { margin: 0 0 0.3rem 0; font-size: 0.9rem; line-height: 1.5; color: #3d4a52; }
</style>
"""

# A screen reader hears each new answer: one polite live region on document.body, created once
# and kept across reruns (Streamlit replaces its own elements' inner HTML, which screen readers
# do not reliably announce). The text is set through textContent, so it is never parsed as HTML.
ANNOUNCE_SCRIPT = """<script>
(function () {
  var text = %s;
  var region = document.getElementById("mbc-live");
  if (!region) {
    region = document.createElement("div");
    region.id = "mbc-live";
    region.className = "mbc-sr";
    region.setAttribute("role", "status");
    region.setAttribute("aria-live", "polite");
    document.body.appendChild(region);
  }
  region.textContent = text;
})();
</script>"""


@dataclass
class Turn:
    """One question and what the page showed for it."""

    question: str
    answer: dict | None = None  # ``Answer.to_dict()``; None when the question could not be answered
    problem: str = ""  # the calm sentence shown instead of an answer
    answer_id: int | None = None  # the audit row, when answers are stored
    helpful: bool | None = None
    id: str = field(default_factory=lambda: uuid.uuid4().hex[:12])


# --- loading, once per server process ------------------------------------------------------------


@st.cache_resource(show_spinner=False)
def start_loading_model() -> Future:
    """Start importing and loading the embedding model in the background, once per server process.

    That is most of a cold start (seconds, mostly importing torch and sentence-transformers), so the
    first visitor gets the page, its examples and its question box at once, and a question asked
    before the model is ready waits only for the rest of it.
    """
    from index import load_embedder

    loader = ThreadPoolExecutor(max_workers=1, thread_name_prefix="mbc-model")
    try:
        return loader.submit(load_embedder)
    finally:
        loader.shutdown(wait=False)  # the load goes on; the thread ends with it


@st.cache_resource(max_entries=2, show_spinner=False)
def open_index(index_dir: str, version: str, _settings: Settings) -> Index:
    """The served index, checked for answering; a new version is a new cache entry."""
    from ask import answerable_index

    return answerable_index(_settings)


@st.cache_resource(max_entries=2, show_spinner=False)
def load_bot(index_dir: str, version: str, _settings: Settings):
    """The answering side for one index version, once the model is ready (waits for it if not)."""
    from ask import Bot

    loading = start_loading_model()
    if loading.done() and loading.exception() is not None:
        start_loading_model.clear()  # the last try failed: try again for this question (its caller logs a failure)
        loading = start_loading_model()
    return Bot(open_index(index_dir, version, _settings), loading.result())


@st.cache_resource(show_spinner=False)
def open_audit_log(path: str):
    """The shared audit database (each call inside opens its own short connection)."""
    from ask.audit import AuditLog

    return AuditLog(path)


def audit_is_storing(settings: Settings) -> bool:
    """Whether answers are being stored: the database opens, and its last write in this process worked."""
    from ask.audit import last_failure

    try:
        open_audit_log(str(settings.audit_db))
    except ChatbotError:
        return False  # AuditLog logged why
    return last_failure(settings.audit_db) is None


# --- pure helpers ------------------------------------------------------------------------------


def escape(text: str) -> str:
    """Page or question text, made inert for ``st.html``."""
    return html.escape(text, quote=True)


def paragraphs(text: str) -> str:
    """Our own messages as HTML paragraphs, escaped."""
    parts = [part.strip() for part in text.split("\n\n") if part.strip()]
    return "".join(f"<p>{escape(part)}</p>" for part in parts)


def safe_url(url: str | None) -> str | None:
    """An address worth linking to: http(s) only."""
    if not url:
        return None
    parts = urlsplit(url.strip())
    return url.strip() if parts.scheme in {"http", "https"} and parts.netloc else None


def format_built_at(built_at: str) -> str:
    """``2026-11-22T06:30:00+00:00`` → ``22 November 2026``."""
    try:
        moment = datetime.fromisoformat(built_at)
    except ValueError:
        return built_at
    return f"{moment.day} {moment:%B %Y}"


def context_html(index: Index, quote: dict) -> str | None:
    """The quote's block(s) with one block before and after, the quoted span marked; None if the page changed."""
    text = index.texts.get(quote["doc_id"])
    start, end = int(quote["start"]), int(quote["end"])
    if text is None or text[start:end] != quote["text"]:
        return None
    blocks = sorted((b for b in index.blocks if b.doc_id == quote["doc_id"]), key=lambda b: b.start)
    inside = [i for i, b in enumerate(blocks) if b.start < end and start < b.end]
    if not inside:
        return f"<p><mark>{escape(quote['text'])}</mark></p>"
    shown = blocks[max(0, inside[0] - 1) : inside[-1] + 2]
    parts = []
    for block in shown:
        mark_start, mark_end = max(start, block.start), min(end, block.end)
        if mark_start < mark_end:
            body = (
                escape(text[block.start : mark_start])
                + "<mark>"
                + escape(text[mark_start:mark_end])
                + "</mark>"
                + escape(text[mark_end : block.end])
            )
        else:
            body = escape(text[block.start : block.end])
        css = ' class="mbc-heading"' if block.kind == "heading" else ""
        parts.append(f"<p{css}>{body}</p>")
    return "".join(parts)


def quote_html(number: int, quote: dict) -> str:
    """One quotation with its numbered citation: publisher, page title and a link when known."""
    url = safe_url(quote.get("url"))
    link = ""
    if url:
        link = (
            f' · <a href="{escape(url)}" target="_blank" rel="noopener noreferrer">Open the page'
            f'<span class="mbc-sr"> {escape(quote["title"])} (opens in a new tab)</span></a>'
        )
    return (
        f'<figure class="mbc-quote" aria-label="Quote {number}">'
        f"<blockquote>{escape(quote['text'])}</blockquote>"
        f'<figcaption><span class="mbc-cite-number">[{number}]</span>'
        f"{escape(quote['publisher'])}: <cite>{escape(quote['title'])}</cite>{link}</figcaption>"
        "</figure>"
    )


def history_of(turns: list[Turn]) -> list[dict]:
    """Earlier turns in the answering contract's shape: what was asked and what was quoted back."""
    history: list[dict] = []
    for turn in turns:
        if turn.answer is None:
            continue
        history.append({"role": "user", "content": turn.question})
        said = [turn.answer["message"], *(q["text"] for q in turn.answer["quotes"])]
        history.append({"role": "assistant", "content": "\n\n".join(said)})
    return history


def announcement(turn: Turn) -> str:
    """What a screen reader hears when this turn's answer arrives."""
    if turn.answer is None:
        return turn.problem
    count = len(turn.answer["quotes"])
    quotes = {0: "", 1: " One quoted passage follows."}.get(count, f" {count} quoted passages follow.")
    return f'Answer to your question "{turn.question}". {turn.answer["message"]}{quotes}'


# --- session state -----------------------------------------------------------------------------


def turns() -> list[Turn]:
    return st.session_state.setdefault("turns", [])


def ask_example(question: str) -> None:
    st.session_state["pending"] = question


def new_conversation() -> None:
    st.session_state["turns"] = []
    st.session_state["announcement"] = "New conversation started."


def give_feedback(turn_id: str, helpful: bool, audit_path: str) -> None:
    for turn in turns():
        if turn.id == turn_id and turn.answer_id is not None:
            try:
                open_audit_log(audit_path).set_feedback(turn.answer_id, helpful)
            except ChatbotError:
                log.exception("feedback for answer %s could not be stored", turn.answer_id)
                return
            turn.helpful = helpful
            st.session_state["announcement"] = "Thank you. Your feedback is saved."


# --- rendering ---------------------------------------------------------------------------------


def render_welcome() -> None:
    st.title(TITLE, anchor=False)
    st.html(
        '<div class="mbc-welcome">'
        "<p>Ask a question about metastatic (stage 4) breast cancer.</p>"
        "<p>Each answer is quoted word for word from patient-information pages, "
        "and names the page it comes from.</p>"
        "<p>This is not medical advice. Your care team knows you best, so please ask them "
        "about anything that worries you.</p>"
        "</div>"
    )


def render_examples() -> None:
    st.subheader("You could ask")
    for number, question in enumerate(EXAMPLE_QUESTIONS):
        st.button(question, key=f"example-{number}", on_click=ask_example, args=(question,))


def render_answer(turn: Turn, index: Index | None, settings: Settings) -> None:
    if turn.answer is None:
        st.html(f'<div class="mbc-refused">{paragraphs(turn.problem)}</div>')
        return
    answer = turn.answer
    if answer["status"] == "urgent":
        st.html(
            '<div class="mbc-urgent" role="alert">'
            '<p class="mbc-urgent-title">Please get help now</p>'
            f"{paragraphs(answer['message'])}</div>"
        )
    elif answer["status"] == "refused":
        st.html(f'<div class="mbc-refused">{paragraphs(answer["message"])}</div>')
    else:
        st.html(f'<div class="mbc-text">{paragraphs(answer["message"])}</div>')
        for number, quote in enumerate(answer["quotes"], start=1):
            st.html(quote_html(number, quote))
            with st.expander(f"Show quote {number} in context"):
                context = context_html(index, quote) if index is not None else None
                st.html(f'<div class="mbc-context">{context or paragraphs(CONTEXT_CHANGED)}</div>')
    if turn.answer_id is not None and audit_is_storing(settings):
        render_feedback(turn, settings)


def render_feedback(turn: Turn, settings: Settings) -> None:
    path = str(settings.audit_db)
    with st.container(horizontal=True, vertical_alignment="center", gap="small"):
        st.html('<p class="mbc-feedback">Was this helpful?</p>', width="content")
        st.button("Yes, it helped", key=f"helpful-{turn.id}", on_click=give_feedback, args=(turn.id, True, path))
        st.button("No, it did not", key=f"unhelpful-{turn.id}", on_click=give_feedback, args=(turn.id, False, path))
    if turn.helpful is not None:
        said = "helpful" if turn.helpful else "not helpful"
        st.caption(f"Thank you. You said this was {said}. Your feedback is saved on this computer.")


def render_turn(turn: Turn, index: Index | None, settings: Settings) -> None:
    with st.chat_message("user", avatar=USER_AVATAR):
        st.html(f'<p class="mbc-question">{escape(turn.question)}</p>')
    with st.chat_message("assistant", avatar=ANSWER_AVATAR):
        render_answer(turn, index, settings)


def render_footer(index: Index, settings: Settings) -> None:
    manifest = index.manifest
    if settings.audit_enabled and not audit_is_storing(settings):
        privacy = (
            "Privacy: your questions cannot be saved right now, so clinical staff will not see them. "
            "Nothing leaves this computer."
        )
    elif settings.audit_enabled:
        privacy = (
            "Privacy: your questions, the answers and your feedback are saved on this computer only, "
            "with the index version, so that clinical staff can check the answers. Nothing leaves this computer."
        )
    else:
        privacy = "Privacy: nothing you type is saved, and nothing leaves this computer."
    publishers = ", ".join(sorted({page.publisher for page in manifest.pages}))
    st.divider()
    st.html(
        '<div class="mbc-footer">'
        f"<p>{escape(privacy)}</p>"
        f"<p>Pages quoted: {escape(publishers)}.</p>"
        f"<p>Index version {escape(manifest.version)}, built {escape(format_built_at(manifest.built_at))}.</p>"
        "</div>"
    )


def render_no_index() -> None:
    st.info("The information pages have not been prepared yet, so I cannot answer questions.")
    st.markdown("Whoever looks after this computer can prepare them with one command, then reload this page:")
    st.code(BUILD_COMMAND, language="bash")
    st.caption("Or use `make run`, which prepares them and starts this page.")


def render_broken_index() -> None:
    st.info("The information pages cannot be opened right now, so I cannot answer questions.")
    st.markdown("Whoever looks after this computer can rebuild them with one command, then reload this page:")
    st.code(f"{BUILD_COMMAND} --full", language="bash")


def announce(text: str) -> None:
    # json.dumps escapes quotes; the extra replacements stop text from closing the <script> tag.
    literal = json.dumps(text).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    st.html(ANNOUNCE_SCRIPT % literal, unsafe_allow_javascript=True)


# --- answering -----------------------------------------------------------------------------------


def answer_question(question: str, version: str, settings: Settings) -> Turn:
    turn = Turn(question=question)
    history = history_of(turns())
    try:
        bot = load_bot(str(settings.index_dir), version, settings)
        answer = bot.ask(question, history=history)
    except QuestionError as exc:
        turn.problem = str(exc)
        return turn
    except ChatbotError:
        log.exception("a question could not be answered")
        turn.problem = SOMETHING_WENT_WRONG
        return turn
    turn.answer = answer.to_dict()
    if settings.audit_enabled:
        try:
            turn.answer_id = open_audit_log(str(settings.audit_db)).record(answer, history_len=len(history))
        except ChatbotError:
            log.exception("an answer could not be stored in the audit database")
    return turn


def main() -> None:
    st.set_page_config(page_title=TITLE, page_icon="💬", layout="centered")
    st.html(STYLE)
    settings = settings_from_env()
    start_loading_model()
    render_welcome()
    try:
        version = current_version(settings.index_dir)
        if version is None:
            render_no_index()
            return
        index = open_index(str(settings.index_dir), version, settings)
    except IndexMissingError:
        render_no_index()
        return
    except IndexUnavailableError:
        log.exception("the index at %s cannot be loaded", settings.index_dir)
        render_broken_index()
        return
    except ChatbotError:
        log.exception("the index cannot be opened")
        st.info(SOMETHING_WENT_WRONG)
        return

    conversation = turns()
    if not conversation:
        render_examples()
    for turn in conversation:
        render_turn(turn, index, settings)

    question = st.chat_input(INPUT_PLACEHOLDER) or st.session_state.pop("pending", None)
    if question:
        with st.chat_message("user", avatar=USER_AVATAR):
            st.html(f'<p class="mbc-question">{escape(question)}</p>')
        waiting = SEARCHING if start_loading_model().done() else OPENING
        with st.chat_message("assistant", avatar=ANSWER_AVATAR), st.spinner(waiting):
            turn = answer_question(question, version, settings)
        conversation.append(turn)
        st.session_state["announcement"] = announcement(turn)
        st.rerun()

    if conversation:
        st.button("New conversation", key="new-conversation", on_click=new_conversation, type="secondary")
    render_footer(index, settings)
    announce(st.session_state.get("announcement", ""))


if __name__ == "__main__":
    main()
