"""The audit trail: every answer given, the patient's feedback, reviewers' verdicts and evaluation runs.

``MBC_AUDIT_DB`` is a SQLite file (default ``var/audit.sqlite3``, git-ignored, in WAL mode so the
patient page keeps writing while a reviewer reads) or a PostgreSQL URL, shared by every replica.
Every call runs in its own short transaction, which makes an ``AuditLog`` safe to share between
threads, Streamlit sessions and processes; writers wait for each other instead of failing, so
concurrent answers are never lost.

Tables (created and upgraded by ``audit/migrations/answers``)::

    answers    one row per answer: time, question, history length, status, message, the bot's reason
               for the status, index version,
               the patient's helpful / not helpful feedback and when it was given
    quotes     the answer's citations in order: page, offsets, text, score
    verdicts   reviewers' judgements of a quote; the newest row for a quote is its verdict
    eval_runs  figures from "Run evaluation" on the maintainer page, newest last

Staff sign-ins and actions are kept apart, in ``audit.staff``, so the staff pages still open (and
show the failure) when this database is damaged.

Opening a database checks it (SQLite's ``PRAGMA quick_check``; a PostgreSQL server must answer) and
migrates it; a failure to open, check or write is logged and remembered for this process
(``last_failure``), so the patient page stops saying questions are saved and the maintainer page
shows the failure.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Protocol

import sqlalchemy as sa

from audit import database
from audit.schema import STATUSES, answers, eval_runs, quotes, verdicts
from errors import AuditError

__all__ = [
    "FEEDBACK_FILTERS",
    "STATUSES",
    "VERDICTS",
    "VERDICT_FILTERS",
    "AnswerFilter",
    "AuditLog",
    "CitedSpan",
    "EvalRun",
    "RecordedAnswer",
    "RecordedQuote",
    "StoredAnswer",
    "StoredQuote",
    "Verdict",
    "last_failure",
]

_log = logging.getLogger("audit.answers")
# A verdict's stored value and the words reviewers see for it.
VERDICTS = {
    "correct": "correct",
    "wrong_passage": "wrong passage",
    "misleading": "misleading out of context",
    "outdated": "outdated",
}
FEEDBACK_FILTERS = ("helpful", "not_helpful", "none")
VERDICT_FILTERS = (*VERDICTS, "unreviewed")

_failures: dict[str, tuple[str, str]] = {}
_failures_lock = threading.Lock()


def last_failure(target: Path | str) -> tuple[str, str] | None:
    """When and why this process last failed to open or write the audit database ``target`` (a path or
    URL), if it has not succeeded since: ``(time, message)``, else None."""
    with _failures_lock:
        return _failures.get(database.display(target))


def _note(name: str, error: BaseException | None) -> None:
    with _failures_lock:
        if error is None:
            _failures.pop(name, None)
            return
        _failures[name] = (database.now(), str(error))
    _log.error("audit database %s: %s", name, error)


@dataclass(frozen=True)
class RecordedQuote:
    """A verbatim span of one page as an answer quotes it and ``record`` stores it:
    ``page_text[start:end] == text``. ``ask.Quote`` is one, and so is a ``StoredQuote``."""

    text: str
    doc_id: str
    path: str
    title: str
    publisher: str
    url: str | None
    start: int
    end: int
    score: float


class RecordedAnswer(Protocol):
    """What ``record`` reads of an answer (``ask.Answer`` is one)."""

    question: str
    status: str
    message: str
    index_version: str
    reason: str
    quotes: Sequence[RecordedQuote]


@dataclass(frozen=True)
class Verdict:
    """A reviewer's judgement of one quote: one of ``VERDICTS``, a comment, who and when."""

    id: int
    quote_id: int
    verdict: str
    comment: str
    reviewer: str
    created_at: str

    @property
    def label(self) -> str:
        return VERDICTS.get(self.verdict, self.verdict)


