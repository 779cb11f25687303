"""The patient chat page: a question in, passages quoted word for word from named pages out.

Run it with ``make run`` (the launcher ``serve.py``, which loads the model before the server
listens) or ``streamlit run app.py``. The page only renders what ``ask`` returns. Text that comes
from a question or from a page is always escaped and shown through ``st.html``, never through
Markdown, so it can never become a link, a script or formatting.

Kept in ``st.session_state`` per browser tab: the conversation (``turns``), a question picked
from the examples or suggestions (``pending``) and the text of the last announcement for screen
readers.
"""

from __future__ import annotations

import html
import json
import logging
import re
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import Annotated
from urllib.parse import urlsplit

import streamlit as st
from pydantic import StringConstraints

from ask import ANSWERED, REFUSED, URGENT
from errors import ChatbotError, IndexMissingError, IndexUnavailableError, QuestionError
from index import Index, current_version
from prompts import PROMPTS_DIR, NonEmptyText, PromptFile, read_prompt_file
from settings import Settings, settings_from_env
from ui import saved_conversation
from ui.quote_sources import date_line, source_facts
from ui.serving import load_bot, load_notes, load_suggester, open_audit_log, open_index, start_loading_model

TITLE = "Questions about metastatic breast cancer"
INTRO = "Answers are quoted word for word from patient-information pages, each with its source."
NOT_ADVICE = (
    "This is not medical advice. Your care team knows you best: please ask them about anything that worries you."
)
EXAMPLE_QUESTIONS = (
    "Where does it usually spread?",
    "Can stage 4 breast cancer be cured?",
    "What is palliative care?",
    "Where can I find emotional support?",
)
# Quiet icons instead of the default red and orange faces (hidden on phones, where they cost width).
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
# A question about something the pages never touch ("what is the capital of France") is not one
# for the care team: say what the pages are about instead.
OFF_TOPIC = (
    "I'm sorry, I can only help with questions about metastatic breast cancer, and the information "
    "pages I quote from don't cover that. If it is about your health or your care, your care team is "
    "the best place to ask."
)
SUGGESTIONS_INTRO = "The pages do answer these questions, which may be near what you asked:"
FEEDBACK_OPTIONS = ("Yes", "No")
HELPLINES_FILE = PROMPTS_DIR / "helplines.toml"

log = logging.getLogger("mbc.app")

# Calm, readable styling (patient.css beside this file). Text sizes are in rem so the reader's own browser zoom
# still applies.
STYLE = f"\n<style>\n{(Path(__file__).with_name('patient.css')).read_text(encoding='utf-8')}</style>\n"

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

# Streamlit keeps a chat page scrolled to its newest element. A new visitor must see the top of the
# page (title, intro, not-medical-advice line), and after a new answer the reader should see its
# question at the top of the screen with the answer under it, not the end of a long answer. Once
# per screen (``place``: "top" or the id of the newest turn), for a few seconds while the page
# settles, and never after the reader has started scrolling, touching or typing.
PLACE_SCRIPT = """<script>
(function () {
  var place = %s, position = %d;
  if (window.mbcPlaced === place) return;
  window.mbcPlaced = place;
  var started = Date.now();
  if (!window.mbcReaderWatch) {
    window.mbcReaderWatch = true;
    ["wheel", "touchstart", "keydown", "mousedown"].forEach(function (kind) {
      window.addEventListener(kind, function (event) { if (event.isTrusted) window.mbcReaderAt = Date.now(); },
        {capture: true, passive: true});
    });
  }
  function settle() {
    if (window.mbcPlaced !== place) return;  // a newer screen took over
    if (window.mbcReaderAt && window.mbcReaderAt > started + 300) return;  // the reader is moving: leave it
    var box = document.querySelector('[data-testid="stAppScrollToBottomContainer"]');
    var messages = document.querySelectorAll('[data-testid="stChatMessage"]');
    if (box) {
      var target = 0;
      if (position >= 0 && messages.length > position) {
        target = box.scrollTop + messages[position].getBoundingClientRect().top - box.getBoundingClientRect().top - 8;
      }
      if (position < 0 || messages.length > position) {
        if (Math.abs(box.scrollTop - target) > 2) {
          // An upward wheel tells Streamlit's stick-to-bottom that the reader left the bottom.
          box.dispatchEvent(new WheelEvent("wheel", {deltaY: -100, bubbles: true}));
          box.scrollTop = Math.max(0, target);
        }
      }
    }
    if (Date.now() - started < 3000) setTimeout(settle, 120);
  }
  settle();
})();
</script>"""

