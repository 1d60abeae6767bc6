"""`snag db copy`: every row of one Snag database into another, empty one (SQLite and PostgreSQL, either way).

Both are brought to the migrations' head first. The target is written in one transaction: the rows
table by table (parents first) in batches, the counts checked against the source, and the numbering
of reports and the rest carried on past the copied ids, so a failure anywhere leaves it empty."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from alembic.runtime.migration import MigrationContext
from sqlalchemy import JSON, Column, Table, Text, bindparam, cast, func, insert, inspect, select, text
from sqlalchemy.engine import Connection, Dialect, Engine, make_url
from sqlalchemy.exc import ArgumentError, DataError, IntegrityError, OperationalError
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import SQLModel

import store.models  # noqa: F401  (registers the tables on SQLModel.metadata)
from bot.errors import ConfigError, StoreUnavailable
from store.db import check_revision, make_engine, sqlite_file, upgrade, with_driver

__all__ = ["copy_database", "copy_table", "Copied", "BATCH_ROWS"]

BATCH_ROWS = 5_000  # rows read and written at a time: a million reports never sit in memory at once

Say = Callable[[str], None]


@dataclass(frozen=True)
class Copied:
    """What `copy_database` did: the schema revision of both, the rows copied per table (in the order
    copied) and the id each numbered table gives next on the target."""

    revision: str | None
    rows: dict[str, int]
    next_ids: dict[str, int]


def copy_database(*, source_url: str, target_url: str, batch_size: int = BATCH_ROWS, say: Say = print) -> Copied:
    """Copy every row of the Snag database at `source_url` into the empty one at `target_url`.

    Refused (ConfigError, nothing changed) when the target holds any row, the source has no Snag
    tables, or both URLs name the same database."""
    source = _engine(source_url, "SOURCE_URL", must_exist=True)
    target = _engine(target_url, "TARGET_URL", must_exist=False)
    try:
        if _same_database(source, target):
            raise ConfigError("SOURCE_URL and TARGET_URL name the same database: there is nothing to copy.")
        if _revision(source, "SOURCE_URL") is None:
            raise ConfigError(f"The source database {_where(source)} has no Snag tables: there is nothing to copy.")
        _revision(target, "TARGET_URL")  # reachable, or said why not, before anything is read from it
        _refuse_rows(target, _existing_tables(target), changed=False)
        revision = _upgrade_both(source, target, say)
        rows, next_ids = _copy_all(source, target, batch_size, say)
    finally:
        source.dispose()
        target.dispose()
    return Copied(revision, rows, next_ids)


def _engine(url: str, argument: str, *, must_exist: bool) -> Engine:
    """An engine for one of the command's URLs; a wrong one is named by its argument, never quoted."""
    url = with_driver(url)  # postgres:// as hosts hand it out
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise ConfigError(_not_a_url(argument)) from None
    except ValueError:  # a port that is no number (the message would quote the URL, password and all)
        raise ConfigError(f"{argument}: the port after the host is not a port number (1 to 65535).") from None
    if parsed.get_backend_name() not in ("sqlite", "postgresql"):
        raise ConfigError(_not_a_url(argument))
    if parsed.get_backend_name() == "sqlite":
        path = sqlite_file(url)
        if path is None:
            raise ConfigError(
                f"{argument} names an in-memory SQLite database: give a file, e.g. sqlite:///var/snag.db."
            )
        if must_exist and not path.is_file():
            raise ConfigError(f"{argument}: there is no SQLite database at {path.absolute()}.")
    try:
        return make_engine(url)
    except ConfigError as exc:  # make_engine names the setting: here the command's argument is meant
        said = str(exc)
        raise ConfigError(
            said.replace("SNAG_DATABASE_URL", argument) if "SNAG_DATABASE_URL:" in said else _not_a_url(argument)
        ) from None


def _not_a_url(argument: str) -> str:
    return (
        f"{argument} is not a database URL Snag can use: only SQLite and PostgreSQL with psycopg are, "
        "e.g. sqlite:///var/snag.db or postgresql+psycopg://snag:password@db:5432/snag."
    )


def _where(engine: Engine) -> str:
    path = sqlite_file(engine.url.render_as_string(hide_password=False))
    return str(path.absolute()) if path else engine.url.render_as_string(hide_password=True)


def _same_database(a: Engine, b: Engine) -> bool:
    file_a = sqlite_file(a.url.render_as_string(hide_password=False))
    file_b = sqlite_file(b.url.render_as_string(hide_password=False))
    if file_a is not None and file_b is not None:
        return file_a.resolve() == file_b.resolve()
    return a.url == b.url