@dataclass(frozen=True, kw_only=True)
class StoredQuote(RecordedQuote):
    """One citation of a stored answer, as it was shown: ``page_text[start:end] == text`` at that version."""

    id: int
    answer_id: int
    position: int
    verdict: Verdict | None  # the newest verdict, None until reviewed


@dataclass(frozen=True)
class CitedSpan:
    """Where a stored quote points: enough to check it against a newer index, and to find its answer."""

    quote_id: int
    answer_id: int
    position: int
    doc_id: str
    start: int
    end: int
    text: str


@dataclass(frozen=True)
class StoredAnswer:
    """One answer as the patient saw it, with their feedback (``helpful`` is None until given)."""

    id: int
    created_at: str
    question: str
    history_len: int
    status: str
    message: str
    reason: str  # why the bot chose this status; never shown to patients
    index_version: str
    helpful: bool | None
    feedback_at: str | None
    quotes: tuple[StoredQuote, ...]


def _latest_verdict_id(quote: sa.Table | sa.Alias) -> sa.ScalarSelect:
    """The newest verdict of ``quote``; verdict ids grow with time."""
    newer = verdicts.alias("newest")
    return sa.select(sa.func.max(newer.c.id)).where(newer.c.quote_id == quote.c.id).correlate(quote).scalar_subquery()


@dataclass(frozen=True, kw_only=True)
class AnswerFilter:
    """Which answers a reviewer wants to see; None means any.

    ``feedback`` is one of ``FEEDBACK_FILTERS``; ``verdict`` is a ``VERDICTS`` key (some quote of the
    answer has that verdict) or "unreviewed" (some quote has none yet); ``since`` and ``until`` are
    inclusive UTC dates; ``doc_id`` keeps answers citing that page.
    """

    status: str | None = None
    feedback: str | None = None
    verdict: str | None = None
    since: date | None = None
    until: date | None = None
    doc_id: str | None = None

    def __post_init__(self) -> None:
        for name, value, valid in (
            ("status", self.status, STATUSES),
            ("feedback", self.feedback, FEEDBACK_FILTERS),
            ("verdict", self.verdict, VERDICT_FILTERS),
        ):
            if value is not None and value not in valid:
                raise AuditError(f"Unknown {name} filter {value!r}; choose one of: {', '.join(valid)}.")

    def where(self) -> sa.ColumnElement[bool]:
        """The condition on the ``answers`` table."""
        clauses: list[sa.ColumnElement[bool]] = []
        if self.status is not None:
            clauses.append(answers.c.status == self.status)
        if self.feedback == "helpful":
            clauses.append(answers.c.helpful == 1)
        elif self.feedback == "not_helpful":
            clauses.append(answers.c.helpful == 0)
        elif self.feedback == "none":
            clauses.append(answers.c.helpful.is_(None))
        quote = quotes.alias("q")
        if self.verdict == "unreviewed":
            clauses.append(sa.exists().where(quote.c.answer_id == answers.c.id, _latest_verdict_id(quote).is_(None)))
        elif self.verdict is not None:
            judged = verdicts.alias("v")
            clauses.append(
                sa.exists(
                    sa.select(sa.literal(1))
                    .select_from(quote.join(judged, judged.c.id == _latest_verdict_id(quote)))
                    .where(quote.c.answer_id == answers.c.id, judged.c.verdict == self.verdict)
                )
            )
        # Times are stored as fixed-width ISO 8601 UTC strings, so text order is time order.
        if self.since is not None:
            clauses.append(answers.c.created_at >= self.since.isoformat())
        if self.until is not None:
            clauses.append(answers.c.created_at < (self.until + timedelta(days=1)).isoformat())
        if self.doc_id is not None:
            clauses.append(sa.exists().where(quote.c.answer_id == answers.c.id, quote.c.doc_id == self.doc_id))
        return sa.and_(sa.true(), *clauses)


