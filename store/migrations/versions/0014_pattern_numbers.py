"""patterns are numbered for good on SQLite (AUTOINCREMENT): a pattern a rebuild dropped never
gives its number to a new one, which a manager's `status <id>`, an alert or a reporter's update
naming it would then reach

Revision ID: 0014_pattern_numbers
Revises: 0013_report_numbers
"""

from __future__ import annotations

from alembic import op

from store.sqlite_tables import rebuild_table

revision = "0014_pattern_numbers"
down_revision = "0013_report_numbers"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # PostgreSQL's sequences never give a number twice: nothing to do there.
    if op.get_bind().dialect.name == "sqlite":
        rebuild_table(op.get_bind(), "patterns", autoincrement=True)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        rebuild_table(op.get_bind(), "patterns", autoincrement=False)
