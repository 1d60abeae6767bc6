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
