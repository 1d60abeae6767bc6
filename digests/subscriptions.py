"""Store verbs for digest subscriptions and digest runs (keyword-only, explicit session)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from store.models import DigestRun, Subscription
from store.reports import get_or_create_tenant

__all__ = ["subscribe", "unsubscribe", "list_subscriptions", "claim_run", "finish_run", "validate_schedule"]


def validate_schedule(cron: str, timezone: str) -> None:
    """Raise InputError when APScheduler cannot read the cron line or the time zone."""
    from apscheduler.triggers.cron import CronTrigger

    from bot.errors import InputError

    try:
        CronTrigger.from_crontab(cron, timezone=timezone)
    except Exception as exc:
        raise InputError(
            f"`{cron}` in {timezone} is not a schedule I can read ({exc.__class__.__name__}). "
            'Try "0 9 * * mon" and Europe/London.'
        ) from exc


def subscribe(
    *,
    session: Session,
    platform: str,
    tenant: str,
    audience: str,
    destination: str,
    cron: str,
    timezone: str,
    alerts: bool = True,
) -> Subscription:
    """Create or update the subscription of one destination to one audience."""
    validate_schedule(cron, timezone)
    tenant_row = get_or_create_tenant(session=session, platform=platform, external_id=tenant)
    row = session.exec(
        select(Subscription).where(
            Subscription.tenant_id == tenant_row.id,
            Subscription.audience == audience,
            Subscription.platform == platform,
            Subscription.destination == destination,
        )
    ).first()
    row = row or Subscription(tenant_id=tenant_row.id, audience=audience, platform=platform, destination=destination)  # type: ignore[arg-type]
    row.cron, row.timezone, row.alerts = cron, timezone, alerts
    session.add(row)
    session.flush()
    return row


def unsubscribe(*, session: Session, platform: str, tenant: str, destination: str, audience: str | None = None) -> int:
    """Remove this destination's subscriptions (to one audience, or all); returns how many."""
    tenant_row = get_or_create_tenant(session=session, platform=platform, external_id=tenant)
    query = delete(Subscription).where(
        Subscription.tenant_id == tenant_row.id,
        Subscription.platform == platform,
        Subscription.destination == destination,  # type: ignore[arg-type]
    )
    if audience:
        query = query.where(Subscription.audience == audience)  # type: ignore[arg-type]
    return int(session.execute(query).rowcount or 0)  # type: ignore[attr-defined]


def list_subscriptions(*, session: Session) -> list[Subscription]:
    return list(session.exec(select(Subscription).order_by(Subscription.id)).all())  # type: ignore[arg-type]


def claim_run(*, session: Session, tenant_id: int, audience: str, period: str) -> DigestRun | None:
    """Insert the run row first; None means another scheduler already has this (audience, period)."""
    run = DigestRun(tenant_id=tenant_id, audience=audience, period=period, status="running")
    try:
        with session.begin_nested():
            session.add(run)
            session.flush()
    except IntegrityError:
        return None
    return run


def finish_run(*, session: Session, run_id: int, error: str | None = None) -> None:
    run = session.get(DigestRun, run_id)
    assert run is not None
    run.status = "failed" if error else "sent"
    run.error = error
    run.finished_at = datetime.now(UTC)
    session.add(run)
