"""Store verbs for digest subscriptions and digest runs (keyword-only, explicit session)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, delete
from sqlmodel import Session, col, select

from digests.leases import LEASE, Lease
from store.models import DigestRun, Subscription, Tenant
from store.reports import get_or_create_tenant

__all__ = [
    "schedule_note",
    "subscribe",
    "unsubscribe",
    "list_subscriptions",
    "run_key",
    "standings",
    "describe",
    "Standing",
    "claim_run",
    "finish_run",
    "record_pages",
    "validate_platform",
    "validate_schedule",
    "PLATFORMS",
    "LEASE",
    "MAX_ATTEMPTS",
]

PLATFORMS = ("slack", "teams", "console")  # where digests can be sent
MAX_ATTEMPTS = 5  # sends tried per (audience, period) before the run is given up
_DIED = "Its sender stopped before finishing, and every attempt has been used."
RUNS = Lease(model=DigestRun, held="running", max_attempts=MAX_ATTEMPTS, began=lambda run: run.started_at)


def validate_platform(platform: str) -> None:
    """Raise InputError unless digests can go to this platform (slack, teams or console)."""
    from bot.errors import InputError

    if platform not in PLATFORMS:
        raise InputError(
            f"Digests go to {', '.join(PLATFORMS[:-1])} or {PLATFORMS[-1]}, not {platform or 'an empty platform'}: "
            "e.g. --platform slack --tenant T0123 --destination C0456."
        )


def validate_schedule(cron: str, timezone: str) -> None:
    """Raise InputError, in words a person can act on, when the cron line or the time zone cannot be used."""
    from apscheduler.triggers.cron import CronTrigger

    from bot.errors import InputError

    _check_timezone(timezone)
    fields = len(cron.split())
    try:
        CronTrigger.from_crontab(cron, timezone=timezone)
    except Exception as exc:
        detail = str(exc)[:200] if isinstance(exc, ValueError) else "one of its fields cannot be read"
        if fields != 5:
            why = f"it has {fields} field{'' if fields == 1 else 's'}, not 5"
        else:  # APScheduler's ValueError says which field is wrong, naming no class
            why = f"{detail[:1].lower()}{detail[1:]}"
        raise InputError(
            f"`{cron}` is not a schedule I can read: {why}. A schedule is five fields, "
            'minute hour day month weekday: "0 9 * * mon" is Mondays at 09:00.'
        ) from exc


def _check_timezone(timezone: str) -> None:
    """Raise InputError unless `timezone` is a time zone name the scheduler and the digests can use."""
    from zoneinfo import ZoneInfo, available_timezones

    from bot.errors import InputError

    try:
        ZoneInfo(timezone)  # what the digests use; APScheduler alone would take "" for UTC
    except (KeyError, ValueError, OSError) as exc:  # unknown, not a name at all, or a folder of zones
        close = [name for name in available_timezones() if name.lower() == timezone.lower()]
        hint = f" Did you mean {close[0]}?" if close else ""
        raise InputError(
            f"I don't know the time zone {timezone or '(empty)'}.{hint} "
            "Give a name from the tz database, e.g. Europe/London, America/New_York or UTC."
        ) from exc


def schedule_note(cron: str, timezone: str) -> str | None:
    """What an admin should know about a schedule that is not once a week, or None.

    A digest covers the last full week (Monday to Sunday) and goes out once a week, at the first
    time of its schedule after the week ended: the other times of a daily schedule send nothing."""
    from apscheduler.triggers.cron import CronTrigger

    trigger = CronTrigger.from_crontab(cron, timezone=timezone)
    start = datetime(2026, 1, 5, tzinfo=ZoneInfo(timezone))  # a Monday: two whole weeks of this schedule
    fires: list[datetime] = []
    at: datetime | None = None
    while len(fires) < 3:
        at = trigger.get_next_fire_time(at, at + timedelta(seconds=1) if at else start)
        if at is None or at >= start + timedelta(days=14):
            break
        fires.append(at)
    if len(fires) > 2:
        return (
            f'"{cron}" runs more than once a week, but a digest covers the week that ended and goes out once, '
            "at the first of these times after Monday 00:00; the others send nothing. A weekly schedule such as "
            '"0 9 * * mon" says what will happen.'
        )
    if fires and (late := fires[0].weekday()) != 0:
        return (
            f'The digest covers the last full week, Monday to Sunday, so on "{cron}" it arrives '
            f"{late} day{'s' if late > 1 else ''} after that week ended; Monday sends it freshest."
        )
    return None


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
    validate_platform(platform)
    validate_schedule(cron, timezone)
    tenant_id = _tenant_id(session, platform, tenant)
    row = session.exec(
        select(Subscription).where(
            col(Subscription.tenant_id) == tenant_id,
            col(Subscription.audience) == audience,
            col(Subscription.platform) == platform,
            col(Subscription.destination) == destination,
        )
    ).first()
    row = row or Subscription(tenant_id=tenant_id, audience=audience, platform=platform, destination=destination)
    row.cron, row.timezone, row.alerts = cron, timezone, alerts
    session.add(row)
    session.flush()
    return row


def unsubscribe(*, session: Session, platform: str, tenant: str, destination: str, audience: str | None = None) -> int:
    """Remove this destination's subscriptions (to one audience, or all); returns how many."""
    query = delete(Subscription).where(
        col(Subscription.tenant_id) == _tenant_id(session, platform, tenant),
        col(Subscription.platform) == platform,
        col(Subscription.destination) == destination,
    )
    if audience:
        query = query.where(col(Subscription.audience) == audience)
    return int(session.exec(query).rowcount or 0)


