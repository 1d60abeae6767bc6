"""An organisation's own labels before its people have answered: what the model was never taught.

A model trained on the shipped data for a taxonomy that adds labels of its own knows only the
labels it shares with the shipped taxonomy. Its stage is then not trusted (the reporter is
asked), its untaught kinds come from their cue words, an alias of an own team is not counted
against in reports that could not have named that team, and a handoff cue that names an
untaught team decides the handoff.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.domain import Handoff, Person, Platform, Tags
from bot.taxonomy import Taxonomy, load_taxonomy
from classifier import corrections
from classifier.corrections import PartlyLabelled, correction_reports, shipped_reports
from classifier.dataset import LabelledReport
from classifier.examples import MIN_LABELLED, alias_stats, cats_of, check_labelled, make_examples
from classifier.pipeline import build_nlp
from classifier.rules import RuleClassifier
from classifier.service import SpacyClassifier
from classifier.train import train
from tests.classifier.conftest import EPOCHS, make_settings

# An online shop's taxonomy: delivery and billing, waiting, handoff... and warehouse, finance,
# operations and it are shipped labels; the rest are its own.
SHOP = """
stages:
  - label: browsing
    words: [product page, size guide, search results]
  - label: checkout
    words: [basket, checkout, payment page]
  - label: delivery
    words: [delivery, delivered, parcel]
  - label: returns
    words: [returns, refund]
  - label: billing
    words: [invoice, charged]
kinds:
  - label: waiting
    words: [waiting, chasing]
  - label: handoff
    words: [passed to, handed over]
  - label: system_failure
    words: [error, outage]
  - label: workaround
    words: [by hand, workaround]
  - label: unclear_ownership
    words: [not our job, who owns]
  - label: stock_mismatch
    words: [out of stock, oversold]
teams:
  - label: couriers
    aliases: [drivers, van team, DPD]
  - label: customer_care
    aliases: [care desk, care team]
  - label: web
    aliases: [web team, website]
  - label: warehouse
    aliases: [warehouse, pickers, packers]
  - label: finance
    aliases: [finance, accounts]
  - label: operations
    aliases: [ops, operations]
  - label: it
    aliases: [IT, IT team]
"""


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Taxonomy:
    path = tmp_path_factory.mktemp("shop") / "shop.yml"
    path.write_text(SHOP, encoding="utf-8")
    return load_taxonomy(path)


@pytest.fixture(scope="module")
def shipped_for_shop(subset, shipped) -> list[LabelledReport]:  # type: ignore[no-untyped-def]
    """The small subset, plus every shipped report that says "drivers" (labelled warehouse,
    operations...: the shipped taxonomy has no couriers)."""
    ids = {r.id for r in subset}
    drivers = [r for r in shipped if re.search(r"\bdrivers\b", r.text, re.I) and r.id not in ids]
    return [*subset, *drivers]


def _shipped_in(shop: Taxonomy, reports: list[LabelledReport]) -> list[LabelledReport]:
    """The shipped reports as training would see them for the shop's taxonomy."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(corrections, "load_reports", lambda taxonomy: list(reports))
        return shipped_reports(shop)


@pytest.fixture(scope="module")
def before_answers(tmp_path_factory: pytest.TempPathFactory, shop: Taxonomy, shipped_for_shop) -> SpacyClassifier:  # type: ignore[no-untyped-def]
    """A model trained from the shipped data alone, before anyone in the shop answered."""
    models = tmp_path_factory.mktemp("shop-models")
    train(shop, _shipped_in(shop, shipped_for_shop), models, seed=0, epochs=EPOCHS)
    return SpacyClassifier(directory=models, taxonomy=shop, threshold=0.0)


# 1. Stages and kinds the model was never taught


@pytest.mark.parametrize(
    "text",
    [
        "the parcel turned up a week late and the customer was not told",
        "customer was charged twice on the invoice",
        "nobody knows which shelf the winter coats are on",
    ],
)
def test_while_a_stage_is_untaught_the_models_stage_is_not_trusted(before_answers: SpacyClassifier, text: str) -> None:
    tags = before_answers.classify(text)  # threshold 0: only trust could leave the stage empty
    assert tags.stage is None and tags.stage_uncertain


