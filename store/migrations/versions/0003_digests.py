"""pattern weekly counts for digests

Revision ID: 0003_digests
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision = "0003_digests"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "pattern_weeks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("pattern_id", sa.Integer(), nullable=False),
        sa.Column("week", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("reports", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["pattern_id"], ["patterns.id"]),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("pattern_id", "week", name="uq_pattern_week"),
    )
    op.create_index("ix_pattern_weeks_tenant_week", "pattern_weeks", ["tenant_id", "week"])


def downgrade() -> None:
    op.drop_index("ix_pattern_weeks_tenant_week", table_name="pattern_weeks")
    op.drop_table("pattern_weeks")
