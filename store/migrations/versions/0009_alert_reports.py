"""alerts keep the count they told of in a column of their own (it was read back from the reason's text)

Revision ID: 0009_alert_reports
Revises: 0008_delivery_limits
"""

from __future__ import annotations

import re

import sqlalchemy as sa
from alembic import op

revision = "0009_alert_reports"
down_revision = "0008_delivery_limits"
branch_labels = None
depends_on = None

TOLD = re.compile(r"(?:spiking: )?(\d+) reports this week")  # how every reason written before began


def upgrade() -> None:
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reports", sa.Integer(), nullable=False, server_default="0"))
    alerts = sa.table("alerts", sa.column("id", sa.Integer()), sa.column("reason"), sa.column("reports"))
    bind = op.get_bind()
    for alert_id, reason in bind.execute(sa.select(alerts.c.id, alerts.c.reason)).all():
        if (found := TOLD.match(reason or "")) is not None:
            bind.execute(alerts.update().where(alerts.c.id == alert_id).values(reports=int(found.group(1))))


def downgrade() -> None:
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.drop_column("reports")
