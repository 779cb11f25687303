"""The reviewer page (``pages/1_Reviewer.py``): every stored answer, each cited passage inside its full page,
verdicts, stale flags and the CSV export.

``reviewer_page`` draws it top to bottom, one named step after another; what the steps share (the
settings, who is reviewing, the audit log, the served pages' texts) is passed to them as a ``Review``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import partial
from typing import NoReturn

import streamlit as st

from ask import ANSWERED
from audit import (
    FEEDBACK_FILTERS,
    STATUSES,
    VERDICT_FILTERS,
    VERDICTS,
    AnswerFilter,
    AuditLog,
    CitedSpan,
    StoredAnswer,
    StoredQuote,
)
from errors import ChatbotError
from settings import Settings, settings_from_env
from staff import MOVED, StaffUser, check_citation, export_csv, highlight_html
from ui.staff_components import (
    audit_log,
    escape_markdown,
    first_words,
    local_time,
    page_html,
    page_when_answered,
    plain_html,
    record_action,
    require_sign_in,
    scroll_to_marks,
    served_index,
)

PAGE_SIZE = 20
ANY = "any"
FEEDBACK_LABELS = {ANY: "any", "helpful": "helpful", "not_helpful": "not helpful", "none": "no feedback"}
VERDICT_LABELS = {ANY: "any", **VERDICTS, "unreviewed": "not yet reviewed"}
FEEDBACK_TEXT = {None: "no feedback", True: "helpful", False: "not helpful"}


@dataclass(frozen=True)
class Review:
    """What the steps of one run of the page share."""

    settings: Settings
    reviewer: StaffUser
    log: AuditLog
    texts: dict[str, str] | None  # the served index's page texts; None when it cannot be read


def reviewer_page() -> None:
    """The whole reviewer page, drawn once per run of ``pages/1_Reviewer.py``."""
    st.set_page_config(page_title="Reviewer", layout="wide")
    st.title("Reviewer: cited passages")
    settings = settings_from_env()
    reviewer = require_sign_in("reviewer", settings)
    scroll_to_marks()

    try:
        log = audit_log(str(settings.audit_db))
        spans = log.cited_spans()
        cited_pages = log.cited_doc_ids()
    except ChatbotError as exc:
        _cannot_read(exc)
    if not settings.audit_enabled:
        st.info("Answer storage is off (MBC_AUDIT=off): new answers are not stored. Earlier ones are listed below.")

    texts, titles = _served_pages(settings)
    review = Review(settings, reviewer, log, texts)
    if texts is not None:
        _stale_citations(spans, texts)
    where = _filters(cited_pages, titles)
    list_page = _list_heading(review, where)

    if message := st.session_state.pop("saved-verdict", None):
        st.success(message)
    try:
        listed = log.answers(where, limit=PAGE_SIZE, offset=(list_page - 1) * PAGE_SIZE)
    except ChatbotError as exc:
        _cannot_read(exc)
    for answer in listed:
        _show_answer(review, answer)


def _cannot_read(exc: ChatbotError) -> NoReturn:
    """The stored answers cannot be read: say so, and what to do, instead of failing."""
    st.error(
        f"The stored answers cannot be read, so there is nothing to review right now: {exc} "
        "Whoever looks after this computer can check it with `python -m audit check` and restore a backup."
    )
    st.stop()


def _served_pages(settings: Settings) -> tuple[dict[str, str] | None, dict[str, str]]:
    """The served index's page texts (None when it cannot be read) and each page's "publisher: title"."""
    try:
        served = served_index(settings)
    except ChatbotError as exc:
        st.warning(f"Citations cannot be checked against the index: {exc}")
        return None, {}
    titles = {page.doc_id: f"{page.publisher}: {page.title}" for page in served.manifest.pages}
    st.caption(f"Checking citations against the served index, version {served.version}.")
    return served.texts, titles


def _stale_citations(spans: list[CitedSpan], texts: dict[str, str]) -> None:
    """How many quotes are no longer at their offsets in the served index, and where they are."""
    stale = [(span, check_citation(span, texts)) for span in spans]
    stale = [(span, check) for span, check in stale if check.stale]
    st.metric("Stale citations", len(stale), help="Quotes whose text is no longer at their offsets in the served index")
    if stale:
        with st.expander(f"{len(stale)} stale citation(s): where they are"):
            for span, check in stale:
                st.text(f"Answer #{span.answer_id}, citation {span.position + 1} ({span.doc_id}): {check.state}")


def _filters(cited_pages: list[str], titles: dict[str, str]) -> AnswerFilter:
    """The sidebar's filters, as the query they make."""
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
    return AnswerFilter(
        status=None if status == ANY else status,
        feedback=None if feedback == ANY else feedback,
        verdict=None if verdict == ANY else verdict,
        since=since if isinstance(since, date) else None,
        until=until if isinstance(until, date) else None,
        doc_id=None if page_choice == ANY else page_choice,
    )


