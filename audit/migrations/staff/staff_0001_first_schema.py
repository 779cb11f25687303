"""The staff tables of the first release: sign-in attempts and the append-only staff action log.

Revision ID: staff_0001
"""

from alembic import op

from audit.migrations import tables

revision = "staff_0001"
down_revision = None
branch_labels = None
depends_on = None

APPEND_ONLY = "the staff action log is append-only"


def upgrade() -> None:
    op.create_table("sign_in_attempts", *tables.sign_in_attempts())
    op.create_index("sign_in_attempts_account", "sign_in_attempts", ["account", "created_at"])
    op.create_index("sign_in_attempts_client", "sign_in_attempts", ["client", "created_at"])
    op.create_table("staff_actions", *tables.staff_actions())
    # The database itself refuses changes and deletions, whichever program tries.
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE FUNCTION staff_actions_append_only() RETURNS trigger LANGUAGE plpgsql AS "
            f"$$ BEGIN RAISE EXCEPTION '{APPEND_ONLY}'; END $$"
        )
        op.execute(
            "CREATE TRIGGER staff_actions_no_change BEFORE UPDATE OR DELETE ON staff_actions "
            "FOR EACH ROW EXECUTE FUNCTION staff_actions_append_only()"
        )
        op.execute(
            "CREATE TRIGGER staff_actions_no_truncate BEFORE TRUNCATE ON staff_actions "
            "FOR EACH STATEMENT EXECUTE FUNCTION staff_actions_append_only()"
        )
    else:
        for verb in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER staff_actions_no_{verb.lower()} BEFORE {verb} ON staff_actions "
                f"BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY}'); END"
            )
