"""Report text to weighted term vectors: normalised words, concept tokens and character n-grams.

Normalisation is domain-aware: chat spellings ("thru", "pls", "bc") are read as words,
common synonyms of frontline work add a shared concept token ("@spreadsheet" for excel,
sheet and tracker), and words are lightly stemmed so "surveys" meets "survey".
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from functools import lru_cache
from pathlib import Path

__all__ = [
    "words",
    "written",
    "concepts",
    "char_grams",
    "Idf",
    "OwnIdf",
    "load_idf",
    "vectorise",
    "cosine",
    "normalise",
    "build_idf",
]

DATA = Path(__file__).resolve().parent / "data"
_TOKEN = re.compile(r"[a-z][a-z0-9]+")
_PLACEHOLDER = re.compile(r"\[[a-z_]+\]")

_STOP = frozenset(
    """a about above after again against all am an and any are arent as at be because been before
    being below between both but by can cant could couldnt did didnt do does doesnt doing dont down
    during each few for from further had hadnt has hasnt have havent having he hed hes her here heres
    hers herself him himself his how i id ill im ive if in into is isnt it its itself lets me more
    most my myself no nor not of off on once only or other our ours ourselves out over own same she
    shed shell shes should shouldnt so some such than that thats the their theirs them themselves then
    there theres these they theyd theyll theyre theyve this those through to too under until up very
    was wasnt we wed well were weve werent what whats when where which while who whos whom why with
    wont would wouldnt you youd youll youre youve your yours just also still even get got getting gets
    go going goes went gone one two three like really please thanks tbh lol ok okay yes yeah today
    yesterday tomorrow week weeks day days time now anyone someone everyone anything something nothing
    every another lot lots apparently actually literally think know said says say told tell telling
    want need needs needed make made thing things way back new old again""".split()
)

_SPELLING = {
    "thru": "through",
    "bc": "because",
    "cos": "because",
    "coz": "because",
    "pls": "please",
    "plz": "please",
    "tmrw": "tomorrow",
    "msg": "message",
    "msgs": "message",
    "cust": "customer",
    "custs": "customers",
    "wk": "week",
    "wks": "weeks",
    "hrs": "hours",
    "hr": "hour",
    "mins": "minutes",
    "min": "minutes",
    "appt": "appointment",
    "appts": "appointments",
    "acct": "account",
    "info": "information",
}

# Concept tokens shared by words that mean the same thing in frontline work.
_CONCEPTS = {
    "install": "install installs installed installing installation "
    "installations installer installers fit fitted fitting",
    "field": "crew crews lads engineer engineers technician technicians fitter fitters van vans site sites",
    "cancel": "cancel cancels cancelled canceled cancelling cancellation cancellations",
    "decision": "approve approved approval approvals decision decisions "
    "decide decided decline declined declines rejected",
    "wait": "wait waiting waited delay delays delayed late backlog "
    "queue queues chasing chase chased hold stuck pending",
    "spreadsheet": "spreadsheet spreadsheets excel sheet sheets tracker trackers xls csv",
    "chat": "whatsapp chat chats texts texting sms message messages messaging",
    "payment": "payment payments pay paying paid charge charged charges "
    "collection collections debit debits dd dds card cards",
    "refund": "refund refunds refunded refunding reimburse",
    "certificate": "cert certs certificate certificates certification",
    "login": "login logins password passwords mfa locked lockout authenticator",
    "stock": "stock stocks inventory shelf shelves wms",
    "schedule": "schedule schedules scheduled booking bookings booked "
    "diary calendar planner planners rota appointment appointments",
    "quote": "quote quotes quoting quoted pricing price prices",
    "photo": "photo photos pics pic picture pictures image images sketch sketches",
    "call": "call calls called calling ring rang ringing phone phoned callback callbacks",
    "email": "email emails emailed inbox mailbox",
    "retype": "retype retyping retyped rekey rekeying rekeyed typing typed paste copying",
    "owner": "owner owners owns ownership nobody responsible whose",
    "target": "target targets metric metrics kpi sla aht bonus commission",
    "broken": "broken error errors fails failed failing failure crash crashes bug glitch",
    "starter": "starter starters joiner joiners induction",
    "invoice": "invoice invoices invoiced billing bill bills statement statements",
    "courier": "delivery deliveries delivered courier couriers parcel parcels",
    "warranty": "warranty warranties guarantee",
}
_CONCEPT_OF: dict[str, tuple[str, ...]] = {}
for _concept, _words in _CONCEPTS.items():
    for _w in _words.split():
        _CONCEPT_OF[_w] = (*_CONCEPT_OF.get(_w, ()), "@" + _concept)

_SUFFIXES = ("ations", "ation", "ments", "ment", "ings", "ing", "ies", "ers", "er", "ed", "es", "s", "ly")


def stem(word: str) -> str:
    """A light suffix stemmer: enough to meet plurals and tenses, readable in titles."""
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            word = word[: -len(suffix)] + ("y" if suffix == "ies" else "")
            if len(word) > 3 and word[-1] == word[-2] and word[-1] not in "ls":
                word = word[:-1]
            return word
    return word


def normalise(text: str) -> list[str]:
    """Lower-cased tokens with chat spellings expanded and placeholders like [email] dropped."""
    flat = _PLACEHOLDER.sub(" ", text.lower().replace("’", "'").replace("'", ""))
    return [_SPELLING.get(t, t) for t in _TOKEN.findall(flat)]


def words(text: str) -> list[str]:
    """Stemmed content words plus concept tokens."""
    tokens = normalise(text)
    out = [stem(t) for t in tokens if t not in _STOP]
    out += [c for t in tokens for c in _CONCEPT_OF.get(t, ())]
    return out


def written(text: str) -> set[tuple[str, str]]:
    """Each content word's stem and the word as the text wrote it (lower-cased, chat spellings read
    as words): what a pattern's title shows for a stem is a word its own reports wrote."""
    return {(stem(t), t) for t in normalise(text) if t not in _STOP and len(t) <= MAX_KEY}


