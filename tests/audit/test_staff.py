"""The staff database on SQLite and PostgreSQL: the append-only action log, the sign-in throttle and
sign-in sessions that two app processes (replicas) share."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest
import sqlalchemy as sa

from audit import StaffLog
from audit.database import engine_for
from settings import REPO_ROOT
from staff import SignInGuard, hash_password, parse_staff_users

BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


@pytest.fixture(params=BACKENDS)
def target(request, tmp_path):
    if request.param == "sqlite":
        return tmp_path / "staff.sqlite3"
    return request.getfixturevalue("postgres_url")


@pytest.fixture(scope="module")
def users():
    return parse_staff_users(f"ann:reviewer:{hash_password('correct horse battery')}")


@pytest.mark.parametrize("statement", ["UPDATE staff_actions SET actor = 'eve'", "DELETE FROM staff_actions"])
def test_the_staff_action_log_is_append_only_in_the_database_itself(target, statement):
    log = StaffLog(target)
    log.record_action("max", "publish", "now serving v2", client="10.0.0.1")
    with (
        pytest.raises(sa.exc.DBAPIError, match="the staff action log is append-only"),
        engine_for(target).begin() as db,
    ):
        db.execute(sa.text(statement))
    assert [(a.actor, a.action, a.detail, a.client) for a in log.actions()] == [
        ("max", "publish", "now serving v2", "10.0.0.1")
    ]


def test_a_lockout_holds_for_another_process_on_the_same_database(target, users):
    guard = SignInGuard(StaffLog(target))
    for _ in range(5):
        assert guard.attempt(users, "ann", "a wrong guess", "reviewer", "10.0.0.1") == (None, 0)
    # Another replica: a separate process, another client address, the right password; still refused.
    script = textwrap.dedent(
        """
        import sys
        from staff import SignInGuard, parse_staff_users
        from audit import StaffLog
        users = parse_staff_users(sys.argv[2])
        user, wait = SignInGuard(StaffLog(sys.argv[1])).attempt(users, "ann", "correct horse battery", "reviewer", "10.0.0.2")
        print(user is None, wait)
        """
    )
    entry = f"ann:reviewer:{users['ann'].password_hash}"
    other = subprocess.run(
        [sys.executable, "-c", script, str(target), entry], cwd=REPO_ROOT, capture_output=True, text=True, timeout=60
    )
    assert other.returncode == 0, other.stderr
    refused, wait = other.stdout.split()
    assert refused == "True" and 14 * 60 < int(wait) <= 15 * 60
    assert [a.action for a in StaffLog(target).actions(limit=2)] == ["sign-in refused: locked out", "lockout"]


def test_a_session_started_by_one_process_is_known_to_another_and_ends_for_both(target):
    log = StaffLog(target)
    log.add_ticket("ticket-1", "ann", now=100.0, older_than=40.0)
    assert log.take_ticket("ticket-1") == ("ann", 100.0)
    assert log.take_ticket("ticket-1") is None  # once only
    log.add_session("token-1", "ann", now=100.0)
    script = "import sys; from audit import StaffLog; print(StaffLog(sys.argv[1]).use_session('token-1', now=150.0, idle_s=60, max_age_s=3600))"
    other = subprocess.run(
        [sys.executable, "-c", script, str(target)], cwd=REPO_ROOT, capture_output=True, text=True, timeout=60
    )
    assert other.returncode == 0 and other.stdout.strip() == "('ann', None)", other.stderr
    # The other process's use counts: 100 s after the first start, 50 s after that use, it is still live.
    assert log.use_session("token-1", now=200.0, idle_s=60, max_age_s=3600) == ("ann", None)
    assert log.use_session("token-1", now=261.0, idle_s=60, max_age_s=3600) == (None, "ann")  # idle: ended
    assert log.use_session("token-1", now=262.0, idle_s=60, max_age_s=3600) == (None, None)
    log.add_session("token-2", "kim", now=300.0)
    log.end_session("token-2")
    assert StaffLog(target).use_session("token-2", now=301.0, idle_s=60, max_age_s=3600) == (None, None)


def test_every_process_gets_the_same_cookie_key(target):
    script = "import sys; from audit import StaffLog; print(StaffLog(sys.argv[1]).session_key().hex())"
    runs = [
        subprocess.Popen([sys.executable, "-c", script, str(target)], cwd=REPO_ROOT, stdout=subprocess.PIPE, text=True)
        for _ in range(3)
    ]
    keys = {run.communicate(timeout=60)[0].strip() for run in runs}
    assert len(keys) == 1 and keys == {StaffLog(target).session_key().hex()}
