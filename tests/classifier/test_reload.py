"""The admin `reload`: the new taxonomy everywhere at once, the rule tagger until a model fits it."""

from __future__ import annotations

import shutil
from pathlib import Path

from sqlmodel import Session, select

from bot.domain import IncomingMessage
from bot.roles import RolePolicy
from bot.taxonomy import DEFAULT_TAXONOMY_PATH, Taxonomy
from classifier.service import SpacyClassifier
from classifier.train import train
from store.models import Report
from tests.classifier.conftest import make_settings

REPORT = "customer cancelled their account and we still billed them, order ORD-123456"


def _renamed(tmp_path: Path) -> Path:
    """The default taxonomy with `offboarding` renamed to `leaving` and an order-number pattern."""
    text = DEFAULT_TAXONOMY_PATH.read_text(encoding="utf-8")
    text = text.replace("  - label: offboarding\n", "  - label: leaving\n")
    text = text.replace("redact: []", "redact:\n  - name: order\n    pattern: 'ORD-\\d{6}'")
    path = tmp_path / "renamed.yml"
    path.write_text(text, encoding="utf-8")
    return path


def test_reload_swaps_the_taxonomy_for_tagging_redaction_and_models(
    tmp_path: Path, model_home: Path, taxonomy: Taxonomy, subset
) -> None:  # type: ignore[no-untyped-def]
    from bot.app import build

    models = tmp_path / "var" / "models"
    shutil.copytree(model_home / "models", models)
    now = [0.0]
    clf = SpacyClassifier(directory=models, taxonomy=taxonomy, threshold=0.0, clock=lambda: now[0])
    settings = make_settings(tmp_path / "var")
    services = build(settings, classifier=clf, migrate=True)
    services.snag.roles = RolePolicy.from_lists(["slack:ADMIN"], [])
    admin = services.snag.person("slack", "T1", "ADMIN")

    services.settings = make_settings(tmp_path / "var", taxonomy=_renamed(tmp_path))
    reply = services.snag.handle_message(IncomingMessage(admin, "reload", "C1"))
    assert "Taxonomy reloaded" in reply.title and "No trained model fits" in reply.title
    new = services.taxonomy
    assert "leaving" in new.stage_labels and services.snag.taxonomy is new and clf.taxonomy is new
    assert all(services.extras[name].taxonomy is new for name in ("grouper", "digests"))

    first = services.snag.handle_message(IncomingMessage(admin, REPORT, "C1"))
    with Session(services.engine) as session:
        stored = session.exec(select(Report).where(Report.id == first.report_id)).one()
    assert "ORD-123456" not in stored.text and "[order]" in stored.text
    assert stored.tag_source == "rule" and stored.stage in (None, *new.stage_labels)

    fitting = train(new, [r for r in subset if r.stage != "offboarding"][:60], models, seed=0, epochs=1)
    now[0] = 6.0  # the next check of LATEST
    second = services.snag.handle_message(IncomingMessage(admin, REPORT.replace("123456", "654321"), "C1"))
    with Session(services.engine) as session:
        stored = session.exec(select(Report).where(Report.id == second.report_id)).one()
    assert stored.tag_source == "model" and stored.model_version == fitting.version
    assert stored.stage in (None, *new.stage_labels)


def test_reload_keeps_a_model_whose_labels_still_fit(tmp_path: Path, model_home: Path, taxonomy: Taxonomy) -> None:
    from bot.app import build

    clf = SpacyClassifier(directory=model_home / "models", taxonomy=taxonomy, threshold=0.0)
    version = clf.model_version
    services = build(make_settings(tmp_path / "var"), classifier=clf, migrate=True)
    services.snag.roles = RolePolicy.from_lists(["slack:ADMIN"], [])
    admin = services.snag.person("slack", "T1", "ADMIN")
    reply = services.snag.handle_message(IncomingMessage(admin, "reload", "C1"))
    assert "Taxonomy reloaded" in reply.title and "No trained model" not in reply.title
    assert clf.model_version == version and clf.classify(REPORT).source == "model"
