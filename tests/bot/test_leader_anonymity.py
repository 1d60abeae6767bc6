"""What a leader reads of reports: `search` and `snag export reports` show no more than
`pattern <id>` quotes (no sign-off names, nothing filed in a channel, nothing of a pattern with
fewer than k reporters), and a digest with nothing to show says which week it covers."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from sqlmodel import Session, select

from bot.domain import IncomingMessage, Reply
from bot.exporting import report_rows
from bot.roles import RolePolicy
from store.models import Pattern, Report, Tenant

NOW = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)  # a Wednesday: the digest's week is 16-22 Nov
KIOSK = [  # (reporter, text, via): one pattern of four people, one of whom posted in a channel
    ("U1", "the kiosk login fails every morning - Priya", "dm"),
    ("U2", "kiosk login fails again, Thanks, Priya (nights)", "dm"),
    ("U3", "the kiosk login screen freezes at handover", "dm"),
    ("U4", "kiosk crashed during handover, @someone please look", "mention"),
]
SMALL = ("U5", "the kiosk in bay 7 only takes cash", "dm")  # a pattern of one


def seed(services) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    """The kiosk pattern and the small one, built by hand; their ids."""
    snag = services.snag
    snag.grouper = None
    snag.roles = RolePolicy.from_lists([], ["slack:M1"])
    for n, (user, text, via) in enumerate([*KIOSK, SMALL]):
        message = IncomingMessage(
            snag.person("slack", "T1", user), text, "C1", via=via, received_at=NOW - timedelta(hours=n)
        )
        assert snag.handle_message(message).kind == "receipt"
    with Session(services.engine) as s:
        tenant = s.exec(select(Tenant)).one()
        kiosk, small = Pattern(tenant_id=tenant.id, title="Kiosk login"), Pattern(tenant_id=tenant.id, title="Cash")
        s.add_all([kiosk, small])
        s.commit()
        for report in s.exec(select(Report)).all():
            report.pattern_id = small.id if "bay 7" in report.text else kiosk.id
            s.add(report)
        s.commit()
        assert kiosk.id is not None and small.id is not None
    snag.clock = lambda: NOW + timedelta(days=1)  # asked the next day: a day's reports count from its midnight
    return kiosk.id, small.id


def ask(services, text: str, user: str = "M1") -> Reply:  # type: ignore[no-untyped-def]
    return services.snag.handle_message(IncomingMessage(services.snag.person("slack", "T1", user), text, "D1"))


def quoted(reply: Reply) -> set[str]:
    return {s.text.strip("“”") for s in reply.sections if s.text and s.text.startswith("“")}


def test_search_shows_no_more_than_pattern_quotes(services) -> None:  # type: ignore[no-untyped-def]
    kiosk, small = seed(services)
    quotes = quoted(ask(services, f"pattern {kiosk}"))
    assert quotes and all("Priya" not in q for q in quotes)
    assert "private" in ask(services, f"pattern {small}").title

    found = ask(services, "search kiosk")
    texts = {s.text for s in found.sections}
    assert texts == quotes, "the same reports, in the same words, as `pattern` quotes"
    shown = found.plain_text()
    assert "Priya" not in shown and "crashed during handover" not in shown, "no name, nothing filed in a channel"
    assert "bay 7" not in shown and f"pattern #{small}" not in shown, "nothing of a pattern under k"
    assert "fewer than 3 reporters" in found.notices[-1]

    by_name = ask(services, "search priya")
    assert by_name.sections[0].text == "No reports match those words.", "a scrubbed name finds nothing"
    assert not re.search(r"#\d+ ·", by_name.plain_text())


def test_export_of_reports_shows_no_more_than_pattern_quotes(services) -> None:  # type: ignore[no-untyped-def]
    from dataclasses import replace

    from bot.roles import Role

    kiosk, _ = seed(services)
    manager = replace(services.snag.person("slack", "T1", "M1"), role=Role.MANAGER)
    rows = list(
        report_rows(services.repository, manager, k=3, taxonomy=services.taxonomy)
    )  # as `snag export reports` asks
    assert len(rows) == 5, "every report's tags are still exported"
    texts = {r["text"] for r in rows if r["text"] is not None}
    assert texts == quoted(ask(services, f"pattern {kiosk}"))
    assert {r["pattern"] for r in rows} == {kiosk, "other"}, "a pattern under k is 'other', as in export patterns"
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\d", r["date"]) for r in rows), "days, not times a channel shows"
    assert not any("created_at" in r for r in rows)


def test_a_digest_with_nothing_to_show_says_which_week_it_covers(services) -> None:  # type: ignore[no-untyped-def]
    snag = services.snag
    snag.clock = lambda: NOW
    for n in range(20):  # this week: the next digest's
        person = snag.person("slack", "T1", f"W{n}")
        snag.handle_message(IncomingMessage(person, f"the rota changed again without notice {n}", "C1"))
    text = ask(services, "digest", user="W0").plain_text()
    nothing = (
        "Nothing to show for 16–22 Nov 2026, the week this digest covers: a digest shows only what 3 people"
        " or more reported, so each person's details stay private."
    )
    assert nothing in text, text
    assert "Reports made since Monday 23 Nov go into the next digest, from Monday 30 Nov." in text

    for n in range(2):  # two people in the digest's week
        person = snag.person("slack", "T1", f"L{n}")
        lately = NOW - timedelta(days=5)
        message = IncomingMessage(person, f"the rota lives in a group chat {n}", "C1", received_at=lately)
        snag.handle_message(message)
    text = ask(services, "digest", user="W0").plain_text()
    assert nothing in text, text  # two people read as nobody: told apart, they would say someone reported
