"""Alembic migrations: a SQLite file of the first release upgrades in place keeping its rows; PostgreSQL and
SQLite step from one revision to the next alike; a database from newer code is refused by name."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
import sqlalchemy as sa

from audit import AuditLog, StaffLog
from audit.database import engine_for, upgrade
from errors import AuditError

DATA = Path(__file__).with_name("data")
BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


def first_release_file(path: Path, schema: str, *rows: str) -> None:
    """A SQLite file exactly as the first release made it (its DDL, then ``PRAGMA user_version = 1``),
    holding the ``rows`` (INSERT statements)."""
    with sqlite3.connect(path) as db:
        db.executescript((DATA / schema).read_text(encoding="utf-8"))
        db.execute("PRAGMA user_version = 1")
        for row in rows:
            db.execute(row)


def test_a_first_release_audit_file_upgrades_in_place_keeping_its_rows(tmp_path):
    path = tmp_path / "audit.sqlite3"
    first_release_file(
        path,
        "audit_v1.sql",
        "INSERT INTO answers VALUES (7, '2026-11-30T10:00:00.000000+00:00', 'Can it spread to bones?', 1, "
        "'answered', 'These passages answer it:', 'best passage 0.8', 'v1', 1, '2026-11-30T10:01:00.000000+00:00')",
        "INSERT INTO quotes VALUES (3, 7, 0, 'Bone is a common site.', 'komen', 'corpus/komen.txt', 'T', 'P', "
        "NULL, 100, 122, 0.8)",
        "INSERT INTO verdicts VALUES (1, 3, 'correct', 'fine', 'ann', '2026-11-30T11:00:00.000000+00:00')",
        "INSERT INTO eval_runs VALUES (1, '2026-11-30T12:00:00+00:00', 'dev', 'v1', '{\"a\": 1}', '{}', 'max')",
    )

    log = AuditLog(path)
    [kept] = log.answers()
    assert (kept.id, kept.question, kept.helpful, kept.reason) == (
        7,
        "Can it spread to bones?",
        True,
        "best passage 0.8",
    )
    assert [(q.id, q.text, q.verdict.verdict) for q in kept.quotes] == [(3, "Bone is a common site.", "correct")]
    assert log.eval_runs()[0].overall == {"a": 1}
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT version_num FROM alembic_version_answers").fetchall() == [(log.revision,)]
    new_id = log.record_eval_run({"overall": {}}, eval_file="d", index_version="v2", run_by="m").id
    assert new_id == 2  # ids go on from the old rows


def test_a_first_release_staff_file_gains_the_session_tables_keeping_its_log(tmp_path):
    path = tmp_path / "staff.sqlite3"
    first_release_file(
        path,
        "staff_v1.sql",
        "INSERT INTO staff_actions VALUES (1, '2026-11-30T10:00:00+00:00', 'max', 'publish', 'v2', '10.0.0.1')",
        "INSERT INTO sign_in_attempts VALUES (1, '2026-11-30T10:00:00+00:00', 'ann', '10.0.0.1', 0)",
    )

    log = StaffLog(path)
    assert log.revision == "staff_0002"
    assert [(a.actor, a.action, a.detail) for a in log.actions()] == [("max", "publish", "v2")]
    with sqlite3.connect(path) as db:
        tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        assert {"staff_sessions", "staff_tickets", "staff_secret", "alembic_version_staff"} <= tables
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            db.execute("DELETE FROM staff_actions")  # the old file's triggers still guard it
    key = log.session_key()
    assert len(key) == 32 and StaffLog(path).session_key() == key


@pytest.mark.parametrize("backend", BACKENDS)
def test_the_staff_history_steps_from_the_first_revision_to_the_newest_keeping_rows(backend, tmp_path, request):
    target = tmp_path / "staff.sqlite3" if backend == "sqlite" else request.getfixturevalue("postgres_url")
    engine = engine_for(target)
    upgrade(engine, "staff", "staff database", to="staff_0001")
    with engine.begin() as db:
        assert not sa.inspect(db).has_table("staff_sessions")
        db.execute(
            sa.text(
                "INSERT INTO staff_actions (created_at, actor, action, detail, client) "
                "VALUES ('2026-11-30T10:00:00+00:00', 'max', 'publish', 'v2', '')"
            )
        )
    log = StaffLog(target)
    assert log.revision == "staff_0002"
    assert [a.action for a in log.actions()] == ["publish"]
    log.record_action("ann", "sign-in")
    assert [a.action for a in log.actions()] == ["sign-in", "publish"]


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_database_at_a_revision_this_code_does_not_know_is_refused(backend, tmp_path, request):
    target = tmp_path / "audit.sqlite3" if backend == "sqlite" else request.getfixturevalue("postgres_url")
    AuditLog(target)
    with engine_for(target).begin() as db:
        db.execute(sa.text("UPDATE alembic_version_answers SET version_num = 'answers_0099'"))
    with pytest.raises(AuditError, match="has answers schema revision answers_0099, which this code does not know"):
        AuditLog(target)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("history", ["answers", "staff"])
def test_the_migrated_tables_are_the_schemas_tables(backend, history, tmp_path, request):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from audit import schema

    target = tmp_path / f"{history}.sqlite3" if backend == "sqlite" else request.getfixturevalue("postgres_url")
    engine = engine_for(target)
    upgrade(engine, history, f"{history} database")
    metadata = {"answers": schema.answers_metadata, "staff": schema.staff_metadata}[history]
    with engine.connect() as db:
        context = MigrationContext.configure(db, opts={"compare_type": True})
        differences = compare_metadata(context, metadata)
    # The schema names no indexes (the migrations make them), and Alembic keeps its own version tables.
    kept = [d for d in differences if not (isinstance(d, tuple) and d[0] == "remove_index")]
    kept = [
        d
        for d in kept
        if not (isinstance(d, tuple) and d[0] == "remove_table" and d[1].name.startswith("alembic_version"))
    ]
    assert kept == []
