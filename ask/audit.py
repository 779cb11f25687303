"""The audit trail: every answer given, the patient's feedback, reviewers' verdicts and evaluation runs.

One SQLite file (``MBC_AUDIT_DB``, default ``var/audit.sqlite3``, git-ignored) in WAL mode, so the
patient page keeps writing while a reviewer reads. Every call opens its own short-lived connection,
which makes an ``AuditLog`` safe to share between threads and Streamlit sessions; writers wait for
each other (busy timeout) instead of failing, so concurrent answers are never lost.

Tables (``PRAGMA user_version`` holds the schema version)::

    answers    one row per answer: time, question, history length, status, message, the bot's reason
               for the status, index version,
               the patient's helpful / not helpful feedback and when it was given
    quotes     the answer's citations in order: page, offsets, text, score
    verdicts   reviewers' judgements of a quote; the newest row for a quote is its verdict
    eval_runs  figures from "Run evaluation" on the maintainer page, newest last

Staff sign-ins and actions are kept apart, in ``ask.staff_log``, so the staff pages still open (and
show the failure) when this database is damaged.

Opening a database checks its integrity (``PRAGMA quick_check``); a failure to open, check or write
is logged and remembered for this process (``last_failure``), so the patient page stops saying
questions are saved and the maintainer page shows the failure.

    python -m ask.audit check                  # the integrity check, and counts
    python -m ask.audit backup BACKUP.sqlite3  # a consistent copy while the app runs (SQLite online backup)
    python -m ask.audit prune --before 2026-01-01   # delete answers (and their quotes, verdicts) older than a date
"""

from __future__ import annotations

import contextlib
import json
import logging
import sqlite3
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from errors import AuditError

__all__ = [
    "FEEDBACK_FILTERS",
    "SCHEMA_VERSION",
    "STATUSES",
    "VERDICTS",
    "VERDICT_FILTERS",
    "AnswerFilter",
    "AuditLog",
    "CitedSpan",
    "EvalRun",
    "StoredAnswer",
    "StoredQuote",
    "Verdict",
    "last_failure",
]

SCHEMA_VERSION = 1
_log = logging.getLogger("ask.audit")
STATUSES = ("answered", "refused", "urgent")
# A verdict's stored value and the words reviewers see for it.
VERDICTS = {
    "correct": "correct",
    "wrong_passage": "wrong passage",
    "misleading": "misleading out of context",
    "outdated": "outdated",
}
FEEDBACK_FILTERS = ("helpful", "not_helpful", "none")
VERDICT_FILTERS = (*VERDICTS, "unreviewed")

_SCHEMA = """
CREATE TABLE answers (
    id            INTEGER PRIMARY KEY,
    created_at    TEXT    NOT NULL,
    question      TEXT    NOT NULL,
    history_len   INTEGER NOT NULL,
    status        TEXT    NOT NULL,
    message       TEXT    NOT NULL,
    reason        TEXT    NOT NULL,
    index_version TEXT    NOT NULL,
    helpful       INTEGER,
    feedback_at   TEXT
);
CREATE INDEX answers_created_at ON answers (created_at);
CREATE TABLE quotes (
    id        INTEGER PRIMARY KEY,
    answer_id INTEGER NOT NULL REFERENCES answers (id) ON DELETE CASCADE,
    position  INTEGER NOT NULL,
    text      TEXT    NOT NULL,
    doc_id    TEXT    NOT NULL,
    path      TEXT    NOT NULL,
    title     TEXT    NOT NULL,
    publisher TEXT    NOT NULL,
    url       TEXT,
    start     INTEGER NOT NULL,
    "end"     INTEGER NOT NULL,
    score     REAL    NOT NULL
);
CREATE INDEX quotes_answer_id ON quotes (answer_id);
CREATE INDEX quotes_doc_id ON quotes (doc_id);
CREATE TABLE verdicts (
    id         INTEGER PRIMARY KEY,
    quote_id   INTEGER NOT NULL REFERENCES quotes (id) ON DELETE CASCADE,
    verdict    TEXT    NOT NULL,
    comment    TEXT    NOT NULL,
    reviewer   TEXT    NOT NULL,
    created_at TEXT    NOT NULL
);
CREATE INDEX verdicts_quote_id ON verdicts (quote_id);
CREATE TABLE eval_runs (
    id            INTEGER PRIMARY KEY,
    created_at    TEXT NOT NULL,
    eval_file     TEXT NOT NULL,
    index_version TEXT NOT NULL,
    overall       TEXT NOT NULL,
    by_category   TEXT NOT NULL,
    run_by        TEXT NOT NULL
);
"""

