"""Closing the loop: when a pattern's owner or status changes, everyone who reported it hears so.

Each reporter gets a direct message on the platform they used, about their own report; it never
says who else reported, nor how many unless at least k people did.
"""

from __future__ import annotations

import difflib
import logging
import re
from collections.abc import Callable, Coroutine, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func
from sqlalchemy import select as sa_select
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from bot.cards import STATUS_WORDS
from bot.domain import RETAINED_TEXT, Reply, Section
from bot.errors import InputError, NotFound
from bot.ports import Messenger
from bot.redact import Redactor, redactor_for, redactor_with
from bot.taxonomy import Taxonomy
from bot.text import snippet
from digests.delivery import is_permanent, safe_error
from digests.merging import merged_into
from digests.owed_updates import Owed, backoff, owe_updates, owed_in, send_each, settle_updates
from store.conversations import first_references
from store.db import session_scope
from store.models import Pattern, Report, Tenant

__all__ = ["STATUSES", "read_status", "set_pattern", "notify_reporters", "update_reply", "YourReport", "Told"]

log = logging.getLogger("snag.loop")
STATUSES = ("new", "acknowledged", "in_progress", "resolved", "wont_fix")
# The words people read for a status (bot.listings.STATUS_WORDS) and common ways of typing them.
_STATUS_SAID = {
    "received": "new",
    "ack": "acknowledged",
    "acknowledge": "acknowledged",
    "being_worked_on": "in_progress",
    "inprogress": "in_progress",
    "working_on_it": "in_progress",
    "fixed": "resolved",
    "done": "resolved",
    "wontfix": "wont_fix",
    "will_not_fix": "wont_fix",
    "not_fixing": "wont_fix",
    "closed": "resolved",
    "close": "resolved",
    "complete": "resolved",
    "completed": "resolved",
    "finished": "resolved",
    "sorted": "resolved",
    "wip": "in_progress",
    "started": "in_progress",
    "working": "in_progress",
    "ongoing": "in_progress",
    "seen": "acknowledged",
    "rejected": "wont_fix",
    "declined": "wont_fix",
}


def read_status(said: str, *, number: int | None = None, try_as: str | None = None) -> str:
    """The status `said` names, as typed ("in progress", "being worked on", "won't fix", "closed",
    "wip"), or InputError listing the statuses; a word close to one gets it to try ("did you mean"),
    as `status <number> <status>` when the pattern's number is given, or as `try_as` writes it with
    {number} and {status}: where the command has another syntax ("--status {status}" on the CLI)."""
    status = _status_of(_key(said))
    if status is not None:
        return status
    words = ", ".join(f"{s} ({STATUS_WORDS[s]})" if STATUS_WORDS[s] != s.replace("_", " ") else s for s in STATUSES)
    near = difflib.get_close_matches(
        _key(said).replace("_", " "),
        [*STATUSES, *_STATUS_SAID, *(s.replace("_", " ") for s in STATUSES)],
        n=1,
        cutoff=0.7,
    )
    if near:
        typed = _status_of(_key(near[0]))
        if try_as is None:
            try_as = "status {number} {status}" if number is not None else "{status}"
        try_it = try_as.format(number=number, status=typed)
        raise InputError(f"`{said}` is not a status: did you mean `{try_it}`? A status is one of: {words}.")
    raise InputError(f"`{said}` is not a status. A status is one of: {words}.")


def _key(said: str) -> str:
    return re.sub(r"[\s-]+", "_", said.strip().strip(".!").lower().replace("'", "").replace("\u2019", ""))


def _status_of(key: str) -> str | None:
    return key if key in STATUSES else _STATUS_SAID.get(key)


def set_pattern(
    engine: Engine,
    *,
    platform: str,
    tenant: str,
    pattern_id: int,
    owner: str | None = None,
    status: str | None = None,
    now: datetime | None = None,
) -> tuple[Pattern, bool]:
    """Change a pattern's owner and/or status; returns the row and whether anything changed."""
    if status is not None and status not in STATUSES:
        raise InputError(f"A status is one of: {', '.join(STATUSES)}.")
    now = now or datetime.now(UTC)
    with session_scope(engine) as session:
        row = session.get(Pattern, pattern_id)
        found = session.exec(select(Tenant).where(Tenant.platform == platform, Tenant.external_id == tenant)).first()
        if row is None or found is None or row.tenant_id != found.id:
            raise NotFound(f"There is no pattern #{pattern_id}.")
        if row.merged_into is not None:  # its reports, and their reporters, are in the other one now
            went = merged_into(session, pattern_id)
            raise InputError(f"Pattern #{pattern_id} was merged into #{went}: set #{went}'s owner or status instead.")
        changed = False
        if owner is not None and (owner or None) != row.owner:  # "" clears it: nothing to clear is no change
            row.owner, row.owner_set_at, changed = owner or None, now, True
        if status is not None and status != row.status:
            row.status, row.status_changed_at, changed = status, now, True
        session.add(row)
        return row, changed


