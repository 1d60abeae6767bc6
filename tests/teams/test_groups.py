"""Roles from Azure AD groups: a fake token endpoint and a fake Microsoft Graph on port 0."""

from __future__ import annotations

import asyncio
import json
import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from adapters.server import make_web_app
from adapters.teams.groups import AadGroups
from bot.app import build
from bot.config import Settings
from bot.roles import RolePolicy
from tests.conftest import FixedClassifier
from tests.teams.connector import FakeConnector, fixture

SECRET = "test-app-password-s3cr3t"
TOKEN = "fake-graph-token-t0k3n"
MANAGERS = "grp-managers"


class FakeMicrosoft:
    """login.microsoftonline.com and graph.microsoft.com in one recording test server."""

    def __init__(self, members: dict[str, set[str]]) -> None:
        self.members = members
        self.token_calls: list[tuple[str, dict]] = []
        self.graph_calls: list[tuple[str, str, dict]] = []
        self.graph_status = 200
        self.token_status = 200
        app = web.Application()
        app.router.add_post("/{tenant}/oauth2/v2.0/token", self.token)
        app.router.add_post("/v1.0/users/{user}/checkMemberGroups", self.check)
        self.server = TestServer(app)

    async def token(self, request: web.Request) -> web.Response:
        self.token_calls.append((request.match_info["tenant"], dict(await request.post())))
        if self.token_status != 200:
            return web.json_response({"error": "invalid_client"}, status=self.token_status)
        return web.json_response({"token_type": "Bearer", "expires_in": 3599, "access_token": TOKEN})

    async def check(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.graph_calls.append((request.match_info["user"], request.headers.get("Authorization", ""), body))
        if self.graph_status != 200:
            return web.json_response({"error": {"code": "x"}}, status=self.graph_status)
        mine = self.members.get(request.match_info["user"], set())
        return web.json_response({"value": [g for g in body["groupIds"] if g in mine]})

    @property
    def url(self) -> str:
        return str(self.server.make_url("")).rstrip("/")


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
async def microsoft():  # type: ignore[no-untyped-def]
    fake = FakeMicrosoft({"aad-user-1": {MANAGERS, "grp-other"}})
    await fake.server.start_server()
    yield fake
    await fake.server.close()


def resolver(fake: FakeMicrosoft, clock: Clock | None = None, **policy: list[str]) -> AadGroups:
    roles = RolePolicy.from_lists(
        policy.get("admins", ["teams:group:grp-admins"]),
        policy.get("managers", [f"teams:group:{MANAGERS}", "teams:aad-user-9"]),
    )
    return AadGroups(
        roles, app_id="app-id-1", app_password=SECRET, graph_url=fake.url, login_url=fake.url, clock=clock or Clock()
    )


async def test_member_gets_the_configured_groups_and_non_member_none(microsoft) -> None:  # type: ignore[no-untyped-def]
    groups = resolver(microsoft)
    assert await groups.of("tenant-a", "aad-user-1") == (MANAGERS,)
    assert await groups.of("tenant-a", "aad-user-3") == ()
    tenant, form = microsoft.token_calls[0]
    assert tenant == "tenant-a"
    assert form == {
        "grant_type": "client_credentials",
        "client_id": "app-id-1",
        "client_secret": SECRET,
        "scope": f"{microsoft.url}/.default",
    }
    assert len(microsoft.token_calls) == 1  # the token is reused for the second person
    user, auth, body = microsoft.graph_calls[0]
    assert (user, auth) == ("aad-user-1", f"Bearer {TOKEN}")
    assert body == {"groupIds": ["grp-admins", MANAGERS]}  # only the configured groups are asked about


async def test_memberships_are_cached_per_tenant_and_user(microsoft) -> None:  # type: ignore[no-untyped-def]
    clock = Clock()
    groups = resolver(microsoft, clock)
    for _ in range(3):
        assert await groups.of("tenant-a", "aad-user-1") == (MANAGERS,)
    assert len(microsoft.graph_calls) == 1
    await groups.of("tenant-b", "aad-user-1")  # another tenant is another person and another token
    assert len(microsoft.graph_calls) == 2 and len(microsoft.token_calls) == 2
    clock.now += groups.ttl + 1
    await groups.of("tenant-a", "aad-user-1")
    assert len(microsoft.graph_calls) == 3 and len(microsoft.token_calls) == 2


async def test_concurrent_messages_share_one_graph_call(microsoft) -> None:  # type: ignore[no-untyped-def]
    groups = resolver(microsoft)
    answers = await asyncio.gather(*(groups.of("tenant-a", "aad-user-1") for _ in range(5)))
    assert answers == [(MANAGERS,)] * 5
    assert len(microsoft.graph_calls) == 1


@pytest.mark.parametrize("broken", ["graph", "token"])
async def test_failure_falls_back_to_no_groups_and_logs_without_secrets(
    microsoft,
    caplog,
    broken: str,  # type: ignore[no-untyped-def]
) -> None:
    clock = Clock()
    groups = resolver(microsoft, clock)
    if broken == "graph":
        microsoft.graph_status = 503
    else:
        microsoft.token_status = 401
    with caplog.at_level(logging.DEBUG):
        assert await groups.of("tenant-a", "aad-user-1") == ()
    warnings = [r for r in caplog.records if r.name == "snag.teams.groups" and r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "\n" not in warnings[0].getMessage()
    assert ("503" if broken == "graph" else "401") in warnings[0].getMessage()
    assert SECRET not in caplog.text and TOKEN not in caplog.text
    assert (
        RolePolicy.from_lists([], [f"teams:group:{MANAGERS}", "teams:aad-user-9"])
        .role_of("teams", "aad-user-9", await groups.of("tenant-a", "aad-user-9"))
        .value
        == "manager"
    )
    calls = len(microsoft.graph_calls) + len(microsoft.token_calls)
    await groups.of("tenant-a", "aad-user-1")  # a failing directory is not hammered
    assert len(microsoft.graph_calls) + len(microsoft.token_calls) == calls
    microsoft.graph_status = microsoft.token_status = 200
    clock.now += groups.failure_ttl + 1
    assert await groups.of("tenant-a", "aad-user-1") == (MANAGERS,)


async def test_a_refused_token_is_dropped_and_fetched_again(microsoft) -> None:  # type: ignore[no-untyped-def]
    clock = Clock()
    groups = resolver(microsoft, clock)
    await groups.of("tenant-a", "aad-user-1")
    microsoft.graph_status = 401
    clock.now += groups.ttl + 1
    assert await groups.of("tenant-a", "aad-user-1") == ()
    microsoft.graph_status = 200
    clock.now += groups.failure_ttl + 1
    assert await groups.of("tenant-a", "aad-user-1") == (MANAGERS,)
    assert len(microsoft.token_calls) == 2


async def test_graph_is_skipped_without_group_roles_or_credentials(microsoft) -> None:  # type: ignore[no-untyped-def]
    no_groups = resolver(microsoft, admins=["teams:aad-user-1"], managers=[])
    dev = AadGroups.from_settings(
        Settings(
            _env_file=None,
            env="dev",
            graph_url=microsoft.url,
            login_url=microsoft.url,
            managers=[f"teams:group:{MANAGERS}"],
        ),
        RolePolicy.from_lists([], [f"teams:group:{MANAGERS}"]),
    )
    assert not no_groups.enabled and not dev.enabled
    assert await no_groups.of("tenant-a", "aad-user-1") == () and await dev.of("tenant-a", "aad-user-1") == ()
    assert microsoft.token_calls == [] and microsoft.graph_calls == []


async def test_over_http_a_manager_group_member_can_search_and_others_cannot(
    microsoft,
    tmp_path: Path,  # type: ignore[no-untyped-def]
) -> None:
    connector = FakeConnector()
    await connector.server.start_server()
    settings = Settings(
        _env_file=None,
        env="dev",
        teams=True,
        data_dir=tmp_path / "var",
        database_url=f"sqlite:///{tmp_path / 'groups.db'}",
        reporter_secret="test-secret",
        managers=[f"teams:group:{MANAGERS}"],
    )
    services = build(settings, classifier=FixedClassifier(), migrate=True)
    app = make_web_app(services)
    bot = app["teams"].bot
    assert not bot.groups.enabled  # dev mode without credentials: no Graph at all
    # Credentials go to the group resolver only; activities stay unauthenticated (dev mode).
    bot.groups = AadGroups(
        services.snag.roles, app_id="app-id-1", app_password=SECRET, graph_url=microsoft.url, login_url=microsoft.url
    )
    client = TestClient(TestServer(app))
    await client.start_server()

    async def say(user: str, text: str, activity_id: str) -> str:
        """Every card the answer took (a search goes to the asker's 1:1 chat, a note to the channel)."""
        activity = fixture("message_channel_mention", connector.url, text=f"<at>Snag</at> {text}", id=activity_id)
        activity["from"] = {"id": f"29:{user}", "name": "Someone", "aadObjectId": user}
        before = len(connector.cards())
        response = await client.post("/api/messages", json=activity)
        assert response.status in (200, 201)
        await app["teams"].drain()
        return json.dumps(connector.cards()[before:])

    try:
        await client.post("/api/messages", json=fixture("message_personal", connector.url))
        await app["teams"].drain()
        services.snag.clock = lambda: datetime.now(UTC) + timedelta(days=1)  # the day's reports are in
        # one reporter: the manager's search answers, and lists nothing of a pattern under k
        member = await say("aad-user-1", "search refund", "s-1")
        assert "Reports matching" in member and "for managers" not in member
        assert "refund requests sit in the finance inbox" not in member
        outsider = await say("aad-user-3", "search refund", "s-2")
        assert "Searching individual reports is for managers" in outsider
        assert "Reports matching" not in outsider
        again = await say("aad-user-1", "search finance", "s-3")
        assert "Reports matching" in again
        per_user = [user for user, _auth, _body in microsoft.graph_calls]
        assert per_user.count("aad-user-1") == 1 and per_user.count("aad-user-3") == 1
        assert len(microsoft.token_calls) == 1
    finally:
        await client.close()
        await connector.server.close()


async def test_more_than_twenty_groups_are_checked_in_chunks(microsoft) -> None:  # type: ignore[no-untyped-def]
    many = [f"teams:group:grp-{i:02d}" for i in range(24)] + [f"teams:group:{MANAGERS}"]
    groups = resolver(microsoft, managers=many, admins=[])
    assert await groups.of("tenant-a", "aad-user-1") == (MANAGERS,)
    assert [len(body["groupIds"]) for _u, _a, body in microsoft.graph_calls] == [20, 5]


def test_group_roles_without_a_client_secret_are_announced(caplog: pytest.LogCaptureFixture) -> None:
    """A managed identity has no secret to ask Graph with: its admin is told the groups give no role."""
    from bot.config import Settings

    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        microsoft_app_id="app-1",
        microsoft_app_type="UserAssignedMSI",
        microsoft_app_tenant_id="t",
    )
    with caplog.at_level(logging.WARNING, logger="snag.teams.groups"):
        groups = AadGroups.from_settings(settings, RolePolicy.from_lists([], [f"teams:group:{MANAGERS}"]))
    assert not groups.enabled
    assert "name 1 AAD group(s), but group roles need MicrosoftAppId and MicrosoftAppPassword" in caplog.text
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="snag.teams.groups"):
        AadGroups.from_settings(settings, RolePolicy.from_lists([], ["teams:aad-user-9"]))  # no group: nothing to say
    assert caplog.text == ""
