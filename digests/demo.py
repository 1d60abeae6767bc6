"""`snag demo`: eight weeks of a sample organisation's reports, grouped, owned and ready to query."""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, or_
from sqlalchemy import select as sa_select
from sqlmodel import col

from bot.domain import Handoff, Role, Tags
from bot.errors import InputError
from bot.roles import reporter_key
from digests.snapshot import digest_week
from store.db import session_scope
from store.models import Pattern, Report

if TYPE_CHECKING:
    from bot.app import Services
    from bot.taxonomy import Taxonomy

__all__ = ["load_demo", "offer_demo", "missing_labels", "DEMO_FILE"]

from digests.features import DATA

DEMO_FILE = DATA / "grouping.jsonl"
PROBLEMS_FILE = DATA / "grouping_problems.json"
SAMPLE_KEYS = "demo:%"  # the event keys of the sample's reports (LIKE), `demo:<sample id>`


def _tags(row: dict[str, Any]) -> Tags:
    handoff = row.get("handoff")
    return Tags(
        stage=row.get("stage"),
        kinds=tuple(row.get("kinds") or ()),
        teams=tuple(row.get("teams") or ()),
        handoff=Handoff(handoff.get("from"), handoff.get("to")) if handoff else None,
        source="person",
    )


def _rows(now: datetime) -> list[dict[str, Any]]:
    """The sample reports with dates moved so their last week is the digest's week."""
    rows = _sample()
    latest = max(datetime.fromisoformat(r["created_at"]) for r in rows)
    _, end = digest_week(now)
    shift = (end - timedelta(hours=6)) - latest
    for row in rows:
        row["when"] = datetime.fromisoformat(row["created_at"]) + shift
    return sorted(rows, key=lambda r: (r["when"], r["id"]))


def _sample() -> list[dict[str, Any]]:
    return [json.loads(line) for line in DEMO_FILE.read_text(encoding="utf-8").splitlines() if line.strip()]


def missing_labels(taxonomy: Taxonomy) -> dict[str, list[str]]:
    """The sample's stages, kinds and teams this taxonomy lacks, by axis; empty when the sample fits.

    The sample is tagged with the taxonomy Snag ships; its teams include handoff sides and the
    teams that own its problems.
    """
    rows = _sample()
    owners = {p.get("owner_team") for p in json.loads(PROBLEMS_FILE.read_text(encoding="utf-8")).values()}
    used = {
        "stage": {r.get("stage") for r in rows},
        "kind": {k for r in rows for k in r.get("kinds") or ()},
        "team": {t for r in rows for t in r.get("teams") or ()}
        | {side for r in rows for side in (r.get("handoff") or {}).values()}
        | owners,
    }
    have = {"stage": taxonomy.stage_labels, "kind": taxonomy.kind_labels, "team": taxonomy.team_labels}
    missing = {axis: sorted(labels - {None} - set(have[axis])) for axis, labels in used.items()}
    return {axis: labels for axis, labels in missing.items() if labels}


def _named(axis: str, labels: list[str], most: int = 4) -> str:
    shown = ", ".join(labels[:most]) + (", ..." if len(labels) > most else "")
    return f"{len(labels)} of their {axis}s ({shown})"


def _refuse_another_taxonomy(taxonomy: Taxonomy) -> None:
    named = [_named(axis, labels) for axis, labels in missing_labels(taxonomy).items()]
    if named:
        lacks = named[0] if len(named) == 1 else f"{', '.join(named[:-1])} and {named[-1]}"
        raise InputError(
            "The sample organisation's reports are tagged with the taxonomy Snag ships, and yours "
            f"({taxonomy.source}) lacks {lacks}. Stats and digests would show tags your organisation "
            "does not use, so nothing was loaded. To look around with the sample, run `snag demo` "
            "with SNAG_TAXONOMY unset and another SNAG_DATA_DIR."
        )


def _held(services: Services, platform: str, tenant: str) -> tuple[int, int]:
    """(reports, of which the sample's) the tenant holds: the demo goes only where it mixes with nothing."""
    from store.reports import find_tenant

    with session_scope(services.engine) as session:
        owner = find_tenant(session=session, platform=platform, external_id=tenant)
        if owner is None:
            return 0, 0
        sample = func.count().filter(col(Report.event_key).like(SAMPLE_KEYS))
        query = sa_select(func.count(), sample).where(col(Report.tenant_id) == owner.id)
        reports, of_sample = session.execute(query).one()
        return int(reports), int(of_sample)


def _in_use(platform: str, tenant: str, reports: int) -> str:
    """Why a tenant with reports gets no sample: they would share patterns, digests and `mine`."""
    own = "run `snag demo` with another SNAG_DATA_DIR, for a database of its own"
    if (platform, tenant) != ("console", "local"):
        own = (
            "run `snag demo` without --platform and --tenant to load it into the console's (see it with "
            "`snag chat`), or with another SNAG_DATA_DIR, for a database of its own"
        )
    return (
        f"{platform}:{tenant} already holds {reports} report(s), so the sample organisation was not loaded "
        f"there: its {len(_sample())} made-up reports would be grouped with them, counted in that tenant's "
        "digests and stats, and could set the owners and statuses of its real patterns. Nothing was changed. "
        f"To look around with the sample, give it a tenant of its own: {own}."
    )


