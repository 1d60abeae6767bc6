"""Teams keeps a 1:1 chat as a reporter's only once a report of theirs is stored, and erasing all of
theirs leaves nothing that reaches them: the answer to `erase mine confirm` (or to a "yes please"
just after `erase mine`) does not link the chat to them again. Real aiohttp endpoint, fake connector."""

from __future__ import annotations

from pathlib import Path

from sqlmodel import Session, select

from store.models import Report
from tests.teams import test_references as references
from tests.teams.connector import FakeConnector, fixture, in_thread, titles
from tests.teams.test_references import REFUNDS, SAM, post, serving, stored

connector = references.connector  # the same fixture: a fake Bot Connector


def _linked(services, key: str) -> list[str]:  # type: ignore[no-untyped-def]
    return [r.conversation_id for r in stored(services) if r.reporter_key == key]


async def test_a_hello_from_someone_who_never_reported_links_no_chat_to_them(
    tmp_path: Path, connector: FakeConnector
) -> None:
    async for services, client, app in serving(tmp_path, connector):
        key = services.snag.key_of(services.snag.person("teams", "tenant-a", "aad-user-1"))
        await post(client, app, fixture("message_personal", connector.url, text="hello"))
        assert titles(connector)[-1].startswith("Hi!")  # answered in the turn
        assert [r.conversation_id for r in stored(services)] == ["a:1personal-chat-1"]
        assert _linked(services, key) == []
        await post(client, app, fixture("message_personal", connector.url, id="1700000000002"))  # a report
        assert _linked(services, key) == ["a:1personal-chat-1"]


async def _two_reports(services, client, app, connector: FakeConnector) -> str:  # type: ignore[no-untyped-def]
    key = services.snag.key_of(services.snag.person("teams", "tenant-a", "aad-user-1"))
    await post(client, app, fixture("message_personal", connector.url))
    await post(client, app, in_thread(connector.url, "1700000000010", REFUNDS + " again", SAM))
    assert sorted(_linked(services, key)) == ["a:1personal-chat-1", "user:29:1user-one"]
    return key


async def test_erase_mine_confirm_leaves_no_reference_keyed_to_the_reporter(
    tmp_path: Path, connector: FakeConnector
) -> None:
    async for services, client, app in serving(tmp_path, connector):
        key = await _two_reports(services, client, app, connector)
        await post(
            client, app, fixture("message_personal", connector.url, id="1700000000099", text="erase mine confirm")
        )
        assert titles(connector)[-1] == "Erased all 2 of your report(s) and everything linked to them."
        with Session(services.engine) as session:
            assert session.exec(select(Report)).all() == []
        assert _linked(services, key) == []


async def test_yes_please_after_erase_mine_erases_and_keeps_nothing_that_reaches_them(
    tmp_path: Path, connector: FakeConnector
) -> None:
    async for services, client, app in serving(tmp_path, connector):
        key = await _two_reports(services, client, app, connector)
        await post(client, app, fixture("message_personal", connector.url, id="1700000000098", text="erase mine"))
        assert "type erase mine confirm." in titles(connector)[-1]
        await post(client, app, fixture("message_personal", connector.url, id="1700000000099", text="yes please"))
        assert titles(connector)[-1] == "Erased all 2 of your report(s) and everything linked to them."
        with Session(services.engine) as session:
            assert session.exec(select(Report)).all() == []
        assert _linked(services, key) == []
