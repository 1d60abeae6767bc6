"""The `erase` command: a reporter taking back their own reports, an admin erasing someone's.

Both go through privacy.erase, so whatever is linked to an erased report goes with it (its
pattern's counts, its corrections, and what reaches the person once nothing of theirs is left).
Erasing is irreversible, so erasing all of one's reports asks for a typed confirmation, and a
sentence like "delete my last report" only shows which report that is and what to type. People
answer that question in their own words ("yes please", "go ahead"), so this Snag remembers for a
few minutes whom it asked (in memory: another replica does not know, and "yes" is then only an
aside that is never filed), and their agreement is the confirmation. A no ("no, keep them",
"cancel") is answered too: nothing is erased and the question is forgotten.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import timedelta
from typing import TYPE_CHECKING

from bot import cards, privacy, smalltalk
from bot.commands import Command
from bot.domain import IncomingMessage, Person, Platform, Reply, Role
from bot.errors import InputError, NotFound, PermissionDenied
from bot.text import snippet

if TYPE_CHECKING:
    from bot.core import Snag

__all__ = ["erase_command", "confirmation"]

ASKED_FOR = timedelta(minutes=10)  # how long an agreement still answers `erase mine`'s question

_MOST = 1000  # `erase mine` counts up to this many reports before it says "more than"
_RAW_MENTION = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^<>]*)?>")  # as Slack formats one, typed to the core
_EXAMPLE_GUID = "0a1b2c3d-1234-5678-9abc-0123456789ab"
_GUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
# What a person's id looks like on each platform (the id a Person is built with).
_IDS = {
    Platform.SLACK: re.compile(r"[UW][A-Z0-9]+"),
    Platform.TEAMS: re.compile(rf"{_GUID}|29:[^\s<>@]+", re.IGNORECASE),
    Platform.CONSOLE: re.compile(r"[^\s<>@]+"),
}
_HOW_TO_NAME = {
    Platform.SLACK: "@mention them so their name turns into a link (type @ and pick them from the list), "
    "or give their member ID, e.g. `erase U0123ABCD` (in their profile: ⋮ → Copy member ID).",
    Platform.TEAMS: "@mention them (type @ and pick them from the list), or give their Azure AD object ID, "
    f"e.g. `erase {_EXAMPLE_GUID}`.",
    Platform.CONSOLE: "give their user name as it is stored, e.g. `erase sam`.",
}
_YOURS = "`mine` lists your reports with their numbers."


_KEEP = ("mine", "keep")  # the arguments of a no to the question: typed, `erase mine keep` is a slip


def confirmation(snag: Snag, message: IncomingMessage, command: Command) -> Command:
    """The command, or the answer to the question `erase mine` asked this person here in the last
    ASKED_FOR: `erase mine confirm` when the message agrees ("yes please", "erase confirm"), the
    question dropped when it says no ("no, keep them", "cancel", "never mind")."""
    asked = snag.asked_to_erase.get(snag.key_of(message.person))
    if asked is None or snag.clock() - asked[0] > ASKED_FOR:
        return command
    if smalltalk.declines(message.text):
        return Command("erase", args=_KEEP, text=message.text)
    if command.name != "not_report" and (command.name, command.args) != ("erase", ("mine",)):
        return command
    if not smalltalk.agrees(message.text):
        return command
    return replace(command, name="erase", args=("mine", "confirm"), text=message.text)


def _ask(snag: Snag, person: Person, newest: int) -> None:
    """Remember that this person was just asked to confirm erasing all theirs (newest: their last report)."""
    now = snag.clock()
    for key, (when, _) in list(snag.asked_to_erase.items()):
        if now - when > ASKED_FOR:
            snag.asked_to_erase.pop(key, None)
    snag.asked_to_erase[snag.key_of(person)] = (now, newest)


def erase_command(snag: Snag, person: Person, command: Command) -> Reply:
    """`erase 12`, `erase last`, `erase mine [confirm]`: the person's own; `erase @sam`: an admin's."""
    if command.number is not None:
        return _one(snag, person, command.number)
    what = command.args[0] if command.args else ""
    if what == "last":
        return _last(snag, person, said=command.text)
    if command.args == _KEEP:
        return _kept(snag, person, said=command.text)
    if what == "mine":
        return _all(snag, person, confirmed=command.args[1:] == ("confirm",), said=command.text)
    return _someone(snag, person, what, command.mentions)


def _one(snag: Snag, person: Person, number: int) -> Reply:
    """One report of theirs, named by its number; someone else's is left alone, and not described."""
    record = snag.repository.get_report(person=person, report_id=number)
    if record is None or record.reporter_key != snag.key_of(person) or not privacy.erase(snag, person, [number]):
        raise NotFound(f"Report #{number} isn't one of yours, so I left it alone. {_YOURS}")
    return cards.thanks(None, f"Erased your report #{number} and everything linked to it. It counts nowhere now.")