def load_demo(
    services: Services, *, now: datetime | None = None, tenant: str = "local", platform: str = "console"
) -> dict[str, int]:
    """Store, group and annotate the sample reports in a tenant of their own (the console's by default).

    A tenant holding reports is refused (InputError): the sample's would share their patterns and
    could set their owners and statuses. Where the sample is already loaded nothing changes (no
    regrouping; owners and statuses people set since stay) and the answer is {"already": <its reports>}.
    The sample is tagged with the shipped taxonomy: an organisation's own taxonomy that lacks
    any of its labels is refused (InputError), as stats and digests would show foreign tags.
    """
    _refuse_another_taxonomy(services.taxonomy)
    reports, of_sample = _held(services, platform, tenant)
    if of_sample:
        return {"reports": 0, "patterns": 0, "already": of_sample}
    if reports:
        raise InputError(_in_use(platform, tenant, reports))
    now = now or datetime.now(UTC)
    snag = services.snag
    person = replace(snag.person(platform, tenant, "demo", tenant_name="Sample organisation"), role=Role.ADMIN)
    rows = _rows(now)
    secret = services.settings.secret("reporter")
    items = [
        (
            r["text"],
            r["when"],
            reporter_key(secret, platform, tenant, f"demo:{r['reporter']}"),
            f"demo:{r['id']}",
            _tags(r),
        )
        for r in rows
    ]
    records = services.repository.import_reports(person=person, items=items)
    grouper = services.extras["grouper"]
    patterns = grouper.rebuild(platform=platform, tenant=tenant)
    _annotate(services, rows, now, tenant, platform)
    return {"reports": len(records), "patterns": patterns}


def _annotate(
    services: Services, rows: list[dict[str, Any]], now: datetime, tenant: str, platform: str = "console"
) -> None:
    """Owners and statuses from the sample's problem list, on the pattern most of each problem landed in.

    Only patterns holding the sample's reports alone: a real report that landed with them (filed
    while the sample was loading) keeps its pattern's owner and status as people set them.
    """
    problems = json.loads(PROBLEMS_FILE.read_text(encoding="utf-8"))
    group_of = {f"demo:{r['id']}": r["group"] for r in rows}
    start, _ = digest_week(now)
    with session_scope(services.engine) as session:
        from store.reports import find_tenant

        owner = find_tenant(session=session, platform=platform, external_id=tenant)
        in_tenant = col(Report.tenant_id) == (owner.id if owner else -1)
        real = or_(col(Report.event_key).is_(None), col(Report.event_key).not_like(SAMPLE_KEYS))
        mixed = set(session.execute(sa_select(col(Report.pattern_id)).where(in_tenant, real).distinct()).scalars())
        landed: dict[str, Counter[int]] = defaultdict(Counter)
        query = sa_select(col(Report.event_key), col(Report.pattern_id)).where(
            col(Report.event_key).like(SAMPLE_KEYS), in_tenant
        )
        for key, pid in session.execute(query).all():
            if pid and pid not in mixed and group_of.get(key, "").startswith("p"):
                landed[group_of[key]][pid] += 1
        used: set[int] = set()
        for group, counts in sorted(landed.items(), key=lambda kv: -max(kv[1].values())):
            pid = next((p for p, _ in counts.most_common() if p not in used), None)
            problem = problems.get(group)
            if pid is None or problem is None:
                continue
            used.add(pid)
            row = session.get(Pattern, pid)
            assert row is not None
            team = problem.get("owner_team")
            row.owner = services.taxonomy.title(team) if team else None
            row.owner_set_at = row.first_seen + timedelta(days=3) if team else None
            row.status = problem.get("status", "new")
            resolved_at = start + timedelta(days=2) if row.status == "resolved" else row.first_seen + timedelta(days=4)
            row.status_changed_at = resolved_at if row.status != "new" else None
            session.add(row)


def has_reports(services: Services) -> bool:
    with session_scope(services.engine) as session:
        return bool(session.execute(sa_select(func.count()).select_from(Report)).scalar())


def offer_demo(services: Services) -> Callable[[Any], None]:
    """The console's first-start question: load the sample organisation when the database is empty."""

    def offer(session: Any) -> None:
        if has_reports(services) or missing_labels(services.taxonomy):
            return  # the sample does not fit an organisation's own taxonomy: not offered
        answer = session.ask(
            "Your database is empty. Load eight weeks of sample reports from a sample organisation, "
            "so `digest`, `top` and `pattern <id>` show something at once? [y/N]"
        )
        if answer.strip().lower() in ("y", "yes"):
            found = load_demo(services)
            session.console.print(
                f"Loaded {found['reports']} sample reports in {found['patterns']} patterns. "
                "Try `digest`, `top 90d` or `stats`."
            )
        elif answer.strip().lower() not in ("", "n", "no"):  # a first report or command typed straight away
            session.console.print("No sample loaded; taking that as your first line.")
            session.handle_line(answer)

    return offer
