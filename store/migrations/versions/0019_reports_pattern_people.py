"""reports by pattern carry their time and their reporter together: the digest counts a pattern's
people by the week's end (and in the week) from the indexes alone, not a table read per report

Revision ID: 0019_reports_pattern_people
Revises: 0018_pattern_team_counts
"""

from __future__ import annotations

from alembic import op

revision = "0019_reports_pattern_people"
down_revision = "0018_pattern_team_counts"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # The same leading columns as the two indexes they replace, so every read by pattern keeps its
    # index; the column added at the end is the one the digest's distinct reporters also need
    # (digests.ranked, digests.reading.load_reporters): by pattern and time, the reporter; by
    # pattern and reporter, the time (people "by the week's end").
    op.create_index("ix_reports_pattern_created_reporter", "reports", ["pattern_id", "created_at", "reporter_key"])
    op.drop_index("ix_reports_pattern_created", table_name="reports")
    op.create_index("ix_reports_pattern_reporter_created", "reports", ["pattern_id", "reporter_key", "created_at"])
    op.drop_index("ix_reports_pattern_reporter", table_name="reports")


def downgrade() -> None:
    op.create_index("ix_reports_pattern_reporter", "reports", ["pattern_id", "reporter_key"])
    op.drop_index("ix_reports_pattern_reporter_created", table_name="reports")
    op.create_index("ix_reports_pattern_created", "reports", ["pattern_id", "created_at"])
    op.drop_index("ix_reports_pattern_created_reporter", table_name="reports")
