"""The tables, as SQLAlchemy Core sees them; ``audit/migrations/`` creates and changes them.

Times are stored as fixed-width ISO 8601 UTC text on both engines, so text order is time order and
the same queries run on SQLite and PostgreSQL.
"""

from __future__ import annotations

import sqlalchemy as sa

# What an answer can be; ``ask.answer`` names them, this is the one list.
STATUSES = ("answered", "refused", "urgent")

answers_metadata = sa.MetaData()

answers = sa.Table(
    "answers",
    answers_metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("created_at", sa.Text, nullable=False),
    sa.Column("question", sa.Text, nullable=False),
    sa.Column("history_len", sa.Integer, nullable=False),
    sa.Column("status", sa.Text, nullable=False),
    sa.Column("message", sa.Text, nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("index_version", sa.Text, nullable=False),
    sa.Column("helpful", sa.Integer),
    sa.Column("feedback_at", sa.Text),
)

quotes = sa.Table(
    "quotes",
    answers_metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("answer_id", sa.Integer, sa.ForeignKey("answers.id", ondelete="CASCADE"), nullable=False),
    sa.Column("position", sa.Integer, nullable=False),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("doc_id", sa.Text, nullable=False),
    sa.Column("path", sa.Text, nullable=False),
    sa.Column("title", sa.Text, nullable=False),
    sa.Column("publisher", sa.Text, nullable=False),
    sa.Column("url", sa.Text),
    sa.Column("start", sa.Integer, nullable=False),
    sa.Column("end", sa.Integer, nullable=False),
    sa.Column("score", sa.Float, nullable=False),
)

verdicts = sa.Table(
    "verdicts",
    answers_metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("quote_id", sa.Integer, sa.ForeignKey("quotes.id", ondelete="CASCADE"), nullable=False),
    sa.Column("verdict", sa.Text, nullable=False),
    sa.Column("comment", sa.Text, nullable=False),
    sa.Column("reviewer", sa.Text, nullable=False),
    sa.Column("created_at", sa.Text, nullable=False),
)

eval_runs = sa.Table(
    "eval_runs",
    answers_metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("created_at", sa.Text, nullable=False),
    sa.Column("eval_file", sa.Text, nullable=False),
    sa.Column("index_version", sa.Text, nullable=False),
    sa.Column("overall", sa.Text, nullable=False),
    sa.Column("by_category", sa.Text, nullable=False),
    sa.Column("run_by", sa.Text, nullable=False),
)

staff_metadata = sa.MetaData()

sign_in_attempts = sa.Table(
    "sign_in_attempts",
    staff_metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("created_at", sa.Text, nullable=False),
    sa.Column("account", sa.Text, nullable=False),
    sa.Column("client", sa.Text, nullable=False),
    sa.Column("ok", sa.Integer, nullable=False),
)

staff_actions = sa.Table(
    "staff_actions",
    staff_metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("created_at", sa.Text, nullable=False),
    sa.Column("actor", sa.Text, nullable=False),
    sa.Column("action", sa.Text, nullable=False),
    sa.Column("detail", sa.Text, nullable=False),
    sa.Column("client", sa.Text, nullable=False),
)

# Staff sign-in sessions, shared by every replica: only a SHA-256 of each token is stored.
staff_sessions = sa.Table(
    "staff_sessions",
    staff_metadata,
    sa.Column("token_hash", sa.Text, primary_key=True),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("created", sa.Float, nullable=False),
    sa.Column("last_used", sa.Float, nullable=False),
)

staff_tickets = sa.Table(
    "staff_tickets",
    staff_metadata,
    sa.Column("ticket_hash", sa.Text, primary_key=True),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("issued", sa.Float, nullable=False),
)

# One row: the key that signs sign-in cookies, made once per database, so every replica checks them.
staff_secret = sa.Table(
    "staff_secret",
    staff_metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("key", sa.Text, nullable=False),
)
