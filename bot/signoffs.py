"""Sign-offs: the writer's own name in a quoted report ("Thanks, Priya (night sister)", "— Sam",
"I'm Priya from the night team") becomes [name], as the redactor does for other identifiers.

Leaders may read a few reports word for word (the digest's "In their words", `pattern <id>`), and
a reporter is never named to them; people still sign off politely. Only the shapes that name the
writer are touched: a sign-off word or a dash at the very end followed by a name, or "I'm" / "my
name is" before a capitalised name. A name is a capitalised word that is not a common word, day,
month, team or place (an all-capitals word is an acronym, not a name). The text is stored as
written, so the person's own `mine` still shows what they typed.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import TypeVar

__all__ = ["NAME", "scrub", "names_writer", "plain_first"]

NAME = "[name]"
T = TypeVar("T")

# Words that start with a capital here and are not someone's name.
_NOT_NAMES = frozenset(
    """
    i a an the and but or so not no yes just still also only very really sorry here there this that it its
    we you they he she me my our your his her their on in at from to for of with by about again all
    everyone everybody team guys folks mate lol ok okay thanks thank cheers regards best please hi hello hey
    sir madam dear boss manager management staff afraid told meant supposed new agency bank band part full
    night day late early off english british irish scottish welsh polish european asian african american
    monday tuesday wednesday thursday friday saturday sunday mon tue tues wed thu thur thurs fri sat sun
    today tonight tomorrow yesterday morning afternoon evening weekend
    january february march april may june july august september october november december
    jan feb mar apr jun jul aug sep sept oct nov dec
    finance sales support ops operations legal payroll billing marketing procurement compliance admin
    customer customers service services reception pharmacy security logistics warehouse dispatch accounts
    hr it helpdesk desk front back head office store shop branch depot site unit ward block gate terminal
    room bay zone level floor building dock door line platform station lane aisle
    wrong spelt spelled missing listed down showing shown gone removed used still never always
    """.split()
)
_WORD = r"[^\W\d_][^\W\d_'’-]*(?:['’-][^\W\d_]+)*\.?"
_TOKEN = re.compile(_WORD)
_GAP = re.compile(r"[ \t]+")
# A closing word at the very end of a report: "Thanks, Priya", "Kind regards - Sam", "cheers Priya".
_SIGNOFF_WORD = re.compile(
    r"(?:^|(?<=[\s.,!?;:()\-–—]))(?:(?:many|kind|best|warm|warmest)\s+(?:thanks|regards|wishes)"
    r"|thanks|thank\s+you|thankyou|cheers|regards|thx|thnx|ty|ta|best|rgds)"
    r"(?:\s+(?:again|so\s+much|a\s+lot|in\s+advance))?(?P<sep>[\s,.!:;\-–—]+)",
    re.IGNORECASE,
)
# A dash, then the name at the very end: "… meds late — Sam", "- Priya (nights)".
_DASH = re.compile(r"(?:^|(?<=\s))(?:--?|–|—|~)[ \t]*")
# A self-introduction: "I'm Priya", "I am Sam Jones", "my name is Priya", "hi, this is Sam".
_INTRO = re.compile(
    r"\b(?:I['’]?m|I\s+am|my\s+name\s+is|my\s+name['’]s|(?:hi|hello|hey|morning)[\s,!]+this\s+is)[ \t]+",
    re.IGNORECASE,
)
# What may follow a signature's name: a role in brackets, or after a comma, dash or "from"/"at"/"on"
# ("Priya (night sister, ward 4)", "Sam, Band 5, ward 4", "Priya from nights"), then a full stop,
# a kiss or two. Nothing that reads as another sentence.
_ROLE = re.compile(
    r"(?:[ \t]*\([^()\n]{1,80}\)|[ \t]*[,/|\-–—\n][ \t]*[^.!?\n]{1,60}"
    r"|[ \t]+(?:from|at|on|in|of)[ \t]+[^.!?\n]{1,60})?"
)
_END = re.compile(r"[ \t]*(?:\b[xX]{1,3}\b)?[\s.!)]*\Z")


def _is_name(word: str, *, lowercase: bool = False) -> bool:
    """A capitalised word that is not a common one (or, where `lowercase`, any uncommon word)."""
    bare = word.rstrip(".")
    if not bare or bare.lower() in _NOT_NAMES:
        return False
    if len(bare) == 1:  # an initial: "Sam J."
        return bare.isupper()
    if bare.isupper():  # IT, HR, PRM: an acronym
        return False
    return bare[0].isupper() or (lowercase and bare.isalpha() and bare.islower())


def _names_at(text: str, start: int, *, lowercase: bool = False) -> int:
    """The end of one to three names starting at `start`, or `start` when there is none."""
    end, taken = start, 0
    while taken < 3:
        gap = _GAP.match(text, end) if taken else None
        at = gap.end() if gap else end
        token = _TOKEN.match(text, at)
        if token is None or not _is_name(token.group(), lowercase=lowercase and taken == 0):
            break
        end, taken = token.end(), taken + 1
        lowercase = False  # "thanks, priya" is a name; "thanks, priya night" is not a signature
    if taken == 1 and len(text[start:end].rstrip(".")) == 1:
        return start  # an initial alone ("- A") is a list item or a grade, not a name
    return end


def _signature_end(text: str, start: int, *, lowercase: bool = False) -> tuple[int, int] | None:
    """(end of name and role, end of the name) when the rest of the text from `start` is a signature."""
    name_end = _names_at(text, start, lowercase=lowercase)
    if name_end == start:
        return None
    if lowercase and not text[start].isupper() and not _END.match(text, name_end):
        return None  # a lowercase name only when it ends the text: "thanks, priya"
    role = _ROLE.match(text, name_end)
    role_end = role.end() if role else name_end
    for end in (role_end, name_end):
        if _END.match(text, end):
            return end, name_end
    return None


def _signoff(text: str) -> str:
    for m in _SIGNOFF_WORD.finditer(text):
        found = _signature_end(text, m.end(), lowercase=any(c in m.group("sep") for c in ",-–—:"))
        if found is not None:
            return text[: m.end()] + NAME + text[found[0] :]
    return text


def _dash(text: str) -> str:
    for m in _DASH.finditer(text):
        if m.start() == 0:
            continue  # a report that starts with a dash is a list, not a signature
        found = _signature_end(text, m.end())
        if found is not None:
            return text[: m.end()] + NAME + text[found[0] :]
    return text


def _intro(text: str) -> str:
    out, done = [], 0
    for m in _INTRO.finditer(text):
        lowercase = "name" in m.group().lower()  # "my name is priya"; "I'm tired" is no name
        end = _names_at(text, m.end(), lowercase=lowercase)
        if end > m.end():
            out += [text[done : m.end()], NAME]
            done = end
    return "".join(out) + text[done:]


def scrub(text: str) -> str:
    """The text with the writer's own name in a sign-off or self-introduction replaced by [name]."""
    return _dash(_signoff(_intro(text)))


def names_writer(text: str) -> bool:
    """True when the text carries a sign-off or self-introduction that `scrub` would replace."""
    return scrub(text) != text


def plain_first(items: Iterable[T], n: int, text: Callable[[T], str]) -> list[T]:
    """Up to n items, those whose text names nobody first; the chosen keep the order given."""
    ranked = sorted(enumerate(items), key=lambda pair: names_writer(text(pair[1])))[:n]
    return [item for _, item in sorted(ranked, key=lambda pair: pair[0])]
