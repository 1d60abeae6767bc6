"""updates owed to reporters: a pattern's change their platform did not take is tried again from the
database (it was logged "not delivered" and never sent), one row per person and pattern

Revision ID: 0015_owed_updates
Revises: 0014_pattern_numbers
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision = "0015_owed_updates"
down_revision = "0014_pattern_numbers"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "owed_updates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("pattern_id", sa.Integer(), nullable=False),
        sa.Column("platform", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("reporter_key", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("report_id", sa.Integer(), nullable=False),
        sa.Column("reopened", sa.Boolean(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_try_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("pattern_id", "platform", "reporter_key", name="uq_owed_update"),
    )
    op.create_index("ix_owed_updates_next_try", "owed_updates", ["next_try_at"])
    op.create_index("ix_owed_updates_tenant_reporter", "owed_updates", ["tenant_id", "reporter_key"])


def downgrade() -> None:
    op.drop_index("ix_owed_updates_tenant_reporter", table_name="owed_updates")
    op.drop_index("ix_owed_updates_next_try", table_name="owed_updates")
    op.drop_table("owed_updates")
