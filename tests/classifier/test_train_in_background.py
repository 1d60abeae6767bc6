"""No model for the taxonomy: tag by its rules at once and train in the background, one process at a time.

`snag serve` trained first, with its port closed for minutes (Slack requests failed meanwhile), and
`snag chat` kept its prompt; two processes sharing a data directory would both have trained.
"""

from __future__ import annotations

import io
import logging
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml

from bot.config import Settings
from bot.taxonomy import DEFAULT_TAXONOMY_PATH, Taxonomy, load_taxonomy
from classifier import corrections
from classifier.service import SpacyClassifier, TrainingLock, load_classifier
from classifier.train import LATEST
from tests.classifier.conftest import make_settings
from tests.console.test_chat import ScriptedConsole

TEXT = "passed it to finance on monday and the refund still has not gone through"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Settings with the shipped taxonomy less its warehouse team (as SNAG_TAXONOMY): no model fits it."""
    shipped = yaml.safe_load(DEFAULT_TAXONOMY_PATH.read_text(encoding="utf-8"))
    shipped["teams"] = [team for team in shipped["teams"] if team["label"] != "warehouse"]
    path = tmp_path / "no-warehouse.yml"
    path.write_text(yaml.safe_dump(shipped, sort_keys=False), encoding="utf-8")
    return make_settings(tmp_path / "var", taxonomy=path)


@pytest.fixture
def no_warehouse(settings: Settings) -> Taxonomy:
    return load_taxonomy(settings.taxonomy)


@pytest.fixture
def gated(monkeypatch: pytest.MonkeyPatch, subset) -> Iterator[SimpleNamespace]:
    """Training on the small subset, in one epoch, once `release` is set; training on the caller's
    thread fails at once (the start would have waited for it)."""
    from classifier import train as training

    monkeypatch.setattr(corrections, "load_reports", lambda taxonomy: list(subset))
    real_train = training.train
    state = SimpleNamespace(started=threading.Event(), release=threading.Event(), calls=0)

    def train(taxonomy, reports, out_dir, **_kw):
        state.calls += 1
        if threading.current_thread() is threading.main_thread():
            raise AssertionError("trained before answering: the start waited minutes for the model")
        state.started.set()
        assert state.release.wait(60)
        return real_train(taxonomy, reports, out_dir, epochs=1)

    monkeypatch.setattr(training, "train", train)
    yield state
    state.release.set()


def _trained(classifier: SpacyClassifier, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while classifier.training and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not classifier.training, "the background training did not finish"


def test_rules_answer_at_once_and_the_model_trained_meanwhile_takes_over(
    settings: Settings, no_warehouse: Taxonomy, gated: SimpleNamespace, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="snag.classifier"):
        classifier = load_classifier(settings=settings, taxonomy=no_warehouse)
    assert gated.started.wait(10) and classifier.training
    before = classifier.classify(TEXT)
    assert before.source == "rule" and classifier.model_version is None
    assert any("training one in the background" in r.getMessage() for r in caplog.records)

    gated.release.set()
    _trained(classifier)
    after = classifier.classify(TEXT)
    latest = (settings.data_dir / "models" / LATEST).read_text(encoding="utf-8").strip()
    assert after.source == "model" and after.model_version == latest == classifier.model_version
    assert gated.calls == 1


def test_a_second_process_sharing_the_models_folder_trains_nothing_while_one_does(
    settings: Settings, no_warehouse: Taxonomy, gated: SimpleNamespace, caplog: pytest.LogCaptureFixture
) -> None:
    models = settings.data_dir / "models"
    holder = subprocess.Popen(  # another process, training: it holds the lock
        [
            sys.executable,
            "-c",
            "import sys, time; from pathlib import Path; from classifier.service import TrainingLock; "
            "lock = TrainingLock(Path(sys.argv[1])); assert lock.acquire(); print('held', flush=True); time.sleep(60)",
            str(models),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        with caplog.at_level(logging.INFO, logger="snag.classifier"):
            waiting = load_classifier(settings=settings, taxonomy=no_warehouse)
        assert not waiting.training and gated.calls == 0
        assert waiting.classify(TEXT).source == "rule"
        assert any("another Snag process is training" in r.getMessage() for r in caplog.records)
    finally:
        holder.kill()
        holder.wait()
    assert TrainingLock(models).acquire(), "a trainer that died leaves no lock behind"


def test_the_process_that_did_not_train_picks_up_the_other_ones_model(
    settings: Settings, no_warehouse: Taxonomy, gated: SimpleNamespace
) -> None:
    bot = load_classifier(settings=settings, taxonomy=no_warehouse)
    assert gated.started.wait(10)
    scheduler = load_classifier(settings=settings, taxonomy=no_warehouse)  # the same data dir
    assert not scheduler.training and gated.calls == 1
    gated.release.set()
    _trained(bot)
    assert scheduler.reload()  # what its check of LATEST every few seconds does
    assert scheduler.classify(TEXT).source == "model" and scheduler.model_version == bot.model_version
    assert gated.calls == 1


def test_snag_chat_answers_at_once_and_says_a_model_is_being_trained(
    settings: Settings, no_warehouse: Taxonomy, gated: SimpleNamespace
) -> None:
    from adapters.console.chat import TRAINING, run_console
    from bot.app import build

    services = build(settings, migrate=True)
    services.extras.pop("console_first_start", None)
    assert gated.started.wait(10)
    out = io.StringIO()
    run_console(services, console=ScriptedConsole([TEXT], out), ask=lambda _p: "")
    text = " ".join(out.getvalue().split())
    assert " ".join(TRAINING.split()) in text and "saved as report #1" in text
    gated.release.set()
    _trained(services.classifier)  # type: ignore[arg-type]
    assert gated.calls == 1
