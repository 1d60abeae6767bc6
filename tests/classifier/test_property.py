"""Arbitrary text through the real trained classifier: always plain, valid tags, never a crash."""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.domain import Tags
from bot.taxonomy import Taxonomy
from classifier.service import SpacyClassifier

_MODELS: dict[Path, SpacyClassifier] = {}


def _model(home: Path, taxonomy: Taxonomy) -> SpacyClassifier:
    if home not in _MODELS:
        _MODELS[home] = SpacyClassifier(directory=home / "models", taxonomy=taxonomy, threshold=0.3)
    return _MODELS[home]


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(min_size=0, max_size=500))
def test_any_text_gets_valid_plain_tags(model_home: Path, taxonomy: Taxonomy, text: str) -> None:
    tags = _model(model_home, taxonomy).classify(text)
    assert isinstance(tags, Tags)
    assert tags.stage is None or tags.stage in taxonomy.stage_labels
    assert set(tags.kinds) <= set(taxonomy.kind_labels)
    assert set(tags.teams) <= set(taxonomy.team_labels)
    assert all(0.0 <= v <= 1.0 for v in tags.confidence.values())
    if tags.handoff is not None:
        assert {tags.handoff.from_team, tags.handoff.to_team} - {None} <= set(taxonomy.team_labels)
