"""Updates owed to reporters: a pattern's change their platform did not take, tried again until it does.

When a pattern's owner or status changes, each of its reporters gets a direct message
(digests.loop.notify_reporters). A send that fails (the platform answered 500, went on answering
429 past the client's retries, or could not be reached) is written down here, one row per person
and pattern, and the scheduler's upkeep tries it again 2, 10 and 30 minutes later, then every 2
hours, giving up after MAX_ATTEMPTS attempts or a day. So is an update the process that made the
change has no messenger for (`snag pattern set` where that platform is not configured): it is due at
once, for the `snag serve` or `snag scheduler` that has one. A later change replaces a row still
owed, and a retry sends the pattern's state as it is then, about the person's newest report in it
then, so the person hears the newest state once.
A refusal that retrying cannot change (the person left, blocked Snag, the conversation is gone)
is not written down: it is logged once.

Two schedulers may run the step at once: each claims a row by moving its next try on, guarded by
the value it read, and only the one whose UPDATE changed the row sends it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Collection, Coroutine, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import ColumnElement, and_, delete, func, update
from sqlalchemy import select as sa_select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from bot.domain import Reply
from bot.ports import Messenger
from bot.redact import redactor_for, redactor_with
from digests.delivery import is_permanent, safe_error
from store.conversations import first_references
from store.db import session_scope
from store.models import OwedUpdate, Pattern, Report, Tenant
from store.reports import IN_LIST, aware

if TYPE_CHECKING:
    from bot.taxonomy import Taxonomy

__all__ = [
    "Owed",
    "owe_updates",
    "settle_updates",
    "owed_in",
    "send_owed_updates",
    "backoff",
    "MAX_ATTEMPTS",
    "GIVE_UP_AFTER",
]

log = logging.getLogger("snag.loop")
BACKOFF = (timedelta(minutes=2), timedelta(minutes=10), timedelta(minutes=30), timedelta(hours=2))
MAX_ATTEMPTS = 12  # sends of one update, the first included
GIVE_UP_AFTER = timedelta(hours=24)  # an update not taken within a day of its change is dropped
DUE_AT_ONCE = 200  # rows one step claims; the rest are claimed by the next minute's


def backoff(attempts: int) -> timedelta:
    """How long after failed attempt `attempts` (1: the send when the pattern changed) the next is tried."""
    return BACKOFF[min(max(attempts, 1), len(BACKOFF)) - 1]


@dataclass(frozen=True)
class Owed:
    """One person's update not sent: who, the report it is about, and why not (`error`: what their
    platform answered; None when this process has no messenger for it and did not try, leaving it
    to the process that has: it is due at once)."""

    platform: str
    reporter_key: str
    report_id: int
    error: str | None


def owe_updates(
    session: Session, *, tenant_id: int, pattern_id: int, owed: Sequence[Owed], reopened: bool, now: datetime
) -> None:
    """Write down these people's updates about the pattern, each replacing one still owed (attempt 1
    failed now: the next is in 2 minutes; one not tried here is due now, with no attempt made)."""
    if not owed:
        return
    table = OwedUpdate.__table__  # type: ignore[attr-defined]  # SQLModel does not declare a table class's __table__
    rows = [
        {
            "tenant_id": tenant_id,
            "pattern_id": pattern_id,
            "platform": o.platform,
            "reporter_key": o.reporter_key,
            "report_id": o.report_id,
            "reopened": reopened,
            "attempts": 0 if o.error is None else 1,
            "next_try_at": now if o.error is None else now + backoff(1),
            "created_at": now,
            "last_error": o.error,
        }
        for o in owed
    ]
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    statement = dialect.insert(table)
    replaced = ("report_id", "reopened", "attempts", "next_try_at", "created_at", "last_error")
    session.execute(
        statement.on_conflict_do_update(
            index_elements=["pattern_id", "platform", "reporter_key"],
            set_={name: statement.excluded[name] for name in replaced},
        ),
        rows,
    )


def settle_updates(session: Session, *, pattern_id: int, people: Collection[tuple[str, str]]) -> int:
    """Forget the updates about the pattern owed to these (platform, reporter key): they were told,
    or cannot be reached. Returns how many were owed."""
    settled = 0
    for platform in sorted({p for p, _ in people}):
        keys = sorted(key for p, key in people if p == platform)
        for i in range(0, len(keys), IN_LIST):
            settled += _changed(
                session,
                delete(OwedUpdate).where(
                    col(OwedUpdate.pattern_id) == pattern_id,
                    col(OwedUpdate.platform) == platform,
                    col(OwedUpdate.reporter_key).in_(keys[i : i + IN_LIST]),
                ),
            )
    return settled


def owed_in(session: Session, *, pattern_id: int) -> set[tuple[str, str]]:
    """(platform, reporter key) of everyone owed an update about the pattern."""
    rows = session.exec(
        select(OwedUpdate.platform, OwedUpdate.reporter_key).where(OwedUpdate.pattern_id == pattern_id)
    ).all()
    return {(platform, key) for platform, key in rows}


@dataclass(frozen=True)
class _Claimed:
    """A row this step holds: its guard (attempt and next try as the claim set them) and what it owes."""

    id: int
    attempt: int
    next_try_at: datetime
    created_at: datetime
    pattern_id: int
    platform: str

    def mine(self) -> ColumnElement[bool]:
        """The row, only while this claim still holds it (a later change replaced it, or another
        replica took it over, when not)."""
        return and_(
            col(OwedUpdate.id) == self.id,
            col(OwedUpdate.attempts) == self.attempt,
            col(OwedUpdate.next_try_at) == self.next_try_at,
        )


Send = tuple[_Claimed, str, str, str, Reply]  # the claim, platform, tenant, conversation, the update


def send_owed_updates(
    engine: Engine,
    *,
    messengers: Mapping[str, Messenger],
    run_async: Callable[[Coroutine[Any, Any, Any]], Any],
    now: datetime,
    k: int = 3,
    taxonomy: Taxonomy | None = None,
) -> int:
    """Try again the updates owed that are due, on the platforms this process has messengers for;
    returns how many were sent. Each tells the pattern's current owner and status."""
    _give_up_stale(engine, now)
    claimed = _claim_due(engine, now, set(messengers))
    if not claimed:
        return 0
    sends = _updates_for(engine, claimed, k=k, taxonomy=taxonomy)
    if not sends:
        return 0
    outcomes = send_each(messengers, run_async, [s[1:] for s in sends])
    with session_scope(engine) as session:
        for (row, *_), outcome in zip(sends, outcomes, strict=True):
            _record(session, row, outcome, now)
    return sum(outcome is None for outcome in outcomes)


