"""a report's tag source names the axes a person set ("person:stage,teams"), longer than 16

Revision ID: 0007_tag_source
Revises: 0006_delivery_retries
"""

from __future__ import annotations

import sqlmodel.sql.sqltypes
from alembic import op

revision = "0007_tag_source"
down_revision = "0006_delivery_retries"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("reports", schema=None) as batch_op:
        batch_op.alter_column(
            "tag_source",
            existing_type=sqlmodel.sql.sqltypes.AutoString(length=16),
            type_=sqlmodel.sql.sqltypes.AutoString(length=40),
            existing_nullable=True,
        )


def downgrade() -> None:
    op.execute("UPDATE reports SET tag_source = 'person' WHERE tag_source LIKE 'person:%'")
    with op.batch_alter_table("reports", schema=None) as batch_op:
        batch_op.alter_column(
            "tag_source",
            existing_type=sqlmodel.sql.sqltypes.AutoString(length=40),
            type_=sqlmodel.sql.sqltypes.AutoString(length=16),
            existing_nullable=True,
        )
