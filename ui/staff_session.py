"""Staff sign-in that lasts across reloads and staff pages: a server-side session behind an HttpOnly cookie.

The password check stays in ``staff.access``; this only remembers who signed in.

1. The sign-in form (``ui.staff_components``) checks the password, then ``issue_ticket(name)`` gives a
   one-time ticket (valid ``TICKET_S`` seconds), which the page's script POSTs to
   ``/_mbc/staff/session``.
2. That route (served by the launcher, ``serve.py``) swaps the ticket for a session and sets the
   cookie ``mbc_staff``: a random token plus its HMAC-SHA256 under a key kept in the staff database,
   ``HttpOnly; SameSite=Strict; Path=/``. The tab shows the signed-in view at once (its session
   state); the cookie, set a moment later, is what a reload, another staff page or another replica reads.
3. Every staff page run reads the cookie (``st.context.cookies``) and ``lookup`` returns the name
   while the session is neither idle longer than ``MBC_STAFF_IDLE_MINUTES`` (default 30) nor
   older than ``MAX_AGE_S`` (12 hours); each lookup counts as use.
4. "Sign out" ends the session on the server (``end``) and the page's script asks the route to
   clear the cookie.

Nothing is ever put in the address. Sessions, tickets and the signing key live in the staff
database (``audit.staff``; only SHA-256 digests of tokens and tickets are stored), so a sign-in
holds on every replica that shares it and across restarts, and "Sign out" ends it on all of them.
Under plain ``streamlit run`` (no route) a sign-in lasts for the browser tab only.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import secrets
import threading
import time

from audit import StaffLog
from errors import ChatbotError
from settings import settings_from_env

_log = logging.getLogger("mbc.staff_session")

COOKIE = "mbc_staff"
ROUTE = "/_mbc/staff/session"
TICKET_S = 60.0
MAX_AGE_S = 12 * 3600.0

_LOCK = threading.Lock()
_stores: dict[str, tuple[StaffLog, bytes]] = {}  # staff database -> (its log, its cookie key)


def _store() -> tuple[StaffLog, bytes]:
    """The staff database of the current settings and its signing key, opened once per process."""
    target = settings_from_env().staff_db
    key = str(target)
    with _LOCK:
        found = _stores.get(key)
    if found is None:
        log = StaffLog(target)
        found = (log, log.session_key())
        with _LOCK:
            _stores[key] = found
    return found


def _sign(key: bytes, token: str) -> str:
    return hmac.new(key, token.encode("ascii"), hashlib.sha256).hexdigest()


def _token_of(cookie: str | None, key: bytes) -> str | None:
    """The token inside a cookie value whose signature checks out."""
    if not isinstance(cookie, str) or cookie.count(".") != 1 or len(cookie) > 200:
        return None
    token, signature = cookie.split(".")
    if not token or not hmac.compare_digest(_sign(key, token), signature):
        return None
    return token


def issue_ticket(name: str, *, now: float | None = None) -> str:
    """A one-time ticket for a staff member whose password has just been checked."""
    now = time.time() if now is None else now
    ticket = secrets.token_urlsafe(32)
    log, _key = _store()
    log.add_ticket(ticket, name, now=now, older_than=now - TICKET_S)
    return ticket


def start_session(ticket: str, *, now: float | None = None) -> str | None:
    """Swap a fresh ticket for a session; returns the cookie value, or None for an unknown or old ticket."""
    now = time.time() if now is None else now
    if not isinstance(ticket, str):
        return None
    log, key = _store()
    found = log.take_ticket(ticket)
    if found is None or now - found[1] > TICKET_S:
        return None
    token = secrets.token_urlsafe(32)
    log.add_session(token, found[0], now=now)
    return f"{token}.{_sign(key, token)}"


def lookup(cookie: str | None, *, idle_s: float, now: float | None = None) -> str | None:
    """The signed-in name for a cookie value, counting this as use; None when absent, forged or expired."""
    return check(cookie, idle_s=idle_s, now=now)[0]


def check(cookie: str | None, *, idle_s: float, now: float | None = None) -> tuple[str | None, str | None]:
    """``(name, None)`` for a live session (counted as use); ``(None, name)`` when it has just expired.

    ``(None, None)`` when the cookie is absent, forged or its session already gone. The expired name
    lets the staff pages log an idle sign-out (``audit.staff``) and say why the visitor must sign in.
    """
    now = time.time() if now is None else now
    log, key = _store()
    token = _token_of(cookie, key)
    if token is None:
        return None, None
    return log.use_session(token, now=now, idle_s=idle_s, max_age_s=MAX_AGE_S)


def end(cookie: str | None) -> None:
    """Sign out: the session is gone on the server, whatever the browser still holds."""
    log, key = _store()
    token = _token_of(cookie, key)
    if token is not None:
        log.end_session(token)


def set_cookie_header(value: str, *, secure: bool) -> str:
    attributes = f"{COOKIE}={value}; HttpOnly; SameSite=Strict; Path=/; Max-Age={int(MAX_AGE_S)}"
    return attributes + ("; Secure" if secure else "")


def routes() -> list:
    """The Starlette route the launcher mounts: POST a ticket to sign in, DELETE to clear the cookie."""
    from starlette.concurrency import run_in_threadpool
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import Route

    async def session(request: Request) -> Response:
        try:
            return await _session(request)
        except ChatbotError:
            # The staff database cannot be reached: no sign-in now, and the page says why when it runs.
            _log.exception("the staff sign-in route could not use the staff database")
            return Response(status_code=503)

    async def _session(request: Request) -> Response:
        secure = request.url.scheme == "https"
        if request.method == "DELETE":
            await run_in_threadpool(end, request.cookies.get(COOKIE))
            response = Response(status_code=204)
            response.headers["Set-Cookie"] = f"{COOKIE}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0" + (
                "; Secure" if secure else ""
            )
            return response
        try:
            body = json.loads((await request.body())[:1000] or b"{}")
            ticket = body.get("ticket") if isinstance(body, dict) else None
        except ValueError:
            ticket = None
        value = await run_in_threadpool(start_session, ticket) if isinstance(ticket, str) else None
        if value is None:
            return Response(status_code=403)
        response = Response(status_code=204)
        response.headers["Set-Cookie"] = set_cookie_header(value, secure=secure)
        response.headers["Cache-Control"] = "no-store"
        return response

    return [Route(ROUTE, session, methods=["POST", "DELETE"])]