SENDING_AT_ONCE = 8  # direct messages in flight together (each platform's own limits apply)


def send_each(
    messengers: Mapping[str, Messenger],
    run_async: Callable[[Coroutine[Any, Any, Any]], Any],
    sends: Sequence[tuple[str, str, str, Reply]],
) -> list[BaseException | None]:
    """Send each (platform, tenant, conversation, reply), SENDING_AT_ONCE at a time (one after
    another, a manager's `status` waited minutes for a pattern of many reporters); what came of
    each, in order: None when sent, else the error (one failure stops no other send)."""
    gate = asyncio.Semaphore(SENDING_AT_ONCE)

    async def send(platform: str, tenant: str, conversation: str, reply: Reply) -> BaseException | None:
        async with gate:
            try:
                await messengers[platform].send(platform=platform, tenant=tenant, destination=conversation, reply=reply)
                return None
            except Exception as exc:
                return exc

    async def send_all() -> list[BaseException | None]:
        return list(await asyncio.gather(*(send(*each) for each in sends)))

    outcomes: list[BaseException | None] = run_async(send_all())
    return outcomes


def _give_up_stale(engine: Engine, now: datetime) -> None:
    """Drop the updates owed for a day (no process with their platform's messenger sent them, or
    the scheduler was down), saying so."""
    cutoff = now - GIVE_UP_AFTER
    with session_scope(engine) as session:
        stale = session.exec(
            select(OwedUpdate.id, OwedUpdate.pattern_id, OwedUpdate.platform, OwedUpdate.attempts).where(
                col(OwedUpdate.created_at) <= cutoff, col(OwedUpdate.next_try_at) <= now
            )
        ).all()
        for row_id, pattern_id, platform, attempts in stale:
            if _changed(
                session, delete(OwedUpdate).where(col(OwedUpdate.id) == row_id, col(OwedUpdate.attempts) == attempts)
            ):
                log.error(
                    "update for pattern %s on %s gave up: not delivered within %d hours (%d attempt(s))",
                    pattern_id,
                    platform,
                    GIVE_UP_AFTER.total_seconds() // 3600,
                    attempts,
                )


