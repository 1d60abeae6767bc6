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
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml

from bot.config import Settings
from bot.taxonomy import DEFAULT_TAXONOMY_PATH, Taxonomy, load_taxonomy
from classifier import corrections
from classifier.rules import RuleClassifier
from classifier.service import TRAINING_ELSEWHERE, SpacyClassifier, TrainingLock, load_classifier
from classifier.train import LATEST
from tests.classifier.conftest import make_settings
from tests.conftest import run_snag
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


@contextmanager
def _other_process_training(models: Path) -> Iterator[subprocess.Popen[str]]:
    """Another process sharing the models folder, training: it holds the lock until killed."""
    holder = subprocess.Popen(
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
        yield holder
    finally:
        holder.kill()
        holder.wait()


def test_a_second_process_sharing_the_models_folder_trains_nothing_while_one_does(
    settings: Settings, no_warehouse: Taxonomy, gated: SimpleNamespace, caplog: pytest.LogCaptureFixture
) -> None:
    models = settings.data_dir / "models"
    with _other_process_training(models):
        with caplog.at_level(logging.INFO, logger="snag.classifier"):
            waiting = load_classifier(settings=settings, taxonomy=no_warehouse)
        assert not waiting.training and gated.calls == 0
        assert waiting.classify(TEXT).source == "rule"
        assert any("another Snag process is training" in r.getMessage() for r in caplog.records)
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


def test_quitting_snag_chat_waits_for_the_background_training_so_the_next_start_has_its_model(
    settings: Settings, no_warehouse: Taxonomy, gated: SimpleNamespace
) -> None:
    from adapters.console.chat import BYE, TRAIN_DONE, TRAIN_WAIT, run_console
    from bot.app import build

    services = build(settings, migrate=True)
    services.extras.pop("console_first_start", None)
    assert gated.started.wait(10)
    out = io.StringIO()

    def release_once_asked_to_wait() -> None:
        deadline = time.monotonic() + 10
        while " ".join(TRAIN_WAIT.split()) not in " ".join(out.getvalue().split()) and time.monotonic() < deadline:
            time.sleep(0.02)
        gated.release.set()  # released either way: a quit that did not wait fails below, not hangs

    releaser = threading.Thread(target=release_once_asked_to_wait)
    releaser.start()
    run_console(services, console=ScriptedConsole([TEXT], out), ask=lambda _p: "")
    releaser.join()
    assert not services.classifier.training  # type: ignore[attr-defined]  # done before the process could end
    latest = (settings.data_dir / "models" / LATEST).read_text(encoding="utf-8").strip()
    assert load_classifier(settings=settings, taxonomy=no_warehouse).model_version == latest  # the next start
    text = " ".join(out.getvalue().split())
    order = [text.index(" ".join(TRAIN_WAIT.split())), text.index(TRAIN_DONE), text.index(BYE)]
    assert order == sorted(order) and gated.calls == 1


@pytest.fixture
def quick(monkeypatch: pytest.MonkeyPatch, subset) -> SimpleNamespace:  # type: ignore[no-untyped-def]
    """Training on the small subset, in one epoch, on any thread; its calls counted."""
    from classifier import train as training

    monkeypatch.setattr(corrections, "load_reports", lambda taxonomy: list(subset))
    real_train = training.train
    state = SimpleNamespace(calls=0)

    def train(taxonomy, reports, out_dir, **_kw):
        state.calls += 1
        return real_train(taxonomy, reports, out_dir, epochs=1)

    monkeypatch.setattr(training, "train", train)
    return state


@pytest.fixture
def snag_import(settings: Settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]):  # type: ignore[no-untyped-def]
    """`snag import history.csv` through main(), on the settings' data folder and taxonomy."""
    from bot.app import build

    build(settings, migrate=True, classifier=RuleClassifier(load_taxonomy(settings.taxonomy))).engine.dispose()
    monkeypatch.setenv("SNAG_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("SNAG_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("SNAG_REPORTER_SECRET", "test-secret")
    monkeypatch.setenv("SNAG_TAXONOMY", str(settings.taxonomy))
    monkeypatch.chdir(settings.data_dir)
    Path("history.csv").write_text(f"id,text,created_at\n1,{TEXT},2024-01-02\n2,{TEXT} again,2024-01-03\n")
    return lambda: run_snag(monkeypatch, capsys, "import", "history.csv")


def _waiting_said(then: Callable[[], None]) -> logging.Handler:
    """A handler on the classifier's logger that runs `then` once Snag says it waits for another process."""

    class Said(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            if record.getMessage() == TRAINING_ELSEWHERE:
                threading.Thread(target=then).start()

    return Said()


def _said_once_on_stderr(caplog: pytest.LogCaptureFixture) -> None:
    """`snag import` sets up no logging: a WARNING reaches stderr through Python's last-resort handler."""
    said = [r for r in caplog.records if r.getMessage() == TRAINING_ELSEWHERE]
    assert len(said) == 1 and said[0].levelno >= logging.WARNING


def _import_tags(settings: Settings) -> set[str | None]:
    from sqlmodel import Session, create_engine, select

    from store.models import Report

    engine = create_engine(settings.database_url)
    with Session(engine) as session:
        sources = {r.tag_source for r in session.exec(select(Report)).all()}
    engine.dispose()
    return sources


def test_snag_import_waits_for_another_process_s_training_and_tags_with_its_model(
    settings: Settings,
    no_warehouse: Taxonomy,
    quick: SimpleNamespace,
    snag_import,
    subset,
    caplog,  # type: ignore[no-untyped-def]
) -> None:
    from classifier.train import train

    models = settings.data_dir / "models"
    logger = logging.getLogger("snag.classifier")
    with _other_process_training(models) as holder:

        def other_process_finishes() -> None:
            train(no_warehouse, list(subset), models)  # what the other process writes, then lets go
            holder.kill()

        said = _waiting_said(other_process_finishes)
        logger.addHandler(said)
        try:
            code, out, _ = snag_import()
        finally:
            logger.removeHandler(said)
    assert code == 0 and "Imported 2 report(s)" in out
    assert _import_tags(settings) == {"model"}
    _said_once_on_stderr(caplog)
    assert quick.calls == 1  # the other process's training only: its model was loaded, not trained again


def test_snag_import_trains_itself_when_the_other_process_left_no_model(
    settings: Settings,
    quick: SimpleNamespace,
    snag_import,
    caplog,  # type: ignore[no-untyped-def]
) -> None:
    models = settings.data_dir / "models"
    logger = logging.getLogger("snag.classifier")
    with _other_process_training(models) as holder:
        said = _waiting_said(holder.kill)  # it died midway: no model
        logger.addHandler(said)
        try:
            code, out, _ = snag_import()
        finally:
            logger.removeHandler(said)
    assert code == 0 and "Imported 2 report(s)" in out
    assert _import_tags(settings) == {"model"} and quick.calls == 1
    _said_once_on_stderr(caplog)


def test_snag_train_and_retrain_wait_while_another_process_trains(tmp_path: Path) -> None:
    """`snag train`, `retrain` and a file command's first model train inside training_alone: while
    another process holds the lock it says why the wait once, and goes on as soon as it lets go."""
    from classifier.service import training_alone

    models = tmp_path / "models"
    said: list[str] = []
    inside = threading.Event()
    with _other_process_training(models) as holder:

        def train() -> None:
            with training_alone(models, said.append):
                inside.set()

        worker = threading.Thread(target=train)
        worker.start()
        assert not inside.wait(0.5), "trained while another process was training"
        assert said == [TRAINING_ELSEWHERE]
        holder.kill()
        holder.wait()
        assert inside.wait(10)
        worker.join(10)
    assert TrainingLock(models).acquire(), "the lock is let go after training"