# "Print this conversation" opens the saved page in a new window and prints it. The page is passed as
# a JSON string; the button is found by its id inside the element Streamlit rendered.
PRINT_SCRIPT = """<button type="button" class="mbc-print" id="mbc-print">Print this conversation</button>
<script>
(function () {
  var page = %s;
  function attach() {
    var button = document.getElementById("mbc-print");
    if (!button) { setTimeout(attach, 100); return; }
    button.onclick = function () {
      var opened = window.open("", "_blank");
      if (!opened) return;
      opened.document.open();
      opened.document.write(page);
      opened.document.close();
      opened.focus();
      setTimeout(function () { opened.print(); }, 300);
    };
  }
  attach();
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
    reason: str = ""  # ``Answer.reason``; only its prefix ("urgent:", "refused:") and self-harm are read
    facts: list[dict] = field(default_factory=list)  # per quote: ``quote_sources.source_facts``
    suggestions: list[str] = field(default_factory=list)  # under a refusal: questions the pages answer
    off_topic: bool = False  # a refusal of a question far from every page
    id: str = field(default_factory=lambda: uuid.uuid4().hex[:12])

    @property
    def status(self) -> str | None:
        return self.answer["status"] if self.answer else None


def audit_is_storing(settings: Settings) -> bool:
    """Whether answers are being stored: the database opens, and its last write in this process worked."""
    from audit import last_failure

    try:
        open_audit_log(str(settings.audit_db))
    except ChatbotError:
        return False  # AuditLog logged why
    return last_failure(settings.audit_db) is None


# --- pure helpers ------------------------------------------------------------------------------


def escape(text: str) -> str:
    """Page or question text, made inert for ``st.html``."""
    return html.escape(text, quote=True)


def paragraphs(text: str, *, linkify=None) -> str:
    """Our own messages as HTML paragraphs, escaped (``linkify`` then adds tel: links to the escaped text)."""
    parts = [part.strip() for part in text.split("\n\n") if part.strip()]
    return "".join(f"<p>{(linkify or (lambda s: s))(escape(part))}</p>" for part in parts)


def safe_url(url: str | None) -> str | None:
    """An address worth linking to: http(s) only."""
    if not url:
        return None
    parts = urlsplit(url.strip())
    return url.strip() if parts.scheme in {"http", "https"} and parts.netloc else None


class _Helpline(PromptFile):
    label: NonEmptyText
    detail: NonEmptyText
    number: Annotated[str, StringConstraints(pattern=r"^[0-9]+$")]  # what the phone dials: digits only
    shown: NonEmptyText


class _Helplines(PromptFile):
    crisis: tuple[_Helpline, ...] = ()
    emergency: tuple[_Helpline, ...] = ()


@cache
def helplines() -> dict[str, tuple[dict, ...]]:
    """``{"crisis": (...), "emergency": (...)}`` from ``prompts/helplines.toml``; each has label, detail, number, shown."""
    data = read_prompt_file(HELPLINES_FILE, _Helplines, "helplines file")
    return {group: tuple(line.model_dump() for line in getattr(data, group)) for group in ("crisis", "emergency")}


def is_self_harm(reason: str) -> bool:
    """Whether an urgent answer's reason is about self-harm (``urgent: self_harm...``)."""
    head, _, rest = reason.partition(":")
    return head.strip() == URGENT and bool(re.search(r"self[\s_-]*harm|suicid", rest, re.IGNORECASE))


def call_order(reason: str) -> list[dict]:
    """The numbers to offer, crisis lines first for self-harm, emergency numbers first otherwise."""
    lines = helplines()
    if is_self_harm(reason):
        return [*lines["crisis"], *lines["emergency"]]
    return list(lines["emergency"])


def tel_links(escaped: str) -> str:
    """Known helpline numbers in an escaped message become tel: links (the text itself is ours)."""
    numbers = {line["shown"]: line["number"] for group in helplines().values() for line in group}
    if not numbers:
        return escaped
    pattern = re.compile(
        r"(?<![\d\w])(" + "|".join(re.escape(s) for s in sorted(numbers, key=len, reverse=True)) + r")(?![\d\w])"
    )
    return pattern.sub(lambda m: f'<a href="tel:{numbers[m.group(1)]}">{m.group(1)}</a>', escaped)


