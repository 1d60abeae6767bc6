"""Every process that answers messages (`snag serve`, each replica, and `snag chat`) reads an edited
taxonomy file again, as the admin's `reload` reads it: `reload` changed only the process it ran in."""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path

from sqlmodel import Session, select

from bot.app import Services, build
from bot.config import Settings
from bot.domain import IncomingMessage
from bot.roles import RolePolicy
from bot.taxonomy import DEFAULT_TAXONOMY_PATH
from store.models import Report
from tests.conftest import FixedClassifier

SHIPPED = DEFAULT_TAXONOMY_PATH.read_text(encoding="utf-8")
INVOICES = SHIPPED.replace("redact: []", "redact:\n  - name: invoice\n    pattern: 'INV/\\d{4}/\\d{4}'")
BROKEN = SHIPPED.replace("redact: []", "redact:\n  - name: invoice\n    pattern: 'INV/(\\d{4}'")
REPORT = "accounts chase invoice INV/2026/4108 by hand because the refund is never passed on"


def _replica(tmp_path: Path, taxonomy: Path) -> Services:
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        data_dir=tmp_path / "var",
        database_url=f"sqlite:///{tmp_path / 'snag.db'}",
        reporter_secret="test-secret",
        taxonomy=taxonomy,
    )
    return build(settings, classifier=FixedClassifier(), migrate=True)


class Later:
    """The watch's clock, moved on by hand: it looks at the file at most every `every` seconds."""

    def __init__(self, services: Services) -> None:
        self.ahead = 0.0
        services.extras["taxonomy_watch"].clock = lambda: time.monotonic() + self.ahead
        services.extras["taxonomy_watch"].every = 60.0

    def move(self) -> None:
        self.ahead += 61.0


def _read_in_background() -> None:
    """Wait for the reading a message started: the message itself does not wait for it."""
    for thread in threading.enumerate():
        if thread.name == "snag-taxonomy":
            thread.join(10)


def _stored(services: Services, text: str, user: str = "ann") -> str:
    person = services.snag.person("console", "local", user)
    reply = services.snag.handle_message(IncomingMessage(person, text, "console"))
    assert reply.report_id is not None, reply
    with Session(services.engine) as session:
        return session.exec(select(Report.text).where(Report.id == reply.report_id)).one()


def test_a_replica_that_was_not_told_to_reload_follows_the_file(tmp_path: Path) -> None:
    path = tmp_path / "taxonomy.yml"
    path.write_text(SHIPPED, encoding="utf-8")
    first, second = _replica(tmp_path, path), _replica(tmp_path, path)
    later = Later(second)
    first.snag.roles = RolePolicy.from_lists(["console:boss"], [])

    path.write_text(INVOICES, encoding="utf-8")
    boss = first.snag.person("console", "local", "boss")
    assert first.snag.handle_message(IncomingMessage(boss, "reload", "console")).title.startswith("Taxonomy reloaded")
    assert "[invoice]" in _stored(first, REPORT)

    assert "INV/2026/4108" in _stored(second, REPORT)  # looked at the file less than `every` ago: not yet
    later.move()
    _stored(second, REPORT.replace("4108", "4109"))  # notices the file; reads it in the background
    _read_in_background()
    assert _stored(second, REPORT.replace("4108", "4110")) == REPORT.replace("INV/2026/4108", "[invoice]")
    assert second.snag.taxonomy is second.taxonomy and second.taxonomy.redact == (("invoice", "INV/\\d{4}/\\d{4}"),)


def test_a_file_that_fails_its_checks_is_logged_once_and_the_taxonomy_stays(tmp_path: Path, caplog) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "taxonomy.yml"
    path.write_text(INVOICES, encoding="utf-8")
    services = _replica(tmp_path, path)
    later, before = Later(services), services.taxonomy

    path.write_text(BROKEN, encoding="utf-8")
    with caplog.at_level(logging.ERROR, logger="snag.taxonomy"):
        for number in (4108, 4109):  # the person's report is filed as ever, and the file is told of once
            later.move()
            assert _stored(services, REPORT.replace("4108", str(number))).startswith("accounts chase invoice [invoice]")
            _read_in_background()
    errors = [r.getMessage() for r in caplog.records if r.name == "snag.taxonomy" and r.levelno == logging.ERROR]
    line = BROKEN.splitlines().index("    pattern: 'INV/(\\d{4}'") + 1
    assert len(errors) == 1 and f"taxonomy.yml line {line}: redaction pattern is not a valid regex" in errors[0]
    assert services.taxonomy is before

    path.write_text(SHIPPED, encoding="utf-8")  # mended (the rule taken out again): read at the next look
    later.move()
    _stored(services, REPORT.replace("4108", "4110"))
    _read_in_background()
    assert "INV/2026/4111" in _stored(services, REPORT.replace("4108", "4111"))
