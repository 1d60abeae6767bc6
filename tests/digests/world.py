"""A tenant's patterns and reports written as grouping writes them: each report filed in its
pattern and counted in the pattern's weekly counts (UTC weeks), so the database holds what a
running Snag would."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from sqlmodel import Session, select

from digests.counts import count_week
from digests.week import week_of
from store.models import Pattern, Report, Tenant


def tenant(session: Session, external_id: str = "local") -> int:
    """The console tenant's id (made on first use)."""
    row = session.exec(select(Tenant).where(Tenant.platform == "console", Tenant.external_id == external_id)).first()
    if row is None:
        row = Tenant(platform="console", external_id=external_id)
        session.add(row)
        session.commit()
    assert row.id is not None
    return row.id


def pattern(session: Session, tenant_id: int, title: str, first_seen: datetime, **columns: object) -> int:
    """A pattern row; its reports come with `reports`."""
    seen = first_seen.astimezone(UTC)
    row = Pattern(tenant_id=tenant_id, title=title, first_seen=seen, last_seen=seen, **columns)
    session.add(row)
    session.commit()
    assert row.id is not None
    return row.id


def reports(
    session: Session,
    tenant_id: int,
    pattern_id: int | None,
    filed: Iterable[tuple[datetime, str]],
    **tags: object,
) -> None:
    """Reports of one pattern (or of none), each (when, reporter key), with the same tags."""
    for when, who in filed:
        created = when.astimezone(UTC)
        session.add(
            Report(
                tenant_id=tenant_id,
                pattern_id=pattern_id,
                platform="console",
                reporter_key=who,
                text=f"what {who} reported",
                created_at=created,
                **tags,
            )
        )
        if pattern_id is not None:
            count_week(session, tenant_id=tenant_id, pattern_id=pattern_id, week=week_of(created))
    session.commit()
