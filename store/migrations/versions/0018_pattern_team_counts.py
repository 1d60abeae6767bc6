"""patterns carry their team counts apart from their terms, and are found by owner: a team's digest
read every pattern's terms (a few kilobytes each) to find the patterns it has a stake in

Revision ID: 0018_pattern_team_counts
Revises: 0017_subscription_numbers
"""

from __future__ import annotations

import json

import sqlalchemy as sa
from alembic import op

revision = "0018_pattern_team_counts"
down_revision = "0017_subscription_numbers"
branch_labels = None
depends_on = None

BATCH = 2000


def upgrade() -> None:
    op.add_column("patterns", sa.Column("team_counts", sa.JSON(), nullable=True))
    _fill(op.get_bind())
    op.create_index("ix_patterns_tenant_owner", "patterns", ["tenant_id", "owner"])


def downgrade() -> None:
    op.drop_index("ix_patterns_tenant_owner", table_name="patterns")
    op.get_bind().exec_driver_sql("ALTER TABLE patterns DROP COLUMN team_counts")  # SQLite 3.35 and later too


def _team_counts(terms: dict[str, float]) -> dict[str, int] | None:
    """As store.models.team_counts_of writes them now (kept here as this revision wrote them)."""
    tagged = {key[3:]: int(n) for key, n in terms.items() if key.startswith("xt:")}
    return tagged | {"_n": int(terms.get("_n", 0))} if tagged else None


def _fill(bind: sa.Connection) -> None:
    """Each pattern's team counts from its terms, a batch at a time; the rows no report of which
    names a team stay NULL."""
    last = 0
    while True:
        rows = bind.execute(
            sa.text("SELECT id, terms FROM patterns WHERE id > :last ORDER BY id LIMIT :n"), {"last": last, "n": BATCH}
        ).all()
        if not rows:
            return
        counted = []
        for pid, terms in rows:
            counts = _team_counts(json.loads(terms) if isinstance(terms, str) else terms or {})
            if counts:
                counted.append({"id": pid, "counts": json.dumps(counts)})
        if counted:
            bind.execute(sa.text("UPDATE patterns SET team_counts = :counts WHERE id = :id"), counted)
        last = rows[-1][0]
