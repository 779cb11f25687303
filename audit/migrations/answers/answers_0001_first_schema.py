"""The audit tables of the first release (a SQLite file with ``PRAGMA user_version = 1`` has exactly these).

Frozen on purpose: the tables as they were at the time, never edited to match ``audit.schema``, which moves on.

Revision ID: answers_0001
"""

import sqlalchemy as sa
from alembic import op

revision = "answers_0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "answers",
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
    op.create_index("answers_created_at", "answers", ["created_at"])
    op.create_table(
        "quotes",
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
    op.create_index("quotes_answer_id", "quotes", ["answer_id"])
    op.create_index("quotes_doc_id", "quotes", ["doc_id"])
    op.create_table(
        "verdicts",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("quote_id", sa.Integer, sa.ForeignKey("quotes.id", ondelete="CASCADE"), nullable=False),
        sa.Column("verdict", sa.Text, nullable=False),
        sa.Column("comment", sa.Text, nullable=False),
        sa.Column("reviewer", sa.Text, nullable=False),
        sa.Column("created_at", sa.Text, nullable=False),
    )
    op.create_index("verdicts_quote_id", "verdicts", ["quote_id"])
    op.create_table(
        "eval_runs",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("created_at", sa.Text, nullable=False),
        sa.Column("eval_file", sa.Text, nullable=False),
        sa.Column("index_version", sa.Text, nullable=False),
        sa.Column("overall", sa.Text, nullable=False),
        sa.Column("by_category", sa.Text, nullable=False),
        sa.Column("run_by", sa.Text, nullable=False),
    )
