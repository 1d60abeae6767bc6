"""An audience or a `top` filter naming a team by an old label kept as an alias reads the renamed team.

Team finance was renamed money_team, `finance` kept as its alias. A subscription made before, to
`team:finance`, and `top team:finance` (or its title, or another alias) must read team money_team:
its digest and its patterns, once its reports carry the new label (`snag relabel team finance
money_team`). On SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session

from bot.commands import parse_filters
from bot.domain import IncomingMessage
from bot.taxonomy import DEFAULT_TAXONOMY_PATH, Taxonomy, load_taxonomy
from digests.delivery import DigestSender
from digests.digest import Audience, parse_audience
from digests.subscriptions import subscribe
from store.db import session_scope
from tests.digests import world
from tests.digests.conftest import NOW, SUBSCRIBED, RecordingMessenger, make_services, run_async

START = datetime(2026, 11, 16, tzinfo=UTC)  # the digest week of NOW: 16-22 Nov
NAMES = ("finance", "Finance", "accounts team", "money_team", "Money team", "money-team")


def _renamed(tmp_path: Path) -> Path:
    """The shipped taxonomy with team finance renamed money_team, `finance` kept as its first alias."""
    text = DEFAULT_TAXONOMY_PATH.read_text(encoding="utf-8")
    edited = text.replace(
        "  - label: finance\n    aliases: [finance, ", "  - label: money_team\n    aliases: [finance, "
    )
    assert edited != text
    path = tmp_path / "renamed.yml"
    path.write_text(edited, encoding="utf-8")
    return path


@pytest.fixture
def services(db_url: str, tmp_path: Path) -> Iterator[Any]:
    """Services under the renamed taxonomy, on SQLite and on the real PostgreSQL, with a pattern of
    the team money_team that four people reported in the digest week (its reports relabelled)."""
    made = make_services(tmp_path, db_url, taxonomy=_renamed(tmp_path))
    with Session(made.engine) as session:
        tenant = world.tenant(session)
        pid = world.pattern(session, tenant, "invoice held for a missing PO", START, teams=["money_team"])
        filed = [(START + timedelta(days=1, hours=i), f"who-{i}") for i in range(4)]
        world.reports(session, tenant, pid, filed, teams=["money_team"])
    yield made
    made.engine.dispose()


@pytest.mark.parametrize("name", NAMES)
def test_an_audience_reads_a_team_by_its_label_title_or_alias(tmp_path: Path, name: str) -> None:
    renamed: Taxonomy = load_taxonomy(_renamed(tmp_path))

    assert parse_audience(f"team:{name}", renamed) == Audience("team", "money_team")
    assert parse_filters([f"team:{name}"], renamed, NOW).team == "money_team"


def test_a_subscription_to_the_old_label_gets_the_renamed_teams_digest(services: Any) -> None:
    with session_scope(services.engine) as session:
        sub = subscribe(
            session=session,
            platform="console",
            tenant="local",
            audience="team:finance",
            destination="C1",
            cron="0 9 * * mon",
            timezone="UTC",
        )
        sub.created_at = SUBSCRIBED
        sub_id = sub.id
    assert sub_id is not None
    messenger = RecordingMessenger()
    sender = DigestSender(
        engine=services.engine,
        digests=services.extras["digests"],
        messengers={"console": messenger},
        runner=run_async,
        charts=False,
    )

    assert sender.send(sub_id, NOW) == "sent"

    (reply,) = [sent[3] for sent in messenger.sent]
    said = " ".join([reply.title, *(f"{s.heading} {s.text}" for s in reply.sections)])
    assert "team Money team" in reply.title, reply.title
    assert "invoice held for a missing PO" in said and "Nothing to show" not in said, said


@pytest.mark.parametrize("name", ["finance", "Money team", "accounts"])
def test_top_reads_a_team_by_its_old_label_kept_as_an_alias(services: Any, name: str) -> None:
    services.snag.clock = lambda: START + timedelta(days=7, hours=10)  # the week's reports are in `top`'s last 7 days
    person = services.snag.person("console", "local", "lead")

    reply = services.snag.handle_message(IncomingMessage(person=person, text=f"top team:{name}", channel="console"))

    said = " ".join([reply.title, *(f"{s.heading} {s.text}" for s in reply.sections)])
    assert "invoice held for a missing PO" in said and "Nothing here" not in said, said
