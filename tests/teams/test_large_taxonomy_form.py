"""A taxonomy with many long-named teams: the fix-tags card keeps every input within the size
Snag holds forms to (40 KB in UTF-16), so saving it unchanged changes no tag.

Before, the card was cut to fit by dropping its last picker (Handoff to), which the correction
then read as "none": the report's handoff lost its receiving team."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

import tests.teams.conftest as teams_app
from adapters.teams.render import MAX_FORM_BYTES, card_for, card_size
from bot import cards
from bot.domain import ReportRecord
from bot.taxonomy import Taxonomy
from tests.conftest import FixedClassifier
from tests.large_taxonomy import tags_past_the_first_hundred, write_taxonomy
from tests.teams.cards import assert_valid_card
from tests.teams.connector import fixture, reports

TEAMS = 135  # with 40-character names, where the old card first dropped "Handoff to"
INPUTS = ["stage", "kinds", "teams", "handoff_from", "handoff_to"]


@pytest.fixture(autouse=True)
def taxonomy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Taxonomy:
    """The `teams` app of tests/teams/conftest.py run with this taxonomy, its classifier tagging
    each report with the last team (the handoff's receiving one)."""
    path = tmp_path / "large-taxonomy.yml"
    taxonomy = write_taxonomy(path, teams=TEAMS)
    build = teams_app.build

    def with_large_taxonomy(settings, **kw):  # type: ignore[no-untyped-def]
        kw["classifier"] = FixedClassifier(tags_past_the_first_hundred(taxonomy))
        return build(settings.model_copy(update={"taxonomy": path}), **kw)

    monkeypatch.setattr(teams_app, "build", with_large_taxonomy)
    return taxonomy


def _inputs(card: dict) -> dict[str, str]:
    """What Teams sends for each input of a card left as it was shown."""
    return {e["id"]: e.get("value", "") for e in card["body"] if str(e["type"]).startswith("Input.")}


async def submit(client, url: str, activity_id: str, value: dict) -> None:  # type: ignore[no-untyped-def]
    await client.post("/api/messages", json=fixture("card_submit", url, id=activity_id, value=value))


async def test_saving_the_fix_form_unchanged_keeps_the_handoff(teams, taxonomy: Taxonomy) -> None:  # type: ignore[no-untyped-def]
    services, client, connector = teams
    await client.post("/api/messages", json=fixture("message_personal", connector.url))
    [before] = reports(services)
    assert before.handoff_to == taxonomy.team_labels[-1]
    await submit(client, connector.url, "s-1", {"snag": "fix", "report_id": before.id, "value": str(before.id)})
    form = connector.cards()[-1]
    shown = _inputs(form)
    await submit(client, connector.url, "s-2", {**form["actions"][0]["data"], **shown})
    [after] = reports(services)
    assert after.status == "corrected"
    assert (after.stage, after.kinds, after.teams) == (before.stage, before.kinds, before.teams)
    assert (after.handoff_from, after.handoff_to) == (before.handoff_from, before.handoff_to)
    assert list(shown) == INPUTS, "every input is on the card"
    assert_valid_card(form)
    assert card_size(form) <= MAX_FORM_BYTES

    changed = {**shown, "handoff_to": taxonomy.team_labels[7]}
    await submit(client, connector.url, "s-3", {**form["actions"][0]["data"], **changed})
    assert reports(services)[0].handoff_to == taxonomy.team_labels[7]


@pytest.mark.parametrize("count", [20, 60, 135, 250, 600])
def test_the_fix_form_keeps_every_input_and_its_answer_whatever_the_number_of_teams(tmp_path: Path, count: int) -> None:
    taxonomy = write_taxonomy(tmp_path / f"{count}.yml", teams=count)
    tags = tags_past_the_first_hundred(taxonomy)
    record = ReportRecord(
        id=5,
        tenant="tenant-a",
        platform="teams",
        channel="a:1",
        text="refunds sit in the finance inbox for a week " * 20,
        reporter_key="k",
        status="tagged",
        created_at=datetime.now(UTC),
        tags=tags,
    )
    card = card_for(cards.fix_form(record, taxonomy))
    assert_valid_card(card)
    assert card_size(card) <= MAX_FORM_BYTES
    assert "shortened" not in str(card)
    assert tags.handoff is not None
    assert _inputs(card) == {
        "stage": tags.stage,
        "kinds": ",".join(tags.kinds),
        "teams": ",".join(tags.teams),
        "handoff_from": tags.handoff.from_team,
        "handoff_to": tags.handoff.to_team,
    }
    if count <= 20:
        assert all(e["type"] == "Input.ChoiceSet" for e in card["body"] if "id" in e), "a small taxonomy: pickers"