_failures: dict[str, tuple[str, str]] = {}
_failures_lock = threading.Lock()


def last_failure(path: Path | str) -> tuple[str, str] | None:
    """When and why this process last failed to open or write the audit database at ``path``, if it has not
    succeeded since: ``(time, message)``, else None."""
    with _failures_lock:
        return _failures.get(str(Path(path)))


def _note(path: Path, error: BaseException | None) -> None:
    with _failures_lock:
        if error is None:
            _failures.pop(str(path), None)
            return
        _failures[str(path)] = (_now(), str(error))
    _log.error("audit database %s: %s", path, error)


# The newest verdict of quote ``q``; verdict ids grow with time.
_LATEST_VERDICT = "(SELECT MAX(v.id) FROM verdicts v WHERE v.quote_id = q.id)"


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


@dataclass(frozen=True)
class StoredQuote:
    """One citation of a stored answer, as it was shown: ``page_text[start:end] == text`` at that version."""

    id: int
    answer_id: int
    position: int
    text: str
    doc_id: str
    path: str
    title: str
    publisher: str
    url: str | None
    start: int
    end: int
    score: float
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

    def where(self) -> tuple[str, list]:
        """The SQL condition on ``answers a`` and its parameters."""
        clauses: list[str] = []
        params: list = []
        if self.status is not None:
            clauses.append("a.status = ?")
            params.append(self.status)
        if self.feedback == "helpful":
            clauses.append("a.helpful = 1")
        elif self.feedback == "not_helpful":
            clauses.append("a.helpful = 0")
        elif self.feedback == "none":
            clauses.append("a.helpful IS NULL")
        if self.verdict == "unreviewed":
            clauses.append(f"EXISTS (SELECT 1 FROM quotes q WHERE q.answer_id = a.id AND {_LATEST_VERDICT} IS NULL)")
        elif self.verdict is not None:
            clauses.append(
                "EXISTS (SELECT 1 FROM quotes q JOIN verdicts v ON v.id = "
                f"{_LATEST_VERDICT} WHERE q.answer_id = a.id AND v.verdict = ?)"
            )
            params.append(self.verdict)
        # Times are stored as fixed-width ISO 8601 UTC strings, so text order is time order.
        if self.since is not None:
            clauses.append("a.created_at >= ?")
            params.append(self.since.isoformat())
        if self.until is not None:
            clauses.append("a.created_at < ?")
            params.append((self.until + timedelta(days=1)).isoformat())
        if self.doc_id is not None:
            clauses.append("EXISTS (SELECT 1 FROM quotes q WHERE q.answer_id = a.id AND q.doc_id = ?)")
            params.append(self.doc_id)
        return (" AND ".join(clauses) or "1"), params


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


def _now(at: datetime | None = None) -> str:
    return (at or datetime.now(UTC)).astimezone(UTC).isoformat(timespec="microseconds")


