"""Store verbs for digest subscriptions and digest runs (keyword-only, explicit session)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, delete
from sqlmodel import Session, col, select

from digests.leases import LEASE, Lease
from store.models import DigestRun, Subscription, Tenant
from store.reports import get_or_create_tenant

if TYPE_CHECKING:
    from apscheduler.triggers.cron import CronTrigger

__all__ = [
    "cron_trigger",
    "schedule_note",
    "subscribe",
    "unsubscribe",
    "unsubscribe_number",
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
    "zone_name",
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
    """Raise InputError, in words a person can act on, when the cron line or the time zone cannot be
    used, or when the schedule never comes round (31 February): its digest would never be sent."""
    from bot.errors import InputError

    _check_timezone(timezone)
    fields = len(cron.split())
    try:
        trigger = cron_trigger(cron, timezone)
    except Exception as exc:
        detail = str(exc)[:200] if isinstance(exc, ValueError) else "one of its fields cannot be read"
        if fields != 5:
            why = f"it has {fields} field{'' if fields == 1 else 's'}, not 5"
        else:  # the ValueError says which field is wrong, naming no class
            why = f"{detail[:1].lower()}{detail[1:]}"
        raise InputError(
            f"`{cron}` is not a schedule I can read: {why}. A schedule is five fields, "
            'minute hour day month weekday: "0 9 * * mon" is Mondays at 09:00.'
        ) from exc
    if trigger.get_next_fire_time(None, datetime.now(UTC)) is None:
        raise InputError(
            f"`{cron}` never comes round: no date on the calendar matches it (there is no 31 February or "
            "31 April), so no digest would ever be sent. Choose a day that comes every week: "
            '"0 9 * * mon" is Mondays at 09:00.'
        )


# Weekdays as cron numbers them, 0 (and 7) Sunday; the names are APScheduler's too.
_CRON_WEEKDAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")
_MONDAY_FIRST = (1, 2, 3, 4, 5, 6, 0)  # how APScheduler orders weekdays


def cron_trigger(cron: str, timezone: str) -> CronTrigger:
    """The trigger of a subscription's cron line, read as cron reads it; ValueError if it cannot be.

    APScheduler 3's CronTrigger.from_crontab counts weekdays from 0 = Monday, so "0 9 * * 1" ran on
    Tuesdays and "1-5" Tuesday to Saturday; cron, and Snag's messages, count 0 (or 7) = Sunday,
    1 = Monday. The weekday field is handed over as the names both read alike; the line itself is
    stored as the admin wrote it. Every place a subscription's schedule becomes a trigger uses this."""
    from digests.cron import GapCronTrigger

    fields = cron.split()
    if len(fields) != 5:
        raise ValueError(f"Wrong number of fields; got {len(fields)}, expected 5")
    minute, hour, day, month, weekday = fields
    return GapCronTrigger(  # a time the clocks skip fires just after the change (digests.cron)
        minute=minute, hour=hour, day=day, month=month, day_of_week=_weekday_names(weekday), timezone=timezone
    )


def _weekday_names(field: str) -> str:
    """A cron weekday field ("1-5", "0,6", "*/2", "mon-fri", "7") as the names APScheduler reads,
    Monday first: "mon,tue,wed,thu,fri", "sat,sun", "tue,thu,sat,sun"."""
    days: set[int] = set()
    for part in field.split(","):
        days |= _weekdays_of(part)
    if len(days) == len(_CRON_WEEKDAYS):
        return "*"
    return ",".join(_CRON_WEEKDAYS[day] for day in _MONDAY_FIRST if day in days)


def _weekdays_of(part: str) -> set[int]:
    """The days (0 = Sunday) of one comma-separated part of a cron weekday field: `*`, a day, a
    range, each with an optional /step; a day with a step runs to the end of the week, as cronie reads it."""
    base, slash, step_text = part.partition("/")
    if slash and not (step_text.isdigit() and int(step_text) > 0):
        raise ValueError(f'the step in weekday "{part}" must be a whole number above 0, e.g. "*/2"')
    first_text, dash, last_text = base.partition("-")
    if base == "*":
        first, last = 0, 7
    else:
        first = _weekday_number(first_text, part)
        last = _weekday_number(last_text, part, end=True) if dash else 7 if slash else first
    if first > last:
        raise ValueError(f'the weekday range "{part}" runs backwards: write it from the earlier day, e.g. "1-5"')
    return {day % 7 for day in range(first, last + 1, int(step_text) if slash else 1)}


def _weekday_number(text: str, part: str, *, end: bool = False) -> int:
    """A weekday as cron numbers it, 0-7 (0 and 7 Sunday), or a name; "sun" ending a range is 7,
    so "fri-sun", as APScheduler read it before, stays Friday to Sunday."""
    if text.isdigit() and int(text) <= 7:
        return int(text)
    if text.lower() in _CRON_WEEKDAYS:
        number = _CRON_WEEKDAYS.index(text.lower())
        return 7 if end and number == 0 else number
    where = f' in "{part}"' if part != text else ""
    if not text:
        said = f"a weekday is missing{where or ' next to a comma'}"
    elif text.isdigit():
        said = f"there is no weekday {text}{where}"
    else:
        said = f'invalid weekday name "{text}"{where}'
    raise ValueError(f"{said}: weekdays are 0-7 (0 and 7 are Sunday) or mon-sun")


