"""The classifier behind the core: plain Tags, honest low confidence, reload, first-use training."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from bot.domain import Handoff, Tags
from bot.taxonomy import Taxonomy
from classifier.service import SpacyClassifier, load_classifier
from classifier.train import LATEST, train
from tests.classifier.conftest import make_settings

TEXTS = [
    "customer rang three times about a refund, finance still havent processed it",
    "passed it to the warehouse on monday and nobody has picked it",
    "had to type the whole application in twice because the portal doesnt talk to the CRM",
]


def _classifier(home: Path, taxonomy: Taxonomy, threshold: float = 0.45, **kw) -> SpacyClassifier:  # type: ignore[no-untyped-def]
    return SpacyClassifier(directory=home / "models", taxonomy=taxonomy, threshold=threshold, **kw)


def test_tags_are_plain_values_in_the_taxonomy(model_home: Path, taxonomy: Taxonomy) -> None:
    clf = _classifier(model_home, taxonomy)
    for tags in clf.classify_many(TEXTS):
        assert isinstance(tags, Tags) and tags.source == "model" and tags.model_version == clf.version
        assert tags.stage is None or tags.stage in taxonomy.stage_labels
        assert tags.kinds and set(tags.kinds) <= set(taxonomy.kind_labels)
        assert set(tags.teams) <= set(taxonomy.team_labels)
        assert tags.handoff is None or isinstance(tags.handoff, Handoff)
        for side in (tags.handoff.from_team, tags.handoff.to_team) if tags.handoff else ():
            assert side is None or side in tags.teams
        assert all(isinstance(v, float) and 0.0 <= v <= 1.0 for v in tags.confidence.values())
        assert all(k in tags.confidence for k in tags.kinds)
        assert all(f"team:{t}" in tags.confidence for t in tags.teams)
        json.dumps(tags.as_dict())  # nothing spaCy-specific leaks out


def test_classify_many_agrees_with_classify(model_home: Path, taxonomy: Taxonomy) -> None:
    clf = _classifier(model_home, taxonomy)
    assert clf.classify_many(TEXTS) == [clf.classify(t) for t in TEXTS]


def test_low_confidence_leaves_the_stage_empty_and_flags_it(model_home: Path, taxonomy: Taxonomy) -> None:
    sure = _classifier(model_home, taxonomy, threshold=0.0).classify_many(TEXTS)
    unsure = _classifier(model_home, taxonomy, threshold=1.0).classify_many(TEXTS)
    assert any(t.stage for t in sure)
    for confident, doubtful in zip(sure, unsure, strict=True):
        assert doubtful.stage is None and doubtful.stage_uncertain
        assert confident.stage_uncertain is (confident.stage is None)
        assert doubtful.kinds == confident.kinds and doubtful.teams == confident.teams
        if confident.stage:
            assert confident.confidence[confident.stage] < 1.0  # the score is kept for people to see


def test_the_threshold_cuts_exactly_at_the_stage_score(model_home: Path, taxonomy: Taxonomy) -> None:
    tags = _classifier(model_home, taxonomy, threshold=0.0).classify(TEXTS[0])
    assert tags.stage is not None
    score = tags.confidence[tags.stage]
    assert _classifier(model_home, taxonomy, threshold=score - 1e-3).classify(TEXTS[0]).stage == tags.stage
    assert _classifier(model_home, taxonomy, threshold=score + 1e-3).classify(TEXTS[0]).stage is None


def test_a_newer_model_is_picked_up_without_a_restart(
    tmp_path: Path, model_home: Path, taxonomy: Taxonomy, subset
) -> None:  # type: ignore[no-untyped-def]
    home = tmp_path / "home"
    shutil.copytree(model_home / "models", home / "models")
    now = [0.0]
    clf = _classifier(home, taxonomy, check_every=5.0, clock=lambda: now[0])
    old = clf.version
    newer = train(taxonomy, subset[:50], home / "models", seed=1, epochs=1)
    now[0] = 1.0
    assert clf.classify(TEXTS[0]).model_version == old  # not checked again yet
    now[0] = 6.0
    assert clf.classify(TEXTS[0]).model_version == newer.version
    (home / "models" / LATEST).write_text("no-such-model\n")
    now[0] = 12.0
    assert clf.classify(TEXTS[0]).model_version == newer.version  # a broken pointer changes nothing


def test_without_a_model_and_without_training_the_rule_tagger_answers(tmp_path: Path, taxonomy: Taxonomy) -> None:
    from classifier.rules import RuleClassifier

    clf = load_classifier(settings=make_settings(tmp_path), taxonomy=taxonomy, train_if_missing=False)
    text = "customer cancelled and finance still billed them"
    assert clf.classify(text) == RuleClassifier(taxonomy).classify(text)
    assert clf.model_version is None and clf.version == RuleClassifier.version


def test_the_rule_tagger_reads_curly_apostrophes_like_straight_ones(taxonomy: Taxonomy) -> None:
    from classifier.rules import RuleClassifier

    rules = RuleClassifier(taxonomy)
    straight = rules.classify("customer didn't receive the letter")
    curly = rules.classify("customer didn\u2019t receive the letter")
    assert "handoff" in straight.kinds
    assert curly.kinds == straight.kinds and curly.teams == straight.teams


def test_the_first_use_trains_a_model_first_when_asked(
    tmp_path: Path, taxonomy: Taxonomy, subset, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    from classifier import corrections

    monkeypatch.setattr(corrections, "load_reports", lambda taxonomy: list(subset[:80]))
    settings = make_settings(tmp_path / "var")
    clf = load_classifier(settings=settings, taxonomy=taxonomy, train_first=True)  # as `snag import` does
    assert isinstance(clf, SpacyClassifier)
    assert (settings.data_dir / "models" / LATEST).read_text().strip() == clf.version
    assert clf.classify(TEXTS[0]).source == "model"


def test_a_model_for_another_taxonomy_is_not_used(tmp_path: Path, model_home: Path) -> None:
    from bot.taxonomy import load_taxonomy

    path = tmp_path / "tax.yml"
    path.write_text("stages: [{label: intake}, {label: care}]\nkinds: [{label: waiting}]\nteams: [{label: ward}]\n")
    with pytest.raises(FileNotFoundError):
        _classifier(model_home, load_taxonomy(path))


def test_curly_quotes_from_phones_tag_like_straight_ones(model_home: Path, taxonomy: Taxonomy) -> None:
    from classifier.service import SpacyClassifier

    model = SpacyClassifier(directory=model_home / "models", taxonomy=taxonomy, threshold=0.0)
    straight = model.classify("customer's refund didn't go through, finance won't say why")
    curly = model.classify("customer\u2019s refund didn\u2019t go through, finance won\u2019t say why")
    assert curly.stage == straight.stage
    assert curly.kinds == straight.kinds and curly.teams == straight.teams
    assert curly.confidence == straight.confidence
