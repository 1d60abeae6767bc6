"""Reply builders: the platform-neutral cards every adapter renders."""

from __future__ import annotations

from collections.abc import Sequence

from bot.commands import QueryFilters
from bot.domain import (
    FREQUENCIES,
    Button,
    Choice,
    Form,
    Option,
    PatternSummary,
    Reply,
    ReportRecord,
    Section,
    Tags,
)
from bot.errors import SnagError
from bot.taxonomy import Taxonomy

__all__ = [
    "receipt",
    "fix_form",
    "thanks",
    "usage",
    "problem",
    "apology",
    "prompt_for_sentence",
    "saved_for_later",
    "top",
    "mine",
    "search",
    "pattern",
    "stats",
    "snippet",
]

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


def snippet(text: str, limit: int = 140) -> str:
    """A one-line excerpt with a visible ellipsis when cut."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def _labels(taxonomy: Taxonomy, labels: Sequence[str]) -> str:
    return ", ".join(taxonomy.title(x) for x in labels) or "none"


def tag_fields(tags: Tags | None, taxonomy: Taxonomy) -> tuple[tuple[str, str], ...]:
    """The tags as label/value pairs, in the order people read them."""
    if tags is None:
        return (("Tags", "not tagged yet, I'll add them shortly"),)
    stage = taxonomy.title(tags.stage) if tags.stage else "not sure, pick one below"
    handoff = "none"
    if tags.handoff:
        handoff = (
            f"{taxonomy.title(tags.handoff.from_team) if tags.handoff.from_team else '?'}"
            f" → {taxonomy.title(tags.handoff.to_team) if tags.handoff.to_team else '?'}"
        )
    return (
        ("Stage", stage),
        ("Kinds", _labels(taxonomy, tags.kinds)),
        ("Teams", _labels(taxonomy, tags.teams)),
        ("Handoff", handoff),
    )


def _options(labels: Sequence[str], taxonomy: Taxonomy) -> tuple[Option, ...]:
    return tuple(Option(v, taxonomy.title(v)) for v in labels)


def receipt(
    record: ReportRecord,
    taxonomy: Taxonomy,
    *,
    notices: tuple[str, ...] = (),
    duplicate: bool = False,
    corrected: bool = False,
) -> Reply:
    """What Snag understood, with 'looks right' / 'fix tags' and two quick questions."""
    title = f"Thanks, saved as report #{record.id}."
    if duplicate:
        title = f"Already saved as report #{record.id}."
    if corrected:
        title = f"Tags on report #{record.id} corrected. Thank you."
    choices: list[Choice] = []
    if record.tags is not None and record.tags.stage is None:
        choices.append(
            Choice("pick_stage", "Which stage of the journey is this?", _options(taxonomy.stage_labels, taxonomy))
        )
    if not corrected:
        choices += [
            Choice(
                "frequency",
                "How often does this happen?",
                tuple(Option(f, f.capitalize()) for f in FREQUENCIES),
                selected=(record.frequency,) if record.frequency else (),
            ),
            Choice(
                "customer_facing",
                "Does the customer notice?",
                (Option("yes", "Yes"), Option("no", "No")),
            ),
        ]
    return Reply(
        kind="receipt",
        title=title,
        sections=(
            Section(text=snippet(record.text, 300), heading="You said"),
            Section(heading="What I understood", fields=tag_fields(record.tags, taxonomy)),
        ),
        buttons=()
        if corrected
        else (
            Button("confirm", "Looks right", str(record.id), "primary"),
            Button("fix", "Fix tags", str(record.id)),
        ),
        choices=tuple(choices),
        report_id=record.id,
        notices=notices,
    )


def fix_form(record: ReportRecord, taxonomy: Taxonomy) -> Reply:
    """The form to correct a report's tags, pre-filled with the current ones."""
    tags = record.tags or Tags(stage=None, kinds=(), teams=())
    teams = _options(taxonomy.team_labels, taxonomy)
    handoff = tags.handoff
    form = Form(
        action="correct",
        title=f"Fix tags on #{record.id}",
        choices=(
            Choice(
                "stage",
                "Stage",
                _options(taxonomy.stage_labels, taxonomy),
                selected=(tags.stage,) if tags.stage else (),
            ),
            Choice(
                "kinds",
                "Kinds",
                _options(taxonomy.kind_labels, taxonomy),
                multi=True,
                selected=tags.kinds,
                optional=False,
            ),
            Choice("teams", "Teams", teams, multi=True, selected=tags.teams),
            Choice(
                "handoff_from",
                "Handoff from",
                teams,
                selected=(handoff.from_team,) if handoff and handoff.from_team else (),
            ),
            Choice(
                "handoff_to", "Handoff to", teams, selected=(handoff.to_team,) if handoff and handoff.to_team else ()
            ),
        ),
    )
    return Reply(
        kind="form",
        title=form.title,
        sections=(Section(text=snippet(record.text, 300), heading="Report"),),
        form=form,
        report_id=record.id,
    )


def thanks(report_id: int | None, text: str) -> Reply:
    return Reply(kind="saved", title=text, report_id=report_id)


def usage(text: str, problem: str | None = None) -> Reply:
    sections = (Section(text=text, heading="What you can type"),)
    return Reply(kind="usage", title=problem or "Snag commands", sections=sections)


def problem(exc: SnagError) -> Reply:
    """A known error, said kindly; usage problems show the command list."""
    from bot.commands import USAGE
    from bot.errors import UsageError

    if isinstance(exc, UsageError):
        return usage(USAGE, problem=exc.message)
    return Reply(kind="error", title=exc.message)


