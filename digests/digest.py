"""A digest for one audience: the signals of one week, folded for anonymity, ready to render."""

from __future__ import annotations

import heapq
from dataclasses import dataclass, field, replace
from datetime import datetime

from bot.errors import InputError
from bot.redact import redactor_for
from bot.taxonomy import Taxonomy
from digests import signals
from digests.snapshot import PatternInfo, Snapshot, WeekFigures, WeekReport
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
    "candidate_ids",
]

MAX_LINES = 5
MAX_QUOTES = 3
SECTIONS = ("new", "spiking", "persistent", "fading", "unowned", "resolved", "top")


@dataclass(frozen=True)
class Audience:
    kind: str  # all | team | stage
    value: str | None = None

    @property
    def key(self) -> str:
        return "all" if self.kind == "all" else f"{self.kind}:{self.value}"

    def label(self, taxonomy: Taxonomy) -> str:
        return "whole organisation" if self.kind == "all" else f"{self.kind} {taxonomy.title(self.value)}"

    def has_pattern(self, p: PatternInfo) -> bool:
        return (
            self.kind == "all"
            or (self.kind == "team" and self.value in p.teams)
            or (self.kind == "stage" and p.stage == self.value)
        )

    def has_report(self, r: WeekReport) -> bool:
        return (
            self.kind == "all"
            or (self.kind == "team" and self.value in r.teams)
            or (self.kind == "stage" and r.stage == self.value)
        )


def parse_audience(raw: str | None, taxonomy: Taxonomy) -> Audience:
    """'all', 'team:finance' or 'stage:billing'; anything else says what is allowed."""
    value = (raw or "all").strip().lower()
    if value in ("all", "", "org", "everyone"):
        return Audience("all")
    kind, _, label = value.partition(":")
    allowed = {"team": taxonomy.team_labels, "stage": taxonomy.stage_labels}.get(kind)
    if allowed is None or label not in allowed:
        raise InputError(
            "An audience is `all`, `team:<team>` or `stage:<stage>`, e.g. `team:finance`. "
            f"Teams: {', '.join(taxonomy.team_labels)}. Stages: {', '.join(taxonomy.stage_labels)}."
        )
    return Audience(kind, label)


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

    @property
    def this_week(self) -> int:
        return self.counts[-1]

    @property
    def last_week(self) -> int:
        return self.counts[-2] if len(self.counts) > 1 else 0


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
    other_reports: int = 0  # this week's reports in patterns no section lists (small ones among them)
    hotspots: dict[tuple[str, str], int] = field(default_factory=dict)
    hotspots_other: int = 0
    heat: dict[tuple[str, str], int] = field(default_factory=dict)
    heat_other: int = 0
    quotes: tuple[tuple[int, str], ...] = ()
    spike_rule: str = signals.SPIKE_RULE


def _line(p: PatternInfo, snap: Snapshot) -> PatternLine:
    counts = signals.series(snap.history.get(p.id, {}), snap.weeks)
    return PatternLine(p.id, p.title, p.stage, p.teams, p.status, p.owner, snap.reporters.get(p.id, 0), counts)


def visible_ids(snap: Snapshot, audience: Audience) -> list[int]:
    """Patterns of this audience that the digest may mention, before the anonymity check."""
    return sorted(pid for pid, p in snap.patterns.items() if audience.has_pattern(p))


def in_section(name: str, p: PatternInfo, counts: tuple[int, ...], snap: Snapshot) -> bool:
    """Whether a pattern with these weekly counts (oldest first) meets the section's rule."""
    start, end = snap.week_start, snap.week_end
    if name == "new":
        return signals.is_new(p, start, end)
    if name == "spiking":
        return not signals.is_new(p, start, end) and signals.is_spiking(counts)
    if name == "persistent":
        return signals.is_persistent(counts)
    if name == "fading":
        return p.status not in signals.CLOSED and signals.is_fading(counts)
    if name == "unowned":
        return signals.unowned(p, counts, snap.now)
    if name == "resolved":
        return signals.resolved(p, start, end)
    if name == "top":
        return bool(counts[-1])
    raise ValueError(f"no section {name!r}")


def _sections(lines: list[PatternLine], snap: Snapshot, limit: int) -> dict[str, tuple[PatternLine, ...]]:
    found: dict[str, list[PatternLine]] = {name: [] for name in SECTIONS}
    for x in lines:
        p = snap.patterns[x.id]
        for name in SECTIONS:
            if in_section(name, p, x.counts, snap):
                found[name].append(x)
    return {name: tuple(heapq.nsmallest(limit, found[name], key=_rank)) for name in SECTIONS}


