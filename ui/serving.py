"""What the patient page loads once per server process: the model, the index, the bot, suggestions.

The patient page (``ui.patient``) calls these on each run (they are cached), and the launcher
(``serve.py``) calls ``warm_up`` while the server starts, so the first visitor's first question
finds everything loaded. It sits in ``ui/`` rather than in ``ask/`` because it holds Streamlit caches.
"""

from __future__ import annotations

import logging
from concurrent.futures import Future, ThreadPoolExecutor

import streamlit as st

from errors import ChatbotError
from index import Index, current_version
from settings import Settings

log = logging.getLogger("mbc.serving")


@st.cache_resource(show_spinner=False)
def start_loading_model() -> Future:
    """Start importing and loading the embedding model in the background, once per server process.

    That is most of a cold start (seconds, mostly importing torch and sentence-transformers). The
    launcher starts it before the server listens; under plain ``streamlit run`` the first visitor
    does, and gets the page and its question box at once while it loads.
    """
    from embedding import load_embedder

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


@st.cache_resource(max_entries=2, show_spinner=False)
def load_suggester(index_dir: str, version: str, _settings: Settings):
    """Suggestions under a refusal for one index version (``ask.suggest``)."""
    from ask import Suggester

    return Suggester(load_bot(index_dir, version, _settings))


@st.cache_resource(max_entries=2, show_spinner=False)
def load_notes(index_dir: str, version: str, _settings: Settings):
    """The version's page dates and agreeing sentences (``index.notes``)."""
    from index import read_notes

    return read_notes(open_index(index_dir, version, _settings))


@st.cache_resource(show_spinner=False)
def open_audit_log(path: str):
    """The shared audit database (each call inside opens its own short connection)."""
    from audit import AuditLog

    return AuditLog(path)


def warm_up(settings: Settings) -> str | None:
    """Load the model, the served index and its bot now; returns the version, or None when none is built.

    Called by the launcher before the server listens. A failure is logged, not raised: the page
    then shows its own calm message, exactly as if nothing had been loaded.
    """
    start_loading_model()
    if settings.audit_enabled:
        try:
            # Creates or migrates the audit database now (replicas starting together take turns), so a
            # database that cannot be used is in the log at start-up rather than at the first answer.
            open_audit_log(str(settings.audit_db))
        except ChatbotError:
            log.exception("the audit database cannot be used; answers are shown but not stored")
    try:
        version = current_version(settings.index_dir)
        if version is None:
            start_loading_model().result()
            return None
        load_bot(str(settings.index_dir), version, settings)
        load_notes(str(settings.index_dir), version, settings)
        return version
    except Exception:
        log.exception("warming up the patient page failed; the first visitor's question will try again")
        return None


def warm_suggestions(settings: Settings, version: str) -> None:
    """Check the suggestion candidates (a second or two of questions); run after the server listens."""
    try:
        load_suggester(str(settings.index_dir), version, settings).candidates()
    except Exception:
        log.exception("preparing suggested questions failed")
