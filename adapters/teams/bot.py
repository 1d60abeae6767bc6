"""The Teams activity handler: thin, it translates and calls the core off the event loop."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any

from botbuilder.core import CardFactory, MessageFactory, TurnContext
from botbuilder.core.teams import TeamsActivityHandler
from botbuilder.schema import (
    Activity,
    AdaptiveCardInvokeResponse,
    AdaptiveCardInvokeValue,
    Attachment,
    InvokeResponse,
)
from botbuilder.schema.teams import (
    MessagingExtensionAction,
    MessagingExtensionActionResponse,
    TaskModuleContinueResponse,
    TaskModuleMessageResponse,
    TaskModuleTaskInfo,
)

from adapters.teams import inbound
from adapters.teams.groups import AadGroups
from adapters.teams.references import References
from adapters.teams.render import card_for
from bot.core import Capture
from bot.domain import IncomingMessage, Person, Reply

if TYPE_CHECKING:
    from bot.app import Services

__all__ = ["SnagTeamsBot"]

log = logging.getLogger("snag.teams")


class SnagTeamsBot(TeamsActivityHandler):
    def __init__(self, services: Services, references: References) -> None:
        self.services = services
        self.snag = services.snag
        self.references = references
        # Reports the endpoint committed before acknowledging Teams, by activity id.
        self.prestored: dict[str, Capture] = {}
        self.groups = AadGroups.from_settings(services.settings, services.snag.roles)

    def person_of(self, activity: Activity) -> Person:
        """The Person behind an activity, with the role their id or AAD groups give them."""
        raw = activity.serialize()
        tenant, user = inbound.tenant_of(raw), inbound.user_of(raw)
        return self.snag.person("teams", tenant, user, groups=self.groups.known(tenant, user))

    async def resolve_groups(self, activity: Activity) -> None:
        """Look up the sender's AAD groups (cached) before the turn builds its Person."""
        if not self.groups.enabled:
            return
        raw = activity.serialize()
        aad_id = (raw.get("from") or {}).get("aadObjectId")
        await self.groups.of(inbound.tenant_of(raw), aad_id)

    def _person(self, turn: TurnContext) -> Person:
        return self.person_of(turn.activity)

    def incoming(self, activity: Activity) -> IncomingMessage:
        """The core message for a typed Teams message, without the bot's @mention."""
        text = (TurnContext.remove_recipient_mention(activity) or "").strip()
        personal = (activity.conversation.conversation_type or "personal") == "personal"
        return IncomingMessage(
            person=self.person_of(activity),
            text=text,
            channel=activity.conversation.id,
            via="dm" if personal else "mention",
            event_id=f"teams:{activity.id}" if activity.id else None,
        )

    async def _send(self, turn: TurnContext, reply: Reply) -> None:
        attachment = CardFactory.adaptive_card(card_for(reply))
        await turn.send_activity(MessageFactory.attachment(attachment))

    async def _remember(self, turn: TurnContext, person: Person) -> None:
        personal = (turn.activity.conversation.conversation_type or "personal") == "personal"
        await asyncio.to_thread(self.references.save, turn.activity, self.snag.key_of(person) if personal else None)

    # ---- messages ----

    async def on_message_activity(self, turn: TurnContext) -> None:
        person = self._person(turn)
        await self._remember(turn, person)
        if turn.activity.value:
            await self._on_submit(turn, person, turn.activity.value)
            return
        capture = self.prestored.pop(turn.activity.id or "", None)
        if capture is not None:
            reply = await asyncio.to_thread(self.snag.finish_report, capture)
        else:
            reply = await asyncio.to_thread(self.snag.handle_message, self.incoming(turn.activity))
        await self._send(turn, reply)

    async def _on_submit(self, turn: TurnContext, person: Person, value: dict) -> None:
        if turn.activity.id and not await asyncio.to_thread(self.references.first_delivery, turn.activity.id):
            return
        events = inbound.action_events(person, value)
        if not events:
            await self._send(turn, Reply(kind="error", title="That button has expired. Send a new report."))
            return
        for event in events:
            reply = await asyncio.to_thread(self.snag.handle_action, event)
            await self._send(turn, reply)

    async def on_adaptive_card_invoke(
        self, turn: TurnContext, invoke_value: AdaptiveCardInvokeValue
    ) -> AdaptiveCardInvokeResponse:
        """Universal Actions (Action.Execute): answer with the updated card in place."""
        person = self._person(turn)
        action = invoke_value.action
        if not isinstance(action, dict):  # the SDK hands over a model or a plain dict
            action = {"verb": getattr(action, "verb", None), "data": getattr(action, "data", None)}
        data = dict(action.get("data") or {}) if isinstance(action.get("data"), dict) else {}
        data.setdefault("snag", action.get("verb") or "")
        events = inbound.action_events(person, data)
        reply = Reply(kind="error", title="That button has expired. Send a new report.")
        for event in events:
            reply = await asyncio.to_thread(self.snag.handle_action, event)
        return AdaptiveCardInvokeResponse(
            status_code=200, type="application/vnd.microsoft.card.adaptive", value=card_for(reply)
        )

    # ---- installation and membership ----

    async def on_installation_update_add(self, turn: TurnContext) -> None:
        await self._remember(turn, self._person(turn))
        await self._send(
            turn,
            Reply(kind="text", title="Hi, I'm Snag. Tell me in a sentence what got in the way today, or type help."),
        )

    async def on_installation_update_remove(self, turn: TurnContext) -> None:
        if (turn.activity.action or "") == "remove-upgrade":
            return  # an upgrade in progress keeps its references
        raw = turn.activity.serialize()
        await asyncio.to_thread(self.references.forget, inbound.tenant_of(raw), turn.activity.conversation.id)

    async def on_teams_members_added(self, members_added, team_info, turn: TurnContext) -> None:  # type: ignore[no-untyped-def]
        if any(m.id == turn.activity.recipient.id for m in members_added):
            await self._remember(turn, self._person(turn))

    # ---- message extension: "Report as friction" ----

    async def on_teams_messaging_extension_submit_action(
        self, turn: TurnContext, action: MessagingExtensionAction
    ) -> MessagingExtensionActionResponse:
        person = self._person(turn)
        data: dict[str, Any] = action.data if isinstance(action.data, dict) else {}
        if data.get("snag"):
            for event in inbound.action_events(person, data):
                await asyncio.to_thread(self.snag.handle_action, event)
            return MessagingExtensionActionResponse(task=TaskModuleMessageResponse(value="Thanks, saved."))
        payload = action.message_payload
        content = payload.body.content if payload and payload.body else ""
        message = IncomingMessage(
            person=person,
            text=inbound.html_to_text(content or ""),
            channel=turn.activity.conversation.id,
            via="shortcut",
            event_id=f"teams:{turn.activity.id}" if turn.activity.id else None,
        )
        reply = await asyncio.to_thread(self.snag.file_report, message)
        return MessagingExtensionActionResponse(
            task=TaskModuleContinueResponse(
                value=TaskModuleTaskInfo(
                    title="Report as friction",
                    card=Attachment(content_type="application/vnd.microsoft.card.adaptive", content=card_for(reply)),
                )
            )
        )

    async def on_turn(self, turn_context: TurnContext) -> None:
        try:
            await self.resolve_groups(turn_context.activity)  # the request is authenticated by now
            await super().on_turn(turn_context)
        except Exception as exc:
            from bot.core import where

            log.error("teams turn failed: %s", where(exc))
            if turn_context.activity.type == "invoke":
                await turn_context.send_activity(Activity(type="invokeResponse", value=InvokeResponse(status=500)))
                return
            await self._send(
                turn_context,
                Reply(kind="error", title="Sorry, something went wrong on my side. Please try again in a minute."),
            )
