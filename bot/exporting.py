"""What an export may contain, by role, with the anonymity threshold applied."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from bot.domain import RETAINED_TEXT, PatternSummary, Person
from bot.errors import PermissionDenied
from bot.listings import folded_count, quoted
from bot.ports import ReportRepository
from bot.taxonomy import Taxonomy

__all__ = ["pattern_rows", "report_rows"]


def pattern_rows(repository: ReportRepository, person: Person, *, k: int) -> Iterator[dict]:
    """Patterns with at least k reporters; the rest fold into one 'other' row. First and last seen
    are days, as `pattern <id>` shows them: the moment of its first or newest report could be
    matched to the channel message it was filed from.

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
            "first_seen": p.first_seen.date().isoformat(),
            "last_seen": p.last_seen.date().isoformat(),
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


def report_rows(
    repository: ReportRepository,
    person: Person,
    *,
    k: int,
    taxonomy: Taxonomy,
    limit: int = 1_000_000,
) -> Iterator[dict]:
    """Report tags for managers and admins, and texts as `pattern <id>` would quote them; never who
    reported.

    A text is exported only from a pattern with at least k reporters and never of a report filed
    where others saw who wrote it; a sign-off reads [name] and identifiers are redacted again
    (by the taxonomy's patterns too). A pattern with fewer than k reporters is
    "other", as in `export patterns`; dates are days, as `pattern <id>` and `search` show them, so
    no row can be matched to a channel message by its time."""
    if not person.role.sees_texts:
        raise PermissionDenied("Exporting individual reports is for managers and admins.")
    people = {p.id: p.reporter_count for p in repository.list_patterns(person=person)}
    for r in repository.list_reports(person=person, limit=limit):
        tags = r.tags
        crowded = r.pattern_id is not None and people.get(r.pattern_id, 0) >= k
        yield {
            "id": r.id,
            "date": r.created_at.date().isoformat(),
            "platform": r.platform,
            "text": _text(r.text, readable=crowded and not r.shared, taxonomy=taxonomy),
            "stage": tags.stage if tags else None,
            "kinds": list(tags.kinds) if tags else [],
            "teams": list(tags.teams) if tags else [],
            "handoff_from": tags.handoff.from_team if tags and tags.handoff else None,
            "handoff_to": tags.handoff.to_team if tags and tags.handoff else None,
            "pattern": r.pattern_id if crowded or r.pattern_id is None else "other",
            "status": r.status,
            "frequency": r.frequency,
            "customer_facing": r.customer_facing,
        }


def _text(text: str, *, readable: bool, taxonomy: Taxonomy) -> str | None:
    """A report's text as exported: what the retention policy left, or the words as quoted."""
    if text == RETAINED_TEXT:
        return text
    if not readable:
        return None
    return quoted(text, taxonomy)
