"""Bot Framework activities to core values (pure functions over plain dicts)."""

from __future__ import annotations

import hashlib
import html
import re
from collections.abc import Mapping, Sequence

from adapters.teams import mentions
from bot.commands import allowed, means_me, owner_of
from bot.domain import ActionEvent, Person, Role

__all__ = [
    "tenant_of",
    "user_of",
    "team_of",
    "conversation_of",
    "delivery_key",
    "item_key",
    "action_events",
    "unanswered",
    "html_to_text",
    "with_note",
    "typed_text",
    "named_owner",
    "mentioned",
    "names_snag",
    "submitted",
    "thread_root",
    "quoted_id",
    "said_after_quote",
]

_TAG = re.compile(r"<[^>]+>")
_BREAK = re.compile(r"<(br|/p|/div)\s*/?>", re.IGNORECASE)
# A quote-reply's quote, as Teams writes it in a message's HTML (and, from some clients, its text):
# a blockquote of the Skype Reply schema whose itemid is the quoted message's id; newer clients
# write a placeholder instead, beside a `quotedReply` entity. Tags are bounded and never span
# another, so a long text of unclosed tags is read in linear time.
_REPLY_OPEN = re.compile(r"<blockquote\b(?P<open>[^<>]{0,1000}schema\.skype\.com/Reply[^<>]{0,1000})>", re.IGNORECASE)
_REPLY_CLOSE = re.compile(r"</blockquote\s*>", re.IGNORECASE)
_QUOTED = re.compile(r"<quoted\b(?P<open>[^<>]{0,1000})>(?:\s*</quoted\s*>)?", re.IGNORECASE)
_ITEM_ID = re.compile(r"""\b(?:itemid|messageId)\s*=\s*["']([^"']+)["']""", re.IGNORECASE)
_NBSP = re.compile(r"&nbsp;|&#160;", re.IGNORECASE)
_ANY_TAG = re.compile(r"<[^<>]{0,1000}>")
_NOT_MENTION = re.compile(r"<(?!/?at\b)[^<>]{0,1000}>", re.IGNORECASE)  # any tag but a mention's
_WORD = re.compile(r"\S+")


def _object(value: object) -> Mapping:
    """A field that should be a JSON object; anything else (a string, a list) counts as absent."""
    return value if isinstance(value, Mapping) else {}


def tenant_of(activity: Mapping) -> str:
    """The Teams tenant id, from channelData or the conversation."""
    tenant = _object(_object(activity.get("channelData")).get("tenant")).get("id")
    return tenant or _object(activity.get("conversation")).get("tenantId") or "unknown-tenant"


def user_of(activity: Mapping) -> str:
    sender = _object(activity.get("from"))
    return sender.get("aadObjectId") or sender.get("id") or "unknown-user"


def team_of(activity: Mapping) -> str | None:
    """The team an activity happened in, if any (channels only)."""
    team = _object(_object(activity.get("channelData")).get("team")).get("id")
    return str(team) if team else None


def conversation_of(activity: Mapping) -> str:
    """Where an activity happened: a channel itself, never one thread of it (`;messageid=`)."""
    conversation_id = str(_object(activity.get("conversation")).get("id") or "")
    return conversation_id.split(";messageid=", 1)[0]


def thread_root(activity: Mapping) -> str | None:
    """The id of the channel post a message replies under (the thread, `;messageid=<root>` in the
    conversation id); None for the post itself, and in chats, which have no threads."""
    conversation_id = str(_object(activity.get("conversation")).get("id") or "")
    _, marked, root = conversation_id.partition(";messageid=")
    return root if marked and root and root != str(activity.get("id") or "") else None


def _html_parts(activity: Mapping) -> list[str]:
    """The HTML copies of a message Teams attaches (`text/html`): where a quote-reply's quote is."""
    attachments = activity.get("attachments")
    found = []
    for attachment in attachments if isinstance(attachments, list) else []:
        attachment = _object(attachment)
        content = attachment.get("content")
        if str(attachment.get("contentType") or "").lower().startswith("text/html") and isinstance(content, str):
            found.append(content)
    return found


