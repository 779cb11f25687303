"""Staff sign-in attempts, sign-in sessions and the append-only staff action log, in their own database.

``Settings.staff_db`` (``MBC_STAFF_DB``; default ``staff.sqlite3`` beside a SQLite audit database, or
the audit database itself when that is PostgreSQL). It is apart from a SQLite audit database so
that the staff pages still open, and show what is wrong, when the audit database is damaged or read-only.

Tables (created and upgraded by ``audit/migrations/staff``)::

    sign_in_attempts  every sign-in attempt: account, client address, time, whether it matched; read
                      to throttle guessing (``ask.access.SignInGuard``), so a reload, another browser
                      or another replica cannot reset it
    staff_actions     append-only (triggers refuse UPDATE and DELETE): sign-in, failure, lockout,
                      sign-out, verdict, export, re-index, refresh, publish, discard; who, when, from where
    staff_sessions    live sign-ins (``staff_session``): a SHA-256 of the cookie's token, the name,
                      when it started and was last used; every replica reads the same rows
    staff_tickets     one-time tickets between a checked password and the cookie, also hashed
    staff_secret      the key that signs cookies, made once per database
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import sqlalchemy as sa

from audit import database
from audit.schema import sign_in_attempts, staff_actions, staff_secret, staff_sessions, staff_tickets
from errors import AuditError

__all__ = ["StaffAction", "StaffLog"]


@dataclass(frozen=True)
class StaffAction:
    """One entry of the staff action log."""

    id: int
    created_at: str
    actor: str
    action: str
    detail: str
    client: str


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


class StaffLog:
    """The staff database ``target`` (a SQLite file path or a database URL), created and migrated on open;
    safe to share between threads and processes.

    >>> log = StaffLog(settings_from_env().staff_db)
    >>> log.record_action("max", "publish", "now serving 20261201T...")
    >>> [a.action for a in log.actions(limit=5)]
    """

    def __init__(self, target: Path | str, *, busy_timeout_s: float = 30.0) -> None:
        self.name = database.display(target)
        self._label = f"staff database {self.name}"
        self.sqlite_path = database.sqlite_path(target)
        if self.sqlite_path is not None:
            try:
                self.sqlite_path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise AuditError(f"The folder for the {self._label} cannot be created: {exc}.") from exc
        self._engine = database.engine_for(target, busy_timeout_s=busy_timeout_s)
        self.revision = database.upgrade(self._engine, "staff", self._label)
        if self.sqlite_path is not None:
            with self._transaction() as db:
                found = list(db.exec_driver_sql("PRAGMA quick_check(5)").scalars())
            if found != ["ok"]:
                raise AuditError(f"The {self._label} is damaged ({'; '.join(found)}).")

    def _transaction(self, *, write: bool = False):
        return database.transaction(self._engine, self._label, write=write)

    # --- the staff action log ------------------------------------------------------------

    def record_action(self, actor: str, action: str, detail: str = "", *, client: str = "") -> None:
        """Append one entry to the staff action log (it cannot be changed or deleted afterwards)."""
        row = {
            "created_at": database.now(),
            "actor": str(actor),
            "action": str(action),
            "detail": str(detail)[:4000],
            "client": str(client),
        }
        with self._transaction(write=True) as db:
            db.execute(staff_actions.insert().values(row))

    def actions(self, *, limit: int = 200) -> list[StaffAction]:
        """The latest staff actions, newest first."""
        query = sa.select(staff_actions).order_by(staff_actions.c.id.desc()).limit(max(0, int(limit)))
        with self._transaction() as db:
            rows = db.execute(query).mappings().all()
        return [StaffAction(r["id"], r["created_at"], r["actor"], r["action"], r["detail"], r["client"]) for r in rows]

    # --- the sign-in throttle ------------------------------------------------------------

    def record_sign_in(self, account: str, client: str, *, ok: bool, at: datetime | None = None) -> None:
        """Store one sign-in attempt."""
        row = {"created_at": database.now(at), "account": str(account), "client": str(client), "ok": 1 if ok else 0}
        with self._transaction(write=True) as db:
            db.execute(sign_in_attempts.insert().values(row))

    def sign_in_failures(self, *, account: str, client: str, since: datetime) -> tuple[list[str], list[str]]:
        """The failed attempts since ``since`` and since the last success, oldest first: the account's, and the
        client address's."""
        found = []
        with self._transaction() as db:
            for column, value in ((sign_in_attempts.c.account, account), (sign_in_attempts.c.client, client)):
                last_ok = db.execute(
                    sa.select(sa.func.max(sign_in_attempts.c.created_at)).where(
                        column == value, sign_in_attempts.c.ok == 1
                    )
                ).scalar()
                rows = db.execute(
                    sa.select(sign_in_attempts.c.created_at)
                    .where(
                        column == value,
                        sign_in_attempts.c.ok == 0,
                        sign_in_attempts.c.created_at > max(database.now(since), last_ok or ""),
                    )
                    .order_by(sign_in_attempts.c.created_at)
                ).scalars()
                found.append(list(rows))
        return found[0], found[1]

    # --- sign-in sessions (staff_session) --------------------------------------------------

    def session_key(self) -> bytes:
        """The key that signs sign-in cookies: made by the first caller, then the same for every replica."""
        with self._transaction() as db:
            key = db.execute(sa.select(staff_secret.c.key).where(staff_secret.c.id == 1)).scalar()
        if key is None:
            with self._transaction(write=True) as db:
                # Two replicas may make one at once: the primary key keeps the first, both read it back.
                exists = db.execute(sa.select(staff_secret.c.key).where(staff_secret.c.id == 1)).scalar()
                if exists is None:
                    db.execute(_insert_ignoring_duplicates(db, staff_secret).values(id=1, key=secrets.token_hex(32)))
                key = db.execute(sa.select(staff_secret.c.key).where(staff_secret.c.id == 1)).scalar()
        return bytes.fromhex(key)

    def add_ticket(self, ticket: str, name: str, *, now: float, older_than: float) -> None:
        """Store a one-time ticket for ``name``; tickets issued before ``older_than`` are dropped."""
        with self._transaction(write=True) as db:
            db.execute(staff_tickets.delete().where(staff_tickets.c.issued < older_than))
            db.execute(staff_tickets.insert().values(ticket_hash=_digest(ticket), name=name, issued=now))

    def take_ticket(self, ticket: str) -> tuple[str, float] | None:
        """Remove a ticket and return its ``(name, issued)``; None when unknown or already taken."""
        with self._transaction(write=True) as db:
            row = db.execute(
                staff_tickets.delete()
                .where(staff_tickets.c.ticket_hash == _digest(ticket))
                .returning(staff_tickets.c.name, staff_tickets.c.issued)
            ).first()
        return None if row is None else (row[0], float(row[1]))

    def add_session(self, token: str, name: str, *, now: float) -> None:
        """Start a sign-in session for ``name`` under ``token``."""
        with self._transaction(write=True) as db:
            db.execute(staff_sessions.insert().values(token_hash=_digest(token), name=name, created=now, last_used=now))

    def use_session(self, token: str, *, now: float, idle_s: float, max_age_s: float) -> tuple[str | None, str | None]:
        """``(name, None)`` for a live session (its last use becomes ``now``); ``(None, name)`` when it has
        just expired (it is then deleted); ``(None, None)`` when there is none."""
        key = _digest(token)
        with self._transaction(write=True) as db:
            row = db.execute(sa.select(staff_sessions).where(staff_sessions.c.token_hash == key)).mappings().first()
            if row is None:
                return None, None
            if now - row["last_used"] > idle_s or now - row["created"] > max_age_s:
                db.execute(staff_sessions.delete().where(staff_sessions.c.token_hash == key))
                return None, row["name"]
            db.execute(staff_sessions.update().where(staff_sessions.c.token_hash == key).values(last_used=now))
            return row["name"], None

    def end_session(self, token: str) -> None:
        """Delete a session: signed out on every replica."""
        with self._transaction(write=True) as db:
            db.execute(staff_sessions.delete().where(staff_sessions.c.token_hash == _digest(token)))


def _insert_ignoring_duplicates(db: sa.Connection, table: sa.Table):
    if db.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert(table).on_conflict_do_nothing()
