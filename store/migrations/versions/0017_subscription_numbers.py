"""subscriptions are numbered for good on SQLite (AUTOINCREMENT): a removed subscription's id is
never given to the next one, which would take over its digest runs and alerts (keyed by audience#id)
and be told it was sent a digest it never got

Revision ID: 0017_subscription_numbers
Revises: 0016_receipt_messages
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from store.sqlite_tables import rebuild_table

revision = "0017_subscription_numbers"
down_revision = "0016_receipt_messages"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # PostgreSQL's sequences never give a number twice: nothing to do there.
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        rebuild_table(bind, "subscriptions", autoincrement=True)
        _count_from_history(bind)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        rebuild_table(op.get_bind(), "subscriptions", autoincrement=False)


def _count_from_history(bind: sa.Connection) -> None:
    """Number the next subscription past every id the digest runs and alerts name, not only past the
    subscriptions left: the newest one removed before this upgrade keeps its history to itself too."""
    keys = bind.exec_driver_sql(
        "SELECT audience FROM digest_runs WHERE audience LIKE '%#%' "
        "UNION SELECT audience FROM alerts WHERE audience LIKE '%#%'"
    ).scalars()
    named = [int(tail) for key in keys if (tail := key.rpartition("#")[2]).isdigit()]
    highest = max(named, default=0)
    kept = bind.exec_driver_sql("SELECT seq FROM sqlite_sequence WHERE name = 'subscriptions'").scalar()
    if kept is None and highest:
        bind.exec_driver_sql("INSERT INTO sqlite_sequence (name, seq) VALUES ('subscriptions', ?)", (highest,))
    elif kept is not None and highest > kept:
        bind.exec_driver_sql("UPDATE sqlite_sequence SET seq = ? WHERE name = 'subscriptions'", (highest,))
