"""Commands: group, digest, scheduler, subscribe, unsubscribe, subscriptions, pattern set/merge, demo."""

from __future__ import annotations

import json
import signal
from collections.abc import Callable, Hashable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:
    from sqlmodel import Session

    from bot.app import Services
    from bot.config import Settings
    from bot.taxonomy import Taxonomy
    from digests.files import FileReport
    from store.models import Pattern

__all__ = ["register"]

pattern_app = typer.Typer(help="Patterns: owner and status, merging two.", no_args_is_help=True)


def _services(train: bool = False) -> Services:
    from bot.app import build
    from bot.cli import load_settings, setup_logging

    settings = load_settings()
    setup_logging(settings)
    return build(settings, train_if_missing=train)


def group(
    file: Path = typer.Argument(
        None, help="JSONL of reports ({id, text, created_at?, stage?, kinds?...}) as for snag classify; '-' for stdin."
    ),
    rebuild: bool = typer.Option(False, "--rebuild", help="Regroup the database's history instead of a file."),
    platform: str = typer.Option("console", help="Tenant platform (with --rebuild)."),
    tenant: str = typer.Option("local", help="Tenant id (with --rebuild)."),
    score: bool = typer.Option(
        False, "--score", help='Also print B-cubed F1 against each line\'s "group" (none: a problem of its own).'
    ),
) -> None:
    """Group reports into patterns: a file to stdout (each line gains "pattern"), or the database."""
    if rebuild:
        services = _services()
        count = services.extras["grouper"].rebuild(platform=platform, tenant=tenant)
        typer.echo(f"Regrouped the history of {platform}:{tenant} into {count} pattern(s).", err=True)
        if count.left:
            each = ", ".join(f"#{pid} ({n})" for pid, n in sorted(count.left.items()))
            typer.echo(
                f"{sum(count.left.values())} report(s) moved out of patterns with an owner or a status, whose "
                f"reporters were told it: {each}. Their reporters were not told again; `pattern <id>` shows "
                "where those patterns stand now.",
                err=True,
            )
        return
    if file is None:
        raise typer.BadParameter("give a JSONL file (or --rebuild)")
    _group_file(str(file), score=score)


def _group_file(source: str, *, score: bool) -> None:
    """`snag group FILE`: lines read as `snag classify` reads them, texts as the bot groups them.

    The same reader, messages and exit codes as `snag classify` (classifier.cli); each text is
    cleaned, cut and redacted as the bot does before it is grouped, so personal details never
    decide a pattern; the line written is the line read plus "pattern".
    """
    from bot.cli import load_settings
    from bot.taxonomy import load_taxonomy
    from classifier.cli import _stdout_bytes as stdout_bytes  # kept private: tests of classify replace it
    from classifier.cli import as_the_bot_reads, json_line, open_lines, skip_line, stops_quietly_when_stdout_closes
    from digests.files import assign_patterns, read_lines

    settings = load_settings()
    taxonomy = load_taxonomy(settings.taxonomy)
    text_of = as_the_bot_reads(settings, taxonomy, done="grouped")
    rows: list[dict] = []
    reports: list[FileReport] = []
    skipped: list[int] = []
    dropped: list[int] = []
    machine: list[int] = []
    with stops_quietly_when_stdout_closes():
        with open_lines(source) as stream:
            for number, row, problem in read_lines(stream):
                if problem or row is None:
                    skip_line(number, problem or "", skipped)
                    continue
                rows.append(row)
                reports.append(_file_report(number, row, taxonomy, text_of, dropped=dropped, machine=machine))
        write = stdout_bytes()
        patterns = assign_patterns(reports)
        for row, pattern in zip(rows, patterns, strict=True):
            write(json_line({**row, "pattern": pattern}))
    if score and rows:
        _print_score(rows, patterns)
    if machine:
        typer.echo(
            f'{len(machine)} line(s) carry the classifier\'s tags ("confidence"), which are not used: '
            "the file is grouped by the text alone, which groups better than guessed tags.",
            err=True,
        )
    if dropped:
        typer.echo(
            f"{len(dropped)} line(s) with tags Snag cannot use: those tags were left out, "
            "the lines' other tags were used.",
            err=True,
        )
    if skipped:
        typer.echo(f"{len(skipped)} malformed line(s) skipped.", err=True)
        raise typer.Exit(1)  # every line written, a tag left out or not, is a success: stderr says what


