"""Bot Framework activities to core values (pure functions over plain dicts)."""

from __future__ import annotations

import html
import re
from collections.abc import Mapping

from bot.domain import ActionEvent, Person

__all__ = ["tenant_of", "user_of", "action_events", "html_to_text"]

_TAG = re.compile(r"<[^>]+>")
_BREAK = re.compile(r"<(br|/p|/div)\s*/?>", re.IGNORECASE)


def tenant_of(activity: Mapping) -> str:
    """The Teams tenant id, from channelData or the conversation."""
    channel_data = activity.get("channelData") or {}
    tenant = (channel_data.get("tenant") or {}).get("id")
    return tenant or (activity.get("conversation") or {}).get("tenantId") or "unknown-tenant"


def user_of(activity: Mapping) -> str:
    sender = activity.get("from") or {}
    return sender.get("aadObjectId") or sender.get("id") or "unknown-user"


def html_to_text(content: str) -> str:
    """Teams message HTML (message extension payloads) to plain text."""
    text = _BREAK.sub("\n", content)
    return html.unescape(_TAG.sub("", text)).strip()


def action_events(person: Person, value: Mapping) -> list[ActionEvent]:
    """An Action.Submit payload as core actions; 'answers' carries several questions."""
    name = str(value.get("snag") or "")
    try:
        report_id = int(value.get("report_id") or 0)
    except (TypeError, ValueError):
        report_id = 0
    if not name or not report_id:
        return []
    if name == "answers":
        return [
            ActionEvent(person, report_id, key.removeprefix("answer_"), str(answer))
            for key, answer in value.items()
            if key.startswith("answer_") and answer not in (None, "")
        ]
    if name == "correct":
        values = {
            key: (str(raw).split(",") if key in ("kinds", "teams") else raw)
            for key, raw in value.items()
            if key in ("stage", "kinds", "teams", "handoff_from", "handoff_to")
        }
        for key in ("kinds", "teams"):
            values.setdefault(key, [])
        return [ActionEvent(person, report_id, "correct", values=values)]
    return [ActionEvent(person, report_id, name, str(value.get("value") or ""))]
