"""Modals and the App Home as Block Kit views (pure functions)."""

from __future__ import annotations

import json
from typing import Any

from adapters.slack import render
from adapters.slack.render import ACTION_PREFIX, MAX_VIEW_BLOCKS, mrkdwn, plain
from adapters.slack.text import escape
from bot.domain import FREQUENCIES, Choice, Option, Reply, Tags
from bot.taxonomy import Taxonomy

__all__ = [
    "REPLY_VIEW",
    "FORM_VIEW",
    "REPORT_VIEW",
    "modal",
    "reply_view",
    "filing_view",
    "form_view",
    "report_view",
    "report_choices",
    "home_view",
]

View = dict[str, Any]
REPLY_VIEW = "snag_reply"
FORM_VIEW = "snag_form"  # callback id is snag_form:<form action>
REPORT_VIEW = "snag_report"
TEXT_BLOCK = "text"
SUGGEST_ACTION = ACTION_PREFIX + "suggest"


def modal(
    *,
    title: str,
    blocks: list[dict[str, Any]],
    callback_id: str,
    submit: str | None = None,
    close: str = "Close",
    metadata: dict[str, Any] | None = None,
) -> View:
    """A modal view; the title is cut to Slack's 24 characters."""
    view: View = {
        "type": "modal",
        "callback_id": callback_id,
        "title": plain(title, 24),
        "close": plain(close, 24),
        "blocks": blocks[:MAX_VIEW_BLOCKS],
    }
    if submit:
        view["submit"] = plain(submit, 24)
    if metadata:
        view["private_metadata"] = json.dumps(metadata, separators=(",", ":"))[:3000]
    return view


def reply_view(reply: Reply, *, metadata: dict[str, Any] | None = None) -> View:
    """A reply (a receipt, a thank-you, an error) shown inside a modal."""
    blocks = render.blocks(reply, max_blocks=MAX_VIEW_BLOCKS)
    return modal(title="Snag", blocks=blocks, callback_id=REPLY_VIEW, close="Done", metadata=metadata)


def filing_view() -> View:
    """Opened at once inside Slack's 3-second trigger window, updated when the report is filed."""
    blocks = [{"type": "section", "text": mrkdwn(":hourglass_flowing_sand: Filing your report…")}]
    return modal(title="Snag", blocks=blocks, callback_id=REPLY_VIEW, close="Done")


def _input(choice: Choice, *, block_id: str) -> dict[str, Any]:
    """A picker in a modal; every label can be picked and pre-selected, whatever the taxonomy's size."""
    listed = render.menu_options(choice.options, choice.selected)
    chosen = listed.pop("initial_options")
    element: dict[str, Any] = {"action_id": "value", **listed}
    if choice.multi:
        element |= {"type": "multi_static_select", "placeholder": plain("Choose…")}
        if chosen:
            element["initial_options"] = chosen
    elif len(choice.options) <= 3:
        element["type"] = "radio_buttons"
        if chosen:
            element["initial_option"] = chosen[0]
    else:
        element |= {"type": "static_select", "placeholder": plain("Choose…")}
        if chosen:
            element["initial_option"] = chosen[0]
    return {
        "type": "input",
        "block_id": block_id,
        "optional": choice.optional,
        "label": plain(choice.label, 2000),
        "element": element,
    }


def _text_input(label: str, value: str, *, suggest: bool) -> dict[str, Any]:
    element: dict[str, Any] = {
        "type": "plain_text_input",
        "action_id": SUGGEST_ACTION if suggest else "value",
        "multiline": not suggest,
        "max_length": 3000,
    }
    if value:
        element["initial_value"] = value[:3000]
    block: dict[str, Any] = {
        "type": "input",
        "block_id": TEXT_BLOCK,
        "label": plain(label, 2000),
        "element": element,
    }
    if suggest:
        element["dispatch_action_config"] = {"trigger_actions_on": ["on_enter_pressed"]}
        block["dispatch_action"] = True
        block["hint"] = plain("Press Enter and Snag suggests the stage and teams below.", 2000)
    return block


