"""patterns remember the pattern a manager merged them into (`merge 12 into 7`): its reports all
moved there, and the row stays so that its number leads to where they went

Revision ID: 0020_pattern_merges
Revises: 0019_reports_pattern_people
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0020_pattern_merges"
down_revision = "0019_reports_pattern_people"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A plain ADD COLUMN on both databases: a batch rebuild of the table on SQLite would have to
    # keep its AUTOINCREMENT (0014), and nothing here needs one. No pattern is merged before this.
    op.add_column("patterns", sa.Column("merged_into", sa.Integer(), nullable=True))


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":  # SQLite 3.35+ drops a column in place, AUTOINCREMENT kept
        op.execute("ALTER TABLE patterns DROP COLUMN merged_into")
    else:
        op.drop_column("patterns", "merged_into")
