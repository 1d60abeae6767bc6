"""reports by (tenant, created) carry their pattern: a digest not on UTC reads the hours it moves between
weeks from the index alone

Revision ID: 0010_reports_created_pattern
Revises: 0009_alert_reports
"""

from __future__ import annotations

from alembic import op

revision = "0010_reports_created_pattern"
down_revision = "0009_alert_reports"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # The same leading columns, so every read of a tenant's reports by time keeps its index; the
    # pattern at the end spares the digest's correction of the weekly counts (digests.reading.moved_rows)
    # a table read per report.
    op.create_index("ix_reports_tenant_created_pattern", "reports", ["tenant_id", "created_at", "pattern_id"])
    op.drop_index("ix_reports_tenant_created", table_name="reports")


def downgrade() -> None:
    op.create_index("ix_reports_tenant_created", "reports", ["tenant_id", "created_at"])
    op.drop_index("ix_reports_tenant_created_pattern", table_name="reports")
