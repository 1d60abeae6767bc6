"""Engines, sessions and migrations for SQLite (embedded) and PostgreSQL (production)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util.exc import CommandError
from sqlalchemy import event, text
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.exc import ArgumentError, OperationalError
from sqlalchemy.pool import ConnectionPoolEntry
from sqlmodel import Session, create_engine

from bot.errors import ConfigError, StoreUnavailable

__all__ = [
    "make_engine",
    "upgrade",
    "check_revision",
    "session_scope",
    "alembic_config",
    "sqlite_file",
    "wait_briefly_for_locks",
    "no_jit",
]

log = logging.getLogger("snag.store")
MIGRATIONS = Path(__file__).resolve().parent / "migrations"
BUSY_TIMEOUT_MS = 30_000  # SQLite: how long a statement waits for another writer, unless told otherwise
LOCK_WAIT_SECONDS = 2  # a new report waits this long for a lock, then goes to the outbox
_SHORT_WAIT = "snag_short_busy_timeout"  # a pooled SQLite connection whose busy timeout is shortened


def make_engine(url: str, *, echo: bool = False) -> Engine:
    """An engine for the URL; SQLite gets WAL, a busy timeout and foreign keys.

    Errors never carry SQL parameters: they would quote reports into logs.
    """
    try:
        return _make_engine(url, echo=echo)
    except (ArgumentError, ImportError) as exc:  # ImportError: a driver that is not installed
        raise ConfigError(
            f"SNAG_DATABASE_URL: not a database URL Snag can use ({exc.__class__.__name__}); only SQLite and "
            "PostgreSQL with psycopg are, e.g. SNAG_DATABASE_URL=postgresql+psycopg://snag:password@db:5432/snag."
        ) from exc


def sqlite_file(url: str) -> Path | None:
    """The file a SQLite URL names (relative to the current folder), else None (PostgreSQL, in memory)."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database)


def _make_engine(url: str, *, echo: bool) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            folder = Path(parsed.database).parent
            try:
                folder.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise ConfigError(
                    f"SNAG_DATA_DIR: cannot create the database folder {folder} ({exc.strerror}); "
                    "point SNAG_DATA_DIR (or SNAG_DATABASE_URL) at a folder Snag may write, e.g. SNAG_DATA_DIR=var."
                ) from exc
        engine = create_engine(
            url, echo=echo, hide_parameters=True, connect_args={"check_same_thread": False, "timeout": 30}
        )

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: DBAPIConnection, _record: ConnectionPoolEntry) -> None:
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

        @event.listens_for(engine, "checkin")
        def _usual_wait(dbapi_conn: DBAPIConnection | None, record: ConnectionPoolEntry) -> None:
            """A connection back in the pool waits as long as usual again (see wait_briefly_for_locks)."""
            if record.info.pop(_SHORT_WAIT, False) and dbapi_conn is not None:
                cur = dbapi_conn.cursor()
                cur.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
                cur.close()

        return engine
    return create_engine(url, echo=echo, hide_parameters=True, pool_pre_ping=True, pool_size=10, max_overflow=20)


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    cfg.attributes["configure_logger"] = False
    return cfg


MIGRATION_LOCK = 0x536E6167  # "Snag": the PostgreSQL advisory lock held while migrating


def upgrade(engine_or_url: Engine | str, revision: str = "head") -> None:
    """Apply migrations up to `revision`.

    On PostgreSQL under an advisory lock, released with the migration's transaction: two `snag
    serve` replicas starting at once both migrated, and one died on alembic_version's key."""
    if isinstance(engine_or_url, str):
        engine = make_engine(engine_or_url)
    else:
        engine = engine_or_url
    cfg = alembic_config(engine.url.render_as_string(hide_password=False))
    try:
        with engine.connect() as conn, _foreign_keys_unchecked(conn), conn.begin():
            if conn.dialect.name == "postgresql":  # replicas starting together: one migrates, the others wait
                conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, revision)
    except CommandError:
        raise ConfigError(_unknown_revision(_revision_of(engine), revision)) from None
    except OperationalError as exc:
        raise _unreachable(exc, engine) from exc


@contextmanager
def _foreign_keys_unchecked(conn: Connection) -> Iterator[None]:
    """SQLite: no foreign key checks while migrating, then a check of every row, as alembic advises.

    SQLite alters a table by copying it into a new one and dropping the old (batch mode); with the
    checks on, dropping `reports` while a correction points at it is refused, so a database with
    one correction could not upgrade. The pragma is ignored inside a transaction: set before it."""
    if conn.dialect.name != "sqlite":
        yield
        return
    conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
    conn.commit()
    try:
        yield
        broken = conn.exec_driver_sql("PRAGMA foreign_key_check").all()
        conn.rollback()
        if broken:  # rows the migrations left pointing at nothing: say where, keep the rows
            tables = sorted({str(row[0]) for row in broken})
            log.error("after migrating, %d row(s) point at rows that are gone, in: %s", len(broken), ", ".join(tables))
    finally:
        conn.exec_driver_sql("PRAGMA foreign_keys=ON")
        conn.commit()


