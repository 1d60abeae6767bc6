"""Core replies as Block Kit (pure functions), within Slack's limits.

Every string a person typed goes into an escaped, verbatim mrkdwn object, so
`<!channel>`, `<@U…>`, `<url|label>` and `&<>` show literally and notify nobody.
Plain-text objects carry only Snag's own words (labels, buttons, titles).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any

from adapters.slack.text import escape, plain_label, split, truncate
from bot.domain import Button, Choice, Option, Reply, Section

__all__ = [
    "ACTION_PREFIX",
    "MAX_MESSAGE_BLOCKS",
    "MAX_VIEW_BLOCKS",
    "MAX_SECTION_CHARS",
    "MAX_TOTAL_CHARS",
    "message",
    "pages",
    "blocks",
    "fallback_text",
    "answered",
    "section_blocks",
    "mrkdwn",
    "plain",
    "option",
    "menu_options",
    "text_chars",
]

Block = dict[str, Any]
ACTION_PREFIX = "snag:"
MAX_MESSAGE_BLOCKS = 50
MAX_VIEW_BLOCKS = 100
MAX_SECTION_CHARS = 3000
MAX_FIELD_CHARS = 2000
MAX_TOTAL_CHARS = 40_000
MAX_OPTIONS = 100  # options in one select, option groups in one select, options in one group
_BUTTONS_UP_TO = 3  # choices with this many options show as buttons, longer ones as a menu


def mrkdwn(escaped: str) -> dict[str, Any]:
    """A verbatim mrkdwn object: no auto-linking of names, channels or URLs."""
    return {"type": "mrkdwn", "text": escaped, "verbatim": True}


def plain(text: str, limit: int = 75) -> dict[str, Any]:
    return {"type": "plain_text", "text": plain_label(text, limit), "emoji": True}


def option(opt: Option) -> dict[str, Any]:
    return {"text": plain(opt.label), "value": opt.value[:150]}


def menu_options(options: Sequence[Option], selected: Sequence[str]) -> dict[str, Any]:
    """A select's options and pre-selected ones (`initial_options`), within Slack's limits.

    Slack takes 100 `options`, or 100 `option_groups` of 100: past 100 labels the menu is grouped, so
    a taxonomy's 101st team can be picked too. Slack refuses the whole view (views.open fails) when
    a pre-selected option is not one of the options listed, so those are the very objects listed.
    """
    shown = _listable(options, selected, MAX_OPTIONS * MAX_OPTIONS)
    listed = [option(o) for o in shown]
    chosen = [obj for o, obj in zip(shown, listed, strict=True) if o.value in selected]
    if len(listed) <= MAX_OPTIONS:
        return {"options": listed, "initial_options": chosen}
    groups = [listed[i : i + MAX_OPTIONS] for i in range(0, len(listed), MAX_OPTIONS)]
    return {"option_groups": [_group(g) for g in groups], "initial_options": chosen}


def _listable(options: Sequence[Option], selected: Sequence[str], most: int) -> list[Option]:
    """The options one select can list: all up to `most`; past that (a taxonomy of over 10,000
    labels) the pre-selected ones and as many of the others as fit, in order."""
    others = most - sum(o.value in selected for o in options)
    out: list[Option] = []
    for o in options:
        if o.value in selected or others > 0:
            out.append(o)
            others -= o.value not in selected
    return out[:most]


def _group(options: list[dict[str, Any]]) -> dict[str, Any]:
    """An option group labelled by its first and last option, e.g. "Billing – Logistics"."""
    first, last = options[0]["text"]["text"], options[-1]["text"]["text"]
    label = first if first == last else f"{plain_label(first, 36)} – {plain_label(last, 36)}"
    return {"label": plain(label), "options": options}


def _section(escaped: str, block_id: str | None = None) -> Block:
    block: Block = {"type": "section", "text": mrkdwn(truncate(escaped, MAX_SECTION_CHARS))}
    if block_id:
        block["block_id"] = block_id
    return block


def _context(escaped: str) -> Block:
    return {"type": "context", "elements": [mrkdwn(truncate(escaped, MAX_SECTION_CHARS))]}


def section_blocks(section: Section) -> list[Block]:
    """A section as Block Kit sections: escaped text split at 3,000 characters, fields in tens."""
    parts = [f"*{escape(section.heading)}*" if section.heading else "", escape(section.text)]
    text = "\n".join(p for p in parts if p)
    out = [_section(piece) for piece in split(text, MAX_SECTION_CHARS)] if text else []
    fields = [mrkdwn(truncate(f"*{escape(name)}*\n{escape(value)}", MAX_FIELD_CHARS)) for name, value in section.fields]
    out += [{"type": "section", "fields": fields[i : i + 10]} for i in range(0, len(fields), 10)]
    return out


def _button(action_id: str, label: str, value: str, style: str | None = None) -> Block:
    element: Block = {
        "type": "button",
        "action_id": action_id,
        "text": plain(label),
        "value": value[:2000],
    }
    if style in ("primary", "danger"):
        element["style"] = style
    return element


def _buttons_block(buttons: Iterable[Button], block_id: str) -> Block:
    elements = [_button(ACTION_PREFIX + b.action, b.label, b.value, b.style) for b in buttons]
    return {"type": "actions", "block_id": block_id, "elements": elements[:25]}


def _choice_blocks(choice: Choice, block_id: str) -> list[Block]:
    label = f"*{escape(choice.label)}*"
    if not choice.multi and len(choice.options) <= _BUTTONS_UP_TO:
        elements = [
            _button(
                f"{ACTION_PREFIX}{choice.action}:{i}",
                o.label,
                o.value,
                "primary" if o.value in choice.selected else None,
            )
            for i, o in enumerate(choice.options)
        ]
        return [
            _section(label, block_id + ":label"),
            {"type": "actions", "block_id": block_id, "elements": elements},
        ]
    listed = menu_options(choice.options, choice.selected)
    chosen = listed.pop("initial_options")
    menu: Block = {
        "type": "multi_static_select" if choice.multi else "static_select",
        "action_id": ACTION_PREFIX + choice.action,
        "placeholder": plain("Choose…"),
        **listed,
    }
    if chosen and choice.multi:
        menu["initial_options"] = chosen
    elif chosen:
        menu["initial_option"] = chosen[0]
    return [{"type": "section", "block_id": block_id, "text": mrkdwn(label), "accessory": menu}]


def _parts(reply: Reply) -> tuple[list[Block], list[Block], list[Block]]:
    """Head (title, notices), body (sections) and tail (buttons, choices) of a reply."""
    title = f"*{escape(reply.title)}*"
    if reply.kind == "error":
        title = ":warning: " + title
    head = [_section(title)] + [_context(escape(n)) for n in reply.notices]
    body = [b for s in reply.sections for b in section_blocks(s)]
    rid = reply.report_id or 0
    tail: list[Block] = []
    if reply.buttons:
        tail.append(_buttons_block(reply.buttons, f"snag:{rid}:buttons"))
    for n, choice in enumerate(reply.choices):
        tail += _choice_blocks(choice, f"snag:{rid}:{n}")
    return head, body, tail


def text_chars(value: Any) -> int:
    """Characters of every `text` string inside a block (what Slack's size limits count)."""
    if isinstance(value, dict):
        return sum(len(v) if k == "text" and isinstance(v, str) else text_chars(v) for k, v in value.items())
    if isinstance(value, list):
        return sum(text_chars(v) for v in value)
    return 0


def _take(body: list[Block], room_blocks: int, room_chars: int) -> int:
    """How many leading body blocks fit in the room left."""
    used = 0
    for i, block in enumerate(body):
        used += text_chars(block)
        if i + 1 > room_blocks or used > room_chars:
            return i
    return len(body)


def _more(count: int) -> Block:
    return _context(f"… {count} more not shown.")


def _fit(head: list[Block], body: list[Block], tail: list[Block], max_blocks: int) -> list[Block]:
    fixed = head + tail
    room_chars = MAX_TOTAL_CHARS - text_chars(fixed)
    if len(fixed) + len(body) <= max_blocks and text_chars(body) <= room_chars:
        return head + body + tail
    kept = _take(body, max_blocks - len(fixed) - 1, room_chars - 100)
    return (head + body[:kept] + [_more(len(body) - kept)] + tail)[:max_blocks]


def blocks(reply: Reply, *, max_blocks: int = MAX_MESSAGE_BLOCKS) -> list[Block]:
    """The reply as one list of blocks; what does not fit ends in a visible '… N more'."""
    return _fit(*_parts(reply), max_blocks=max_blocks)


def fallback_text(reply: Reply) -> str:
    """The notification text of a message (escaped, short)."""
    return truncate(escape(reply.title), 300)


def message(reply: Reply) -> dict[str, Any]:
    """`text` and `blocks` for chat.postMessage, chat.postEphemeral or a response_url."""
    return {"text": fallback_text(reply), "blocks": blocks(reply)}


def pages(reply: Reply, *, max_pages: int = 5) -> list[dict[str, Any]]:
    """A long reply (a digest) split over several messages, each within Slack's limits."""
    head, body, tail = _parts(reply)
    out: list[dict[str, Any]] = []
    continued = [_context(f"{escape(reply.title)} (continued)")]
    while True:
        top = head if not out else continued
        if len(out) == max_pages - 1 or not body:
            out.append({"text": fallback_text(reply), "blocks": _fit(top, body, tail, MAX_MESSAGE_BLOCKS)})
            return out
        room = MAX_TOTAL_CHARS - text_chars(top) - text_chars(tail)
        if len(top) + len(body) + len(tail) <= MAX_MESSAGE_BLOCKS and text_chars(body) <= room:
            out.append({"text": fallback_text(reply), "blocks": top + body + tail})
            return out
        kept = max(1, _take(body, MAX_MESSAGE_BLOCKS - len(top), MAX_TOTAL_CHARS - text_chars(top)))
        out.append({"text": fallback_text(reply), "blocks": top + body[:kept]})
        body = body[kept:]


DONE = "✓"
_GIVEN = re.compile(r"(?P<name>[^:\n]{1,40}): (?P<value>[^\n]+?)\.?")  # "Stage: Enquiry."


def answered(current: list[Block], block_id: str, notice: str, mark: str = DONE) -> list[Block]:
    """The same blocks with the answered question (or buttons) replaced by a short notice.

    A notice that gives a value the blocks show ("Stage: Enquiry." beside "Stage: not sure, pick one
    below") shows it there too, so the message never says two things."""
    out: list[Block] = []
    placed = False
    for block in current:
        if block.get("block_id") in (block_id, block_id + ":label"):
            if not placed:
                out.append(_context(f"{mark} {escape(notice)}"))
                placed = True
            continue
        out.append(block)
    if not placed:
        out.append(_context(f"{mark} {escape(notice)}"))
    given = _GIVEN.fullmatch(notice) if mark == DONE else None
    return [_with_field(b, given["name"], given["value"]) for b in out] if given else out


def _with_field(block: Block, name: str, value: str) -> Block:
    """The block with the field headed `name` showing `value`; as it was when it has no such field."""
    heading = f"*{escape(name)}*\n"
    fields = block.get("fields")
    if not isinstance(fields, list) or not any(str(f.get("text", "")).startswith(heading) for f in fields):
        return block
    shown = mrkdwn(truncate(heading + escape(value), MAX_FIELD_CHARS))
    return {**block, "fields": [shown if str(f.get("text", "")).startswith(heading) else f for f in fields]}
