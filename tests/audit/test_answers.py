"""The audit trail on SQLite and on a real PostgreSQL: what is stored, how reviewers filter it, that
concurrent writers (threads and processes) lose nothing, and the command line."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import textwrap
import threading
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from ask import Answer, Quote
from audit import AnswerFilter, AuditLog
from errors import AuditError, ChatbotError
from settings import REPO_ROOT
from staff import export_csv
from tests.app.test_audit_failure import damaged_database

BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


def quote(doc_id: str = "susan-g-komen", start: int = 10, text: str = "Metastatic breast cancer is stage IV.") -> Quote:
    return Quote(
        text=text,
        doc_id=doc_id,
        path=f"corpus/{doc_id}.txt",
        title=f"Title of {doc_id}",
        publisher=f"Publisher of {doc_id}",
        url=None if doc_id == "breastcancer-org" else f"https://example.org/{doc_id}",
        start=start,
        end=start + len(text),
        score=0.71,
    )


def answer(
    question: str = "What is MBC?", status: str = "answered", quotes: list[Quote] | None = None, reason: str = ""
) -> Answer:
    if quotes is None:
        quotes = [quote()] if status == "answered" else []
    return Answer(
        question=question,
        status=status,
        message=f"message for {question}",
        index_version="20261122T060000000000Z",
        quotes=tuple(quotes),
        reason=reason,
    )


@pytest.fixture(params=BACKENDS)
def target(request, tmp_path):
    """Where an audit database lives: a SQLite file, or a new database on the session's PostgreSQL."""
    if request.param == "sqlite":
        return tmp_path / "audit" / "audit.sqlite3"
    return request.getfixturevalue("postgres_url")


@pytest.fixture
def log(target) -> AuditLog:
    return AuditLog(target)


def test_creates_a_wal_sqlite_file_at_the_newest_revision(tmp_path):
    path = tmp_path / "nested" / "audit.sqlite3"
    assert AuditLog(path).revision == "answers_0001"
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert db.execute("SELECT version_num FROM alembic_version_answers").fetchall() == [("answers_0001",)]
        tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert tables == {"answers", "quotes", "verdicts", "eval_runs", "alembic_version_answers"}


def test_opening_again_keeps_what_is_there(target):
    AuditLog(target).record(answer(), 0)
    assert AuditLog(target).count_answers() == 1


def test_record_stores_every_field_and_quote_in_order(log):
    quotes = [quote(start=5, text="First quoted sentence."), quote("penn-medicine", 900, "Second one.")]
    answer_id = log.record(answer("Can it be cured?", quotes=quotes, reason="best passage scored 0.71"), history_len=4)
    stored = log.answer(answer_id)
    assert (stored.question, stored.history_len, stored.status) == ("Can it be cured?", 4, "answered")
    assert stored.message == "message for Can it be cured?"
    assert stored.reason == "best passage scored 0.71"
    assert stored.index_version == "20261122T060000000000Z"
    assert stored.helpful is None and stored.feedback_at is None
    assert [(q.position, q.doc_id, q.start, q.end, q.text) for q in stored.quotes] == [
        (0, "susan-g-komen", 5, 5 + len("First quoted sentence."), "First quoted sentence."),
        (1, "penn-medicine", 900, 911, "Second one."),
    ]
    assert stored.quotes[1].url == "https://example.org/penn-medicine"
    assert stored.quotes[0].score == pytest.approx(0.71)
    assert all(q.verdict is None for q in stored.quotes)
    assert datetime.fromisoformat(stored.created_at).tzinfo is not None


@pytest.mark.parametrize("status", ["answered", "refused", "urgent"])
def test_every_status_is_stored(log, status):
    answer_id = log.record(answer(status=status), 0)
    assert log.answer(answer_id).status == status


def test_feedback_is_stored_and_a_later_click_replaces_it(log):
    answer_id = log.record(answer(), 0)
    log.set_feedback(answer_id, helpful=False)
    assert log.answer(answer_id).helpful is False
    log.set_feedback(answer_id, helpful=True)
    stored = log.answer(answer_id)
    assert stored.helpful is True and stored.feedback_at is not None


