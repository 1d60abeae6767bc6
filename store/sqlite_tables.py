"""Building a SQLite table again, for what SQLite only takes when a table is created (AUTOINCREMENT).

Used by migrations 0013 (reports), 0014 (patterns) and 0017 (subscriptions)."""

from __future__ import annotations

import sqlalchemy as sa

__all__ = ["rebuild_table"]


def rebuild_table(bind: sa.Connection, name: str, *, autoincrement: bool) -> None:
    """Build table `name` again as it is (columns, keys, indexes, rows and their ids), with or
    without AUTOINCREMENT.

    Not alembic's batch mode: it drops the old table after copying into a new one, and with
    foreign keys on, dropping a table others point at is refused, or with the check deferred,
    still counted against it at commit. Here the rows go back into a table of the same name,
    which settles every reference to them again. In one transaction, so a failure leaves the old
    table as it was."""
    kept = f"_snag_{name}_kept"  # the rows, while the table is built again
    if not bind.connection.dbapi_connection.in_transaction:  # type: ignore[union-attr]
        bind.exec_driver_sql("BEGIN")  # pysqlite opens none before DDL: every statement would be its own
    bind.exec_driver_sql("PRAGMA defer_foreign_keys = ON")  # until this transaction commits
    metadata = sa.MetaData()
    old = sa.Table(name, metadata, autoload_with=bind)
    columns = ", ".join(f'"{c.name}"' for c in old.columns)
    bind.exec_driver_sql(f"CREATE TEMP TABLE {kept} AS SELECT {columns} FROM {name}")
    bind.exec_driver_sql(f"DROP TABLE {name}")  # its indexes with it
    metadata.remove(old)
    new = old.to_metadata(metadata)
    new.dialect_options["sqlite"]["autoincrement"] = autoincrement
    new.create(bind)
    bind.exec_driver_sql(f"INSERT INTO {name} ({columns}) SELECT {columns} FROM {kept} ORDER BY id")
    bind.exec_driver_sql(f"DROP TABLE {kept}")