def form_view(reply: Reply, *, metadata: dict[str, Any] | None = None) -> View:
    """A core Form (e.g. fix tags) as a modal with inputs."""
    form = reply.form
    assert form is not None, "form_view needs a reply with a form"
    blocks = [b for s in reply.sections for b in render.section_blocks(s)]
    if form.text_field:
        blocks.append(_text_input(form.text_field, form.text_value, suggest=False))
    blocks += [_input(c, block_id=c.action) for c in form.choices]
    meta = {"r": reply.report_id, **(metadata or {})}
    return modal(
        title=form.title,
        blocks=blocks,
        callback_id=f"{FORM_VIEW}:{form.action}",
        submit=form.submit_label,
        metadata=meta,
    )


def report_choices(
    taxonomy: Taxonomy, tags: Tags | None = None, picks: dict[str, object] | None = None
) -> tuple[Choice, ...]:
    """The optional pickers of the new-report modal; a person's own picks win over suggestions."""
    picks = picks or {}

    def chosen(key: str, suggested: tuple[str, ...]) -> tuple[str, ...]:
        value = picks.get(key)
        if value:
            return tuple(value) if isinstance(value, list) else (str(value),)
        return suggested

    def opts(labels: tuple[str, ...]) -> tuple[Option, ...]:
        return tuple(Option(v, taxonomy.title(v)) for v in labels)

    stage = (tags.stage,) if tags and tags.stage else ()
    return (
        Choice(
            "stage",
            "Stage of the journey",
            opts(taxonomy.stage_labels),
            selected=chosen("stage", stage),
        ),
        Choice(
            "teams",
            "Teams involved",
            opts(taxonomy.team_labels),
            multi=True,
            selected=chosen("teams", tags.teams if tags else ()),
        ),
        Choice(
            "frequency",
            "How often does this happen?",
            tuple(Option(f, f.capitalize()) for f in FREQUENCIES),
            selected=chosen("frequency", ()),
        ),
        Choice(
            "customer_facing",
            "Does the customer notice?",
            (Option("yes", "Yes"), Option("no", "No")),
            selected=chosen("customer_facing", ()),
        ),
    )


def report_view(
    taxonomy: Taxonomy,
    *,
    text: str = "",
    tags: Tags | None = None,
    picks: dict[str, object] | None = None,
    version: int = 0,
    metadata: dict[str, Any] | None = None,
) -> View:
    """The `/snag` modal: a sentence, then optional pickers the classifier can pre-fill."""
    intro = "Tell Snag in a sentence what got in the way. Everything below the sentence is optional."
    blocks: list[dict[str, Any]] = [
        {"type": "section", "text": mrkdwn(escape(intro))},
        _text_input("What got in the way?", text, suggest=True),
    ]
    # A new block id per version makes Slack show the new pre-filled values.
    blocks += [_input(c, block_id=f"{c.action}@{version}") for c in report_choices(taxonomy, tags, picks)]
    meta = {"v": version, **(metadata or {})}
    return modal(
        title="Report friction",
        blocks=blocks,
        callback_id=REPORT_VIEW,
        submit="File report",
        metadata=meta,
    )


def home_view(mine: Reply, top: Reply | None = None) -> View:
    """The App Home: a report button, the person's own reports, for managers the top patterns."""
    intro = "Tell Snag what got in the way: `/snag <a sentence>`, a DM, or the button below."
    blocks: list[dict[str, Any]] = [
        {"type": "section", "text": mrkdwn(escape(intro))},
        {
            "type": "actions",
            "block_id": "snag:0:home",
            "elements": [
                {
                    "type": "button",
                    "action_id": ACTION_PREFIX + "new_report",
                    "text": plain("Report friction"),
                    "style": "primary",
                    "value": "home",
                }
            ],
        },
        {"type": "divider"},
    ]
    room = MAX_VIEW_BLOCKS - len(blocks) - (1 if top else 0)
    parts = [mine] + ([top] if top else [])
    for i, part in enumerate(parts):
        if i:
            blocks.append({"type": "divider"})
        blocks += render.blocks(part, max_blocks=room // len(parts))
    return {"type": "home", "callback_id": "snag_home", "blocks": blocks[:MAX_VIEW_BLOCKS]}