@dataclass(frozen=True)
class EvalRun:
    """One evaluation run: the labelled file, the index version it ran on and ``to_dict()`` figures."""

    id: int
    created_at: str
    eval_file: str
    index_version: str
    overall: dict
    by_category: dict
    run_by: str


class AuditLog:
    """The audit database ``target`` (a SQLite file path or a database URL), created and migrated on open.

    >>> log = AuditLog(settings_from_env().audit_db)
    >>> answer_id = log.record(bot.ask("What is metastatic breast cancer?"), history_len=0)
    >>> log.set_feedback(answer_id, helpful=True)
    >>> log.answers(AnswerFilter(status="answered"), limit=20)
    """

    def __init__(self, target: Path | str, *, busy_timeout_s: float = 30.0) -> None:
        self.name = database.display(target)
        self._keepalive: sqlite3.Connection | None = None
        try:
            self.sqlite_path = database.sqlite_path(target)
            if self.sqlite_path is not None:
                self._open_sqlite_file(self.sqlite_path, busy_timeout_s)
            self._engine = database.engine_for(target, busy_timeout_s=busy_timeout_s)
            self.revision = database.upgrade(self._engine, "answers", f"audit database {self.name}")
            self.check()
        except AuditError as exc:
            _note(self.name, exc)
            raise
        if self.sqlite_path is not None:
            # SQLite checkpoints the WAL into the main file (and fsyncs) whenever the *last* connection
            # closes; this idle one keeps per-call connections from being the last, which makes a write
            # about 0.6 ms instead of about 20 ms.
            with database.mapped(f"audit database {self.name}", "opened"):
                self._keepalive = sqlite3.connect(self.sqlite_path, check_same_thread=False)
                self._keepalive.execute("PRAGMA user_version").fetchone()

    def _open_sqlite_file(self, path: Path, busy_timeout_s: float) -> None:
        """Make the folder, check an existing file before migrating it, and put the file in WAL mode."""
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise AuditError(f"The folder for the audit database {path} cannot be created: {exc}.") from exc
        if path.is_file() and path.stat().st_size:
            self._quick_check(path, busy_timeout_s)
        with database.mapped(f"audit database {path}", "opened"):
            connection = sqlite3.connect(path, timeout=busy_timeout_s)
            try:
                # WAL lets readers (the reviewer page) run while the patient page writes; the mode is
                # stored in the file, so setting it once here covers every later connection.
                mode = connection.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            finally:
                connection.close()
        if str(mode).lower() != "wal":
            raise AuditError(f"The audit database {path} cannot use WAL mode (it is in {mode} mode).")

    def _quick_check(self, path: Path, busy_timeout_s: float) -> None:
        with database.mapped(f"audit database {path}", "checked"):
            connection = sqlite3.connect(path, timeout=busy_timeout_s)
            try:
                found = [row[0] for row in connection.execute("PRAGMA quick_check(5)")]
            except sqlite3.DatabaseError as exc:  # the file is not a database at all: damage too
                found = [str(exc)]
            finally:
                connection.close()
        if found != ["ok"]:
            raise AuditError(
                f"The audit database {path} is damaged ({'; '.join(found)}). Restore it from a backup "
                "(python -m audit backup makes one), or move it aside so a new one is started."
            )

    def close(self) -> None:
        """Release the idle connection; later calls still work (each opens its own)."""
        if self._keepalive is not None:
            self._keepalive.close()

    def _transaction(self, *, write: bool = False):
        return database.transaction(self._engine, f"audit database {self.name}", write=write)

    def check(self) -> None:
        """SQLite's quick integrity check, or that the PostgreSQL server answers and holds the tables;
        raises ``AuditError`` naming the database when it finds damage."""
        if self.sqlite_path is not None:
            self._quick_check(self.sqlite_path, 30.0)
            return
        with self._transaction() as db:
            db.execute(sa.select(sa.func.count()).select_from(answers)).scalar()

    def backup(self, target: Path | str) -> Path:
        """A consistent copy of a SQLite database at ``target``, made with SQLite's online backup while it
        is in use. A PostgreSQL database is backed up with its own tools (``pg_dump``)."""
        if self.sqlite_path is None:
            raise AuditError(
                f"The audit database {self.name} is on PostgreSQL; back it up with pg_dump (or the server's "
                "continuous archiving), not this command."
            )
        target = Path(target)
        if target.exists():
            raise AuditError(f"{target} exists already; name a new file for the backup.")
        try:
            with database.mapped(f"audit database {self.name}", f"backed up to {target}"):
                target.parent.mkdir(parents=True, exist_ok=True)
                source = sqlite3.connect(self.sqlite_path, timeout=30.0)
                try:
                    copy = sqlite3.connect(target)
                    try:
                        source.backup(copy)
                    finally:
                        copy.close()
                finally:
                    source.close()
        except AuditError:
            target.unlink(missing_ok=True)
            raise
        return target

    def prune(self, before: date) -> int:
        """Delete answers (and their quotes and verdicts) stored before ``before``; returns how many."""
        with self._transaction(write=True) as db:
            return int(db.execute(answers.delete().where(answers.c.created_at < before.isoformat())).rowcount)

    # --- the patient page --------------------------------------------------------------

    def record(self, answer: RecordedAnswer, history_len: int, *, at: datetime | None = None) -> int:
        """Store one answer and its quotes; returns the answer's id.

        Args:
            answer: an ``ask.Answer`` (anything with its fields, see ``RecordedAnswer``).
            history_len: how many earlier turns the question came with.
            at: when it was answered (default: now).

        Returns:
            The id to pass to ``set_feedback``.
        """
        status = getattr(answer, "status", None)
        if not isinstance(status, str) or not hasattr(answer, "quotes"):
            raise AuditError(
                f"An answer to record must be an Answer (question, status, message, quotes...), "
                f"not {type(answer).__name__}."
            )
        if status not in STATUSES:
            raise AuditError(f"Unknown answer status {status!r}; choose one of: {', '.join(STATUSES)}.")
        try:
            answer_row = {
                "created_at": database.now(at),
                "question": _text(answer.question),
                "history_len": int(history_len),
                "status": status,
                "message": _text(answer.message),
                "reason": _text(answer.reason or ""),
                "index_version": _text(answer.index_version),
            }
            quote_rows = [
                {
                    "position": position,
                    "text": _text(q.text),
                    "doc_id": _text(q.doc_id),
                    "path": _text(q.path),
                    "title": _text(q.title),
                    "publisher": _text(q.publisher),
                    "url": None if q.url is None else _text(q.url),
                    "start": int(q.start),
                    "end": int(q.end),
                    "score": float(q.score),
                }
                for position, q in enumerate(answer.quotes)
            ]
        except (AttributeError, TypeError, ValueError) as exc:
            raise AuditError(f"An answer to record is missing a field or has a wrong one: {exc}.") from exc
        try:
            with self._transaction(write=True) as db:
                answer_id = int(db.execute(answers.insert().values(answer_row)).inserted_primary_key[0])
                if quote_rows:
                    db.execute(quotes.insert(), [{"answer_id": answer_id, **row} for row in quote_rows])
        except AuditError as exc:
            _note(self.name, exc)
            raise
        _note(self.name, None)
        return answer_id

    def set_feedback(self, answer_id: int, helpful: bool, *, at: datetime | None = None) -> None:
        """Store the patient's helpful / not helpful for an answer; a later click replaces an earlier one."""
        try:
            with self._transaction(write=True) as db:
                changed = db.execute(
                    answers.update()
                    .where(answers.c.id == int(answer_id))
                    .values(helpful=1 if helpful else 0, feedback_at=database.now(at))
                ).rowcount
                if changed != 1:
                    raise AuditError(f"No answer {answer_id} in the audit database {self.name}.")
        except AuditError as exc:
            _note(self.name, exc)
            raise

    # --- the reviewer page -------------------------------------------------------------

    def answers(self, where: AnswerFilter | None = None, *, limit: int = 50, offset: int = 0) -> list[StoredAnswer]:
        """Stored answers matching ``where``, newest first, with their quotes and current verdicts."""
        query = (
            sa.select(answers)
            .where((where or AnswerFilter()).where())
            .order_by(answers.c.created_at.desc(), answers.c.id.desc())
            .limit(max(0, int(limit)))
            .offset(max(0, int(offset)))
        )
        with self._transaction() as db:
            rows = db.execute(query).mappings().all()
            found = self._quotes(db, [row["id"] for row in rows])
        return [_answer(row, found.get(row["id"], ())) for row in rows]

    def count_answers(self, where: AnswerFilter | None = None) -> int:
        """How many stored answers match ``where``."""
        query = sa.select(sa.func.count()).select_from(answers).where((where or AnswerFilter()).where())
        with self._transaction() as db:
            return int(db.execute(query).scalar())

    def answer(self, answer_id: int) -> StoredAnswer:
        """One stored answer by id."""
        with self._transaction() as db:
            row = db.execute(sa.select(answers).where(answers.c.id == int(answer_id))).mappings().first()
            if row is None:
                raise AuditError(f"No answer {answer_id} in the audit database {self.name}.")
            found = self._quotes(db, [row["id"]])
        return _answer(row, found.get(row["id"], ()))

    def all_quotes(self) -> list[StoredQuote]:
        """Every stored quote with its current verdict, oldest answer first."""
        query = _quotes_select().order_by(quotes.c.answer_id, quotes.c.position)
        with self._transaction() as db:
            return [_quote(row) for row in db.execute(query).mappings()]

    def cited_spans(self) -> list[CitedSpan]:
        """Every stored quote's page, offsets and text (no verdicts: cheap enough to check all on each view)."""
        c = quotes.c
        query = sa.select(c.id, c.answer_id, c.position, c.doc_id, c.start, c.end, c.text).order_by(
            c.answer_id, c.position
        )
        with self._transaction() as db:
            return [CitedSpan(*row) for row in db.execute(query)]

    def cited_doc_ids(self) -> list[str]:
        """The pages any stored answer cites, for the page filter."""
        with self._transaction() as db:
            return list(db.execute(sa.select(quotes.c.doc_id).distinct().order_by(quotes.c.doc_id)).scalars())

    def add_verdict(self, quote_id: int, verdict: str, *, comment: str, reviewer: str) -> Verdict:
        """Store a reviewer's verdict on a quote; it becomes the quote's current verdict."""
        if verdict not in VERDICTS:
            raise AuditError(f"Unknown verdict {verdict!r}; choose one of: {', '.join(VERDICTS)}.")
        if not reviewer.strip():
            raise AuditError("A verdict needs the reviewer's name.")
        row = {
            "quote_id": int(quote_id),
            "verdict": verdict,
            "comment": comment.strip(),
            "reviewer": reviewer.strip(),
            "created_at": database.now(),
        }
        with self._transaction(write=True) as db:
            if db.execute(sa.select(quotes.c.id).where(quotes.c.id == int(quote_id))).first() is None:
                raise AuditError(f"No quote {quote_id} in the audit database {self.name}.")
            verdict_id = int(db.execute(verdicts.insert().values(row)).inserted_primary_key[0])
        return Verdict(verdict_id, row["quote_id"], verdict, row["comment"], row["reviewer"], row["created_at"])

    def verdict_history(self, quote_id: int) -> list[Verdict]:
        """Every verdict given on a quote, oldest first."""
        query = sa.select(verdicts).where(verdicts.c.quote_id == int(quote_id)).order_by(verdicts.c.id)
        with self._transaction() as db:
            return [_verdict(row) for row in db.execute(query).mappings()]

    # --- the maintainer page -----------------------------------------------------------

    def record_eval_run(
        self, figures: Mapping, *, eval_file: str, index_version: str, run_by: str, at: datetime | None = None
    ) -> EvalRun:
        """Store one evaluation's ``to_dict()`` figures (``overall`` and ``by_category``)."""
        overall = dict(figures.get("overall") or {})
        by_category = dict(figures.get("by_category") or {})
        row = {
            "created_at": database.now(at),
            "eval_file": str(eval_file),
            "index_version": str(index_version),
            "overall": json.dumps(overall),
            "by_category": json.dumps(by_category),
            "run_by": str(run_by),
        }
        with self._transaction(write=True) as db:
            run_id = int(db.execute(eval_runs.insert().values(row)).inserted_primary_key[0])
        return EvalRun(run_id, row["created_at"], row["eval_file"], row["index_version"], overall, by_category, run_by)

    def eval_runs(self, *, limit: int = 10) -> list[EvalRun]:
        """The latest evaluation runs, newest first."""
        query = sa.select(eval_runs).order_by(eval_runs.c.id.desc()).limit(max(0, int(limit)))
        with self._transaction() as db:
            rows = db.execute(query).mappings().all()
        return [
            EvalRun(
                row["id"],
                row["created_at"],
                row["eval_file"],
                row["index_version"],
                json.loads(row["overall"]),
                json.loads(row["by_category"]),
                row["run_by"],
            )
            for row in rows
        ]

    def _quotes(self, db: sa.Connection, answer_ids: list[int]) -> dict[int, tuple[StoredQuote, ...]]:
        by_answer: dict[int, list[StoredQuote]] = {}
        # Chunked: SQLite caps the number of parameters in one statement.
        for first in range(0, len(answer_ids), 500):
            query = (
                _quotes_select()
                .where(quotes.c.answer_id.in_(answer_ids[first : first + 500]))
                .order_by(quotes.c.answer_id, quotes.c.position)
            )
            for row in db.execute(query).mappings():
                by_answer.setdefault(row["answer_id"], []).append(_quote(row))
        return {answer_id: tuple(found) for answer_id, found in by_answer.items()}