def _rank(x: PatternLine) -> tuple[int, int, int]:
    return (-x.this_week, -sum(x.counts), x.id)


CANDIDATES = MAX_LINES * 2  # patterns per section whose reporters are counted before the anonymity check


def candidate_ids(snap: Snapshot, audience: Audience) -> list[int]:
    """Patterns that could appear in the digest: whose reporters must be counted before showing them."""
    lines = [_line(snap.patterns[pid], snap) for pid in visible_ids(snap, audience)]
    found = {x.id for section in _sections(lines, snap, CANDIDATES).values() for x in section}
    return sorted(found)


def week_figures(snap: Snapshot, audience: Audience) -> WeekFigures:
    """The audience's week counted from a snapshot that holds every report of the week and every pattern."""
    ids = set(visible_ids(snap, audience))
    reports = [r for r in snap.reports if r.pattern_id in ids] + [
        r for r in snap.reports if r.pattern_id is None and audience.has_report(r)
    ]
    total, prev = signals.week_on_week(snap, ids)
    return WeekFigures(
        audience=audience.key,
        reports=len(reports),
        reporters=len({r.reporter for r in reports}),
        total=total,
        prev=prev,
        handoffs=signals.handoff_cells(reports),
        heat=signals.heat_cells(reports),
    )


def build_digest(snap: Snapshot, audience: Audience, taxonomy: Taxonomy, *, k: int) -> Digest:
    """Compute every section; patterns and slices with fewer than k reporters fold into 'other'."""
    figures = snap.figures if snap.figures is not None else week_figures(snap, audience)
    if figures.audience != audience.key:
        raise ValueError(f"the snapshot was counted for {figures.audience}, not {audience.key}")
    ids = set(visible_ids(snap, audience))
    base = _suppressed(snap, audience, figures, taxonomy, k)
    if figures.reporters < k:
        return base
    lines = [_line(snap.patterns[pid], snap) for pid in sorted(ids) if pid in snap.reporters]
    shown = [x for x in lines if x.reporters >= k]
    hot, hot_other = signals.fold(figures.handoffs, k)
    heat, heat_other = signals.fold(figures.heat, k)
    sections = _sections(shown, snap, MAX_LINES)
    listed = {x.id: x.this_week for lines in sections.values() for x in lines}
    digest = replace(
        base,
        suppressed=False,
        other_reports=max(0, base.total - sum(listed.values())),
        hotspots=hot,
        hotspots_other=hot_other,
        heat=heat,
        heat_other=heat_other,
        new=sections["new"],
        spiking=sections["spiking"],
        persistent=sections["persistent"],
        fading=sections["fading"],
        unowned=sections["unowned"],
        resolved=sections["resolved"],
        top=sections["top"],
    )
    return _with_quotes(digest, snap, taxonomy)


def _suppressed(snap: Snapshot, audience: Audience, figures: WeekFigures, taxonomy: Taxonomy, k: int) -> Digest:
    """The digest's week and totals alone, as sent when too few people reported to show more."""
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
    )


def quote_candidates(digest: Digest) -> list[int]:
    """Patterns worth quoting, best first: spiking, then new, then the most reported. All of them,
    so a pattern with no text to quote this week (removed by retention) leaves room for the next."""
    ordered = [x.id for x in (*digest.spiking, *digest.new, *digest.top)]
    return list(dict.fromkeys(ordered))


def _quotable(text: str | None) -> bool:
    """Words someone wrote: not empty, and not what the retention policy left in their place."""
    return bool(text and text.strip()) and text != RETAINED_TEXT


def _with_quotes(digest: Digest, snap: Snapshot, taxonomy: Taxonomy) -> Digest:
    """A few of the listed patterns' latest words, redacted again with the taxonomy's own patterns
    too (texts stored before a pattern was added to the taxonomy still carry what it hides)."""
    from bot.cards import snippet

    redactor = redactor_for(taxonomy)
    quoted = [pid for pid in quote_candidates(digest) if _quotable(snap.quotes.get(pid))][:MAX_QUOTES]
    quotes = tuple((pid, snippet(redactor.redact(snap.quotes[pid]), 220)) for pid in quoted)
    return replace(digest, quotes=quotes)
