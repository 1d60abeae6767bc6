"""Incremental grouping: a report joins the most similar pattern above a threshold, or starts one.

The same engine runs over an in-memory store (files, rebuilds) and over the database
(new reports as they arrive), so grouping history again gives the same patterns.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from digests.features import char_grams, concepts, load_idf, vectorise, words, written
from digests.index import WordIndex

__all__ = [
    "TITLED",
    "said_in",
    "Params",
    "ReportFeatures",
    "PatternState",
    "PatternStore",
    "MemoryStore",
    "Engine",
    "features_of",
]

MAX_WORDS = 40  # terms kept per pattern centroid
MAX_CHARS = 120
CANDIDATES = 40  # patterns scored exactly per report
# The words a pattern's reports wrote are kept for its heaviest stems, those a title can show (it
# shows four at most), a few forms each: "porters" for "port", "PAS" (lower-cased) for "pas".
TITLE_STEMS = 12
FORMS = 4
SURFACE = "_s:"  # in Pattern.terms: "_s:<stem>:<word>" -> how many of its reports wrote the word
# In Pattern.terms: "_p:<term>" -> a tag of the one person who wrote a term a title could show (a
# number made from their reporter key and the term), or SHARED once two or more people did.
SHARERS = "_p:"
SHARED = 0.0
# In Pattern.terms: written since titles took only words two people wrote, so SHARERS is complete.
# Terms stored before hold no writers: PatternState.legacy, until its members' are read (pattern_rows).
TITLED = "_t"


@dataclass(frozen=True)
class Params:
    """Similarity weights and the joining threshold (tuned on one half of the labelled set)."""

    char_weight: float = 0.4
    kind_weight: float = 0.2
    team_weight: float = 0.05
    handoff_bonus: float = 0.1
    stage_bonus: float = 0.1
    size_exponent: float = 0.2
    threshold: float = 0.26
    # Known, different stages keep reports apart. Tags guessed by the classifier are not
    # sure enough for that, so file grouping on untagged input turns the veto off.
    stage_veto: bool = True


@dataclass(frozen=True)
class ReportFeatures:
    words: Mapping[str, float]
    chars: Mapping[str, float]
    stage: str | None
    kinds: tuple[str, ...]
    teams: tuple[str, ...]
    handoff: str | None  # "from>to"
    created_at: datetime
    norms: tuple[float, float] = (1.0, 1.0)  # lengths of words and chars, worked out once
    written: tuple[tuple[str, str], ...] = ()  # (stem, word as written) of each content word, once
    # Titles only, from the text as leaders may read it (a sign-off scrubbed): the stems and concept
    # tokens it says, and who wrote it (a reporter key; "" is someone no other report is by).
    said: tuple[str, ...] = ()
    reporter: str = ""


def features_of(
    text: str,
    *,
    stage: str | None,
    kinds: Sequence[str],
    teams: Sequence[str],
    handoff: tuple[str | None, str | None] | None,
    created_at: datetime,
    idf: tuple[Callable[[str], float], Callable[[str], float]] | None = None,
    reporter: str = "",
    read: str | None = None,
) -> ReportFeatures:
    """Vectorise a tagged report, weighing terms by the given IDF tables (default: the shipped ones).

    Grouping reads the text as stored; a title takes words only from `read`, the text as leaders
    may read it (its sign-off scrubbed: pattern_rows.readable), and only words two people wrote
    (`reporter`): a name someone signs with is theirs alone, however often they sign."""
    widf, cidf = idf or load_idf()
    word_vec, char_vec = vectorise(words(text), widf), vectorise(char_grams(text), cidf)
    shown = written(text if read is None else read)
    return ReportFeatures(
        words=word_vec,
        chars=char_vec,
        norms=(_norm(word_vec), _norm(char_vec)),
        stage=stage,
        kinds=tuple(kinds),
        teams=tuple(teams),
        handoff=f"{handoff[0] or ''}>{handoff[1] or ''}" if handoff else None,
        created_at=created_at,
        written=tuple(sorted(shown)),
        said=tuple(sorted(said_in(text if read is None else read, shown))),
        reporter=reporter,
    )


def said_in(read: str, shown: set[tuple[str, str]] | None = None) -> set[str]:
    """The terms a title could take from a text as leaders may read it: the stems of its content
    words (`shown`, when already worked out) and its concept tokens."""
    return {st for st, _ in (written(read) if shown is None else shown)} | concepts(read)


def _top(vec: Mapping[str, float], limit: int) -> dict[str, float]:
    if len(vec) <= limit:
        return dict(vec)
    return dict(sorted(vec.items(), key=lambda kv: (-kv[1], kv[0]))[:limit])


def _majority(counts: Mapping[str, float], n: int, *, at_least_one: bool) -> tuple[str, ...]:
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    chosen = tuple(k for k, c in ranked if c * 2 >= n)
    return chosen or (tuple(k for k, _ in ranked[:1]) if at_least_one else ())


def _norm(vec: Mapping[str, float]) -> float:
    return math.sqrt(sum(v * v for v in vec.values()))


def _cosine(
    report: Mapping[str, float], report_norm: float, centroid: Mapping[str, float], centroid_norm: float
) -> float:
    if not centroid_norm:
        return 0.0
    get = centroid.get
    dot = sum(v * get(t, 0.0) for t, v in report.items())
    return dot / (report_norm * centroid_norm) if dot else 0.0


def _jaccard(a: Iterable[str], b: Iterable[str]) -> float:
    sa, sb = set(a), set(b)
    return len(sa & sb) / len(sa | sb) if sa | sb else 0.5


@dataclass
class PatternState:
    """A pattern's summed member vectors and tag counts: all grouping needs to know of it."""

    id: int
    words: dict[str, float]
    chars: dict[str, float]
    n: int
    tags: dict[str, float] = field(default_factory=dict)  # "s:stage" | "k:kind" | "t:team" | "h:a>b" -> count
    first_seen: datetime | None = None
    last_seen: datetime | None = None
    wordless: int = 0  # members that brought no words (texts the retention policy removed)
    # stem -> word -> how many reports wrote it, for the TITLE_STEMS heaviest stems only. Grouping
    # never reads it: similarity, the word index and the centroid are the same with or without it.
    surfaces: dict[str, dict[str, float]] = field(default_factory=dict)
    # term -> who alone wrote it (a tag), or SHARED: for the terms a title could show only (see shared)
    sharers: dict[str, float] = field(default_factory=dict)
    # Read from terms stored before writers were noted (no TITLED): sharers hold only the reports
    # added since, until its stored members' writers are added (add_writers) when it is next written.
    legacy: bool = field(default=False, compare=False)
    _norms: tuple[float, float] | None = field(default=None, repr=False, compare=False)
    _labels: tuple[int, tuple] | None = field(default=None, repr=False, compare=False)  # (n, majorities)

    @property
    def norms(self) -> tuple[float, float]:
        """Lengths of the word and character centroids (kept until the pattern changes)."""
        if self._norms is None:
            self._norms = (_norm(self.words), _norm(self.chars))
        return self._norms

    def axis(self, prefix: str) -> dict[str, float]:
        return {k[2:]: v for k, v in self.tags.items() if k.startswith(prefix)}

    def _majorities(self) -> tuple:
        """Stage, kinds, teams and handoff by majority (kept while the pattern's size is the same)."""
        if self._labels is None or self._labels[0] != self.n:
            stages = _majority(self.axis("s:"), 0, at_least_one=True)
            handoffs = _majority(self.axis("h:"), self.n, at_least_one=False)
            found = (
                stages[0] if stages else None,
                _majority(self.axis("k:"), self.n, at_least_one=True),
                _majority(self.axis("t:"), self.n, at_least_one=False),
                handoffs[0] if handoffs else None,
            )
            self._labels = (self.n, found)
        return self._labels[1]

    @property
    def stage(self) -> str | None:
        return self._majorities()[0]

    @property
    def kinds(self) -> tuple[str, ...]:
        return self._majorities()[1]

    @property
    def teams(self) -> tuple[str, ...]:
        return self._majorities()[2]

    @property
    def handoff(self) -> str | None:
        return self._majorities()[3]

    def add(self, report: ReportFeatures) -> None:
        """Fold one more report into the pattern."""
        for vec, own in ((report.words, self.words), (report.chars, self.chars)):
            for t, v in vec.items():
                own[t] = own.get(t, 0.0) + v
        self.words, self.chars = _top(self.words, MAX_WORDS), _top(self.chars, MAX_CHARS)
        self._norms = None
        self.n += 1
        self.wordless += not report.words
        if report.written or report.said:
            shown = self.title_stems()
            for st, word in report.written:
                if st in shown:
                    forms = self.surfaces.setdefault(st, {})
                    forms[word] = forms.get(word, 0.0) + 1
            self._count_sharers(report, shown)
            self.trim_surfaces(shown)
        labels = [f"k:{k}" for k in report.kinds] + [f"t:{t}" for t in report.teams]
        labels += [f"s:{report.stage}"] if report.stage else []
        labels += [f"h:{report.handoff}"] if report.handoff else []
        for label in labels:
            self.tags[label] = self.tags.get(label, 0) + 1
        seen = report.created_at
        self.first_seen = min(self.first_seen, seen) if self.first_seen else seen
        self.last_seen = max(self.last_seen, seen) if self.last_seen else seen

    def title_stems(self) -> set[str]:
        """The heaviest stems of the centroid (not concept tokens, which show as their name): those
        whose written words are kept."""
        stems = [t for t in self.words if not t.startswith("@")]
        if len(stems) > TITLE_STEMS:
            stems = sorted(stems, key=lambda t: (-self.words[t], t))[:TITLE_STEMS]
        return set(stems)

    def _titled(self, term: str, shown: set[str]) -> bool:
        """Whether a title could show this term: one of the heaviest stems, or a concept token of
        the centroid (a title shows it by its name)."""
        return term in shown or (term.startswith("@") and term in self.words)

    def _count_sharers(self, report: ReportFeatures, shown: set[str]) -> None:
        """Note who wrote each term a title could show: the one person so far, or two or more.

        Kept only while a title could show the term, so a term coming back counts its writers
        afresh: fewer than wrote it, never more, and a title shows it only once two people did."""
        self._note_writer(report.reporter, report.said, shown)

    def _note_writer(self, reporter: str, said: Iterable[str], shown: set[str]) -> None:
        """One report's writer for the terms it said that a title could show. The order reports
        come in does not matter: a pattern grouped before writers were noted may add its stored
        members' afterwards (add_writers)."""
        for term in said:
            if not self._titled(term, shown):
                continue
            tag, before = _tag(reporter, term), self.sharers.get(term)
            if before is None:
                self.sharers[term] = tag
            elif before != tag or not reporter:  # "": someone no other report is by
                self.sharers[term] = SHARED

    def add_writers(self, members: Iterable[tuple[str, Iterable[str]]]) -> None:
        """Note who wrote what in reports already in this pattern, (reporter key, said_in of the
        text as leaders may read it) each: the writers a legacy pattern's terms never held."""
        shown = self.title_stems()
        for reporter, said in members:
            self._note_writer(reporter, said, shown)
        self.legacy = False

    def shared(self, term: str) -> bool:
        """Whether two or more people wrote this term, as leaders may read their reports."""
        return self.sharers.get(term) == SHARED

    def trim_surfaces(self, shown: set[str] | None = None) -> None:
        """Keep written words (and who wrote them) only for the terms a title can show, and only
        the FORMS most written of each, so that Pattern.terms stays small however many reports a
        pattern has."""
        shown = self.title_stems() if shown is None else shown
        for st in [st for st in self.surfaces if st not in shown]:
            del self.surfaces[st]
        for st, forms in self.surfaces.items():
            if len(forms) > FORMS:
                self.surfaces[st] = dict(sorted(forms.items(), key=_most_written)[:FORMS])
        for term in [term for term in self.sharers if not self._titled(term, shown)]:
            del self.sharers[term]

    def surface(self, stem: str) -> str | None:
        """The word this pattern's reports wrote most for a stem (ties: the shorter, then the first
        alphabetically), or None when it holds none (a pattern grouped before it kept them)."""
        forms = self.surfaces.get(stem)
        return min(forms.items(), key=_most_written)[0] if forms else None

    def to_terms(self) -> dict[str, float]:
        """The flat form kept in Pattern.terms."""
        return (
            {f"w:{t}": v for t, v in self.words.items()}
            | {f"c:{t}": v for t, v in self.chars.items()}
            | {f"x{k}": v for k, v in self.tags.items()}
            | {"_n": float(self.n)}
            | ({"_r": float(self.wordless)} if self.wordless else {})
            | {f"{SURFACE}{st}:{word}": n for st, forms in self.surfaces.items() for word, n in forms.items()}
            | {f"{SHARERS}{term}": tag for term, tag in self.sharers.items()}
        )

    @classmethod
    def from_terms(
        cls,
        pattern_id: int,
        terms: Mapping[str, float],
        first_seen: datetime | None = None,
        last_seen: datetime | None = None,
    ) -> PatternState:
        """Read back what to_terms wrote."""
        surfaces: dict[str, dict[str, float]] = {}
        sharers: dict[str, float] = {}
        for key, n in terms.items():
            if key.startswith(SURFACE):
                st, _, word = key[len(SURFACE) :].partition(":")
                surfaces.setdefault(st, {})[word] = n
            elif key.startswith(SHARERS):
                sharers[key[len(SHARERS) :]] = n
        return cls(
            id=pattern_id,
            words={k[2:]: v for k, v in terms.items() if k.startswith("w:")},
            chars={k[2:]: v for k, v in terms.items() if k.startswith("c:")},
            n=int(terms.get("_n", 0)),
            tags={k[1:]: v for k, v in terms.items() if k.startswith("x")},
            first_seen=first_seen,
            last_seen=last_seen,
            wordless=int(terms.get("_r", 0)),
            surfaces=surfaces,
            sharers=sharers,
            legacy=bool(terms) and TITLED not in terms,
        )


