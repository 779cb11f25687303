"""Reviewer page: every stored answer, each cited passage inside its full page, verdicts, stale flags, CSV export."""

from __future__ import annotations

from datetime import date
from functools import partial

import streamlit as st

import ui
from ask import ANSWERED
from audit import (
    FEEDBACK_FILTERS,
    STATUSES,
    VERDICT_FILTERS,
    VERDICTS,
    AnswerFilter,
    AuditLog,
    StoredAnswer,
    StoredQuote,
)
from errors import ChatbotError
from settings import settings_from_env
from staff import MOVED, check_citation, export_csv, highlight_html

PAGE_SIZE = 20
ANY = "any"
FEEDBACK_LABELS = {ANY: "any", "helpful": "helpful", "not_helpful": "not helpful", "none": "no feedback"}
VERDICT_LABELS = {ANY: "any", **VERDICTS, "unreviewed": "not yet reviewed"}


def export(log: AuditLog, where: AnswerFilter, texts: dict[str, str] | None) -> bytes:
    """The CSV of every answer matching ``where``, made when the reviewer clicks download (and logged)."""
    answers = log.answers(where, limit=log.count_answers(where) + 1)
    ui.record_action(settings, reviewer, "export", f"{len(answers)} answers as CSV")
    return export_csv(answers, texts).encode("utf-8")


def cannot_read(exc: ChatbotError) -> None:
    """The stored answers cannot be read: say so, and what to do, instead of failing."""
    st.error(
        f"The stored answers cannot be read, so there is nothing to review right now: {exc} "
        "Whoever looks after this computer can check it with `python -m audit check` and restore a backup."
    )
    st.stop()


st.set_page_config(page_title="Reviewer", layout="wide")
st.title("Reviewer: cited passages")
settings = settings_from_env()
reviewer = ui.require_sign_in("reviewer", settings)
ui.scroll_to_marks()

try:
    log = ui.audit_log(str(settings.audit_db))
    spans = log.cited_spans()
    cited_pages = log.cited_doc_ids()
except ChatbotError as exc:
    cannot_read(exc)

if not settings.audit_enabled:
    st.info("Answer storage is off (MBC_AUDIT=off): new answers are not stored. Earlier ones are listed below.")

texts: dict[str, str] | None = None
titles: dict[str, str] = {}
try:
    served = ui.served_index(settings)
    texts = served.texts
    titles = {page.doc_id: f"{page.publisher}: {page.title}" for page in served.manifest.pages}
    st.caption(f"Checking citations against the served index, version {served.version}.")
except ChatbotError as exc:
    st.warning(f"Citations cannot be checked against the index: {exc}")

if texts is not None:
    stale = [(span, check_citation(span, texts)) for span in spans]
    stale = [(span, check) for span, check in stale if check.stale]
    st.metric("Stale citations", len(stale), help="Quotes whose text is no longer at their offsets in the served index")
    if stale:
        with st.expander(f"{len(stale)} stale citation(s): where they are"):
            for span, check in stale:
                st.text(f"Answer #{span.answer_id}, citation {span.position + 1} ({span.doc_id}): {check.state}")

# --- filters -------------------------------------------------------------------------

with st.sidebar:
    st.header("Filters")
    status = st.selectbox("Status", (ANY, *STATUSES), key="filter-status")
    feedback = st.selectbox(
        "Patient feedback", (ANY, *FEEDBACK_FILTERS), format_func=FEEDBACK_LABELS.get, key="filter-feedback"
    )
    verdict = st.selectbox("Verdict", (ANY, *VERDICT_FILTERS), format_func=VERDICT_LABELS.get, key="filter-verdict")
    since = st.date_input("Answered from", value=None, key="filter-since")
    until = st.date_input("Answered until", value=None, key="filter-until")
    page_choice = st.selectbox(
        "Cited page", (ANY, *cited_pages), format_func=lambda d: titles.get(d, d), key="filter-page"
    )

where = AnswerFilter(
    status=None if status == ANY else status,
    feedback=None if feedback == ANY else feedback,
    verdict=None if verdict == ANY else verdict,
    since=since if isinstance(since, date) else None,
    until=until if isinstance(until, date) else None,
    doc_id=None if page_choice == ANY else page_choice,
)
try:
    total = log.count_answers(where)
except ChatbotError as exc:
    cannot_read(exc)
