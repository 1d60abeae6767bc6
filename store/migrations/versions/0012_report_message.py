"""reports remember the person's own message they were filed from (Slack channel and ts, Teams
activity id), so editing or deleting that message, or replying under it, finds the report

Revision ID: 0012_report_message
Revises: 0011_report_shared
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision = "0012_report_message"
down_revision = "0011_report_shared"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Reports stored before this revision did not keep their message: edits of those messages
    # are not seen, as before.
    with op.batch_alter_table("reports", schema=None) as batch_op:
        batch_op.add_column(sa.Column("message_id", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True))
        batch_op.create_index("ix_reports_tenant_message", ["tenant_id", "message_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("reports", schema=None) as batch_op:
        batch_op.drop_index("ix_reports_tenant_message")
        batch_op.drop_column("message_id")