def _tag(reporter: str, term: str) -> float:
    """A number for one person writing one term (never SHARED): whether two reports' writers
    differ can be told, not who either is, nor that one person wrote two terms."""
    digest = hashlib.blake2b(f"{reporter}\n{term}".encode(), digest_size=4).digest()
    return float(int.from_bytes(digest, "big") + 1)


def _most_written(form: tuple[str, float]) -> tuple[float, int, str]:
    word, n = form
    return (-n, len(word), word)


def similarity(report: ReportFeatures, pattern: PatternState, params: Params) -> float:
    """How well a report fits a pattern; -inf when their stages are known and differ."""
    stage = pattern.stage
    if params.stage_veto and report.stage and stage and report.stage != stage:
        return -math.inf
    word_norm, char_norm = pattern.norms
    text = (1 - params.char_weight) * _cosine(report.words, report.norms[0], pattern.words, word_norm)
    text += params.char_weight * _cosine(report.chars, report.norms[1], pattern.chars, char_norm)
    score = text * pattern.n**params.size_exponent
    if report.stage and report.stage == stage:
        score += params.stage_bonus
    score += params.kind_weight * (_jaccard(report.kinds, pattern.kinds) - 0.5)
    score += params.team_weight * (_jaccard(report.teams, pattern.teams) - 0.5)
    if report.handoff and report.handoff == pattern.handoff:
        score += params.handoff_bonus
    return score