def urgent_html(answer: dict, reason: str) -> str:
    calls = "".join(
        f'<li><a class="mbc-call" href="tel:{escape(line["number"])}">{escape(line["label"])}</a>'
        f'<span class="mbc-call-detail">{escape(line["detail"])}</span></li>'
        for line in call_order(reason)
    )
    return (
        '<div class="mbc-urgent" role="alert">'
        '<p class="mbc-urgent-title">Please get help now</p>'
        f'<ul class="mbc-calls" aria-label="Phone numbers">{calls}</ul>'
        f"{paragraphs(answer['message'], linkify=tel_links)}</div>"
    )


def context_html(index: Index, doc_id: str, start: int, end: int, text: str) -> str | None:
    """The span's block(s) with one block before and after, the span marked; None if the page changed."""
    page = index.texts.get(doc_id)
    if page is None or page[start:end] != text:
        return None
    # Only this page's blocks (stored page by page): the index may hold millions.
    page_blocks = index.blocks.of_doc(doc_id) if doc_id in index.blocks.doc_ids else range(0)
    blocks = sorted((index.blocks[i] for i in page_blocks), key=lambda b: b.start)
    inside = [i for i, b in enumerate(blocks) if b.start < end and start < b.end]
    if not inside:
        return f"<p><mark>{escape(text)}</mark></p>"
    shown = blocks[max(0, inside[0] - 1) : inside[-1] + 2]
    parts = []
    for block in shown:
        mark_start, mark_end = max(start, block.start), min(end, block.end)
        if mark_start < mark_end:
            body = (
                escape(page[block.start : mark_start])
                + "<mark>"
                + escape(page[mark_start:mark_end])
                + "</mark>"
                + escape(page[mark_end : block.end])
            )
        else:
            body = escape(page[block.start : block.end])
        css = ' class="mbc-heading"' if block.kind == "heading" else ""
        parts.append(f"<p{css}>{body}</p>")
    return "".join(parts)


def source_html(publisher: str, title: str, url: str | None) -> str:
    """``Publisher: Title · Open the page`` (the link only for an http(s) address)."""
    link = ""
    address = safe_url(url)
    if address:
        link = (
            f' · <a href="{escape(address)}" target="_blank" rel="noopener noreferrer">Open the page'
            f'<span class="mbc-sr"> {escape(title)} (opens in a new tab)</span></a>'
        )
    return f"{escape(publisher)}: <cite>{escape(title)}</cite>{link}"


def quote_html(number: int, quote: dict, facts: dict | None = None) -> str:
    """One quotation with its numbered citation, the page's date and the other pages that say the same."""
    facts = facts or {}
    lines = [
        f'<p><span class="mbc-cite-number">[{number}]</span>{source_html(quote["publisher"], quote["title"], quote.get("url"))}</p>'
    ]
    when = date_line(facts)
    if when:
        stale = ' · <span class="mbc-stale">This page may be out of date.</span>' if facts.get("out_of_date") else ""
        lines.append(f'<p class="mbc-date">{escape(when)}{stale}</p>')
    agreeing = [other for other in facts.get("also", []) if not other["figures_differ"]]
    if agreeing:
        names = ", ".join(escape(other["publisher"]) for other in agreeing)
        lines.append(f'<p class="mbc-also-by">Also said by: {names}</p>')
    differing = "".join(_differing_html(other) for other in facts.get("also", []) if other["figures_differ"])
    return (
        f'<figure class="mbc-quote" aria-label="Quote {number}">'
        f"<blockquote>{escape(quote['text'])}</blockquote>"
        f"<figcaption>{''.join(lines)}{differing}</figcaption>"
        "</figure>"
    )