def apology(error_id: str) -> Reply:
    return Reply(
        kind="error",
        title=(
            "Sorry, something went wrong on my side. If you were filing a report, please keep "
            f"your text and try again in a minute. (error id {error_id})"
        ),
    )


def prompt_for_sentence() -> Reply:
    return Reply(
        kind="usage",
        title=(
            'Tell me in a sentence what got in the way, e.g. "refund requests sit in the '
            'finance inbox for a week before anyone picks them up".'
        ),
    )


def saved_for_later() -> Reply:
    return Reply(
        kind="saved",
        title=(
            "Your report is saved. The database is busy right now, so I'll file and tag it as "
            "soon as it is back. Nothing you wrote is lost."
        ),
    )


def _pattern_line(p: PatternSummary, taxonomy: Taxonomy) -> Section:
    return Section(
        heading=f"#{p.id} {p.title}",
        fields=(
            ("Reports", f"{p.recent_count or p.report_count} from {p.reporter_count} people"),
            ("Stage", taxonomy.title(p.stage) if p.stage else "mixed"),
            ("Teams", _labels(taxonomy, p.teams)),
            ("Status", STATUS_WORDS.get(p.status, p.status) + (f", owner {p.owner}" if p.owner else ", no owner")),
        ),
    )


def folded_count(n: int, k: int) -> str:
    """How many reports were folded into "other": the number only when it is at least k, since a
    handful of reports from a small slice could point at the people who wrote them."""
    return str(n) if n >= k else f"fewer than {k}"


def _fold(patterns: Sequence[PatternSummary], k: int) -> tuple[list[PatternSummary], int]:
    shown = [p for p in patterns if p.reporter_count >= k]
    folded = sum(p.recent_count or p.report_count for p in patterns if p.reporter_count < k)
    return shown, folded


def top(patterns: Sequence[PatternSummary], filters: QueryFilters, taxonomy: Taxonomy, *, k: int) -> Reply:
    """The most frequent patterns; ones with fewer than k reporters fold into 'other'."""
    shown, folded = _fold(patterns, k)
    scope = [f"last {filters.days} days"] + [
        f"{name} {taxonomy.title(v)}"
        for name, v in (("team", filters.team), ("stage", filters.stage), ("kind", filters.kind))
        if v
    ]
    sections = [_pattern_line(p, taxonomy) for p in shown]
    if folded:
        sections.append(
            Section(text=f"Other: {folded_count(folded, k)} reports in patterns with fewer than {k} reporters.")
        )
    if not sections:
        sections.append(Section(text="Nothing reported yet in this window."))
    return Reply(kind="list", title=f"Top patterns ({', '.join(scope)})", sections=tuple(sections))


def mine(reports: Sequence[ReportRecord], taxonomy: Taxonomy) -> Reply:
    sections = [
        Section(
            heading=f"#{r.id} · {r.created_at:%d %b} · {STATUS_WORDS.get(r.status, r.status)}",
            text=snippet(r.text),
        )
        for r in reports
    ] or [Section(text="You haven't filed any reports yet. Tell me in a sentence what got in the way.")]
    return Reply(kind="list", title="Your reports", sections=tuple(sections))


def search(reports: Sequence[ReportRecord], words: Sequence[str], taxonomy: Taxonomy) -> Reply:
    sections = [
        Section(
            heading=f"#{r.id} · {r.created_at:%d %b}" + (f" · pattern #{r.pattern_id}" if r.pattern_id else ""),
            text=snippet(r.text),
        )
        for r in reports
    ] or [Section(text="No reports match those words.")]
    return Reply(kind="list", title=f"Reports matching “{' '.join(words)}”", sections=tuple(sections))


def pattern(p: PatternSummary, taxonomy: Taxonomy, *, quotes: Sequence[str], k: int) -> Reply:
    if p.reporter_count < k:
        return Reply(
            kind="text",
            title=f"Pattern #{p.id} has fewer than {k} reporters, so its details stay private for now.",
        )
    line = _pattern_line(p, taxonomy)
    fields = line.fields + (
        ("Kinds", _labels(taxonomy, p.kinds)),
        ("First seen", f"{p.first_seen:%d %b %Y}"),
        ("Last seen", f"{p.last_seen:%d %b %Y}"),
    )
    sections = [Section(heading=line.heading, fields=fields)]
    sections += [Section(text=f"“{snippet(q, 200)}”") for q in quotes]
    return Reply(kind="list", title=f"Pattern #{p.id}", sections=tuple(sections))


def stats(data: dict[str, object], taxonomy: Taxonomy, *, k: int) -> Reply:
    """Counts per stage, kind and team; slices with fewer than k reporters fold into 'other'."""
    sections = [Section(text=f"{data.get('reports', 0)} reports from the last 30 days.")]
    for axis in ("stage", "kind", "team"):
        rows = data.get(axis, {})
        assert isinstance(rows, dict)
        fields, other = [], 0
        for label, (count, reporters) in sorted(rows.items(), key=lambda kv: -kv[1][0]):
            if reporters < k:
                other += count
            else:
                fields.append((taxonomy.title(label), str(count)))
        if other:
            fields.append(("Other", folded_count(other, k)))
        if fields:
            sections.append(Section(heading=f"By {axis}", fields=tuple(fields)))
    return Reply(kind="list", title="Snag stats", sections=tuple(sections))
