"""Alerts when reality demands it: a pattern spikes or crosses the configured weekly count.

One alert per pattern per day (the Alert row's unique key is the rate limit).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine, Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from bot.domain import Reply, Section
from bot.ports import Messenger
from bot.taxonomy import Taxonomy
from digests import signals
from digests.delivery import safe_error
from digests.digest import Audience, parse_audience
from digests.grouper import week_of
from digests.snapshot import PatternInfo, load_reporters
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


def _claim(session: Session, tenant_id: int, pattern_id: int, day: str, reason: str) -> bool:
    try:
        with session.begin_nested():
            session.add(Alert(tenant_id=tenant_id, pattern_id=pattern_id, day=day, reason=reason[:200]))
            session.flush()
    except IntegrityError:
        return False
    return True


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
    with session_scope(engine) as session:
        subs = session.exec(select(Subscription).where(Subscription.alerts == True)).all()  # noqa: E712
        tenants = sorted({s.tenant_id for s in subs})
    for tenant_id in tenants:
        with session_scope(engine) as session:
            tenant = session.get(Tenant, tenant_id)
            due = {pid: r for pid, c in _counts(session, tenant_id, now).items() if (r := alert_reason(c, threshold))}
            reporters = load_reporters(engine, sorted(due))
            claimed = [
                (session.get(Pattern, pid), reason)
                for pid, reason in sorted(due.items())
                if reporters.get(pid, 0) >= k and _claim(session, tenant_id, pid, now.date().isoformat(), reason)
            ]
        for pattern, reason in claimed:
            sent += _send(
                pattern, reason, [s for s in subs if s.tenant_id == tenant_id], tenant, taxonomy, messengers, run_async
            )
    return sent


def _send(pattern, reason, subs, tenant, taxonomy, messengers, run_async) -> int:  # type: ignore[no-untyped-def]
    info = PatternInfo(
        pattern.id,
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
    sent = 0
    for sub in subs:
        try:
            audience: Audience = parse_audience(sub.audience, taxonomy)
        except Exception:
            continue
        messenger = messengers.get(sub.platform)
        if not audience.has_pattern(info) or messenger is None:
            continue
        try:
            run_async(
                messenger.send(
                    platform=sub.platform,
                    tenant=tenant.external_id,
                    destination=sub.destination,
                    reply=_reply(pattern, reason, taxonomy),
                )
            )
            sent += 1
        except Exception as exc:  # one destination's failure never stops the others
            log.error("alert for pattern %s to subscription %s failed: %s", pattern.id, sub.id, safe_error(exc))
    return sent
