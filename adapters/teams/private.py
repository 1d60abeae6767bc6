"""Which answers leave a channel for the asker's 1:1 chat with Snag (pure functions).

Slack answers an @mention with an ephemeral message only the asker sees. Teams has none: what
Snag posts in a channel or group chat, everyone in it reads. So an answer that names the asker's
own reports or quotes reports goes to their 1:1 chat with Snag, and the channel gets a short note
saying where it went and nothing of what it said.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.domain import Person, Reply

__all__ = ["PRIVATE_COMMANDS", "goes_private", "note"]

# mine lists the asker's reports, search and the digest preview quote reports, erase counts a person's;
# own and status answer a manager with how many people reported the pattern ("Told 2 reporter(s)"),
# a count the channel must not read when it is under k; merge, how many reports moved. Slack answers
# every one of them privately.
PRIVATE_COMMANDS = frozenset({"mine", "search", "digest", "erase", "own", "status", "merge"})
SENT = "I've sent you the answer in our 1:1 chat."
NOT_SENT = (
    "I couldn't open our 1:1 chat to send you that answer, and it isn't one for everyone here. "
    "Message me directly (find Snag under Apps) and ask there."
)
SAVED_SENT = "Thanks, your report is saved. I've sent you the details in our 1:1 chat."
SAVED_NOT_SENT = (
    "Thanks, your report is saved, but I couldn't open our 1:1 chat to show you the details. "
    "Message me directly (find Snag under Apps) and type mine to see it."
)
# The channel's note when the 1:1 chat could not be opened for an answer to something Snag did:
# asked again, a pattern's status or owner set would read "Nothing changed".
DONE_NOT_SENT = (
    "Done, so there's no need to ask again. I couldn't open our 1:1 chat to send you the details, and they "
    "aren't for everyone here: message me directly (find Snag under Apps) so I can reach you there."
)
# For `erase`, whatever came of it ("Done" would tell the channel whose report it was): asked
# again, an erased report "isn't one of yours".
ERASE_NOT_SENT = (
    "I couldn't open our 1:1 chat to tell you how that went, and it isn't for everyone here. A report "
    "erased is gone for good, so asking again would not find it: message me directly (find Snag under "
    "Apps) and type mine to see the reports you still have."
)
DONE_KINDS = frozenset({"saved", "receipt"})  # something was stored: a change, an erasure, tags or answers


def goes_private(reply: Reply, command: str | None, person: Person) -> bool:
    """Whether an answer asked for in a channel or group chat belongs in the asker's 1:1 chat.

    A receipt, the fix-tags form and every answer about one report name the asker's own report
    (its number ties the message in the channel to the report leadership reads, with its tags and
    answers); `pattern` quotes reports to managers and admins. Top, stats and help count or
    explain, folded to k reporters, and stay where they were asked for.
    """
    if reply.report_id is not None or reply.kind in ("receipt", "form"):
        return True
    return command in PRIVATE_COMMANDS or (command == "pattern" and person.role.sees_texts)


def note(replies: Sequence[Reply], command: str | None, *, delivered: bool) -> Reply:
    """What the channel reads instead of answers sent (or not) to the asker's 1:1 chat.

    Where it went, or that it could not go there. When the chat could not be opened, an answer to
    something done (a pattern's status or owner saved, tags confirmed or corrected on a card) says it
    was done, and nothing of what it said; an answer that only shows something is to be asked for
    again there. `erase` reads the same whatever came of it."""
    if command == "report" and any(r.kind == "receipt" for r in replies):
        return Reply(kind="text", title=SAVED_SENT if delivered else SAVED_NOT_SENT)
    if delivered:
        return Reply(kind="text", title=SENT)
    if command == "erase":
        return Reply(kind="text", title=ERASE_NOT_SENT)
    if command != "report" and any(r.kind in DONE_KINDS for r in replies):  # a card's answers or corrected tags
        return Reply(kind="text", title=DONE_NOT_SENT)
    return Reply(kind="text", title=NOT_SENT)
