"""`snag relabel {stage|kind|team} OLD NEW`: stored tags follow a renamed or removed label."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:
    from bot.taxonomy import Taxonomy
    from digests.relabel import Relabel, Relabelled

__all__ = ["register"]

_NONE = ("", "none", "null", "-")  # NEW for a label removed with nothing in its place


def relabel_cmd(
    axis: str = typer.Argument(..., metavar="AXIS", help="Which tags: stage, kind or team."),
    old: str = typer.Argument(
        ..., metavar="OLD", help="The label as stored, which the taxonomy no longer has, e.g. bed_management."
    ),
    new: str = typer.Argument(
        ...,
        metavar="NEW",
        help="A label of the taxonomy to put in its place (its title or an alias will do), or none to drop it.",
    ),
    dry_run: bool = typer.Option(False, "--dry-run", help="Only count the rows each table would change."),
) -> None:
    """Move stored tags to another label after the taxonomy renamed or removed one, in one transaction:
    reports, patterns, corrections, and the team's or stage's digest subscriptions."""
    from bot.app import build
    from bot.cli import load_settings, setup_logging
    from classifier.corrections import LABELLED
    from digests.relabel import relabel, relabel_files

    settings = load_settings().tagging_nothing()
    setup_logging(settings)
    services = build(settings, train_if_missing=False, check_labels=False)
    change = _change(axis, old, new, services.taxonomy)
    done = relabel(services.engine, change, services.taxonomy, write=not dry_run)
    for line in _said(change, done, dry_run=dry_run):
        typer.echo(line)
    lines = relabel_files(settings.data_dir / LABELLED, change, write=not dry_run)
    if lines:
        would = " would be" if dry_run else ""
        typer.echo(f"  your labelled files (snag train --labelled): {lines:,} line(s){would} moved")


def _change(axis: str, old: str, new: str, taxonomy: Taxonomy) -> Relabel:
    """The relabelling asked for; InputError for an axis, or a NEW, the taxonomy does not have."""
    from bot.errors import InputError
    from digests.relabel import AXES, Relabel

    axis, old = axis.strip().lower(), old.strip()
    if axis not in AXES:
        raise InputError(f"`{axis}` is not stage, kind or team: e.g. `snag relabel team bed_management patient_flow`.")
    labels = {"stage": taxonomy.stage_labels, "kind": taxonomy.kind_labels, "team": taxonomy.team_labels}[axis]
    target = None if new.strip().lower() in _NONE else taxonomy.find(axis, new)
    if target is None and new.strip().lower() not in _NONE:
        close = taxonomy.closest(axis, new)
        hint = f"did you mean {' or '.join(close)}?" if close else f"the {axis}s are {', '.join(labels)}."
        raise InputError(f"`{new}` is not a {axis} of the taxonomy ({taxonomy.source}): {hint}")
    if not old or old == target:
        raise InputError(f"Nothing to do: {old or 'OLD'} and {new} are the same {axis}.")
    if old in labels:
        typer.secho(
            f"Note: {old} is still a {axis} of the taxonomy ({taxonomy.source}): what is tagged {old} from "
            f"now on stays so. Relabelling what is stored now.",
            err=True,
            fg=typer.colors.YELLOW,
        )
    return Relabel(axis, old, target)


def _said(change: Relabel, done: Relabelled, *, dry_run: bool) -> list[str]:
    """Rows per table, and what became of the subscriptions that could not simply move."""
    what = f"{change.axis} {change.old}"
    to = f"to {change.new}" if change.new else "to no " + change.axis
    if not done.total:
        return [f"Nothing is tagged {what}: nothing to relabel."]
    head = f"Relabelled {what} {to}, in one transaction:"
    if dry_run:
        head = f"Would relabel {what} {to} (nothing written):"
    lines = [head, *(f"  {name}: {n:,}" for name, n in done.counts.items())]
    will = "would be" if dry_run else "were"
    if done.merged:
        lines.append(
            f"{done.merged:,} subscription(s) to {change.axis}:{change.old} {will} removed: the same channel "
            f"already gets the {change.axis}:{change.new} digest."
        )
    if done.dropped:
        lines.append(
            f"{done.dropped:,} subscription(s) to {change.axis}:{change.old} {will} removed: with no "
            f"{change.axis} in its place, that digest cannot be built."
        )
    lines += _given_up(change, done, dry_run=dry_run)
    if not dry_run and change.new:
        digest = " and its digest" if change.axis in ("stage", "team") else ""
        lines.append(f"`top {change.axis}:{change.new}`{digest} now count them.")
    return lines


def _given_up(change: Relabel, done: Relabelled, *, dry_run: bool) -> list[str]:
    """What becomes of the digests given up while the old label was missing: each subscription's
    latest week is sent again, earlier weeks are not."""
    lines = []
    why = f"given up while {change.axis} {change.old} was not in the taxonomy"
    if done.reopened:
        n = len(done.reopened)
        weeks = ", ".join(f"subscription #{sub}, {period}" for sub, period in done.reopened)
        will = "would be" if dry_run else ("is" if n == 1 else "are")
        lines.append(
            f"{'1 digest' if n == 1 else f'{n:,} digests'} {why} {will} sent again ({weeks}): "
            f"`snag scheduler` sends {'it' if n == 1 else 'them'} at its next retry, within 10 minutes."
        )
    if done.still_given_up:
        lines.append(f"{done.still_given_up:,} earlier week(s) {why} are not sent again.")
    return lines


def register(app: typer.Typer) -> None:
    app.command("relabel")(relabel_cmd)
