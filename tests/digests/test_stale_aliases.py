"""Labels stored in reports, patterns or subscriptions that the taxonomy no longer has as labels are
named at start, with the `snag relabel` to run, even when the taxonomy keeps the old label as an
alias of the new one: `team:finance` then reads the renamed team, whose digest and `top` leave out
every report still tagged finance ("Nothing to show ... fewer than 3 people")."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import update
from sqlmodel import col, select

from bot.taxonomy import DEFAULT_TAXONOMY_PATH, load_taxonomy
from digests.demo import load_demo
from digests.stale_labels import stale_labels, stale_warnings
from digests.subscriptions import subscribe
from store.db import session_scope
from store.models import Report
from tests.digests.conftest import NOW, make_services


def renamed_keeping_the_old_name(tmp_path: Path) -> Path:
    """The shipped taxonomy with team finance renamed money, `finance` kept as its first alias."""
    text = DEFAULT_TAXONOMY_PATH.read_text(encoding="utf-8")
    edited = text.replace("  - label: finance\n    aliases: [finance, ", "  - label: money\n    aliases: [finance, ")
    assert edited != text
    path = tmp_path / "renamed.yml"
    path.write_text(edited, encoding="utf-8")
    return path


@pytest.fixture
def old_store(tmp_path: Path, db_url: str) -> Iterator[Any]:
    """The demo under the shipped taxonomy, a team:finance subscription, and one report alone in
    being tagged stage follow_up, which no taxonomy had (an import, a label since removed)."""
    services = make_services(tmp_path, db_url)
    load_demo(services, now=NOW)
    with session_scope(services.engine) as session:
        subscribe(
            session=session,
            platform="console",
            tenant="local",
            audience="team:finance",
            destination="C1",
            cron="0 9 * * mon",
            timezone="UTC",
        )
        session.execute(update(Report).where(col(Report.id) == 7).values(stage="follow_up"))
    yield services
    services.engine.dispose()


def test_an_old_label_kept_as_an_alias_is_named_with_its_subscription(old_store: Any, tmp_path: Path) -> None:
    renamed = load_taxonomy(renamed_keeping_the_old_name(tmp_path))
    assert renamed.find("team", "finance") == "money"  # `team:finance` now reads money

    said = [line for line in stale_warnings(old_store.engine, renamed) if "team finance" in line]

    assert len(said) == 1, said
    assert "are tagged team finance, which the taxonomy no longer has (only a name of team money now)" in said[0]
    assert "`snag relabel team finance money`" in said[0]
    assert said[0].endswith(
        "; until then 1 digest subscription to team:finance gets the digest of team money, which leaves them out"
    )


def test_a_label_only_reports_carry_is_named(old_store: Any) -> None:
    """No pattern is tagged follow_up (its one report is outvoted in its pattern's tags)."""
    found = {(s.axis, s.label): s for s in stale_labels(old_store.engine, load_taxonomy())}

    assert found[("stage", "follow_up")].reports == 1 and found[("stage", "follow_up")].patterns == 0
    said = stale_warnings(old_store.engine, load_taxonomy())
    assert any(line.startswith("1 report is tagged stage follow_up, which the taxonomy no longer has") for line in said)


def test_reports_are_counted_once_whether_a_team_is_tagged_or_a_side_of_a_handoff(
    old_store: Any, tmp_path: Path
) -> None:
    renamed = load_taxonomy(renamed_keeping_the_old_name(tmp_path))
    with session_scope(old_store.engine) as session:
        reports = session.exec(select(Report)).all()
        tagged = [r.id for r in reports if "finance" in (*r.teams, r.handoff_from, r.handoff_to)]
    found = {(s.axis, s.label): s for s in stale_labels(old_store.engine, renamed)}
    assert tagged and found[("team", "finance")].reports == len(tagged)
    assert found[("team", "finance")].subscriptions == 1
