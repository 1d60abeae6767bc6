"""The "Report as friction" message extension: its payload in, its dialog out (pure functions)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from botbuilder.schema import Attachment
from botbuilder.schema.teams import (
    MessagingExtensionAction,
    MessagingExtensionActionResponse,
    TaskModuleContinueResponse,
    TaskModuleMessageResponse,
    TaskModuleTaskInfo,
)

from adapters.teams import inbound, mentions
from adapters.teams.render import CARD_CONTENT_TYPE, card_for
from bot.domain import Reply

__all__ = ["data_of", "reported_text", "message_id", "dialog_for"]

TITLE = "Report as friction"


def data_of(action: MessagingExtensionAction) -> Mapping[str, Any]:
    """What the dialog submitted: the manifest's `note`, or a card's button and inputs."""
    return action.data if isinstance(action.data, dict) else {}


def reported_text(activity: Mapping[str, Any]) -> str:
    """The reported message's text, people it mentions as "@someone", then the reporter's note if any.

    Read from the activity as Teams sent it: the SDK's model of the message drops tag mentions.
    """
    value = _mapping(activity.get("value"))
    payload = _mapping(value.get("messagePayload"))
    content = str(_mapping(payload.get("body")).get("content") or "")
    found = payload.get("mentions")
    resolve = mentions.in_extension(found if isinstance(found, list) else [], _mapping(activity.get("recipient")))
    text = inbound.html_to_text(mentions.replace_mentions(content, resolve))
    return inbound.with_note(text, _mapping(value.get("data")).get("note"))


def _mapping(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def message_id(action: MessagingExtensionAction) -> str | None:
    payload = action.message_payload
    return str(payload.id) if payload and payload.id else None


def dialog_for(reply: Reply) -> MessagingExtensionActionResponse:
    """A reply with something to press or fill in stays in the dialog as a card; else a message."""
    if not (reply.buttons or reply.choices or reply.form):
        return MessagingExtensionActionResponse(task=TaskModuleMessageResponse(value=reply.title))
    card = Attachment(content_type=CARD_CONTENT_TYPE, content=card_for(reply))
    return MessagingExtensionActionResponse(
        task=TaskModuleContinueResponse(value=TaskModuleTaskInfo(title=TITLE, card=card))
    )