def test_an_untaught_stages_cue_words_offer_it_and_the_reporter_is_still_asked(
    before_answers: SpacyClassifier,
) -> None:
    tags = before_answers.classify("the size guide on the product page is wrong for every shoe")
    assert tags.stage is None and tags.stage_uncertain
    stages = {k: v for k, v in tags.confidence.items() if k in before_answers.taxonomy.stage_labels}
    assert list(stages) == ["browsing"] and stages["browsing"] < 0.3


def test_an_untaught_kind_comes_from_its_cue_words(before_answers: SpacyClassifier) -> None:
    tags = before_answers.classify("we oversold the blue jacket again and the customer found out at the door")
    assert "stock_mismatch" in tags.kinds and "stock_mismatch" in tags.confidence
    assert "stock_mismatch" not in before_answers.classify("the parcel turned up a week late").kinds


def test_once_every_stage_has_enough_answers_the_models_stage_is_used(
    tmp_path: Path, shop: Taxonomy, shipped_for_shop
) -> None:  # type: ignore[no-untyped-def]
    taught = {
        "browsing": "the size guide on the product page for item {i} is wrong",
        "checkout": "the basket emptied itself at checkout for order {i}",
        "returns": "refund {i} for the returned boots took three weeks",
    }
    answers = [
        LabelledReport(f"correction-{stage}-{i}", text.format(i=i), stage, ("waiting",), ())
        for stage, text in taught.items()
        for i in range(12)
    ]
    models = tmp_path / "models"
    train(shop, [*_shipped_in(shop, shipped_for_shop), *answers], models, seed=0, epochs=EPOCHS)
    clf = SpacyClassifier(directory=models, taxonomy=shop, threshold=0.0)
    tags = clf.classify("the parcel turned up a week late and the customer was not told")
    assert tags.stage is not None and not tags.stage_uncertain


# 2. An own team's alias against shipped statistics


def test_an_alias_of_an_own_team_is_trusted_before_anyone_answered(before_answers: SpacyClassifier) -> None:
    assert "couriers" in before_answers.classify("The drivers never ring ahead").teams


def test_an_alias_counts_only_in_reports_that_could_have_named_its_team(shop: Taxonomy, shipped_for_shop) -> None:  # type: ignore[no-untyped-def]
    shipped = [r for r in _shipped_in(shop, shipped_for_shop) if re.search(r"\bdrivers\b", r.text, re.I)]
    people = [
        LabelledReport(
            f"correction-{i}", f"the drivers left parcel {i} in the rain", "delivery", ("waiting",), ("couriers",)
        )
        for i in range(3)
    ]
    nlp = build_nlp(shop)
    reports = [*shipped, *people]
    stats = alias_stats(make_examples(nlp, reports, shop)["teams"], reports)
    assert stats["drivers"] == [3, 3]  # the shipped reports could not say couriers: not counted
    assert stats["warehouse"][1] > 0  # a shipped team's alias still counts in shipped reports


# 3. Handoffs between own teams


def test_a_handoff_cue_naming_untaught_teams_decides_the_handoff(before_answers: SpacyClassifier) -> None:
    tags = before_answers.classify("Passed from the care desk to the van team and nobody heard back")
    assert tags.handoff == Handoff("customer_care", "couriers")


def _combined(shop: Taxonomy, text: str, cats: dict[str, float]) -> dict:
    """doc._.tags of the `tags` step for the text's rule matches and these scores, with the
    label counts of a model taught every label but the shop's own teams (50 reports each)."""
    from classifier.combine import TagCombiner
    from classifier.pipeline import RULE_PIPES, textcat_labels

    nlp = build_nlp(shop)
    with nlp.select_pipes(enable=list(RULE_PIPES)):
        doc = nlp(text)
    labels = [label for group in textcat_labels(shop).values() for label in group]
    doc.cats = {label: cats.get(label, 0.0) for label in labels}
    combiner = nlp.get_pipe("tags")
    assert isinstance(combiner, TagCombiner)
    own = ("couriers", "customer_care", "web")
    combiner.taught = {label: 50 for label in labels if label.split(":")[-1] not in own}
    return combiner(doc)._.tags