def _differing_html(other: dict) -> str:
    """Another page's different figures: pointed to when the answer quotes it, else shown with its source."""
    if other.get("quoted_as"):
        return (
            f'<div class="mbc-differ"><p>Quote [{other["quoted_as"]}] gives different figures: '
            f"{escape(other['publisher'])}</p></div>"
        )
    source = source_html(other["publisher"], other["title"], other.get("url"))
    return (
        f'<div class="mbc-differ"><p>Another page gives different figures: {source}</p>'
        f"<p>“{escape(other['text'])}”</p></div>"
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


def shown_message(turn: Turn) -> str:
    """What the page says in its own words for this turn."""
    if turn.answer is None:
        return turn.problem
    if turn.off_topic:
        return OFF_TOPIC
    return turn.answer["message"]


def announcement(turn: Turn) -> str:
    """What a screen reader hears when this turn's answer arrives."""
    if turn.answer is None:
        return turn.problem
    count = len(turn.answer["quotes"])
    quotes = {0: "", 1: " One quoted passage follows."}.get(count, f" {count} quoted passages follow.")
    return f'Answer to your question "{turn.question}". {shown_message(turn)}{quotes}'


# --- session state -----------------------------------------------------------------------------


def turns() -> list[Turn]:
    return st.session_state.setdefault("turns", [])


def ask_example(question: str) -> None:
    st.session_state["pending"] = question


def new_conversation() -> None:
    st.session_state["turns"] = []
    st.session_state["announcement"] = "New conversation started."


def give_feedback(turn_id: str, audit_path: str) -> None:
    """The choice in the turn's feedback control, stored; choosing again replaces it (it cannot be unset)."""
    key = f"feedback-{turn_id}"
    for turn in turns():
        if turn.id != turn_id or turn.answer_id is None:
            continue
        choice = st.session_state.get(key)
        if choice not in FEEDBACK_OPTIONS:
            # A second click on the chosen button clears the control: keep the choice already saved.
            st.session_state[key] = None if turn.helpful is None else FEEDBACK_OPTIONS[0 if turn.helpful else 1]
            return
        helpful = choice == FEEDBACK_OPTIONS[0]
        try:
            open_audit_log(audit_path).set_feedback(turn.answer_id, helpful)
        except ChatbotError:
            log.exception("feedback for answer %s could not be stored", turn.answer_id)
            st.session_state[key] = None if turn.helpful is None else FEEDBACK_OPTIONS[0 if turn.helpful else 1]
            return
        turn.helpful = helpful
        st.session_state["announcement"] = "Thank you. Your feedback is saved."


# --- rendering ---------------------------------------------------------------------------------


def render_welcome() -> None:
    st.title(TITLE, anchor=False)
    st.html(f'<div class="mbc-welcome"><p>{escape(INTRO)}</p><p class="mbc-advice">{escape(NOT_ADVICE)}</p></div>')


def render_examples() -> None:
    st.subheader("You could ask", anchor=False)
    for number, question in enumerate(EXAMPLE_QUESTIONS):
        st.button(question, key=f"example-{number}", on_click=ask_example, args=(question,))


def render_answer(turn: Turn, index: Index | None, settings: Settings, *, say_opening: bool) -> None:
    if turn.answer is None:
        st.html(f'<div class="mbc-refused">{paragraphs(turn.problem)}</div>')
        return
    answer = turn.answer
    if answer["status"] == URGENT:
        st.html(urgent_html(answer, turn.reason))
        return  # no feedback prompt under an emergency
    if answer["status"] == REFUSED:
        st.html(f'<div class="mbc-refused">{paragraphs(shown_message(turn))}</div>')
        render_suggestions(turn)
    else:
        # The answers' shared opening once per conversation; any other status's message every time.
        if say_opening or answer["status"] != ANSWERED:
            st.html(f'<div class="mbc-text">{paragraphs(answer["message"])}</div>')
        for number, quote in enumerate(answer["quotes"], start=1):
            facts = turn.facts[number - 1] if number - 1 < len(turn.facts) else {}
            st.html(quote_html(number, quote, facts))
            with st.expander(f"Show quote {number} in context"):
                context = (
                    context_html(index, quote["doc_id"], int(quote["start"]), int(quote["end"]), quote["text"])
                    if index is not None
                    else None
                )
                st.html(f'<div class="mbc-context">{context or paragraphs(CONTEXT_CHANGED)}</div>')
            agreeing = [other for other in facts.get("also", []) if not other["figures_differ"]]
            if agreeing:
                with st.expander(f"Show what the other pages say ({len(agreeing)})"):
                    render_also(agreeing, index)
    if turn.answer_id is not None and audit_is_storing(settings):
        render_feedback(turn, settings)


def render_also(others: list[dict], index: Index | None) -> None:
    """The other pages' sentences saying the same, each with its source and its place in its page."""
    parts = []
    for other in others:
        context = (
            context_html(index, other["doc_id"], int(other["start"]), int(other["end"]), other["text"])
            if index is not None
            else None
        )
        parts.append(
            f'<section class="mbc-also"><p><strong>{source_html(other["publisher"], other["title"], other.get("url"))}'
            f'</strong></p><div class="mbc-context">{context or paragraphs(CONTEXT_CHANGED)}</div></section>'
        )
    st.html("".join(parts))


def render_suggestions(turn: Turn) -> None:
    if not turn.suggestions:
        return
    st.html(f'<p class="mbc-feedback">{escape(SUGGESTIONS_INTRO)}</p>')
    for number, question in enumerate(turn.suggestions):
        st.button(question, key=f"suggest-{turn.id}-{number}", on_click=ask_example, args=(question,))


def render_feedback(turn: Turn, settings: Settings) -> None:
    key = f"feedback-{turn.id}"
    if key not in st.session_state and turn.helpful is not None:
        st.session_state[key] = FEEDBACK_OPTIONS[0 if turn.helpful else 1]
    with st.container(horizontal=True, vertical_alignment="center", gap="small"):
        st.html('<p class="mbc-feedback">Was this helpful?</p>', width="content")
        st.segmented_control(
            "Helpful?",  # collapsed: the line beside it asks the question
            FEEDBACK_OPTIONS,
            key=key,
            label_visibility="collapsed",
            on_change=give_feedback,
            args=(turn.id, str(settings.audit_db)),
            width="content",
        )
    if turn.helpful is not None:
        said = "helpful" if turn.helpful else "not helpful"
        st.caption(f"Thank you. You said this was {said}; you can change it. Saved on this computer.")


def render_turn(turn: Turn, index: Index | None, settings: Settings, *, say_opening: bool) -> None:
    with st.chat_message("user", avatar=USER_AVATAR):
        st.html(f'<p class="mbc-question">{escape(turn.question)}</p>')
    with st.chat_message("assistant", avatar=ANSWER_AVATAR):
        render_answer(turn, index, settings, say_opening=say_opening)


def render_conversation(conversation: list[Turn], index: Index, settings: Settings) -> None:
    """Every turn; the answers' shared opening is said once, with the first answer that has quotes."""
    said: set[str] = set()
    for turn in conversation:
        message = turn.answer["message"] if turn.status == ANSWERED else None
        render_turn(turn, index, settings, say_opening=message is not None and message not in said)
        if message is not None:
            said.add(message)


def render_save(conversation: list[Turn]) -> None:
    """New conversation, and the conversation saved as a page to print or keep."""
    page = saved_conversation.render(
        conversation, saved_at=datetime.now().astimezone(), title=TITLE, message_of=shown_message
    )
    with st.container(horizontal=True, gap="small"):
        st.download_button(
            "Save this conversation",
            data=page.encode("utf-8"),
            file_name=f"conversation-{date.today().isoformat()}.html",
            mime="text/html",
            key="save-conversation",
            on_click="ignore",
        )
        literal = json.dumps(page).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
        st.html(PRINT_SCRIPT % literal, unsafe_allow_javascript=True, width="content")
        st.button("New conversation", key="new-conversation", on_click=new_conversation, type="secondary")


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
            "so that clinical staff can check the answers. Nothing leaves this computer."
        )
    else:
        privacy = "Privacy: nothing you type is saved, and nothing leaves this computer."
    publishers = ", ".join(sorted({page.publisher for page in manifest.pages}))
    st.divider()
    st.html(f'<div class="mbc-footer"><p>{escape(privacy)}</p><p>Pages quoted: {escape(publishers)}.</p></div>')


