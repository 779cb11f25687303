"""Staff sign-in attempts and the append-only staff action log, in their own SQLite file.

``Settings.staff_db`` (``MBC_STAFF_DB``, default ``staff.sqlite3`` beside the audit database). It is
apart from the audit database so that the staff pages still open, and show what is wrong, when the
audit database is damaged or read-only.

Tables::

    sign_in_attempts  every sign-in attempt: account, client address, time, whether it matched; read
                      to throttle guessing (``ask.access.SignInGuard``), so a reload cannot reset it
    staff_actions     append-only (triggers refuse UPDATE and DELETE): sign-in, failure, lockout,
                      sign-out, verdict, export, re-index, refresh, publish, discard; who, when, from where
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from errors import AuditError

__all__ = ["StaffAction", "StaffLog"]

SCHEMA_VERSION = 1
_SCHEMA = [
    """CREATE TABLE sign_in_attempts (
        id         INTEGER PRIMARY KEY,
        created_at TEXT    NOT NULL,
        account    TEXT    NOT NULL,
        client     TEXT    NOT NULL,
        ok         INTEGER NOT NULL
    )""",
    "CREATE INDEX sign_in_attempts_account ON sign_in_attempts (account, created_at)",
    "CREATE INDEX sign_in_attempts_client ON sign_in_attempts (client, created_at)",
    """CREATE TABLE staff_actions (
        id         INTEGER PRIMARY KEY,
        created_at TEXT NOT NULL,
        actor      TEXT NOT NULL,
        action     TEXT NOT NULL,
        detail     TEXT NOT NULL,
        client     TEXT NOT NULL
    )""",
    """CREATE TRIGGER staff_actions_no_update BEFORE UPDATE ON staff_actions
        BEGIN SELECT RAISE(ABORT, 'the staff action log is append-only'); END""",
    """CREATE TRIGGER staff_actions_no_delete BEFORE DELETE ON staff_actions
        BEGIN SELECT RAISE(ABORT, 'the staff action log is append-only'); END""",
]


@dataclass(frozen=True)
class StaffAction:
    """One entry of the staff action log."""

    id: int
    created_at: str
    actor: str
    action: str
    detail: str
    client: str


def _now(at: datetime | None = None) -> str:
    return (at or datetime.now(UTC)).astimezone(UTC).isoformat(timespec="microseconds")


class StaffLog:
    """The staff database at ``path``, created on first use; safe to share between threads.

    >>> log = StaffLog(settings_from_env().staff_db)
    >>> log.record_action("max", "publish", "now serving 20261201T...")
    >>> [a.action for a in log.actions(limit=5)]
    """

    def __init__(self, path: Path | str, *, busy_timeout_s: float = 30.0) -> None:
        self.path = Path(path)
        self._busy_timeout_s = busy_timeout_s
        self._lock = threading.Lock()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise AuditError(f"The folder for the staff database {self.path} cannot be created: {exc}.") from exc
        with self._lock, self._connect(write=True) as db:
            version = db.execute("PRAGMA user_version").fetchone()[0]
            if version == 0:
                for statement in _SCHEMA:
                    db.execute(statement)
                db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            elif version != SCHEMA_VERSION:
                raise AuditError(
                    f"The staff database {self.path} has schema version {version}; this code reads {SCHEMA_VERSION}."
                )
            found = [row[0] for row in db.execute("PRAGMA quick_check(5)")]
            if found != ["ok"]:
                raise AuditError(f"The staff database {self.path} is damaged ({'; '.join(found)}).")

    @contextlib.contextmanager
    def _connect(self, *, write: bool = False) -> Iterator[sqlite3.Connection]:
        try:
            connection = sqlite3.connect(self.path, timeout=self._busy_timeout_s, isolation_level=None)
        except sqlite3.Error as exc:
            raise AuditError(f"The staff database {self.path} cannot be opened: {exc}.") from exc
        try:
            connection.row_factory = sqlite3.Row
            if write:
                connection.execute("BEGIN IMMEDIATE")
                try:
                    yield connection
                except BaseException:
                    connection.rollback()
                    raise
                connection.commit()
            else:
                yield connection
        except sqlite3.Error as exc:
            raise AuditError(f"The staff database {self.path} cannot be used: {exc}.") from exc
        finally:
            connection.close()

    def record_action(self, actor: str, action: str, detail: str = "", *, client: str = "") -> None:
        """Append one entry to the staff action log (it cannot be changed or deleted afterwards)."""
        with self._connect(write=True) as db:
            db.execute(
                "INSERT INTO staff_actions (created_at, actor, action, detail, client) VALUES (?, ?, ?, ?, ?)",
                (_now(), str(actor), str(action), str(detail)[:4000], str(client)),
            )

    def actions(self, *, limit: int = 200) -> list[StaffAction]:
        """The latest staff actions, newest first."""
        with self._connect() as db:
            rows = db.execute("SELECT * FROM staff_actions ORDER BY id DESC LIMIT ?", (max(0, int(limit)),)).fetchall()
        return [StaffAction(r["id"], r["created_at"], r["actor"], r["action"], r["detail"], r["client"]) for r in rows]

    def record_sign_in(self, account: str, client: str, *, ok: bool, at: datetime | None = None) -> None:
        """Store one sign-in attempt."""
        with self._connect(write=True) as db:
            db.execute(
                "INSERT INTO sign_in_attempts (created_at, account, client, ok) VALUES (?, ?, ?, ?)",
                (_now(at), str(account), str(client), 1 if ok else 0),
            )

    def sign_in_failures(self, *, account: str, client: str, since: datetime) -> tuple[list[str], list[str]]:
        """The failed attempts since ``since`` and since the last success, oldest first: the account's, and the
        client address's."""
        found = []
        with self._connect() as db:
            for column, value in (("account", account), ("client", client)):
                last_ok = db.execute(
                    f"SELECT MAX(created_at) FROM sign_in_attempts WHERE {column} = ? AND ok = 1", (value,)
                ).fetchone()[0]
                rows = db.execute(
                    f"SELECT created_at FROM sign_in_attempts WHERE {column} = ? AND ok = 0 AND created_at > ? "
                    "ORDER BY created_at",
                    (value, max(_now(since), last_ok or "")),
                ).fetchall()
                found.append([row[0] for row in rows])
        return found[0], found[1]
