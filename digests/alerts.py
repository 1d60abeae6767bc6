"""Alerts when reality demands it: a pattern spikes or crosses the configured weekly count.

One alert per pattern per audience per day: the Alert row's unique key is the rate limit. The row
is claimed before sending and marked sent after; a failed send (or one whose sender died, after
LEASE) is claimed again by the next check, so a messenger that recovers still gets the day's alert.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine, Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, or_, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from bot.domain import Reply, Section
from bot.ports import Messenger
from bot.taxonomy import Taxonomy
from digests import signals
from digests.delivery import run_key, safe_error
from digests.digest import Audience, parse_audience
from digests.grouper import week_of
from digests.snapshot import PatternInfo, load_reporters
from digests.subscriptions import LEASE
from store.db import session_scope
from store.models import Alert, Pattern, PatternWeek, Subscription, Tenant

__all__ = ["check_alerts", "alert_reason"]

log = logging.getLogger("snag.alerts")


def alert_reason(counts: list[int], threshold: int) -> str | None:
    """Why a pattern's weekly counts (oldest first, this week last) call for an alert, if they do."""
    if counts[-1] >= threshold:
        return f"{counts[-1]} reports this week (alert threshold {threshold})"
    if signals.is_spiking(counts) and sum(counts[:-1]):
        return f"spiking: {counts[-1]} reports this week. {signals.SPIKE_RULE}"
    return None


def _counts(session: Session, tenant_id: int, now: datetime) -> dict[int, list[int]]:
    mondays = [week_of(now - timedelta(weeks=i)) for i in reversed(range(signals.BASELINE_WEEKS + 1))]
    rows = session.exec(
        select(PatternWeek.pattern_id, PatternWeek.week, PatternWeek.reports).where(
            PatternWeek.tenant_id == tenant_id, col(PatternWeek.week) >= mondays[0]
        )
    ).all()
    found: dict[int, dict[str, int]] = {}
    for pid, week, n in rows:
        found.setdefault(pid, {})[week] = n
    return {pid: [weeks.get(m, 0) for m in mondays] for pid, weeks in found.items()}


def _claim(
    session: Session, tenant_id: int, pattern_id: int, audience: str, day: str, reason: str, now: datetime
) -> bool:
    """Take today's alert of this pattern to this audience: a new one, a failed one, or one whose sender died."""
    try:
        with session.begin_nested():
            session.add(
                Alert(
                    tenant_id=tenant_id,
                    pattern_id=pattern_id,
                    audience=audience,
                    day=day,
                    reason=reason[:200],
                    sent_at=now,
                )
            )
            session.flush()
        return True
    except IntegrityError:
        pass
    stale = and_(Alert.status == "sending", col(Alert.sent_at) < now - LEASE)
    retry = update(Alert).where(
        Alert.pattern_id == pattern_id,
        Alert.audience == audience,
        Alert.day == day,
        or_(Alert.status == "failed", stale),
    )
    taken = session.execute(
        retry.values(status="sending", sent_at=now), execution_options={"synchronize_session": False}
    )
    return bool(taken.rowcount)  # type: ignore[attr-defined]


def _finish(engine, claimed: list[tuple[int, str]], sent: set[tuple[int, str]], day: str, now: datetime) -> None:  # type: ignore[no-untyped-def]
    """Mark each claimed (pattern, audience) sent or failed; a failed one is claimed again by the next check."""
    with session_scope(engine) as session:
        for pattern_id, audience in claimed:
            status = "sent" if (pattern_id, audience) in sent else "failed"
            session.execute(
                update(Alert)
                .where(Alert.pattern_id == pattern_id, Alert.audience == audience, Alert.day == day)
                .values(status=status, sent_at=now),
                execution_options={"synchronize_session": False},
            )


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
    engine,
    taxonomy: Taxonomy,
    messengers: Mapping[str, Messenger],
    run_async: Callable[[Coroutine[Any, Any, Any]], Any],
    now: datetime,
    threshold: int,
    k: int,
) -> int:  # type: ignore[no-untyped-def]
    """Alert subscribed audiences about patterns that spiked or crossed the threshold; returns alerts sent."""
    sent = 0
    day = now.date().isoformat()
    with session_scope(engine) as session:
        subs = session.exec(select(Subscription).where(Subscription.alerts == True)).all()  # noqa: E712
        tenants = sorted({s.tenant_id for s in subs})
    for tenant_id in tenants:
        mine = [s for s in subs if s.tenant_id == tenant_id]
        with session_scope(engine) as session:
            tenant = session.get(Tenant, tenant_id)
            due = {pid: r for pid, c in _counts(session, tenant_id, now).items() if (r := alert_reason(c, threshold))}
            reporters = load_reporters(engine, sorted(due))
            claimed = [
                (pattern, reason, sub)
                for pid, reason in sorted(due.items())
                if reporters.get(pid, 0) >= k and (pattern := session.get(Pattern, pid)) is not None
                for sub in _recipients(pattern, mine, taxonomy, messengers)
                if _claim(session, tenant_id, pid, run_key(sub), day, reason, now)
            ]
        done = {
            (pattern.id, run_key(sub))
            for pattern, reason, sub in claimed
            if _send(pattern, reason, sub, tenant, taxonomy, messengers[sub.platform], run_async)
        }
        _finish(engine, [(pattern.id, run_key(sub)) for pattern, _, sub in claimed], done, day, now)
        sent += len(done)
    return sent


def _recipients(pattern: Pattern, subs, taxonomy: Taxonomy, messengers: Mapping[str, Messenger]) -> list:  # type: ignore[no-untyped-def]
    """The subscriptions whose audience holds the pattern and whose platform we can send on."""
    info = PatternInfo(
        pattern.id,  # type: ignore[arg-type]
        pattern.title,
        pattern.stage,
        tuple(pattern.kinds),
        tuple(pattern.teams),
        pattern.status,
        pattern.owner,
        None,
        None,
        pattern.first_seen,
        pattern.last_seen,
        pattern.report_count,
    )
    found = []
    for sub in subs:
        try:
            audience: Audience = parse_audience(sub.audience, taxonomy)
        except Exception:
            continue
        if audience.has_pattern(info) and sub.platform in messengers:
            found.append(sub)
    return found


def _send(pattern, reason, sub, tenant, taxonomy, messenger, run_async) -> bool:  # type: ignore[no-untyped-def]
    try:
        run_async(
            messenger.send(
                platform=sub.platform,
                tenant=tenant.external_id,
                destination=sub.destination,
                reply=_reply(pattern, reason, taxonomy),
            )
        )
    except Exception as exc:  # one destination's failure never stops the others; the next check retries it
        log.error("alert for pattern %s to subscription %s failed: %s", pattern.id, sub.id, safe_error(exc))
        return False
    return True
