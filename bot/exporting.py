"""What an export may contain, by role, with the anonymity threshold applied."""

from __future__ import annotations

from collections.abc import Iterator

from bot.domain import Person
from bot.errors import PermissionDenied
from bot.ports import ReportRepository

__all__ = ["pattern_rows", "report_rows"]


def pattern_rows(repository: ReportRepository, person: Person, *, k: int) -> Iterator[dict]:
    """Patterns with at least k reporters; the rest are counted in one 'other' row."""
    other_reports = other_patterns = 0
    for p in repository.list_patterns(person=person):
        if p.reporter_count < k:
            other_reports += p.report_count
            other_patterns += 1
            continue
        yield {
            "pattern": p.id,
            "title": p.title,
            "stage": p.stage,
            "kinds": list(p.kinds),
            "teams": list(p.teams),
            "status": p.status,
            "owner": p.owner,
            "reports": p.report_count,
            "reporters": p.reporter_count,
            "first_seen": p.first_seen.isoformat(),
            "last_seen": p.last_seen.isoformat(),
        }
    if other_patterns:
        yield {
            "pattern": "other",
            "title": f"{other_patterns} pattern(s) with fewer than {k} reporters",
            "stage": None,
            "kinds": [],
            "teams": [],
            "status": None,
            "owner": None,
            "reports": other_reports,
            "reporters": None,
            "first_seen": None,
            "last_seen": None,
        }


def report_rows(repository: ReportRepository, person: Person, *, limit: int = 1_000_000) -> Iterator[dict]:
    """Report texts and tags for managers and admins; never who reported."""
    if not person.role.sees_texts:
        raise PermissionDenied("Exporting individual reports is for managers and admins.")
    for r in repository.list_reports(person=person, limit=limit):
        tags = r.tags
        yield {
            "id": r.id,
            "created_at": r.created_at.isoformat(),
            "platform": r.platform,
            "text": r.text,
            "stage": tags.stage if tags else None,
            "kinds": list(tags.kinds) if tags else [],
            "teams": list(tags.teams) if tags else [],
            "handoff_from": tags.handoff.from_team if tags and tags.handoff else None,
            "handoff_to": tags.handoff.to_team if tags and tags.handoff else None,
            "pattern": r.pattern_id,
            "status": r.status,
            "frequency": r.frequency,
            "customer_facing": r.customer_facing,
        }
