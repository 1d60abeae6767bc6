"""A database outage in Slack, over signed HTTP: a reply in a report's thread and an edit of the
DM that filed it are kept and applied once the outbox is replayed, each answered "saved"; a
report stored just before the outage met its tagging is answered with its number."""

from __future__ import annotations

import sqlite3
from typing import Any

import pytest
from sqlalchemy import event

from bot.app import recover
from tests.slack.conftest import SlackDriver, TaggingFake
from tests.slack.test_edits import _dm, _edit, _posts, _reply
from tests.slack.validate import answer_text

OUTAGE = "cannot be reached"


class Outage:
    """The database refusing every statement while `down`, as an unreachable one does; `after`
    words: it goes down while the classifier first reads a report saying them (after its commit)."""

    def __init__(self, engine: Any, classifier: TaggingFake, after: str = "FLIP") -> None:
        self.down, self.flipped = False, False
        event.listen(engine, "before_cursor_execute", self._refuse)
        classify = classifier.classify

        def going_down(text: str) -> Any:
            if after in text and not self.flipped:
                self.down = self.flipped = True
            return classify(text)

        classifier.classify = going_down  # type: ignore[method-assign]

    def _refuse(self, *_args: Any) -> None:
        if self.down:
            raise sqlite3.OperationalError("unable to open database file")


@pytest.fixture
def outage(slack_services: Any, classifier: TaggingFake) -> Outage:
    return Outage(slack_services.engine, classifier)


def _read(slack: SlackDriver, since: int) -> str:
    return "\n".join(f"{p.params.get('text')}\n{answer_text(p.params)}" for p in _posts(slack, since))


async def test_a_thread_reply_and_an_edit_in_an_outage_are_kept_then_applied(
    slack: SlackDriver, outage: Outage
) -> None:
    original = _dm("the label printer jams every morning", 1)
    await slack.event(original)
    outage.down = True

    before = len(_posts(slack, 0))
    await slack.event(_reply("and the spare one has no toner", 2, original))
    said = _read(slack, before)
    assert "Your reply is saved" in said and OUTAGE not in said

    before = len(_posts(slack, 0))
    await slack.event(_edit(original, "the label printer at dock 4 jams every morning", 3))
    said = _read(slack, before)
    assert "Your edit is saved" in said and OUTAGE not in said

    outage.down = False
    assert [r.text for r in slack.reports()] == ["the label printer jams every morning"]
    assert recover(slack.services)[0] == 2  # the server's recovery loop
    assert [r.text for r in slack.reports()] == [
        "the label printer at dock 4 jams every morning; also: and the spare one has no toner"
    ]


async def test_a_report_whose_tagging_meets_an_outage_is_answered_with_its_number(
    slack: SlackDriver, outage: Outage
) -> None:
    before = len(_posts(slack, 0))
    await slack.event(_dm("FLIP the van app crashes when we scan a damaged parcel", 4))
    said = _read(slack, before)
    outage.down = False
    stored = slack.reports()
    assert len(stored) == 1 and stored[0].tag_source is None
    assert f"saved as report #{stored[0].id}" in said and "the tags will follow" in said and OUTAGE not in said
    assert recover(slack.services) == (0, 1)  # the recovery sweep tags it
    assert slack.reports()[0].stage == "billing"


async def test_an_edited_thread_reply_in_an_outage_is_kept_then_applied(slack: SlackDriver, outage: Outage) -> None:
    original = _dm("the label printer jams every morning", 5)
    await slack.event(original)
    reply = _reply("and the spare one has no toner", 6, original)
    await slack.event(reply)
    outage.down = True
    edited = _edit(reply, "and the spare one at dock 4 has no toner", 7)
    for part in ("message", "previous_message"):
        edited["event"][part]["thread_ts"] = original["event"]["ts"]
    before = len(_posts(slack, 0))
    await slack.event(edited)
    said = _read(slack, before)
    assert "Your edit is saved" in said and OUTAGE not in said
    outage.down = False
    recover(slack.services)
    assert [r.text for r in slack.reports()] == [
        "the label printer jams every morning; also: and the spare one at dock 4 has no toner"
    ]
