"""Audit storage: the answers patients were given, their feedback, reviewers' verdicts, evaluation runs,
and the staff records (sign-in attempts, sign-in sessions, the append-only action log).

It owns the two databases and nothing else: their tables (``audit.schema``), their Alembic migrations
(``audit/migrations/``), how a path or URL becomes a connection, and the one place where database
errors become ``AuditError`` (``audit.database``). Each database is a SQLite file by default or a
PostgreSQL URL (``MBC_AUDIT_DB=postgresql://user@host/db``), with the same code on both; replicas of
the app share one PostgreSQL. It imports only from ``index`` (settings and errors).

>>> from audit import AuditLog, AnswerFilter
>>> log = AuditLog("var/audit.sqlite3")          # or AuditLog("postgresql://mbc@db.internal/mbc")
>>> log.answers(AnswerFilter(status="refused"), limit=20)

    python -m audit upgrade          # migrate both databases to this code's schema (also done on open)
    python -m audit check            # the integrity check, and counts
    python -m audit backup FILE      # a SQLite file's consistent copy while the app runs
    python -m audit prune --before 2026-01-01   # delete answers (and their quotes, verdicts) older than a date
"""

from audit import answers
from audit.answers import *  # noqa: F403  (its ``__all__``, named once there)
from audit.database import display
from audit.staff import StaffAction, StaffLog

__all__ = [*answers.__all__, "StaffAction", "StaffLog", "display"]