def _list_heading(review: Review, where: AnswerFilter) -> int:
    """How many answers match, the export button and the list page chooser; returns the chosen list page."""
    try:
        total = review.log.count_answers(where)
    except ChatbotError as exc:
        _cannot_read(exc)
    pages_n = max(1, -(-total // PAGE_SIZE))
    left, right = st.columns([3, 1])
    with right:
        list_page = int(st.number_input("List page", min_value=1, max_value=pages_n, value=1, step=1, key="list-page"))
    with left:
        st.subheader(f"{total} answer(s), newest first")
        # Built only when clicked: exporting every answer on each view would slow the page as the log grows.
        st.download_button(
            "Download these answers and verdicts (CSV)",
            data=partial(_export, review, where),
            file_name="answers-and-verdicts.csv",
            mime="text/csv",
            key="export",
            on_click="ignore",
        )
    return list_page


def _export(review: Review, where: AnswerFilter) -> bytes:
    """The CSV of every answer matching ``where``, made when the reviewer clicks download (and logged)."""
    answers = review.log.answers(where, limit=review.log.count_answers(where) + 1)
    record_action(review.settings, review.reviewer, "export", f"{len(answers)} answers as CSV")
    return export_csv(answers, review.texts).encode("utf-8")


def _show_answer(review: Review, answer: StoredAnswer) -> None:
    """One stored answer: what was asked and shown, then each citation in its own expander."""
    with st.container(border=True):
        st.markdown(
            f"**#{answer.id}** · {local_time(answer.created_at)} · **{answer.status}** · "
            f"patient said: {FEEDBACK_TEXT[answer.helpful]} · {answer.history_len} earlier turn(s) · "
            f"index {escape_markdown(answer.index_version)}"
        )
        st.caption("Question")
        st.text(answer.question)
        if answer.status != ANSWERED:
            # An answer's opening is the same for every answer; a refusal's or emergency's message is not.
            st.caption("Message shown")
            st.text(answer.message)
            if answer.reason:
                st.caption(f"Why this status: {escape_markdown(answer.reason)}")
        if answer.quotes:
            st.caption("Quotes")
            st.text(
                "\n".join(
                    f"{quote.position + 1}. “{first_words(quote.text)}” ({quote.publisher})" for quote in answer.quotes
                )
            )
        for quote in answer.quotes:
            label = f"Citation {quote.position + 1}: {quote.publisher}, “{first_words(quote.text, 8)}”"
            if review.texts is not None and check_citation(quote, review.texts).stale:
                label = "Stale · " + label
            with st.expander(escape_markdown(label)):
                _show_quote(review, answer, quote)


def _show_quote(review: Review, answer: StoredAnswer, quote: StoredQuote) -> None:
    """A citation: where it is from, its page with the quote marked, its verdicts and the verdict form."""
    st.markdown(
        f"**{escape_markdown(quote.publisher)}**: {escape_markdown(quote.title)}  \n"
        f"Address: {escape_markdown(quote.url) if quote.url else 'not known'} · "
        f"file {escape_markdown(quote.path)} · characters {quote.start}–{quote.end} · score {quote.score:.3f}"
    )
    if review.texts is None:
        st.html(page_html(plain_html(quote.text), height_rem=8))
    else:
        _quote_in_its_page(review, answer, quote, review.texts)
    if quote.verdict is not None:
        _verdicts(review.log, quote)
    _verdict_form(review, answer, quote)


def _quote_in_its_page(review: Review, answer: StoredAnswer, quote: StoredQuote, texts: dict[str, str]) -> None:
    """Whether the quote is still where it was, and the page (then and now) with the quote highlighted."""
    check = check_citation(quote, texts)
    if not check.stale:
        st.success(check.description, icon=":material/check_circle:")
        st.caption("The full page as indexed, the quote highlighted:")
        st.html(page_html(highlight_html(check.page_text, check.start, check.end)))
        return
    st.error(check.description, icon=":material/warning:")
    old_page = page_when_answered(review.settings, answer.index_version, quote.doc_id)
    if old_page is not None and old_page[quote.start : quote.end] == quote.text:
        st.caption(f"The page as indexed when answered (version {answer.index_version}), the quote highlighted:")
        st.html(page_html(highlight_html(old_page, quote.start, quote.end)))
    else:
        st.caption("The quote as the patient saw it (that index version is no longer kept):")
        st.html(page_html(plain_html(quote.text), height_rem=8))
    if check.page_text is not None:
        where_now = " (the quote highlighted where it now is)" if check.state == MOVED else ""
        st.caption(f"The page's new text{where_now}:")
        st.html(page_html(highlight_html(check.page_text, check.start, check.end)))


def _verdicts(log: AuditLog, quote: StoredQuote) -> None:
    """The quote's current verdict and the earlier ones."""
    current = quote.verdict
    st.info(
        f"Verdict: {current.label}, by {escape_markdown(current.reviewer)}, {local_time(current.created_at)}"
        + (f". Comment: {escape_markdown(current.comment)}" if current.comment else ""),
    )
    try:
        history = log.verdict_history(quote.id)
    except ChatbotError as exc:
        history = []
        st.caption(f"Earlier verdicts cannot be read: {exc}")
    if len(history) > 1:
        earlier = (
            f"{v.label} by {escape_markdown(v.reviewer)}, {local_time(v.created_at)}" for v in reversed(history[:-1])
        )
        st.caption("Earlier verdicts: " + "; ".join(earlier))


def _verdict_form(review: Review, answer: StoredAnswer, quote: StoredQuote) -> None:
    """The form that saves a verdict on the quote (and logs it)."""
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
        if not st.form_submit_button("Save verdict", key=f"save-{quote.id}"):
            return
        if choice is None:
            st.error("Choose a verdict first.")
            return
        try:
            review.log.add_verdict(quote.id, choice, comment=comment, reviewer=review.reviewer.name)
        except ChatbotError as exc:
            st.error(str(exc))
            return
        record_action(review.settings, review.reviewer, "verdict", f"{choice} on quote {quote.id}")
        st.session_state["saved-verdict"] = f"Saved: {VERDICTS[choice]} for answer #{answer.id}."
        st.rerun()
