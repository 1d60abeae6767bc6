"""Training examples from labelled reports, on the axes each report teaches.

A report teaches only the axes whose labels are known (`corrections.axes_of`); the others
get no labels at all, so the textcats learn nothing about them from that report. An empty
list of kinds teaches nothing either: every report has a kind (the fix-tags form asks for
one), so no kind is a question left open, as on a rule tagger's receipt that found none.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from functools import cache

from spacy.language import Language
from spacy.training import Example

from bot.corrections import AXES
from bot.errors import SnagError
from bot.taxonomy import Taxonomy, load_taxonomy
from classifier.corrections import HANDOFF_ONLY, axes_of
from classifier.dataset import LabelledReport
from classifier.handoff import TEAM
from classifier.pipeline import HANDOFF, NO_STAGE, NO_TEAM, RULE_PIPES, TEXTCATS, textcat_labels
from classifier.text import model_text

__all__ = [
    "AliasStats",
    "Examples",
    "MIN_LABELLED",
    "NotEnoughLabels",
    "alias_stats",
    "cats_of",
    "check_labelled",
    "make_examples",
]

MIN_LABELLED = 20  # reports per axis (and 2 stages, 2 kinds) before a model is worth training
# The ids `corrections.correction_reports` gives people's answers; every other report is shipped
# data, labelled in the shipped taxonomy.
_ANSWER_ID = "correction-"

Examples = dict[str, list[Example | None]]


class NotEnoughLabels(SnagError):
    """Too few labelled reports fit the taxonomy to train a model; the rule tagger answers."""

    code = "not_enough_labels"


def cats_of(report: LabelledReport, taxonomy: Taxonomy) -> dict[str, float]:
    """The gold scores of every textcat label for one report, on the axes it teaches.

    The sides of a handoff are only known (and only learnt) where there is one:
    for other reports the from:/to: labels are left out, which textcat reads as missing.
    An axis the report does not teach (`axes_of`) has no labels at all.
    """
    labels = textcat_labels(taxonomy)
    axes = _axes(report)
    cats = {label: 0.0 for name in ("stage", "kinds", "teams") if name in axes for label in labels[name]}
    if "handoff" in axes or HANDOFF_ONLY in axes:
        cats[HANDOFF] = 0.0
        if report.handoff and "handoff" in axes:
            cats.update({label: 0.0 for label in labels["handoff"][1:]})
    cats.update(dict.fromkeys(_present(report), 1.0))
    return cats


def _axes(report: LabelledReport) -> tuple[str, ...]:
    """The axes a report teaches: `axes_of`, less kinds when it has none (see the module's doc)."""
    axes = axes_of(report)
    return axes if report.kinds else tuple(a for a in axes if a != "kinds")


def _present(report: LabelledReport) -> list[str]:
    """The textcat labels a report teaches as present (a score of 1.0)."""
    axes = _axes(report)
    present = [f"stage:{report.stage or NO_STAGE}"] if "stage" in axes else []
    present += [f"kind:{kind}" for kind in report.kinds] if "kinds" in axes else []
    present += [f"team:{team}" for team in report.teams] if "teams" in axes else []
    if report.handoff and ("handoff" in axes or HANDOFF_ONLY in axes):
        present.append(HANDOFF)
        if "handoff" in axes:
            source, target = report.handoff
            present += [f"from:{source or NO_TEAM}", f"to:{target or NO_TEAM}"]
    return present


def make_examples(nlp: Language, reports: Sequence[LabelledReport], taxonomy: Taxonomy) -> Examples:
    """Examples per textcat, over docs that already carry the rule components' matches.

    The exclusive stage textcat rejects examples with other labels set, so each
    textcat gets examples holding only its own labels; they share the same docs.
    A report that does not teach a textcat's axis gives None there: the exclusive
    textcat cannot read an example without labels as "unknown".
    """
    with nlp.select_pipes(enable=list(RULE_PIPES)):
        docs = list(nlp.pipe(model_text(r.text) for r in reports))
    labels = textcat_labels(taxonomy)
    out: Examples = {name: [] for name in TEXTCATS}
    for doc, report in zip(docs, reports, strict=True):
        cats, axes = cats_of(report, taxonomy), _taught(report)
        for name, axis in zip(TEXTCATS, AXES, strict=True):
            own = {label: cats[label] for label in labels[name] if label in cats}
            out[name].append(Example.from_dict(doc, {"cats": own}) if axis in axes else None)
    return out


def _taught(report: LabelledReport) -> tuple[str, ...]:
    """The textcat axes a report teaches (whether there was a handoff counts for handoff)."""
    axes = _axes(report)
    return (*axes, "handoff") if HANDOFF_ONLY in axes else axes


def check_labelled(reports: Sequence[LabelledReport], taxonomy: Taxonomy) -> None:
    """Raise NotEnoughLabels unless every axis has enough labelled reports to learn from."""
    taught = {axis: [r for r in reports if axis in _taught(r)] for axis in AXES}
    stages = {r.stage for r in taught["stage"] if r.stage}
    kinds = {k for r in taught["kinds"] for k in r.kinds}
    short = [f"{axis}: {len(rs)} of {MIN_LABELLED} reports" for axis, rs in taught.items() if len(rs) < MIN_LABELLED]
    for what, found, labels in (("stages", stages, taxonomy.stages), ("kinds", kinds, taxonomy.kinds)):
        if len(found) < min(2, len(labels)):
            short.append(f"{len(found)} of {min(2, len(labels))} {what}")
    if not short:
        return
    nothing = all(not taught[axis] for axis in AXES if len(taught[axis]) < MIN_LABELLED)
    raise NotEnoughLabels(
        f"{'Nothing' if nothing else 'Not enough'} is labelled for this taxonomy's labels yet "
        f"({'; '.join(short)}; the shipped examples only count where their labels are this "
        "taxonomy's). Snag tags with the taxonomy's words and aliases for now, and trains its model "
        f"once people's corrections and confirmations give at least {MIN_LABELLED} reports for each of "
        "stage, kinds, teams and handoff, with at least 2 stages and 2 kinds. To start sooner, label some "
        "of your history: `snag classify history.jsonl > labelled.jsonl`, correct its tags, then "
        "`snag train --labelled labelled.jsonl`."
    )


class AliasStats(dict[str, list[int]]):
    """alias -> [reports where it meant its team, reports it appeared in that could have said so],
    and `taught`: per textcat label, how many training reports taught it as present.

    Both go to the `tags` component (`TagCombiner.alias_stats`), which decides with them.
    """

    def __init__(self, taught: dict[str, int]) -> None:
        super().__init__()
        self.taught = taught


def alias_stats(examples: Iterable[Example | None], reports: Iterable[LabelledReport]) -> AliasStats:
    """Per team alias: in how many reports it meant its team, and in how many it appeared that
    could have carried that team; and how many reports taught each label (`AliasStats.taught`).

    A report could carry a team when it teaches the teams axis and its labeller could choose
    that team: a shipped report was labelled in the shipped taxonomy, so "drivers" in a shipped
    report says nothing about an organisation's own `couriers`, which the shipped labels lack.
    """
    reports = list(reports)
    taught = Counter(label for report in reports for label in _present(report))
    stats = AliasStats(dict(sorted(taught.items())))
    for eg, report in zip(examples, reports, strict=True):
        if eg is None:  # the report's teams are unknown
            continue
        choices = None if report.id.startswith(_ANSWER_ID) else _shipped_teams()
        seen = {(e.text.lower(), e.ent_id_) for e in eg.predicted.ents if e.label_ == TEAM}
        for alias, team in sorted(seen):
            if choices is not None and team not in choices:
                continue
            row = stats.setdefault(alias, [0, 0])
            row[0] += team in report.teams
            row[1] += 1
    return stats


@cache
def _shipped_teams() -> frozenset[str]:
    """The teams the shipped reports were labelled with (the shipped taxonomy's)."""
    return frozenset(load_taxonomy().team_labels)