class AuditLog:
    """The audit database at ``path``, created on first use.

    >>> log = AuditLog(settings_from_env().audit_db)
    >>> answer_id = log.record(bot.ask("What is metastatic breast cancer?"), history_len=0)
    >>> log.set_feedback(answer_id, helpful=True)
    >>> log.answers(AnswerFilter(status="answered"), limit=20)
    """

    def __init__(self, path: Path | str, *, busy_timeout_s: float = 30.0) -> None:
        self.path = Path(path)
        self._busy_timeout_s = busy_timeout_s
        self._schema_lock = threading.Lock()
        try:
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise AuditError(f"The folder for the audit database {self.path} cannot be created: {exc}.") from exc
            self._create_schema()
            self.check()
        except AuditError as exc:
            _note(self.path, exc)
            raise
        # SQLite checkpoints the WAL into the main file (and fsyncs) whenever the *last* connection
        # closes; this idle one keeps per-call connections from being the last, which makes a write
        # about 0.6 ms instead of about 20 ms.
        try:
            self._keepalive = sqlite3.connect(self.path, check_same_thread=False)
            self._keepalive.execute("PRAGMA user_version").fetchone()
        except sqlite3.Error as exc:
            raise AuditError(f"The audit database {self.path} cannot be opened: {exc}.") from exc

    def close(self) -> None:
        """Release the idle connection; later calls still work (each opens its own)."""
        self._keepalive.close()

    # --- connections -------------------------------------------------------------------

    @contextlib.contextmanager
    def _connect(self, *, write: bool = False) -> Iterator[sqlite3.Connection]:
        """A fresh connection; ``write`` holds the write lock for the whole block and commits at the end."""
        try:
            connection = sqlite3.connect(self.path, timeout=self._busy_timeout_s, isolation_level=None)
        except sqlite3.Error as exc:
            raise AuditError(f"The audit database {self.path} cannot be opened: {exc}.") from exc
        try:
            connection.row_factory = sqlite3.Row
            connection.execute("PRAGMA foreign_keys = ON")
            connection.execute(f"PRAGMA busy_timeout = {int(self._busy_timeout_s * 1000)}")
            # NORMAL, the WAL setting SQLite recommends: a committed answer survives the app crashing;
            # only a power cut can lose the last moments, and the file is never corrupted.
            connection.execute("PRAGMA synchronous = NORMAL")
            if write:
                # IMMEDIATE takes the write lock now, so two writers queue instead of deadlocking.
                connection.execute("BEGIN IMMEDIATE")
                try:
                    yield connection
                except BaseException:
                    connection.rollback()
                    raise
                connection.commit()
            else:
                yield connection
        except sqlite3.Error as exc:
            raise AuditError(f"The audit database {self.path} cannot be used: {exc}.") from exc
        finally:
            connection.close()

    def _create_schema(self) -> None:
        with self._schema_lock:
            try:
                connection = sqlite3.connect(self.path, timeout=self._busy_timeout_s, isolation_level=None)
            except sqlite3.Error as exc:
                raise AuditError(f"The audit database {self.path} cannot be opened: {exc}.") from exc
            try:
                # WAL lets readers (the reviewer page) run while the patient page writes; the mode is
                # stored in the file, so setting it once here covers every later connection.
                mode = connection.execute("PRAGMA journal_mode = WAL").fetchone()[0]
                if str(mode).lower() != "wal":
                    raise AuditError(f"The audit database {self.path} cannot use WAL mode (it is in {mode} mode).")
                connection.execute(f"PRAGMA busy_timeout = {int(self._busy_timeout_s * 1000)}")
                connection.execute("BEGIN IMMEDIATE")
                version = connection.execute("PRAGMA user_version").fetchone()[0]
                if version == 0:
                    # One statement at a time: executescript would commit the IMMEDIATE transaction first.
                    for statement in filter(str.strip, _SCHEMA.split(";")):
                        connection.execute(statement)
                    connection.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
                    connection.commit()
                else:
                    connection.rollback()
                    if version != SCHEMA_VERSION:
                        raise AuditError(
                            f"The audit database {self.path} has schema version {version}; this code reads "
                            f"version {SCHEMA_VERSION}. Point MBC_AUDIT_DB at a new file or upgrade the code."
                        )
            except sqlite3.Error as exc:
                raise AuditError(f"The audit database {self.path} cannot be used: {exc}.") from exc
            finally:
                connection.close()

    def check(self) -> None:
        """SQLite's quick integrity check; raises ``AuditError`` naming the file when it finds damage."""
        try:
            connection = sqlite3.connect(self.path, timeout=self._busy_timeout_s)
            try:
                found = [row[0] for row in connection.execute("PRAGMA quick_check(5)")]
            finally:
                connection.close()
        except sqlite3.DatabaseError as exc:
            found = [str(exc)]
        except sqlite3.Error as exc:
            raise AuditError(f"The audit database {self.path} cannot be checked: {exc}.") from exc
        if found != ["ok"]:
            raise AuditError(
                f"The audit database {self.path} is damaged ({'; '.join(found)}). Restore it from a backup "
                "(python -m ask.audit backup makes one), or move it aside so a new one is started."
            )

    def backup(self, target: Path | str) -> Path:
        """A consistent copy of the database at ``target``, made with SQLite's online backup while it is in use."""
        target = Path(target)
        if target.exists():
            raise AuditError(f"{target} exists already; name a new file for the backup.")
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            source = sqlite3.connect(self.path, timeout=self._busy_timeout_s)
            try:
                copy = sqlite3.connect(target)
                try:
                    source.backup(copy)
                finally:
                    copy.close()
            finally:
                source.close()
        except (OSError, sqlite3.Error) as exc:
            target.unlink(missing_ok=True)
            raise AuditError(f"The audit database {self.path} could not be backed up to {target}: {exc}.") from exc
        return target

    def prune(self, before: date) -> int:
        """Delete answers (and their quotes and verdicts) stored before ``before``; returns how many."""
        with self._connect(write=True) as db:
            cursor = db.execute("DELETE FROM answers WHERE created_at < ?", (before.isoformat(),))
            return int(cursor.rowcount)

    # --- the patient page --------------------------------------------------------------

    def record(self, answer: object, history_len: int, *, at: datetime | None = None) -> int:
        """Store one answer and its quotes; returns the answer's id.

        Args:
            answer: an ``ask`` ``Answer`` or its ``to_dict()``.
            history_len: how many earlier turns the question came with.
            at: when it was answered (default: now).

        Returns:
            The id to pass to ``set_feedback``.
        """
        data = answer.to_dict() if hasattr(answer, "to_dict") else answer
        if not isinstance(data, Mapping):
            raise AuditError(f"An answer to record must be an Answer or its to_dict(), not {type(answer).__name__}.")
        status = data.get("status")
        if status not in STATUSES:
            raise AuditError(f"Unknown answer status {status!r}; choose one of: {', '.join(STATUSES)}.")
        try:
            answer_row = (
                _now(at),
                str(data["question"]),
                int(history_len),
                status,
                str(data["message"]),
                # Why the bot chose this status; the Answer carries it outside to_dict().
                str(getattr(answer, "reason", None) or data.get("reason") or ""),
                str(data["index_version"]),
            )
            quote_rows = [
                (
                    position,
                    str(q["text"]),
                    str(q["doc_id"]),
                    str(q["path"]),
                    str(q["title"]),
                    str(q["publisher"]),
                    q.get("url"),
                    int(q["start"]),
                    int(q["end"]),
                    float(q["score"]),
                )
                for position, q in enumerate(data.get("quotes") or ())
            ]
        except (KeyError, TypeError, ValueError) as exc:
            raise AuditError(f"An answer to record is missing a field or has a wrong one: {exc!r}.") from exc
        try:
            with self._connect(write=True) as db:
                cursor = db.execute(
                    "INSERT INTO answers (created_at, question, history_len, status, message, reason, index_version) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?)",
                    answer_row,
                )
                answer_id = int(cursor.lastrowid)
                db.executemany(
                    'INSERT INTO quotes (answer_id, position, text, doc_id, path, title, publisher, url, start, "end", '
                    "score) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [(answer_id, *row) for row in quote_rows],
                )
        except AuditError as exc:
            _note(self.path, exc)
            raise
        _note(self.path, None)
        return answer_id

    def set_feedback(self, answer_id: int, helpful: bool, *, at: datetime | None = None) -> None:
        """Store the patient's helpful / not helpful for an answer; a later click replaces an earlier one."""
        try:
            with self._connect(write=True) as db:
                cursor = db.execute(
                    "UPDATE answers SET helpful = ?, feedback_at = ? WHERE id = ?",
                    (1 if helpful else 0, _now(at), int(answer_id)),
                )
                if cursor.rowcount != 1:
                    raise AuditError(f"No answer {answer_id} in the audit database {self.path}.")
        except AuditError as exc:
            _note(self.path, exc)
            raise

    # --- the reviewer page -------------------------------------------------------------

    def answers(self, where: AnswerFilter | None = None, *, limit: int = 50, offset: int = 0) -> list[StoredAnswer]:
        """Stored answers matching ``where``, newest first, with their quotes and current verdicts."""
        condition, params = (where or AnswerFilter()).where()
        with self._connect() as db:
            rows = db.execute(
                f"SELECT * FROM answers a WHERE {condition} ORDER BY a.created_at DESC, a.id DESC LIMIT ? OFFSET ?",
                [*params, max(0, int(limit)), max(0, int(offset))],
            ).fetchall()
            quotes = self._quotes(db, [row["id"] for row in rows])
        return [_answer(row, quotes.get(row["id"], ())) for row in rows]

    def count_answers(self, where: AnswerFilter | None = None) -> int:
        """How many stored answers match ``where``."""
        condition, params = (where or AnswerFilter()).where()
        with self._connect() as db:
            return int(db.execute(f"SELECT COUNT(*) FROM answers a WHERE {condition}", params).fetchone()[0])

    def answer(self, answer_id: int) -> StoredAnswer:
        """One stored answer by id."""
        with self._connect() as db:
            row = db.execute("SELECT * FROM answers WHERE id = ?", (int(answer_id),)).fetchone()
            if row is None:
                raise AuditError(f"No answer {answer_id} in the audit database {self.path}.")
            quotes = self._quotes(db, [row["id"]])
        return _answer(row, quotes.get(row["id"], ()))

    def all_quotes(self) -> list[StoredQuote]:
        """Every stored quote with its current verdict, oldest answer first."""
        with self._connect() as db:
            return [_quote(row) for row in db.execute(_QUOTES_SELECT + " ORDER BY q.answer_id, q.position")]

    def cited_spans(self) -> list[CitedSpan]:
        """Every stored quote's page, offsets and text (no verdicts: cheap enough to check all on each view)."""
        with self._connect() as db:
            rows = db.execute(
                'SELECT id, answer_id, position, doc_id, start, "end", text FROM quotes ORDER BY answer_id, position'
            ).fetchall()
        return [CitedSpan(*row) for row in rows]

    def cited_doc_ids(self) -> list[str]:
        """The pages any stored answer cites, for the page filter."""
        with self._connect() as db:
            return [row[0] for row in db.execute("SELECT DISTINCT doc_id FROM quotes ORDER BY doc_id")]

    def add_verdict(self, quote_id: int, verdict: str, *, comment: str, reviewer: str) -> Verdict:
        """Store a reviewer's verdict on a quote; it becomes the quote's current verdict."""
        if verdict not in VERDICTS:
            raise AuditError(f"Unknown verdict {verdict!r}; choose one of: {', '.join(VERDICTS)}.")
        if not reviewer.strip():
            raise AuditError("A verdict needs the reviewer's name.")
        created_at = _now()
        with self._connect(write=True) as db:
            if db.execute("SELECT 1 FROM quotes WHERE id = ?", (int(quote_id),)).fetchone() is None:
                raise AuditError(f"No quote {quote_id} in the audit database {self.path}.")
            cursor = db.execute(
                "INSERT INTO verdicts (quote_id, verdict, comment, reviewer, created_at) VALUES (?, ?, ?, ?, ?)",
                (int(quote_id), verdict, comment.strip(), reviewer.strip(), created_at),
            )
            verdict_id = int(cursor.lastrowid)
        return Verdict(verdict_id, int(quote_id), verdict, comment.strip(), reviewer.strip(), created_at)

    def verdict_history(self, quote_id: int) -> list[Verdict]:
        """Every verdict given on a quote, oldest first."""
        with self._connect() as db:
            rows = db.execute("SELECT * FROM verdicts WHERE quote_id = ? ORDER BY id", (int(quote_id),)).fetchall()
        return [_verdict(row) for row in rows]

    # --- the maintainer page -----------------------------------------------------------

    def record_eval_run(
        self, figures: Mapping, *, eval_file: str, index_version: str, run_by: str, at: datetime | None = None
    ) -> EvalRun:
        """Store one evaluation's ``to_dict()`` figures (``overall`` and ``by_category``)."""
        overall = dict(figures.get("overall") or {})
        by_category = dict(figures.get("by_category") or {})
        created_at = _now(at)
        with self._connect(write=True) as db:
            cursor = db.execute(
                "INSERT INTO eval_runs (created_at, eval_file, index_version, overall, by_category, run_by) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (created_at, str(eval_file), str(index_version), json.dumps(overall), json.dumps(by_category), run_by),
            )
            run_id = int(cursor.lastrowid)
        return EvalRun(run_id, created_at, str(eval_file), str(index_version), overall, by_category, run_by)

    def eval_runs(self, *, limit: int = 10) -> list[EvalRun]:
        """The latest evaluation runs, newest first."""
        with self._connect() as db:
            rows = db.execute("SELECT * FROM eval_runs ORDER BY id DESC LIMIT ?", (max(0, int(limit)),)).fetchall()
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

    def _quotes(self, db: sqlite3.Connection, answer_ids: list[int]) -> dict[int, tuple[StoredQuote, ...]]:
        if not answer_ids:
            return {}
        by_answer: dict[int, list[StoredQuote]] = {}
        # Chunked: SQLite caps the number of parameters in one statement.
        for first in range(0, len(answer_ids), 500):
            chunk = answer_ids[first : first + 500]
            marks = ", ".join("?" * len(chunk))
            rows = db.execute(
                _QUOTES_SELECT + f" WHERE q.answer_id IN ({marks}) ORDER BY q.answer_id, q.position", chunk
            )
            for row in rows:
                by_answer.setdefault(row["answer_id"], []).append(_quote(row))
        return {answer_id: tuple(quotes) for answer_id, quotes in by_answer.items()}


