"""Where an audit or staff database lives, how it is opened, migrated, and how its errors become ours.

A target is a file path (SQLite, the default: nothing to set up) or a URL: ``postgresql://user@host/db``
(PostgreSQL through psycopg 3) or ``sqlite:///path``. Keep a PostgreSQL password out of the URL
(libpq reads ``PGPASSWORD`` or ``~/.pgpass``); messages show URLs with any password hidden.

This module is the single boundary where SQLAlchemy, Alembic and driver errors are turned into
``AuditError`` (``mapped``), the original kept as ``__cause__``.

Migrations are Alembic's, in ``audit/migrations/``: one history for the audit tables (``answers``)
and one for the staff tables (``staff``), each with its own version table, so both may share one
PostgreSQL database. ``upgrade`` runs on every open (a no-op when current) and from
``python -m audit upgrade``. A SQLite file made before Alembic (``PRAGMA user_version = 1``, the
schema of the first release) is stamped at the first revision and upgraded in place, keeping its rows.

A revision is frozen once written: it creates the tables as they were at the time and is never edited
to match ``audit.schema``, which moves on; the columns it takes from ``audit/migrations/tables.py``
are frozen with it.
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy import event, exc, pool

from errors import AuditError

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
HISTORIES = ("answers", "staff")
# The schema both histories' first revision creates is the one ``PRAGMA user_version = 1`` marked.
LEGACY_USER_VERSION = 1
FIRST_REVISION = {"answers": "answers_0001", "staff": "staff_0001"}
_SCHEMES = ("a file path", "sqlite:///PATH", "postgresql://USER@HOST:PORT/DATABASE")

_engines: dict[str, sa.Engine] = {}
_engines_lock = threading.Lock()


def now(at: datetime | None = None) -> str:
    """A time as stored: fixed-width ISO 8601 in UTC, so text order is time order on both engines."""
    return (at or datetime.now(UTC)).astimezone(UTC).isoformat(timespec="microseconds")


def is_url(target: Path | str) -> bool:
    """Whether ``target`` is a database URL rather than a file path."""
    return "://" in str(target)


def url_of(target: Path | str) -> sa.URL:
    """The SQLAlchemy URL for a file path or URL; raises ``AuditError`` listing what is accepted."""
    if not is_url(target):
        return sa.URL.create("sqlite+pysqlite", database=str(Path(target)))
    try:
        url = sa.make_url(str(target))
    except exc.ArgumentError as error:
        raise AuditError(
            f"The database URL {display(target)} cannot be read; give {', or '.join(_SCHEMES)}."
        ) from error
    backend, _, driver = url.drivername.partition("+")
    if backend in ("postgresql", "postgres") and driver in ("", "psycopg"):
        return url.set(drivername="postgresql+psycopg")
    if backend == "sqlite" and driver in ("", "pysqlite"):
        if not url.database:
            raise AuditError(f"The database URL {display(target)} names no file; give sqlite:///PATH.")
        return url.set(drivername="sqlite+pysqlite")
    raise AuditError(f"The database URL {display(target)} is not supported; give {', or '.join(_SCHEMES)}.")


def display(target: Path | str) -> str:
    """``target`` as messages show it: a path as it is, a URL without its password."""
    if not is_url(target):
        return str(Path(target))
    try:
        return sa.make_url(str(target)).render_as_string(hide_password=True)
    except exc.ArgumentError:
        scheme, _, rest = str(target).partition("://")
        return f"{scheme}://{rest.rpartition('@')[2]}"


def sqlite_path(target: Path | str) -> Path | None:
    """The file of a SQLite target, None for PostgreSQL."""
    url = url_of(target)
    return Path(url.database) if url.get_backend_name() == "sqlite" else None


@contextlib.contextmanager
def mapped(name: str, doing: str = "used") -> Iterator[None]:
    """Turn database errors inside the block into one ``AuditError`` naming the database.

    Args:
        name: which database, as "audit database NAME" (``display`` gives NAME).
        doing: what failed, completing "The audit database NAME cannot be ...".
    """
    try:
        yield
    except AuditError:
        raise
    except exc.DBAPIError as error:
        raise AuditError(f"The {name} cannot be {doing}: {_reason(error)}.") from error
    except exc.SQLAlchemyError as error:
        raise AuditError(f"The {name} cannot be {doing}: {error}.") from error
    except (sqlite3.Error, OSError) as error:  # the driver used directly: WAL mode, online backup
        raise AuditError(f"The {name} cannot be {doing}: {error}.") from error


def _reason(error: exc.DBAPIError) -> str:
    """The driver's own words, without SQLAlchemy's statement dump and background link."""
    original = error.orig
    text = str(original).strip() if original is not None else str(error)
    return text.splitlines()[0] if text else type(original).__name__


def engine_for(target: Path | str, *, busy_timeout_s: float = 30.0) -> sa.Engine:
    """An engine for ``target``. PostgreSQL engines are pooled and shared per URL in this process;
    SQLite opens a fresh connection per use (as the sqlite3 module does), so a replaced file is seen."""
    url = url_of(target)
    if url.get_backend_name() == "sqlite":
        return _sqlite_engine(url, busy_timeout_s)
    key = url.render_as_string(hide_password=False)
    with _engines_lock:
        engine = _engines.get(key)
        if engine is None:
            # pre_ping: a pooled connection to a restarted server is replaced, not handed out broken.
            engine = sa.create_engine(
                url,
                pool_size=5,
                max_overflow=10,
                pool_pre_ping=True,
                pool_timeout=busy_timeout_s,
                connect_args={"connect_timeout": max(1, int(busy_timeout_s))},
            )
            _engines[key] = engine
        return engine


def _sqlite_engine(url: sa.URL, busy_timeout_s: float) -> sa.Engine:
    engine = sa.create_engine(url, poolclass=pool.NullPool, connect_args={"timeout": busy_timeout_s})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record) -> None:
        # Transactions are begun by hand below (the driver's own BEGIN cannot be IMMEDIATE).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute(f"PRAGMA busy_timeout = {int(busy_timeout_s * 1000)}")
        # NORMAL, the WAL setting SQLite recommends: a committed answer survives the app crashing;
        # only a power cut can lose the last moments, and the file is never corrupted.
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection) -> None:
        # IMMEDIATE takes the write lock at once, so two writers queue instead of deadlocking.
        mode = "IMMEDIATE" if connection.get_execution_options().get("mbc_write") else "DEFERRED"
        connection.exec_driver_sql(f"BEGIN {mode}")

    return engine


@contextlib.contextmanager
def transaction(engine: sa.Engine, name: str, *, write: bool = False) -> Iterator[sa.Connection]:
    """One connection in one transaction, committed at the end (rolled back on an error), errors mapped."""
    with mapped(name), engine.connect() as connection:
        connection.execution_options(mbc_write=write)
        with connection.begin():
            yield connection


def forget_engines() -> None:
    """Close every pooled PostgreSQL connection of this process (tests stop their server after this)."""
    with _engines_lock:
        engines = list(_engines.values())
        _engines.clear()
    for engine in engines:
        engine.dispose()


def upgrade(engine: sa.Engine, history: str, name: str, *, to: str = "head") -> str:
    """Bring ``history``'s tables to revision ``to`` (the newest by default); returns the newest revision.
    Safe to run from many processes at once.

    Raises:
        AuditError: the database cannot be reached, was written by newer code, or is an unknown schema.
    """
    from alembic import command
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("version_locations", str(MIGRATIONS / history))
    config.set_main_option("path_separator", "os")
    config.attributes["version_table"] = f"alembic_version_{history}"
    head = ScriptDirectory.from_config(config).get_current_head()
    with mapped(name, "opened"), engine.connect() as connection:
        connection.execution_options(mbc_write=True)
        with connection.begin():
            if connection.dialect.name == "postgresql":
                # Replicas starting together migrate one at a time; the rest then find it done.
                connection.exec_driver_sql("SELECT pg_advisory_xact_lock(hashtext('mbc-migrate'))")
            config.attributes["connection"] = connection
            current = _current_revision(connection, config.attributes["version_table"])
            if current is None and _stamp_legacy(connection, history, name):
                command.stamp(config, FIRST_REVISION[history])
            elif current is not None and current not in _known_revisions(config):
                raise AuditError(
                    f"The {name} has {history} schema revision {current}, which this code does not know "
                    "(it was written by newer code). Upgrade the code, or point the setting at another database."
                )
            command.upgrade(config, to)
    return head


def _current_revision(connection: sa.Connection, version_table: str) -> str | None:
    if not sa.inspect(connection).has_table(version_table):
        return None
    return connection.execute(sa.text(f"SELECT version_num FROM {version_table}")).scalar()


def _known_revisions(config) -> set[str]:
    from alembic.script import ScriptDirectory

    return {script.revision for script in ScriptDirectory.from_config(config).walk_revisions()}


def _stamp_legacy(connection: sa.Connection, history: str, name: str) -> bool:
    """Whether this is a SQLite file of the first release (its tables are already there, unversioned)."""
    if connection.dialect.name != "sqlite":
        return False
    version = connection.exec_driver_sql("PRAGMA user_version").scalar()
    if version == 0:
        return False
    if version != LEGACY_USER_VERSION:
        raise AuditError(
            f"The {name} has schema version {version}; this code reads version {LEGACY_USER_VERSION} "
            "files and upgrades them. Point the setting at a new file or upgrade the code."
        )
    return True
