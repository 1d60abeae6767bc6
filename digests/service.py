"""DigestService: builds an audience's digest from the database, as a Reply for any platform."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import datetime
from functools import partial
from zoneinfo import ZoneInfo

from sqlalchemy.engine import Connection, Engine
from sqlmodel import select

from bot.domain import Person, Reply
from bot.taxonomy import Taxonomy
from digests import signals
from digests.digest import (
    MAX_LINES,
    MOST,
    Audience,
    Digest,
    _with_quotes,
    build_digest,
    parse_audience,
    quote_candidates,
)
from digests.quotes import load_quotes
from digests.render import to_reply
from digests.snapshot import (
    Snapshot,
    WeekFigures,
    digest_week,
    load_figures,
    load_owners,
    load_ranked,
    load_reporters_outside,
    load_week_people,
    mondays_before,
    reading,
    tenant_id_of,
)
from store.db import session_scope
from store.models import Subscription
from store.reports import find_tenant

__all__ = ["Digests", "load_sections"]


def load_sections(bind: Engine | Connection, tenant_id: int, snap: Snapshot, audience: Audience, *, k: int) -> None:
    """Put into `snap` the patterns the sections show, with their weekly counts and reporters, and each section's size.

    The database keeps each section's patterns by the section's SQL rule (signals.SQL_RULES, the
    Python rules restated) among those with at least k reporters, ranks them and returns the
    MAX_LINES best of each, with how many there are (counted up to MOST)."""
    found, sizes = load_ranked(
        bind,
        tenant_id,
        snap.week_start,
        snap.week_end,
        audience,
        signals.SQL_COUNTS,
        signals.SQL_RULES,
        page=MAX_LINES,
        k=k,
        most=MOST,
        moments=signals.sql_moments(snap.now),
    )
    for rows in found.values():
        for info, weeks in rows:
            snap.patterns[info.id] = info
            snap.history[info.id] = weeks
            if info.reporters:  # by the week's end, as load_reporters(until=) counts them
                snap.reporters[info.id] = info.reporters
    snap.sizes = sizes


class Digests:
    """Implements bot.ports.DigestService and builds digests for the scheduler."""

    def __init__(self, engine: Engine, taxonomy: Taxonomy, *, k: int, timezone: str = "UTC") -> None:
        self.engine = engine
        self.taxonomy = taxonomy
        self.k = k
        self.timezone = timezone  # SNAG_DIGEST_TIMEZONE: whose week a preview shows when no subscription says

    def local_now(self, *, platform: str, tenant: str, audience: str | None, now: datetime) -> datetime:
        """`now` where this audience's digest goes out: the time zone of its subscriptions when they
        agree on one, else the default. A preview at Monday 09:30 in Sydney showed the week before
        the one Sydney's subscription had just been sent."""
        key = parse_audience(audience, self.taxonomy).key
        with session_scope(self.engine) as session:
            found = find_tenant(session=session, platform=platform, external_id=tenant)
            zones = set()
            if found is not None:
                zones = set(
                    session.exec(
                        select(Subscription.timezone)
                        .where(Subscription.tenant_id == found.id, Subscription.audience == key)
                        .distinct()
                    ).all()
                )
        return now.astimezone(ZoneInfo(zones.pop() if len(zones) == 1 else self.timezone))

    def snapshot(self, conn: Connection, *, platform: str, tenant: str, audience: Audience, now: datetime) -> Snapshot:
        """The audience's week counted in SQL, and the patterns its sections can show (none if it is too small)."""
        start, end = digest_week(now)
        snap = Snapshot(now, start, end, mondays_before(start), [], {}, {})
        tenant_id = tenant_id_of(conn, platform, tenant)
        if tenant_id is None:
            snap.figures = WeekFigures(audience.key, 0, 0, 0, 0)
            return snap
        if audience.kind == "team":  # the owners read as the team: the patterns it owns are its own
            audience = audience.with_owners(load_owners(conn, tenant_id), self.taxonomy)
        # The week's figures and the sections' patterns are two independent reads: run side by side
        # on two connections, the digest costs the longer of them rather than their sum.
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="snag-digest") as pool:
            figures = pool.submit(load_figures, self.engine, tenant_id, start, end, audience, k=self.k)
            load_sections(conn, tenant_id, snap, audience, k=self.k)
            snap.figures = figures.result()
        if snap.figures.reporters < self.k:  # the digest is suppressed and shows no pattern
            snap.patterns.clear()
            snap.history.clear()
            snap.reporters.clear()
        snap.outside = partial(load_reporters_outside, conn, tenant_id, start, end, audience, k=self.k)
        week = end - start
        snap.outside_prev = partial(
            load_reporters_outside, conn, tenant_id, start - week, start, audience, k=self.k, patterned=True
        )
        snap.week_people = partial(load_week_people, conn, start, end)
        return snap

    def build(self, *, platform: str, tenant: str, audience: str | None, now: datetime, quotes: bool = True) -> Digest:
        """The digest of the last complete week before `now` for one audience (quotes=False: without
        report texts)."""
        who = parse_audience(audience, self.taxonomy)
        with reading(self.engine) as conn:
            snap = self.snapshot(conn, platform=platform, tenant=tenant, audience=who, now=now)
            digest = build_digest(snap, who, self.taxonomy, k=self.k)
            wanted = quote_candidates(digest) if quotes else []
            if not wanted:
                return digest
            snap.quotes = load_quotes(conn, wanted, snap.week_start, snap.week_end, self.taxonomy)
        return _with_quotes(replace(digest, quotes=()), snap, self.taxonomy)

    def preview(self, *, person: Person, audience: str | None, now: datetime) -> Reply:
        """The digest this person's tenant would get now, without sending it; report texts (the
        quotes) only for those who may read them."""
        at = self.local_now(platform=person.platform, tenant=person.tenant, audience=audience, now=now)
        digest = self.build(
            platform=person.platform, tenant=person.tenant, audience=audience, now=at, quotes=person.role.sees_texts
        )
        return to_reply(digest, self.taxonomy)
