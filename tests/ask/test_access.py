"""Staff sign-in: salted hashes, the MBC_STAFF_USERS format, role checks and the entry-making command."""

from __future__ import annotations

import getpass

import pytest

from ask import access
from ask.access import authenticate, hash_password, make_entry, parse_staff_users, verify_password
from index.errors import ChatbotError


@pytest.fixture(scope="module")
def ann_hash() -> str:
    return hash_password("correct horse")


def test_a_hash_is_salted_and_verifies_only_its_password(ann_hash):
    assert ann_hash.startswith("scrypt$16384$8$1$")
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
        ("ann:reviewer:hunter2", "(ann) has no scrypt hash; make one with: python -m ask.access ann reviewer"),
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
    entry = make_entry("kim", "reviewer+maintainer", "s3cret pass")
    user = parse_staff_users(entry)["kim"]
    assert verify_password("s3cret pass", user.password_hash) and user.may("maintainer")
    with pytest.raises(ChatbotError, match="cannot be empty"):
        make_entry("kim", "reviewer", "")


def test_the_command_prints_an_entry_that_signs_in(monkeypatch, capsys):
    answers = iter(["a long password", "a long password"])
    monkeypatch.setattr(getpass, "getpass", lambda prompt="": next(answers))
    assert access.main(["zoe", "reviewer"]) == 0
    entry = capsys.readouterr().out.strip()
    assert authenticate(parse_staff_users(entry), "zoe", "a long password", "reviewer").name == "zoe"


def test_the_command_refuses_two_different_passwords(monkeypatch, capsys):
    answers = iter(["one", "two"])
    monkeypatch.setattr(getpass, "getpass", lambda prompt="": next(answers))
    assert access.main(["zoe", "reviewer"]) == 1
    assert capsys.readouterr().err.strip() == "Error: the two passwords differ."


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
