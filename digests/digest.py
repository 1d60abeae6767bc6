"""A digest for one audience: the signals of one week, folded for anonymity, ready to render."""

from __future__ import annotations

import heapq
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime

from bot.commands import read_label
from bot.domain import new_again
from bot.errors import InputError
from bot.redact import redactor_for
from bot.signoffs import plain_first, scrub
from bot.taxonomy import Taxonomy
from digests import signals
from digests.snapshot import Cells, PatternInfo, Snapshot, WeekFigures, WeekReport
from digests.week import shares_team, week_moves
from store.privacy import RETAINED_TEXT

__all__ = [
    "Audience",
    "PatternLine",
    "Digest",
    "build_digest",
    "parse_audience",
    "period_of",
    "week_figures",
    "in_section",
    "trend_lines",
    "trend_counts",
    "MAX_LINES",
    "MOST",
]

MAX_LINES = 5
MOST = 20  # patterns per section counted for its "…and N more"; past it, "…and at least N more"
MAX_QUOTES = 3
TREND_LINES = 5  # patterns the trend chart draws
SECTIONS = ("new", "spiking", "persistent", "fading", "unowned", "resolved", "top")


Stake = tuple[int, str | None, int, int]  # a pattern's id, owner, reports tagged with the team, reports


@dataclass(frozen=True)
class Audience:
    kind: str  # all | team | stage
    value: str | None = None
    # A team's: the patterns it has a stake in beyond its teams' (with_stakes), of those read.
    stakes: frozenset[int] = field(default=frozenset(), compare=False)
    # A team's: the owners the taxonomy reads as the team (with_owners), for the database to check.
    owners: frozenset[str] = field(default=frozenset(), compare=False)

    @property
    def key(self) -> str:
        return "all" if self.kind == "all" else f"{self.kind}:{self.value}"

    def label(self, taxonomy: Taxonomy) -> str:
        return "whole organisation" if self.kind == "all" else f"{self.kind} {taxonomy.title(self.value)}"

    def with_stakes(self, patterns: Iterable[Stake], taxonomy: Taxonomy) -> Audience:
        """A team audience that also holds the patterns of these a third of whose reports are tagged with
        the team (shares_team), or whose owner the taxonomy reads as the team (its label, title or an
        alias, in any case: `Finance`, `accounts team`)."""
        if self.kind != "team":
            return self
        found = {
            pid
            for pid, owner, tagged, members in patterns
            if shares_team(tagged, members) or (owner and self.value == taxonomy.find("team", owner))
        }
        return replace(self, stakes=self.stakes | found) if found - self.stakes else self

    def with_owners(self, owners: Iterable[str], taxonomy: Taxonomy) -> Audience:
        """A team audience that knows which of these owners the taxonomy reads as the team, as
        with_stakes reads them, so that the database can tell the patterns it owns."""
        if self.kind != "team":
            return self
        return replace(self, owners=frozenset(o for o in owners if o and self.value == taxonomy.find("team", o)))

    def has_pattern(self, p: PatternInfo) -> bool:
        """The whole organisation's every pattern; a stage's, those of that stage; a team's, those
        whose teams hold it and those it has a stake in (with_stakes)."""
        if self.kind == "team":
            return self.value in p.teams or p.id in self.stakes
        return self.kind == "all" or (self.kind == "stage" and p.stage == self.value)

    def stake_of(self, p: PatternInfo) -> Stake:
        """What with_stakes reads of a pattern."""
        return p.id, p.owner, dict(p.team_reports).get(self.value or "", 0), p.members

    def has_report(self, r: WeekReport) -> bool:
        return (
            self.kind == "all"
            or (self.kind == "team" and self.value in r.teams)
            or (self.kind == "stage" and r.stage == self.value)
        )