def concepts(text: str) -> set[str]:
    """The concept tokens of a text's words ("@refund" for "refunds"): a title shows one by its
    name, so a title takes them, as its words, from the text as leaders may read it."""
    return {c for t in normalise(text) for c in _CONCEPT_OF.get(t, ())}


def char_grams(text: str, size: int = 4) -> list[str]:
    """Character n-grams inside content words (catches typos and word forms the stemmer misses)."""
    out: list[str] = []
    for token in normalise(text):
        if token in _STOP:
            continue
        padded = f" {token} "
        out += [padded[i : i + size] for i in range(len(padded) - size + 1)]
    return out


class Idf:
    """Inverse document frequencies from a background corpus; unseen terms count as rare."""

    def __init__(self, docs: int, df: Mapping[str, float]) -> None:
        self.docs = docs
        self.df = dict(df)
        self._unseen = math.log((docs + 1) / 1) + 1

    def __call__(self, term: str) -> float:
        n = self.df.get(term)
        return self._unseen if n is None else math.log((self.docs + 1) / (n + 1)) + 1


def _surfaces(texts: Iterable[str]) -> dict[str, str]:
    seen: dict[str, Counter[str]] = {}
    for text in texts:
        for token in normalise(text):
            if token not in _STOP:
                seen.setdefault(stem(token), Counter())[token] += 1
    return {st: min(c.items(), key=lambda kv: (-kv[1], len(kv[0]), kv[0]))[0] for st, c in seen.items()}


@lru_cache(maxsize=1)
def surface_forms() -> dict[str, str]:
    """Stem -> the word people most often wrote for it in the shipped corpus: what a title shows for
    a stem its pattern holds no word of its own for (see PatternState.surface)."""
    return json.loads((DATA / "idf.json").read_text(encoding="utf-8")).get("surface", {})


@lru_cache(maxsize=1)
def load_idf() -> tuple[Idf, Idf]:
    """The shipped word and character IDF tables (digests/data/idf.json)."""
    data = json.loads((DATA / "idf.json").read_text(encoding="utf-8"))
    return Idf(data["docs"], data["words"]), Idf(data["docs"], data["chars"])


OWN_WEIGHT = 100  # documents the shipped tables count as beside an organisation's own reports
DOCS = "#"  # the key under which OwnIdf counts reports
MAX_KEY = 80  # longer tokens (pasted junk) are not counted; they weigh as unseen words do


class _Grown:
    """One table of OwnIdf: the shipped frequencies scaled to OWN_WEIGHT documents, plus the own counts."""

    def __init__(self, base: Idf, own: OwnIdf, prefix: str) -> None:
        self.base, self.own, self.prefix = base, own, prefix
        self.scale = own.weight / base.docs if base.docs else 0.0

    def __call__(self, term: str) -> float:
        counts = self.own.counts
        shared = self.base.df.get(term, 0.0) * self.scale + counts.get(self.prefix + term, 0)
        return math.log((self.own.weight + counts.get(DOCS, 0) + 1) / (shared + 1)) + 1


