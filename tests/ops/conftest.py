"""Running `snag` as the console script runs, in a folder of its own with no SNAG_ variable of the developer's."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import FixedClassifier, run_snag

Snag = Callable[..., tuple[int, str, str]]


@pytest.fixture
def bare_snag(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Snag:
    """`snag ARGS...` through main() with the fixed classifier and no SNAG_ setting: (exit code, stdout, stderr).

    The current folder is tmp_path/project; set variables with monkeypatch.setenv, move with monkeypatch.chdir.
    """
    import bot.app

    real_build = bot.app.build
    monkeypatch.setattr(bot.app, "build", lambda s, **kw: real_build(s, **{**kw, "classifier": FixedClassifier()}))
    for name in [n for n in os.environ if n.startswith("SNAG_")]:
        monkeypatch.delenv(name)
    project = tmp_path / "project"
    project.mkdir()
    monkeypatch.chdir(project)
    return lambda *args: run_snag(monkeypatch, capsys, *args)


@pytest.fixture
def snag_cli(bare_snag: Snag, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Snag:
    """`snag ARGS...` on a SQLite database and data folder under tmp_path, with a fixed reporter secret."""
    monkeypatch.setenv("SNAG_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("SNAG_DATABASE_URL", f"sqlite:///{tmp_path / 'snag.db'}")
    monkeypatch.setenv("SNAG_REPORTER_SECRET", "test-secret")
    return bare_snag
