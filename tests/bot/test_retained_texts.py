"""Texts the retention policy removed are never quoted: the placeholder is nobody's words."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlmodel import Session, select

from bot import listings
from bot.domain import IncomingMessage, PatternSummary
from bot.taxonomy import load_taxonomy
from store.models import Report
from store.privacy import RETAINED_TEXT

NOW = datetime(2026, 11, 23, tzinfo=UTC)


def test_a_pattern_card_quotes_no_removed_text() -> None:
    p = PatternSummary(1, "Billing: refund", "billing", ("waiting",), ("finance",), "new", None, 5, 4, NOW, NOW)
    reply = listings.pattern(p, load_taxonomy(), quotes=("refunds wait a week", RETAINED_TEXT, ""), k=3)
    quoted = [s.text for s in reply.sections if s.text]
    assert quoted == ["“refunds wait a week”"]


def test_pattern_in_chat_after_retention_quotes_only_texts_still_there(services) -> None:  # type: ignore[no-untyped-def]
    from bot.roles import RolePolicy

    snag = services.snag
    snag.roles = RolePolicy.from_lists([], ["slack:M1"])
    for user in ("U1", "U2", "U3", "U4"):
        snag.handle_message(IncomingMessage(snag.person("slack", "T1", user), "refund forms scanned twice", "C1"))
    with Session(services.engine) as s:
        rows = s.exec(select(Report).order_by(Report.id)).all()
        assert len({r.pattern_id for r in rows}) == 1 and rows[0].pattern_id is not None
        for r in rows[:2]:  # the two oldest: a year ago
            r.created_at = NOW - timedelta(days=400)
            s.add(r)
        s.commit()
        pattern_id = rows[0].pattern_id
    assert services.repository.apply_retention(older_than=NOW - timedelta(days=365)) == 2
    manager = snag.person("slack", "T1", "M1")
    snag.clock = lambda: datetime.now(UTC) + timedelta(days=1)  # the two filed today are quoted from tomorrow
    reply = snag.handle_message(IncomingMessage(manager, f"pattern {pattern_id}", "C1"))
    quotes = [s.text for s in reply.sections if s.text.startswith("“")]
    assert quotes == ["“refund forms scanned twice”"] * 2
    assert not any("retention" in s.text for s in reply.sections)
