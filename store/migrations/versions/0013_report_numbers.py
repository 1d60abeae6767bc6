"""reports are numbered for good on SQLite (AUTOINCREMENT): an erased report's number is never
given to the next report, which an old receipt's buttons or an owed receipt would then reach

Revision ID: 0013_report_numbers
Revises: 0012_report_message
"""

from __future__ import annotations

from alembic import op

from store.sqlite_tables import rebuild_table

revision = "0013_report_numbers"
down_revision = "0012_report_message"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # PostgreSQL's sequences never give a number twice: nothing to do there.
    if op.get_bind().dialect.name == "sqlite":
        rebuild_table(op.get_bind(), "reports", autoincrement=True)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        rebuild_table(op.get_bind(), "reports", autoincrement=False)
