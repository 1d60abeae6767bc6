"""The answers to query commands: top patterns, your reports, a search, one pattern, stats.

Anything counted over fewer than k distinct reporters folds into "other", so no answer points
at the people behind a small slice. What others reported is counted to the cut, midnight UTC
today (bot.commands.cut_of), and the answers say so: TO_CUT.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta

from bot.commands import SEARCH_WORDS, QueryFilters
from bot.domain import RETAINED_TEXT, PatternSummary, Person, Reply, ReportRecord, Section
from bot.ports import ReportRepository
from bot.redact import redactor_for
from bot.signoffs import plain_first, scrub
from bot.taxonomy import Taxonomy
from bot.text import snippet

__all__ = [
    "STATUS_WORDS",
    "status_words",
    "RETAINED_TEXT",
    "folded_count",
    "folded_reports",
    "top",
    "own_reports",
    "mine",
    "search",
    "day",
    "pattern",
    "quoted",
    "stats",
    "PATTERN_QUOTES",
    "QUOTE_POOL",
    "TO_CUT",
    "AS_OF_CUT",
]


TO_CUT = "to midnight UTC"  # where a window ends: today's reports count from tomorrow (bot.commands.cut_of)
AS_OF_CUT = "As of midnight UTC: today's reports count from tomorrow."
PATTERN_QUOTES = 3  # report texts `pattern <id>` shows
QUOTE_POOL = 20  # of the pattern's latest reports, those looked at for them (shared ones are left out)

STATUS_WORDS = {
    "new": "received",
    "tagged": "received",
    "confirmed": "received, tags confirmed",
    "corrected": "received, tags corrected",
    "acknowledged": "acknowledged",
    "in_progress": "being worked on",
    "resolved": "resolved",
    "wont_fix": "won't fix",
}


def status_words(status: str, *, again: bool = False) -> str:
    """A status as people read it; "received again" for a pattern new again (bot.domain.new_again)."""
    return STATUS_WORDS.get(status, status) + (" again" if again else "")


NOT_IN_TAXONOMY = "(not in the taxonomy)"


def _titled(label: str, axis: str, taxonomy: Taxonomy) -> str:
    """A label's title; a label stored before the taxonomy renamed or removed it, as stored and
    marked ("bed_management (not in the taxonomy)"), so it reads as a tag to relabel, not a typo."""
    labels = {"stage": taxonomy.stage_labels, "kind": taxonomy.kind_labels, "team": taxonomy.team_labels}[axis]
    return taxonomy.title(label) if label in labels else f"{label} {NOT_IN_TAXONOMY}"


def _shown_all(labels: Sequence[str], axis: str, taxonomy: Taxonomy) -> str:
    return ", ".join(_titled(label, axis, taxonomy) for label in labels) or "none"


def _pattern_line(p: PatternSummary, taxonomy: Taxonomy) -> Section:
    return Section(
        heading=f"#{p.id} {p.title}",
        fields=(
            ("Reports", f"{p.recent_count or p.report_count} from {p.reporter_count} people"),
            ("Stage", _titled(p.stage, "stage", taxonomy) if p.stage else "mixed"),
            ("Teams", _shown_all(p.teams, "team", taxonomy)),
            ("Status", status_words(p.status, again=p.again) + (f", owner {p.owner}" if p.owner else ", no owner")),
        ),
    )


def folded_count(n: int, k: int) -> str:
    """How many reports were folded into "other": the number only when it is at least k, since a
    handful of reports from a small slice could point at the people who wrote them."""
    return str(n) if n >= k else f"fewer than {k}"


def folded_reports(reports: int, reporters: int, k: int) -> str | None:
    """How many reports were folded into "other", or None when fewer than k distinct people wrote
    them: however many reports they are, so few people could be told apart by them."""
    return str(reports) if reporters >= k else None


def _few(k: int) -> str:
    return f"reports from fewer than {k} people"


def top(
    patterns: Sequence[PatternSummary],
    filters: QueryFilters,
    taxonomy: Taxonomy,
    *,
    k: int,
    other: tuple[int, int],
) -> Reply:
    """The most frequent patterns; ones with fewer than k reporters fold into 'other'.

    `other` is the (reports, distinct reporters) of every pattern with fewer than k reporters in the
    window: it is told only when k distinct people are in it. Fewer read as none: "nobody" set
    beside "one or two people" would tell that someone reported in a narrow slice.
    """
    shown = [p for p in patterns if p.reporter_count >= k]
    since = filters.since
    scope = [f"last {filters.days} days {TO_CUT}, since {day(since, since + timedelta(days=filters.days))}"] + [
        f"{name} {taxonomy.title(v)}"
        for name, v in (("team", filters.team), ("stage", filters.stage), ("kind", filters.kind))
        if v
    ]
    sections = [_pattern_line(p, taxonomy) for p in shown]
    counted = folded_reports(*other, k) if other[0] else None
    if counted:
        sections.append(Section(text=f"Other: {counted} reports in patterns with fewer than {k} reporters."))
    if not sections:
        sections.append(Section(text=f"Nothing here with {k} or more people reporting yet."))
    return Reply(kind="list", title=f"Top patterns ({', '.join(scope)})", sections=tuple(sections))


def own_reports(
    repository: ReportRepository, person: Person, reporter_key: str, *, limit: int = 15
) -> tuple[list[ReportRecord], dict[int, PatternSummary]]:
    """A person's newest reports and the patterns they joined, whose status and owner `mine` shows."""
    reports = repository.list_reports(person=person, reporter_key=reporter_key, limit=limit)
    patterns: dict[int, PatternSummary] = {}
    for pid in sorted({r.pattern_id for r in reports if r.pattern_id is not None}):
        found = repository.get_pattern(person=person, pattern_id=pid)
        if found is not None:
            patterns[pid] = found
    return reports, patterns