def _file_report(
    number: int,
    row: dict,
    taxonomy: Taxonomy,
    text_of: Callable[[int, str], str],
    *,
    dropped: list[int],
    machine: list[int],
) -> FileReport:
    """What grouping reads of a line; tags only a person's, and of those only the ones the taxonomy
    knows: stderr names each one left out, and the line keeps its others (read_tags)."""
    from digests.files import FileReport, has_tags, machine_tagged, read_created_at, read_tags

    tags = None
    if has_tags(row) and machine_tagged(row):
        machine.append(number)
    elif has_tags(row):
        problems: list[str] = []
        tags = read_tags(row, taxonomy, problems)
        for problem in problems:
            typer.echo(f"line {number}: {problem}; left out, the line's other tags are used", err=True)
        if problems:
            dropped.append(number)
    return FileReport(text=text_of(number, row["text"]), created_at=read_created_at(row.get("created_at")), tags=tags)


def _print_score(rows: list[dict], patterns: list[int]) -> None:
    """B-cubed against each line's "group"; a line without one (missing or null) is a problem of its own."""
    from digests.files import bcubed

    gold = [_gold(row.get("group"), i) for i, row in enumerate(rows)]
    precision, recall, f1 = bcubed(patterns, gold)
    typer.echo(
        f'B-cubed against "group": precision {precision:.3f}, recall {recall:.3f}, F1 {f1:.3f} '
        f"({len(rows)} reports, {len(set(patterns))} patterns, {len(set(gold))} groups)",
        err=True,
    )


def _gold(group: object, i: int) -> Hashable:
    """A line's true group as a key: 0 and "" are groups like any other; only none is a group alone."""
    if group is None:
        return ("alone", i)
    return group if isinstance(group, Hashable) else json.dumps(group, sort_keys=True)


def digest(
    preview: bool = typer.Option(True, "--preview/--no-preview", help="Show without sending (the only mode here)."),
    audience: str = typer.Option("all", help="all, team:<team> or stage:<stage>."),
    html: Path = typer.Option(None, "--html", help="Also write a self-contained HTML page here."),
    platform: str = typer.Option("console", help="Tenant platform."),
    tenant: str = typer.Option("local", help="Tenant id."),
) -> None:
    """Preview the digest of the last full week (Monday to Sunday) as Markdown, and optionally HTML with charts."""
    from digests.html import to_html
    from digests.render import to_markdown

    services = _services()
    digests = services.extras["digests"]
    now = digests.local_now(platform=platform, tenant=tenant, audience=audience, now=datetime.now(UTC))
    built = digests.build(platform=platform, tenant=tenant, audience=audience, now=now)
    typer.echo(to_markdown(built, services.taxonomy))
    if html:
        _write_page(html, to_html(built, services.taxonomy))
        typer.echo(f"Wrote {html}", err=True)


def _write_page(path: Path, page: str) -> None:
    """Write the HTML page; ConfigError saying why when it cannot be (the Markdown is already shown)."""
    from bot.errors import ConfigError

    try:
        path.write_text(page, encoding="utf-8")
    except OSError as exc:
        if isinstance(exc, FileNotFoundError):
            why = f"the folder {path.parent} does not exist"
        elif isinstance(exc, IsADirectoryError):
            why = "it is a folder; give a file name such as digest.html"
        else:
            why = (exc.strerror or "the system refused").lower()
        raise ConfigError(f"Could not write the HTML page to {path}: {why}.") from exc


