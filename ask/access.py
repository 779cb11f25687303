"""Staff sign-in for the reviewer and maintainer pages: salted scrypt hashes, checked in constant time.

Staff accounts come from one string, ``MBC_STAFF_USERS`` (the environment, or the same key in
``.streamlit/secrets.toml``), never from the repository. Entries are separated by commas or new
lines; each is ``name:roles:hash`` where roles are ``reviewer`` and/or ``maintainer`` joined by ``+``::

    MBC_STAFF_USERS='ann:reviewer:scrypt$16384$8$1$<salt>$<key>, max:maintainer+reviewer:scrypt$...'

Make an entry (the password is asked for, not echoed, and never stored)::

    python -m ask.access ann reviewer
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

from index.errors import ChatbotError

__all__ = [
    "ROLES",
    "StaffUser",
    "authenticate",
    "hash_password",
    "make_entry",
    "parse_staff_users",
    "verify_password",
]

ROLES = ("reviewer", "maintainer")
ENABLE_HINT = (
    "To enable it, make a sign-in with `python -m ask.access YOUR_NAME reviewer` (or `maintainer`, or "
    "`reviewer+maintainer`) and put the line it prints in the MBC_STAFF_USERS environment variable, or as "
    "MBC_STAFF_USERS in .streamlit/secrets.toml, then restart the app."
)
# scrypt at n=2**14, r=8: 16 MiB and tens of milliseconds per check, so guessing is slow.
_SCRYPT_N, _SCRYPT_R, _SCRYPT_P = 2**14, 8, 1
_NAME = re.compile(r"^[^\s:,][^:,\n]*$")


@dataclass(frozen=True)
class StaffUser:
    """A staff member who may sign in: their name (stored with verdicts), roles and password hash."""

    name: str
    roles: frozenset[str]
    password_hash: str

    def may(self, role: str) -> bool:
        return role in self.roles


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def hash_password(password: str, *, salt: bytes | None = None, n: int = _SCRYPT_N) -> str:
    """A salted scrypt hash of ``password`` as ``scrypt$n$r$p$salt$key`` (URL-safe base64)."""
    if not password:
        raise ChatbotError("A staff password cannot be empty.")
    salt = salt or secrets.token_bytes(16)
    key = hashlib.scrypt(password.encode("utf-8"), salt=salt, n=n, r=_SCRYPT_R, p=_SCRYPT_P, dklen=32)
    return f"scrypt${n}${_SCRYPT_R}${_SCRYPT_P}${_b64(salt)}${_b64(key)}"


def verify_password(password: str, password_hash: str) -> bool:
    """Whether ``password`` matches a ``hash_password`` hash; compared in constant time."""
    try:
        scheme, n, r, p, salt, key = password_hash.split("$")
        if scheme != "scrypt":
            return False
        expected = _unb64(key)
        actual = hashlib.scrypt(
            password.encode("utf-8"), salt=_unb64(salt), n=int(n), r=int(r), p=int(p), dklen=len(expected)
        )
    except (ValueError, TypeError, MemoryError):
        return False
    return hmac.compare_digest(actual, expected)


def parse_staff_users(text: str) -> dict[str, StaffUser]:
    """Staff accounts from ``MBC_STAFF_USERS``; raises ``ChatbotError`` naming a bad entry (never its hash)."""
    users: dict[str, StaffUser] = {}
    for number, entry in enumerate((e.strip() for e in re.split(r"[,\n]", text or "")), start=1):
        if not entry:
            continue
        parts = entry.split(":")
        if len(parts) != 3:
            raise ChatbotError(f"MBC_STAFF_USERS entry {number} is not name:roles:hash.")
        name, roles_text, password_hash = (part.strip() for part in parts)
        if not _NAME.match(name):
            raise ChatbotError(f"MBC_STAFF_USERS entry {number} has no usable name.")
        roles = frozenset(role.strip() for role in roles_text.split("+") if role.strip())
        if not roles or not roles <= set(ROLES):
            raise ChatbotError(
                f"MBC_STAFF_USERS entry {number} ({name}) has roles {roles_text!r}; use {' or '.join(ROLES)}, "
                "joined by + for both."
            )
        if not password_hash.startswith("scrypt$") or password_hash.count("$") != 5:
            raise ChatbotError(
                f"MBC_STAFF_USERS entry {number} ({name}) has no scrypt hash; make one with: "
                f"python -m ask.access {name} {roles_text}"
            )
        if name in users:
            raise ChatbotError(f"MBC_STAFF_USERS names {name} twice.")
        users[name] = StaffUser(name, roles, password_hash)
    return users


def authenticate(users: dict[str, StaffUser], name: str, password: str, role: str) -> StaffUser | None:
    """The signed-in user when ``name`` and ``password`` match an account that has ``role``, else None."""
    user = users.get(name.strip())
    # An unknown name costs the same hash as a known one, so timing does not tell which names exist.
    password_hash = user.password_hash if user else hash_password("not a staff password", salt=b"\0" * 16)
    matches = verify_password(password, password_hash)
    if user is None or not matches or not user.may(role):
        return None
    return user


def make_entry(name: str, roles: str, password: str) -> str:
    """One ``MBC_STAFF_USERS`` entry, checked by parsing it back."""
    entry = f"{name.strip()}:{roles.strip()}:{hash_password(password)}"
    parse_staff_users(entry)
    return entry


def main(argv: list[str] | None = None) -> int:
    """Print an MBC_STAFF_USERS entry for a new staff sign-in.

    Example:
        python -m ask.access ann reviewer
        python -m ask.access max reviewer+maintainer
        printf '%s\n' "$PASSWORD" | python -m ask.access ann reviewer --password-stdin
    """
    import argparse
    import getpass
    import sys

    parser = argparse.ArgumentParser(
        prog="python -m ask.access", description=main.__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("name", help="the staff member's name, stored with their verdicts")
    parser.add_argument("roles", help="reviewer, maintainer, or reviewer+maintainer")
    parser.add_argument(
        "--password-stdin", action="store_true", help="read the password from the first line of stdin (scripts)"
    )
    args = parser.parse_args(argv)
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
        if not password:
            print("Error: no password on stdin.", file=sys.stderr)
            return 1
    else:
        password = getpass.getpass(f"Password for {args.name}: ")
        if password != getpass.getpass("Again: "):
            print("Error: the two passwords differ.", file=sys.stderr)
            return 1
    try:
        entry = make_entry(args.name, args.roles, password)
    except ChatbotError as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return 1
    print(entry)
    print(
        "\nAdd it to MBC_STAFF_USERS (entries separated by commas), e.g. in the environment:\n"
        f"  export MBC_STAFF_USERS='{entry}'\n"
        'or in .streamlit/secrets.toml (git-ignored):\n  MBC_STAFF_USERS = "' + entry + '"',
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