def render_no_index() -> None:
    st.info("The information pages have not been prepared yet, so I cannot answer questions.")
    st.markdown("Whoever looks after this computer can prepare them with one command, then reload this page:")
    st.code(BUILD_COMMAND, language="bash")
    st.caption("Or use `make run`, which prepares them and starts this page.")


def render_broken_index() -> None:
    st.info("The information pages cannot be opened right now, so I cannot answer questions.")
    st.markdown("Whoever looks after this computer can rebuild them with one command, then reload this page:")
    st.code(f"{BUILD_COMMAND} --full", language="bash")


def place(screen: str, position: int) -> None:
    """Show the top of the page (``position`` -1) or chat message ``position`` at the top, once per ``screen``."""
    st.html(PLACE_SCRIPT % (json.dumps(screen), position), unsafe_allow_javascript=True)


def announce(text: str) -> None:
    # json.dumps escapes quotes; the extra replacements stop text from closing the <script> tag.
    literal = json.dumps(text).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    st.html(ANNOUNCE_SCRIPT % literal, unsafe_allow_javascript=True)


# --- answering -----------------------------------------------------------------------------------


def answer_question(question: str, version: str, settings: Settings, *, standalone: bool = False) -> Turn:
    """Answer ``question`` after the conversation so far, or on its own when ``standalone``: an example
    or a suggested question is a whole question taken from the pages, not a follow-up."""
    turn = Turn(question=question)
    history = [] if standalone else history_of(turns())
    index_dir = str(settings.index_dir)
    try:
        bot = load_bot(index_dir, version, settings)
        answer = bot.ask(question, history=history)
    except QuestionError as exc:
        turn.problem = str(exc)
        return turn
    except ChatbotError:
        log.exception("a question could not be answered")
        turn.problem = SOMETHING_WENT_WRONG
        return turn
    turn.answer = answer.to_dict()
    turn.reason = answer.reason
    add_sources_and_suggestions(turn, version, settings)
    if settings.audit_enabled:
        try:
            turn.answer_id = open_audit_log(str(settings.audit_db)).record(answer, history_len=len(history))
        except ChatbotError:
            log.exception("an answer could not be stored in the audit database")
    return turn