class BrokenAnswer:
    """An answer-like object as a caller might build it wrongly (ask's Answer refuses bad statuses itself)."""

    def __init__(self, status: str = "answered") -> None:
        self.status, self.question, self.message, self.index_version, self.reason = status, "q", "m", None, ""
        self.quotes = ()


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (
            lambda log: log.record(BrokenAnswer(status="maybe"), 0),
            "Unknown answer status 'maybe'; choose one of: answered",
        ),
        (lambda log: log.record(BrokenAnswer(), 0), "is missing a field or has a wrong one"),
        (lambda log: log.record({"status": "answered"}, 0), "must be an Answer (question, status,"),
        (lambda log: log.record("text", 0), "must be an Answer (question, status, message, quotes...), not str"),
        (lambda log: log.set_feedback(999, helpful=True), "No answer 999"),
        (lambda log: log.answer(999), "No answer 999"),
        (lambda log: log.add_verdict(999, "correct", comment="", reviewer="ann"), "No quote 999"),
        (lambda log: log.add_verdict(1, "fine", comment="", reviewer="ann"), "Unknown verdict 'fine'; choose one of"),
        (lambda log: log.add_verdict(1, "correct", comment="", reviewer=" "), "needs the reviewer's name"),
        (lambda log: AnswerFilter(status="lost"), "Unknown status filter 'lost'; choose one of: answered"),
        (lambda log: AnswerFilter(verdict="great"), "Unknown verdict filter 'great'; choose one of: correct"),
        (lambda log: AnswerFilter(feedback="meh"), "Unknown feedback filter 'meh'; choose one of: helpful"),
    ],
)
def test_bad_input_raises_one_calm_audit_error(log, call, message):
    with pytest.raises(AuditError, match=None) as caught:
        call(log)
    assert message in str(caught.value)
    assert isinstance(caught.value, ChatbotError)


def test_a_sqlite_file_from_newer_code_is_refused(tmp_path):
    path = tmp_path / "audit.sqlite3"
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA user_version = 99")
    with pytest.raises(AuditError, match="schema version 99"):
        AuditLog(path)


def test_an_unusable_path_raises_audit_error(tmp_path):
    (tmp_path / "taken").mkdir()
    with pytest.raises(AuditError, match="taken"):
        AuditLog(tmp_path / "taken")


def test_answers_are_listed_newest_first_and_paged(log):
    for day in (3, 1, 2):
        log.record(answer(f"day {day}"), 0, at=datetime(2026, 11, day, 12, tzinfo=UTC))
    assert [a.question for a in log.answers()] == ["day 3", "day 2", "day 1"]
    assert [a.question for a in log.answers(limit=2, offset=1)] == ["day 2", "day 1"]
    assert log.count_answers() == 3


def test_filters_select_by_status_feedback_verdict_date_and_page(log):
    at = datetime(2026, 11, 20, 23, 59, tzinfo=UTC)
    a1 = log.record(answer("a1", quotes=[quote("penn-medicine"), quote("susan-g-komen")]), 0, at=at)
    a2 = log.record(answer("a2", quotes=[quote("susan-g-komen")]), 0, at=datetime(2026, 11, 21, 0, 0, tzinfo=UTC))
    a3 = log.record(answer("a3", status="refused"), 0, at=datetime(2026, 11, 22, tzinfo=UTC))
    log.record(answer("a4", status="urgent"), 1, at=datetime(2026, 11, 22, 8, tzinfo=UTC))
    log.set_feedback(a1, helpful=True)
    log.set_feedback(a3, helpful=False)
    first_quote = log.answer(a1).quotes[0]
    log.add_verdict(first_quote.id, "outdated", comment="old figures", reviewer="ann")
    log.add_verdict(log.answer(a2).quotes[0].id, "correct", comment="", reviewer="ann")

    def questions(**kwargs) -> list[str]:
        where = AnswerFilter(**kwargs)
        found = [a.question for a in log.answers(where)]
        assert log.count_answers(where) == len(found)
        return found

    assert questions(status="refused") == ["a3"]
    assert questions(status="urgent") == ["a4"]
    assert questions(feedback="helpful") == ["a1"]
    assert questions(feedback="not_helpful") == ["a3"]
    assert questions(feedback="none") == ["a4", "a2"]
    assert questions(verdict="outdated") == ["a1"]
    assert questions(verdict="correct") == ["a2"]
    assert questions(verdict="unreviewed") == ["a1"]  # its second quote has no verdict yet
    assert questions(verdict="misleading") == []
    assert questions(since=date(2026, 11, 21)) == ["a4", "a3", "a2"]
    assert questions(until=date(2026, 11, 20)) == ["a1"]
    assert questions(since=date(2026, 11, 21), until=date(2026, 11, 21)) == ["a2"]
    assert questions(doc_id="penn-medicine") == ["a1"]
    assert questions(doc_id="susan-g-komen", verdict="correct") == ["a2"]
    assert log.cited_doc_ids() == ["penn-medicine", "susan-g-komen"]


