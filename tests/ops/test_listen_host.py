"""Where `snag serve` listens: every address, except unauthenticated Teams (development without an
app id), which only this machine may reach unless SNAG_HOST says otherwise."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from adapters import server
from bot.app import build
from bot.config import Settings
from tests.conftest import FixedClassifier


def served_on(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, **settings: Any) -> str:
    """The host `snag serve` would listen on with these settings (web.run_app is not run)."""
    services = build(
        Settings(
            _env_file=None,  # type: ignore[call-arg]
            data_dir=tmp_path / "var",
            database_url=f"sqlite:///{tmp_path / 'serve.db'}",
            reporter_secret="test-secret",
            **settings,
        ),
        classifier=FixedClassifier(),
        migrate=True,
    )
    ran: dict[str, Any] = {}
    monkeypatch.setattr(web, "run_app", lambda app, **options: ran.update(options))
    try:
        server.serve(services)
    finally:
        services.engine.dispose()
    return str(ran["host"])


def test_development_without_teams_credentials_listens_on_this_machine_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    assert served_on(tmp_path, monkeypatch, env="dev", teams=True) == "127.0.0.1"
    assert any("listening on 127.0.0.1 only" in r.getMessage() for r in caplog.records)


def test_snag_host_set_explicitly_is_used_with_a_warning(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    assert served_on(tmp_path, monkeypatch, env="dev", teams=True, host="0.0.0.0") == "0.0.0.0"
    assert any("unauthenticated" in r.getMessage() and r.levelno == logging.WARNING for r in caplog.records)


def test_authenticated_teams_listens_on_every_address(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    credentials = {"microsoft_app_id": "00000000-0000-0000-0000-000000000001", "microsoft_app_password": "p"}
    assert served_on(tmp_path, monkeypatch, env="dev", teams=True, **credentials) == "0.0.0.0"
    assert served_on(tmp_path / "prod", monkeypatch, **credentials) == "0.0.0.0"
