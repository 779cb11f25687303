"""Staff sign-in sessions in the database, so a sign-in holds on every replica and across restarts.

Revision ID: staff_0002
Revises: staff_0001
"""

from alembic import op

from audit.migrations import tables

revision = "staff_0002"
down_revision = "staff_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table("staff_sessions", *tables.staff_sessions())
    op.create_table("staff_tickets", *tables.staff_tickets())
    op.create_table("staff_secret", *tables.staff_secret())
