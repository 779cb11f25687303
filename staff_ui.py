"""Streamlit pieces the staff pages (``pages/``) share: sign-in, the audit log and the served index.

It lives beside ``app.py`` rather than in ``pages/`` because Streamlit lists every ``.py`` file in
``pages/`` as a page. The patient page (``app.py``) never imports it.
"""

from __future__ import annotations

import html
import time
from pathlib import Path

import streamlit as st

import index as idx
from ask.access import ENABLE_HINT, StaffUser, authenticate, parse_staff_users
from ask.audit import AuditLog

SESSION_KEY = "staff_user"
FAILURES_KEY = "staff_sign_in_failures"
# After this many wrong sign-ins in a session, wait: with scrypt's cost, guessing stays slow.
MAX_FAILURES, LOCKOUT_S = 5, 60.0
_ROLE_PAGES = {"reviewer": "reviewer page", "maintainer": "maintainer page"}
# The staff pages, linked from the sidebar once signed in (the patient page does not list them).
STAFF_PAGES = {"reviewer": ("pages/1_Reviewer.py", "Reviewer"), "maintainer": ("pages/2_Maintainer.py", "Maintainer")}


def _configured_users(settings: idx.Settings) -> str:
    """MBC_STAFF_USERS from Streamlit secrets when set there, else from the environment."""
    try:
        value = st.secrets.get("MBC_STAFF_USERS")
    except (KeyError, FileNotFoundError):
        value = None
    return str(value).strip() if value else settings.staff_users


def require_sign_in(role: str, settings: idx.Settings) -> StaffUser:
    """The signed-in staff member with ``role``; otherwise show the sign-in form (or why it is off) and stop."""
    page = _ROLE_PAGES[role]
    try:
        users = parse_staff_users(_configured_users(settings))
    except idx.ChatbotError as exc:
        st.error(f"The {page} is disabled because its sign-in settings are wrong: {exc}")
        st.stop()
    if not any(user.may(role) for user in users.values()):
        st.warning(f"The {page} is disabled: no staff sign-in with the {role} role is configured. {ENABLE_HINT}")
        st.stop()

    signed_in = st.session_state.get(SESSION_KEY)
    # Re-read from the current configuration, so a removed account or role stops working at once.
    user = users.get(signed_in) if isinstance(signed_in, str) else None
    if user is not None and user.may(role):
        with st.sidebar:
            st.write(f"Signed in as **{escape_markdown(user.name)}**")
            for other_role, (path, label) in STAFF_PAGES.items():
                if user.may(other_role):
                    st.page_link(path, label=label)
            st.page_link("app.py", label="Patient chat")
            if st.button("Sign out", key="sign-out"):
                del st.session_state[SESSION_KEY]
                st.rerun()
        return user

    if user is not None:
        st.info(f"You are signed in as {user.name}, who may not open the {page}. Sign in with another account.")
    with st.form("sign-in"):
        st.subheader("Staff sign-in")
        name = st.text_input("Name", key="sign-in-name")
        password = st.text_input("Password", type="password", key="sign-in-password")
        submitted = st.form_submit_button("Sign in", key="sign-in-submit")
    if submitted:
        failures = [t for t in st.session_state.get(FAILURES_KEY, []) if time.monotonic() - t < LOCKOUT_S]
        if len(failures) >= MAX_FAILURES:
            wait = int(LOCKOUT_S - (time.monotonic() - failures[0])) + 1
            st.error(f"Too many wrong sign-ins. Try again in {wait} seconds.")
            st.stop()
        found = authenticate(users, name, password, role)
        if found is None:
            st.session_state[FAILURES_KEY] = [*failures, time.monotonic()]
            st.error(f"That name and password do not open the {page}.")
        else:
            st.session_state.pop(FAILURES_KEY, None)
            st.session_state[SESSION_KEY] = found.name
            st.rerun()
    st.stop()


@st.cache_resource(show_spinner=False)
def audit_log(path: str) -> AuditLog:
    """One ``AuditLog`` per database file, shared by every session (it is thread-safe)."""
    return AuditLog(path)


@st.cache_resource(show_spinner="Loading the index…", max_entries=4)
def _load_index(index_dir: str, version: str) -> idx.Index:
    return idx.load(Path(index_dir), version)


def served_index(settings: idx.Settings) -> idx.Index:
    """The index version being served now, loaded once per version."""
    version = idx.current_version(settings.index_dir)
    if version is None:
        raise idx.IndexMissingError(
            f"No index has been built in {settings.index_dir} yet. Build it with: python -m ingest"
        )
    return _load_index(str(settings.index_dir), version)


def page_when_answered(settings: idx.Settings, version: str, doc_id: str) -> str | None:
    """A page's text in an older index version, while that version is still kept on disk (MBC_KEEP_VERSIONS)."""
    try:
        if version not in idx.list_versions(settings.index_dir):
            return None
        return _load_index(str(settings.index_dir), version).texts.get(doc_id)
    except idx.ChatbotError:
        return None


def escape_markdown(text: str) -> str:
    """Text safe to put inside Markdown (labels, bold names): every special character backslashed."""
    specials = "\\`*_{}[]()#+-.!|<>~$:&"
    return "".join("\\" + ch if ch in specials else ch for ch in text.replace("\n", " "))


def page_html(body_html: str, *, height_rem: int = 24) -> str:
    """A scrolling box for highlighted page text (``body_html`` must already be escaped)."""
    return (
        '<div style="max-height:' + str(height_rem) + "rem;overflow-y:auto;border:1px solid rgba(128,128,128,.4);"
        'border-radius:.5rem;padding:.75rem;line-height:1.5;font-size:.95rem">' + body_html + "</div>"
    )


def plain_html(text: str) -> str:
    """Untrusted text as escaped HTML with its line breaks kept."""
    return html.escape(text).replace("\n", "<br>")