def test_the_newest_verdict_is_current_and_the_history_is_kept(log):
    answer_id = log.record(answer(), 0)
    quote_id = log.answer(answer_id).quotes[0].id
    log.add_verdict(quote_id, "misleading", comment="  cut mid-list ", reviewer="ann")
    log.add_verdict(quote_id, "correct", comment="re-read: fine", reviewer="bob")
    current = log.answer(answer_id).quotes[0].verdict
    assert (current.verdict, current.label, current.comment, current.reviewer) == (
        "correct",
        "correct",
        "re-read: fine",
        "bob",
    )
    history = log.verdict_history(quote_id)
    assert [(v.verdict, v.label, v.comment, v.reviewer) for v in history] == [
        ("misleading", "misleading out of context", "cut mid-list", "ann"),
        ("correct", "correct", "re-read: fine", "bob"),
    ]
    assert datetime.fromisoformat(history[0].created_at) <= datetime.fromisoformat(history[1].created_at)
    assert [q.verdict.verdict for q in log.all_quotes()] == ["correct"]


def test_eval_runs_are_stored_newest_first(log):
    first = {"overall": {"hit_at_1": 0.5}, "by_category": {"symptoms": {"hit_at_1": 0.4}}}
    log.record_eval_run(first, eval_file="/tmp/dev.jsonl", index_version="v1", run_by="max")
    log.record_eval_run(
        {"overall": {"hit_at_1": 0.6}, "by_category": {}}, eval_file="d", index_version="v2", run_by="m"
    )
    runs = log.eval_runs(limit=2)
    assert [(r.index_version, r.overall["hit_at_1"]) for r in runs] == [("v2", 0.6), ("v1", 0.5)]
    assert runs[1].by_category == {"symptoms": {"hit_at_1": 0.4}}
    assert (runs[1].eval_file, runs[1].run_by) == ("/tmp/dev.jsonl", "max")


@pytest.mark.parametrize("shared", [True, False], ids=["one-log-shared", "a-log-per-thread"])
def test_concurrent_writers_lose_nothing(target, shared):
    path = target
    shared_log = AuditLog(path)
    threads_n, per_thread = 16, 25
    start = threading.Barrier(threads_n)
    ids: list[int] = []
    errors: list[BaseException] = []
    ids_lock = threading.Lock()

    def patient(n: int) -> None:
        try:
            log = shared_log if shared else AuditLog(path)
            start.wait()
            for i in range(per_thread):
                quotes = [quote(start=i, text=f"quote {n}-{i}-{k}") for k in range(3)]
                answer_id = log.record(answer(f"question {n}-{i}", quotes=quotes), history_len=i)
                log.set_feedback(answer_id, helpful=i % 2 == 0)
                with ids_lock:
                    ids.append(answer_id)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=patient, args=(n,)) for n in range(threads_n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    total = threads_n * per_thread
    assert len(set(ids)) == total
    stored = shared_log.answers(limit=total + 10)
    assert len(stored) == total
    assert {a.question for a in stored} == {f"question {n}-{i}" for n in range(threads_n) for i in range(per_thread)}
    assert all(a.helpful is (a.history_len % 2 == 0) for a in stored)
    for a in stored:
        n, i = a.question.removeprefix("question ").split("-")
        assert [q.text for q in a.quotes] == [f"quote {n}-{i}-{k}" for k in range(3)]
    assert len(shared_log.all_quotes()) == total * 3


def test_cited_spans_locate_every_quote(log):
    first = log.record(answer("a", quotes=[quote(start=3, text="one"), quote("penn-medicine", 40, "two")]), 0)
    log.record(answer("b", status="refused"), 0)
    third = log.record(answer("c", quotes=[quote(start=7, text="three")]), 0)
    spans = [(s.answer_id, s.position, s.doc_id, s.start, s.end, s.text) for s in log.cited_spans()]
    assert spans == [
        (first, 0, "susan-g-komen", 3, 6, "one"),
        (first, 1, "penn-medicine", 40, 43, "two"),
        (third, 0, "susan-g-komen", 7, 12, "three"),
    ]
    assert [s.quote_id for s in log.cited_spans()] == [q.id for q in log.all_quotes()]


def _audit_cli(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "audit", *args], cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=60
    )


