"""Streamlit pieces the staff pages (``ui.reviewer``, ``ui.maintainer``) share: sign-in, the audit log
and the served index, times, figures and page text for people.

The patient page (``ui.patient``) never uses it.
"""

from __future__ import annotations

import html
import json
import logging
import time
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import streamlit as st

import index as idx
from audit import AuditLog, StaffLog
from errors import ChatbotError, IndexMissingError, SettingsError
from settings import Settings
from staff import ENABLE_HINT, SignInGuard, StaffUser, parse_staff_users
from ui import staff_session

SESSION_KEY = "staff_user"
LAST_USED_KEY = "staff_last_seen"  # when this tab last used its sign-in (time.time())
TICKET_KEY = "staff_sign_in_ticket"
SIGNED_OUT_KEY = "staff_signed_out"  # the message to show once the sign-in has ended
SIGNED_OUT = "You are signed out."
_log = logging.getLogger("staff_ui")
_ROLE_PAGES = {"reviewer": "reviewer page", "maintainer": "maintainer page"}
# The staff pages, linked from the sidebar once signed in (the patient page does not list them).
STAFF_PAGES = {"reviewer": ("pages/1_Reviewer.py", "Reviewer"), "maintainer": ("pages/2_Maintainer.py", "Maintainer")}


# After a sign-in, the ticket is swapped for the HttpOnly session cookie (the route of serve.py);
# the ticket is a JSON string literal, and the cookie never passes through this script.
_KEEP_SIGN_IN_SCRIPT = (
    '<script>fetch("' + staff_session.ROUTE + '", {method: "POST", credentials: "same-origin", '
    'headers: {"Content-Type": "application/json"}, body: JSON.stringify({ticket: %s})})'
    ".catch(function () {});</script>"
)
_SIGN_OUT_SCRIPT = (
    '<script>fetch("' + staff_session.ROUTE + '", {method: "DELETE", credentials: "same-origin"})'
    ".catch(function () {});</script>"
)


def _configured_users(settings: Settings) -> str:
    """MBC_STAFF_USERS from Streamlit secrets when set there, else from the environment."""
    try:
        value = st.secrets.get("MBC_STAFF_USERS")
    except (KeyError, FileNotFoundError):
        value = None
    return str(value).strip() if value else settings.staff_users