def scheduler() -> None:
    """Run the digest scheduler (its own process; one per deployment is enough, more are safe)."""
    from digests.scheduler import build_scheduler
    from digests.scheduler_http import serve_scheduler_endpoint

    services = _services()
    runner = build_scheduler(services)
    endpoint = serve_scheduler_endpoint(runner)  # GET /metrics and /healthz on SNAG_SCHEDULER_PORT, unless 0
    typer.echo(
        f"Scheduler started with {runner.sync()} digest subscription(s); "
        f"console digests are written under {services.settings.data_dir / 'digests'}"
        + (f"; /metrics and /healthz on port {endpoint.port}." if endpoint else "."),
        err=True,
    )

    def stop(signum: int, _frame: object) -> None:  # docker stop, systemd, Kubernetes: SIGTERM
        runner.stop()  # not an exception: one raised mid-send would leave its digest unrecorded

    signal.signal(signal.SIGTERM, stop)
    try:
        runner.start()  # returns once stopped, the digest being sent finished and recorded
    except (KeyboardInterrupt, SystemExit):  # Ctrl-C: digests are sent in the scheduler's threads, not here
        if runner.scheduler.running:
            runner.scheduler.shutdown(wait=True)  # a digest being sent finishes first
    finally:
        if endpoint is not None:
            endpoint.stop()
    typer.echo("Scheduler stopped.", err=True)


def _audience_key(raw: str, taxonomy: Taxonomy) -> str:
    """An audience as subscriptions store it ("Team:Finance" is team:finance); InputError if unknown."""
    from digests.digest import parse_audience

    return parse_audience(raw, taxonomy).key


def subscribe_cmd(
    audience: str = typer.Argument("all", help="all, team:<team> or stage:<stage>."),
    platform: str = typer.Option("console", help="slack, teams or console."),
    tenant: str = typer.Option("local", help="Slack team id or Teams tenant id."),
    destination: str = typer.Option("console", help="Slack channel id or Teams conversation id."),
    cron: str = typer.Option(None, help='Cron line, default SNAG_DIGEST_CRON ("0 9 * * mon").'),
    tz: str = typer.Option(None, help="Time zone, default SNAG_DIGEST_TIMEZONE."),
    alerts: bool = typer.Option(True, "--alerts/--no-alerts", help="Also send alerts here."),
) -> None:
    """Send an audience's digest to a channel on a schedule."""
    from digests.subscriptions import schedule_note, subscribe, validate_platform
    from store.db import session_scope

    validate_platform(platform)
    services = _services()
    key = _audience_key(audience, services.taxonomy)
    cron, tz = cron or services.settings.digest_cron, tz or services.settings.digest_timezone
    with session_scope(services.engine) as session:
        row = subscribe(
            session=session,
            platform=platform,
            tenant=tenant,
            audience=key,
            destination=destination,
            cron=cron,
            timezone=tz,
            alerts=alerts,
        )
        typer.echo(f'Subscription {row.id}: {key} to {platform}:{destination} on "{cron}" ({tz}).')
    note = schedule_note(cron, tz)
    if note:
        typer.secho(f"Note: {note}", err=True, fg=typer.colors.YELLOW)
    missing = _unconfigured(services.settings, platform)
    if missing:
        typer.secho(
            f"Warning: {platform.title()} is not configured here ({missing}), so nothing will be sent "
            f"to {destination} until it is set where `snag scheduler` runs.",
            err=True,
            fg=typer.colors.YELLOW,
        )


def _unconfigured(settings: Settings, platform: str) -> str | None:
    """The setting a platform's digests wait for, or None when they can be sent."""
    if platform == "slack" and not settings.slack_enabled:
        return "neither SLACK_BOT_TOKEN nor SLACK_CLIENT_ID is set"
    if platform == "teams" and not (settings.teams or settings.microsoft_app_id):  # as build_messengers reads them
        return "MicrosoftAppId is not set"
    return None


def unsubscribe_cmd(
    audience: str = typer.Argument(None, help="Only this audience (default: all of the destination's)."),
    platform: str = typer.Option("console"),
    tenant: str = typer.Option("local"),
    destination: str = typer.Option("console"),
) -> None:
    """Stop sending digests to a destination."""
    from bot.errors import NotFound
    from digests.subscriptions import unsubscribe
    from store.db import session_scope

    services = _services()
    key = _audience_key(audience, services.taxonomy) if audience else None
    with session_scope(services.engine) as session:
        count = unsubscribe(session=session, platform=platform, tenant=tenant, destination=destination, audience=key)
        current = [] if count else _subscribed(session, platform=platform, tenant=tenant)
    if not count:
        raise NotFound(_nothing_to_remove(key, platform=platform, destination=destination, current=current))
    typer.echo(f"Removed {count} subscription(s).")