def test_backup_check_and_prune_from_the_command_line(isolated_env, tmp_path):
    log = AuditLog(isolated_env.audit_db)
    old = log.record(answer("an old one"), 0, at=datetime(2025, 1, 5, tzinfo=UTC))
    new = log.record(answer("a new one"), 0)
    backup = tmp_path / "copies" / "audit-backup.sqlite3"

    made = _audit_cli("backup", str(backup))
    assert made.returncode == 0, made.stderr
    assert [a.question for a in AuditLog(backup).answers()] == ["a new one", "an old one"]
    again = _audit_cli("backup", str(backup))
    assert again.returncode == 1 and "exists already; name a new file" in again.stderr
    checked = _audit_cli("check")
    assert checked.returncode == 0 and "integrity ok; 2 answers stored" in checked.stdout

    pruned = _audit_cli("prune", "--before", "2026-01-01")
    assert pruned.returncode == 0 and "Deleted 1 answers stored before 2026-01-01" in pruned.stdout
    assert [a.id for a in log.answers()] == [new] and old not in [a.id for a in log.answers()]


def test_a_damaged_database_fails_its_check_at_start_up(isolated_env):

    damaged_database(isolated_env.audit_db)
    with pytest.raises(AuditError, match=r"audit\.sqlite3 is damaged \(.*\)\. Restore it from a backup"):
        AuditLog(isolated_env.audit_db)
    checked = _audit_cli("check")
    assert checked.returncode == 1 and "is damaged" in checked.stderr and "Traceback" not in checked.stderr


def test_backup_of_a_postgresql_database_names_its_tool_and_check_and_prune_work(postgres_url, monkeypatch, tmp_path):
    log = AuditLog(postgres_url)
    log.record(answer("an old one"), 0, at=datetime(2025, 1, 5, tzinfo=UTC))
    log.record(answer("a new one"), 0)
    monkeypatch.setenv("MBC_AUDIT_DB", postgres_url)
    import os

    env = dict(os.environ)
    refused = _audit_cli("backup", str(tmp_path / "copy.sqlite3"), env=env)
    assert refused.returncode == 1 and "is on PostgreSQL; back it up with pg_dump" in refused.stderr
    assert not (tmp_path / "copy.sqlite3").exists()
    checked = _audit_cli("check", env=env)
    assert checked.returncode == 0 and "integrity ok; 2 answers stored" in checked.stdout
    assert postgres_url.rpartition("/")[2] in checked.stdout
    pruned = _audit_cli("prune", "--before", "2026-01-01", env=env)
    assert pruned.returncode == 0 and "Deleted 1 answers" in pruned.stdout
    assert [a.question for a in log.answers()] == ["a new one"]


WRITER = textwrap.dedent(
    """
    import sys
    from ask import Answer, Quote
    from audit import AuditLog

    target, writer, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
    log = AuditLog(target)
    for i in range(count):
        quote = Quote(f"quote {writer}-{i}", "doc", "corpus/doc.txt", "T", "P", None, 0, 9, 0.5)
        answer_id = log.record(Answer(f"question {writer}-{i}", "answered", "m", "v", (quote,)), history_len=i)
        log.set_feedback(answer_id, helpful=True)
    """
)


def test_concurrent_writer_processes_lose_nothing(target):
    AuditLog(target)  # created first, as the app's start-up does; the processes then only write
    processes_n, per_process = 4, 60
    writers = [
        subprocess.Popen([sys.executable, "-c", WRITER, str(target), str(n), str(per_process)], cwd=REPO_ROOT)
        for n in range(processes_n)
    ]
    assert [w.wait(timeout=120) for w in writers] == [0] * processes_n
    stored = AuditLog(target).answers(limit=10_000)
    expected = {f"question {n}-{i}" for n in range(processes_n) for i in range(per_process)}
    assert sorted(a.question for a in stored) == sorted(expected)  # each exactly once
    assert all(a.helpful is True and [q.text for q in a.quotes] == [f"quote {a.question[9:]}"] for a in stored)


def test_processes_opening_a_new_database_together_migrate_it_once(target):
    script = "import sys; from audit import AuditLog, StaffLog; AuditLog(sys.argv[1]); StaffLog(sys.argv[1])"
    openers = [subprocess.Popen([sys.executable, "-c", script, str(target)], cwd=REPO_ROOT) for _ in range(4)]
    assert [o.wait(timeout=120) for o in openers] == [0] * 4
    log = AuditLog(target)
    log.record(answer(), 0)
    assert log.count_answers() == 1


