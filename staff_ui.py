"""Streamlit pieces the staff pages (``pages/``) share: sign-in, the audit log and the served index.

It lives beside ``app.py`` rather than in ``pages/`` because Streamlit lists every ``.py`` file in
``pages/`` as a page. The patient page (``app.py``) never imports it.
"""

from __future__ import annotations

import html
import logging
import time
from pathlib import Path

import streamlit as st

import index as idx
from ask.access import ENABLE_HINT, SignInGuard, StaffUser, parse_staff_users
from ask.audit import AuditLog
from ask.staff_log import StaffLog

SESSION_KEY = "staff_user"
LAST_SEEN_KEY = "staff_last_seen"
_log = logging.getLogger("staff_ui")
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

    try:
        log = staff_log(str(settings.staff_db))
    except idx.ChatbotError as exc:
        # Without the database there is no throttle and no action log, so there is no sign-in either.
        st.error(f"The {page} is disabled because its sign-in records cannot be kept: {exc}")
        st.stop()
    client = client_address()
    signed_in = st.session_state.get(SESSION_KEY)
    now = time.time()
    last_seen = st.session_state.get(LAST_SEEN_KEY, now)
    if isinstance(signed_in, str) and now - last_seen > settings.staff_idle_minutes * 60:
        st.session_state.pop(SESSION_KEY, None)
        _record(log, signed_in, "sign-out: idle", f"after {settings.staff_idle_minutes:g} minutes", client)
        st.info(f"You were signed out after {settings.staff_idle_minutes:g} minutes without activity. Sign in again.")
        signed_in = None
    st.session_state[LAST_SEEN_KEY] = now
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
                _record(log, user.name, "sign-out", "", client)
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
        try:
            found, wait = SignInGuard(log).attempt(users, name, password, role, client)
        except idx.ChatbotError as exc:
            st.error(f"Sign-in cannot be checked right now: {exc}")
            st.stop()
        if wait:
            minutes = max(1, -(-wait // 60))
            st.error(f"Too many wrong sign-ins for this name or from this computer. Try again in {minutes} minute(s).")
        elif found is None:
            st.error(f"That name and password do not open the {page}.")
        else:
            st.session_state[SESSION_KEY] = found.name
            st.session_state[LAST_SEEN_KEY] = time.time()
            st.rerun()
    st.stop()


def client_address() -> str:
    """The visitor's address as the server sees it ("unknown" when Streamlit does not know it)."""
    try:
        return str(st.context.ip_address or "unknown")
    except (AttributeError, RuntimeError):
        return "unknown"


def _record(log: StaffLog, actor: str, action: str, detail: str, client: str) -> None:
    try:
        log.record_action(actor, action, detail, client=client)
    except idx.ChatbotError:
        _log.exception("the staff action %r of %s could not be logged", action, actor)


def record_action(settings: idx.Settings, user: StaffUser, action: str, detail: str = "") -> None:
    """Append a staff action (verdict, export, re-index, refresh, publish) to the log; a failure is logged."""
    try:
        log = staff_log(str(settings.staff_db))
    except idx.ChatbotError:
        _log.exception("the staff action %r of %s could not be logged", action, user.name)
        return
    _record(log, user.name, action, detail, client_address())


def evaluation_file(settings: idx.Settings, text: str) -> Path:
    """The labelled file named in the evaluation box, only when it lies inside the evaluation folder."""
    folder = settings.evaluation_dir
    path = Path(text.strip()).expanduser()
    if not path.is_absolute():
        path = folder / path
    resolved = path.resolve()
    if not resolved.is_relative_to(folder):
        raise idx.SettingsError(f"Only labelled files inside {folder} can be run (MBC_EVAL_DIR); {path} is outside it.")
    if not resolved.is_file():
        raise idx.SettingsError(f"There is no labelled file at {path}.")
    return resolved


@st.cache_resource(show_spinner=False)
def staff_log(path: str) -> StaffLog:
    """One ``StaffLog`` per database file, shared by every session."""
    return StaffLog(path)


@st.cache_resource(show_spinner=False)
def audit_log(path: str) -> AuditLog:
    """One ``AuditLog`` per database file, shared by every session (it is thread-safe)."""
    return AuditLog(path)


@st.cache_resource(show_spinner="Loading the index…", max_entries=4)
def _load_index(index_dir: str, version: str) -> idx.Index:
    return idx.load(Path(index_dir), version)


@st.cache_resource(show_spinner="Loading the index…", max_entries=2)
def _load_served(index_dir: str, version: str) -> idx.Index:
    # Loaded as the patient page loads it: a served version that fails its check falls back to an older one.
    return idx.load(Path(index_dir))


def served_index(settings: idx.Settings) -> idx.Index:
    """The index version patients are answered from now, loaded once per version of ``CURRENT``."""
    version = idx.current_version(settings.index_dir)
    if version is None:
        raise idx.IndexMissingError(
            f"No index has been built in {settings.index_dir} yet. Build it with: python -m ingest"
        )
    return _load_served(str(settings.index_dir), version)


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