def parse_audience(raw: str | None, taxonomy: Taxonomy) -> Audience:
    """'all', 'team:finance' or 'stage:billing', the team or stage read as `top` reads it (its label,
    title or an alias: `team:accounts` is finance); anything else is told in one line what is allowed."""
    value = (raw or "all").strip()
    if value.lower() in ("all", "", "org", "everyone"):
        return Audience("all")
    kind, colon, typed = value.partition(":")
    kind = kind.strip().lower()
    if colon and kind in ("team", "stage"):
        return Audience(kind, read_label(taxonomy, kind, typed))
    raise InputError(f"An audience is `all`, `team:<team>` or `stage:<stage>`{_audience_guess(value, taxonomy)}")


def _audience_guess(value: str, taxonomy: Taxonomy) -> str:
    """`digest sales`, `teams:finance`: the audience they most likely meant, else an example and the lists."""
    typed = value.partition(":")[2] or value
    named = [f"`{kind}:{label}`" for kind in ("team", "stage") if (label := taxonomy.find(kind, typed))]
    named = named or [f"`{kind}:{label}`" for kind in ("team", "stage") for label in taxonomy.closest(kind, typed, 1)]
    if named and typed.lower().rstrip("s") not in ("team", "stage"):  # `digest team`: which one is not a slip
        return f": did you mean {' or '.join(named)}?"
    return (
        f", e.g. `team:{taxonomy.team_labels[0]}`; the teams are {', '.join(taxonomy.team_labels)}, "
        f"the stages {', '.join(taxonomy.stage_labels)}."
    )


def period_of(week_start: datetime) -> str:
    year, week, _ = week_start.isocalendar()
    return f"{year}-W{week:02d}"


@dataclass(frozen=True)
class PatternLine:
    id: int
    title: str
    stage: str | None
    teams: tuple[str, ...]
    status: str
    owner: str | None
    reporters: int
    counts: tuple[int, ...]  # weekly, oldest first
    # New again after a status was set: reported after it was resolved (digests.grouper), or set back.
    again: bool = False
    people: tuple[int, int] = (0, 0)  # distinct reporters this week and the week before

    @property
    def this_week(self) -> int:
        return self.counts[-1]

    @property
    def last_week(self) -> int:
        return self.counts[-2] if len(self.counts) > 1 else 0

    def shown(self, k: int) -> tuple[int | None, int | None]:
        """This week's and the week before's reports as the digest may show them: None for a week
        whose reports come from fewer than k people, nobody included, so that none and one or two
        people read alike."""
        now, before = self.people
        return (self.this_week if now >= k else None, self.last_week if before >= k else None)


@dataclass(frozen=True)
class Digest:
    audience: Audience
    audience_label: str
    period: str
    week_start: datetime
    week_end: datetime
    weeks: tuple[str, ...]
    k: int
    total: int
    total_prev: int
    reporters: int
    suppressed: bool
    new: tuple[PatternLine, ...] = ()
    spiking: tuple[PatternLine, ...] = ()
    persistent: tuple[PatternLine, ...] = ()
    fading: tuple[PatternLine, ...] = ()
    unowned: tuple[PatternLine, ...] = ()
    resolved: tuple[PatternLine, ...] = ()
    top: tuple[PatternLine, ...] = ()
    sizes: dict[str, int] = field(default_factory=dict)  # section -> patterns meeting its rule, >= k reporters, to MOST
    other_reports: int = 0  # this week's reports in patterns no section lists (small ones among them)
    other_countable: bool = False  # whether those reports are from at least k people (else no count is shown)
    # Whether the week's total, and the week before's, may be shown: each would give away what the
    # listed patterns leave of it (the total minus their counts) unless that is nothing or from k people.
    total_countable: bool = True
    prev_countable: bool = True
    hotspots: dict[tuple[str, str], int] = field(default_factory=dict)
    hotspots_other: int = 0  # reports of the handoff cells with fewer than k reporters
    hotspots_other_countable: bool = False  # whether those cells together have at least k reporters
    heat: dict[tuple[str, str], int] = field(default_factory=dict)
    heat_other: int = 0
    heat_other_countable: bool = False
    # whether each table's cells add up to the week's total, so that they would give it away
    hotspots_add_up: bool = False
    heat_add_up: bool = False
    quotes: tuple[tuple[int, str], ...] = ()
    spike_rule: str = signals.SPIKE_RULE
    # The trend chart's patterns (trend_lines): distinct reporters in each of `weeks`, oldest first.
    week_people: dict[int, tuple[int, ...]] = field(default_factory=dict)


