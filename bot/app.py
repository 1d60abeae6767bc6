"""The composition root: builds settings' collaborators once and hands them down.

Heavy packages (spaCy, SQLModel, platform SDKs) are imported here lazily, inside
the builders, so bot/ itself stays platform- and storage-neutral.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import timedelta
from pathlib import Path
from typing import Any, TypeVar

from bot import cards
from bot.commands import Command
from bot.config import Settings, not_found
from bot.core import CoreOptions, Snag
from bot.domain import Person, Reply, Role
from bot.errors import ConfigError, PermissionDenied, StoreUnavailable
from bot.logs import where
from bot.outbox import FileOutbox
from bot.ports import Classifier, ReportRepository
from bot.roles import RolePolicy
from bot.taxonomy import DEFAULT_TAXONOMY_PATH, Taxonomy, load_taxonomy
from bot.taxonomy_watch import TaxonomyWatch, file_seen

__all__ = ["Services", "build", "follow_taxonomy", "recover", "reload_taxonomy", "use_taxonomy"]

log = logging.getLogger("snag.app")
T = TypeVar("T")


@dataclass
class Services:
    """Everything a command or server needs, built from one Settings."""

    settings: Settings
    taxonomy: Taxonomy
    engine: Any
    repository: ReportRepository
    classifier: Classifier
    snag: Snag
    extras: dict[str, Any] = field(default_factory=dict)


def _rule_classifier(taxonomy: Taxonomy) -> Classifier:
    from classifier.rules import RuleClassifier

    return RuleClassifier(taxonomy)


def build_classifier(
    settings: Settings, taxonomy: Taxonomy, *, train_if_missing: bool = True, train_first: bool = False
) -> Classifier:
    """The spaCy classifier, else the rule tagger. With no model for the taxonomy, one is trained in
    the background, the rule tagger answering meanwhile (or first, with `train_first`)."""
    try:
        from classifier.service import load_classifier
    except ImportError:
        log.warning("spaCy classifier not available; using the rule tagger")
        return _rule_classifier(taxonomy)
    return load_classifier(
        settings=settings, taxonomy=taxonomy, train_if_missing=train_if_missing, train_first=train_first
    )


def build(
    settings: Settings,
    *,
    classifier: Classifier | None = None,
    migrate: bool | None = None,
    train_if_missing: bool = True,
    train_first: bool = False,
    unreachable_ok: bool = False,
    check_labels: bool = True,
) -> Services:
    """Wire store, classifier, grouping, digests and the core from settings.

    Unless settings.may_create_store, a missing SQLite database or reporter key stops it
    (ConfigError) before anything is created. Unless settings.needs_model (the commands that tag
    nothing: digests, subscriptions), the rule tagger stands in, and no model is loaded or warned about.
    With no model for the taxonomy, one is trained in the background (`train_if_missing`), the rule
    tagger answering meanwhile: `snag serve` listens and `snag chat` answers at once. A command that
    tags a whole file now (`snag import`) asks `train_first`: the model is trained before it returns.
    With `unreachable_ok` (`snag serve`), a database that cannot be reached does not stop it: the
    server listens, reports wait in the outbox, and the schema is checked once the database answers
    (schema_checked); a restart during an outage kept the port closed and lost slash commands.
    Unless `check_labels` is off (`snag relabel`), stored tags the taxonomy no longer has are warned
    about in the log, each with the `snag relabel` command that moves them. Stored pattern titles are
    redacted again with the taxonomy's patterns, and its file is watched: a long-running process reads
    it again when it changes (follow_taxonomy; the core notices it before a message, at most every few
    seconds, and reads it in the background).
    """
    from store.db import check_revision, make_engine, upgrade
    from store.repository import SqlRepository

    if not settings.may_create_store:
        _require_existing_store(settings)
    seen = file_seen(_taxonomy_path(settings))  # before reading it: an edit meanwhile is read again
    taxonomy = load_taxonomy(settings.taxonomy)
    engine = make_engine(settings.resolved_database_url)
    unchecked = False
    try:
        if migrate if migrate is not None else settings.is_embedded_db:
            upgrade(engine)
        check_revision(engine)
    except StoreUnavailable as exc:
        if not unreachable_ok:
            raise
        unchecked = True
        log.warning("%s Serving anyway: reports wait in the outbox until it answers; its schema is checked then.", exc)
    repository = SqlRepository(engine)
    if classifier is None:
        classifier = (
            build_classifier(settings, taxonomy, train_if_missing=train_if_missing, train_first=train_first)
            if settings.needs_model
            else _rule_classifier(taxonomy)
        )
    snag = _FollowingSnag(
        taxonomy=taxonomy,
        repository=repository,
        classifier=classifier,
        options=CoreOptions(
            reporter_secret=settings.secret("reporter"),
            confidence_threshold=settings.confidence_threshold,
            max_report_chars=settings.max_report_chars,
            anonymity_k=settings.anonymity_k,
        ),
        roles=RolePolicy.from_lists(settings.admins, settings.managers),
    )
    outbox = settings.data_dir / "outbox"
    if settings.may_create_store or outbox.is_dir():  # no folder, no entries: nothing to read or erase there
        snag.outbox = FileOutbox(outbox)
    services = Services(settings, taxonomy, engine, repository, classifier, snag)
    snag.watch = services.extras[TAXONOMY_WATCH] = TaxonomyWatch(
        lambda: _taxonomy_path(services.settings), lambda: _reread_taxonomy(services), seen=seen
    )
    if unchecked:  # until the schema is checked, a connection to a database at another revision is refused
        from store.db import refuse_other_revisions

        services.extras[SCHEMA_UNCHECKED] = refuse_other_revisions(engine)
    elif check_labels:
        for line in stale_label_warnings(services):
            log.warning("%s", line)
    _attach_admin(services)
    _attach_digests(services)
    _attach_replay_hooks(services)
    if not unchecked:
        redact_titles(services)
    return services


def _require_existing_store(settings: Settings) -> None:
    """ConfigError, creating nothing, when the SQLite database or the reporter key is not there."""
    from store.db import sqlite_file

    database = sqlite_file(settings.resolved_database_url)
    if database is not None and not database.exists():
        fresh = " To start a new, empty database there instead, run `snag db upgrade`."
        raise ConfigError(not_found("No Snag database", database, "SNAG_DATABASE_URL") + fresh)
    settings.secret("reporter")  # with may_create_store off, a missing key is refused, not generated


def _admin_only(person: Person) -> None:
    if person.role is not Role.ADMIN:
        raise PermissionDenied("That command is for admins.")


def _attach_admin(services: Services) -> None:
    """Admin chat commands: retrain the tagger, reload the taxonomy."""

    def retrain(person: Person, _command: Command) -> Reply:
        _admin_only(person)
        nothing = nothing_to_retrain(services)
        if nothing is not None:
            return Reply(kind="text", title=nothing)
        threading.Thread(target=retrain_now, args=(services,), name="snag-retrain", daemon=True).start()
        return cards.thanks(
            0,
            "Retraining started with every correction so far. It takes a minute or two; "
            "the new model is used as soon as it is ready.",
        )

    def reload(person: Person, _command: Command) -> Reply:
        _admin_only(person)
        taxonomy = reload_taxonomy(services)
        note = ""
        if getattr(services.classifier, "model_version", "") is None:
            note = (
                " No trained model fits its labels yet, so Snag tags by the taxonomy's words and aliases"
                " until one is trained (`retrain`, or by itself once enough is labelled)."
            )
        reply = cards.thanks(None, f"Taxonomy reloaded from {taxonomy.source}.{note}")
        return replace(reply, notices=tuple(stale_label_warnings(services)))

    services.snag.extra_commands.update({"retrain": retrain, "reload": reload})


TAXONOMY_WATCH = "taxonomy_watch"  # in Services.extras: the taxonomy file's watch (bot.taxonomy_watch)


def _taxonomy_path(settings: Settings) -> Path:
    return Path(settings.taxonomy) if settings.taxonomy else DEFAULT_TAXONOMY_PATH


class _FollowingSnag(Snag):
    """The core, noticing a changed taxonomy file (at most every few seconds) and reading it again
    in the background: every entry point of a message, an action, an edit or a form passes through
    _guard, and an ack must not wait for the reading."""

    watch: TaxonomyWatch | None = None

    def _guard(self, work: Callable[[], T], platform: str, what: str = "request") -> T | Reply:
        if self.watch is not None:
            self.watch.notice()
        return super()._guard(work, platform, what)


def reload_taxonomy(services: Services) -> Taxonomy:
    """Read the taxonomy file again, checked as at start (ConfigError, changing nothing, when it
    fails), use it everywhere, and hide in stored pattern titles what it hides now."""
    seen = file_seen(_taxonomy_path(services.settings))
    taxonomy = load_taxonomy(services.settings.taxonomy)
    use_taxonomy(services, taxonomy)
    watch = services.extras.get(TAXONOMY_WATCH)
    if isinstance(watch, TaxonomyWatch):
        watch.seen = seen
    redact_titles(services)
    return taxonomy


def _reread_taxonomy(services: Services) -> None:
    """The watch's `reload`: what the admin's reply would list, the log lists, as at start."""
    reload_taxonomy(services)
    for line in stale_label_warnings(services):
        log.warning("%s", line)


def follow_taxonomy(services: Services, *, now: bool = False) -> bool:
    """Read the taxonomy again if its file changed since it was read (True if it was); unless
    `now`, at most every few seconds. A file that fails its checks is logged; never raises."""
    watch = services.extras.get(TAXONOMY_WATCH)
    return isinstance(watch, TaxonomyWatch) and watch.check(now=now)


def use_taxonomy(services: Services, taxonomy: Taxonomy) -> None:
    """Swap the taxonomy everywhere it is held: core (and its redactor), classifier, grouping, digests."""
    services.taxonomy = services.snag.taxonomy = taxonomy  # the core's redactor follows its taxonomy
    follow = getattr(services.classifier, "use_taxonomy", None)
    if follow is not None:
        follow(taxonomy)
    elif isinstance(getattr(services.classifier, "taxonomy", None), Taxonomy):  # the rule tagger alone
        services.classifier = services.snag.classifier = _rule_classifier(taxonomy)
    for name in ("grouper", "digests"):
        if hasattr(services.extras.get(name), "taxonomy"):
            services.extras[name].taxonomy = taxonomy


def redact_titles(services: Services) -> int:
    """Hide in stored pattern titles what the taxonomy's redaction patterns hide now (a title is
    redacted when written, and is shown by `pattern`, `top`, digests, alerts and the export);
    how many changed. Never raises: a title left is redacted at the next start or reload."""
    try:
        from digests.pattern_rows import redact_titles as redact_stored
        from store.db import session_scope
    except ImportError:
        return 0
    try:
        with session_scope(services.engine) as session:
            changed = redact_stored(session=session, taxonomy=services.taxonomy)
    except Exception as exc:
        log.error("pattern titles were not redacted again (the next start or reload tries again): %s", where(exc))
        return 0
    if changed:
        log.info("%d pattern title(s) redacted again with the taxonomy's patterns", changed)
    return changed


def stale_label_warnings(services: Services) -> list[str]:
    """One sentence per label stored in the database that the taxonomy no longer has (reports,
    patterns, digest subscriptions), with the `snag relabel` command that moves it."""
    try:
        from digests.stale_labels import stale_warnings
    except ImportError:
        return []
    return stale_warnings(services.engine, services.taxonomy)


def nothing_to_retrain(services: Services) -> str | None:
    """What to tell the admin when `retrain` would train nothing, else None (it will train).

    The training data is read first (a second or so): when a kept model was trained on exactly
    it, that model is used again at once, and saying "retraining started" would promise minutes
    of work that never happen."""
    try:
        from classifier.corrections import training_reports
        from classifier.examples import NotEnoughLabels, check_labelled
        from classifier.train import already_trained
        from classifier.versions import models_dir, point_latest
    except ImportError:
        return (
            "The trained tagger is not installed here, so there is nothing to retrain: "
            "Snag tags by the taxonomy's words and aliases."
        )
    reports = training_reports(services.settings, services.taxonomy)
    try:
        check_labelled(reports, services.taxonomy)
    except NotEnoughLabels as exc:
        return exc.message
    directory = models_dir(services.settings)
    kept = already_trained(services.taxonomy, reports, directory)
    if kept is None:
        return None
    point_latest(directory, kept.name)  # as training would: the same data makes the same model
    reload = getattr(services.classifier, "reload", None)
    if reload is not None:
        reload()
    return (
        f"The tagger is already up to date: model {kept.name} was trained on these same {len(reports):,} "
        "reports and corrections, so Snag uses it as it is. Nothing to retrain."
    )


def retrain_now(services: Services) -> str | None:
    """Train a new model from the shipped data and every stored correction; None if impossible."""
    try:
        from classifier.corrections import training_reports
        from classifier.service import models_dir, training_alone
        from classifier.train import NotEnoughLabels, train
    except ImportError:
        log.warning("retrain asked for, but the spaCy classifier is not installed")
        return None
    try:
        reports = training_reports(services.settings, services.taxonomy)
        with training_alone(models_dir(services.settings), log.info):
            model = train(services.taxonomy, reports, models_dir(services.settings))
    except NotEnoughLabels as exc:
        log.warning("no retraining: %s", exc.message)
        return None
    except Exception as exc:
        log.error("retraining failed: %s", where(exc))
        return None
    log.info("retrained model %s on %d reports", model.version, len(reports))
    return model.version


SCHEMA_UNCHECKED = "schema_unchecked"  # in Services.extras: the database could not be reached at start


def schema_checked(services: Services) -> bool:
    """Whether the database's schema is known to be this code's: checked at start, or now, once a
    database unreachable at start answers (ConfigError if it is at another revision: nothing may be
    written to it, and the log says what to run)."""
    from store.db import check_revision

    guard = services.extras.get(SCHEMA_UNCHECKED)
    if not guard:
        return True
    try:
        check_revision(services.engine)
    except StoreUnavailable as exc:
        if "revision" in exc.message:  # the guard's refusal: it answers, at another revision
            log.error("%s", exc.message)
        return False
    except ConfigError as exc:  # at another revision: nothing is written to it meanwhile (the guard)
        log.error("%s", exc.message)
        return False
    services.extras.pop(SCHEMA_UNCHECKED, None)
    if callable(guard):
        guard()
    log.info("the database answers again, at this Snag's schema revision")
    return True


def recover(services: Services, *, settled: timedelta = timedelta(0)) -> tuple[int, int]:
    """At start: file what waits in the outbox, then tag reports stored but never tagged.

    While serving, `settled` leaves alone the reports stored in the last moments, which the
    process that stored them is tagging (each report's first tags win either way). First, the
    taxonomy is read again if its file changed: the outbox's reports are redacted by it."""
    follow_taxonomy(services)
    try:
        replayed = services.snag.replay_outbox()
        tagged = services.snag.tag_backlog(settled=settled)
    except StoreUnavailable:
        log.warning("database unreachable; the outbox will be replayed when it answers")
        return 0, 0
    if replayed or tagged:
        log.info("recovered %d reports from the outbox and tagged %d left untagged", replayed, tagged)
    return replayed, tagged


def _attach_replay_hooks(services: Services) -> None:
    """The adapters remember how to reach reporters whose reports the outbox files, in any process."""
    try:
        from adapters.replayed import attach
    except ImportError:
        return
    attach(services)


def _attach_digests(services: Services) -> None:
    """Grouping and digests plug into the core when the digests package provides them."""
    try:
        from digests.wiring import attach
    except ImportError:
        return
    attach(services)