# What each status means to the person who reported it, and what they can do next.
_STATUS_SAID_TO_REPORTER = {
    "new": "Nobody has picked it up yet. I'll tell you when that changes.",
    "acknowledged": "The people who can change it have read it and know it is a problem.",
    "in_progress": "Someone is working on it now. I'll tell you when it is resolved.",
    "resolved": "It should be fixed now. If it still gets in your way, tell me in a sentence and I'll pass it on.",
    "wont_fix": (
        "It was looked at, and the decision for now is not to change it. If it gets worse or happens "
        "more often, keep reporting it: new reports still reach the people who decide."
    ),
}


def _next_step(pattern: Pattern) -> str:
    """What the status means to the reporter; a new pattern with an owner has been picked up by
    them, even if nobody has started on it yet."""
    if pattern.status == "new" and pattern.owner:
        return f"{pattern.owner} will look after it; nobody has started on it yet. I'll tell you when that changes."
    return _STATUS_SAID_TO_REPORTER.get(pattern.status, "")


@dataclass(frozen=True)
class YourReport:
    """The newest report one person filed in a pattern: what their update is about."""

    id: int
    text: str


def update_reply(
    pattern: Pattern, report: YourReport, *, reporters: int, k: int, redactor: Redactor, reopened: bool = False
) -> Reply:
    """The direct message one reporter gets: their own report, what changed, nothing about anyone else.

    Their own words are quoted back (redacted again: the taxonomy may hide more than when they
    wrote); how many others reported the same is said only when at least k people did.
    """
    status = STATUS_WORDS.get(pattern.status, pattern.status)
    said = redactor.redact(report.text) if report.text != RETAINED_TEXT else ""
    lines = [f"You reported: “{snippet(said, 160)}”" if said.strip() else ""]
    if reporters >= max(k, 2):
        lines.append(f"{reporters - 1} other people reported the same problem, so it is being handled as one.")
    if reopened:
        lines.append("It was marked resolved, and it has been reported again since, so it is open again.")
    fields = (("Status", status), ("Owner", pattern.owner or "not assigned yet"))
    next_step = _next_step(pattern)
    return Reply(
        kind="text",
        title=f"An update on your report #{report.id}",
        sections=(
            Section(text="\n".join(line for line in lines if line), fields=fields),
            Section(text=f"{next_step}\nType mine to see all your reports and where they stand.".strip()),
        ),
        ephemeral=False,
    )


class Told(int):
    """How many reporters were told of a change; `owed`: how many were not and will be (written down
    for digests.owed_updates), their platform failing or this process having no messenger for it;
    `elsewhere`: how many of those are the latter, left to the `snag serve` or `snag scheduler` that has."""

    owed: int
    elsewhere: int

    def __new__(cls, told: int, *, owed: int = 0, elsewhere: int = 0) -> Told:
        made = super().__new__(cls, told)
        made.owed, made.elsewhere = owed, elsewhere
        return made


