"""Labels typed into the fix-tags form's text boxes (a Teams card turns team pickers into them when
the taxonomy is large): "team_000_x, team_005_y" names two teams, as "Finance , accounts" does."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.corrections import corrected_tags
from bot.domain import Handoff, Tags
from bot.errors import InputError
from bot.taxonomy import Taxonomy, load_taxonomy
from tests.large_taxonomy import write_taxonomy

SHIPPED = load_taxonomy()
NOTHING = Tags(stage=None, kinds=(), teams=())


@pytest.fixture
def large(tmp_path: Path) -> Taxonomy:
    return write_taxonomy(tmp_path / "large.yml", teams=150)


def test_a_large_taxonomys_teams_typed_with_spaces_after_the_commas(large: Taxonomy) -> None:
    first, sixth, last = large.team_labels[0], large.team_labels[5], large.team_labels[-1]
    values = {"teams": f"{first}, {sixth.upper()} ,, {last}, ", "handoff_from": f" {sixth} ", "handoff_to": last}
    tags = corrected_tags(large, NOTHING, values, partial=False)
    assert tags.teams == (first, sixth, last)
    assert tags.handoff == Handoff(sixth, last)


def test_the_shipped_taxonomys_titles_and_aliases_name_their_labels() -> None:
    values = {"stage": " Billing ", "kinds": "WAITING", "teams": "Finance , it support,accounts", "handoff_to": "IT"}
    tags = corrected_tags(SHIPPED, NOTHING, values, partial=False)
    assert (tags.stage, tags.kinds, tags.teams) == ("billing", ("waiting",), ("finance", "it"))
    assert tags.handoff == Handoff(None, "it")


@pytest.mark.parametrize(
    ("values", "refused"),
    [
        ({"teams": "finance, nowhere team"}, "'nowhere team' is not a team in this taxonomy."),
        ({"handoff_from": " nowhere "}, "'nowhere' is not a handoff from in this taxonomy."),
        ({"kinds": ["waiting", "lost"]}, "'lost' is not a kind in this taxonomy."),
    ],
)
def test_an_unknown_label_is_refused_by_name(values: dict[str, object], refused: str) -> None:
    with pytest.raises(InputError) as error:
        corrected_tags(SHIPPED, NOTHING, values, partial=False)
    assert str(error.value) == refused


def test_empty_answers_leave_nothing_chosen() -> None:
    tags = corrected_tags(SHIPPED, NOTHING, {"stage": " ", "teams": " , ", "handoff_from": "none"}, partial=False)
    assert (tags.stage, tags.teams, tags.handoff) == (None, (), None)