def add_sources_and_suggestions(turn: Turn, version: str, settings: Settings) -> None:
    """Dates and agreeing pages for each quote; suggested questions for a refusal. Never fails the answer."""
    index_dir = str(settings.index_dir)
    try:
        if turn.status == ANSWERED:
            index = open_index(index_dir, version, settings)
            notes = load_notes(index_dir, version, settings)
            today = date.today()
            quotes = turn.answer["quotes"]
            turn.facts = [
                source_facts(index, notes, quote, today=today, max_age_years=settings.page_max_age_years)
                for quote in quotes
            ]
            for facts in turn.facts:
                # A page quoted in this answer already is not named again under another quote, unless it
                # gives different figures: then the quote points to it.
                kept = []
                for other in facts["also"]:
                    number = _quoted_as(other, quotes)
                    if number is None or other["figures_differ"]:
                        kept.append({**other, "quoted_as": number})
                facts["also"] = kept
        elif turn.status == REFUSED and turn.reason.partition(":")[0].strip() == REFUSED:
            suggester = load_suggester(index_dir, version, settings)
            turn.suggestions = suggester.suggest(turn.question)
            turn.off_topic = not turn.suggestions and suggester.far_from_pages(turn.question)
    except ChatbotError:
        log.exception("the sources or suggestions for an answer could not be worked out")


def _quoted_as(other: dict, quotes: list[dict]) -> int | None:
    """The number of the answer's quote that the other page's sentence overlaps, if any."""
    for number, q in enumerate(quotes, start=1):
        if q["doc_id"] == other["doc_id"] and int(q["start"]) < other["end"] and other["start"] < int(q["end"]):
            return number
    return None


def main() -> None:
    st.set_page_config(page_title=TITLE, page_icon=":material/menu_book:", layout="centered")
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
    render_conversation(conversation, index, settings)

    typed = st.chat_input(INPUT_PLACEHOLDER)
    tapped = st.session_state.pop("pending", None)  # an example or a suggestion
    question = typed or tapped
    if question:
        with st.chat_message("user", avatar=USER_AVATAR):
            st.html(f'<p class="mbc-question">{escape(question)}</p>')
        waiting = SEARCHING if start_loading_model().done() else OPENING
        with st.chat_message("assistant", avatar=ANSWER_AVATAR), st.spinner(waiting):
            turn = answer_question(question, version, settings, standalone=not typed)
        conversation.append(turn)
        st.session_state["announcement"] = announcement(turn)
        st.rerun()

    if conversation:
        render_save(conversation)
        place(conversation[-1].id, 2 * (len(conversation) - 1))
    else:
        place("top", -1)
    render_footer(index, settings)
    announce(st.session_state.get("announcement", ""))


if __name__ == "__main__":
    main()