def trend_lines(d: Digest) -> list[PatternLine]:
    """The patterns the trend chart draws: the spiking, then most reported, then persistent ones."""
    return list(dict.fromkeys((*d.spiking, *d.top, *d.persistent)))[:TREND_LINES]


def trend_counts(d: Digest, line: PatternLine) -> tuple[int | None, ...]:
    """A charted line's weekly counts as the chart may draw them, oldest first: None for a week whose
    reports come from fewer than k people, nobody included (as PatternLine.shown), or whose people
    were not counted."""
    people = d.week_people.get(line.id, ())
    return tuple(n if i < len(people) and people[i] >= d.k else None for i, n in enumerate(line.counts))


def _line(p: PatternInfo, snap: Snapshot) -> PatternLine:
    counts = signals.series(snap.history.get(p.id, {}), snap.weeks)
    again = new_again(p.status, p.status_changed_at)
    reporters = snap.reporters.get(p.id, 0)
    return PatternLine(
        p.id, p.title, p.stage, p.teams, p.status, p.owner, reporters, counts, again=again, people=snap.people_of(p)
    )


def visible_ids(snap: Snapshot, audience: Audience) -> list[int]:
    """Patterns of this audience that the digest may mention, before the anonymity check."""
    return sorted(pid for pid, p in snap.patterns.items() if audience.has_pattern(p))


def in_section(name: str, p: PatternInfo, counts: tuple[int, ...], snap: Snapshot, *, k: int) -> bool:
    """Whether a pattern with these weekly counts (oldest first) meets the section's rule; Spiking and
    Most reported need at least k people reporting it this week (snap.people_of)."""
    start, end = snap.week_start, snap.week_end
    if name == "new":
        return signals.is_new(p, start, end)
    if name == "spiking":
        people = snap.people_of(p)[0]
        return signals.spikes(counts, people=people, k=k, new=signals.is_new(p, start, end))
    if name == "persistent":
        return p.status not in signals.CLOSED and signals.is_persistent(counts)
    if name == "fading":
        return p.status not in signals.CLOSED and signals.is_fading(counts)
    if name == "unowned":
        return signals.unowned(p, counts, snap.now)
    if name == "resolved":
        return signals.resolved(p, start, end)
    if name == "top":
        return bool(counts[-1]) and snap.people_of(p)[0] >= k
    raise ValueError(f"no section {name!r}")


def _found(lines: list[PatternLine], snap: Snapshot, k: int) -> dict[str, list[PatternLine]]:
    """Each section's patterns among `lines`, by its rule."""
    found: dict[str, list[PatternLine]] = {name: [] for name in SECTIONS}
    for x in lines:
        p = snap.patterns[x.id]
        for name in SECTIONS:
            if in_section(name, p, x.counts, snap, k=k):
                found[name].append(x)
    return found


def _rank(x: PatternLine, k: int) -> tuple[int, int, int]:
    """The digest's order: most reports this week as shown (a count from fewer than k people, which
    the line does not show, must not place it either), then in the eight weeks, then the id."""
    return (-(x.shown(k)[0] or 0), -sum(x.counts), x.id)


def _reports_of(snap: Snapshot, audience: Audience) -> list[WeekReport]:
    """The audience's reports of the week in a snapshot that holds them all: of its patterns, or
    without a pattern and of the audience by their own tags."""
    ids = set(visible_ids(snap, audience))
    return [r for r in snap.reports if r.pattern_id in ids] + [
        r for r in snap.reports if r.pattern_id is None and audience.has_report(r)
    ]


