"""Slack payloads into core values (pure functions: no I/O, no SDK objects)."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from adapters.slack.render import ACTION_PREFIX
from adapters.slack.text import mentioned_users, without_mention
from bot.domain import IncomingMessage, Person
from bot.files import nothing_to_file

__all__ = [
    "visible_text",
    "Who",
    "ParsedAction",
    "ReportForm",
    "who",
    "sender",
    "membership",
    "MEMBER",
    "OUTSIDER",
    "UNKNOWN",
    "from_slack",
    "formatted",
    "mentioned",
    "command_message",
    "event_message",
    "thread_of",
    "thread_parent",
    "Changed",
    "changed",
    "edited_message",
    "typed",
    "only_files",
    "reaction_target",
    "item_key",
    "item_message",
    "block_action",
    "form_values",
    "report_form",
    "metadata",
]

Payload = Mapping[str, Any]
_TOKEN = re.compile(r"<([^<>\n]*)>")
# A link to a colleague's Slack profile names them as an @mention does: their profile
# (https://acme.slack.com/team/U0DANA, …/client/T1/C1/user_profile/U0DANA) or a link that opens
# them (https://slack.com/app_redirect?team=T1&user=U0DANA, slack://user?team=T1&id=U0DANA).
_SLACK_SITE = r"(?i:https?://(?:[\w-]+\.)*slack\.com)"
_MEMBER_LINK = re.compile(
    rf"(?:{_SLACK_SITE}/team/|{_SLACK_SITE}/client/[^?#|<>\s]*/user_profile/"
    rf"|(?:{_SLACK_SITE}/app_redirect|(?i:slack://user))\?(?:[^#|<>\s]*?&(?:amp;)?)?(?:user|id|channel)=)"
    r"(?P<user>[UW][A-Z0-9]{2,})(?![A-Za-z0-9])"
)
# Message subtypes that are still a person writing to Snag: a photo or file with its caption,
# and a thread reply also sent to the channel. Joins and bots are not; edits and deletions of a
# DM are read apart (`changed`), as they may change a report.
PERSON_SUBTYPES = frozenset({"file_share", "thread_broadcast"})
CHANGE_SUBTYPES = frozenset({"message_changed", "message_deleted"})


@dataclass(frozen=True)
class Who:
    """The workspace and user behind a payload."""

    team: str
    user: str
    team_name: str | None = None


@dataclass(frozen=True)
class Changed:
    """A person's DM to Snag, edited (`text` is its new text) or deleted (`text` is None)."""

    user: str
    channel: str
    ts: str  # the message's own ts, as it was when filed
    text: str | None
    before: str | None  # its text before the change, when Slack says
    thread: str | None  # where to answer: under the edited message, or in the deleted one's thread


@dataclass(frozen=True)
class ParsedAction:
    name: str
    report_id: int
    value: str
    block_id: str


@dataclass(frozen=True)
class ReportForm:
    """What the `/snag` modal sent: the sentence and the optional answers."""

    text: str
    frequency: str | None = None
    customer_facing: bool | None = None
    picks: dict[str, object] = field(default_factory=dict)


# What `membership` finds: the person belongs to the workspace (or Enterprise Grid org) Snag is
# installed in, comes from another organisation, or the payload cannot say which.
MEMBER, OUTSIDER, UNKNOWN = "member", "outsider", "unknown"


def _first_authorization(body: Payload) -> Payload:
    found = body.get("authorizations")
    return found[0] if isinstance(found, list) and found and isinstance(found[0], Mapping) else {}


def _event_membership(body: Payload, event: Payload) -> str:
    """Only a channel shared with another organisation (`is_ext_shared_channel`) holds people from
    elsewhere. There an event names the installation in `authorizations` and the person's own team
    in `user_team` (a team id, or an Enterprise Grid org id) or `team`; a reaction names none."""
    if body.get("is_ext_shared_channel") is not True:
        return MEMBER
    auth = _first_authorization(body)
    team = auth.get("team_id") or body.get("team_id")
    home = {str(x) for x in (team, auth.get("enterprise_id") or body.get("enterprise_id")) if x}
    actor = event.get("user_team") or event.get("team")
    if not actor:
        return UNKNOWN
    return MEMBER if str(actor) in home else OUTSIDER