def _last(snag: Snag, person: Person, *, said: str) -> Reply:
    """Which report "delete my last report" means, and what to type to erase it."""
    notices = _not_filed(said)
    newest = snag.repository.list_reports(person=person, reporter_key=snag.key_of(person), limit=1)
    if not newest:
        return Reply(kind="text", title="You have no reports here to take back.", notices=notices)
    record = newest[0]
    return Reply(
        kind="text",
        title=f"Your last report is #{record.id}: “{snippet(record.text, 120)}”. "
        f"To erase it, type `erase {record.id}`. To erase all of yours, type `erase mine`.",
        notices=notices,
    )


def _all(snag: Snag, person: Person, *, confirmed: bool, said: str) -> Reply:
    """All of theirs: first what it means and how to confirm it, then, confirmed, done."""
    asked = snag.asked_to_erase.pop(snag.key_of(person), None)
    if confirmed and said:  # "yes" to the question: unless they filed another report since, ask again
        newest = snag.repository.list_reports(person=person, reporter_key=snag.key_of(person), limit=1)
        confirmed = asked is not None and bool(newest) and newest[0].id == asked[1]
    if confirmed:
        count = snag.erase(person)
        if not count:
            return Reply(kind="text", title="You have no reports here to erase.")
        return cards.thanks(None, f"Erased all {count} of your report(s) and everything linked to them.")
    theirs = snag.repository.list_reports(person=person, reporter_key=snag.key_of(person), limit=_MOST + 1)
    if not theirs:
        return Reply(kind="text", title="You have no reports here to erase.", notices=_not_filed(said))
    how_many = f"more than {_MOST:,}" if len(theirs) > _MOST else f"{len(theirs):,}"
    _ask(snag, person, theirs[0].id)
    return Reply(
        kind="text",
        title=f"This erases all your reports ({how_many}) for good: they can't be brought back. "
        "To go ahead, type `erase mine confirm`. To erase just one, type `erase <report number>`.",
        notices=_not_filed(said),
    )


def _kept(snag: Snag, person: Person, *, said: str) -> Reply:
    """A no to `erase mine`'s question: nothing erased, and a later "yes" is no longer an answer to it."""
    snag.asked_to_erase.pop(snag.key_of(person), None)
    return Reply(kind="text", title="OK, nothing was erased: your reports stay as they are.", notices=_not_filed(said))


def _not_filed(said: str) -> tuple[str, ...]:
    """For a sentence read as asking to take a report back: it was not filed itself."""
    if not said.strip():
        return ()
    return (
        f"I didn't file “{said.strip()}” as a report.",
        f"To file it as a report anyway, type: report {said.strip()}",
    )


def _someone(snag: Snag, admin: Person, who: str, mentions: tuple[str, ...]) -> Reply:
    """Admin command: erase one person's reports in this workspace or tenant."""
    if admin.role is not Role.ADMIN:
        raise PermissionDenied(
            "Erasing someone else's reports is for admins. To take back one of yours, type "
            "`erase <report number>` (`mine` lists the numbers), or `erase mine` for all of them."
        )
    user = _named(admin.platform, who, mentions)
    snag.erase(replace(admin, user=user))
    # The same answer whether they reported or not, and no count: erasing is no way to learn who reported.
    done = (
        f"Done: anything that person ({user}) reported here is erased, with everything linked to it. "
        "I don't say whether there was anything, so that erasing never tells who reported."
    )
    if user.startswith("29:"):  # Teams named the person by their chat id alone; reports are kept by AAD id
        done += f" Teams gave me only their chat id: use their Azure AD object ID too, e.g. `erase {_EXAMPLE_GUID}`."
    return cards.thanks(None, done)


def _named(platform: Platform, who: str, mentions: tuple[str, ...]) -> str:
    """The platform id `erase` names: a mention's (the text says only "@someone"), or one typed out."""
    raw = _RAW_MENTION.fullmatch(who)
    if raw is not None:
        return raw.group(1)
    if who.startswith("@") and len(set(mentions)) == 1:
        return mentions[0]
    if who.startswith("@") and mentions:
        raise InputError("Erase one person at a time: mention only them, e.g. `erase @sam`.")
    if not who.startswith("@") and _IDS[platform].fullmatch(who):
        return who
    raise InputError(f"I can't tell who “{who}” is. {_HOW_TO_NAME[platform]}")
