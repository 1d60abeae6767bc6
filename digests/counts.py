"""The counts grouping keeps in the database: each pattern's reports per week, each tenant's term counts."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from sqlalchemy import bindparam, delete, update
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


def count_terms(session: Session, *, tenant_id: int, keys: Iterable[str] | Mapping[str, int], amount: int = 1) -> None:
    """Add `amount` to a tenant's term counts of these keys, or each key's own amount when `keys`
    maps keys to amounts (rows appear on first sight and go when they reach zero)."""
    amounts = keys if isinstance(keys, Mapping) else dict.fromkeys(keys, amount)
    ordered = sorted(amounts.items())  # the same lock order in every transaction
    table = TermCount.__table__  # type: ignore[attr-defined]  # SQLModel does not declare a table class's __table__
    down = [{"key": key, "amount": -n} for key, n in ordered if n < 0]
    if down:
        which = (table.c.tenant_id == tenant_id, table.c.term == bindparam("key"))
        session.execute(update(table).where(*which).values(docs=table.c.docs - bindparam("amount")), down)
        session.execute(delete(table).where(*which, table.c.docs <= 0), down)
    up = [{"tenant_id": tenant_id, "term": key, "docs": n} for key, n in ordered if n > 0]
    if up:
        dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
        stmt = dialect.insert(table)
        stmt = stmt.on_conflict_do_update(
            index_elements=["tenant_id", "term"], set_={"docs": table.c.docs + stmt.excluded.docs}
        )
        session.execute(stmt, up)
