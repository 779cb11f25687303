"""Staff sign-in sessions in the database, so a sign-in holds on every replica and across restarts.

Frozen on purpose: the tables as they were at the time, never edited to match ``audit.schema``, which moves on.

Revision ID: staff_0002
Revises: staff_0001
"""

import sqlalchemy as sa
from alembic import op

revision = "staff_0002"
down_revision = "staff_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "staff_sessions",
        sa.Column("token_hash", sa.Text, primary_key=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("created", sa.Float, nullable=False),
        sa.Column("last_used", sa.Float, nullable=False),
    )
    op.create_table(
        "staff_tickets",
        sa.Column("ticket_hash", sa.Text, primary_key=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("issued", sa.Float, nullable=False),
    )
    op.create_table(
        "staff_secret",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("key", sa.Text, nullable=False),
    )
