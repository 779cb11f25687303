"""Staff sign-in: salted hashes, the MBC_STAFF_USERS format, role checks and the entry-making command."""

from __future__ import annotations

import getpass
import hashlib

import pytest

from errors import ChatbotError
from staff import access, authenticate, hash_password, make_entry, parse_staff_users, verify_password


@pytest.fixture(scope="module")
def ann_hash() -> str:
    return hash_password("correct horse")


def test_a_hash_is_salted_and_verifies_only_its_password(ann_hash):
    assert ann_hash.startswith("scrypt$131072$8$1$")  # OWASP's minimum: N=2^17, r=8, p=1
    assert hash_password("correct horse") != ann_hash  # a fresh salt each time
    assert verify_password("correct horse", ann_hash)
    assert not verify_password("correct horse ", ann_hash)
    assert not verify_password("", ann_hash)
    assert not verify_password("correct horse", "scrypt$not$a$valid$hash$x")
    assert not verify_password("correct horse", "md5$x")


def test_staff_users_are_parsed_with_their_roles(ann_hash):
    users = parse_staff_users(f"ann:reviewer:{ann_hash},\n Max Doe : maintainer+reviewer : {ann_hash}\n")
    assert sorted(users) == ["Max Doe", "ann"]
    assert users["ann"].roles == {"reviewer"}
    assert users["Max Doe"].roles == {"reviewer", "maintainer"}
    assert parse_staff_users("") == {} and parse_staff_users(" ,\n") == {}


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("ann:reviewer", "MBC_STAFF_USERS entry 1 is not name:roles:hash."),
        (":reviewer:{h}", "MBC_STAFF_USERS entry 1 has no usable name."),
        ("ann::{h}", "MBC_STAFF_USERS entry 1 (ann) has roles ''; use reviewer or maintainer, joined by + for both."),
        ("ann:admin:{h}", "MBC_STAFF_USERS entry 1 (ann) has roles 'admin'; use reviewer or maintainer"),
        ("ann:reviewer:hunter2", "(ann) has no scrypt hash; make one with: python -m staff.access ann reviewer"),
        ("ann:reviewer:{h}, ann:maintainer:{h}", "MBC_STAFF_USERS names ann twice."),
        ("ann:reviewer:{h}, bob:reviewer", "MBC_STAFF_USERS entry 2 is not name:roles:hash."),
    ],
)
def test_bad_staff_settings_name_the_entry_but_never_the_secret(value, message, ann_hash):
    with pytest.raises(ChatbotError) as caught:
        parse_staff_users(value.format(h=ann_hash))
    assert message in str(caught.value)
    assert "hunter2" not in str(caught.value) and ann_hash not in str(caught.value)


@pytest.mark.parametrize(
    ("name", "password", "role", "signed_in"),
    [
        ("ann", "correct horse", "reviewer", "ann"),
        (" ann ", "correct horse", "reviewer", "ann"),
        ("ann", "correct horse", "maintainer", None),
        ("ann", "wrong", "reviewer", None),
        ("bob", "correct horse", "reviewer", None),
        ("", "", "reviewer", None),
    ],
)
def test_authenticate_needs_name_password_and_role(name, password, role, signed_in, ann_hash):
    users = parse_staff_users(f"ann:reviewer:{ann_hash}")
    user = authenticate(users, name, password, role)
    assert (user.name if user else None) == signed_in


def test_make_entry_round_trips():
    entry = make_entry("kim", "reviewer+maintainer", "s3cret passphrase")
    user = parse_staff_users(entry)["kim"]
    assert verify_password("s3cret passphrase", user.password_hash) and user.may("maintainer")


def test_the_command_prints_an_entry_that_signs_in(monkeypatch, capsys):
    answers = iter(["a long password", "a long password"])
    monkeypatch.setattr(getpass, "getpass", lambda prompt="": next(answers))
    assert access.main(["zoe", "reviewer"]) == 0
    entry = capsys.readouterr().out.strip()
    assert authenticate(parse_staff_users(entry), "zoe", "a long password", "reviewer").name == "zoe"


def test_the_command_refuses_two_different_passwords(monkeypatch, capsys):
    answers = iter(["one long password", "two long passwords"])
    monkeypatch.setattr(getpass, "getpass", lambda prompt="": next(answers))
    assert access.main(["zoe", "reviewer"]) == 1
    assert capsys.readouterr().err.strip() == "Error: the two passwords differ."


# Defect 10: a stored entry with N=2 was accepted, and so was a 1-character password.
def _entry(n: int, r: int = 8, p: int = 1, salt: bytes = b"s" * 16, key: bytes = b"k" * 32) -> str:
    b64 = access._b64
    return f"ann:reviewer:scrypt${n}${r}${p}${b64(salt)}${b64(key)}"


WEAK_ENTRIES = [
    ("the old default N=2^14", _entry(2**14), "uses scrypt N=16384, r=8, p=1, weaker than the minimum N=131072"),
    ("N=2", _entry(2), "uses scrypt N=2, r=8, p=1, weaker than the minimum"),
    ("r=1", _entry(2**17, r=1), "uses scrypt N=131072, r=1, p=1, weaker than the minimum"),
    ("p=0", _entry(2**17, p=0), "uses scrypt N=131072, r=8, p=0, weaker than the minimum"),
    ("N not a power of 2", _entry(2**17 + 1), "uses scrypt N=131073, r=8, p=1, outside what this server checks"),
    ("N far too large", _entry(2**24), "uses scrypt N=16777216, r=8, p=1, outside what this server checks"),
    ("short salt", _entry(2**17, salt=b"s" * 4), "has a salt shorter than 16 bytes"),
    ("not numbers", "ann:reviewer:scrypt$x$8$1$c2FsdA$a2V5", "has a malformed scrypt hash"),
]


