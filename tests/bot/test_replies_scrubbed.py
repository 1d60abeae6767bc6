"""A reply under your own report is added to its words after a marker (bot.editing.ALSO): the
sign-off that ended the report, and an introduction opening the reply, still read [name] to
leaders in `pattern <id>`, `search` and the export, and the report counts as naming someone."""

from __future__ import annotations

from dataclasses import replace

from bot.domain import IncomingMessage
from bot.editing import ALSO
from bot.exporting import report_rows
from bot.roles import Role
from bot.signoffs import names_writer, plain_first
from tests.bot.test_leader_anonymity import ask, quoted, seed

SIGNED = "the kiosk login fails every morning so the night shift starts late. Thanks, Priya"
REPLY = "it happened again this morning at 6"
INTRODUCED = "Sam here, it was kiosk 2 both times"


def _said(services, user: str, text: str, message_id: str) -> IncomingMessage:  # type: ignore[no-untyped-def]
    person = services.snag.person("slack", "T1", user)
    return IncomingMessage(person=person, text=text, channel=f"D-{user}", via="dm", message_id=message_id)


def _reply(services, user: str, text: str, message_id: str, under: str) -> None:  # type: ignore[no-untyped-def]
    """Reply in the thread under one's own report, as the Slack adapter hands it to the core."""
    done = services.snag.add_to_report(_said(services, user, text, message_id), under)
    assert done is not None and done.changed is not None
    services.snag.finish_edit(done)


def test_a_reply_under_a_signed_report_does_not_bring_the_name_back(services) -> None:  # type: ignore[no-untyped-def]
    assert services.snag.handle_message(_said(services, "U6", SIGNED, "100.1")).kind == "receipt"
    _reply(services, "U6", REPLY, "100.2", under="100.1")
    assert services.snag.handle_message(_said(services, "U7", "kiosk login broken again", "200.1")).kind == "receipt"
    _reply(services, "U7", INTRODUCED, "200.2", under="200.1")
    kiosk, _ = seed(services)  # U6's and U7's reports join the kiosk pattern of four reporters

    found = ask(services, "search happened")
    shown = found.plain_text()
    assert f"Thanks, [name]{ALSO}{REPLY}" in shown and "Priya" not in shown

    said = ask(services, "search kiosk").plain_text()
    assert f"kiosk login broken again{ALSO}[name] here, it was kiosk 2" in said and "Sam here" not in said

    quotes = quoted(ask(services, f"pattern {kiosk}"))
    assert quotes and not any("Priya" in q or "Sam here" in q for q in quotes)

    manager = replace(services.snag.person("slack", "T1", "M1"), role=Role.MANAGER)
    texts = [row["text"] for row in report_rows(services.repository, manager, k=3, taxonomy=services.taxonomy)]
    assert f"{SIGNED[: -len('Priya')]}[name]{ALSO}{REPLY}" in texts
    assert not any("Priya" in t or "Sam here" in t for t in texts if t)


def test_a_report_signed_before_a_reply_names_its_writer() -> None:
    assert names_writer(f"{SIGNED}{ALSO}{REPLY}", None)
    assert names_writer(f"the kiosk login fails{ALSO}{INTRODUCED}", None)
    assert not names_writer(f"the kiosk login fails{ALSO}{REPLY}", None)
    plain = f"the kiosk login fails{ALSO}{REPLY}"
    assert plain_first([f"{SIGNED}{ALSO}{REPLY}", plain], 1, text=str, taxonomy=None) == [plain]
