"""`mine`: each of your reports with what happened to it, its pattern's status and owner included."""

from __future__ import annotations

from datetime import UTC, datetime

from bot import listings
from bot.domain import IncomingMessage, PatternSummary, ReportRecord
from bot.taxonomy import load_taxonomy

NOW = datetime(2026, 11, 23, tzinfo=UTC)


def _report(rid: int, pattern_id: int | None, status: str = "confirmed") -> ReportRecord:
    return ReportRecord(rid, "T1", "slack", "C1", "key", f"report {rid}", NOW, None, status, pattern_id)


def _pattern(pid: int, status: str, owner: str | None) -> PatternSummary:
    return PatternSummary(pid, "Billing: refund", "billing", (), (), status, owner, 58, 47, NOW, NOW)


def test_mine_shows_the_patterns_status_and_owner_and_nobody_else() -> None:
    reports = [_report(1, 19), _report(2, 20, "tagged"), _report(3, None, "new")]
    patterns = {19: _pattern(19, "in_progress", "Finance team"), 20: _pattern(20, "new", None)}
    reply = listings.mine(reports, load_taxonomy(), patterns=patterns)
    headings = [s.heading for s in reply.sections]
    assert headings[0].endswith("received, tags confirmed · pattern #19 · being worked on · owner Finance team")
    assert headings[1].endswith("· received")  # nothing happened to its pattern yet
    assert headings[2].endswith("· received")
    said = " ".join(f"{s.heading} {s.text} {s.fields}" for s in reply.sections)
    assert "47" not in said and "58" not in said and "people" not in said  # no reporter or report count


def test_own_reports_reads_the_patterns_of_my_reports(services) -> None:  # type: ignore[no-untyped-def]
    from digests.loop import set_pattern

    snag = services.snag
    me = snag.person("slack", "T1", "U1")
    snag.handle_message(IncomingMessage(me, "refund forms are scanned twice", "C1"))
    reports, patterns = listings.own_reports(services.repository, me, snag.key_of(me))
    (pid,) = {r.pattern_id for r in reports}
    assert pid is not None and patterns[pid].status == "new"
    set_pattern(services.engine, platform="slack", tenant="T1", pattern_id=pid, owner="Finance team", status="resolved")
    reports, patterns = listings.own_reports(services.repository, me, snag.key_of(me))
    heading = listings.mine(reports, snag.taxonomy, patterns=patterns).sections[0].heading
    assert heading.endswith(f"pattern #{pid} · resolved · owner Finance team")


def test_mine_in_chat_after_a_manager_acts(services) -> None:  # type: ignore[no-untyped-def]
    from digests.loop import set_pattern

    snag = services.snag
    me = snag.person("slack", "T1", "U1")
    snag.handle_message(IncomingMessage(me, "refund forms are scanned twice", "C1"))
    (report,) = services.repository.list_reports(person=me, reporter_key=snag.key_of(me))
    assert report.pattern_id is not None
    set_pattern(
        services.engine,
        platform="slack",
        tenant="T1",
        pattern_id=report.pattern_id,
        owner="Finance",
        status="in_progress",
    )
    reply = snag.handle_message(IncomingMessage(me, "mine", "C1"))
    assert "being worked on · owner Finance" in reply.sections[0].heading
