"""What a patient can weigh a quote by: its page's date, whether it may be out of date, and which other
pages say the same (``index.notes``), worked out once when the answer arrives.

Pure functions over a loaded ``Index``; the patient page (``ui.patient``) shows the result and
``ui.saved_conversation`` prints it. Kept as plain dicts so a turn in ``st.session_state`` stays simple to store.
"""

from __future__ import annotations

from datetime import date, datetime

import numpy as np

from index import Index, Notes

MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]


def long_date(day: date) -> str:
    """``2014-05-02`` → ``2 May 2014`` (the same in every locale, no leading zero)."""
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"


def page_date(index: Index, notes: Notes, doc_id: str) -> tuple[str, date] | None:
    """("updated" | "captured", date): the date the page states, else the day its text entered the index."""
    stated = notes.page_dates.get(doc_id)
    if stated:
        try:
            return "updated", date.fromisoformat(stated)
        except ValueError:
            pass
    try:
        captured = notes.captured.get(doc_id)
        if captured:
            return "captured", date.fromisoformat(captured)
        return "captured", datetime.fromisoformat(index.page(doc_id).changed_at).date()
    except (KeyError, ValueError):
        return None


def is_out_of_date(day: date, today: date, max_age_years: float) -> bool:
    """Older than ``max_age_years`` (years of 365.25 days)."""
    return (today - day).days > max_age_years * 365.25


def sentences_of(index: Index, doc_id: str, start: int, end: int) -> list[int]:
    """The ids of the page's sentences that overlap ``[start, end)``."""
    try:
        doc = index.sentences.doc_ids.index(doc_id)
    except ValueError:
        return []
    columns = index.sentences.columns
    inside = (columns[0] == doc) & (columns[1] < end) & (columns[2] > start)
    return [int(i) for i in np.flatnonzero(inside)]


def source_facts(index: Index, notes: Notes, quote: dict, *, today: date, max_age_years: float) -> dict:
    """The quote's page date and the other pages saying the same, as a plain dict.

    ``{"date_kind": "updated"|"captured"|None, "date": "YYYY-MM-DD"|None, "out_of_date": bool,
    "also": [{"doc_id", "publisher", "title", "url", "text", "start", "end", "figures_differ"}]}``
    """
    facts: dict = {"date_kind": None, "date": None, "out_of_date": False, "also": []}
    dated = page_date(index, notes, quote["doc_id"])
    if dated is not None:
        kind, day = dated
        facts.update(date_kind=kind, date=day.isoformat(), out_of_date=is_out_of_date(day, today, max_age_years))
    text = index.texts.get(quote["doc_id"])
    start, end = int(quote["start"]), int(quote["end"])
    if text is None or text[start:end] != quote["text"]:
        return facts  # the page changed since: its sentence numbers no longer match the quote
    for echo in notes.echoes(sentences_of(index, quote["doc_id"], start, end), exclude_doc=quote["doc_id"]):
        try:
            page = index.page(echo.doc_id)
        except KeyError:
            continue
        facts["also"].append(
            {
                "doc_id": echo.doc_id,
                "publisher": page.publisher,
                "title": page.title,
                "url": page.url,
                "text": index.texts[echo.doc_id][echo.start : echo.end],
                "start": echo.start,
                "end": echo.end,
                "figures_differ": echo.figures_differ,
            }
        )
    return facts


def date_line(facts: dict) -> str:
    """``Page updated 2 May 2014`` or ``Page captured 1 December 2026``; "" when unknown."""
    if not facts.get("date"):
        return ""
    day = date.fromisoformat(facts["date"])
    return f"Page {'updated' if facts['date_kind'] == 'updated' else 'captured'} {long_date(day)}"