def test_the_rule_decides_only_the_sides_the_text_names(shop: Taxonomy) -> None:
    text = "Returned parcels get passed to the van team and then nobody hears back"
    # the model: a handoff, from the warehouse (never named) to nobody
    cats = {"HANDOFF": 0.9, "team:warehouse": 0.6, "from:warehouse": 0.8, "to:__none__": 0.7, "from:__none__": 0.1}
    assert _combined(shop, text, cats)["handoff"] == (None, "couriers")
    assert _combined(shop, text, {**cats, "HANDOFF": 0.5})["handoff"] is None  # one side: the model says whether


def test_a_cue_naming_both_sides_finds_the_handoff_the_model_cannot_see(shop: Taxonomy) -> None:
    text = "Passed from the care desk to the van team and nobody heard back"
    cats = {"HANDOFF": 0.5, "team:warehouse": 0.6, "from:warehouse": 0.8, "to:__none__": 0.7}
    assert _combined(shop, text, cats)["handoff"] == ("customer_care", "couriers")


def test_a_cue_between_taught_teams_leaves_the_handoff_to_the_model(shop: Taxonomy) -> None:
    text = "Passed from the warehouse to finance and nobody heard back"
    cats = {"HANDOFF": 0.5, "team:warehouse": 0.6, "team:finance": 0.6}
    assert _combined(shop, text, cats)["handoff"] is None  # below the model's handoff threshold, as before


# 4. The rule tagger without a cue


def test_the_rule_tagger_gives_no_kind_without_a_cue(shop: Taxonomy) -> None:
    tags = RuleClassifier(shop).classify("The tills crashed and nobody could take payment")
    assert tags.kinds == ()
    assert not any(k in tags.confidence for k in shop.kind_labels)
    assert RuleClassifier(shop).classify("we oversold it").kinds == ("stock_mismatch",)


def test_a_confirmed_receipt_without_a_kind_teaches_no_kind(tmp_path: Path, shop: Taxonomy) -> None:
    """ "Looks right" on a rule receipt with no kind is stored with the kinds axis (bot.receipts);
    no kind is not an answer (every report has one; the fix-tags form asks for one)."""
    from store.db import make_engine, upgrade
    from store.repository import SqlRepository

    settings = make_settings(tmp_path)
    engine = make_engine(settings.resolved_database_url)
    upgrade(engine)
    repo = SqlRepository(engine)
    shown = RuleClassifier(shop).classify("The tills crashed and the care desk could not take payment")
    record, _ = repo.add_report(
        person=Person(Platform.SLACK, "T1", "U1"),
        reporter_key="k",
        text="The tills crashed and the care desk could not take payment",
        channel="C",
        created_at=datetime(2026, 11, 23, tzinfo=UTC),
        event_id="e1",
    )
    confirmed = Tags(None, shown.kinds, shown.teams, source="person:kinds,teams,handoff")
    repo.add_correction(report_id=record.id, corrector_key="k", before=shown, after=confirmed)
    [report] = correction_reports(engine, shop)
    engine.dispose()
    assert isinstance(report, PartlyLabelled) and report.kinds == ()
    cats = cats_of(report, shop)
    assert not any(label.startswith("kind:") for label in cats)
    assert cats["team:customer_care"] == 1.0  # the other axes it set still teach
    with pytest.raises(Exception, match=f"kinds: 0 of {MIN_LABELLED}"):
        check_labelled([report] * MIN_LABELLED, shop)


def test_a_model_saved_without_label_counts_trusts_every_label(tmp_path: Path) -> None:
    """Models trained before the counts were kept (the shipped one) tag exactly as they did."""
    from classifier.combine import TagCombiner

    combiner = TagCombiner("tags", {})
    combiner.to_disk(tmp_path / "tags")
    (tmp_path / "tags" / "taught.json").unlink(missing_ok=True)
    assert TagCombiner("tags", {}).from_disk(tmp_path / "tags").taught is None