def _what_happened(r: ReportRecord, p: PatternSummary | None) -> str:
    """The report's own state, then its pattern's status and owner once a manager set them; never
    anything about the pattern's other reporters."""
    parts = [STATUS_WORDS.get(r.status, r.status)]
    if p is not None and (p.status != "new" or p.again or p.owner):
        parts.append(f"pattern #{p.id}")
        if p.status != "new" or p.again:
            parts.append(status_words(p.status, again=p.again))
        if p.owner:
            parts.append(f"owner {p.owner}")
    return " · ".join(parts)


def mine(
    reports: Sequence[ReportRecord],
    taxonomy: Taxonomy,
    patterns: Mapping[int, PatternSummary] | None = None,
    *,
    now: datetime | None = None,
) -> Reply:
    """A person's own reports and what became of them (`patterns`: from own_reports).

    Dates read as `day` writes them: the year shown unless it is `now`'s."""
    patterns = patterns or {}
    sections = [
        Section(
            heading=f"#{r.id} · {day(r.created_at, now)} · "
            + _what_happened(r, patterns.get(r.pattern_id) if r.pattern_id is not None else None),
            text=snippet(r.text),
        )
        for r in reports
    ] or [Section(text="You haven't filed any reports yet. Tell me in a sentence what got in the way.")]
    return Reply(kind="list", title="Your reports", sections=tuple(sections))


def day(when: datetime, now: datetime | None) -> str:
    """A report's date as people read it: `22 Nov` this year, `22 Nov 2025` before, so last year's
    reports do not pass for this year's (dates are UTC: no one's own time zone is known). Without
    `now`, the year is always shown."""
    return f"{when:%d %b}" if now is not None and when.year == now.year else f"{when:%d %b %Y}"


def search(
    reports: Sequence[ReportRecord],
    words: Sequence[str],
    taxonomy: Taxonomy,
    *,
    now: datetime,
    matched: int | None = None,
    capped: bool = False,
) -> Reply:
    """Reports matching the words, with the pattern each belongs to; when more `matched` than are
    shown, how many in all (`capped`: too many to check, so at least that many) and how to narrow it."""
    sections = [
        Section(
            heading=f"#{r.id} · {day(r.created_at, now)}" + (f" · pattern #{r.pattern_id}" if r.pattern_id else ""),
            text=snippet(r.text),
        )
        for r in reports
    ] or [Section(text="No reports match those words.")]
    title = f"Reports matching “{' '.join(words)}”"
    matched = len(reports) if matched is None else max(matched, len(reports))
    if matched <= len(reports) and not capped:
        return Reply(kind="list", title=title, sections=tuple(sections))
    title += f": the {len(reports)} newest of {'at least ' if capped else ''}{matched}"
    more = "There were too many to check them all. " if capped else ""
    narrow = "Add a word to narrow it down." if len(words) < SEARCH_WORDS else "Try other words to narrow it down."
    return Reply(kind="list", title=title, sections=tuple(sections), notices=(more + narrow,))


