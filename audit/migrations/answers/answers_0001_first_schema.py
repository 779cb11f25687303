"""The audit tables of the first release (a SQLite file with ``PRAGMA user_version = 1`` has exactly these).

Revision ID: answers_0001
"""

from alembic import op

from audit.migrations import tables

revision = "answers_0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table("answers", *tables.answers())
    op.create_index("answers_created_at", "answers", ["created_at"])
    op.create_table("quotes", *tables.quotes())
    op.create_index("quotes_answer_id", "quotes", ["answer_id"])
    op.create_index("quotes_doc_id", "quotes", ["doc_id"])
    op.create_table("verdicts", *tables.verdicts())
    op.create_index("verdicts_quote_id", "verdicts", ["quote_id"])
    op.create_table("eval_runs", *tables.eval_runs())
