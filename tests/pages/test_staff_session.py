"""The staff sign-in session: signed, expiring, one-time tickets, and the route that sets the HttpOnly cookie.

Sessions live in the test's staff database (``isolated_env`` gives each test its own).
"""

from __future__ import annotations

import json

import pytest

from ui import staff_session


def test_a_ticket_becomes_one_signed_session_and_only_once():
    ticket = staff_session.issue_ticket("ann", now=1000.0)
    cookie = staff_session.start_session(ticket, now=1001.0)
    assert cookie is not None and "ann" not in cookie  # the name is on the server, not in the cookie
    assert staff_session.start_session(ticket, now=1002.0) is None  # a ticket works once
    assert staff_session.lookup(cookie, idle_s=60, now=1010.0) == "ann"


def test_an_old_ticket_is_refused():
    ticket = staff_session.issue_ticket("ann", now=1000.0)
    assert staff_session.start_session(ticket, now=1000.0 + staff_session.TICKET_S + 1) is None


@pytest.mark.parametrize("change", ["token", "signature"])
def test_a_forged_cookie_is_refused(change: str):
    cookie = staff_session.start_session(staff_session.issue_ticket("ann", now=0.0), now=0.0)
    token, signature = cookie.split(".")
    forged = f"{token[:-1]}x.{signature}" if change == "token" else f"{token}.{'0' * len(signature)}"
    assert staff_session.lookup(forged, idle_s=60, now=1.0) is None
    assert staff_session.lookup(cookie, idle_s=60, now=1.0) == "ann"


@pytest.mark.parametrize("bad", [None, "", "no-dot", "a.b.c", "x" * 500, 42])
def test_bad_cookie_values_are_nobody(bad):
    assert staff_session.lookup(bad, idle_s=60, now=0.0) is None


def test_idle_expiry_counts_from_the_last_use_and_the_session_is_gone_after():
    cookie = staff_session.start_session(staff_session.issue_ticket("kim", now=0.0), now=0.0)
    assert staff_session.lookup(cookie, idle_s=100, now=90.0) == "kim"  # used: the idle clock restarts
    assert staff_session.lookup(cookie, idle_s=100, now=180.0) == "kim"
    assert staff_session.lookup(cookie, idle_s=100, now=281.0) is None
    assert staff_session.lookup(cookie, idle_s=100, now=282.0) is None  # ended, not just late


def test_a_session_ends_after_its_maximum_age_even_in_use():
    cookie = staff_session.start_session(staff_session.issue_ticket("kim", now=0.0), now=0.0)
    now = 0.0
    while now < staff_session.MAX_AGE_S - 3600:
        now += 3000  # used every 50 minutes: never idle for its hour
        assert staff_session.lookup(cookie, idle_s=3600, now=now) == "kim"
    assert staff_session.lookup(cookie, idle_s=3600, now=staff_session.MAX_AGE_S + 1) is None


def test_sign_out_ends_the_session_on_the_server():
    cookie = staff_session.start_session(staff_session.issue_ticket("max", now=0.0), now=0.0)
    staff_session.end(cookie)
    assert staff_session.lookup(cookie, idle_s=60, now=1.0) is None


def test_the_route_sets_an_httponly_strict_cookie_for_a_ticket_and_clears_it():
    from starlette.applications import Starlette
    from starlette.testclient import TestClient

    client = TestClient(Starlette(routes=staff_session.routes()))
    assert client.post(staff_session.ROUTE, content=json.dumps({"ticket": "made up"})).status_code == 403
    assert client.post(staff_session.ROUTE, content=b"not json").status_code == 403
    response = client.post(staff_session.ROUTE, content=json.dumps({"ticket": staff_session.issue_ticket("ann")}))
    assert response.status_code == 204
    header = response.headers["set-cookie"]
    assert header.startswith(f"{staff_session.COOKIE}=")
    for attribute in ("HttpOnly", "SameSite=Strict", "Path=/", f"Max-Age={int(staff_session.MAX_AGE_S)}"):
        assert attribute in header
    value = header.split(";")[0].split("=", 1)[1]
    assert staff_session.lookup(value, idle_s=60) == "ann"
    cleared = client.delete(staff_session.ROUTE, cookies={staff_session.COOKIE: value})
    assert cleared.status_code == 204 and "Max-Age=0" in cleared.headers["set-cookie"]
    assert staff_session.lookup(value, idle_s=60) is None


def test_a_tab_left_idle_longer_than_the_setting_is_signed_out(staff, pages, monkeypatch):
    from ui import staff_components as staff_ui

    monkeypatch.setenv("MBC_STAFF_IDLE_MINUTES", "5")
    at = pages.open_signed_in(pages.reviewer, "ann")
    assert "Signed in as" in pages.text(at)
    at.session_state[staff_ui.LAST_USED_KEY] = at.session_state[staff_ui.LAST_USED_KEY] - 4 * 60
    at.run()
    assert "Signed in as" in pages.text(at)  # four minutes: still signed in, and the clock restarts
    at.session_state[staff_ui.LAST_USED_KEY] = at.session_state[staff_ui.LAST_USED_KEY] - 6 * 60
    pages.ok(at.run())
    assert "Signed in as" not in pages.text(at) and "Staff sign-in" in pages.text(at)
    # The idle sign-out says why (issue-13's message) and clears the browser's cookie too.
    assert "You were signed out after 5 minutes without activity. Sign in again." in pages.text(at)
    assert any("DELETE" in element.proto.body for element in at.html)


def test_sign_out_returns_to_the_sign_in_form(staff, pages):
    at = pages.open_signed_in(pages.reviewer, "ann")
    pages.ok(at.button(key="sign-out").click().run())
    assert "Staff sign-in" in pages.text(at) and "You are signed out." in pages.text(at)
    assert any("DELETE" in element.proto.body for element in at.html)  # the browser's cookie is cleared too


def test_the_route_answers_503_when_the_staff_database_cannot_be_used(tmp_path, monkeypatch):
    from starlette.applications import Starlette
    from starlette.testclient import TestClient

    (tmp_path / "a-folder").mkdir()
    monkeypatch.setenv("MBC_STAFF_DB", str(tmp_path / "a-folder"))
    client = TestClient(Starlette(routes=staff_session.routes()))
    assert client.post(staff_session.ROUTE, content=json.dumps({"ticket": "any"})).status_code == 503
    assert client.delete(staff_session.ROUTE, cookies={staff_session.COOKIE: "a.b"}).status_code == 503
