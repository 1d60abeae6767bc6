"""reports remember whether they were filed where others see who wrote them (a channel @mention, a
reaction or a shortcut on a message), so the digest and `pattern <id>` never quote them

Revision ID: 0011_report_shared
Revises: 0010_reports_created_pattern
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011_report_shared"
down_revision = "0010_reports_created_pattern"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Reports stored before this revision did not keep how they came in: they stay unshared
    # (quotable), as they were.
    with op.batch_alter_table("reports", schema=None) as batch_op:
        batch_op.add_column(sa.Column("shared", sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("reports", schema=None) as batch_op:
        batch_op.drop_column("shared")