def notify_reporters(
    engine: Engine,
    *,
    pattern: Pattern,
    messengers: Mapping[str, Messenger],
    run_async: Callable[[Coroutine[Any, Any, Any]], Any],
    k: int = 3,
    taxonomy: Taxonomy | None = None,
    reopened: bool = False,
    now: datetime | None = None,
) -> Told:
    """DM every distinct reporter of the pattern where they can be reached; returns messages sent.
    `reopened`: the change is a resolved pattern reported again (digests.grouper), and they are told so.

    Each person hears once, about their newest report in the pattern. Read in two queries whatever
    the number of reporters (one each made a pattern of 500 reporters 1,000 queries), and sent a few
    at a time (owed_updates.send_each). A send that fails is owed and tried again
    (digests.owed_updates); one that succeeds settles an update owed. A person on a platform this
    process has no messenger for (`snag pattern set` where Teams is not configured) is owed at once,
    for the process that has one to tell.
    """
    with session_scope(engine) as session:
        tenant = session.get(Tenant, pattern.tenant_id)
        newest = _newest_of_each(session, pattern)
        reached = first_references(session, sorted(newest))
        owed = owed_in(session, pattern_id=pattern.id) if pattern.id is not None else set()
    reachable = [
        (person, str(reached[person]), report)
        for person, report in sorted(newest.items())
        if reached[person] is not None
    ]
    targets = [t for t in reachable if t[0][0] in messengers]
    elsewhere = [
        Owed(platform, key, report.id, None) for (platform, key), _, report in reachable if platform not in messengers
    ]
    if tenant is None or tenant.id is None or pattern.id is None or not reachable:
        return Told(0)
    redactor = redactor_for(taxonomy) if taxonomy is not None else redactor_with(())
    sends = [
        (
            platform,
            tenant.external_id,
            conversation,
            update_reply(pattern, report, reporters=len(newest), k=k, redactor=redactor, reopened=reopened),
        )
        for (platform, _), conversation, report in targets
    ]
    outcomes = send_each(messengers, run_async, sends) if sends else []
    told, settled, failed = _sorted_out(pattern, targets, outcomes)
    if elsewhere:
        log.info(
            "update for pattern %s: %d reporter(s) on %s owed to the process with its messenger",
            pattern.id,
            len(elsewhere),
            ", ".join(sorted({o.platform for o in elsewhere})),
        )
    written = _write_down(
        engine, pattern, tenant.id, [p for p in settled if p in owed], failed + elsewhere, reopened, now
    )
    return Told(told, owed=written, elsewhere=len(elsewhere) if written else 0)


def _sorted_out(
    pattern: Pattern,
    targets: list[tuple[tuple[str, str], str, YourReport]],
    outcomes: list[BaseException | None],
) -> tuple[int, list[tuple[str, str]], list[Owed]]:
    """What came of each send: how many were told, who is settled (told, or lost for good), and
    the updates owed (their platform failed: tried again)."""
    told, settled, failed = 0, [], []
    for (person, _, report), outcome in zip(targets, outcomes, strict=True):
        if outcome is None:
            told += 1
            settled.append(person)
        elif is_permanent(outcome):
            settled.append(person)
            log.warning(
                "update for pattern %s not delivered on %s, not tried again: %s",
                pattern.id,
                person[0],
                safe_error(outcome),
            )
        else:
            failed.append(Owed(person[0], person[1], report.id, safe_error(outcome)))
            log.warning(
                "update for pattern %s not delivered on %s: %s; tried again in %d minutes",
                pattern.id,
                person[0],
                failed[-1].error,
                backoff(1).total_seconds() // 60,
            )
    return told, settled, failed


def _write_down(
    engine: Engine,
    pattern: Pattern,
    tenant_id: int,
    settled: list[tuple[str, str]],
    failed: list[Owed],
    reopened: bool,
    now: datetime | None,
) -> int:
    """Settle the updates owed to those told (or lost for good) and owe the failed ones; how many are owed.
    When the database cannot take them, the failed are logged as not to be told (never a false promise)."""
    if not settled and not failed:
        return 0
    assert pattern.id is not None
    try:
        with session_scope(engine) as session:
            settle_updates(session, pattern_id=pattern.id, people=settled)
            owe_updates(
                session,
                tenant_id=tenant_id,
                pattern_id=pattern.id,
                owed=failed,
                reopened=reopened,
                now=now or datetime.now(UTC),
            )
    except Exception as exc:
        log.error(
            "update for pattern %s: %d reporter(s) not delivered to cannot be tried again: %s",
            pattern.id,
            len(failed),
            safe_error(exc),
        )
        return 0
    return len(failed)


def _newest_of_each(session: Session, pattern: Pattern) -> dict[tuple[str, str], YourReport]:
    """(platform, reporter key) -> that person's newest report in the pattern, in one query."""
    rank = (
        func.row_number()
        .over(
            partition_by=(col(Report.platform), col(Report.reporter_key)),
            order_by=(col(Report.created_at).desc(), col(Report.id).desc()),
        )
        .label("rank")
    )
    table = Report.__table__.c  # type: ignore[attr-defined]  # SQLModel does not declare a table class's __table__
    ranked = (
        sa_select(table.platform, table.reporter_key, table.id, table.text, rank)
        .where(table.pattern_id == pattern.id)
        .subquery()
    )
    rows = session.execute(
        sa_select(ranked.c.platform, ranked.c.reporter_key, ranked.c.id, ranked.c.text).where(ranked.c.rank == 1)
    ).all()
    return {(platform, key): YourReport(id=rid or 0, text=text) for platform, key, rid, text in rows}
