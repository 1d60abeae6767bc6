"""End to end: a week of demo reports, subscriptions in Slack and Teams, the scheduler's sender,
and the real messengers posting over HTTP to the local fake Slack Web API and Bot Connector."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from aiohttp import web
from aiohttp.test_utils import TestServer

from adapters.messengers import build_messengers
from digests.delivery import AsyncRunner, DigestSender
from digests.demo import load_demo
from digests.subscriptions import subscribe
from store.conversations import save_reference
from store.db import session_scope
from tests.digests.conftest import NOW, make_services
from tests.slack.fake_slack import FakeSlack
from tests.teams.cards import assert_valid_card


class Connector:
    """A Bot Connector on port 0 in its own loop thread, recording proactive activities."""

    def __init__(self, runner: AsyncRunner) -> None:
        self.bodies: list[dict] = []
        app = web.Application()
        app.router.add_post("/v3/conversations/{cid}/activities", self.activity)
        app.router.add_post("/v3/conversations/{cid}/activities/{aid}", self.activity)
        app.router.add_route("*", "/{tail:.*}", self.unexpected)
        self.server = TestServer(app)
        runner.run(self.server.start_server())

    async def unexpected(self, request: web.Request) -> web.Response:
        self.bodies.append({"unexpected": f"{request.method} {request.path}"})
        return web.json_response({"error": "unexpected"}, status=404)

    async def activity(self, request: web.Request) -> web.Response:
        self.bodies.append(await request.json())
        return web.json_response({"id": "a1"})


def test_weekly_digest_reaches_slack_with_charts_and_teams_as_a_card(tmp_path: Path) -> None:
    fake = FakeSlack()
    fake.start()
    runner = AsyncRunner()
    connector = Connector(runner)
    try:
        services = make_services(
            tmp_path,
            slack_bot_token="xoxb-test-digest",
            slack_signing_secret="test-signing-secret",
            slack_api_url=fake.api_url,
            env="dev",
            teams=True,
        )
        load_demo(services, now=NOW, platform="slack", tenant="T0001")
        load_demo(services, now=NOW, platform="teams", tenant="tenant-x")
        with session_scope(services.engine) as session:
            slack_sub = subscribe(
                session=session,
                platform="slack",
                tenant="T0001",
                audience="all",
                destination="C0LEADERS",
                cron="0 9 * * mon",
                timezone="UTC",
            ).id
            teams_sub = subscribe(
                session=session,
                platform="teams",
                tenant="tenant-x",
                audience="all",
                destination="19:leads@thread.tacv2",
                cron="0 9 * * mon",
                timezone="UTC",
            ).id
            save_reference(
                session=session,
                platform="teams",
                tenant="tenant-x",
                conversation_id="19:leads@thread.tacv2",
                reference={
                    "conversation": {"id": "19:leads@thread.tacv2", "isGroup": True},
                    "serviceUrl": str(connector.server.make_url("/")),
                    "channelId": "msteams",
                    "bot": {"id": "28:bot"},
                },
            )
        messengers = build_messengers(services)
        sender = DigestSender(
            engine=services.engine, digests=services.extras["digests"], messengers=messengers, runner=runner
        )
        assert sender.send(slack_sub, NOW) == "sent"
        assert sender.send(teams_sub, NOW) == "sent", connector.bodies
        assert sender.send(slack_sub, NOW) == "skipped"  # exactly once per audience and period

        posts = fake.called("chat.postMessage")
        assert posts and posts[0].params["channel"] == "C0LEADERS"
        blocks = json.dumps(
            [
                json.loads(p.params["blocks"]) if isinstance(p.params.get("blocks"), str) else p.params.get("blocks")
                for p in posts
            ]
        )
        assert "2026-W47" in blocks or "Week" in blocks
        assert fake.called("files.completeUploadExternal"), fake.methods()
        [activity] = connector.bodies
        card = activity["attachments"][0]["content"]
        assert_valid_card(card)
        assert "2026-W47" in json.dumps(card)
        services.engine.dispose()
    finally:
        runner.run(connector.server.close())
        runner.close()
        fake.stop()
        asyncio.set_event_loop(None)
