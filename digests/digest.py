"""A digest for one audience: the signals of one week, folded for anonymity, ready to render."""

from __future__ import annotations

import heapq
from dataclasses import dataclass, field
from datetime import datetime

from bot.errors import InputError
from bot.redact import Redactor
from bot.taxonomy import Taxonomy
from digests import signals
from digests.snapshot import PatternInfo, Snapshot, WeekReport

__all__ = ["Audience", "PatternLine", "Digest", "build_digest", "parse_audience", "period_of"]

MAX_LINES = 5
MAX_QUOTES = 3
SECTIONS = ("new", "spiking", "persistent", "fading", "unowned", "resolved", "top")
_REDACTOR = Redactor()


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
    other_reports: int = 0
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


def _sections(lines: list[PatternLine], snap: Snapshot, limit: int) -> dict[str, tuple[PatternLine, ...]]:
    info, start, end = snap.patterns, snap.week_start, snap.week_end
    found: dict[str, list[PatternLine]] = {name: [] for name in SECTIONS}
    for x in lines:
        p = info[x.id]
        new = signals.is_new(p, start, end)
        for name, hit in (
            ("new", new),
            ("spiking", not new and signals.is_spiking(x.counts)),
            ("persistent", signals.is_persistent(x.counts)),
            ("fading", x.status not in signals.CLOSED and signals.is_fading(x.counts)),
            ("unowned", signals.unowned(p, x.counts, snap.now)),
            ("resolved", signals.resolved(p, start, end)),
            ("top", bool(x.this_week)),
        ):
            if hit:
                found[name].append(x)
    return {name: tuple(heapq.nsmallest(limit, found[name], key=_rank)) for name in SECTIONS}


def _rank(x: PatternLine) -> tuple[int, int, int]:
    return (-x.this_week, -sum(x.counts), x.id)


def candidate_ids(snap: Snapshot, audience: Audience) -> list[int]:
    """Patterns that could appear in the digest: whose reporters must be counted before showing them."""
    lines = [_line(snap.patterns[pid], snap) for pid in visible_ids(snap, audience)]
    found = {x.id for section in _sections(lines, snap, MAX_LINES * 2).values() for x in section}
    return sorted(found)


def build_digest(snap: Snapshot, audience: Audience, taxonomy: Taxonomy, *, k: int) -> Digest:
    """Compute every section; patterns and slices with fewer than k reporters fold into 'other'."""
    ids = set(visible_ids(snap, audience))
    reports = [r for r in snap.reports if r.pattern_id in ids] + [
        r for r in snap.reports if r.pattern_id is None and audience.has_report(r)
    ]
    total, prev = signals.week_on_week(snap, ids)
    reporters = len({r.reporter for r in reports})
    base = dict(
        audience=audience,
        audience_label=audience.label(taxonomy),
        period=period_of(snap.week_start),
        week_start=snap.week_start,
        week_end=snap.week_end,
        weeks=snap.weeks,
        k=k,
        total=max(total, len(reports)),
        total_prev=prev,
        reporters=reporters,
    )
    if reporters < k:
        return Digest(suppressed=True, **base)  # type: ignore[arg-type]
    lines = [_line(snap.patterns[pid], snap) for pid in sorted(ids) if pid in snap.reporters]
    shown = [x for x in lines if x.reporters >= k]
    hot, hot_other = signals.handoff_matrix(reports, k)
    heat, heat_other = signals.heat_map(reports, k)
    digest = Digest(
        suppressed=False,
        other_reports=sum(x.this_week for x in lines if x.reporters < k),
        hotspots=hot,
        hotspots_other=hot_other,
        heat=heat,
        heat_other=heat_other,
        **_sections(shown, snap, MAX_LINES),
        **base,  # type: ignore[arg-type]
    )
    return _with_quotes(digest, snap)


def quote_candidates(digest: Digest) -> list[int]:
    """Patterns worth quoting: spiking, then new, then the most reported."""
    ordered = [x.id for x in (*digest.spiking, *digest.new, *digest.top)]
    return list(dict.fromkeys(ordered))[:MAX_QUOTES]


def _with_quotes(digest: Digest, snap: Snapshot) -> Digest:
    from dataclasses import replace

    from bot.cards import snippet

    quotes = tuple(
        (pid, snippet(_REDACTOR.redact(snap.quotes[pid]), 220))
        for pid in quote_candidates(digest)
        if pid in snap.quotes
    )
    return replace(digest, quotes=quotes)
