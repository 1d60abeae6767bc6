"""reports are numbered for good on SQLite (AUTOINCREMENT): an erased report's number is never
given to the next report, which an old receipt's buttons or an owed receipt would then reach

Revision ID: 0013_report_numbers
Revises: 0012_report_message
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013_report_numbers"
down_revision = "0012_report_message"
branch_labels = None
depends_on = None

_KEPT = "_snag_reports_kept"  # the rows, while the table is built again


def upgrade() -> None:
    # PostgreSQL's sequences never give a number twice: nothing to do there.
    if op.get_bind().dialect.name == "sqlite":
        _rebuild_reports(autoincrement=True)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        _rebuild_reports(autoincrement=False)


def _rebuild_reports(*, autoincrement: bool) -> None:
    """Build the reports table again as it is (columns, keys, indexes, rows and their ids), with
    or without AUTOINCREMENT, which SQLite only takes when a table is created.

    Not alembic's batch mode: it drops the old table after copying into the new one, and with
    foreign keys on, dropping the table corrections point at is refused, or with the check
    deferred, still counted against it at commit. Here the rows go back into a table named
    `reports`, which settles each correction's reference again. In one transaction, so a failure
    leaves the old table as it was."""
    bind = op.get_bind()
    if not bind.connection.dbapi_connection.in_transaction:  # type: ignore[union-attr]
        bind.exec_driver_sql("BEGIN")  # pysqlite opens none before DDL: every statement would be its own
    bind.exec_driver_sql("PRAGMA defer_foreign_keys = ON")  # until this transaction commits
    metadata = sa.MetaData()
    old = sa.Table("reports", metadata, autoload_with=bind)
    columns = ", ".join(f'"{c.name}"' for c in old.columns)
    bind.exec_driver_sql(f"CREATE TEMP TABLE {_KEPT} AS SELECT {columns} FROM reports")
    bind.exec_driver_sql("DROP TABLE reports")  # its indexes with it
    metadata.remove(old)
    new = old.to_metadata(metadata)
    new.dialect_options["sqlite"]["autoincrement"] = autoincrement
    new.create(bind)
    bind.exec_driver_sql(f"INSERT INTO reports ({columns}) SELECT {columns} FROM {_KEPT} ORDER BY id")
    bind.exec_driver_sql(f"DROP TABLE {_KEPT}")