def _claim_due(engine: Engine, now: datetime, platforms: set[str]) -> list[_Claimed]:
    """Claim the due rows of these platforms: each moved on to its next try, guarded by the attempt
    and next try read, so of two replicas only one claims it (the rows in id order: no deadlock)."""
    if not platforms:
        return []
    claimed: list[_Claimed] = []
    with session_scope(engine) as session:
        due = session.exec(
            select(OwedUpdate)
            .where(col(OwedUpdate.next_try_at) <= now, col(OwedUpdate.platform).in_(sorted(platforms)))
            .order_by(col(OwedUpdate.id))
            .limit(DUE_AT_ONCE)
        ).all()
        for row in due:
            assert row.id is not None
            seen = aware(row.next_try_at)
            attempt, next_try = row.attempts + 1, now + backoff(row.attempts + 1)  # when this attempt dies mid-send
            taken = update(OwedUpdate).where(
                col(OwedUpdate.id) == row.id,
                col(OwedUpdate.attempts) == row.attempts,
                col(OwedUpdate.next_try_at) == seen,
            )
            if _changed(session, taken.values(attempts=attempt, next_try_at=next_try)):
                claimed.append(_Claimed(row.id, attempt, next_try, aware(row.created_at), row.pattern_id, row.platform))
    return claimed


def _updates_for(engine: Engine, claimed: list[_Claimed], *, k: int, taxonomy: Taxonomy | None) -> list[Send]:
    """The update each claimed row sends, from the pattern as it is now, about the person's newest
    report in it now (the one it was owed about may have been taken back since); a row whose
    pattern or conversation is gone, or whose person has no report left in the pattern, is dropped."""
    from digests.loop import YourReport, update_reply  # not at the top: digests.loop imports this module

    redactor = redactor_for(taxonomy) if taxonomy is not None else redactor_with(())
    sends: list[Send] = []
    with session_scope(engine) as session:
        rows = {
            r.id: r for r in session.exec(select(OwedUpdate).where(col(OwedUpdate.id).in_([c.id for c in claimed])))
        }
        reached = first_references(session, sorted({(r.platform, r.reporter_key) for r in rows.values()}))
        reporters = _reporters(session, {c.pattern_id for c in claimed})
        newest = _newest_reports(session, rows.values())
        for claim in claimed:
            row = rows.get(claim.id)
            if row is None or row.attempts != claim.attempt:
                continue  # given up, or replaced by a later change (whose own try tells the newest state)
            pattern = session.get(Pattern, row.pattern_id)
            report = newest.get((row.pattern_id, row.platform, row.reporter_key))
            tenant = session.get(Tenant, row.tenant_id)
            conversation = reached.get((row.platform, row.reporter_key))
            gone = _gone(row, pattern, report, tenant, conversation)
            if gone or pattern is None or report is None or tenant is None or conversation is None:
                _changed(session, delete(OwedUpdate).where(claim.mine()))
                log.info("update for pattern %s on %s dropped: %s", row.pattern_id, row.platform, gone)
                continue
            reply = update_reply(
                pattern,
                YourReport(id=report[0], text=report[1]),
                reporters=reporters.get(row.pattern_id, 0),
                k=k,
                redactor=redactor,
                reopened=row.reopened and pattern.status == "new",  # not set again since
            )
            sends.append((claim, row.platform, tenant.external_id, conversation, reply))
    return sends