def subscriptions_cmd(
    platform: str = typer.Option(None, help="Only this platform's: slack, teams or console."),
    tenant: str = typer.Option(None, help="Only this Slack team id or Teams tenant id."),
) -> None:
    """List digest subscriptions: where each goes, when the next digest goes, how the last one went."""
    from digests.subscriptions import describe, standings
    from store.db import session_scope

    services = _services()
    with session_scope(services.engine) as session:
        found = standings(session=session, now=datetime.now(UTC), platform=platform, tenant=tenant)
        lines = [describe(standing) for standing in found]
    if not lines:
        which = " ".join(f"--{k} {v}" for k, v in (("platform", platform), ("tenant", tenant)) if v)
        typer.echo(f"No digest subscriptions{' for ' + which if which else ''}: add one with `snag subscribe`.")
        return
    for head, detail in lines:
        typer.echo(head)
        typer.echo(f"    {detail}")


def _subscribed(session: Session, *, platform: str, tenant: str) -> list[tuple[str, str]]:
    """(destination, audience) of every subscription of one tenant."""
    from digests.subscriptions import list_subscriptions
    from store.reports import find_tenant

    row = find_tenant(session=session, platform=platform, external_id=tenant)
    found = [s for s in list_subscriptions(session=session) if row is not None and s.tenant_id == row.id]
    return [(s.destination, s.audience) for s in found]


def _nothing_to_remove(key: str | None, *, platform: str, destination: str, current: list[tuple[str, str]]) -> str:
    """Why nothing was removed, and what is subscribed instead."""
    where = f"{platform}:{destination}"
    said = f"No {key} subscription at {where}" if key else f"No subscription at {where}"
    here = [audience for at, audience in current if at == destination]
    if here:
        return f"{said}; its subscriptions: {', '.join(here)}."
    elsewhere = sorted({at for at, _ in current})
    if elsewhere:
        return f"{said}; this tenant's digests go to: {', '.join(elsewhere)} (see --destination)."
    return f"{said}; this tenant has no digest subscriptions (add one with `snag subscribe`)."


@pattern_app.command("set")
def pattern_set(
    pattern_id: int = typer.Argument(...),
    owner: str = typer.Option(None, help="Who owns it now."),
    status: str = typer.Option(None, help="new, acknowledged, in progress, resolved or won't fix."),
    platform: str = typer.Option("console"),
    tenant: str = typer.Option("local"),
) -> None:
    """Change a pattern's owner or status; its reporters are told by direct message."""
    from bot.errors import InputError
    from digests.chat import owner_text
    from digests.loop import read_status, set_pattern

    if owner is None and status is None:
        raise _usage_error(
            "Nothing to change: give --owner, --status or both, "
            f"e.g. `snag pattern set {pattern_id} --status resolved`."
        )
    services = _services()
    notices: tuple[str, ...] = ()
    try:  # as `own` and `status` in chat: contact details redacted, "none" clears, "closed" is resolved
        if owner is not None:
            owner, notices = owner_text(owner, services.snag.redactor, number=pattern_id)
        new_status = None if status is None else read_status(status, try_as="--status {status}")
    except InputError as exc:
        raise _usage_error(exc.message) from None
    row, changed = set_pattern(
        services.engine,
        platform=platform,
        tenant=tenant,
        pattern_id=pattern_id,
        owner=owner,
        status=new_status,
    )
    for notice in notices:
        typer.echo(notice, err=True)
    told = "nothing changed; nobody was told again"
    if changed:
        told = _told(services, row, platform)
    typer.echo(f"Pattern #{row.id}: status {row.status}, owner {row.owner or 'none'}; {told}.")


