"""Core replies as Adaptive Cards 1.5 (pure functions).

Every string from a reply goes into a TextRun of a RichTextBlock: TextRuns are not
markdown, so what a reporter typed (including `<at>`) is shown literally. Snag's own words
mark what to type as Slack shows it, `erase <number>`: those spans become monospace runs.
"""

from __future__ import annotations

import json
import re
from typing import Any

from bot.domain import Choice, Form, Reply, Section

__all__ = ["card_for", "attachment_for", "card_size", "MAX_CARD_BYTES", "MAX_FORM_BYTES", "CARD_CONTENT_TYPE"]

CARD_CONTENT_TYPE = "application/vnd.microsoft.card.adaptive"
# Teams counts a bot message's size in UTF-16 (twice the bytes of plain JSON text): over ~100 KB
# it is refused with 413 MessageSizeTooBig, and Microsoft advises keeping within 80 KB. The card
# gets that less a margin for the activity around it.
MAX_CARD_BYTES = 80 * 1024 - 2048
# A form is held to 40 KB: Microsoft's page on formatting bot messages gave 40 KB as the limit (its
# translations still do; the English one now says ~100 KB, advising 80). A form refused, or cut to
# fit, loses what a person came to change, so forms keep to the stricter figure, less the same margin.
MAX_FORM_BYTES = 40 * 1024 - 2048


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


# A `code span`, or a quote of what someone wrote (Snag quotes people in “…”), taken whole so that
# a backtick inside it is never read as one.
_CODE_OR_QUOTE = re.compile(r"“[^”]*”|`([^`\n]+)`")
# Replies whose sections are Snag's own sentences; the others' show reports as their people wrote
# them (a receipt's "You said", the fix-tags form, mine and search) or words taken from them (digests).
OWN_SECTIONS = frozenset({"text", "usage", "error", "saved"})


def _said(text: str, **style: Any) -> list[dict]:
    """Snag's own words as runs: each `code span` monospace, without the backticks that TextRuns
    would show as typed; a quote “…” stays as written, backticks and all."""
    runs: list[dict] = []
    at = 0
    for match in _CODE_OR_QUOTE.finditer(text):
        if match.group(1) is None:
            continue  # a quote: plain text with what is around it
        if match.start() > at:
            runs.append(_run(text[at : match.start()], **style))
        runs.append(_run(match.group(1), **style, fontType="Monospace"))
        at = match.end()
    if at < len(text) or not runs:
        runs.append(_run(text[at:], **style))
    return runs


def _section(section: Section, own: bool = False) -> list[dict]:
    """A section's heading, text and fields; `own`: its text is Snag's words, code spans and all."""
    out: list[dict] = []
    if section.heading:
        out.append(_rich(_run(section.heading, weight="Bolder"), spacing="Medium"))
    if section.text:
        out.append(_rich(*(_said(section.text) if own else [_run(section.text)])))
    for name, value in section.fields:
        out.append(_rich(_run(f"{name}: ", weight="Bolder", isSubtle=True), _run(value), spacing="None"))
    return out


TITLE_LIMITS = (200, 40, 24)  # a choice's title, cut shorter in turn while a form is too big


def _choice_set(choice: Choice, prefix: str = "", titles: int = TITLE_LIMITS[0]) -> list[dict]:
    element: dict[str, Any] = {
        "type": "Input.ChoiceSet",
        "id": prefix + choice.action,
        "style": "compact",
        "isMultiSelect": choice.multi,
        "choices": [{"title": _clip(o.label, titles), "value": o.value} for o in choice.options],
    }
    return [_rich(_run(choice.label, weight="Bolder"), spacing="Small"), _required(element, choice)]


