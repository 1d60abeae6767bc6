"""A fake Bot Connector on port 0 and helpers to read what the bot stored and sent."""

from __future__ import annotations

import json
from pathlib import Path

from aiohttp import web
from aiohttp.test_utils import TestServer
from sqlmodel import Session, select

from store.models import ConversationRef, Report

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "teams"


def fixture(name: str, service_url: str, **changes: object) -> dict:
    activity = json.loads((FIXTURES / f"{name}.json").read_text())
    activity["serviceUrl"] = service_url
    activity.update(changes)
    return activity


class FakeConnector:
    """A Bot Connector on port 0 that records every call and answers with scripted statuses."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict]] = []
        self.authorizations: list[str] = []  # each call's Authorization header ("" without one)
        self.statuses: list[int] = []
        self.app = web.Application()
        self.app.router.add_post("/v3/conversations", self.conversation)
        self.app.router.add_post("/v3/conversations/{cid}/activities", self.activity)
        self.app.router.add_post("/v3/conversations/{cid}/activities/{aid}", self.activity)
        self.app.router.add_get("/v3/conversations/{cid}/members/{mid}", self.member)
        self.roster: dict[str, dict] = {}  # Teams id -> the member Teams answers for it
        self.asked: list[str] = []  # the members looked up
        self.server = TestServer(self.app)

    async def _record(self, request: web.Request) -> web.Response | None:
        self.calls.append((request.path, await request.json()))
        self.authorizations.append(request.headers.get("Authorization", ""))
        status = self.statuses.pop(0) if self.statuses else 200
        if status >= 400:
            return web.json_response({"error": {"code": "x", "message": "scripted"}}, status=status)
        return None

    async def activity(self, request: web.Request) -> web.Response:
        return await self._record(request) or web.json_response({"id": f"act-{len(self.calls)}"})

    async def member(self, request: web.Request) -> web.Response:
        """One member of a conversation, by Teams id, as Teams answers it (with the AAD object id)."""
        who = request.match_info["mid"]
        self.asked.append(who)
        found = self.roster.get(who)
        if found is None:
            return web.json_response({"error": {"code": "MemberNotFoundInConversation"}}, status=404)
        return web.json_response(found)

    async def conversation(self, request: web.Request) -> web.Response:
        """Create (or find) a conversation, as Teams does for a bot's 1:1 chat with a user."""
        failed = await self._record(request)
        return failed or web.json_response({"id": f"a:1created-{len(self.created())}"})

    @property
    def url(self) -> str:
        return str(self.server.make_url("/"))

    def cards(self) -> list[dict]:
        return [body["attachments"][0]["content"] for _, body in self.calls if body.get("attachments")]

    def created(self) -> list[dict]:
        """The bodies of every POST /v3/conversations."""
        return [body for path, body in self.calls if path == "/v3/conversations"]

    def sent_to(self, conversation_id: str) -> list[dict]:
        return [body for path, body in self.calls if path.startswith(f"/v3/conversations/{conversation_id}/")]


OPS = "19:channel-ops@thread.tacv2"


def in_thread(url: str, message_id: str, text: str, sender: dict) -> dict:
    """An @mention of Snag in a thread of the ops channel, as Teams sends it (`;messageid=` is the thread)."""
    conversation = {"isGroup": True, "conversationType": "channel", "tenantId": "tenant-a"}
    conversation["id"] = f"{OPS};messageid={message_id}"
    return fixture(
        "message_channel_mention",
        url,
        id=message_id,
        text=f"<at>Snag</at> {text}",
        conversation=conversation,
        **{"from": sender},
    )


def reports(services) -> list[Report]:  # type: ignore[no-untyped-def]
    with Session(services.engine) as s:
        return list(s.exec(select(Report).order_by(Report.id)).all())


def refs(services) -> list[ConversationRef]:  # type: ignore[no-untyped-def]
    with Session(services.engine) as s:
        return list(s.exec(select(ConversationRef).order_by(ConversationRef.id)).all())


def titles(connector: FakeConnector) -> list[str]:
    """The first line of every card the bot sent (all its runs: what to type is a run of its own)."""
    return ["".join(run["text"] for run in card["body"][0]["inlines"]) for card in connector.cards()]