def pattern(p: PatternSummary, taxonomy: Taxonomy, *, quotes: Sequence[str], k: int) -> Reply:
    """One pattern in detail, with quotes for those who may read report texts.

    `quotes` are texts that may be quoted (none filed where others see who wrote it), newest
    first: PATTERN_QUOTES of them are shown, those that name nobody first, never what the
    retention policy left of a text, and a sign-off or "I'm <name>" becomes [name]."""
    if p.reporter_count < k:
        return Reply(
            kind="text",
            title=f"Pattern #{p.id} has fewer than {k} reporters, so its details stay private for now.",
        )
    line = _pattern_line(p, taxonomy)
    fields = line.fields + (
        ("Kinds", _shown_all(p.kinds, "kind", taxonomy)),
        ("First seen", f"{p.first_seen:%d %b %Y}"),
        ("Last seen", f"{p.last_seen:%d %b %Y}"),
    )
    sections = [Section(heading=line.heading, fields=fields)]
    readable = [q for q in quotes if q.strip() and q != RETAINED_TEXT]
    said = plain_first(readable, PATTERN_QUOTES, text=str, taxonomy=taxonomy)
    sections += [Section(text=f"“{snippet(quoted(q, taxonomy), 200)}”") for q in said]
    return Reply(kind="list", title=f"Pattern #{p.id}", sections=tuple(sections), notices=(AS_OF_CUT,))


def quoted(text: str, taxonomy: Taxonomy) -> str:
    """A report's words as leaders read them (`pattern`, `search`, the export): a sign-off or
    "I'm <name>" becomes [name] (read with this taxonomy's teams: "Priya from pharm here"), and
    what the taxonomy hides now is hidden (a text stored before one of its patterns was added
    still carries it)."""
    return redactor_for(taxonomy).redact(scrub(text, taxonomy))


Rows = dict[str, tuple[int, int]]  # label -> (reports, distinct reporters)

_UNTAGGED = {"stage": "No stage yet", "kind": "No kind", "team": "No team named"}


def stats(data: dict[str, object], taxonomy: Taxonomy, *, k: int) -> Reply:
    """Counts per stage, kind and team; labels with fewer than k reporters fold into 'other'.

    `data["other"]` holds each axis's (reports, distinct reporters) of those labels; without it,
    the folded labels' people are unknown, so their reports are not counted. Where an axis's rows
    add up to the total, what it hides would be the total minus the rows shown: see _partition.
    With `data["in_patterns"]` and `data["outside"]` (store.slices.pattern_split), the total is
    told exactly only when `top`'s counts cannot be taken from it to leave a few people's: _floor.
    When no slice has k people, nobody reported included, every such tenant gets one reply.
    """
    reported = data.get("reports", 0)
    assert isinstance(reported, int)
    total = reported
    slices, untagged = data.get("other", {}), data.get("untagged", {})
    assert isinstance(slices, dict) and isinstance(untagged, dict)
    axes: dict[str, Rows] = {}
    for axis in ("stage", "kind", "team"):
        rows = data.get(axis, {})
        assert isinstance(rows, dict)
        axes[axis] = {str(label): (int(n), int(r)) for label, (n, r) in rows.items()}
    # whether the total has k people in it: some slice of it, shown or folded, has them
    crowd = any(r >= k for rows in axes.values() for _, r in rows.values()) or any(
        r >= k for _, r in (*slices.values(), *untagged.values())
    )
    if not crowd:
        return _too_few_reply(k)
    floor = _floor(data, k)
    sections: list[Section] = []
    for axis, counts in axes.items():
        none = untagged.get(axis)
        if sum(n for n, _ in counts.values()) + (none[0] if none else 0) == total:
            at_least = floor if crowd else None
            fields = _partition(counts, slices.get(axis), none, axis, taxonomy, k=k, crowd=crowd, floor=at_least)
        else:
            fields = _overlapping(counts, slices.get(axis), none, axis, taxonomy, k)
        if fields:
            sections.append(Section(heading=f"By {axis}", fields=tuple(fields)))
    if floor is not None:
        head = (
            f"At least {floor} reports from the last 30 days {TO_CUT}; the rest come from fewer than {k} people, "
            "so they are not counted."
        )
    else:
        head = f"{total} reports from the last 30 days {TO_CUT}."
    return Reply(kind="list", title="Snag stats", sections=(Section(text=head), *sections))


