"""term counts per tenant, for grouping's own-vocabulary weights

Revision ID: 0005_term_counts
Revises: 0004_digest_speed
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision = "0005_term_counts"
down_revision = "0004_digest_speed"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "term_counts",
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("term", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column("docs", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"]),
        sa.PrimaryKeyConstraint("tenant_id", "term"),
    )


def downgrade() -> None:
    op.drop_table("term_counts")
