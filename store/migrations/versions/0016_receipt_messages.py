"""receipts Snag sent to Teams 1:1 chats, by activity id: a quote-reply to one is added to its report,
one row per receipt message, erased with the report

Revision ID: 0016_receipt_messages
Revises: 0015_owed_updates
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision = "0016_receipt_messages"
down_revision = "0015_owed_updates"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "receipt_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("conversation_id", sqlmodel.sql.sqltypes.AutoString(length=256), nullable=False),
        sa.Column("activity_id", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("report_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"]),
        sa.ForeignKeyConstraint(["report_id"], ["reports.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("tenant_id", "conversation_id", "activity_id", name="uq_receipt_message"),
    )
    op.create_index("ix_receipt_messages_report_id", "receipt_messages", ["report_id"])


def downgrade() -> None:
    op.drop_index("ix_receipt_messages_report_id", table_name="receipt_messages")
    op.drop_table("receipt_messages")
