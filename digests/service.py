"""DigestService: builds an audience's digest from the database, as a Reply for any platform."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from sqlalchemy.engine import Engine

from bot.domain import Person, Reply
from bot.taxonomy import Taxonomy
from digests.digest import (
    Digest,
    _with_quotes,
    build_digest,
    candidate_ids,
    parse_audience,
    quote_candidates,
)
from digests.render import to_reply
from digests.snapshot import (
    Snapshot,
    digest_week,
    load_quotes,
    load_reporters,
    load_snapshot,
    tenant_id_of,
)

__all__ = ["Digests"]


class Digests:
    """Implements bot.ports.DigestService and builds digests for the scheduler."""

    def __init__(self, engine: Engine, taxonomy: Taxonomy, *, k: int) -> None:
        self.engine = engine
        self.taxonomy = taxonomy
        self.k = k

    def snapshot(self, *, platform: str, tenant: str, now: datetime) -> Snapshot:
        tenant_id = tenant_id_of(self.engine, platform, tenant)
        if tenant_id is None:
            start, end = digest_week(now)
            return Snapshot(now, start, end, tuple(), [], {}, {})
        return load_snapshot(self.engine, tenant_id, now)

    def build(self, *, platform: str, tenant: str, audience: str | None, now: datetime) -> Digest:
        """The digest of the last complete week before `now` for one audience."""
        who = parse_audience(audience, self.taxonomy)
        snap = self.snapshot(platform=platform, tenant=tenant, now=now)
        if not snap.weeks:
            from datetime import timedelta

            from digests.snapshot import HISTORY_WEEKS

            snap.weeks = tuple(
                (snap.week_start.date() - timedelta(weeks=i)).isoformat() for i in reversed(range(HISTORY_WEEKS))
            )
        snap.reporters = load_reporters(self.engine, candidate_ids(snap, who))
        digest = build_digest(snap, who, self.taxonomy, k=self.k)
        wanted = quote_candidates(digest)
        if not wanted:
            return digest
        snap.quotes = load_quotes(self.engine, wanted, snap.week_start, snap.week_end)
        return _with_quotes(replace(digest, quotes=()), snap)

    def preview(self, *, person: Person, audience: str | None, now: datetime) -> Reply:
        """The digest this person's tenant would get now, without sending it."""
        digest = self.build(platform=person.platform, tenant=person.tenant, audience=audience, now=now)
        return to_reply(digest, self.taxonomy)