def require_sign_in(role: str, settings: Settings) -> StaffUser:
    """The signed-in staff member with ``role``; otherwise show the sign-in form (or why it is off) and stop.

    A sign-in lasts across reloads and staff pages (``staff_session``: a server-side session behind
    an HttpOnly cookie, when served by ``serve.py``) until "Sign out" or ``MBC_STAFF_IDLE_MINUTES``
    without use. Wrong passwords are throttled per name and per address in the staff database
    (``staff.SignInGuard``), and sign-ins, sign-outs and failures go to the staff action log.
    """
    page = _ROLE_PAGES[role]
    try:
        users = parse_staff_users(_configured_users(settings))
    except ChatbotError as exc:
        st.error(f"The {page} is disabled because its sign-in settings are wrong: {exc}")
        st.stop()
    if not any(user.may(role) for user in users.values()):
        st.warning(f"The {page} is disabled: no staff sign-in with the {role} role is configured. {ENABLE_HINT}")
        st.stop()

    try:
        log = staff_log(str(settings.staff_db))
    except ChatbotError as exc:
        # Without the database there is no throttle and no action log, so there is no sign-in either.
        st.error(f"The {page} is disabled because its sign-in records cannot be kept: {exc}")
        st.stop()
    client = client_address()
    signed_in = _signed_in_name(settings, log, client)
    # Re-read from the current configuration, so a removed account or role stops working at once.
    user = users.get(signed_in) if isinstance(signed_in, str) else None
    if user is not None and user.may(role):
        if ticket := st.session_state.pop(TICKET_KEY, None):
            _run_script(_KEEP_SIGN_IN_SCRIPT % json.dumps(ticket))
        with st.sidebar:
            st.write(f"Signed in as **{escape_markdown(user.name)}**")
            for other_role, (path, label) in STAFF_PAGES.items():
                if user.may(other_role):
                    st.page_link(path, label=label)
            st.page_link("app.py", label="Patient chat")
            if st.button("Sign out", key="sign-out"):
                _record(log, user.name, "sign-out", "", client)
                sign_out()
        return user

    if user is not None:
        st.info(f"You are signed in as {user.name}, who may not open the {page}. Sign in with another account.")
    if message := st.session_state.pop(SIGNED_OUT_KEY, None):
        _run_script(_SIGN_OUT_SCRIPT)
        st.info(message if isinstance(message, str) else SIGNED_OUT)
    with st.form("sign-in"):
        st.subheader("Staff sign-in")
        name = st.text_input("Name", key="sign-in-name")
        password = st.text_input("Password", type="password", key="sign-in-password")
        submitted = st.form_submit_button("Sign in", key="sign-in-submit")
    if submitted:
        try:
            found, wait = SignInGuard(log).attempt(users, name, password, role, client)
        except ChatbotError as exc:
            st.error(f"Sign-in cannot be checked right now: {exc}")
            st.stop()
        if wait:
            minutes = max(1, -(-wait // 60))
            st.error(f"Too many wrong sign-ins for this name or from this computer. Try again in {minutes} minute(s).")
        elif found is None:
            st.error(f"That name and password do not open the {page}.")
        else:
            st.session_state[SESSION_KEY] = found.name
            st.session_state[LAST_USED_KEY] = time.time()
            st.session_state[TICKET_KEY] = staff_session.issue_ticket(found.name)
            st.rerun()
    st.stop()


def _signed_in_name(settings: Settings, log: StaffLog, client: str) -> str | None:
    """Who is signed in for this tab: its own session state, else the sign-in cookie; None once idle too long.

    An idle sign-out (of the tab or of the cookie's server-side session) is logged and explained.
    """
    idle_s = settings.staff_idle_minutes * 60
    now = time.time()
    name = st.session_state.get(SESSION_KEY)
    if isinstance(name, str):
        if now - float(st.session_state.get(LAST_USED_KEY, now)) > idle_s:
            _idle_sign_out(settings, log, name, client)
            return None
        staff_session.lookup(_cookie(), idle_s=idle_s, now=now)  # keep the cookie's session alive too
        st.session_state[LAST_USED_KEY] = now
        return name
    name, expired = staff_session.check(_cookie(), idle_s=idle_s, now=now)
    if name is not None:
        st.session_state[SESSION_KEY] = name
        st.session_state[LAST_USED_KEY] = now
    elif expired is not None:
        _idle_sign_out(settings, log, expired, client)
    return name


def _idle_sign_out(settings: Settings, log: StaffLog, name: str, client: str) -> None:
    minutes = settings.staff_idle_minutes
    _record(log, name, "sign-out: idle", f"after {minutes:g} minutes", client)
    sign_out(rerun=False, message=f"You were signed out after {minutes:g} minutes without activity. Sign in again.")


def _cookie() -> str | None:
    try:
        return st.context.cookies.get(staff_session.COOKIE)
    except (AttributeError, RuntimeError):
        return None


def sign_out(*, rerun: bool = True, message: str = SIGNED_OUT) -> None:
    """End the sign-in for this tab, on the server and (by the page's script) in the browser's cookie."""
    staff_session.end(_cookie())
    for key in (SESSION_KEY, LAST_USED_KEY, TICKET_KEY):
        st.session_state.pop(key, None)
    st.session_state[SIGNED_OUT_KEY] = message
    if rerun:
        st.rerun()


def _run_script(script: str) -> None:
    st.html(script, unsafe_allow_javascript=True)


def client_address() -> str:
    """The visitor's address as the server sees it ("unknown" when Streamlit does not know it)."""
    try:
        return str(st.context.ip_address or "unknown")
    except (AttributeError, RuntimeError):
        return "unknown"


def _record(log: StaffLog, actor: str, action: str, detail: str, client: str) -> None:
    try:
        log.record_action(actor, action, detail, client=client)
    except ChatbotError:
        _log.exception("the staff action %r of %s could not be logged", action, actor)


def record_action(settings: Settings, user: StaffUser, action: str, detail: str = "") -> None:
    """Append a staff action (verdict, export, re-index, refresh, publish) to the log; a failure is logged."""
    try:
        log = staff_log(str(settings.staff_db))
    except ChatbotError:
        _log.exception("the staff action %r of %s could not be logged", action, user.name)
        return
    _record(log, user.name, action, detail, client_address())


def evaluation_file(settings: Settings, text: str) -> Path:
    """The labelled file named in the evaluation box, only when it lies inside the evaluation folder."""
    folder = settings.evaluation_dir
    path = Path(text.strip()).expanduser()
    if not path.is_absolute():
        path = folder / path
    resolved = path.resolve()
    if not resolved.is_relative_to(folder):
        raise SettingsError(f"Only labelled files inside {folder} can be run (MBC_EVAL_DIR); {path} is outside it.")
    if not resolved.is_file():
        raise SettingsError(f"There is no labelled file at {path}.")
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


def served_index(settings: Settings) -> idx.Index:
    """The index version patients are answered from now, loaded once per version of ``CURRENT``."""
    version = idx.current_version(settings.index_dir)
    if version is None:
        raise IndexMissingError(f"No index has been built in {settings.index_dir} yet. Build it with: python -m ingest")
    return _load_served(str(settings.index_dir), version)


def page_when_answered(settings: Settings, version: str, doc_id: str) -> str | None:
    """A page's text in an older index version, while that version is still kept on disk (MBC_KEEP_VERSIONS)."""
    try:
        if version not in idx.list_versions(settings.index_dir):
            return None
        return _load_index(str(settings.index_dir), version).texts.get(doc_id)
    except ChatbotError:
        return None


def escape_markdown(text: str) -> str:
    """Text safe to put inside Markdown (labels, bold names): every special character backslashed."""
    specials = "\\`*_{}[]()#+-.!|<>~$:&"
    return "".join("\\" + ch if ch in specials else ch for ch in text.replace("\n", " "))


def page_html(body_html: str, *, height_rem: int = 24) -> str:
    """A scrolling box for highlighted page text (``body_html`` must already be escaped).

    ``scroll_to_marks`` brings the box's ``<mark>`` into view when the box is shown.
    """
    return (
        '<div class="mbc-page-box" style="max-height:'
        + str(height_rem)
        + "rem;overflow-y:auto;border:1px solid rgba(128,128,128,.4);"
        'border-radius:.5rem;padding:.75rem;line-height:1.5;font-size:.95rem">' + body_html + "</div>"
    )


# A page box opens scrolled to its highlighted quote, a third of the way down the box. Boxes inside a
# closed expander have no height yet, so the script looks again while the page is open; each box is
# placed once (a reviewer who scrolls it keeps their place).
_SCROLL_TO_MARKS = """<script>
(function () {
  if (window.mbcMarkWatch) return;
  window.mbcMarkWatch = true;
  setInterval(function () {
    document.querySelectorAll(".mbc-page-box").forEach(function (box) {
      var mark = box.querySelector("mark");
      if (!mark || box.dataset.mbcPlaced === "1" || box.clientHeight === 0) return;
      var offset = mark.getBoundingClientRect().top - box.getBoundingClientRect().top + box.scrollTop;
      box.scrollTop = Math.max(0, offset - box.clientHeight / 3);
      box.dataset.mbcPlaced = "1";
    });
  }, 200);
})();
</script>"""


def scroll_to_marks() -> None:
    """Once per page: every page box opens scrolled to its highlighted quote."""
    st.html(_SCROLL_TO_MARKS, unsafe_allow_javascript=True)


def local_time(moment: str | None) -> str:
    """A stored UTC timestamp as the reader's local date and time: ``1 Dec 2026, 14:05``.

    The reader's time zone is the browser's (``st.context.timezone``), else this server's.
    """
    if not moment:
        return "—"
    try:
        parsed = datetime.fromisoformat(str(moment))
    except ValueError:
        return str(moment)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    zone = None
    try:
        name = st.context.timezone
        zone = ZoneInfo(name) if name else None
    except (AttributeError, RuntimeError, ValueError, ZoneInfoNotFoundError):
        zone = None
    local = parsed.astimezone(zone) if zone else parsed.astimezone()
    return f"{local.day} {local:%b %Y, %H:%M}"


def first_words(text: str, count: int = 12) -> str:
    """The first ``count`` words of a quote, with "…" when there are more."""
    words = text.split()
    return " ".join(words[:count]) + (" …" if len(words) > count else "")


def plain_html(text: str) -> str:
    """Untrusted text as escaped HTML with its line breaks kept."""
    return html.escape(text).replace("\n", "<br>")


# Short column names for the per-category evaluation table (the full names are in evaluation.METRICS).
SHORT_NAMES = {
    "hit_at_1": "hit@1",
    "hit_at_3": "hit@3",
    "false_refusal_rate": "false refusals",
    "correct_refusal_rate": "correct refusals",
    "urgent_recall": "urgent recall",
    "verbatim_rate": "verbatim",
}

# Evaluation figures that are shares of questions, shown as percentages.
RATES = frozenset(
    {"hit_at_1", "hit_at_3", "false_refusal_rate", "correct_refusal_rate", "urgent_recall", "verbatim_rate"}
)


def figure_text(name: str, value: object) -> str:
    """An evaluation figure for people: rates as percentages, "—" when there is none (a first run)."""
    return _figure(name, value, change=False)


def change_text(name: str, change: object) -> str:
    """A change between two runs: percentage points for rates, "—" when there is nothing to compare."""
    return _figure(name, change, change=True)


def _figure(name: str, value: object, *, change: bool) -> str:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return "—"
    sign = "+" if change else ""
    if name in RATES:
        return f"{value * 100:{sign}.1f} " + ("points" if change else "%")
    if name.endswith("_ms"):
        return f"{value:{sign},.1f} ms"
    if change:
        return f"{value:+,.1f}"
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"
