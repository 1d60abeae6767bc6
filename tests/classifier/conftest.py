"""One small model, trained once per test session, shared by the classifier tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import typer

from bot.config import Settings
from bot.taxonomy import Taxonomy, load_taxonomy
from classifier.dataset import LabelledReport, load_reports

SUBSET = 240
EPOCHS = 4


@pytest.fixture(scope="session")
def taxonomy() -> Taxonomy:
    return load_taxonomy()


@pytest.fixture(scope="session")
def shipped(taxonomy: Taxonomy) -> list[LabelledReport]:
    reports = load_reports(taxonomy)
    if len(reports) < SUBSET:
        pytest.skip("the labelled data under classifier/data/reports is not there yet")
    return reports


@pytest.fixture(scope="session")
def subset(shipped: list[LabelledReport]) -> list[LabelledReport]:
    """Every n-th shipped report: all industries, a few seconds of training."""
    step = max(1, len(shipped) // SUBSET)
    return shipped[::step][:SUBSET]


@pytest.fixture(scope="session")
def model_home(tmp_path_factory: pytest.TempPathFactory, taxonomy: Taxonomy, subset) -> Path:  # type: ignore[no-untyped-def]
    """A data directory holding one trained model (models/<version>, models/LATEST)."""
    from classifier.train import train

    home = tmp_path_factory.mktemp("model-home")
    train(taxonomy, subset, home / "models", seed=0, epochs=EPOCHS)
    return home


def make_settings(data_dir: Path, **extra: object) -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        data_dir=data_dir,
        database_url=f"sqlite:///{data_dir / 'snag.db'}",
        reporter_secret="test-secret",
        **extra,  # type: ignore[arg-type]
    )


@pytest.fixture
def classifier_env(model_home: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Environment for CLI runs: the trained model's data dir, no .env file."""
    monkeypatch.setenv("SNAG_DATA_DIR", str(model_home))
    monkeypatch.setenv("SNAG_DATABASE_URL", f"sqlite:///{model_home / 'snag.db'}")
    monkeypatch.setenv("SNAG_REPORTER_SECRET", "test-secret")
    monkeypatch.chdir(model_home)  # keeps any developer .env out of the way
    yield model_home


@pytest.fixture(scope="module")
def app() -> typer.Typer:
    """The classifier's commands (train, eval, classify) on a typer app of their own."""
    from classifier import cli

    app = typer.Typer()
    cli.register(app)

    @app.callback()
    def main() -> None:  # keeps typer from collapsing to a single command
        """Snag (test)."""

    return app