def _revision_of(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def _unknown_revision(current: str | None, wanted: str) -> str:
    scripts = ScriptDirectory.from_config(alembic_config("sqlite://"))
    try:
        scripts.get_revision(current or "base")
    except CommandError:  # not one of ours: a newer Snag migrated this database
        return (
            f"The database is at revision {current}, which this version of Snag does not know: a newer Snag "
            "upgraded it. Run that version, or restore the backup taken before the upgrade."
        )
    return f"There is no database revision {wanted!r}: `snag db upgrade` takes `head` or one of store/migrations."


def check_revision(engine: Engine) -> None:
    """Refuse a database at another schema revision than this code's, with what to do (ConfigError).

    Without it a scheduler started on an old schema failed every digest with a cursor error, and
    one rolled back after an upgrade died with alembic's CommandError, naming no cause."""
    scripts = ScriptDirectory.from_config(alembic_config("sqlite://"))
    head = scripts.get_current_head()
    try:
        current = _revision_of(engine)
    except OperationalError as exc:
        raise _unreachable(exc, engine) from exc
    if current == head:
        return
    if current is None:
        raise ConfigError("The database has no Snag tables yet: run `snag db upgrade` (the `migrate` service).")
    try:
        scripts.get_revision(current)
    except CommandError:
        raise ConfigError(_unknown_revision(current, head or "head")) from None
    raise ConfigError(
        f"The database is at revision {current}; this Snag needs {head}: run `snag db upgrade` "
        "(with docker compose, the `migrate` service) and start it again."
    )


def _unreachable(exc: OperationalError, engine: Engine) -> StoreUnavailable:
    """What to say when the database did not answer, or answered that it has no such database."""
    return StoreUnavailable(
        _no_such_database(exc, engine)
        or f"Cannot reach the database at {engine.url.render_as_string(hide_password=True)}: "
        f"{exc.orig.__class__.__name__}."
    )


def _no_such_database(exc: OperationalError, engine: Engine) -> str | None:
    """What to do when the PostgreSQL server answered that the URL's database does not exist, else None.

    At connection time psycopg gives no SQLSTATE, so the server's own words are matched.
    """
    name = engine.url.database
    if engine.url.get_backend_name() != "postgresql" or not name:
        return None
    if f'database "{name}" does not exist' not in str(exc.orig):
        return None
    return (
        f'The PostgreSQL server answered, but it has no database named "{name}". Create it as a user allowed to '
        f'(`createdb {name}`, or CREATE DATABASE "{name}"; in psql), then run `snag db upgrade`; '
        "or correct the name in SNAG_DATABASE_URL."
    )


def wait_briefly_for_locks(session: Session, seconds: int = LOCK_WAIT_SECONDS) -> None:
    """Let this session's transaction wait at most `seconds` for a lock another session holds.

    For a new report's commit only: Slack and Teams want an answer within seconds, and a report
    that cannot be stored at once goes to the outbox (the lock error is an OperationalError, so
    StoreUnavailable). Migrations, digests and the rest keep the usual wait.
    PostgreSQL: SET LOCAL, which ends with the transaction. SQLite: the connection's busy timeout,
    put back when the connection returns to the pool.
    """
    conn = session.connection()
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql(f"SET LOCAL lock_timeout = '{int(seconds)}s'")
    elif conn.dialect.name == "sqlite":
        conn.connection.info[_SHORT_WAIT] = True  # before the change: the checkin undoes it whatever happens
        conn.exec_driver_sql(f"PRAGMA busy_timeout={int(seconds) * 1000}")


def no_jit(conn: Connection, *, parallel: bool = True) -> None:
    """Tell PostgreSQL not to JIT-compile this transaction's statements (nothing on SQLite).

    For the digest's and `stats`' aggregates over JSON lists: the planner guesses a list holds a
    hundred elements, so short aggregates look costly enough to compile, and compiling took longer
    than running them (40-50 ms for the digest; `stats` at 1M reports 0.6 s -> 0.3 s). `parallel`
    False: no parallel workers either (the digest's two reads already run side by side)."""
    if conn.dialect.name != "postgresql":
        return
    conn.exec_driver_sql("SET LOCAL jit = off")
    if not parallel:
        conn.exec_driver_sql("SET LOCAL max_parallel_workers_per_gather = 0")


@contextmanager
def session_scope(engine: Engine, *, brief_lock_wait: bool = False) -> Iterator[Session]:
    """A session that commits on success, rolls back on error, and maps outages to StoreUnavailable.

    `brief_lock_wait`: a lock held elsewhere fails it after LOCK_WAIT_SECONDS (wait_briefly_for_locks)."""
    session = Session(engine, expire_on_commit=False)
    try:
        if brief_lock_wait:
            wait_briefly_for_locks(session)
        yield session
        session.commit()
    except OperationalError as exc:
        session.rollback()
        raise StoreUnavailable(_no_such_database(exc, engine) or "The database cannot be reached right now.") from exc
    except Exception:
        session.rollback()
        raise
    finally:
        session.close()
