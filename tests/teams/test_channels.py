"""A channel is one place, whichever thread Snag was mentioned in (`;messageid=` is a thread)."""

from __future__ import annotations

from sqlmodel import Session, select

from bot.domain import Reply, Section
from store.models import Subscription
from tests.teams.connector import OPS, fixture, in_thread, refs, titles

ADMIN = {"id": "29:1admin", "aadObjectId": "aad-admin"}
SAM = {"id": "29:1user-one", "name": "Sam Reporter", "aadObjectId": "aad-user-1"}


def destinations(services) -> list[str]:  # type: ignore[no-untyped-def]
    with Session(services.engine) as s:
        return [row.destination for row in s.exec(select(Subscription)).all()]


async def test_subscribe_in_one_thread_and_unsubscribe_in_another(teams) -> None:  # type: ignore[no-untyped-def]
    services, client, connector = teams
    await client.post("/api/messages", json=in_thread(connector.url, "1700000000002", "subscribe all", ADMIN))
    assert destinations(services) == [OPS]
    await client.post("/api/messages", json=in_thread(connector.url, "1700000009999", "unsubscribe", ADMIN))
    assert titles(connector)[-1] == "Unsubscribed 1 digest subscription(s) here."
    assert destinations(services) == []


async def test_a_digest_to_a_channel_is_a_new_post_not_a_reply_in_an_old_thread(teams) -> None:  # type: ignore[no-untyped-def]
    services, client, connector = teams
    await client.post("/api/messages", json=in_thread(connector.url, "1700000000002", "top 30d", ADMIN))
    assert [r.conversation_id for r in refs(services)] == [OPS]
    connector.calls.clear()
    reply = Reply(kind="digest", title="Weekly digest", sections=(Section(text="3 new patterns"),))
    await services.extras["messengers"]["teams"].send(platform="teams", tenant="tenant-a", destination=OPS, reply=reply)
    [(path, _body)] = connector.calls
    assert path.startswith(f"/v3/conversations/{OPS}/activities")  # the channel, not a thread of it


async def test_removal_from_a_team_forgets_every_reference_made_in_it(teams) -> None:  # type: ignore[no-untyped-def]
    services, client, connector = teams
    install = fixture("installation_update_add", connector.url)
    await client.post("/api/messages", json=install)
    await client.post("/api/messages", json=in_thread(connector.url, "1700000000002", "top 30d", ADMIN))
    report = in_thread(connector.url, "1700000000003", "the scanner app logs us out every hour", SAM)
    await client.post("/api/messages", json=report)
    await client.post("/api/messages", json=fixture("message_personal", connector.url))
    kept = "a:1personal-chat-1"
    assert {r.conversation_id for r in refs(services)} == {
        install["conversation"]["id"],
        OPS,
        "user:29:1user-one",
        kept,
    }
    await client.post("/api/messages", json=dict(install, id="f:remove", action="remove"))
    assert [r.conversation_id for r in refs(services)] == [kept]
