"""The tables, as SQLAlchemy Core sees them; ``audit/migrations/`` creates and changes them.

Each table's columns are the ones its migrations created (``audit/migrations/tables.py``, frozen with
them), so they are spelled once; a column a later revision adds is added here too.

Times are stored as fixed-width ISO 8601 UTC text on both engines, so text order is time order and
the same queries run on SQLite and PostgreSQL.
"""

from __future__ import annotations

import sqlalchemy as sa

from audit.migrations import tables

# What an answer can be; ``ask.answer`` names them, this is the one list.
STATUSES = ("answered", "refused", "urgent")

answers_metadata = sa.MetaData()
answers = sa.Table("answers", answers_metadata, *tables.answers())
quotes = sa.Table("quotes", answers_metadata, *tables.quotes())
verdicts = sa.Table("verdicts", answers_metadata, *tables.verdicts())
eval_runs = sa.Table("eval_runs", answers_metadata, *tables.eval_runs())

staff_metadata = sa.MetaData()
sign_in_attempts = sa.Table("sign_in_attempts", staff_metadata, *tables.sign_in_attempts())
staff_actions = sa.Table("staff_actions", staff_metadata, *tables.staff_actions())
# Staff sign-in sessions, shared by every replica: only a SHA-256 of each token is stored.
staff_sessions = sa.Table("staff_sessions", staff_metadata, *tables.staff_sessions())
staff_tickets = sa.Table("staff_tickets", staff_metadata, *tables.staff_tickets())
# One row: the key that signs sign-in cookies, made once per database, so every replica checks them.
staff_secret = sa.Table("staff_secret", staff_metadata, *tables.staff_secret())