class OwnIdf:
    """Term weights that learn an organisation's own vocabulary as its reports arrive.

    The shipped tables were counted on our corpus; an organisation from another line of business
    has everyday words of its own ("vehicle", "tenant", its own name and systems) that they take
    for rare, and that would pull every report saying them into one pattern. Here the shipped
    frequencies count as OWN_WEIGHT documents beside the organisation's reports so far, each
    counted before it is weighed, so a word everyone uses soon weighs what common words weigh.
    Live grouping, rebuilds and `snag group` files all grow it report by report in time order,
    so they form the same patterns. B-cubed F1, text only: the fleet-leasing set 0.506 (shipped
    tables) -> 0.536; with an unseen name in every report 0.06 -> 0.52; our own set 0.571 -> 0.561
    (those reports are in the shipped corpus); with 300 instead of 100 the name case was 0.24.
    Tables rebuilt from all 10,650 shipped reports: fleet 0.540, our set 0.554.
    """

    def __init__(self, counts: Mapping[str, int] | None = None, *, weight: float = OWN_WEIGHT) -> None:
        self.counts: Counter[str] = Counter(counts or {})
        self.weight = weight
        widf, cidf = load_idf()
        self.tables = (_Grown(widf, self, "w:"), _Grown(cidf, self, "c:"))

    @property
    def docs(self) -> int:
        return self.counts.get(DOCS, 0)

    @staticmethod
    def keys(text: str) -> set[str]:
        """What one report adds to the counts: each distinct word and character gram, and one document."""
        keys = {f"w:{t}" for t in words(text)} | {f"c:{g}" for g in char_grams(text)}
        return {k for k in keys if len(k) <= MAX_KEY} | {DOCS}

    def add(self, text: str) -> set[str]:
        """Count one more report; returns the keys it added one to."""
        keys = self.keys(text)
        self.counts.update(keys)
        return keys

    def remove(self, amounts: Mapping[str, int]) -> None:
        """Take counts back (an erasure), each key by its amount; one that reaches zero goes, as
        its row in the database does (digests.counts.count_terms)."""
        self.counts.subtract(amounts)
        for key in amounts:
            if self.counts[key] <= 0:
                del self.counts[key]


def vectorise(terms: Iterable[str], idf: Callable[[str], float]) -> dict[str, float]:
    """Sublinear TF times IDF, L2-normalised."""
    counts = Counter(terms)
    vec = {t: (1 + math.log(n)) * idf(t) for t, n in counts.items()}
    norm = math.sqrt(sum(v * v for v in vec.values())) or 1.0
    return {t: v / norm for t, v in vec.items()}


def cosine(a: Mapping[str, float], b: Mapping[str, float]) -> float:
    """Cosine of two sparse vectors (no assumption that they are normalised)."""
    if len(a) > len(b):
        a, b = b, a
    dot = sum(v * b.get(t, 0.0) for t, v in a.items())
    if not dot:
        return 0.0
    na = math.sqrt(sum(v * v for v in a.values()))
    nb = math.sqrt(sum(v * v for v in b.values()))
    return dot / (na * nb)


def build_idf(texts: Iterable[str], out: Path = DATA / "idf.json") -> Path:
    """Write the IDF tables for a corpus (terms seen in fewer than 2 documents are left out)."""
    docs, wdf, cdf, texts_seen = 0, Counter[str](), Counter[str](), []
    for text in texts:
        docs += 1
        texts_seen.append(text)
        wdf.update(set(words(text)))
        cdf.update(set(char_grams(text)))
    payload = {
        "docs": docs,
        "surface": {st: w for st, w in sorted(_surfaces(texts_seen).items()) if st != w},
        "words": {t: n for t, n in sorted(wdf.items()) if n >= 2},
        "chars": {t: n for t, n in sorted(cdf.items()) if n >= 2},
    }
    out.write_text(json.dumps(payload, separators=(",", ":")), encoding="utf-8")
    return out


if __name__ == "__main__":
    import glob

    corpus = [
        json.loads(line)["text"]
        for f in sorted(glob.glob(str(DATA.parent.parent / "classifier/data/reports/*.jsonl")))
        for line in open(f, encoding="utf-8")
    ]
    corpus += [json.loads(line)["text"] for line in open(DATA / "grouping.jsonl", encoding="utf-8")]
    print(build_idf(corpus))