def _interaction_membership(body: Payload, user: Payload) -> str:
    """A shortcut, button or form names the person's team in `user.team_id`."""
    given, view, org = body.get("team"), body.get("view"), body.get("enterprise")
    team: Payload = given if isinstance(given, Mapping) else {}
    installed = (view.get("app_installed_team_id") if isinstance(view, Mapping) else None) or team.get("id")
    enterprise = (org.get("id") if isinstance(org, Mapping) else org) or team.get("enterprise_id")
    actor = user.get("team_id")
    if not actor or not installed:  # an org-wide install names no team: Slack routes only its own
        return MEMBER
    return MEMBER if str(actor) in {str(x) for x in (installed, enterprise) if x} else OUTSIDER


def membership(body: Payload) -> str:
    """Whether the person behind a payload belongs to the workspace (or Grid org) Snag serves.

    A Slack Connect channel is shared with other organisations: their people can mention Snag
    or react there, and must neither read this workspace's reports nor add to them. A slash
    command runs only in a workspace Snag is installed in, and names that one.
    """
    if "command" in body:
        return MEMBER
    event = body.get("event")
    if isinstance(event, Mapping):
        return _event_membership(body, event)
    user = body.get("user")
    return _interaction_membership(body, user) if isinstance(user, Mapping) else MEMBER


def who(body: Payload) -> Who | None:
    """Team and user of a slash command, an event or an interaction payload.

    None when there is no user, or when they are not a member of the workspace (see `membership`):
    a handler that answers them does so before asking.
    """
    if membership(body) != MEMBER:
        return None
    return sender(body)


def sender(body: Payload) -> Who | None:
    """Team and user of a payload, whoever they are (to answer someone who may not use Snag)."""
    if "user_id" in body and "command" in body:
        return Who(str(body.get("team_id", "")), str(body["user_id"]), body.get("team_domain"))
    event = body.get("event")
    if isinstance(event, Mapping):
        user = event.get("user")
        user = user.get("id") if isinstance(user, Mapping) else user
        return Who(str(body.get("team_id", "")), str(user), None) if user else None
    user = body.get("user")
    if isinstance(user, Mapping) and user.get("id"):
        given = body.get("team")
        team: Payload = given if isinstance(given, Mapping) else {}
        team_id = team.get("id") or user.get("team_id") or ""
        return Who(str(team_id), str(user["id"]), team.get("domain"))
    return None


def _token(match: re.Match[str], names: Mapping[str, str]) -> str:
    target, _, label = match.group(1).partition("|")
    if target.startswith("@"):  # a colleague: never their name (label or not), but a pattern owner's
        return names.get(target[1:], "@someone")
    member = _MEMBER_LINK.match(target)
    if member:  # a link to a colleague's profile: their @mention, never the name it shows or their id
        return names.get(member.group("user"), "@someone")
    if target.startswith("#"):
        return "#" + label if label else "#channel"
    if target.startswith("!subteam^"):
        return label or "@group"
    if target.startswith("!"):
        return label or "@" + target[1:].split("^")[0]
    if target.startswith("mailto:"):
        return label or target[len("mailto:") :]
    return f"{label} ({target})" if label and label not in target else target


def from_slack(text: str, names: Mapping[str, str] | None = None) -> str:
    """What the person typed, from Slack's formatted text: mentions, links and entities undone.

    A colleague's @mention, or a link to their Slack profile, reads "@someone", unless `names` has
    their name by user id: the pattern owner a manager names with `own 5 @dana` (adapters.slack.owners)."""
    found = names or {}
    text = _TOKEN.sub(lambda m: _token(m, found), text or "")
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def formatted(body: Payload, bot_user_id: str | None = None) -> str:
    """Slack's formatted text of a slash command or a message event, Snag's own @mention taken out."""
    if "command" in body:
        return str(body.get("text", ""))
    return without_mention(str((body.get("event") or {}).get("text", "")), bot_user_id)


