"""Reply builders: the platform-neutral cards every adapter renders.

The receipt, its fix-tags form and the short notices live here; the answers to query
commands (top, mine, search, pattern, stats) live in bot.listings and are re-exported.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from bot.domain import (
    FREQUENCIES,
    Button,
    Choice,
    Form,
    Option,
    Reply,
    ReportRecord,
    Section,
    Tags,
)
from bot.errors import SnagError
from bot.listings import STATUS_WORDS, folded_count, mine, pattern, search, stats, top
from bot.taxonomy import Taxonomy
from bot.text import snippet

__all__ = [
    "receipt",
    "fix_form",
    "tag_fields",
    "thanks",
    "usage",
    "problem",
    "apology",
    "prompt_for_sentence",
    "only_files",
    "files_notice",
    "kept_for_later",
    "shared_notice",
    "saved_for_later",
    "reply_saved_for_later",
    "edit_saved_for_later",
    "TAGS_TO_FOLLOW",
    "top",
    "mine",
    "search",
    "pattern",
    "stats",
    "snippet",
    "folded_count",
    "STATUS_WORDS",
]


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
        ("Kinds", taxonomy.titles(tags.kinds)),
        ("Teams", taxonomy.titles(tags.teams)),
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
    buttons = (
        Button("confirm", "Looks right", str(record.id), "primary"),
        Button("fix", "Fix tags", str(record.id)),
    )
    return Reply(
        kind="receipt",
        title=title,
        sections=(
            Section(text=snippet(record.text, 300), heading="You said"),
            Section(heading="What I understood", fields=tag_fields(record.tags, taxonomy)),
        ),
        buttons=() if corrected else buttons,
        choices=_questions(record, taxonomy, corrected=corrected),
        report_id=record.id,
        notices=notices,
    )


SHARED_NOTICE = (
    "People in that channel or chat can see who posted this message. To report privately, send me a direct message."
)


def shared_notice(shared: bool) -> tuple[str, ...]:
    """The receipt's word on who could see a report filed where others read (IncomingMessage.shared).

    Reporters are told they stay anonymous to leaders; a message in a channel is not, so they hear it here.
    """
    return (SHARED_NOTICE,) if shared else ()


def _questions(record: ReportRecord, taxonomy: Taxonomy, *, corrected: bool) -> tuple[Choice, ...]:
    """The stage when the tagger was unsure, then how often and whether the customer notices."""
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
    return tuple(choices)


def fix_form(record: ReportRecord, taxonomy: Taxonomy) -> Reply:
    """The form to correct a report's tags, pre-filled with the current ones that the taxonomy still
    has: a label it no longer has (renamed or removed since) is not offered, so it is not pre-selected
    either, and the form sent back unchanged is not refused for it."""
    tags = record.tags or Tags(stage=None, kinds=(), teams=())
    teams = _options(taxonomy.team_labels, taxonomy)
    handoff = tags.handoff

    def known(labels: Sequence[str | None], allowed: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(label for label in labels if label and label in allowed)

    form = Form(
        action="correct",
        title=f"Fix tags on #{record.id}",
        choices=(
            Choice(
                "stage",
                "Stage",
                _options(taxonomy.stage_labels, taxonomy),
                selected=known((tags.stage,), taxonomy.stage_labels),
            ),
            Choice(
                "kinds",
                "Kinds",
                _options(taxonomy.kind_labels, taxonomy),
                multi=True,
                selected=known(tags.kinds, taxonomy.kind_labels),
                optional=False,
            ),
            Choice("teams", "Teams", teams, multi=True, selected=known(tags.teams, taxonomy.team_labels)),
            Choice(
                "handoff_from",
                "Handoff from",
                teams,
                selected=known((handoff.from_team if handoff else None,), taxonomy.team_labels),
            ),
            Choice(
                "handoff_to",
                "Handoff to",
                teams,
                selected=known((handoff.to_team if handoff else None,), taxonomy.team_labels),
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


# Said with the help: who reads what people write (managers may read a report's words, not its author).
WHO_SEES = (
    "Leaders see patterns and counts, and may read your words (quoted in digests, or found by a search), "
    "never your name. Leave people's names out."
)


def usage(text: str, problem: str | None = None, *, note: str | None = None) -> Reply:
    sections: tuple[Section, ...] = (Section(text=text, heading="What you can type"),)
    if note:
        sections += (Section(text=note, heading="Who sees what"),)
    return Reply(kind="usage", title=problem or "Snag commands", sections=sections)


def problem(exc: SnagError, taxonomy: Taxonomy | None = None) -> Reply:
    """A known error, said kindly; usage problems show the commands of the person who slipped
    (the fewest, staff's, when who slipped is not known), their examples naming a team of
    `taxonomy`, the one Snag runs with."""
    from bot.commands import TheirUsage, usage_for, with_examples
    from bot.domain import Role
    from bot.errors import UsageError

    if isinstance(exc, UsageError):
        role = exc.role if isinstance(exc, TheirUsage) else Role.STAFF
        said = with_examples(exc.message, taxonomy) if taxonomy is not None else exc.message
        return usage(usage_for(role), problem=said)
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


ONLY_FILES = (
    "I got your file, but I can only read words: tell me in a sentence what got in the way "
    "(attach the file again if it helps)."
)


def only_files() -> Reply:
    """The answer to a photo or file sent with no words to file: said alike on every platform."""
    return Reply(kind="usage", title=ONLY_FILES)


def files_notice(files: int) -> tuple[str, ...]:
    """The receipt's word on photos or files sent with a report: only its words are kept, so
    nobody who reads reports sees them (nor a face or a name in them)."""
    if not files:
        return ()
    what = "the file" if files == 1 else "the files"
    return (f"I saved your words, not {what} you attached: I can only read words.",)


def kept_for_later(reply: Reply) -> bool:
    """Whether a reply is `saved_for_later`'s, whatever notices it carries."""
    return replace(reply, notices=()) == saved_for_later()


def saved_for_later() -> Reply:
    return Reply(
        kind="saved",
        title=(
            "Your report is saved. The database is busy right now, so I'll file and tag it as "
            "soon as it is back. Nothing you wrote is lost."
        ),
    )


def reply_saved_for_later() -> Reply:
    """A reply under a report, kept in the outbox until the database takes it (bot.editing)."""
    return Reply(
        kind="saved",
        title=(
            "Your reply is saved. The database is busy right now, so I'll add it to your report as "
            "soon as it is back. Nothing you wrote is lost."
        ),
    )


def edit_saved_for_later() -> Reply:
    """An edit of a report's message, kept in the outbox until the database takes it (bot.editing)."""
    return Reply(
        kind="saved",
        title=(
            "Your edit is saved. The database is busy right now, so I'll update your report as "
            "soon as it is back. Nothing you wrote is lost."
        ),
    )


# On the receipt of a report stored whose tagging met a database outage (bot.capture.receipt_for).
TAGS_TO_FOLLOW = (
    "The database stopped answering before I could tag it, so the tags will follow shortly. "
    "Your report is stored: no need to send it again."
)
