"""Alerts when reality demands it: a pattern spikes or crosses the configured weekly count.

An audience is alerted when a pattern first reaches the count in a week, or spikes, and again on a
later day only if the week's count has grown past what it was last told (a pattern that stays
above the count with no new report is not news). The week and the day are the audience's own, in
its subscription's time zone: its weeks are counted as its digest counts them, so an alert never
tells of reports its digest puts in another week. At most one alert per pattern per audience per
day: the Alert row's unique key is the rate limit. The row
is claimed before sending and marked sent after; a failed send (or one whose sender died, after
its lease) is claimed again by a later check, backing off exponentially, so a messenger that recovers
still gets the day's alert. After MAX_ALERT_ATTEMPTS, or at once when the messenger says retrying
cannot help (a channel gone, the bot removed), the alert is given up.

A week's count is told only when at least k people made it, and a spike is the digest's own rule
(signals.spikes): a pattern first seen this week is new, not spiking, and one quiet for weeks
that is reported again spikes.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, and_, or_, text
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from bot.domain import Reply, Section
from bot.ports import Messenger
from bot.taxonomy import Taxonomy
from digests import signals
from digests.delivery import is_permanent, safe_error
from digests.digest import Audience, parse_audience
from digests.leases import Lease
from digests.reading import moved_rows, week_params, weekly_rows
from digests.snapshot import PatternInfo, load_reporters
from digests.subscriptions import run_key
from digests.week import digest_week, mondays_before
from store.db import session_scope
from store.models import Alert, Pattern, Subscription, Tenant
from store.reports import aware

__all__ = ["check_alerts", "alert_reason", "MAX_ALERT_ATTEMPTS", "BACKOFF"]

log = logging.getLogger("snag.alerts")
MAX_ALERT_ATTEMPTS = 5  # sends tried per alert before it is given up
BACKOFF = timedelta(minutes=1)  # after attempt n fails, the next waits BACKOFF * 2**n (2, 4, 8, 16 minutes)
ALERTS = Lease(
    model=Alert,
    held="sending",
    max_attempts=MAX_ALERT_ATTEMPTS,
    backoff=BACKOFF,
    began=lambda alert: alert.last_try_at or alert.sent_at,
)
RunAsync = Callable[[Coroutine[Any, Any, Any]], Any]
Tried = tuple[int, Subscription, int, BaseException | None]  # pattern id, subscription, attempt, its error
Week = tuple[datetime, datetime]  # Monday 00:00 to Monday 00:00, where the audience is
Seen = tuple[dict[int, list[int]], dict[int, int], Week]  # weekly counts, distinct reporters this week, the week


def alert_reason(counts: list[int], threshold: int, *, people: int, k: int, new: bool, told: int = 0) -> str | None:
    """Why a pattern's weekly counts (oldest first, this week last) call for an alert, if they do.

    `people`: its distinct reporters this week; fewer than k, and the week's count is not told at
    all. `new`: first seen this week (then it is new, not spiking: signals.spikes). `told`: the most
    reports this week the audience was already alerted about; the alert is then due only if the
    week has more, and says how many more."""
    this_week = counts[-1]
    if this_week <= told or people < k:
        return None
    more = f", {this_week - told} more since the last alert" if told else ""
    if this_week >= threshold:
        return f"{this_week} reports this week (alert threshold {threshold}){more}"
    if signals.spikes(counts, people=people, k=k, new=new):
        return f"spiking: {this_week} reports this week{more}. {signals.spike_rule(k)}"
    return None


def _may_alert(counts: list[int], threshold: int) -> bool:
    """Whether the counts alone could call for an alert (alert_reason decides, with the week's people)."""
    return counts[-1] >= threshold or signals.is_spiking(counts)


def _due(pattern_id: int, pattern: Pattern, seen: Seen, threshold: int, k: int, told: int) -> tuple[str, int] | None:
    """The alert an audience is due about a pattern, and the reports this week it tells of, if one is.

    `seen`: the audience's weekly counts, its distinct reporters this week, and its week."""
    counts, people, week = seen
    c = counts.get(pattern_id)
    if not c:
        return None
    new = signals.is_new(_info(pattern_id, pattern), *week)
    reason = alert_reason(c, threshold, people=people.get(pattern_id, 0), k=k, new=new, told=told)
    return (reason, c[-1]) if reason else None


def _told(
    session: Session,
    tenant_id: int,
    pattern_ids: Sequence[int],
    today: Mapping[str, str],
    weeks: Mapping[str, Week],
) -> dict[tuple[int, str], int]:
    """(pattern, audience) -> the most reports this week that audience was alerted about, on an earlier day.

    `today` and `weeks`: each audience's day and week where it is; an alert counts in the week it
    was sent in. Only a sent alert told anyone anything."""
    rows = session.exec(
        select(Alert.pattern_id, Alert.audience, Alert.day, Alert.reports).where(
            Alert.tenant_id == tenant_id,
            col(Alert.pattern_id).in_(pattern_ids),
            Alert.status == "sent",
            or_(*(and_(col(Alert.audience) == key, col(Alert.sent_at) >= start) for key, (start, _) in weeks.items())),
        )
    ).all()
    told: dict[tuple[int, str], int] = {}
    for pid, audience, day, count in rows:
        if day < today[audience]:
            told[(pid, audience)] = max(told.get((pid, audience), 0), count)
    return told


def _zone(sub: Subscription) -> ZoneInfo:
    """The subscription's time zone: where its audience's days and weeks are."""
    try:
        return ZoneInfo(sub.timezone)
    except (ValueError, KeyError):  # checked when subscribed; a zone gone from tzdata since reads as UTC
        return ZoneInfo("UTC")


def local_day(sub: Subscription, now: datetime) -> str:
    """The date where the subscription's audience is: the day its one alert per pattern is counted in."""
    return (now if now.tzinfo else now.replace(tzinfo=UTC)).astimezone(_zone(sub)).date().isoformat()


def local_week(zone: ZoneInfo, now: datetime) -> Week:
    """The week `now` falls in, Monday 00:00 to Monday 00:00 in the zone: what its next digest tells of."""
    start = digest_week((now if now.tzinfo else now.replace(tzinfo=UTC)).astimezone(zone))[1]
    return start, start + timedelta(days=7)


def _counts(session: Session, tenant_id: int, week: Week) -> dict[int, list[int]]:
    """Each pattern's reports of the BASELINE_WEEKS weeks before `week` and of `week`, oldest first,
    counted as the digest counts its weeks (digests.week.week_windows): this week and the one
    before where the audience is, the weeks before them by the weekly counts' UTC weeks.

    One statement: the weekly counts, and the few hours of reports between the audience's Mondays
    and the UTC ones (none when it is on UTC)."""
    start, end = week
    weeks = signals.BASELINE_WEEKS + 1
    conn = session.connection()
    query = (
        f"WITH {moved_rows(start, end)}wk AS ({weekly_rows(start, end, weeks=weeks)}) "
        "SELECT pattern_id, week, SUM(reports) FROM wk GROUP BY pattern_id, week"
    )
    rows = conn.execute(text(query), week_params(conn, tenant_id, start, end, Audience("all"))).all()
    found: dict[int, dict[str, int]] = {}
    for pid, monday, n in rows:
        found.setdefault(pid, {})[monday] = int(n)
    mondays = mondays_before(start)[-weeks:]
    return {pid: [counted.get(m, 0) for m in mondays] for pid, counted in found.items()}


def _claim(
    session: Session,
    tenant_id: int,
    pattern_id: int,
    audience: str,
    today: Mapping[str, str],
    told: tuple[str, int],
    now: datetime,
) -> int | None:
    """Take today's alert of this pattern to this audience; returns the attempt, or None when it is not due.

    `told`: the reason and this week's reports the alert tells of. Due: a new alert, a failed one whose
    back-off has passed, or one whose sender died (after its lease)."""
    reason, reports = told
    day = today[audience]
    alert = Alert(
        tenant_id=tenant_id,
        pattern_id=pattern_id,
        audience=audience,
        day=day,
        reason=reason[:200],
        reports=reports,
        sent_at=now,
        last_try_at=now,
    )
    key = _alert_key(pattern_id, audience, day)
    retry = {"sent_at": now, "last_try_at": now, "reason": alert.reason, "reports": reports}  # what its last try sent
    claim = ALERTS.claim(session, alert, key, now, retry=retry, died={})
    if claim.gave_up:
        log.error("alert for pattern %s to %s gave up: its sender stopped on the last attempt", pattern_id, audience)
    return claim.attempt


def _alert_key(pattern_id: int, audience: str, day: str) -> tuple[ColumnElement[bool], ...]:
    return (col(Alert.pattern_id) == pattern_id, col(Alert.audience) == audience, col(Alert.day) == day)


def _finish(engine: Engine, tried: Sequence[Tried], today: Mapping[str, str], now: datetime) -> int:
    """Record each claimed alert's outcome (sent, failed: tried again later, or gave_up); returns how many were sent."""
    sent = 0
    with session_scope(engine) as session:
        for pattern_id, sub, attempt, error in tried:
            permanent = error is not None and is_permanent(error)
            status = ALERTS.outcome(attempt, failed=error is not None, permanent=permanent)
            key = _alert_key(pattern_id, run_key(sub), today[run_key(sub)])
            ALERTS.update_if_held(session, key, attempt, status=status, sent_at=now)
            sent += status == "sent"
            if error is not None:
                log.error(
                    "alert for pattern %s to subscription %s, attempt %s of %s, %s: %s",
                    pattern_id,
                    sub.id,
                    attempt,
                    MAX_ALERT_ATTEMPTS,
                    "gave up" if status == "gave_up" else f"next try after {BACKOFF * 2**attempt}",
                    safe_error(error),
                )
    return sent


def _reply(pattern: Pattern, reason: str, taxonomy: Taxonomy) -> Reply:
    fields = (
        ("Stage", taxonomy.title(pattern.stage) if pattern.stage else "mixed"),
        ("Owner", pattern.owner or "nobody yet"),
    )
    return Reply(
        kind="digest",
        title=f"Snag alert: pattern #{pattern.id} {pattern.title}",
        sections=(Section(text=reason[:1].upper() + reason[1:], fields=fields),),
        ephemeral=False,
    )


def check_alerts(
    *,
    engine: Engine,
    taxonomy: Taxonomy,
    messengers: Mapping[str, Messenger],
    run_async: RunAsync,
    now: datetime,
    threshold: int,
    k: int,
) -> int:
    """Alert subscribed audiences about patterns that spiked or crossed the threshold; returns alerts sent."""
    sent = 0
    with session_scope(engine) as session:
        subs = session.exec(select(Subscription).where(Subscription.alerts == True)).all()  # noqa: E712
        tenants = sorted({s.tenant_id for s in subs})
    for tenant_id in tenants:
        mine = [s for s in subs if s.tenant_id == tenant_id]
        with session_scope(engine) as session:
            tenant = session.get(Tenant, tenant_id)
            if tenant is None:  # gone with its subscriptions since they were read
                continue
            zones = {run_key(sub): _zone(sub) for sub in mine}
            weeks = {zone: local_week(zone, now) for zone in set(zones.values())}
            counted = {zone: _counts(session, tenant_id, week) for zone, week in weeks.items()}  # once a zone
            due = sorted({pid for each in counted.values() for pid, c in each.items() if _may_alert(c, threshold)})
            people = {zone: load_reporters(engine, due, within=week) for zone, week in weeks.items()}  # one a zone
            seen = {key: (counted[zone], people[zone], weeks[zone]) for key, zone in zones.items()}
            today = {run_key(sub): local_day(sub, now) for sub in mine}
            told = _told(session, tenant_id, due, today, {key: weeks[zone] for key, zone in zones.items()})
            claimed = [
                (pid, pattern, said[0], sub, attempt)
                for pid in due
                if (pattern := session.get(Pattern, pid)) is not None
                for sub in _recipients(pid, pattern, mine, taxonomy, messengers)
                if (said := _due(pid, pattern, seen[run_key(sub)], threshold, k, told.get((pid, run_key(sub)), 0)))
                and (attempt := _claim(session, tenant_id, pid, run_key(sub), today, said, now)) is not None
            ]
        tried = [
            (pid, sub, attempt, _send(pattern, reason, sub, tenant, taxonomy, messengers[sub.platform], run_async))
            for pid, pattern, reason, sub, attempt in claimed
        ]
        sent += _finish(engine, tried, today, now)
    return sent


def _recipients(
    pattern_id: int,
    pattern: Pattern,
    subs: Sequence[Subscription],
    taxonomy: Taxonomy,
    messengers: Mapping[str, Messenger],
) -> list[Subscription]:
    """The subscriptions whose audience holds the pattern and whose platform we can send on."""
    info = _info(pattern_id, pattern)
    found = []
    for sub in subs:
        try:
            audience: Audience = parse_audience(sub.audience, taxonomy)
            audience = audience.with_stakes([audience.stake_of(info)], taxonomy)
        except Exception:
            continue
        if audience.has_pattern(info) and sub.platform in messengers:
            found.append(sub)
    return found


def _info(pattern_id: int, pattern: Pattern) -> PatternInfo:
    """What an audience and the signals read of a pattern row."""
    return PatternInfo(
        pattern_id,
        pattern.title,
        pattern.stage,
        tuple(pattern.kinds),
        tuple(pattern.teams),
        pattern.status,
        pattern.owner,
        None,
        None,
        aware(pattern.first_seen),
        aware(pattern.last_seen),
        pattern.report_count,
        tuple((key[3:], int(n)) for key, n in (pattern.terms or {}).items() if key.startswith("xt:")),
        int((pattern.terms or {}).get("_n", 0)),
    )


def _send(
    pattern: Pattern,
    reason: str,
    sub: Subscription,
    tenant: Tenant,
    taxonomy: Taxonomy,
    messenger: Messenger,
    run_async: RunAsync,
) -> Exception | None:
    """Send one alert; the error, if any, is returned: one destination's failure never stops the others."""
    try:
        run_async(
            messenger.send(
                platform=sub.platform,
                tenant=tenant.external_id,
                destination=sub.destination,
                reply=_reply(pattern, reason, taxonomy),
            )
        )
    except Exception as exc:
        return exc
    return None