def _reply_quote(html_text: str) -> tuple[str, int, int] | None:
    """Teams' Reply blockquote in a message's HTML: its opening tag's attributes, where it starts
    and where it ends; None without one."""
    opened = _REPLY_OPEN.search(html_text)
    closed = _REPLY_CLOSE.search(html_text, opened.end()) if opened else None
    if opened is None or closed is None:
        return None
    return opened.group("open"), opened.start(), closed.end()


def _quote_mark(activity: Mapping) -> str | None:
    """The quoted message's id as the quote itself names it ("" when it names none); None when the
    message quotes nothing."""
    for html_text in [*_html_parts(activity), str(activity.get("text") or "")]:
        quote = _reply_quote(html_text)
        placeholder = _QUOTED.search(html_text) if quote is None else None
        opening = quote[0] if quote is not None else placeholder.group("open") if placeholder else None
        if opening is not None:
            named = _ITEM_ID.search(opening)
            return named.group(1) if named else ""
    entities = activity.get("entities")
    for entity in entities if isinstance(entities, list) else []:
        entity = _object(entity)
        if entity.get("type") == "quotedReply":
            return str(_object(entity.get("quotedReply")).get("messageId") or "")
    return None


def quoted_id(activity: Mapping) -> str | None:
    """The id of the message a quote-reply quotes: Teams' `replyToId`, else the one its quote names.
    None for a message that quotes nothing (a `replyToId` alone is not taken for a quote)."""
    named = _quote_mark(activity)
    if named is None:
        return None
    return str(activity.get("replyToId") or "") or named or None


def said_after_quote(text: str, activity: Mapping) -> str:
    """What a person typed in a quote-reply, without the quote: Teams puts the quote in the
    message's HTML copy and the new words in `text`, but a quote (as HTML, or flattened into plain
    words before the new ones) in `text` too is taken out. Any other text as it is."""
    bare = _QUOTED.sub("", text)
    quote = _reply_quote(bare)
    if quote is not None:  # the quote as HTML in `text`: the rest is HTML too (mentions aside)
        _, start, end = quote
        bare = _NOT_MENTION.sub("", _BREAK.sub("\n", bare[:start] + bare[end:]))
    for html_text in _html_parts(activity):
        quote = _reply_quote(html_text)
        if quote is not None:
            return _ending_with(bare, _words(html_text[quote[2] :]))
    return bare


def _words(html_text: str) -> list[str]:
    """The words of a piece of Teams message HTML, as its plain text would hold them."""
    return html.unescape(_ANY_TAG.sub("", _BREAK.sub("\n", html_text))).split()


def _ending_with(text: str, words: list[str]) -> str:
    """`text` from where its last words are `words` on (the person's own, after a quote flattened
    into it); `text` itself when it holds nothing else, or does not end with them."""
    spaced = _NBSP.sub(lambda m: " " * len(m.group()), text)  # positions kept: `text` is cut below
    found = list(_WORD.finditer(spaced))
    if not words or len(found) <= len(words):
        return text
    last = found[-len(words) :]
    if [html.unescape(m.group()) for m in last] != words:
        return text
    return text[last[0].start() :]


def submitted(value: object) -> Mapping | None:
    """What a card's button sent with a message (Action.Submit); None without one, or for a value
    that is no object (no card of Snag's sends one): the message is then read as typed."""
    return value if isinstance(value, Mapping) and value else None


def _short(conversation_id: str) -> str:
    # Personal chat ids run past 100 characters; keys must stay under 200.
    return hashlib.blake2b(conversation_id.encode(), digest_size=12).hexdigest()


def delivery_key(conversation_id: str, activity_id: str) -> str:
    """One delivery of one activity: Teams message ids are unique only within their conversation."""
    return f"teams:{_short(conversation_id)}:{activity_id[:150]}"