@pytest.mark.parametrize(("value", "message"), [w[1:] for w in WEAK_ENTRIES], ids=[w[0] for w in WEAK_ENTRIES])
def test_weak_stored_entries_are_refused_with_a_message(value: str, message: str):
    with pytest.raises(ChatbotError) as caught:
        parse_staff_users(value)
    assert f"MBC_STAFF_USERS entry 1 (ann) {message}" in str(caught.value)
    assert "make a new one with: python -m staff.access ann reviewer" in str(caught.value)


def test_a_weak_hash_never_verifies_even_if_it_matches():
    salt = b"s" * 16
    key = hashlib.scrypt(b"correct horse", salt=salt, n=2, r=8, p=1, dklen=32)
    assert not verify_password("correct horse", _entry(2, salt=salt, key=key).split(":", 2)[2])


SHORT_PASSWORDS = [("one character", "x"), ("eleven characters", "x" * 11), ("empty", "")]


@pytest.mark.parametrize("password", [p[1] for p in SHORT_PASSWORDS], ids=[p[0] for p in SHORT_PASSWORDS])
def test_cli_refuses_a_short_password_from_stdin(password: str):
    result = _access_cli("zoe", "reviewer", "--password-stdin", stdin=password + "\n")
    assert result.returncode == 1 and result.stdout == ""
    assert f"Error: A staff password needs at least 12 characters (this one has {len(password)})." in result.stderr


def test_cli_makes_an_entry_non_interactively():
    result = _access_cli("zoe", "reviewer+maintainer", "--password-stdin", stdin="a long enough password\n")
    assert result.returncode == 0, result.stderr
    entry = result.stdout.strip()
    assert entry.startswith("zoe:reviewer+maintainer:scrypt$131072$8$1$")
    assert authenticate(parse_staff_users(entry), "zoe", "a long enough password", "maintainer").name == "zoe"


def _access_cli(*args: str, stdin: str):
    import subprocess
    import sys

    from settings import REPO_ROOT

    return subprocess.run(
        [sys.executable, "-m", "staff.access", *args],
        cwd=REPO_ROOT,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
    )


# Defect 10: the lockout lived in the browser session, so a reload reset it.
def test_lockout_per_account_is_kept_in_the_database_and_ends_after_its_window(tmp_path, ann_hash):
    from datetime import UTC, datetime, timedelta

    from audit import StaffLog
    from staff import SignInGuard

    users = parse_staff_users(f"ann:reviewer:{ann_hash}")
    guard = SignInGuard(StaffLog(tmp_path / "staff.sqlite3"))
    for _ in range(5):
        assert guard.attempt(users, "ann", "a guess", "reviewer", "10.0.0.1") == (None, 0)
    # Another "session": a new guard on the same file; even the right password is refused.
    again = SignInGuard(StaffLog(tmp_path / "staff.sqlite3"))
    user, wait = again.attempt(users, "ann", "correct horse", "reviewer", "10.0.0.2")
    assert user is None and 14 * 60 < wait <= 15 * 60
    later = datetime.now(UTC) + timedelta(minutes=15, seconds=1)
    assert again.wait_seconds("ann", "10.0.0.2", now=later) == 0
    actions = [a.action for a in StaffLog(tmp_path / "staff.sqlite3").actions()]
    assert actions[:3] == ["sign-in refused: locked out", "lockout", "sign-in failed"]
    assert actions.count("sign-in failed") == 5


def test_lockout_per_client_address_covers_every_name(tmp_path, ann_hash):
    from audit import StaffLog
    from staff import SignInGuard

    users = parse_staff_users(f"ann:reviewer:{ann_hash}")
    log = StaffLog(tmp_path / "staff.sqlite3")
    for number in range(20):
        log.record_sign_in(f"guess{number}", "10.9.9.9", ok=False)
    guard = SignInGuard(log)
    assert guard.attempt(users, "ann", "correct horse", "reviewer", "10.9.9.9")[0] is None
    assert guard.attempt(users, "ann", "correct horse", "reviewer", "10.0.0.1")[0].name == "ann"


def test_the_staff_action_log_is_append_only(tmp_path):
    import sqlite3

    from audit import StaffLog

    log = StaffLog(tmp_path / "staff.sqlite3")
    log.record_action("max", "publish", "now serving v2", client="10.0.0.1")
    db = sqlite3.connect(tmp_path / "staff.sqlite3")
    for statement in ("UPDATE staff_actions SET actor = 'eve'", "DELETE FROM staff_actions"):
        with pytest.raises(sqlite3.IntegrityError, match="the staff action log is append-only"):
            db.execute(statement)
    db.close()
    assert [(a.actor, a.action, a.detail, a.client) for a in log.actions()] == [
        ("max", "publish", "now serving v2", "10.0.0.1")
    ]


def test_the_command_reads_a_password_from_stdin_for_scripts(monkeypatch, capsys):
    import io

    monkeypatch.setattr("sys.stdin", io.StringIO("a password from a script\n"))
    assert access.main(["ann", "reviewer", "--password-stdin"]) == 0
    entry = capsys.readouterr().out.splitlines()[0]
    users = parse_staff_users(entry)
    assert authenticate(users, "ann", "a password from a script", "reviewer") is not None
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    assert access.main(["ann", "reviewer", "--password-stdin"]) == 1
    assert "no password on stdin" in capsys.readouterr().err
