"""An edit's new words are stored before Teams gets its HTTP answer; tagging them again, regrouping
and the answer come after, so a slow classifier never keeps Teams waiting (it allows ~15 s)."""

from __future__ import annotations

import asyncio
import threading
from dataclasses import replace

from bot.domain import Tags
from tests.conftest import FixedClassifier
from tests.teams.connector import fixture, reports, titles
from tests.teams.test_edits import _edit
from tests.teams.test_owed_receipts import post_only

EDITED = "the van for the warehouse dispatch broke down again and nobody has fixed the tracking tool"


class Held(FixedClassifier):
    """Tags that follow the words; the edited words wait for `release` (a slow model, a busy machine)."""

    def __init__(self) -> None:
        super().__init__()
        self.entered, self.release = threading.Event(), threading.Event()

    def classify(self, text: str) -> Tags:
        tags = super().classify(text)
        if "van" not in text:
            return tags
        self.entered.set()
        assert self.release.wait(10)
        return replace(tags, stage="delivery", kinds=("system_failure",), teams=("warehouse",), handoff=None)


async def test_an_edit_is_answered_while_its_tagging_is_held_and_the_tags_follow_after(teams) -> None:  # type: ignore[no-untyped-def]
    services, client, connector = teams
    held = Held()
    services.snag.classifier.classify = held.classify
    await client.post("/api/messages", json=fixture("message_personal", connector.url))
    [row] = reports(services)
    assert row.stage == "billing"
    sent = len(connector.calls)
    try:
        status = await asyncio.wait_for(post_only(client, _edit(connector.url, EDITED)), 5)
        assert status == 201
        assert await asyncio.to_thread(held.entered.wait, 5)  # tagging the new words, held
        [row] = reports(services)
        assert row.text == EDITED and row.stage == "billing"  # stored already; tagged not yet
        assert connector.calls[sent:] == []  # the answer waits for the tags
    finally:
        held.release.set()
    await client.server.app["teams"].drain()
    [row] = reports(services)
    assert (row.stage, row.kinds, row.teams) == ("delivery", ["system_failure"], ["warehouse"])
    assert titles(connector)[-1] == f"Updated report #{row.id}." and len(connector.calls) == sent + 1


async def test_an_edit_whose_answer_fails_is_acknowledged_and_still_tagged_again(teams) -> None:  # type: ignore[no-untyped-def]
    services, client, connector = teams
    held = Held()
    held.release.set()
    services.snag.classifier.classify = held.classify
    await client.post("/api/messages", json=fixture("message_personal", connector.url))
    connector.statuses = [500, 500]  # the answer and the apology
    assert (await client.post("/api/messages", json=_edit(connector.url, EDITED))).status == 201
    [row] = reports(services)
    assert (row.text, row.stage) == (EDITED, "delivery")