_QUOTES_SELECT = (
    'SELECT q.id, q.answer_id, q.position, q.text, q.doc_id, q.path, q.title, q.publisher, q.url, q.start, q."end", '
    "q.score, v.id AS v_id, v.verdict AS v_verdict, v.comment AS v_comment, v.reviewer AS v_reviewer, "
    f"v.created_at AS v_created_at FROM quotes q LEFT JOIN verdicts v ON v.id = {_LATEST_VERDICT}"
)


def _verdict(row: sqlite3.Row) -> Verdict:
    return Verdict(row["id"], row["quote_id"], row["verdict"], row["comment"], row["reviewer"], row["created_at"])


def _quote(row: sqlite3.Row) -> StoredQuote:
    verdict = None
    if row["v_id"] is not None:
        verdict = Verdict(
            row["v_id"], row["id"], row["v_verdict"], row["v_comment"], row["v_reviewer"], row["v_created_at"]
        )
    return StoredQuote(
        row["id"],
        row["answer_id"],
        row["position"],
        row["text"],
        row["doc_id"],
        row["path"],
        row["title"],
        row["publisher"],
        row["url"],
        row["start"],
        row["end"],
        row["score"],
        verdict,
    )


def _answer(row: sqlite3.Row, quotes: tuple[StoredQuote, ...]) -> StoredAnswer:
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
        tuple(quotes),
    )


