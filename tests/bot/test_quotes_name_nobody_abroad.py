"""A third audit's finds, read by a manager in `pattern <id>`, `search` and the export: a sign-off in
another script ("Thanks, Сергей", "谢谢，王伟"), a name and job title opening a report ("Priya Patel,
Finance Assistant: …"), and phone numbers written as "447700900123" or "555-2671" never show."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from sqlmodel import Session, select

from bot.domain import IncomingMessage
from bot.exporting import report_rows
from bot.roles import Role, RolePolicy
from store.models import Pattern, Report, Tenant
from tests.bot.test_leader_anonymity import ask, quoted

NOW = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
INVOICES = [  # (reporter, text)
    ("U1", "the supplier invoice portal rejects every PDF. Thanks, Сергей"),
    ("U2", "the supplier invoice needs three signatures 谢谢，王伟"),
    ("U3", "Priya Patel, Finance Assistant: the supplier invoice was paid twice"),
    ("U4", "the supplier invoice line rings out, call me on 447700900123 or 555-2671"),
    ("U5", "the supplier invoice INV-555-2671 was paid twice, SKU 555-2671 never came"),
]
# What a manager must never read.
NEVER = ("Сергей", "王伟", "Priya", "Patel", "447700900123", "555-2671 or")


def _seed(services) -> int:  # type: ignore[no-untyped-def]
    """The invoice reports, from five people, in one pattern; its id."""
    snag = services.snag
    snag.grouper = None
    snag.roles = RolePolicy.from_lists([], ["slack:M1"])
    for n, (user, text) in enumerate(INVOICES):
        message = IncomingMessage(
            snag.person("slack", "T1", user), text, "C1", via="dm", received_at=NOW - timedelta(hours=n)
        )
        assert snag.handle_message(message).kind == "receipt"
    with Session(services.engine) as s:
        tenant = s.exec(select(Tenant)).one()
        pattern = Pattern(tenant_id=tenant.id, title="Supplier invoices")
        s.add(pattern)
        s.commit()
        for report in s.exec(select(Report)).all():
            report.pattern_id = pattern.id
            s.add(report)
        s.commit()
        assert pattern.id is not None
    snag.clock = lambda: NOW + timedelta(days=1)  # asked the next day: a day's reports count from its midnight
    return pattern.id


def test_pattern_search_and_export_show_none_of_the_third_audits_names_or_numbers(services) -> None:  # type: ignore[no-untyped-def]
    pattern = _seed(services)
    quotes = quoted(ask(services, f"pattern {pattern}"))
    shown = ask(services, "search supplier invoice").plain_text()
    manager = replace(services.snag.person("slack", "T1", "M1"), role=Role.MANAGER)
    rows = report_rows(services.repository, manager, k=3, taxonomy=services.taxonomy)
    exported = "\n".join(r["text"] for r in rows if r["text"])
    for said in (" ".join(quotes), shown, exported):
        assert "supplier invoice" in said
        assert not [word for word in NEVER if word in said], said
    assert "Thanks, [name]" in shown and "谢谢，[name]" in shown
    assert "[name]: the supplier invoice was paid twice" in shown and "Finance Assistant" not in shown
    assert "call me on [phone] or [phone]" in shown
    assert "INV-555-2671 was paid twice, SKU 555-2671 never came" in shown, "references stay as written"