def list_subscriptions(*, session: Session) -> list[Subscription]:
    """Every subscription, oldest first."""
    return list(session.exec(select(Subscription).order_by(col(Subscription.id))).all())


def run_key(subscription: Subscription) -> str:
    """The DigestRun audience key: the audience, per subscription, so each destination gets one."""
    return f"{subscription.audience}#{subscription.id}"[:120]


@dataclass(frozen=True)
class Standing:
    """One subscription as an admin reads it: what goes where, when the next digest goes, and how
    the last one went (None: nothing sent yet)."""

    subscription: Subscription
    tenant: str  # the platform's id of the organisation (Slack team, Teams tenant)
    next_at: datetime | None  # in the subscription's time zone; None when its schedule never fires
    next_period: str | None  # the week that digest covers, e.g. 2026-W48
    last: DigestRun | None


def standings(
    *, session: Session, now: datetime, platform: str | None = None, tenant: str | None = None
) -> list[Standing]:
    """Every subscription (of one platform or tenant, if given), with its next digest and its last run.

    The next digest is the first time of the schedule, after `now`, at which a week not yet sent
    would go out: a daily schedule sends once a week (schedule_note), and a week already sent, or
    given up, is not sent again."""
    query = select(Subscription, Tenant).where(col(Subscription.tenant_id) == col(Tenant.id))
    if platform:
        query = query.where(col(Subscription.platform) == platform)
    if tenant:
        query = query.where(col(Tenant.external_id) == tenant)
    found = []
    for sub, org in session.exec(query.order_by(col(Subscription.id))).all():
        runs = list(
            session.exec(
                select(DigestRun)
                .where(col(DigestRun.tenant_id) == sub.tenant_id, col(DigestRun.audience) == run_key(sub))
                .order_by(col(DigestRun.started_at).desc())
            ).all()
        )
        done = {run.period for run in runs if run.status in ("sent", "gave_up")}
        next_at, period = _next_send(sub, now, done)
        found.append(Standing(sub, org.external_id, next_at, period, runs[0] if runs else None))
    return found


def _next_send(sub: Subscription, now: datetime, done: set[str]) -> tuple[datetime | None, str | None]:
    """The first time of `sub`'s schedule after `now` that sends a week not in `done`, and that week."""
    from apscheduler.triggers.cron import CronTrigger

    from digests.digest import period_of
    from digests.week import digest_week

    trigger = CronTrigger.from_crontab(sub.cron, timezone=sub.timezone)
    zone = ZoneInfo(sub.timezone)
    since = now.astimezone(zone)
    for _ in range(60):  # weeks; a week's digest goes at the first time of the schedule after it ended
        at = trigger.get_next_fire_time(None, since)
        if at is None:
            break
        period = period_of(digest_week(at)[0])
        if period not in done:
            return at, period
        monday = at.date() + timedelta(days=7 - at.weekday())  # the times left this week send nothing
        since = datetime.combine(monday, datetime.min.time(), zone)
    return None, None


