"""Multi-workspace installs: OAuth over HTTP, tokens encrypted at rest, uninstall forgets them."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import aiohttp
import pytest
from aiohttp.test_utils import TestServer
from slack_sdk.oauth.installation_store.models.bot import Bot
from sqlmodel import Session, select

from adapters.slack.installations import SignedStateStore, SqlInstallationStore
from adapters.slack.messenger import SlackMessenger
from bot.config import Settings
from bot.domain import Reply
from bot.errors import ConfigError
from store.models import SlackInstallation
from tests.slack.conftest import SIGNING_SECRET, SlackDriver, TaggingFake, fixture, serving
from tests.slack.fake_slack import FakeSlack

KEY = "3q8QXTAGaey18yL8FWTqdVlbMr6mcX3yJ3vTdQcDO9E="
TOKEN = "xoxb-installed-secret-token"


def bot(team: str = "T0002", token: str = TOKEN, **kw: Any) -> Bot:
    return Bot(
        team_id=team,
        team_name="Beta",
        bot_token=token,
        bot_id="B2",
        bot_user_id="UBOT2",
        bot_scopes="commands,chat:write",
        installed_at=1700000000.0,
        **kw,
    )


@pytest.fixture
def oauth_settings(tmp_path: Path, fake_slack: FakeSlack) -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        data_dir=tmp_path / "var",
        database_url=f"sqlite:///{tmp_path / 'snag.db'}",
        reporter_secret="r",
        encryption_key=KEY,
        slack_api_url=fake_slack.api_url,
        slack_signing_secret=SIGNING_SECRET,
        slack_client_id="1111.2222",
        slack_client_secret="client-secret-value",
    )


@pytest.fixture
async def oauth_slack(oauth_settings: Settings, fake_slack: FakeSlack) -> AsyncIterator[SlackDriver]:
    from adapters.server import make_web_app
    from bot.app import build

    services = build(oauth_settings, classifier=TaggingFake(), migrate=True)
    app = make_web_app(services)
    server = TestServer(app, host="127.0.0.1", port=0)
    await server.start_server()
    async with aiohttp.ClientSession() as session:
        yield SlackDriver(server, session, app, fake_slack, services)
    await server.close()


def test_tokens_are_stored_encrypted_and_read_back(settings: Settings) -> None:
    from store.db import make_engine, upgrade

    engine = make_engine(settings.resolved_database_url)
    upgrade(engine)
    store = SqlInstallationStore(engine, KEY)
    store.save_bot(bot())
    with Session(engine) as session:
        [row] = session.exec(select(SlackInstallation)).all()
    assert TOKEN.encode() not in row.bot_token_encrypted and row.team_id == "T0002"
    assert store.bot_token(team_id="T0002") == TOKEN
    store.save_bot(bot(token="xoxb-rotated"))
    assert store.bot_token(team_id="T0002") == "xoxb-rotated"
    assert store.bot_token(team_id="T0003") is None
    assert (
        SqlInstallationStore(engine, "Xq8QXTAGaey18yL8FWTqdVlbMr6mcX3yJ3vTdQcDO9E=").bot_token(team_id="T0002") is None
    )
    store.save_bot(bot(team=None, enterprise_id="E1", is_enterprise_install=True))  # type: ignore[arg-type]
    assert store.bot_token(team_id="T0444", enterprise_id="E1") == TOKEN, "an org-wide install covers its teams"
    assert store.delete(enterprise_id=None, team_id="T0002") == 1
    assert store.bot_token(team_id="T0002") is None


def test_a_bad_encryption_key_stops_with_a_sentence(settings: Settings) -> None:
    with pytest.raises(ConfigError, match="SNAG_ENCRYPTION_KEY"):
        SqlInstallationStore(None, "not-a-key")  # type: ignore[arg-type]


async def test_oauth_state_is_signed_and_expires() -> None:
    now = [1000.0]
    store = SignedStateStore("secret", clock=lambda: now[0])
    state = await store.async_issue()
    assert await store.async_consume(state)
    assert not await store.async_consume(state[:-1] + ("0" if state[-1] != "0" else "1"))
    assert not await SignedStateStore("other", clock=lambda: now[0]).async_consume(state)
    now[0] += 601
    assert not await store.async_consume(state)


async def test_add_to_slack_installs_a_workspace_and_its_events_use_that_token(
    oauth_slack: SlackDriver,
) -> None:
    slack = oauth_slack
    async with slack.session.get(slack.server.make_url("/slack/install"), allow_redirects=False) as page:
        html, cookie = await page.text(), page.headers["Set-Cookie"].split(";")[0]
    link = re.search(r'href="(https://slack.com/oauth/v2/authorize[^"]+)"', html)
    assert link is not None
    query = parse_qs(urlsplit(link.group(1).replace("&amp;", "&")).query)
    assert query["client_id"] == ["1111.2222"] and "chat:write" in query["scope"][0]
    redirect = slack.server.make_url(f"/slack/oauth_redirect?code=abc123&state={query['state'][0]}")
    async with slack.session.get(redirect, headers={"Cookie": cookie}, allow_redirects=False) as done:
        assert done.status == 200, await done.text()
    [access] = slack.fake.called("oauth.v2.access")
    assert access.params["code"] == "abc123"
    with Session(slack.services.engine) as session:
        [row] = session.exec(select(SlackInstallation)).all()
    assert row.team_id == "T0002" and TOKEN.encode() not in row.bot_token_encrypted

    event = fixture("event_message_im") | {"team_id": "T0002", "context_team_id": "T0002"}
    event["authorizations"][0]["team_id"] = "T0002"
    await slack.event(event)
    [post] = slack.fake.called("chat.postMessage")
    assert post.token == TOKEN
    assert slack.reports()[0].text == "we retype every order into SAP & the CRM"

    messenger = SlackMessenger.from_services(slack.services)
    await messenger.send(
        platform="slack",
        tenant="T0002",
        destination="C1",
        reply=Reply(kind="digest", title="Digest"),
    )
    assert slack.fake.called("chat.postMessage")[-1].token == TOKEN

    await slack.event(fixture("event_app_uninstalled") | {"team_id": "T0002"})
    with Session(slack.services.engine) as session:
        assert session.exec(select(SlackInstallation)).all() == []


async def test_an_oauth_redirect_with_a_forged_state_installs_nothing(
    oauth_slack: SlackDriver,
) -> None:
    url = oauth_slack.server.make_url("/slack/oauth_redirect?code=abc&state=1.forged.00")
    async with oauth_slack.session.get(url, headers={"Cookie": "slack-app-oauth-state=1.forged.00"}) as response:
        assert response.status >= 400
    assert oauth_slack.fake.called("oauth.v2.access") == []


async def test_a_receipt_owed_in_a_workspace_goes_out_with_its_token_and_not_once_snag_is_removed(
    oauth_settings: Settings, fake_slack: FakeSlack
) -> None:
    from bot.app import build
    from tests.slack.test_event_crash import Stuck, die

    services = build(oauth_settings, classifier=TaggingFake(), migrate=True)
    installations = SqlInstallationStore(services.engine, KEY)
    installations.save_bot(bot())
    event = fixture("event_message_im") | {"team_id": "T0002", "context_team_id": "T0002"}
    event["authorizations"][0]["team_id"] = "T0002"
    for uninstalled in (False, True):
        stuck = Stuck(services.classifier.classify, then_fail=True)
        services.classifier.classify = stuck
        async with serving(services, fake_slack) as slack:
            await slack.event(event | {"event_id": f"Ev{uninstalled}"}, drain=False)
            assert await asyncio.to_thread(stuck.entered.wait, 5)
            await die(slack)
        stuck.resume.set()
        if uninstalled:
            installations.delete(enterprise_id=None, team_id="T0002")
        async with serving(services, fake_slack) as restarted:
            await restarted.runtime.drain()
        posts = fake_slack.called("chat.postMessage")
        assert [p.token for p in posts] == [TOKEN], uninstalled
    services.engine.dispose()


async def test_a_workspace_that_reinstalled_snag_is_reached_with_its_new_token(
    oauth_settings: Settings, fake_slack: FakeSlack
) -> None:
    """The messenger kept each workspace's first client: after a reinstall every digest used the revoked token."""
    from sqlmodel import create_engine

    from store.db import upgrade

    engine = create_engine(oauth_settings.resolved_database_url)
    upgrade(engine)
    installations = SqlInstallationStore(engine, KEY)
    installations.save_bot(bot(token="xoxb-first-install"))
    messenger = SlackMessenger(oauth_settings, installations=installations, min_interval=0)
    said = Reply(kind="text", title="The pattern you reported is being worked on.")
    await messenger.send(platform="slack", tenant="T0002", destination="C1", reply=said)
    installations.delete(enterprise_id=None, team_id="T0002")
    installations.save_bot(bot(token="xoxb-second-install"))
    await messenger.send(platform="slack", tenant="T0002", destination="C1", reply=said)
    assert [p.token for p in fake_slack.called("chat.postMessage")] == ["xoxb-first-install", "xoxb-second-install"]
    engine.dispose()