def _gone(
    row: OwedUpdate,
    pattern: Pattern | None,
    report: tuple[int, str] | None,
    tenant: Tenant | None,
    conversation: str | None,
) -> str:
    """Why the update can no longer be sent ("" when it can)."""
    if pattern is None or tenant is None or pattern.tenant_id != row.tenant_id:
        return "the pattern is gone"
    if report is None:
        return "they have no report left in the pattern"
    if conversation is None:
        return "they can no longer be reached by direct message"
    return ""


def _newest_reports(session: Session, rows: Iterable[OwedUpdate]) -> dict[tuple[int, str, str], tuple[int, str]]:
    """(pattern, platform, reporter key) of each row -> the id and text of that person's newest report
    in the pattern now, as notify_reporters picks it; in one query (at most DUE_AT_ONCE rows)."""
    wanted = {(r.pattern_id, r.platform, r.reporter_key) for r in rows}
    if not wanted:
        return {}
    table = Report.__table__.c  # type: ignore[attr-defined]  # SQLModel does not declare a table class's __table__
    rank = (
        func.row_number()
        .over(
            partition_by=(table.pattern_id, table.platform, table.reporter_key),
            order_by=(table.created_at.desc(), table.id.desc()),
        )
        .label("rank")
    )
    ranked = (
        sa_select(table.pattern_id, table.platform, table.reporter_key, table.id, table.text, rank)
        .where(
            table.pattern_id.in_(sorted({p for p, _, _ in wanted})),
            table.reporter_key.in_(sorted({key for _, _, key in wanted})),
        )
        .subquery()
    )
    found = session.execute(
        sa_select(ranked.c.pattern_id, ranked.c.platform, ranked.c.reporter_key, ranked.c.id, ranked.c.text).where(
            ranked.c.rank == 1
        )
    ).all()
    return {
        (pid, platform, key): (rid, text) for pid, platform, key, rid, text in found if (pid, platform, key) in wanted
    }


def _reporters(session: Session, pattern_ids: Iterable[int]) -> dict[int, int]:
    """Distinct reporters of each pattern, as notify_reporters counts them."""
    table = Report.__table__.c  # type: ignore[attr-defined]  # SQLModel does not declare a table class's __table__
    people = (
        sa_select(table.pattern_id, table.platform, table.reporter_key)
        .where(table.pattern_id.in_(sorted(pattern_ids)))  # at most DUE_AT_ONCE
        .distinct()
        .subquery()
    )
    rows = session.execute(sa_select(people.c.pattern_id, func.count()).group_by(people.c.pattern_id)).all()
    return {pid: n for pid, n in rows}


def _record(session: Session, row: _Claimed, outcome: BaseException | None, now: datetime) -> None:
    """Delete a row sent or given up, or note why its attempt failed (its next try was set by the claim)."""
    if outcome is None:
        _changed(session, delete(OwedUpdate).where(row.mine()))
        return
    error = safe_error(outcome)
    if is_permanent(outcome):
        if _changed(session, delete(OwedUpdate).where(row.mine())):
            log.warning(
                "update for pattern %s not delivered on %s, not tried again: %s", row.pattern_id, row.platform, error
            )
        return
    if row.attempt >= MAX_ATTEMPTS or row.next_try_at >= row.created_at + GIVE_UP_AFTER:
        if _changed(session, delete(OwedUpdate).where(row.mine())):
            log.error(
                "update for pattern %s on %s gave up after %d attempts: %s",
                row.pattern_id,
                row.platform,
                row.attempt,
                error,
            )
        return
    if _changed(session, update(OwedUpdate).where(row.mine()).values(last_error=error)):
        log.warning(
            "update for pattern %s not delivered on %s (attempt %d): %s; tried again at %s",
            row.pattern_id,
            row.platform,
            row.attempt,
            error,
            row.next_try_at.isoformat(timespec="minutes"),
        )


def _changed(session: Session, statement: Any) -> int:
    """Run an UPDATE or DELETE; returns how many rows it changed."""
    return int(session.exec(statement, execution_options={"synchronize_session": False}).rowcount or 0)