def main(argv: list[str] | None = None) -> int:
    """Check, back up or prune the audit database (MBC_AUDIT_DB).

    Examples:
        python -m ask.audit check
        python -m ask.audit backup var/audit-backup-2026-12-01.sqlite3
        python -m ask.audit prune --before 2025-12-01
    """
    import argparse
    import sys

    from settings import settings_from_env

    parser = argparse.ArgumentParser(
        prog="python -m ask.audit", description=main.__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("check", help="run the integrity check and count what is stored")
    backup = commands.add_parser("backup", help="copy the database with SQLite's online backup")
    backup.add_argument("target", type=Path, help="a new file for the copy")
    prune = commands.add_parser("prune", help="delete answers stored before a date")
    prune.add_argument("--before", required=True, type=date.fromisoformat, help="YYYY-MM-DD (UTC)")
    args = parser.parse_args(argv)
    path = settings_from_env().audit_db
    try:
        if not path.exists():
            raise AuditError(f"There is no audit database at {path} (MBC_AUDIT_DB).")
        log = AuditLog(path)
        if args.command == "check":
            print(f"{path}: integrity ok; {log.count_answers()} answers stored.")
        elif args.command == "backup":
            print(f"Backed up {path} to {log.backup(args.target)}.")
        else:
            print(f"Deleted {log.prune(args.before)} answers stored before {args.before} from {path}.")
    except AuditError as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
