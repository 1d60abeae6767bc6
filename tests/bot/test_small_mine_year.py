"""`mine` dates a report from another year with its year, so last year's never pass for this year's."""

from __future__ import annotations

from datetime import UTC, datetime

from bot import listings
from bot.domain import IncomingMessage, ReportRecord
from bot.taxonomy import load_taxonomy

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
LAST_YEAR = datetime(2025, 12, 30, 9, 0, tzinfo=UTC)


def _report(rid: int, created_at: datetime) -> ReportRecord:
    return ReportRecord(rid, "T1", "slack", "C1", "key", f"report {rid}", created_at, None, "tagged", None)


def test_mine_shows_the_year_only_when_it_is_not_this_one() -> None:
    reply = listings.mine([_report(2, NOW), _report(1, LAST_YEAR)], load_taxonomy(), now=NOW)
    this_year, last_year = (s.heading or "" for s in reply.sections)
    assert this_year.startswith("#2 · 23 Nov · ") and "2026" not in this_year
    assert last_year.startswith("#1 · 30 Dec 2025 · ")


def test_mine_without_now_always_shows_the_year() -> None:
    reply = listings.mine([_report(1, NOW)], load_taxonomy())
    assert (reply.sections[0].heading or "").startswith("#1 · 23 Nov 2026 · ")


def test_last_years_report_typed_mine_in_chat_carries_its_year(services) -> None:  # type: ignore[no-untyped-def]
    snag = services.snag
    me = snag.person("slack", "T1", "U1")
    snag.clock = lambda: LAST_YEAR
    snag.handle_message(IncomingMessage(me, "refund forms are scanned twice", "C1"))
    snag.clock = lambda: NOW
    reply = snag.handle_message(IncomingMessage(me, "mine", "C1"))
    assert "30 Dec 2025" in (reply.sections[0].heading or "")