pages_n = max(1, -(-total // PAGE_SIZE))
left, right = st.columns([3, 1])
with right:
    list_page = int(st.number_input("List page", min_value=1, max_value=pages_n, value=1, step=1, key="list-page"))
with left:
    st.subheader(f"{total} answer(s), newest first")
    # Built only when clicked: exporting every answer on each view would slow the page as the log grows.
    st.download_button(
        "Download these answers and verdicts (CSV)",
        data=partial(export, log, where, texts),
        file_name="answers-and-verdicts.csv",
        mime="text/csv",
        key="export",
        on_click="ignore",
    )


# --- answers -------------------------------------------------------------------------


def show_quote(answer: StoredAnswer, quote: StoredQuote) -> None:
    st.markdown(
        f"**{ui.escape_markdown(quote.publisher)}**: {ui.escape_markdown(quote.title)}  \n"
        f"Address: {ui.escape_markdown(quote.url) if quote.url else 'not known'} · "
        f"file {ui.escape_markdown(quote.path)} · characters {quote.start}–{quote.end} · score {quote.score:.3f}"
    )
    if texts is None:
        st.html(ui.page_html(ui.plain_html(quote.text), height_rem=8))
    else:
        check = check_citation(quote, texts)
        if check.stale:
            st.error(check.description, icon=":material/warning:")
            old_page = ui.page_when_answered(settings, answer.index_version, quote.doc_id)
            if old_page is not None and old_page[quote.start : quote.end] == quote.text:
                st.caption(
                    f"The page as indexed when answered (version {answer.index_version}), the quote highlighted:"
                )
                st.html(ui.page_html(highlight_html(old_page, quote.start, quote.end)))
            else:
                st.caption("The quote as the patient saw it (that index version is no longer kept):")
                st.html(ui.page_html(ui.plain_html(quote.text), height_rem=8))
            if check.page_text is not None:
                where_now = " (the quote highlighted where it now is)" if check.state == MOVED else ""
                st.caption(f"The page's new text{where_now}:")
                st.html(ui.page_html(highlight_html(check.page_text, check.start, check.end)))
        else:
            st.success(check.description, icon=":material/check_circle:")
            st.caption("The full page as indexed, the quote highlighted:")
            st.html(ui.page_html(highlight_html(check.page_text, check.start, check.end)))

    if quote.verdict is not None:
        current = quote.verdict
        esc = ui.escape_markdown
        st.info(
            f"Verdict: {current.label}, by {esc(current.reviewer)}, {ui.local_time(current.created_at)}"
            + (f". Comment: {esc(current.comment)}" if current.comment else ""),
        )
        try:
            history = log.verdict_history(quote.id)
        except ChatbotError as exc:
            history = []
            st.caption(f"Earlier verdicts cannot be read: {exc}")
        if len(history) > 1:
            earlier = (f"{v.label} by {esc(v.reviewer)}, {ui.local_time(v.created_at)}" for v in reversed(history[:-1]))
            st.caption("Earlier verdicts: " + "; ".join(earlier))
    with st.form(key=f"verdict-form-{quote.id}"):
        options = list(VERDICTS)
        choice = st.radio(
            "Verdict",
            options,
            format_func=VERDICTS.get,
            index=options.index(quote.verdict.verdict) if quote.verdict else None,
            horizontal=True,
            key=f"verdict-{quote.id}",
        )
        comment = st.text_area("Comment", key=f"comment-{quote.id}", height=68)
        if st.form_submit_button("Save verdict", key=f"save-{quote.id}"):
            if choice is None:
                st.error("Choose a verdict first.")
            else:
                try:
                    log.add_verdict(quote.id, choice, comment=comment, reviewer=reviewer.name)
                except ChatbotError as exc:
                    st.error(str(exc))
                else:
                    ui.record_action(settings, reviewer, "verdict", f"{choice} on quote {quote.id}")
                    st.session_state["saved-verdict"] = f"Saved: {VERDICTS[choice]} for answer #{answer.id}."
                    st.rerun()


if message := st.session_state.pop("saved-verdict", None):
    st.success(message)

first = (list_page - 1) * PAGE_SIZE
try:
    listed = log.answers(where, limit=PAGE_SIZE, offset=first)
except ChatbotError as exc:
    cannot_read(exc)
for answer in listed:
    with st.container(border=True):
        feedback_text = {None: "no feedback", True: "helpful", False: "not helpful"}[answer.helpful]
        st.markdown(
            f"**#{answer.id}** · {ui.local_time(answer.created_at)} · **{answer.status}** · "
            f"patient said: {feedback_text} · {answer.history_len} earlier turn(s) · "
            f"index {ui.escape_markdown(answer.index_version)}"
        )
        st.caption("Question")
        st.text(answer.question)
        if answer.status != ANSWERED:
            # An answer's opening is the same for every answer; a refusal's or emergency's message is not.
            st.caption("Message shown")
            st.text(answer.message)
            if answer.reason:
                st.caption(f"Why this status: {ui.escape_markdown(answer.reason)}")
        if answer.quotes:
            st.caption("Quotes")
            st.text(
                "\n".join(
                    f"{quote.position + 1}. “{ui.first_words(quote.text)}” ({quote.publisher})"
                    for quote in answer.quotes
                )
            )
        for quote in answer.quotes:
            label = f"Citation {quote.position + 1}: {quote.publisher}, “{ui.first_words(quote.text, 8)}”"
            if texts is not None and check_citation(quote, texts).stale:
                label = "Stale · " + label
            with st.expander(ui.escape_markdown(label)):
                show_quote(answer, quote)