def test_verdicts_export_as_csv_with_the_current_verdict(log):
    answer_id = log.record(answer("Is it curable?", quotes=[quote(), quote("penn-medicine", 5, "Second one.")]), 2)
    log.record(answer("What about pets?", status="refused"), 0)
    first, second = log.answer(answer_id).quotes
    log.add_verdict(first.id, "misleading", comment="cut mid-list", reviewer="ann")
    log.add_verdict(first.id, "correct", comment='re-read, "fine"', reviewer="bob")
    log.add_verdict(second.id, "outdated", comment="", reviewer="ann")
    log.set_feedback(answer_id, helpful=False)
    rows = export_csv(log.answers(AnswerFilter(verdict="correct"))).splitlines()
    assert len(rows) == 3  # the header and one row per quote of the only matching answer
    assert rows[1].startswith(f"{answer_id},") and "Is it curable?" in rows[1] and ",no," in rows[1]
    assert 'correct,"re-read, ""fine""",bob' in rows[1]
    assert "outdated,,ann" in rows[2]
    assert len(export_csv(log.answers()).splitlines()) == 4  # and the refusal gets its own row


def test_a_write_the_database_refuses_is_an_audit_error_keeping_the_cause(target):
    import sqlalchemy as sa

    from audit.database import engine_for

    log = AuditLog(target)
    # Quotes of five characters or more are refused by the database: a write that fails halfway.
    if isinstance(target, str):
        refuse = "ALTER TABLE quotes ADD CONSTRAINT short_quotes CHECK (length(text) < 5)"
    else:
        refuse = (
            "CREATE TRIGGER short_quotes BEFORE INSERT ON quotes WHEN length(NEW.text) >= 5 "
            "BEGIN SELECT RAISE(ABORT, 'short_quotes'); END"
        )
    with engine_for(target).begin() as db:
        db.execute(sa.text(refuse))
    with pytest.raises(AuditError, match=r"^The audit database .* cannot be used: .*short_quotes") as caught:
        log.record(answer(), 0)
    assert isinstance(caught.value.__cause__, sa.exc.DBAPIError)
    assert log.count_answers() == 0  # the answer row went with its quotes: nothing half-written


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("mysql://db.internal/mbc", "The database URL mysql://db.internal/mbc is not supported; give a file path"),
        ("postgresql+asyncpg://h/db", "is not supported; give a file path, or sqlite:///PATH, or postgresql://"),
        ("sqlite://", "The database URL sqlite:// names no file; give sqlite:///PATH."),
        ("postgresql://mbc:s3cret@127.0.0.1:1/none", "The audit database postgresql://mbc:***@127.0.0.1:1/none cannot"),
    ],
)
def test_a_bad_database_url_is_one_sentence_without_its_password(value, message):
    with pytest.raises(AuditError) as caught:
        AuditLog(value, busy_timeout_s=2)
    assert message in str(caught.value) and "s3cret" not in str(caught.value)


@pytest.mark.parametrize(
    ("environ", "audit_db", "staff_db"),
    [
        (
            {"MBC_AUDIT_DB": "postgresql://mbc@db:5432/mbc"},
            "postgresql://mbc@db:5432/mbc",
            "postgresql://mbc@db:5432/mbc",
        ),
        (
            {"MBC_AUDIT_DB": "postgresql://mbc@db/mbc", "MBC_STAFF_DB": "postgresql://mbc@db/staff"},
            "postgresql://mbc@db/mbc",
            "postgresql://mbc@db/staff",
        ),
        (
            {"MBC_AUDIT_DB": "sqlite:////srv/mbc/audit.db"},
            "sqlite:////srv/mbc/audit.db",
            Path("/srv/mbc/staff.sqlite3"),
        ),
        ({"MBC_AUDIT_DB": "/srv/mbc/audit.sqlite3"}, Path("/srv/mbc/audit.sqlite3"), Path("/srv/mbc/staff.sqlite3")),
    ],
)
def test_a_database_url_setting_is_kept_as_given_and_the_staff_tables_follow_it(environ, audit_db, staff_db):
    from settings import settings_from_env

    settings = settings_from_env(environ)
    assert (settings.audit_db, settings.staff_db) == (audit_db, staff_db)
