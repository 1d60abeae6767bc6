"""The counts grouping keeps in the database: each pattern's reports per week, each tenant's term counts."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import delete, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

from store.models import PatternWeek, TermCount

__all__ = ["count_week", "count_terms"]


def count_week(session: Session, *, tenant_id: int, pattern_id: int, week: str, amount: int = 1) -> None:
    """Add to a pattern's weekly count (insert the row on first sight)."""
    result = session.exec(
        update(PatternWeek)
        .where(col(PatternWeek.pattern_id) == pattern_id, col(PatternWeek.week) == week)
        .values(reports=col(PatternWeek.reports) + amount)
    )
    if result.rowcount:
        return
    try:
        with session.begin_nested():
            session.add(PatternWeek(tenant_id=tenant_id, pattern_id=pattern_id, week=week, reports=amount))
    except IntegrityError:  # another process inserted it first
        count_week(session, tenant_id=tenant_id, pattern_id=pattern_id, week=week, amount=amount)


def count_terms(session: Session, *, tenant_id: int, keys: Iterable[str], amount: int = 1) -> None:
    """Add to a tenant's term counts (rows appear on first sight and go when they reach zero)."""
    ordered = sorted(keys)  # the same lock order in every transaction
    if not ordered:
        return
    table = TermCount.__table__  # type: ignore[attr-defined]  # SQLModel does not declare a table class's __table__
    if amount < 0:
        where = (table.c.tenant_id == tenant_id, table.c.term.in_(ordered))
        session.execute(update(table).where(*where).values(docs=table.c.docs + amount))
        session.execute(delete(table).where(*where, table.c.docs <= 0))
        return
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    stmt = dialect.insert(table)
    stmt = stmt.on_conflict_do_update(
        index_elements=["tenant_id", "term"], set_={"docs": table.c.docs + stmt.excluded.docs}
    )
    session.execute(stmt, [{"tenant_id": tenant_id, "term": key, "docs": amount} for key in ordered])