def _floor(data: dict[str, object], k: int) -> int | None:
    """How many reports `stats` may say there are at least, or None when it may tell them exactly.

    `top` counts the patterns with k reporters in the window and folds the rest into "other"; the
    total minus those counts is what is left: top's "other" and the reports in no pattern
    (`data["outside"]`). From fewer than k people, it must not be the difference of two numbers
    shown, so the total is only "at least" the reports in the patterns top may show."""
    outside, counted = data.get("outside"), data.get("in_patterns")
    if outside is None or counted is None:
        return None
    assert isinstance(outside, tuple) and isinstance(counted, int)
    reports, people = outside
    return None if not reports or people >= k else counted


def _too_few_reply(k: int) -> Reply:
    """Stats when no slice has k people, nobody reported included: one reply whatever the reports
    and their tags, since "0 reports" (or a "No team named" row) beside "fewer than k people" would
    tell whether anyone at all reported in a narrow slice."""
    head = f"Fewer than {k} people may be behind the reports of the last 30 days {TO_CUT}, so they are not counted."
    axes = (Section(heading=f"By {axis}", fields=(("Other", _few(k)),)) for axis in ("stage", "kind", "team"))
    return Reply(kind="list", title="Snag stats", sections=(Section(text=head), *axes))


def _overlapping(
    counts: Rows, other: tuple[int, int] | None, none: tuple[int, int] | None, axis: str, taxonomy: Taxonomy, k: int
) -> list[tuple[str, str]]:
    """An axis where a report can have several labels: the rows do not add up to the total, so
    what is folded cannot be worked out from it, and is counted only when k people are in it."""
    ranked = sorted(counts.items(), key=lambda kv: -kv[1][0])
    fields = [(_titled(lb, axis, taxonomy), str(n)) for lb, (n, r) in ranked if r >= k]
    folded = sum(n for n, r in counts.values() if r < k)
    if folded:
        reports, people = other or (folded, 0)
        fields.append(("Other", folded_reports(reports, people, k) or _few(k)))
    if none:
        fields.append((_UNTAGGED[axis], folded_reports(*none, k) or _few(k)))
    return fields


def _partition(
    counts: Rows,
    other: tuple[int, int] | None,
    none: tuple[int, int] | None,
    axis: str,
    taxonomy: Taxonomy,
    *,
    k: int,
    crowd: bool,
    floor: int | None = None,
) -> list[tuple[str, str]]:
    """An axis whose rows add up to the total (the stage always; kinds or teams when no report has
    two): a part from fewer than k people would be the total minus the rows shown. So every such
    part (the folded labels, the reports with no label) goes into "Other", and unless one of them
    already has k people, so does the smallest row shown: "Other" then has k people and is counted.

    With a `floor` (the total is only told as "at least" that, see _floor), rows that add up would
    tell the total after all: see _at_least."""
    rows = sorted(((lb, n) for lb, (n, r) in counts.items() if r >= k), key=lambda kv: (-kv[1], kv[0]))
    folded = sum(n for n, r in counts.values() if r < k)
    small = (other or (folded, 0)) if folded else (0, 0)
    empty = none or (0, 0)
    if floor is not None:
        return _at_least(rows, small[0] + empty[0], floor, axis, taxonomy)
    hidden = [part for part in (small, empty) if part[0] and part[1] < k]
    if not hidden:
        fields = [(_titled(lb, axis, taxonomy), str(n)) for lb, n in rows]
        fields += [("Other", str(small[0]))] if small[0] else []
        return fields + ([(_UNTAGGED[axis], str(empty[0]))] if empty[0] else [])
    reports, people = small[0] + empty[0], max(small[1], empty[1])
    if people < k and rows:
        reports, people = reports + rows[-1][1], k
        rows = rows[:-1]
    elif people < k:  # nothing else to join: "Other" is every report, counted when the total is
        people = k if crowd else 0
    fields = [(_titled(lb, axis, taxonomy), str(n)) for lb, n in rows]
    return fields + [("Other", str(reports) if people >= k else _few(k))]


def _at_least(
    rows: list[tuple[str, int]], rest: int, floor: int, axis: str, taxonomy: Taxonomy
) -> list[tuple[str, str]]:
    """The rows of an axis whose total is not told: "Other" takes the folded and unlabelled `rest`
    and, smallest first, the rows it needs to be more than nothing and to be at least something
    (`floor` minus the rows still shown). It says only "at least" that, worked out from numbers
    already shown, so no row or sum of rows is the total."""
    while rows and (not rest or floor - sum(n for _, n in rows) <= 0):
        rest += rows[-1][1]
        rows = rows[:-1]
    fields = [(_titled(lb, axis, taxonomy), str(n)) for lb, n in rows]
    return fields + [("Other", f"at least {floor - sum(n for _, n in rows)}")]
