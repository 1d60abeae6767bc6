"""`snag scheduler` reads an edited taxonomy file before its next digest, as an admin's `reload` in
chat reads it: it was fixed at the scheduler's start, so digests quoted what a new redaction
pattern hides, under a team's old name. A file that fails its checks is logged and the taxonomy
in use stays."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from bot.domain import Reply
from bot.taxonomy import DEFAULT_TAXONOMY_PATH
from digests.demo import load_demo
from digests.subscriptions import subscribe
from store.db import session_scope
from tests.digests.conftest import NOW, SUBSCRIBED, RecordingMessenger, console_scheduler, make_services

SHIPPED = DEFAULT_TAXONOMY_PATH.read_text(encoding="utf-8")
# The demo's pattern #1 is titled "Enquiry: quote, lead, customer, vat" and quotes "...a ticket about vat..."
VAT_HIDDEN = SHIPPED.replace("redact: []", "redact:\n  - name: vat_ref\n    pattern: '(?i)\\bvat\\b'")
FINANCE_RENAMED = VAT_HIDDEN.replace(
    "  - label: finance\n    aliases: [finance,", "  - label: money\n    aliases: [finance,"
)
BAD_PATTERN = SHIPPED.replace("redact: []", "redact:\n  - name: vat_ref\n    pattern: '(vat'")


@pytest.fixture
def running(tmp_path: Path):  # type: ignore[no-untyped-def]
    """A scheduler's services on the demo, started on the shipped taxonomy copied to a file of
    the organisation's, with the whole organisation's digest and team finance's subscribed."""
    path = tmp_path / "taxonomy.yml"
    path.write_text(SHIPPED, encoding="utf-8")
    services = make_services(tmp_path, taxonomy=path)
    load_demo(services, now=NOW)
    with session_scope(services.engine) as session:
        for destination, audience in (("C-all", "all"), ("C-finance", "team:finance")):
            row = subscribe(
                session=session,
                platform="console",
                tenant="local",
                audience=audience,
                destination=destination,
                cron="0 9 * * mon",
                timezone="UTC",
            )
            row.created_at = SUBSCRIBED
    yield services, path
    services.engine.dispose()


def _digests(services) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """Each destination's digest as its text, sent by the scheduler's catch-up of Monday's digests."""
    messenger = RecordingMessenger()
    done = console_scheduler(services, messenger, NOW).catch_up()
    assert set(done.values()) == {"sent"}, done
    return {destination: _text(reply) for _, _, destination, reply in messenger.sent}


def _text(reply: Reply) -> str:
    return "\n".join([reply.title, *(f"{s.heading or ''}\n{s.text or ''}" for s in reply.sections)])


def test_the_next_digest_reads_the_edited_taxonomy_file(running, caplog) -> None:  # type: ignore[no-untyped-def]
    services, path = running
    assert FINANCE_RENAMED != VAT_HIDDEN != SHIPPED
    path.write_text(FINANCE_RENAMED, encoding="utf-8")  # after the scheduler started, no `reload` anywhere
    with caplog.at_level(logging.WARNING, logger="snag.app"):
        sent = _digests(services)
    # as `reload` answers the admin, and as at start: the labels stored that the taxonomy no longer has
    assert any("tagged team finance, which the taxonomy no longer has" in r.getMessage() for r in caplog.records)
    everyone, finance = sent["C-all"], sent["C-finance"]
    assert "got a ticket about [vat_ref] and its not one of ours" in everyone
    assert "#1 Enquiry: quote, lead, customer, [vat_ref]" in everyone  # the stored title, redacted again
    assert "vat" not in everyone.lower().replace("[vat_ref]", "")
    assert finance.startswith("Snag digest · team Money · ")
    assert "money" in services.taxonomy.team_labels and services.extras["digests"].taxonomy is services.taxonomy


def test_a_file_that_fails_its_checks_is_logged_and_the_taxonomy_stays(running, caplog) -> None:  # type: ignore[no-untyped-def]
    services, path = running
    before = services.taxonomy
    path.write_text(BAD_PATTERN, encoding="utf-8")
    with caplog.at_level(logging.ERROR, logger="snag.taxonomy"):
        sent = _digests(services)  # never a crash: the digests go out, read with the taxonomy it had
    errors = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR and r.name == "snag.taxonomy"]
    assert len(errors) == 1, errors  # once, not before each digest
    line = BAD_PATTERN.splitlines().index("    pattern: '(vat'") + 1
    assert f"taxonomy.yml line {line}: redaction pattern is not a valid regex" in errors[0]
    assert "keeps the taxonomy it had" in errors[0]
    assert services.taxonomy is before and "about vat and" in sent["C-all"]
    assert sent["C-finance"].startswith("Snag digest · team Finance · ")

    path.write_text(VAT_HIDDEN, encoding="utf-8")  # mended: the next minute's upkeep reads it
    console_scheduler(services, RecordingMessenger(), NOW).upkeep()
    assert services.taxonomy.redact == (("vat_ref", "(?i)\\bvat\\b"),)
