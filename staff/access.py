"""Staff sign-in for the reviewer and maintainer pages: salted scrypt hashes, checked in constant time.

Staff accounts come from one string, ``MBC_STAFF_USERS`` (the environment, or the same key in
``.streamlit/secrets.toml``), never from the repository. Entries are separated by commas or new
lines; each is ``name:roles:hash`` where roles are ``reviewer`` and/or ``maintainer`` joined by ``+``::

    MBC_STAFF_USERS='ann:reviewer:scrypt$131072$8$1$<salt>$<key>, max:maintainer+reviewer:scrypt$...'

Make an entry (the password is asked for, not echoed, and never stored)::

    python -m staff.access ann reviewer
    printf '%s\n' "$PASSWORD" | python -m staff.access ann reviewer --password-stdin

Hashes are scrypt at OWASP's minimum or stronger (N=2^17, r=8, p=1: 128 MiB and about 0.3 s per
check); an entry with weaker parameters is refused with a message saying how to make a new one.
Passwords have at least ``MIN_PASSWORD_LENGTH`` characters.

``SignInGuard`` throttles guessing on the server, in the staff database (``audit.staff``), so a reload, a new
browser or another replica does not reset it: after ``MAX_ACCOUNT_FAILURES`` failures for one account, or
``MAX_CLIENT_FAILURES`` from one client address, within ``LOCKOUT_S``, sign-in is refused for that
account or address until the window has passed, even with the right password.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from errors import ChatbotError

__all__ = [
    "MIN_PASSWORD_LENGTH",
    "ROLES",
    "SignInGuard",
    "StaffUser",
    "authenticate",
    "hash_password",
    "make_entry",
    "parse_staff_users",
    "verify_password",
]

ROLES = ("reviewer", "maintainer")
ENABLE_HINT = (
    "To enable it, make a sign-in with `python -m staff.access YOUR_NAME reviewer` (or `maintainer`, or "
    "`reviewer+maintainer`) and put the line it prints in the MBC_STAFF_USERS environment variable, or as "
    "MBC_STAFF_USERS in .streamlit/secrets.toml, then restart the app."
)
# OWASP's minimum for scrypt: N=2^17, r=8, p=1 (128 MiB, about 0.3 s per check here).
_SCRYPT_N, _SCRYPT_R, _SCRYPT_P = 2**17, 8, 1
# Entries outside these bounds are refused: weaker ones invite guessing, far larger ones exhaust memory.
_MIN_N, _MAX_N, _MIN_R, _MAX_R, _MAX_P = 2**17, 2**20, 8, 32, 16
_MAXMEM = 2**31 - 1  # the most hashlib allows; entries needing more than 1 GiB are refused anyway
MIN_PASSWORD_LENGTH = 12
MAX_ACCOUNT_FAILURES, MAX_CLIENT_FAILURES, LOCKOUT_S = 5, 20, 15 * 60
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
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ChatbotError(
            f"A staff password needs at least {MIN_PASSWORD_LENGTH} characters (this one has {len(password)})."
        )
    salt = salt or secrets.token_bytes(16)
    key = hashlib.scrypt(password.encode("utf-8"), salt=salt, n=n, r=_SCRYPT_R, p=_SCRYPT_P, dklen=32, maxmem=_MAXMEM)
    return f"scrypt${n}${_SCRYPT_R}${_SCRYPT_P}${_b64(salt)}${_b64(key)}"


def verify_password(password: str, password_hash: str) -> bool:
    """Whether ``password`` matches a ``hash_password`` hash; compared in constant time."""
    try:
        scheme, n, r, p, salt, key = password_hash.split("$")
        if scheme != "scrypt":
            return False
        expected = _unb64(key)
        if _weakness(int(n), int(r), int(p)):
            return False
        actual = hashlib.scrypt(
            password.encode("utf-8"),
            salt=_unb64(salt),
            n=int(n),
            r=int(r),
            p=int(p),
            dklen=len(expected),
            maxmem=_MAXMEM,
        )
    except (ValueError, TypeError, MemoryError):
        return False
    return hmac.compare_digest(actual, expected)


def _weakness(n: int, r: int, p: int) -> str | None:
    """Why scrypt parameters are refused, or None when they are at least OWASP's minimum and sane."""
    if n < _MIN_N or r < _MIN_R or p < 1:
        return f"uses scrypt N={n}, r={r}, p={p}, weaker than the minimum N={_MIN_N}, r={_MIN_R}, p=1"
    if n > _MAX_N or n & (n - 1) or r > _MAX_R or p > _MAX_P or 128 * n * r > 2**30:
        return f"uses scrypt N={n}, r={r}, p={p}, outside what this server checks (N a power of 2 up to {_MAX_N})"
    return None


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
                f"python -m staff.access {name} {roles_text}"
            )
        try:
            _, n, r, p, salt, key = password_hash.split("$")
            weakness = _weakness(int(n), int(r), int(p))
            if weakness is None and (len(_unb64(salt)) < 16 or len(_unb64(key)) < 32):
                weakness = "has a salt shorter than 16 bytes or a key shorter than 32"
        except ValueError:
            weakness = "has a malformed scrypt hash"
        if weakness:
            raise ChatbotError(
                f"MBC_STAFF_USERS entry {number} ({name}) {weakness}; make a new one with: "
                f"python -m staff.access {name} {roles_text}"
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


@dataclass(frozen=True)
class SignInGuard:
    """Throttles sign-in by account and by client address, from attempts stored in the staff database.

    >>> guard = SignInGuard(StaffLog(settings.staff_db))
    >>> guard.wait_seconds("ann", "10.0.0.7")  # 0 when a sign-in may be tried now
    """

    log: object  # an audit.StaffLog
    max_account_failures: int = MAX_ACCOUNT_FAILURES
    max_client_failures: int = MAX_CLIENT_FAILURES
    lockout_s: float = LOCKOUT_S

    def wait_seconds(self, account: str, client: str, *, now: datetime | None = None) -> int:
        """Seconds until ``account`` may try again from ``client``; 0 when it may now."""
        now = now or datetime.now(UTC)
        by_account, by_client = self.log.sign_in_failures(
            account=account, client=client, since=now - timedelta(seconds=self.lockout_s)
        )
        waits = [0.0]
        for failures, limit in ((by_account, self.max_account_failures), (by_client, self.max_client_failures)):
            if len(failures) >= limit:
                # Locked until the oldest of the last ``limit`` failures leaves the window.
                oldest = datetime.fromisoformat(failures[-limit])
                waits.append((oldest + timedelta(seconds=self.lockout_s) - now).total_seconds())
        return max(0, int(max(waits) + 0.999))

    def attempt(
        self, users: dict[str, StaffUser], name: str, password: str, role: str, client: str
    ) -> tuple[StaffUser | None, int]:
        """Sign in unless locked out: ``(user, 0)`` on success, ``(None, 0)`` on a wrong try, ``(None, wait)``
        while locked (the password is then not even checked). Every attempt and lockout is logged."""
        account = name.strip()
        wait = self.wait_seconds(account, client)
        if wait:
            self.log.record_action(account, "sign-in refused: locked out", f"{wait} s left", client=client)
            return None, wait
        user = authenticate(users, account, password, role)
        self.log.record_sign_in(account, client, ok=user is not None)
        if user is not None:
            self.log.record_action(user.name, "sign-in", f"as {role}", client=client)
            return user, 0
        self.log.record_action(account, "sign-in failed", f"as {role}", client=client)
        wait = self.wait_seconds(account, client)
        if wait:
            self.log.record_action(account, "lockout", f"for {wait} s", client=client)
        return None, 0


def make_entry(name: str, roles: str, password: str) -> str:
    """One ``MBC_STAFF_USERS`` entry, checked by parsing it back."""
    entry = f"{name.strip()}:{roles.strip()}:{hash_password(password)}"
    parse_staff_users(entry)
    return entry


def main(argv: list[str] | None = None) -> int:
    """Print an MBC_STAFF_USERS entry for a new staff sign-in.

    Example:
        python -m staff.access ann reviewer
        python -m staff.access max reviewer+maintainer
        printf '%s\n' "$PASSWORD" | python -m staff.access ann reviewer --password-stdin
    """
    import argparse
    import getpass
    import sys

    parser = argparse.ArgumentParser(
        prog="python -m staff.access", description=main.__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("name", help="the staff member's name, stored with their verdicts")
    parser.add_argument("roles", help="reviewer, maintainer, or reviewer+maintainer")
    parser.add_argument(
        "--password-stdin", action="store_true", help="read the password from the first line of standard input"
    )
    args = parser.parse_args(argv)
    if args.password_stdin:
        line = sys.stdin.readline()
        if not line:
            # Nothing at all on stdin (not even an empty line): say so rather than judge a password.
            print("Error: no password on stdin.", file=sys.stderr)
            return 1
        password = line.rstrip("\r\n")
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