def week_figures(snap: Snapshot, audience: Audience, k: int) -> WeekFigures:
    """The audience's week counted from a snapshot that holds every report of the week and every pattern."""
    reports = _reports_of(snap, audience)
    total, prev = signals.week_on_week(snap, set(visible_ids(snap, audience)))
    folded_handoffs, folded_heat = signals.folded_reporters(reports, k)
    return WeekFigures(
        audience=audience.key,
        reports=len(reports),
        reporters=len({r.reporter for r in reports}),
        total=total,
        prev=prev,
        handoffs=signals.handoff_cells(reports),
        heat=signals.heat_cells(reports),
        folded_handoffs=folded_handoffs,
        folded_heat=folded_heat,
    )


def _reporters_outside(snap: Snapshot, audience: Audience, listed: set[int], k: int) -> int:
    """Distinct reporters of the audience's week outside the listed patterns, up to k."""
    if snap.outside is not None:
        return snap.outside(listed)
    return min(k, len({r.reporter for r in _reports_of(snap, audience) if r.pattern_id not in listed}))


def build_digest(snap: Snapshot, audience: Audience, taxonomy: Taxonomy, *, k: int) -> Digest:
    """Compute every section; patterns and slices with fewer than k reporters fold into 'other'.

    Each section lists its MAX_LINES best patterns among those with at least k reporters (all
    time) and says how many more meet its rule. A line's count of a week is shown only when at
    least k people reported the pattern that week (PatternLine.shown); the reports of a count not
    shown are counted with the rest of the week's, in "Not listed"."""
    audience = audience.with_stakes(map(audience.stake_of, snap.patterns.values()), taxonomy)
    figures = snap.figures if snap.figures is not None else week_figures(snap, audience, k)
    if figures.audience != audience.key:
        raise ValueError(f"the snapshot was counted for {figures.audience}, not {audience.key}")
    ids = set(visible_ids(snap, audience))
    base = _suppressed(snap, audience, figures, taxonomy, k)
    if figures.reporters < k:
        return base
    lines = [_line(snap.patterns[pid], snap) for pid in sorted(ids) if pid in snap.reporters]
    found = _found([x for x in lines if x.reporters >= k], snap, k)
    sections = {name: tuple(heapq.nsmallest(MAX_LINES, found[name], key=lambda x: _rank(x, k))) for name in SECTIONS}
    sizes = snap.sizes if snap.sizes is not None else {name: min(len(found[name]), MOST) for name in SECTIONS}
    shown = {x.id: x.shown(k) for lines in sections.values() for x in lines}
    listed = {pid: now for pid, (now, _) in shown.items() if now is not None}  # counts shown in their lines
    hot, hot_other = signals.fold(figures.handoffs, k)
    heat, heat_other = signals.fold(figures.heat, k)
    other = max(0, base.total - sum(listed.values()))
    countable = bool(other) and _reporters_outside(snap, audience, set(listed), k) >= k
    told_before = {pid: before for pid, (_, before) in shown.items() if before is not None}
    before = sum(told_before.values())
    digest = replace(
        base,
        suppressed=False,
        sizes=dict(sizes),
        other_reports=other,
        other_countable=countable,
        total_countable=countable or not other,
        prev_countable=(countable or not other)
        and _prev_countable(snap, audience, base.total_prev, before, set(told_before), k),
        hotspots_add_up=_adds_up(figures.handoffs, base.total),
        heat_add_up=_adds_up(figures.heat, base.total),
        hotspots=hot,
        hotspots_other=hot_other,
        hotspots_other_countable=figures.folded_handoffs >= k,
        heat=heat,
        heat_other=heat_other,
        heat_other_countable=figures.folded_heat >= k,
        new=sections["new"],
        spiking=sections["spiking"],
        persistent=sections["persistent"],
        fading=sections["fading"],
        unowned=sections["unowned"],
        resolved=sections["resolved"],
        top=sections["top"],
    )
    digest = replace(digest, week_people=_week_people(snap, trend_lines(digest)))
    return _with_quotes(digest, snap, taxonomy)