def describe(standing: Standing) -> tuple[str, str]:
    """A subscription in two lines for an admin: what goes where and when; then the next digest and
    how the last one went, with its error if it failed."""
    sub, last = standing.subscription, standing.last
    alerts = "with alerts" if sub.alerts else "no alerts"
    head = (
        f"#{sub.id} {sub.audience} digest to {sub.platform}:{sub.destination} ({standing.tenant}), "
        f'"{sub.cron}" {sub.timezone}, {alerts}'
    )
    if standing.next_at is None:
        parts = ["next: never (the schedule has no time left)"]
    else:
        parts = [f"next: {_when(standing.next_at)} ({_week(standing.next_period)})"]
    if last is None:
        parts.append("nothing sent yet")
    elif last.status == "sent":
        parts.append(f"last: {_week(last.period)} sent {_when(last.finished_at or last.started_at, sub.timezone)}")
    elif last.status == "running":
        parts.append(f"{_week(last.period)} is being sent now (attempt {last.attempts} of {MAX_ATTEMPTS})")
    elif last.status == "failed":
        why = last.error or "no detail"
        parts.append(
            f"last: {_week(last.period)} FAILED, attempt {last.attempts} of {MAX_ATTEMPTS}: {why}; "
            "`snag scheduler` tries again every 10 minutes"
        )
    else:
        parts.append(
            f"last: {_week(last.period)} GIVEN UP after {last.attempts} attempt(s): {last.error or 'no detail'}"
        )
    return head, "; ".join(parts)


def _when(at: datetime, timezone: str | None = None) -> str:
    """`Mon 30 Nov 2026 09:00 GMT`, in `timezone` when given (stored times are UTC)."""
    if timezone is not None:
        at = (at if at.tzinfo else at.replace(tzinfo=ZoneInfo("UTC"))).astimezone(ZoneInfo(timezone))
    return at.strftime("%a %d %b %Y %H:%M %Z").strip()


def _week(period: str | None) -> str:
    """`2026-W47` as a person reads it: `the week of Mon 16 Nov 2026`."""
    if not period:
        return "no week"
    try:
        monday = datetime.strptime(f"{period}-1", "%G-W%V-%u")
    except ValueError:
        return period
    return f"the week of {monday.strftime('%a %d %b %Y')}"


def _tenant_id(session: Session, platform: str, tenant: str) -> int:
    row = get_or_create_tenant(session=session, platform=platform, external_id=tenant)
    assert row.id is not None  # the row is flushed: it has its key
    return row.id


def claim_run(*, session: Session, tenant_id: int, audience: str, period: str, now: datetime) -> DigestRun | None:
    """The run row to send (audience, period) under, or None: it is sent, being sent, or given up.

    The row is inserted first; if it exists, it is taken over only when its last attempt failed or
    its sender's lease ran out (it died mid-send), and only by one replica (see digests.leases)."""
    key = _run_key(tenant_id, audience, period)
    run = DigestRun(tenant_id=tenant_id, audience=audience, period=period, status="running", started_at=now)
    claim = RUNS.claim(
        session,
        run,
        key,
        now,
        retry={"started_at": now, "finished_at": None},
        died={"finished_at": now, "error": _DIED},
    )
    if claim.attempt is None:
        return None
    return session.exec(select(DigestRun).where(*key).execution_options(populate_existing=True)).one()


def finish_run(
    *, session: Session, run_id: int, attempt: int, now: datetime, error: str | None = None, permanent: bool = False
) -> str | None:
    """Record how attempt `attempt` ended; returns the status, or None when a later attempt took the run over.
    A permanent failure (the channel is gone, the bot removed) is given up at once."""
    status = RUNS.outcome(attempt, failed=error is not None, permanent=permanent)
    mine = (col(DigestRun.id) == run_id,)
    return status if RUNS.update_if_held(session, mine, attempt, status=status, error=error, finished_at=now) else None


def record_pages(*, session: Session, run_id: int, attempt: int, pages: int) -> bool:
    """Record that attempt `attempt` has posted the first `pages` pages; False when it no longer owns the run."""
    return RUNS.update_if_held(session, (col(DigestRun.id) == run_id,), attempt, pages_sent=pages)


def _run_key(tenant_id: int, audience: str, period: str) -> tuple[ColumnElement[bool], ...]:
    return (
        col(DigestRun.tenant_id) == tenant_id,
        col(DigestRun.audience) == audience,
        col(DigestRun.period) == period,
    )
