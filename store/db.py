"""Engines, sessions and migrations for SQLite (embedded) and PostgreSQL (production)."""

from __future__ import annotations

import logging
import os
import re
import select
import sqlite3
import stat
import time
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util.exc import CommandError
from sqlalchemy import event, text
from sqlalchemy.engine import URL, Connection, Engine, make_url
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.exc import ArgumentError, InvalidatePoolError, OperationalError
from sqlalchemy.exc import TimeoutError as NoFreeConnection
from sqlalchemy.pool import ConnectionPoolEntry
from sqlmodel import Session, create_engine

from bot.errors import ConfigError, StoreUnavailable

__all__ = [
    "make_engine",
    "with_driver",
    "upgrade",
    "Upgrade",
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
# PostgreSQL, unless the URL sets them (libpq's names): a server that hangs, or a network cut, must
# fail a connection in seconds, not hold a request for as long as it lasts (without them libpq waits
# for ever to connect, and a dead peer is noticed after the system's two hours). Keepalives: a peer
# gone is found in about idle + interval * count seconds; tcp_user_timeout (ms): data sent and never
# acknowledged. A server stuck with its host up still acknowledges both: PING_SECONDS covers that,
# and the adapters' deadline on storing a report.
POSTGRES_CONNECT = {
    "connect_timeout": 5,
    "keepalives": 1,
    "keepalives_idle": 10,
    "keepalives_interval": 5,
    "keepalives_count": 3,
    "tcp_user_timeout": 30_000,
}
PING_SECONDS = 2.0  # a pooled PostgreSQL connection answers a ping this fast when taken, or it is dropped
POOL_WAIT_SECONDS = 5  # how long a session waits for a free pooled connection (SQLAlchemy's default: 30)
_FRESH = "snag_fresh"  # a pooled connection just opened: it has answered already, no ping needed
_POSTGRES_SCHEME = re.compile(r"(?i)postgres(?:ql)?(?P<driver>\+[\w.-]+)?://")


def with_driver(url: str) -> str:
    """The URL as Snag opens it: postgres:// and postgresql://, the forms many hosts hand out, read as
    postgresql+psycopg:// (SQLAlchemy knows no postgres://, and before 2.1 took psycopg2 for postgresql://)."""
    scheme = _POSTGRES_SCHEME.match(url)
    if scheme is None:
        return url
    return f"postgresql{scheme['driver'] or '+psycopg'}://{url[scheme.end() :]}"


def make_engine(url: str, *, echo: bool = False) -> Engine:
    """An engine for the URL; SQLite gets WAL, a busy timeout and foreign keys.

    Errors never carry SQL parameters: they would quote reports into logs.
    """
    url = with_driver(url)
    mistake = url_mistake(url)
    if mistake is not None:
        raise ConfigError(mistake) from None
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise ConfigError(_not_usable(exc)) from exc
    try:
        return _make_engine(url, parsed, echo=echo)
    except (ArgumentError, ImportError) as exc:  # ImportError: a driver that is not installed
        raise ConfigError(_not_usable(exc)) from exc


_NO_PORT = (
    "SNAG_DATABASE_URL: the port after the host is not a port number (1 to 65535): write it as host:5432 "
    "(or leave it out), e.g. SNAG_DATABASE_URL=postgresql+psycopg://snag:password@db:5432/snag."
)
_AT_IN_PASSWORD = (
    "SNAG_DATABASE_URL: the password holds an @, which ends it early, so the rest was read as the host. "
    "Percent-encode the password in the URL: @ as %40 (and : as %3A, / as %2F, % as %25)."
)


def url_mistake(url: str) -> str | None:
    """What a database URL's password or port would be misread as (SNAG_DATABASE_URL named, the URL
    never quoted), read as SQLAlchemy reads it; None when neither is wrong (or it is no URL at all)."""
    try:
        parsed = make_url(url)
    except ArgumentError:  # no URL at all: make_engine says so
        return None
    except ValueError:  # a port that is no number
        return _NO_PORT
    if parsed.host and "@" in parsed.host:  # the first @ ended the password: the rest became the host
        return _AT_IN_PASSWORD
    if parsed.port is not None and not 0 < parsed.port < 65536:
        return _NO_PORT
    return None


def _not_usable(exc: BaseException) -> str:
    return (
        f"SNAG_DATABASE_URL: not a database URL Snag can use ({exc.__class__.__name__}); only SQLite and "
        "PostgreSQL with psycopg are, e.g. SNAG_DATABASE_URL=postgresql+psycopg://snag:password@db:5432/snag."
    )


def sqlite_file(url: str) -> Path | None:
    """The file a SQLite URL names (relative to the current folder), else None (PostgreSQL, in memory)."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database)


def _create_private(database: Path) -> None:
    """A new database file readable by Snag's user alone (its journal files take its mode): it holds
    every report's words. SQLite would create it with the umask's mode, often readable by all."""
    try:
        os.close(os.open(database, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        pass


def _make_engine(url: str, parsed: URL, *, echo: bool) -> Engine:
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            folder = Path(parsed.database).parent
            try:
                folder.mkdir(mode=0o700, parents=True, exist_ok=True)
                _create_private(Path(parsed.database))
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
    return _postgres_engine(url, parsed, echo=echo)


def _postgres_engine(url: str, parsed: URL, *, echo: bool) -> Engine:
    """PostgreSQL with POSTGRES_CONNECT where the URL is silent, and a ping with a deadline on
    taking a pooled connection (psycopg; SQLAlchemy's own pre-ping waits without end)."""
    bounded_ping = parsed.get_driver_name() == "psycopg"
    engine = create_engine(
        url,
        echo=echo,
        hide_parameters=True,
        pool_pre_ping=not bounded_ping,
        pool_size=10,
        max_overflow=20,
        pool_timeout=POOL_WAIT_SECONDS,
        connect_args={name: value for name, value in POSTGRES_CONNECT.items() if name not in parsed.query},
    )
    if bounded_ping:
        _ping_on_checkout(engine)
    return engine


def _ping_on_checkout(engine: Engine) -> None:
    """Ping a pooled connection when it is taken, as pool_pre_ping does, for PING_SECONDS at most.

    A server that hung (its host up) held a pooled connection's ping for as long as it hung: every
    report waited in it, and /readyz never answered. One that does not answer in time is dropped
    with those as old (as a failed pre-ping does), and a new one is opened, within connect_timeout."""

    @event.listens_for(engine, "connect")
    def _opened(_dbapi_conn: DBAPIConnection, record: ConnectionPoolEntry) -> None:
        record.info[_FRESH] = True

    @event.listens_for(engine, "checkout")
    def _ping(dbapi_conn: Any, record: ConnectionPoolEntry, _proxy: object) -> None:
        if record.info.pop(_FRESH, False):
            return
        if not _answers_within(dbapi_conn.pgconn, PING_SECONDS):
            raise InvalidatePoolError("the database did not answer a ping in time")


def _answers_within(pgconn: Any, seconds: float) -> bool:
    """Whether the server answers SELECT 1 within `seconds`, with libpq's own calls (psycopg's
    connection is non-blocking underneath): psycopg itself waits for an answer without end."""
    from psycopg import Error
    from psycopg.pq import ExecStatus

    deadline = time.monotonic() + seconds
    try:
        pgconn.send_query(b"SELECT 1")
        while pgconn.flush():  # 1 while some of the query is still to be sent
            if not _socket_ready(pgconn.socket, select.POLLOUT, deadline):
                return False
        answered = True
        while True:
            pgconn.consume_input()
            while not pgconn.is_busy():
                result = pgconn.get_result()
                if result is None:
                    return answered
                answered = answered and result.status == ExecStatus.TUPLES_OK
            if not _socket_ready(pgconn.socket, select.POLLIN, deadline):
                return False
    except Error:  # the connection broke
        return False


def _socket_ready(fd: int, events: int, deadline: float) -> bool:
    left = deadline - time.monotonic()
    if left <= 0:
        return False
    poller = select.poll()
    poller.register(fd, events)
    return bool(poller.poll(left * 1000))


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    cfg.attributes["configure_logger"] = False
    return cfg


MIGRATION_LOCK = 0x536E6167  # "Snag": the PostgreSQL advisory lock held while migrating


@dataclass(frozen=True)
class Upgrade:
    """What `upgrade` did: the revision before (None: no Snag tables yet) and after, and where a copy
    of the SQLite file as it was before is kept (None: no copy was needed, or PostgreSQL)."""

    before: str | None
    after: str | None
    backup: Path | None = None


def upgrade(engine_or_url: Engine | str, revision: str = "head", *, backup: bool = True) -> Upgrade:
    """Apply migrations up to `revision`, saying so when a database in use changes.

    SQLite: a copy of the file is kept first (unless `backup` is False), since the commands that
    open an older database upgrade it themselves. On PostgreSQL under an advisory lock, released
    with the migration's transaction: two `snag serve` replicas starting at once both migrated, and
    one died on alembic_version's key."""
    if isinstance(engine_or_url, str):
        engine = make_engine(engine_or_url)
    else:
        engine = engine_or_url
    cfg = alembic_config(engine.url.render_as_string(hide_password=False))
    try:
        copy = _back_up_before(engine, revision) if backup else None
        with engine.connect() as conn, _foreign_keys_unchecked(conn), conn.begin():
            if conn.dialect.name == "postgresql":  # replicas starting together: one migrates, the others wait
                conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
            before = MigrationContext.configure(conn).get_current_revision()
            _say_upgrading(engine, before, _target(before, revision), copy)
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, revision)
            after = MigrationContext.configure(conn).get_current_revision()
    except CommandError:
        raise ConfigError(_unknown_revision(_revision_of(engine), revision)) from None
    except OperationalError as exc:
        raise _unreachable(exc, engine) from exc
    return Upgrade(before, after, copy)


def _target(current: str | None, revision: str) -> str | None:
    """The revision an upgrade from `current` to `revision` ends at, or None when it changes nothing
    (already there or past it, no Snag tables yet, or a revision this Snag does not know: alembic says so)."""
    if current is None:
        return None
    scripts = ScriptDirectory.from_config(alembic_config("sqlite://"))
    try:
        script = scripts.get_revision(revision)
        done = {s.revision for s in scripts.walk_revisions("base", current)}  # current and what it came from
    except CommandError:
        return None
    return script.revision if script is not None and script.revision not in done else None


def _back_up_before(engine: Engine, revision: str) -> Path | None:
    """A copy of an existing SQLite database that the upgrade to `revision` would change, else None."""
    path = sqlite_file(engine.url.render_as_string(hide_password=False))
    if path is None or not path.is_file():
        return None
    current = _revision_of(engine)
    if _target(current, revision) is None:
        return None
    return _sqlite_copy(path, f"{path.stem}-backup-{current}")


def _sqlite_copy(path: Path, name: str) -> Path:
    """Copy the SQLite file to `name` next to it (a new name if taken), as private as the original.

    With SQLite's backup API, not a file copy: a WAL database's latest writes are in its -wal file."""
    try:
        copy = _new_file_beside(path, name)
    except OSError as exc:
        raise ConfigError(_no_copy(path, exc.strerror or str(exc))) from exc
    try:
        with closing(sqlite3.connect(path)) as source, closing(sqlite3.connect(copy)) as target:
            source.backup(target)
    except (OSError, sqlite3.Error) as exc:
        copy.unlink(missing_ok=True)
        raise ConfigError(_no_copy(path, str(exc))) from exc
    return copy


def _new_file_beside(path: Path, name: str) -> Path:
    """A new empty file `name` (or `name-2`, ...) with `path`'s suffix and permissions, beside it."""
    mode, n = stat.S_IMODE(path.stat().st_mode), 1
    while True:
        copy = path.with_name(f"{name}{f'-{n}' if n > 1 else ''}{path.suffix}")
        try:
            os.close(os.open(copy, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode))
        except FileExistsError:
            n += 1
            continue
        return copy


def _no_copy(path: Path, why: str) -> str:
    folder = path.absolute().parent
    return (
        f"The database {path.absolute()} needs an upgrade, but no copy of it could be kept first ({why}), so it "
        f"was left as it is: free some space in {folder} (or let Snag write there), or back it up yourself "
        "and run `snag db upgrade --no-backup`."
    )


def _say_upgrading(engine: Engine, before: str | None, target: str | None, copy: Path | None) -> None:
    if before is None or target is None:  # a new database, or nothing to do
        return
    path = sqlite_file(engine.url.render_as_string(hide_password=False))
    where = path.absolute() if path else engine.url.render_as_string(hide_password=True)
    kept = f"; a copy of the old file is kept at {copy.absolute()}" if copy else ""
    log.warning("Upgrading the database %s from revision %s to %s%s.", where, before, target, kept)


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


def refuse_other_revisions(engine: Engine) -> Callable[[], None]:
    """Until the returned function is called: each new connection reads the database's schema
    revision, and one at another revision than this code's (or without Snag's tables) is refused
    with StoreUnavailable, so that nothing is written to a database an outage hid at start (reports
    wait in the outbox; `snag serve` started while the database was unreachable)."""
    head = ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()

    def check(dbapi_conn: DBAPIConnection, _record: ConnectionPoolEntry) -> None:
        cursor = dbapi_conn.cursor()
        try:
            cursor.execute("SELECT version_num FROM alembic_version")
            row = cursor.fetchone()
        except Exception:  # no such table: no Snag tables at all
            row = None
        finally:
            cursor.close()
            with suppress(Exception):
                dbapi_conn.rollback()
        found = row[0] if row else None
        if found != head:
            raise StoreUnavailable(
                f"The database is at revision {found or 'none (no Snag tables)'}; this Snag needs {head}: run "
                "`snag db upgrade` (with docker compose, the `migrate` service). Reports wait in the outbox meanwhile."
            )

    event.listen(engine, "connect", check)
    return lambda: event.remove(engine, "connect", check)


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
    """What to say when the database did not answer, or answered that it has no such database or login."""
    return StoreUnavailable(
        _no_such_database(exc, engine)
        or _login_refused(exc, engine)
        or f"Cannot reach the database at {engine.url.render_as_string(hide_password=True)}: "
        f"{exc.orig.__class__.__name__}."
    )


def _login_refused(exc: OperationalError, engine: Engine) -> str | None:
    """What to do when the PostgreSQL server refused the URL's user or password, else None.

    Matched on the server's words, as _no_such_database is; never quotes the password."""
    url = engine.url
    if url.get_backend_name() != "postgresql":
        return None
    said, user = str(exc.orig), url.username or "(none)"
    server = f"The PostgreSQL server at {url.host or 'localhost'}:{url.port or 5432} answered, but"
    if f'role "{user}" does not exist' in said:
        return (
            f'{server} it has no user (role) named "{user}". Correct the user in SNAG_DATABASE_URL, or create it '
            f"as a user allowed to (`createuser --pwprompt {user}`, then give it the database). With docker "
            "compose the user is snag, created with the db service's volume."
        )
    if "password authentication failed" in said or "no password supplied" in said:
        return (
            f'{server} it refused the password of user "{user}". Correct the password in SNAG_DATABASE_URL; with '
            "docker compose it is POSTGRES_PASSWORD in .env, and the database keeps the password it was first "
            f"created with: after changing POSTGRES_PASSWORD, set it in the database too (ALTER USER {user} "
            "PASSWORD '...'; in psql, e.g. `docker compose exec db psql -U snag snag`)."
        )
    return None


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
    except NoFreeConnection as exc:  # every pooled connection busy for POOL_WAIT_SECONDS (or hung)
        session.rollback()
        raise StoreUnavailable("The database cannot be reached right now.") from exc
    except Exception:
        session.rollback()
        raise
    finally:
        session.close()
