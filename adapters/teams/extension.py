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

from adapters.teams import inbound
from adapters.teams.render import CARD_CONTENT_TYPE, card_for
from bot.domain import Reply

__all__ = ["data_of", "reported_text", "message_id", "dialog_for"]

TITLE = "Report as friction"


def data_of(action: MessagingExtensionAction) -> Mapping[str, Any]:
    """What the dialog submitted: the manifest's `note`, or a card's button and inputs."""
    return action.data if isinstance(action.data, dict) else {}


def reported_text(action: MessagingExtensionAction) -> str:
    """The reported message's text, with the reporter's note (if they typed one) after it."""
    payload = action.message_payload
    content = payload.body.content if payload and payload.body else ""
    return inbound.with_note(inbound.html_to_text(content or ""), data_of(action).get("note"))


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