def item_key(conversation_id: str, message_id: str, reporter_key: str) -> str:
    """One report per person per message, however often they use "Report as friction"."""
    return f"teams:item:{_short(conversation_id)}:{message_id[:100]}:{reporter_key[:24]}"


def _plain(text: str) -> str:
    """Teams message text after its mentions are replaced: HTML entities as the characters they
    stand for (`&amp;` is "&"), a non-breaking space as a space."""
    return html.unescape(text).replace("\u00a0", " ").strip()


def typed_text(text: str, entities: Sequence[Mapping], bot: Mapping) -> str:
    """What a person typed to Snag: its own @mention removed, other people's as "@someone"."""
    return _plain(mentions.replace_mentions(text, mentions.in_message(entities, bot)))


def names_snag(text: str, entities: Sequence[Mapping], bot: Mapping) -> bool:
    """Whether a message's text @mentions Snag itself."""
    return mentions.names_self(text, mentions.in_message(entities, bot))


def named_owner(typed: str, text: str, entities: Sequence[Mapping], bot: Mapping, *, role: Role, sender: str) -> str:
    """A manager's `own` line (`typed`, as typed_text gives it) with the people it mentions and "me"
    written as their names: every reporter of the pattern is told who looks after it. Any other
    line as typed. A name Teams does not give stays "@someone" or "me", and the core asks for it."""
    owned = owner_of(typed, role)
    if owned is None or not allowed(role, Role.MANAGER):
        return typed  # a report, or someone who may not set owners: nobody is named
    named = _plain(mentions.replace_mentions(text, mentions.in_message(entities, bot, named=True)))
    number, owner = owner_of(named, role) or owned
    name = " ".join(sender.split())
    if name and means_me(" ".join(owner)):
        owner = (name,)
    elif named == typed:
        return typed  # nobody to name (no person mentioned, or a tag): the line as it was
    return f"own {number} {' '.join(owner)}"


def mentioned(entities: Sequence[Mapping], bot: Mapping) -> tuple[str, ...]:
    """The ids of the people a typed message @mentions, Snag aside (its text says "@someone")."""
    return mentions.people_in_message(entities, bot)


def with_note(text: str, note: object) -> str:
    """A reported message's text with what the reporter typed in the dialog's note field."""
    note = str(note or "").strip()
    if not note:
        return text
    return f"{text}\n\nNote: {note}" if text else note


def html_to_text(content: str) -> str:
    """Teams message HTML (message extension payloads) to plain text."""
    text = _BREAK.sub("\n", content)
    return html.unescape(_TAG.sub("", text)).strip()


def _report_id(value: Mapping) -> int:
    try:
        return int(value.get("report_id") or 0)
    except (TypeError, ValueError):
        return 0


def unanswered(value: Mapping) -> bool:
    """'Send answers' pressed before any answer was chosen."""
    return value.get("snag") == "answers" and _report_id(value) > 0


def action_events(person: Person, value: Mapping) -> list[ActionEvent]:
    """An Action.Submit payload as core actions: the chosen answers first, then the button's own.

    Adaptive Cards send every input with whichever button was pressed, so "Looks right" also
    carries how often and whether customers notice.
    """
    name, report_id = str(value.get("snag") or ""), _report_id(value)
    if not name or not report_id:
        return []
    answers = [
        ActionEvent(person, report_id, key.removeprefix("answer_"), str(answer))
        for key, answer in value.items()
        if key.startswith("answer_") and answer not in (None, "")
    ]
    if name == "answers":
        return answers
    return answers + [_button_event(person, report_id, name, value)]


def _button_event(person: Person, report_id: int, name: str, value: Mapping) -> ActionEvent:
    if name == "correct":
        values = {
            key: (str(raw).split(",") if key in ("kinds", "teams") else raw)
            for key, raw in value.items()
            if key in ("stage", "kinds", "teams", "handoff_from", "handoff_to")
        }
        for key in ("kinds", "teams"):
            values.setdefault(key, [])
        return ActionEvent(person, report_id, "correct", values=values)
    return ActionEvent(person, report_id, name, str(value.get("value") or ""))