def _typed(choice: Choice) -> list[dict]:
    """A picker with too many choices for the card, as a text box holding the current labels: saved
    unchanged it keeps them, and a label the taxonomy does not have is refused by name."""
    how = "their labels, separated by commas" if choice.multi else "its label"
    label = f"{choice.label} (too many to list here: type {how} as the taxonomy writes it)"
    example = f"e.g. {choice.options[0].value}" if choice.options else ""
    element: dict[str, Any] = {"type": "Input.Text", "id": choice.action, "placeholder": _clip(example, 200)}
    return [_rich(_run(label, weight="Bolder"), spacing="Small"), _required(element, choice)]


def _required(element: dict[str, Any], choice: Choice) -> dict[str, Any]:
    """The input's current answer, and whether one is required."""
    if choice.selected:
        element["value"] = ",".join(choice.selected)
    if not choice.optional:
        element["isRequired"] = True
        element["errorMessage"] = f"Pick at least one {choice.label.lower()}."
    return element


def _submit(title: str, data: dict, style: str | None = None) -> dict:
    action: dict[str, Any] = {"type": "Action.Submit", "title": _clip(title, 100), "data": data}
    if style in ("positive", "destructive"):
        action["style"] = style
    return action


def _form_body(form: Form, titles: int = TITLE_LIMITS[0], typed: frozenset[str] = frozenset()) -> list[dict]:
    body: list[dict] = []
    for choice in form.choices:
        body += _typed(choice) if choice.action in typed else _choice_set(choice, titles=titles)
    return body


def card_for(reply: Reply) -> dict:
    """The Adaptive Card for a reply, under Teams' size limit."""
    body: list[dict] = [_rich(*_said(reply.title, weight="Bolder", size="Medium"))]
    body += [_rich(*_said(n, color="Warning")) for n in reply.notices]
    for section in reply.sections:
        body += _section(section, own=reply.kind in OWN_SECTIONS)
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
    return _fit(card) if reply.form is None else _fit_form(card, reply.form)


def _fit(card: dict) -> dict:
    """Drop trailing text (keeping the title, every input and its label) until the card fits, saying so."""
    if card_size(card) <= MAX_CARD_BYTES:
        return card
    body = card["body"]
    text = _droppable(body)
    while text and card_size(card) > MAX_CARD_BYTES - 400:
        body.pop(text.pop())
    body.append(_rich(_run("… (shortened to fit Teams' card size)", isSubtle=True)))
    return card


def _droppable(body: list[dict]) -> list[int]:
    """Where the body's text is, but for the title and the inputs' labels."""
    inputs = {i for i, e in enumerate(body) if str(e.get("type", "")).startswith("Input.")}
    return [i for i, e in enumerate(body) if i and e.get("type") == "RichTextBlock" and i + 1 not in inputs]


def _fit_form(card: dict, form: Form) -> dict:
    """The form within MAX_FORM_BYTES with every input on it: an input left off would be read as
    "none" when the form is saved, and change tags the person never touched.

    In turn: without the report's text, with shorter choice titles (while they stay distinct), then
    the biggest pickers (the team ones, of a large taxonomy) as text boxes holding their labels."""
    if card_size(card) <= MAX_FORM_BYTES:
        return card
    before = card["body"][: len(card["body"]) - 2 * len(form.choices)]  # title, text, other questions
    text = set(_droppable(before))
    kept = [e for i, e in enumerate(before) if i not in text]
    order = sorted(enumerate(form.choices), key=lambda ic: (-len(ic[1].options), -ic[0]))
    for n in range(len(order) + 1):
        typed = frozenset(c.action for _, c in order[:n])
        for titles in (t for t in TITLE_LIMITS if _distinct(form, t)):
            card["body"] = kept + _form_body(form, titles, typed)
            if card_size(card) <= MAX_FORM_BYTES:
                return card
    return card  # every picker a text box: a few labels, far within the size


def _distinct(form: Form, titles: int) -> bool:
    """Whether choice titles cut to `titles` characters still tell every choice apart."""
    return all(len({_clip(o.label, titles) for o in c.options}) == len(c.options) for c in form.choices)


def attachment_for(reply: Reply) -> dict:
    return {"contentType": CARD_CONTENT_TYPE, "content": card_for(reply)}
