"""Staff sign-in that lasts across reloads and staff pages: a server-side session behind an HttpOnly cookie.

The password check stays in ``staff.access``; this only remembers who signed in.

1. The sign-in form (``ui.staff_components``) checks the password, then ``issue_ticket(name)`` gives a
   one-time ticket (valid ``TICKET_S`` seconds), which the page's script POSTs to
   ``/_mbc/staff/session``.
2. That route (served by the launcher, ``serve.py``) swaps the ticket for a session and sets the
   cookie ``mbc_staff``: a random token plus its HMAC-SHA256 under a key made at server start,
   ``HttpOnly; SameSite=Strict; Path=/``. The page then reloads.
3. Every staff page run reads the cookie (``st.context.cookies``) and ``lookup`` returns the name
   while the session is neither idle longer than ``MBC_STAFF_IDLE_MINUTES`` (default 30) nor
   older than ``MAX_AGE_S`` (12 hours); each lookup counts as use.
4. "Sign out" ends the session on the server (``end``) and the page's script asks the route to
   clear the cookie.

Nothing is ever put in the address. Sessions live in this process's memory: a server restart
signs everyone out. Under plain ``streamlit run`` (no route) a sign-in lasts for the browser tab only.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import threading
import time
from dataclasses import dataclass

COOKIE = "mbc_staff"
ROUTE = "/_mbc/staff/session"
TICKET_S = 60.0
MAX_AGE_S = 12 * 3600.0

_KEY = secrets.token_bytes(32)  # made at server start: a cookie from an earlier server is refused
_LOCK = threading.Lock()


@dataclass
class _Session:
    name: str
    created: float
    last_used: float


_tickets: dict[str, tuple[str, float]] = {}  # ticket -> (name, issued)
_sessions: dict[str, _Session] = {}  # token -> session


def _sign(token: str) -> str:
    return hmac.new(_KEY, token.encode("ascii"), hashlib.sha256).hexdigest()


def _token_of(cookie: str | None) -> str | None:
    """The token inside a cookie value whose signature checks out."""
    if not isinstance(cookie, str) or cookie.count(".") != 1 or len(cookie) > 200:
        return None
    token, signature = cookie.split(".")
    if not token or not hmac.compare_digest(_sign(token), signature):
        return None
    return token


def issue_ticket(name: str, *, now: float | None = None) -> str:
    """A one-time ticket for a staff member whose password has just been checked."""
    now = time.time() if now is None else now
    ticket = secrets.token_urlsafe(32)
    with _LOCK:
        for old in [t for t, (_, issued) in _tickets.items() if now - issued > TICKET_S]:
            del _tickets[old]
        _tickets[ticket] = (name, now)
    return ticket


def start_session(ticket: str, *, now: float | None = None) -> str | None:
    """Swap a fresh ticket for a session; returns the cookie value, or None for an unknown or old ticket."""
    now = time.time() if now is None else now
    with _LOCK:
        found = _tickets.pop(ticket, None) if isinstance(ticket, str) else None
        if found is None or now - found[1] > TICKET_S:
            return None
        token = secrets.token_urlsafe(32)
        _sessions[token] = _Session(found[0], now, now)
    return f"{token}.{_sign(token)}"


def lookup(cookie: str | None, *, idle_s: float, now: float | None = None) -> str | None:
    """The signed-in name for a cookie value, counting this as use; None when absent, forged or expired."""
    return check(cookie, idle_s=idle_s, now=now)[0]


def check(cookie: str | None, *, idle_s: float, now: float | None = None) -> tuple[str | None, str | None]:
    """``(name, None)`` for a live session (counted as use); ``(None, name)`` when it has just expired.

    ``(None, None)`` when the cookie is absent, forged or its session already gone. The expired name
    lets the staff pages log an idle sign-out (``ask.staff_log``) and say why the visitor must sign in.
    """
    now = time.time() if now is None else now
    token = _token_of(cookie)
    if token is None:
        return None, None
    with _LOCK:
        session = _sessions.get(token)
        if session is None:
            return None, None
        if now - session.last_used > idle_s or now - session.created > MAX_AGE_S:
            del _sessions[token]
            return None, session.name
        session.last_used = now
        return session.name, None


def end(cookie: str | None) -> None:
    """Sign out: the session is gone on the server, whatever the browser still holds."""
    token = _token_of(cookie)
    if token is not None:
        with _LOCK:
            _sessions.pop(token, None)


def set_cookie_header(value: str, *, secure: bool) -> str:
    attributes = f"{COOKIE}={value}; HttpOnly; SameSite=Strict; Path=/; Max-Age={int(MAX_AGE_S)}"
    return attributes + ("; Secure" if secure else "")


def routes() -> list:
    """The Starlette route the launcher mounts: POST a ticket to sign in, DELETE to clear the cookie."""
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import Route

    async def session(request: Request) -> Response:
        secure = request.url.scheme == "https"
        if request.method == "DELETE":
            end(request.cookies.get(COOKIE))
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
        value = start_session(ticket) if isinstance(ticket, str) else None
        if value is None:
            return Response(status_code=403)
        response = Response(status_code=204)
        response.headers["Set-Cookie"] = set_cookie_header(value, secure=secure)
        response.headers["Cache-Control"] = "no-store"
        return response

    return [Route(ROUTE, session, methods=["POST", "DELETE"])]