def _revision(engine: Engine, argument: str) -> str | None:
    """The database's schema revision (None: no Snag tables yet); one that cannot be reached says why."""
    try:
        check_revision(engine)  # the first contact: an unreachable database, a wrong login, are named
    except StoreUnavailable as exc:
        raise StoreUnavailable(f"{argument}: {exc.message}") from exc
    except ConfigError:
        pass  # not at this Snag's revision: the upgrade below brings it there, or says why it cannot
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def _tables() -> list[Table]:
    """Every table of the schema, each after the tables its rows point at."""
    return list(SQLModel.metadata.sorted_tables)


def _existing_tables(engine: Engine) -> list[Table]:
    with engine.connect() as conn:
        present = set(inspect(conn).get_table_names())
    return [t for t in _tables() if t.name in present]


def _refuse_rows(bind: Engine | Connection, tables: list[Table], *, changed: bool) -> None:
    """ConfigError naming the tables of the target that hold rows, if any."""
    if isinstance(bind, Engine):
        with bind.connect() as conn:
            return _refuse_rows(conn, tables, changed=changed)
    held = {t.name: n for t in tables if (n := bind.execute(select(func.count()).select_from(t)).scalar_one())}
    if not held:
        return None
    named = ", ".join(f"{name} holds {_rows(n)}" for name, n in held.items())
    left = "no row was copied into it" if changed else "nothing was changed"
    raise ConfigError(
        f"The target database {_where(bind.engine)} is not empty: {named}. `snag db copy` copies into an empty "
        f"database only, so {left}. Give it a new database (createdb, or a new SQLite file) as TARGET_URL."
    )


def _rows(n: int) -> str:
    return f"{n:,} row{'' if n == 1 else 's'}"


def _upgrade_both(source: Engine, target: Engine, say: Say) -> str | None:
    """Both databases at the migrations' head, as `snag db upgrade` brings them (SQLite: a copy of the
    file is kept first); the revision they are both at."""
    revisions = []
    for role, engine in (("source", source), ("target", target)):
        done = upgrade(engine)
        if done.before is None:
            say(f"Created the {role} database's tables at revision {done.after}.")
        elif done.before != done.after:
            kept = f" The old file is kept at {done.backup.absolute()}." if done.backup else ""
            say(f"Upgraded the {role} database from revision {done.before} to {done.after}.{kept}")
        revisions.append(done.after)
    if revisions[0] != revisions[1]:
        raise ConfigError(
            f"The source database is at revision {revisions[0]} and the target at {revisions[1]}: "
            "nothing was copied. Upgrade both with the same Snag."
        )
    return revisions[0]


def _copy_all(source: Engine, target: Engine, batch_size: int, say: Say) -> tuple[dict[str, int], dict[str, int]]:
    """Every table's rows in one transaction on the target, checked and numbered on before it commits."""
    tables = _tables()
    try:
        with _snapshot(source) as src, _writing(target) as dst:
            _refuse_rows(dst, tables, changed=True)  # again, now that nobody else may write to it
            expected = {t.name: src.execute(select(func.count()).select_from(t)).scalar_one() for t in tables}
            rows: dict[str, int] = {}
            for table in tables:
                rows[table.name] = copy_table(table, source=src, target=dst, batch_size=batch_size)
                say(f"{table.name}: {_rows(rows[table.name])}")
            _check_counts(dst, tables, expected, rows)
            next_ids = {t.name: _carry_numbering(t, src, dst) for t in tables if t.autoincrement_column is not None}
    except OperationalError as exc:
        raise StoreUnavailable(
            f"The copy stopped: a database did not answer, or another process kept it locked "
            f"({exc.orig.__class__.__name__}). Nothing was copied."
        ) from exc
    return rows, next_ids


@contextmanager
def _snapshot(engine: Engine) -> Iterator[Connection]:
    """A connection that reads the source as it was when the copy began, whatever is written meanwhile."""
    with engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            conn.execution_options(isolation_level="REPEATABLE READ", postgresql_readonly=True)
        else:
            conn.exec_driver_sql("BEGIN")  # pysqlite opens none to read: its first read fixes what it sees
        try:
            yield conn
        finally:
            conn.rollback()


@contextmanager
def _writing(engine: Engine) -> Iterator[Connection]:
    """One transaction on the target that nobody else may write into meanwhile; committed on success."""
    with engine.connect() as conn:
        try:
            if conn.dialect.name == "sqlite":
                conn.exec_driver_sql("BEGIN IMMEDIATE")  # the write lock now, not at the first insert
            else:
                names = ", ".join(conn.dialect.identifier_preparer.format_table(t) for t in _tables())
                conn.exec_driver_sql(f"LOCK TABLE {names} IN EXCLUSIVE MODE")  # others may still read
            yield conn
            conn.commit()
        except BaseException:
            conn.rollback()
            raise


