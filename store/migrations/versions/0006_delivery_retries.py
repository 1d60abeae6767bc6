"""retries for digests and alerts: digest runs count attempts, alerts are claimed per audience

Revision ID: 0006_delivery_retries
Revises: 0005_term_counts
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision = "0006_delivery_retries"
down_revision = "0005_term_counts"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("digest_runs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("attempts", sa.Integer(), nullable=False, server_default="1"))
    # alerts written before this revision were sent to every audience of their pattern: "" and "sent"
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("audience", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False, server_default="")
        )
        batch_op.add_column(
            sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False, server_default="sent")
        )
        batch_op.drop_constraint("uq_alert_pattern_day", type_="unique")
        batch_op.create_unique_constraint("uq_alert_pattern_audience_day", ["pattern_id", "audience", "day"])


def downgrade() -> None:
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.drop_constraint("uq_alert_pattern_audience_day", type_="unique")
        batch_op.drop_column("status")
        batch_op.drop_column("audience")
    op.execute("DELETE FROM alerts WHERE id NOT IN (SELECT MIN(id) FROM alerts GROUP BY pattern_id, day)")
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.create_unique_constraint("uq_alert_pattern_day", ["pattern_id", "day"])
    with op.batch_alter_table("digest_runs", schema=None) as batch_op:
        batch_op.drop_column("attempts")