def _week_people(snap: Snapshot, lines: list[PatternLine]) -> dict[int, tuple[int, ...]]:
    """The charted patterns' distinct reporters in each week, read in one statement where the service
    can (Snapshot.week_people); else those of the digest week and the week before (people_of), the
    weeks before them not counted."""
    if not lines:
        return {}
    if snap.week_people is not None:
        return snap.week_people([x.id for x in lines])
    weeks = len(snap.weeks)
    before = (0,) * max(0, weeks - 2)
    return {x.id: (*before, x.people[1], x.people[0])[-weeks:] if weeks else () for x in lines}


def _prev_countable(snap: Snapshot, audience: Audience, total_prev: int, before: int, listed: set[int], k: int) -> bool:
    """Whether the week before's total may be shown beside the listed lines' own changes: when they
    hold all of it, or what they leave of it is from at least k people (counted where the service
    can, or from the week before's reports of a snapshot built by hand)."""
    if total_prev <= before:
        return True
    if snap.outside_prev is not None:
        return snap.outside_prev(listed) >= k
    ids = set(visible_ids(snap, audience))
    return len({r.reporter for r in snap.prev_reports if r.pattern_id in ids and r.pattern_id not in listed}) >= k


def _adds_up(cells: Cells, total: int) -> bool:
    """Whether a table's cells, small ones included, hold the week's reports once each."""
    return sum(reports for reports, _ in cells.values()) == total


def _suppressed(snap: Snapshot, audience: Audience, figures: WeekFigures, taxonomy: Taxonomy, k: int) -> Digest:
    """The digest's week and totals alone, as sent when too few people reported to show more."""
    moves = week_moves(snap.week_start, snap.week_end)
    return Digest(
        audience=audience,
        audience_label=audience.label(taxonomy),
        period=period_of(snap.week_start),
        week_start=snap.week_start,
        week_end=snap.week_end,
        weeks=snap.weeks,
        k=k,
        total=max(figures.total, figures.reports),
        total_prev=figures.prev,
        reporters=figures.reporters,
        suppressed=True,
        spike_rule=signals.spike_rule(k) + (f" {signals.UTC_WEEKS}" if moves else ""),
    )


def quote_candidates(digest: Digest) -> list[int]:
    """Patterns worth quoting, best first: spiking, then new, then the most reported. All of them,
    so a pattern with no text to quote this week (removed by retention) leaves room for the next;
    but none that fewer than k people reported this week, the week the quote is taken from."""
    ordered = [x.id for x in (*digest.spiking, *digest.new, *digest.top) if x.people[0] >= digest.k]
    return list(dict.fromkeys(ordered))


def _quotable(text: str | None) -> bool:
    """Words someone wrote: not empty, and not what the retention policy left in their place."""
    return bool(text and text.strip()) and text != RETAINED_TEXT


def _with_quotes(digest: Digest, snap: Snapshot, taxonomy: Taxonomy) -> Digest:
    """A few of the listed patterns' latest words (digests.quotes chose them), those that name
    nobody first; a sign-off or "I'm <name>" left in one becomes [name], and the text is redacted
    again with the taxonomy's own patterns too (texts stored before a pattern was added to the
    taxonomy still carry what it hides)."""
    from bot.cards import snippet

    redactor = redactor_for(taxonomy)
    texts = [(pid, snap.quotes[pid]) for pid in quote_candidates(digest) if _quotable(snap.quotes.get(pid))]
    quoted = plain_first(texts, MAX_QUOTES, text=lambda quote: quote[1], taxonomy=taxonomy)
    quotes = tuple((pid, snippet(redactor.redact(scrub(text, taxonomy)), 220)) for pid, text in quoted)
    return replace(digest, quotes=quotes)
