"""Core replies as Adaptive Cards 1.5 (pure functions).

Every string from a reply goes into a TextRun of a RichTextBlock: TextRuns are not
markdown, so what a reporter typed (including `<at>`) is shown literally.
"""

from __future__ import annotations

import json
from typing import Any

from bot.domain import Choice, Form, Reply, Section

__all__ = ["card_for", "attachment_for", "card_size", "MAX_CARD_BYTES", "CARD_CONTENT_TYPE"]

CARD_CONTENT_TYPE = "application/vnd.microsoft.card.adaptive"
# Teams counts a bot message's size in UTF-16 (twice the bytes of plain JSON text): over ~100 KB
# it is refused with 413 MessageSizeTooBig, and Microsoft advises keeping within 80 KB. The card
# gets that less a margin for the activity around it.
MAX_CARD_BYTES = 80 * 1024 - 2048


def card_size(card: dict) -> int:
    """The card's size as Teams counts it: its JSON in UTF-16."""
    return len(json.dumps(card, ensure_ascii=False).encode("utf-16-le"))


MAX_RUN = 2000


def _clip(text: str, limit: int = MAX_RUN) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _run(text: str, **style: Any) -> dict:
    return {"type": "TextRun", "text": _clip(text), **style}


def _rich(*runs: dict, **extra: Any) -> dict:
    return {"type": "RichTextBlock", "inlines": list(runs), **extra}


def _section(section: Section) -> list[dict]:
    out: list[dict] = []
    if section.heading:
        out.append(_rich(_run(section.heading, weight="Bolder"), spacing="Medium"))
    if section.text:
        out.append(_rich(_run(section.text)))
    for name, value in section.fields:
        out.append(_rich(_run(f"{name}: ", weight="Bolder", isSubtle=True), _run(value), spacing="None"))
    return out


def _choice_set(choice: Choice, prefix: str = "") -> list[dict]:
    element: dict[str, Any] = {
        "type": "Input.ChoiceSet",
        "id": prefix + choice.action,
        "style": "compact",
        "isMultiSelect": choice.multi,
        "choices": [{"title": _clip(o.label, 200), "value": o.value} for o in choice.options],
    }
    if choice.selected:
        element["value"] = ",".join(choice.selected)
    if not choice.optional:
        element["isRequired"] = True
        element["errorMessage"] = f"Pick at least one {choice.label.lower()}."
    return [_rich(_run(choice.label, weight="Bolder"), spacing="Small"), element]


def _submit(title: str, data: dict, style: str | None = None) -> dict:
    action: dict[str, Any] = {"type": "Action.Submit", "title": _clip(title, 100), "data": data}
    if style in ("positive", "destructive"):
        action["style"] = style
    return action


def _form_body(form: Form) -> list[dict]:
    body: list[dict] = []
    for choice in form.choices:
        body += _choice_set(choice)
    return body


def card_for(reply: Reply) -> dict:
    """The Adaptive Card for a reply, under Teams' size limit."""
    body: list[dict] = [_rich(_run(reply.title, weight="Bolder", size="Medium"))]
    body += [_rich(_run(n, color="Warning")) for n in reply.notices]
    for section in reply.sections:
        body += _section(section)
    actions: list[dict] = []
    rid = reply.report_id
    for button in reply.buttons:
        style = "positive" if button.style == "primary" else None
        actions.append(_submit(button.label, {"snag": button.action, "report_id": rid, "value": button.value}, style))
    if reply.choices:
        for choice in reply.choices:
            body += _choice_set(choice, prefix="answer_")
        actions.append(_submit("Send answers", {"snag": "answers", "report_id": rid}))
    if reply.form is not None:
        body += _form_body(reply.form)
        actions.append(_submit(reply.form.submit_label, {"snag": reply.form.action, "report_id": rid}, "positive"))
    card = {
        "type": "AdaptiveCard",
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "version": "1.5",
        "body": body,
    }
    if actions:
        card["actions"] = actions
    return _fit(card)


def _fit(card: dict) -> dict:
    """Drop trailing body elements (keeping the title) until the card fits, saying so."""
    if card_size(card) <= MAX_CARD_BYTES:
        return card
    body = card["body"]
    while len(body) > 1 and card_size(card) > MAX_CARD_BYTES - 400:
        body.pop(-1 if not any(b.get("type") == "Input.ChoiceSet" for b in body) else _last_text(body))
    body.append(_rich(_run("… (shortened to fit Teams' card size)", isSubtle=True)))
    return card


def _last_text(body: list[dict]) -> int:
    for i in range(len(body) - 1, 0, -1):
        if body[i].get("type") == "RichTextBlock":
            return i
    return len(body) - 1


def attachment_for(reply: Reply) -> dict:
    return {"contentType": CARD_CONTENT_TYPE, "content": card_for(reply)}
