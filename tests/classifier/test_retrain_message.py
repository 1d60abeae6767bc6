"""`retrain` and `snag train` with nothing new to learn say the model is up to date: the kept
model trained on the same data is used again at once, so no minutes of training are promised."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from bot.domain import IncomingMessage, Reply, Role
from classifier.dataset import LabelledReport


@pytest.fixture
def few_reports(monkeypatch: pytest.MonkeyPatch, subset: list[LabelledReport]) -> list[LabelledReport]:
    """The shipped data, as training reads it, cut to a few seconds of training."""
    from classifier import corrections

    few = list(subset[:60])
    monkeypatch.setattr(corrections, "load_reports", lambda taxonomy: list(few))
    return few


@pytest.fixture
def started(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[object]]:
    """The trainings `retrain` started (none for real: a stand-in records them)."""
    calls: list[object] = []
    monkeypatch.setattr("bot.app.retrain_now", lambda services: calls.append(services))
    yield calls


def _retrain(services) -> Reply:  # type: ignore[no-untyped-def]
    admin = replace(services.snag.person("slack", "T1", "UADMIN"), role=Role.ADMIN)
    return services.snag.handle_message(IncomingMessage(admin, "retrain", "D1"))


def test_snag_train_with_nothing_new_says_the_model_is_up_to_date(  # type: ignore[no-untyped-def]
    app: typer.Typer, classifier_env: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, few_reports
) -> None:
    monkeypatch.setenv("SNAG_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("SNAG_DATABASE_URL", f"sqlite:///{tmp_path / 'var' / 'snag.db'}")
    first = CliRunner().invoke(app, ["train", "--epochs", "1", "--seed", "3"])
    assert first.exit_code == 0, first.output
    version = (tmp_path / "var" / "models" / "LATEST").read_text().strip()
    again = CliRunner().invoke(app, ["train", "--epochs", "1", "--seed", "3"])
    assert again.exit_code == 0, again.output
    assert f"Model {version} is up to date" in again.stdout and "60 reports" in again.stdout
    assert "Trained model" not in again.stdout  # nothing was trained
    other_seed = CliRunner().invoke(app, ["train", "--epochs", "1", "--seed", "4"])
    assert "Trained model" in other_seed.stdout  # other settings: another model


def test_retrain_in_chat_with_nothing_new_reuses_the_model_and_says_so(  # type: ignore[no-untyped-def]
    services, few_reports, started
) -> None:
    from classifier.corrections import training_reports
    from classifier.train import train
    from classifier.versions import models_dir

    directory = models_dir(services.settings)
    kept = train(services.taxonomy, training_reports(services.settings, services.taxonomy), directory)
    (directory / "LATEST").write_text("some-other-model\n", encoding="utf-8")
    reply = _retrain(services)
    assert "already up to date" in reply.title and kept.version in reply.title
    assert "minute" not in reply.title and "started" not in reply.title
    assert started == []  # no training was started
    assert (directory / "LATEST").read_text().strip() == kept.version  # as the training would have left it


def test_retrain_in_chat_with_something_to_learn_says_it_takes_a_while(services, few_reports, started) -> None:  # type: ignore[no-untyped-def]
    reply = _retrain(services)  # no model kept yet
    assert reply.title.startswith("Retraining started") and "a minute or two" in reply.title
    assert len(started) == 1


def test_retrain_in_chat_with_too_little_labelled_says_why_instead(  # type: ignore[no-untyped-def]
    services, monkeypatch: pytest.MonkeyPatch, started
) -> None:
    from classifier import corrections

    monkeypatch.setattr(corrections, "load_reports", lambda taxonomy: [])
    reply = _retrain(services)
    assert "labelled" in reply.title and "started" not in reply.title
    assert started == []
