"""A button on the receipt of an erased report never reaches the report filed after it.

Receipts carry report numbers, and a manager or admin may act on any report of their workspace:
on SQLite the erased report's number went to the next report, so the old receipt's buttons
confirmed, or fixed the tags of, someone else's report.
"""

from __future__ import annotations

from dataclasses import replace

from bot.domain import ActionEvent, IncomingMessage, Role


def test_an_erased_reports_receipt_button_reaches_no_other_report(services) -> None:  # type: ignore[no-untyped-def]
    snag = services.snag
    manager = replace(snag.person("slack", "T1", "U1"), role=Role.MANAGER)
    staff = snag.person("slack", "T1", "U2")
    receipt = snag.handle_message(IncomingMessage(manager, "the returns label printer jams every morning", "D1"))
    number = receipt.report_id
    assert number is not None
    erased = snag.handle_message(IncomingMessage(manager, f"erase {number}", "D1"))
    assert "Erased your report" in (erased.title or "")
    theirs = snag.handle_message(IncomingMessage(staff, "refunds wait a week for finance to sign off", "D2"))
    assert theirs.report_id != number
    answer = snag.handle_action(ActionEvent(manager, number, "confirm"))
    assert "no longer stored" in (answer.title or "")
    (report,) = services.repository.list_reports(person=staff, reporter_key=snag.key_of(staff))
    assert report.status != "confirmed"  # the staff member's report is untouched


def test_a_manager_cannot_open_someone_elses_private_report_by_its_number(services) -> None:  # type: ignore[no-untyped-def]
    """A forged button (Teams card data comes from the client) with another person's report number
    showed a manager the report's words as stored, sign-off and all, and let them change its tags."""
    snag = services.snag
    manager = replace(snag.person("slack", "T1", "U1"), role=Role.MANAGER)
    staff = snag.person("slack", "T1", "U2")
    private = snag.handle_message(
        IncomingMessage(staff, "the refund form loses the order number every time. Thanks, Priya Shah", "D2")
    )
    assert private.report_id is not None
    for name in ("fix", "confirm"):
        answer = snag.handle_action(ActionEvent(manager, private.report_id, name))
        assert answer.kind == "error" and "Only the person who filed a report can change it." in (answer.title or "")
        assert "Priya" not in answer.plain_text()
    (report,) = services.repository.list_reports(person=staff, reporter_key=snag.key_of(staff))
    assert report.status != "confirmed"


def test_a_manager_may_still_fix_the_tags_of_a_report_filed_in_a_channel(services) -> None:  # type: ignore[no-untyped-def]
    """A channel's receipt is there for everyone in it; a manager may correct its tags."""
    snag = services.snag
    manager = replace(snag.person("slack", "T1", "U1"), role=Role.MANAGER)
    staff = snag.person("slack", "T1", "U2")
    shared = snag.handle_message(
        IncomingMessage(staff, "the returns label printer jams every morning", "C1", via="mention")
    )
    assert shared.report_id is not None
    answer = snag.handle_action(ActionEvent(manager, shared.report_id, "fix"))
    assert answer.kind != "error", answer.title
