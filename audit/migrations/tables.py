"""The tables' columns as the migrations create them, one function a table.

Frozen like the revisions that call them: an applied revision must go on creating exactly the tables
it created, so nothing here is ever edited once a revision uses it. A table that changes later gets
the change in a new revision (``op.add_column`` and the like), and ``audit.schema`` adds it there
too; ``tests/audit/test_migrations.py`` checks that the migrated tables are ``audit.schema``'s.
"""

from __future__ import annotations

import sqlalchemy as sa


def _id() -> sa.Column:
    return sa.Column("id", sa.Integer, primary_key=True)


def _required(type_: type[sa.types.TypeEngine], *names: str) -> list[sa.Column]:
    return [sa.Column(name, type_, nullable=False) for name in names]


def _belongs_to(name: str, parent: str) -> sa.Column:
    """A row's owner, ``parent`` (``table.id``); deleting the owner deletes the row."""
    return sa.Column(name, sa.Integer, sa.ForeignKey(parent, ondelete="CASCADE"), nullable=False)


# --- answers_0001 --------------------------------------------------------------------------


def answers() -> list[sa.Column]:
    return [
        _id(),
        *_required(sa.Text, "created_at", "question"),
        *_required(sa.Integer, "history_len"),
        *_required(sa.Text, "status", "message", "reason", "index_version"),
        sa.Column("helpful", sa.Integer),
        sa.Column("feedback_at", sa.Text),
    ]


def quotes() -> list[sa.Column]:
    return [
        _id(),
        _belongs_to("answer_id", "answers.id"),
        *_required(sa.Integer, "position"),
        *_required(sa.Text, "text", "doc_id", "path", "title", "publisher"),
        sa.Column("url", sa.Text),
        *_required(sa.Integer, "start", "end"),
        *_required(sa.Float, "score"),
    ]


def verdicts() -> list[sa.Column]:
    return [
        _id(),
        _belongs_to("quote_id", "quotes.id"),
        *_required(sa.Text, "verdict", "comment", "reviewer", "created_at"),
    ]


def eval_runs() -> list[sa.Column]:
    return [_id(), *_required(sa.Text, "created_at", "eval_file", "index_version", "overall", "by_category", "run_by")]


# --- staff_0001 ----------------------------------------------------------------------------


def sign_in_attempts() -> list[sa.Column]:
    return [_id(), *_required(sa.Text, "created_at", "account", "client"), *_required(sa.Integer, "ok")]


def staff_actions() -> list[sa.Column]:
    return [_id(), *_required(sa.Text, "created_at", "actor", "action", "detail", "client")]


# --- staff_0002 ----------------------------------------------------------------------------


def staff_sessions() -> list[sa.Column]:
    return [
        sa.Column("token_hash", sa.Text, primary_key=True),
        *_required(sa.Text, "name"),
        *_required(sa.Float, "created", "last_used"),
    ]


def staff_tickets() -> list[sa.Column]:
    return [
        sa.Column("ticket_hash", sa.Text, primary_key=True),
        *_required(sa.Text, "name"),
        *_required(sa.Float, "issued"),
    ]


def staff_secret() -> list[sa.Column]:
    return [sa.Column("id", sa.Integer, primary_key=True, autoincrement=False), *_required(sa.Text, "key")]
