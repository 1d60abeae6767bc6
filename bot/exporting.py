"""What an export may contain, by role, with the anonymity threshold applied."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from bot.domain import PatternSummary, Person
from bot.errors import PermissionDenied
from bot.listings import folded_count
from bot.ports import ReportRepository

__all__ = ["pattern_rows", "report_rows"]


def pattern_rows(repository: ReportRepository, person: Person, *, k: int) -> Iterator[dict]:
    """Patterns with at least k reporters; the rest fold into one 'other' row.

    The 'other' row is a slice of its own: its reports are counted only when the folded patterns
    together have at least k distinct reporters ("reporters" then says "k or more"); otherwise
    "reports" is empty and "reporters" says "fewer than k", since a handful of reports from a
    small slice could point at the people who wrote them.
    """
    folded: list[PatternSummary] = []
    for p in repository.list_patterns(person=person):
        if p.reporter_count < k:
            folded.append(p)
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
    if folded:
        yield _other_row(folded, _has_k_reporters(repository, person, folded, k), k)


def _other_row(folded: Sequence[PatternSummary], countable: bool, k: int) -> dict:
    """The 'other' row: counts only for a slice of at least k distinct reporters."""
    title = f"patterns with fewer than {k} reporters each"
    return {
        "pattern": "other",
        "title": f"{folded_count(len(folded), k)} {title}" if countable else title.capitalize(),
        "stage": None,
        "kinds": [],
        "teams": [],
        "status": None,
        "owner": None,
        "reports": sum(p.report_count for p in folded) if countable else None,
        "reporters": f"{k} or more" if countable else f"fewer than {k}",
        "first_seen": None,
        "last_seen": None,
    }


def _has_k_reporters(repository: ReportRepository, person: Person, folded: Sequence[PatternSummary], k: int) -> bool:
    """Whether the folded patterns together have at least k distinct reporters (reads stop at k)."""
    if sum(p.reporter_count for p in folded) < k:
        return False  # an upper bound: one person may report into several of them
    seen: set[str] = set()
    for p in folded:
        reports = repository.list_reports(person=person, pattern_id=p.id, limit=max(p.report_count, 1))
        seen.update(r.reporter_key for r in reports)
        if len(seen) >= k:
            return True
    return False


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
