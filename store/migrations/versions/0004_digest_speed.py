"""indexes for building a weekly digest over a large history

Revision ID: 0004_digest_speed
Revises: 0003_digests
"""

from __future__ import annotations

from alembic import op

revision = "0004_digest_speed"
down_revision = "0003_digests"
branch_labels = None
depends_on = None

_INDEXES = (
    # distinct reporters of a pattern, all time, read from the index alone
    ("ix_reports_pattern_reporter", "reports", ["pattern_id", "reporter_key"]),
    # a pattern's latest report inside a week (the digest's quotes)
    ("ix_reports_pattern_created", "reports", ["pattern_id", "created_at"]),
    # eight weeks of per-pattern counts, read from the index alone
    ("ix_pattern_weeks_tenant_week_counts", "pattern_weeks", ["tenant_id", "week", "pattern_id", "reports"]),
    # patterns whose status changed or that first appeared inside the digest week
    ("ix_patterns_tenant_status_changed", "patterns", ["tenant_id", "status_changed_at"]),
    ("ix_patterns_tenant_first_seen", "patterns", ["tenant_id", "first_seen"]),
)


def upgrade() -> None:
    for name, table, columns in _INDEXES:
        op.create_index(name, table, columns)


def downgrade() -> None:
    for name, table, _ in reversed(_INDEXES):
        op.drop_index(name, table_name=table)
