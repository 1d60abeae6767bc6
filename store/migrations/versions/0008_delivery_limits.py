"""delivery limits: a long digest's posted pages are counted, alerts count tries and back off

Revision ID: 0008_delivery_limits
Revises: 0007_tag_source
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision = "0008_delivery_limits"
down_revision = "0007_tag_source"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("digest_runs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("pages_sent", sa.Integer(), nullable=False, server_default="0"))
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("attempts", sa.Integer(), nullable=False, server_default="1"))
        batch_op.add_column(sa.Column("last_try_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
    # an alert written before this revision was last tried when it was claimed or finished
    op.execute("UPDATE alerts SET last_try_at = sent_at")


def downgrade() -> None:
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.drop_column("last_try_at")
        batch_op.drop_column("attempts")
    with op.batch_alter_table("digest_runs", schema=None) as batch_op:
        batch_op.drop_column("pages_sent")