def copy_table(table: Table, *, source: Connection, target: Connection, batch_size: int = BATCH_ROWS) -> int:
    """Every row of `table` from source to target, `batch_size` rows at a time, in primary key order;
    how many were copied. A row the target refuses stops it with the table named (ConfigError)."""
    names = [f"v{i}" for i in range(len(table.columns))]  # a bind named as its column is refused in VALUES
    read = select(*(_as_stored(c) for c in table.columns)).order_by(*table.primary_key.columns)
    write = insert(table).values(
        {c.name: _to_store(c, name, target.dialect) for c, name in zip(table.columns, names, strict=True)}
    )
    copied = 0
    try:
        for batch in source.execution_options(yield_per=batch_size).execute(read).partitions():
            target.execute(write, [dict(zip(names, row, strict=True)) for row in batch])
            copied += len(batch)
    except (IntegrityError, DataError) as exc:
        raise ConfigError(_refused_row(table, exc)) from exc
    return copied


def _as_stored(column: Column) -> ColumnElement:
    """JSON as the text stored, not decoded: SQL NULL and JSON null stay apart, keys keep their order."""
    if isinstance(column.type, JSON):
        return cast(column, Text).label(column.name)
    return column


def _to_store(column: Column, name: str, dialect: Dialect) -> ColumnElement:
    """The value to write: JSON text goes in as it is (PostgreSQL takes it as json with a cast)."""
    if not isinstance(column.type, JSON):
        return bindparam(name, type_=column.type)
    value = bindparam(name, type_=Text)
    return cast(value, column.type) if dialect.name == "postgresql" else value


def _refused_row(table: Table, exc: IntegrityError | DataError) -> str:
    """Why the target refused a row, naming the table and constraint, never the row's values."""
    constraint = getattr(getattr(exc.orig, "diag", None), "constraint_name", None)
    because = f" ({exc.orig.__class__.__name__}{f': {constraint}' if constraint else ''})"
    return (
        f"The target database refused a row of {table.name}{because}: the source holds a row it cannot take, "
        "such as one pointing at a row that is gone. Nothing was copied."
    )


def _check_counts(target: Connection, tables: list[Table], expected: dict[str, int], rows: dict[str, int]) -> None:
    """Every table of the target holds as many rows as the source's did, or the copy is undone."""
    for table in tables:
        held = target.execute(select(func.count()).select_from(table)).scalar_one()
        if held != expected[table.name] or rows[table.name] != expected[table.name]:
            raise ConfigError(
                f"After copying, {table.name} holds {held:,} rows in the target but {expected[table.name]:,} in the "
                "source: nothing was copied."
            )


def _carry_numbering(table: Table, source: Connection, target: Connection) -> int:
    """Have the target number the table's next row as the source would, and never below a copied id:
    an erased report's number is not given again (receipts carry it). The id given next."""
    column = table.autoincrement_column
    assert column is not None
    highest = source.execute(select(func.max(column))).scalar() or 0
    following = max(highest + 1, _next_id(table, source))
    if target.dialect.name == "postgresql":
        sequence = _sequence(table, target)
        if sequence is not None:  # transactional, unlike setval(): undone with the copy
            target.exec_driver_sql(f"ALTER SEQUENCE {sequence} RESTART WITH {int(following)}")
    elif table.dialect_options["sqlite"].get("autoincrement"):
        given = {"table": table.name, "seq": following - 1}
        if not target.execute(text("UPDATE sqlite_sequence SET seq = :seq WHERE name = :table"), given).rowcount:
            target.execute(text("INSERT INTO sqlite_sequence (name, seq) VALUES (:table, :seq)"), given)
    return following


def _next_id(table: Table, conn: Connection) -> int:
    """The id the database's own counter would give the table's next row (0: it keeps none)."""
    if conn.dialect.name == "postgresql":
        sequence = _sequence(table, conn)
        if sequence is None:
            return 0
        last, called = conn.execute(text(f"SELECT last_value, is_called FROM {sequence}")).one()
        return int(last) + 1 if called else int(last)
    if conn.execute(text("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_sequence'")).first() is None:
        return 0
    seq = conn.execute(text("SELECT seq FROM sqlite_sequence WHERE name = :table"), {"table": table.name}).scalar()
    return int(seq) + 1 if seq is not None else 0


def _sequence(table: Table, conn: Connection) -> str | None:
    """The PostgreSQL sequence that numbers the table's rows, as a name fit for SQL (None: it has none)."""
    column = table.autoincrement_column
    assert column is not None
    found = conn.execute(
        text("SELECT pg_get_serial_sequence(:table, :column)"),
        {"table": conn.dialect.identifier_preparer.format_table(table), "column": column.name},
    ).scalar()
    return str(found) if found is not None else None