def _check_timezone(timezone: str) -> None:
    """Raise InputError unless `timezone` is a time zone name the scheduler and the digests can use."""
    from bot.errors import InputError

    try:
        ZoneInfo(timezone)  # what the digests use; APScheduler alone would take "" for UTC
    except (KeyError, ValueError, OSError) as exc:  # unknown, not a name at all, or a folder of zones
        close = zone_name(timezone)
        hint = f" Did you mean {close}?" if close else ""
        raise InputError(
            f"I don't know the time zone {timezone or '(empty)'}.{hint} "
            "Give a name from the tz database, e.g. Europe/London, America/New_York or UTC."
        ) from exc


def zone_name(typed: str) -> str | None:
    """The tz database's name for what was typed, in any case ("europe/london": Europe/London), or None."""
    return _zone_names().get(typed.lower())


@cache
def _zone_names() -> dict[str, str]:
    """Every time zone name by its lower case (read once: listing them reads the whole database)."""
    from zoneinfo import available_timezones

    return {name.lower(): name for name in available_timezones()}


def schedule_note(cron: str, timezone: str) -> str | None:
    """What an admin should know about a schedule that is not once a week, or None.

    A digest covers the last full week (Monday to Sunday) and goes out once a week, at the first
    time of its schedule after the week ended: the other times of a daily schedule send nothing,
    and a schedule that misses weeks (monthly) never sends the weeks it missed."""
    skips, more, first = _weekly_shape(cron_trigger(cron, timezone), ZoneInfo(timezone))
    if skips:
        return (
            f'"{cron}" does not run every week, but each digest covers only the week before it (Monday to '
            "Sunday): the weeks in between are never sent. A weekly schedule such as "
            '"0 9 * * mon" reports every week.'
        )
    if more:
        return (
            f'"{cron}" runs more than once a week, but a digest covers the week that ended and goes out once, '
            "at the first of these times after Monday 00:00; the others send nothing. A weekly schedule such as "
            '"0 9 * * mon" says what will happen.'
        )
    if first is not None and (late := first.weekday()) != 0:
        return (
            f'The digest covers the last full week, Monday to Sunday, so on "{cron}" it arrives '
            f"{late} day{'s' if late > 1 else ''} after that week ended; Monday sends it freshest."
        )
    return None


def _weekly_shape(trigger: CronTrigger, zone: ZoneInfo, weeks: int = 105) -> tuple[bool, bool, datetime | None]:
    """Over two years of Monday-to-Sunday weeks (every month twice): whether some week has no time
    of the schedule, whether some week has more than one, and the schedule's first time."""
    monday = date(2026, 1, 5)
    first, more = None, False
    for week in range(weeks):
        start = datetime.combine(monday + timedelta(weeks=week), time(), zone)
        end = datetime.combine(monday + timedelta(weeks=week + 1), time(), zone).astimezone(UTC)  # compared in UTC
        at = trigger.get_next_fire_time(None, start)
        if at is None or at >= end:
            return True, more, first
        first = first or at
        again = trigger.get_next_fire_time(at, at.astimezone(UTC) + timedelta(seconds=1))
        more = more or (again is not None and again < end)
    return False, more, first


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


def unsubscribe_number(*, session: Session, platform: str, tenant: str, number: int) -> int:
    """Remove this organisation's subscription #number, wherever it sends; returns how many (0 or 1)."""
    query = delete(Subscription).where(
        col(Subscription.tenant_id) == _tenant_id(session, platform, tenant),
        col(Subscription.platform) == platform,
        col(Subscription.id) == number,
    )
    return int(session.exec(query).rowcount or 0)


def list_subscriptions(*, session: Session) -> list[Subscription]:
    """Every subscription, oldest first."""
    return list(session.exec(select(Subscription).order_by(col(Subscription.id))).all())


def run_key(subscription: Subscription) -> str:
    """The DigestRun audience key: the audience, per subscription, so each destination gets one."""
    suffix = f"#{subscription.id}"  # kept whole: a long audience is cut, never the number that sets it apart
    return subscription.audience[: 120 - len(suffix)] + suffix


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
    subs = session.exec(query.order_by(col(Subscription.id))).all()
    runs: dict[tuple[int, str], list[DigestRun]] = {}
    if subs:  # every run of these tenants in one query, however many subscriptions
        tenants = sorted({sub.tenant_id for sub, _ in subs})
        for run in session.exec(
            select(DigestRun).where(col(DigestRun.tenant_id).in_(tenants)).order_by(col(DigestRun.started_at).desc())
        ).all():
            runs.setdefault((run.tenant_id, run.audience), []).append(run)
    found = []
    for sub, org in subs:
        mine = runs.get((sub.tenant_id, run_key(sub)), [])
        done = {run.period for run in mine if run.status in ("sent", "gave_up")}
        next_at, period = _next_send(sub, now, done)
        found.append(Standing(sub, org.external_id, next_at, period, mine[0] if mine else None))
    return found


def _next_send(sub: Subscription, now: datetime, done: set[str]) -> tuple[datetime | None, str | None]:
    """The first time of `sub`'s schedule after `now` that sends a week not in `done`, and that week."""
    from digests.digest import period_of
    from digests.week import digest_week

    trigger = cron_trigger(sub.cron, sub.timezone)
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
