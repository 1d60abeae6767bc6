"""Handoff direction from word patterns around team mentions ("passed to X", "waiting on X")."""

from __future__ import annotations

from dataclasses import dataclass

from spacy.attrs import LOWER
from spacy.language import Language
from spacy.matcher import Matcher
from spacy.tokens import Doc, Span

__all__ = ["HandoffRules", "TEAM", "SYSTEM", "CUES"]

TEAM = "TEAM"
SYSTEM = "SYSTEM"
Side = str | None

# Word lists are kept as plain text so they stay easy to read and extend.
_DET = "the our their a to over back across up them it this".split()
_TRANSFER = """
    pass passes passed passing hand hands handed handing send sends sent sending
    forward forwards forwarded forwarding escalate escalates escalated escalating
    refer refers referred transfer transfers transferred push pushed chuck chucks chucked
    throw throws threw thrown dump dumped kick kicked punt punted route routed assign assigned
    email emailed emails raise raised submit submitted give gave given goes go went land lands
    bounce bounced move moved shunt shunted fire fired flick flicked
""".split()
_WAIT = """
    waiting wait waits waited chasing chase chased chases rely relying depend depending
    dependent stuck hanging blocked held
""".split()
_UNTIL = "until till til untill unless".split()
_NEGATION = set(
    """
    wont won't cant can't cannot not n't never refuse refuses dont don't doesnt doesn't
    wouldnt wouldn't wo ca do does
""".split()
)
_TEAM = {"ENT_TYPE": TEAM}
_GAP = {"IS_PUNCT": False, "OP": "{,4}"}

# name -> token patterns; the team mention closes every pattern.
CUES: dict[str, list[list[dict]]] = {
    "from_to": [[{"LOWER": "from"}, {"LOWER": "the", "OP": "?"}, _TEAM]],
    "to": [
        [
            {"LOWER": {"IN": _TRANSFER}},
            _GAP,
            {"LOWER": {"IN": ["to", "onto", "into", "with"]}},
            {"LOWER": {"IN": _DET}, "OP": "?"},
            _TEAM,
        ]
    ],
    "wait_on": [
        [
            {"LOWER": {"IN": _WAIT}},
            {"LOWER": {"IN": ["on", "for", "by", "up"]}},
            {"LOWER": {"IN": _DET}, "OP": "?"},
            _TEAM,
        ]
    ],
    "until": [[{"LOWER": {"IN": _UNTIL}}, {"LOWER": {"IN": _DET}, "OP": "?"}, _TEAM]],
}
# The first word of every cue: a report without any of them skips the matcher.
_CUE_WORDS = frozenset(["from", *_TRANSFER, *_WAIT, *_UNTIL])
_PRIORITY = ("from_to", "to", "until", "wait_on")


@dataclass(frozen=True)
class _Cue:
    name: str
    start: int
    team: Span


class HandoffRules:
    """Sets doc._.handoff_rule to (from, to) when a cue around a team mention gives a direction."""

    def __init__(self, nlp: Language, name: str = "snag_handoff") -> None:
        self.name = name
        self.matcher = Matcher(nlp.vocab)
        for cue, patterns in CUES.items():
            self.matcher.add(cue, patterns)
        self._cue_ids = frozenset(nlp.vocab.strings.add(w) for w in _CUE_WORDS)
        if not Doc.has_extension("handoff_rule"):
            Doc.set_extension("handoff_rule", default=None)

    def __call__(self, doc: Doc) -> Doc:
        teams = [e for e in doc.ents if e.label_ == TEAM]
        if teams and not self._cue_ids.isdisjoint(doc.to_array(LOWER).tolist()):
            doc._.handoff_rule = self.direction(doc, teams)
        return doc

    def direction(self, doc: Doc, teams: list[Span]) -> tuple[Side, Side] | None:
        """The (from, to) pair of the strongest cue, or None when no cue fires."""
        cues = self._cues(doc, teams)
        for name in _PRIORITY:
            for cue in (c for c in cues if c.name == name):
                pair = self._resolve(doc, cue, teams)
                if pair is not None and pair[0] != pair[1]:
                    return pair
        return None

    def _cues(self, doc: Doc, teams: list[Span]) -> list[_Cue]:
        by_end = {t.end: t for t in teams}
        found = []
        for match_id, start, end in self.matcher(doc):
            team = by_end.get(end) or next((t for t in teams if t.start < end <= t.end), None)
            if team is not None:
                found.append(_Cue(doc.vocab.strings[match_id], start, team))
        return sorted(found, key=lambda c: c.start)

    def _resolve(self, doc: Doc, cue: _Cue, teams: list[Span]) -> tuple[Side, Side] | None:
        target = cue.team.ent_id_
        sent = _sentence(doc, cue.start)
        before = [t for t in teams if sent[0] <= t.start and t.end <= cue.start]
        after = [t for t in teams if t.start >= cue.team.end and t.end <= sent[1]]
        if cue.name == "from_to":
            to = _first_after_to(doc, cue.team, after)
            near = before[-1].ent_id_ if before else None
            return (target, to or (near if near != target else None))
        if cue.name == "to":
            return (_other(before, target), target)
        if cue.name == "until":
            blocked = [t for t in before if _negated(doc, t.end, cue.start)]
            return (target, blocked[-1].ent_id_ if blocked else None) if blocked or not before else None
        if cue.name == "wait_on":
            return (target, _other(before, target))
        return None


def _sentence(doc: Doc, i: int) -> tuple[int, int]:
    """Token bounds of the sentence around token i (split at . ! ? and new lines).

    Only needed when a cue fires, so this is cheaper than a sentencizer on every report.
    """
    start = i
    while start > 0 and not _ends_sentence(doc[start - 1].text):
        start -= 1
    end = i
    while end < len(doc) and not _ends_sentence(doc[end].text):
        end += 1
    return start, min(end + 1, len(doc))


def _ends_sentence(text: str) -> bool:
    return text in (".", "!", "?", "...") or "\n" in text


def _other(mentions: list[Span], target: str) -> Side:
    for team in reversed(mentions):
        if team.ent_id_ != target:
            return team.ent_id_
    return None


def _first_after_to(doc: Doc, source: Span, after: list[Span]) -> Side:
    for team in after:
        words = {t.lower_ for t in doc[source.end : team.start]}
        if "to" in words or "into" in words or "onto" in words:
            return team.ent_id_ if team.ent_id_ != source.ent_id_ else None
    return None


def _negated(doc: Doc, start: int, end: int) -> bool:
    return any(t.lower_ in _NEGATION for t in doc[start:end])