class PatternStore(Protocol):
    def candidates(self, words: Mapping[str, float], limit: int) -> list[int]: ...

    def load(self, ids: Sequence[int]) -> list[PatternState]: ...

    def create(self, report: ReportFeatures) -> PatternState: ...

    def save(self, state: PatternState, old_words: Iterable[str]) -> None: ...


class Engine:
    """Assigns reports to patterns over any PatternStore."""

    def __init__(self, store: PatternStore, params: Params | None = None) -> None:
        self.store = store
        self.params = params or Params()

    def best(self, report: ReportFeatures) -> tuple[PatternState | None, float]:
        """The most similar existing pattern and its score."""
        best: PatternState | None = None
        best_score = -math.inf
        for state in self.store.load(self.store.candidates(report.words, CANDIDATES)):
            score = similarity(report, state, self.params)
            if score > best_score or (score == best_score and best and state.id < best.id):
                best, best_score = state, score
        return best, best_score

    def assign(self, report: ReportFeatures) -> tuple[PatternState, bool]:
        """Join the best pattern above the threshold, else start one; returns it and whether it is new."""
        best, score = self.best(report)
        if best is None or score < self.params.threshold:
            return self.store.create(report), True
        old = list(best.words)
        best.add(report)
        self.store.save(best, old)
        return best, False


class MemoryStore:
    """Patterns in memory, with an inverted index over their centroid words."""

    def __init__(self) -> None:
        self.patterns: dict[int, PatternState] = {}
        self.index = WordIndex()

    def candidates(self, words: Mapping[str, float], limit: int) -> list[int]:
        return self.index.top(words, limit)

    def load(self, ids: Sequence[int]) -> list[PatternState]:
        return [self.patterns[i] for i in ids]

    def create(self, report: ReportFeatures) -> PatternState:
        state = PatternState(id=len(self.patterns) + 1, words={}, chars={}, n=0)
        state.add(report)
        self.patterns[state.id] = state
        self.save(state, ())
        return state

    def save(self, state: PatternState, old_words: Iterable[str]) -> None:
        self.index.update(state.id, old_words, state.words)