def _text(value: object) -> str:
    if not isinstance(value, str):
        raise TypeError(f"expected text, got {type(value).__name__}")
    return value


def _quotes_select() -> sa.Select:
    """Quotes with their newest verdict (``v_*`` columns, None until reviewed)."""
    v = verdicts.alias("v")
    return sa.select(
        *quotes.c,
        v.c.id.label("v_id"),
        v.c.verdict.label("v_verdict"),
        v.c.comment.label("v_comment"),
        v.c.reviewer.label("v_reviewer"),
        v.c.created_at.label("v_created_at"),
    ).select_from(quotes.outerjoin(v, v.c.id == _latest_verdict_id(quotes)))


def _verdict(row: Mapping) -> Verdict:
    return Verdict(row["id"], row["quote_id"], row["verdict"], row["comment"], row["reviewer"], row["created_at"])


def _quote(row: Mapping) -> StoredQuote:
    verdict = None
    if row["v_id"] is not None:
        verdict = Verdict(
            row["v_id"], row["id"], row["v_verdict"], row["v_comment"], row["v_reviewer"], row["v_created_at"]
        )
    return StoredQuote(**{f.name: row[f.name] for f in fields(StoredQuote) if f.name != "verdict"}, verdict=verdict)


def _answer(row: Mapping, found: tuple[StoredQuote, ...]) -> StoredAnswer:
    helpful = None if row["helpful"] is None else bool(row["helpful"])
    return StoredAnswer(
        row["id"],
        row["created_at"],
        row["question"],
        row["history_len"],
        row["status"],
        row["message"],
        row["reason"],
        row["index_version"],
        helpful,
        row["feedback_at"],
        tuple(found),
    )
