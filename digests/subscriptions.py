"""Store verbs for digest subscriptions and digest runs (keyword-only, explicit session)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import and_, delete, or_, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from store.models import DigestRun, Subscription
from store.reports import get_or_create_tenant

__all__ = [
    "subscribe",
    "unsubscribe",
    "list_subscriptions",
    "claim_run",
    "finish_run",
    "record_pages",
    "validate_schedule",
    "LEASE",
    "MAX_ATTEMPTS",
]

LEASE = timedelta(minutes=30)  # a run still "running" this long after its claim lost its sender
MAX_ATTEMPTS = 5  # sends tried per (audience, period) before the run is given up
_DIED = "Its sender stopped before finishing, and every attempt has been used."


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


def claim_run(*, session: Session, tenant_id: int, audience: str, period: str, now: datetime) -> DigestRun | None:
    """The run row to send (audience, period) under, or None: it is sent, being sent, or given up.

    The row is inserted first; if it exists, it is taken over only when its last attempt failed or
    its sender's lease ran out (it died mid-send). Each is one statement, so one replica wins."""
    run = DigestRun(tenant_id=tenant_id, audience=audience, period=period, status="running", started_at=now)
    try:
        with session.begin_nested():
            session.add(run)
            session.flush()
        return run
    except IntegrityError:
        pass
    key = (DigestRun.tenant_id == tenant_id, DigestRun.audience == audience, DigestRun.period == period)
    stale = and_(DigestRun.status == "running", col(DigestRun.started_at) < now - LEASE)
    retry = update(DigestRun).where(
        *key, or_(DigestRun.status == "failed", stale), col(DigestRun.attempts) < MAX_ATTEMPTS
    )
    taken = session.execute(
        retry.values(status="running", attempts=DigestRun.attempts + 1, started_at=now, finished_at=None),
        execution_options={"synchronize_session": False},
    )
    if not taken.rowcount:  # type: ignore[attr-defined]
        gone = update(DigestRun).where(*key, stale).values(status="gave_up", finished_at=now, error=_DIED)
        session.execute(gone, execution_options={"synchronize_session": False})
        return None
    return session.exec(select(DigestRun).where(*key).execution_options(populate_existing=True)).one()


def finish_run(
    *, session: Session, run_id: int, attempt: int, now: datetime, error: str | None = None, permanent: bool = False
) -> str | None:
    """Record how attempt `attempt` ended; returns the status, or None when a later attempt took the run over.
    A permanent failure (the channel is gone, the bot removed) is given up at once."""
    status = "sent" if error is None else "gave_up" if permanent or attempt >= MAX_ATTEMPTS else "failed"
    mine = (DigestRun.id == run_id, DigestRun.attempts == attempt, DigestRun.status == "running")
    done = session.execute(
        update(DigestRun).where(*mine).values(status=status, error=error, finished_at=now),
        execution_options={"synchronize_session": False},
    )
    return status if done.rowcount else None  # type: ignore[attr-defined]


def record_pages(*, session: Session, run_id: int, attempt: int, pages: int) -> bool:
    """Record that attempt `attempt` has posted the first `pages` pages; False when it no longer owns the run."""
    mine = (DigestRun.id == run_id, DigestRun.attempts == attempt, DigestRun.status == "running")
    done = session.execute(
        update(DigestRun).where(*mine).values(pages_sent=pages),
        execution_options={"synchronize_session": False},
    )
    return bool(done.rowcount)  # type: ignore[attr-defined]