@pattern_app.command("merge")
def pattern_merge(
    source: int = typer.Argument(..., help="The pattern to merge: all its reports move."),
    target: int = typer.Argument(..., help="The pattern they move to; it keeps its owner and status."),
    platform: str = typer.Option("console"),
    tenant: str = typer.Option("local"),
) -> None:
    """Merge one pattern into another (one problem grouped as two): `snag pattern merge 12 7`.

    The second is worked out again from all their reports; the first is kept, marked merged, and
    leaves digests, `top`, `stats` and exports. Nobody is messaged."""
    from digests.chat import merged_reply

    services = _services()
    merged = services.extras["grouper"].merge(platform=platform, tenant=tenant, source=source, target=target)
    import shlex

    typer.echo(merged_reply(merged).title)
    if merged.source_owner:
        typer.echo(
            f"#{source} was owned by {merged.source_owner}; #{target} has no owner. To give it the same: "
            f"snag pattern set {target} --owner {shlex.quote(merged.source_owner)}",
            err=True,
        )


def _told(services: Services, pattern: Pattern, platform: str) -> str:
    """Tell the pattern's reporters with this process's messengers; those on a platform it has none
    for (Teams not configured here) are owed to the `snag serve` or `snag scheduler` that has one."""
    import asyncio

    from digests.chat import reach
    from digests.loop import notify_reporters

    messengers, run_async = reach(services) or ({}, asyncio.run)  # asyncio.run: nothing to send here
    sent = notify_reporters(
        services.engine,
        pattern=pattern,
        messengers=messengers,
        run_async=run_async,
        k=services.settings.anonymity_k,
        taxonomy=services.taxonomy,
    )
    failing = sent.owed - sent.elsewhere  # tried again (digests.owed_updates)
    told = f"told {sent} reporter(s)" + (
        f"; {failing} more will be told when their platform answers" if failing else ""
    )
    if sent.elsewhere:
        named = {"slack": "Slack", "teams": "Teams"}.get(platform, platform)
        told += (
            f"; {sent.elsewhere} will be told within a minute by the `snag serve` or `snag scheduler` "
            f"running with {named} settings (this command has none)"
        )
    return told


def _usage_error(message: str) -> Exception:
    """click's UsageError (typer's own copy since 0.29): shown under the command's usage, exit 2."""
    usage_error = next(c for c in typer.BadParameter.__mro__ if c.__name__ == "UsageError")
    return usage_error(message)


def demo(
    platform: str = typer.Option(
        "console",
        help="Platform of the sample's tenant (console, slack, teams), to preview how its digests look there.",
    ),
    tenant: str = typer.Option(
        "local", help="A tenant of the sample's own: one holding no reports ('local', the console's, by default)."
    ),
) -> None:
    """Load eight weeks of sample reports for a sample organisation into a tenant holding no reports.

    A tenant that already holds reports is refused: the sample would mix with them.
    Run again, it changes nothing.
    """
    from bot.errors import InputError
    from digests.demo import load_demo
    from digests.subscriptions import PLATFORMS

    if platform not in PLATFORMS:
        raise InputError(f"Snag serves slack, teams or console, not {platform}: e.g. --platform slack --tenant sample.")
    found = load_demo(_services(), tenant=tenant, platform=platform)
    if found.get("already"):
        typer.echo(
            f"The sample organisation is already loaded in {platform}:{tenant} ({found['already']} sample report(s)): "
            "nothing was loaded again, and owners and statuses set since stay as they are. "
            + _see_demo(platform, tenant)
        )
        return
    typer.echo(
        f"Loaded {found['reports']} sample report(s) into {found['patterns']} pattern(s). {_see_demo(platform, tenant)}"
    )


def _see_demo(platform: str, tenant: str) -> str:
    """How to look at the demo: `snag chat` shows the console's own tenant, anything else needs naming."""
    import shlex

    if (platform, tenant) == ("console", "local"):
        return "Try `snag chat`, then `digest`."
    where = f"--platform {shlex.quote(platform)} --tenant {shlex.quote(tenant)}"
    return (
        f"See it with `snag digest --preview {where}` or `snag export patterns {where}` "
        f"(`snag chat` shows the console's own tenant, not {platform}:{tenant})."
    )


def register(app: typer.Typer) -> None:
    app.command()(group)
    app.command()(digest)
    app.command()(scheduler)
    app.command("subscribe")(subscribe_cmd)
    app.command("unsubscribe")(unsubscribe_cmd)
    app.command("subscriptions")(subscriptions_cmd)
    app.command()(demo)
    app.add_typer(pattern_app, name="pattern")