def mentioned(text: str, bot_user_id: str | None = None) -> tuple[str, ...]:
    """The user ids of the people Slack's formatted text @mentions, Snag aside, each once.

    from_slack shows each of them, and each linked profile, as "@someone"; these ids are what an
    admin's `erase @sam` means."""
    linked = (m.group("user") for m in map(_MEMBER_LINK.match, _TOKEN.findall(text or "")) if m)
    return tuple(user for user in dict.fromkeys((*mentioned_users(text), *linked)) if user != bot_user_id)


def _at(epoch: object) -> datetime | None:
    if not isinstance(epoch, str | int | float):
        return None
    try:
        return datetime.fromtimestamp(float(epoch), UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return None


def command_message(person: Person, body: Payload) -> IncomingMessage:
    """`/snag <text>`; the trigger id makes a repeated delivery of the same command a duplicate."""
    trigger = body.get("trigger_id")
    text = str(body.get("text", ""))
    return IncomingMessage(
        person=person,
        text=from_slack(text),
        channel=str(body.get("channel_id", "")),
        via="slash",
        event_id=f"slash:{trigger}" if trigger else None,
        mentions=mentioned(text),
    )


def typed(text: str, bot_user_id: str | None) -> str:
    """What a person typed to Snag, as a DM's text is stored (Snag's @mention out, formatting undone)."""
    return from_slack(without_mention(text, bot_user_id)).strip()


def event_message(person: Person, body: Payload, bot_user_id: str | None) -> IncomingMessage | None:
    """A direct message or an @mention as a core message; None for edits, bots and other noise."""
    event = body.get("event") or {}
    kind = event.get("type")
    subtype = event.get("subtype")
    if (subtype and subtype not in PERSON_SUBTYPES) or event.get("bot_id") or not event.get("user"):
        return None
    if kind == "message" and event.get("channel_type") == "im":
        via = "dm"
    elif kind == "app_mention":
        via = "mention"
    else:
        return None
    text = without_mention(str(event.get("text", "")), bot_user_id)
    return IncomingMessage(
        person=person,
        text=from_slack(text).strip(),
        channel=str(event.get("channel", "")),
        via=via,
        event_id=body.get("event_id"),
        mentions=mentioned(text, bot_user_id),
        received_at=_at(body.get("event_time")),
        message_id=str(event["ts"]) if event.get("ts") else None,
        files=len(event.get("files") or []),
    )


def thread_of(body: Payload) -> str | None:
    """The thread an event was written in, so the answer goes there too."""
    return (body.get("event") or {}).get("thread_ts") or None


def thread_parent(body: Payload) -> str | None:
    """The ts of the message a thread reply is under; None for a message that is no reply."""
    event = body.get("event") or {}
    parent = event.get("thread_ts")
    return str(parent) if parent and parent != event.get("ts") else None


def changed(body: Payload) -> Changed | None:
    """A person's DM to Snag edited or deleted; None for any other event, for a bot's message, and
    for a change that left the words as they were (Slack says a message changed when a link
    preview is added or a reply is made under it).

    A message with replies under it is not deleted but left as a "tombstone" that Slack says changed.
    """
    event = body.get("event") or {}
    if event.get("subtype") not in CHANGE_SUBTYPES or event.get("channel_type") != "im":
        return None
    now, was = event.get("message") or {}, event.get("previous_message") or {}
    # the previous message names its author first: a tombstone is Slackbot's
    user, ts = was.get("user") or now.get("user"), now.get("ts") or event.get("deleted_ts") or was.get("ts")
    if not user or not ts or not event.get("channel") or now.get("bot_id") or was.get("bot_id"):
        return None
    before = str(was["text"]) if "text" in was else None
    if event.get("subtype") == "message_deleted" or now.get("subtype") == "tombstone":
        in_thread = was.get("thread_ts") if was.get("thread_ts") != ts else None
        return Changed(str(user), str(event["channel"]), str(ts), None, before, in_thread)
    text = str(now.get("text") or "")
    if before is not None and text == before:
        return None
    return Changed(str(user), str(event["channel"]), str(ts), text, before, str(now.get("thread_ts") or ts))


def edited_message(
    person: Person, change: Changed, bot_user_id: str | None, event_id: str | None = None
) -> IncomingMessage:
    """An edited DM as a core message: what the person's message says now. `event_id` is the
    change's own (a report an edit files is kept to one by it, however often Slack sends it)."""
    text = without_mention(change.text or "", bot_user_id)
    return IncomingMessage(
        person=person,
        text=from_slack(text).strip(),
        channel=change.channel,
        via="dm",
        event_id=event_id,
        mentions=mentioned(text, bot_user_id),
        message_id=change.ts,
    )


def only_files(message: IncomingMessage, body: Payload) -> bool:
    """A photo or file sent with no words to file beside it (none, or one short word like "this")."""
    return bool((body.get("event") or {}).get("files")) and nothing_to_file(message)


def reaction_target(event: Payload, reaction: str) -> tuple[str, str] | None:
    """Channel and ts of the message a person reacted to with Snag's emoji."""
    item = event.get("item") or {}
    if event.get("reaction", "").split("::")[0] != reaction or item.get("type") != "message":
        return None
    if not item.get("channel") or not item.get("ts"):
        return None
    return str(item["channel"]), str(item["ts"])


def item_key(kind: str, channel: str, ts: str, reporter_key: str) -> str:
    """One report per person per message, however often they react or click (no raw user id)."""
    return f"{kind}:{channel}:{ts}:{reporter_key[:24]}"


def item_message(person: Person, *, text: str, channel: str, via: str, key: str) -> IncomingMessage:
    """Another message's text filed by the person who reacted or used the shortcut."""
    return IncomingMessage(person=person, text=from_slack(text), channel=channel, via=via, event_id=key)


def block_action(body: Payload) -> ParsedAction | None:
    """The first Snag action of a block_actions payload."""
    actions = body.get("actions") or []
    if not actions or not str(actions[0].get("action_id", "")).startswith(ACTION_PREFIX):
        return None
    action = actions[0]
    name = str(action["action_id"])[len(ACTION_PREFIX) :].split(":")[0]
    value = action.get("value")
    if value is None and action.get("selected_option"):
        value = action["selected_option"].get("value")
    if value is None and "selected_options" in action:
        value = ",".join(o.get("value", "") for o in action["selected_options"])
    block_id = str(action.get("block_id", ""))
    parts = block_id.split(":")
    report_id = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 0
    if not report_id and str(value or "").isdigit():
        report_id = int(value)
    return ParsedAction(name, report_id, str(value or ""), block_id)


def _element_value(element: Payload) -> object:
    kind = element.get("type", "")
    if kind in ("plain_text_input", "number_input", "email_text_input", "url_text_input"):
        return element.get("value") or ""
    if kind.startswith("multi_") or kind == "checkboxes":
        return [o.get("value") for o in element.get("selected_options") or []]
    selected = element.get("selected_option")
    return selected.get("value") if selected else None


def form_values(view: Payload) -> dict[str, object]:
    """Input values of a submitted view, keyed by block id (without its version suffix)."""
    values: dict[str, object] = {}
    state = (view.get("state") or {}).get("values") or {}
    for block_id, elements in state.items():
        for element in (elements or {}).values():
            values[str(block_id).split("@")[0]] = _element_value(element)
    return values


def report_form(view: Payload) -> ReportForm:
    """The `/snag` modal's answers."""
    values = form_values(view)
    answer = values.get("customer_facing")
    picks = {k: values[k] for k in ("stage", "teams", "frequency", "customer_facing") if values.get(k)}
    return ReportForm(
        text=str(values.get("text") or ""),
        frequency=str(values["frequency"]) if values.get("frequency") else None,
        customer_facing={"yes": True, "no": False}.get(str(answer)) if answer else None,
        picks=picks,
    )


def metadata(view: Payload) -> dict[str, Any]:
    """A view's private metadata, or {} when absent or unreadable."""
    try:
        data = json.loads(view.get("private_metadata") or "{}")
    except (TypeError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def visible_text(message: Mapping[str, Any]) -> str:
    """A message's words as Slack formats a message's `text` (read as one by `inbound.from_slack`).

    A forwarded message, or an app's or a bot's, may show its words only in blocks or attachments,
    its `text` empty: those are the words then, as the message shows them."""
    text = str(message.get("text") or "")
    if text.strip():
        return text
    parts = [*_block_words(message.get("blocks")), *_attachment_words(message.get("attachments"))]
    return "\n".join(p for p in parts if p.strip())


def _block_words(blocks: object) -> list[str]:
    """The words of rich text, section, header and context blocks; images and buttons have none."""
    out: list[str] = []
    for block in blocks if isinstance(blocks, list) else []:
        kind = block.get("type") if isinstance(block, Mapping) else None
        if kind == "rich_text":
            out.append("\n".join(_rich(e) for e in block.get("elements") or []))
        elif kind in ("section", "header"):
            out += [_shown(block.get("text")), *(_shown(f) for f in block.get("fields") or [])]
        elif kind == "context":
            out += [_shown(e) for e in block.get("elements") or []]
    return out


def _shown(obj: object) -> str:
    """A text object's words: mrkdwn is formatted as a message's text is; plain text is not."""
    if not isinstance(obj, Mapping) or obj.get("type") not in ("mrkdwn", "plain_text"):
        return ""
    text = str(obj.get("text") or "")
    return text if obj["type"] == "mrkdwn" else _formatted(text)


def _formatted(raw: str) -> str:
    """Raw words escaped as Slack escapes a message's text, so `<`, `>` and `&` read as typed."""
    return raw.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _rich(element: object) -> str:
    """A rich text element as Slack's formatted text: a mention stays `<@U…>`, a link `<url|label>`."""
    if not isinstance(element, Mapping):
        return ""
    kind, inner = element.get("type"), element.get("elements") or []
    if kind == "rich_text_list":
        return "\n".join("• " + _rich(item) for item in inner)
    if kind in ("rich_text_section", "rich_text_quote", "rich_text_preformatted"):
        return "".join(_rich(item) for item in inner)
    if kind == "link":
        url, label = element.get("url") or "", str(element.get("text") or "")
        return f"<{url}|{_formatted(label)}>" if label else f"<{url}>"
    if kind in _TOKENS:
        form, key = _TOKENS[kind]
        return form.format(element.get(key) or "")
    return _formatted(str(element.get("text") or element.get("fallback") or ""))


# Rich text elements that a message's `text` shows as a token: the mention, not the name.
_TOKENS = {
    "user": ("<@{}>", "user_id"),
    "channel": ("<#{}>", "channel_id"),
    "usergroup": ("<!subteam^{}>", "usergroup_id"),
    "broadcast": ("<!{}>", "range"),
    "emoji": (":{}:", "name"),
}


def _attachment_words(attachments: object) -> list[str]:
    """What each attachment shows: pretext, title, text, fields and blocks; else a forwarded
    message's blocks; else its fallback (the words Slack shows where it cannot draw one)."""
    out: list[str] = []
    for item in attachments if isinstance(attachments, list) else []:
        if not isinstance(item, Mapping):
            continue
        shown = [str(item.get(k) or "") for k in ("pretext", "title", "text")]
        shown += [_field(f) for f in item.get("fields") or [] if isinstance(f, Mapping)]
        words = [w for w in shown + _block_words(item.get("blocks")) if w.strip()]
        out += words or _forwarded_words(item) or [str(item.get("fallback") or "")]
    return out


def _forwarded_words(attachment: Mapping[str, Any]) -> list[str]:
    """The blocks of a forwarded message, when its attachment shows no text of its own."""
    found: list[str] = []
    for forwarded in attachment.get("message_blocks") or []:
        message = forwarded.get("message") if isinstance(forwarded, Mapping) else None
        found += _block_words(message.get("blocks") if isinstance(message, Mapping) else None)
    return [w for w in found if w.strip()]


def _field(field: Mapping[str, Any]) -> str:
    title, value = str(field.get("title") or ""), str(field.get("value") or "")
    return f"{title}: {value}" if title and value else title or value
