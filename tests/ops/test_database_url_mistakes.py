"""Mistakes in SNAG_DATABASE_URL stop Snag at start with what to correct, never quoting the password.

An @ in the password was partly printed in logs ("snag:[redacted]@3xyz@127.0.0.1...") and taken for
an outage: `snag serve` kept running and sent every report to the outbox. A port that is no number
ended in "unexpected error: ValueError at url.py:964"."""

from __future__ import annotations

import pytest

from bot.config import Settings
from bot.errors import ConfigError
from store.db import make_engine
from tests.ops.conftest import Snag

PASSWORD = "Tr0ub4dor"
AT_IN_PASSWORD = f"postgresql+psycopg://snag:{PASSWORD}@3xyz@127.0.0.1:5432/snag"
BAD_PORTS = [
    f"postgresql+psycopg://snag:{PASSWORD}@127.0.0.1:5432x/snag",
    f"postgresql+psycopg://snag:{PASSWORD}@127.0.0.1:notaport/snag",
    f"postgresql+psycopg://snag:{PASSWORD}@127.0.0.1:99999/snag",
]


def _shows_nothing_secret(said: str) -> None:
    assert PASSWORD not in said and "3xyz" not in said
    assert "unexpected error" not in said and "ValueError" not in said


@pytest.mark.parametrize("args", [["db", "upgrade"], ["serve"]])
def test_an_at_in_the_password_stops_snag_and_says_to_percent_encode_it(
    snag_cli: Snag, monkeypatch: pytest.MonkeyPatch, args: list[str]
) -> None:
    monkeypatch.setenv("SNAG_DATABASE_URL", AT_IN_PASSWORD)
    code, out, err = snag_cli(*args)
    assert code == 2
    assert "SNAG_DATABASE_URL: the password holds an @" in err and "@ as %40" in err
    _shows_nothing_secret(out + err)


@pytest.mark.parametrize("url", BAD_PORTS)
def test_a_port_that_is_no_port_number_stops_snag_naming_the_setting(
    snag_cli: Snag, monkeypatch: pytest.MonkeyPatch, url: str
) -> None:
    monkeypatch.setenv("SNAG_DATABASE_URL", url)
    code, out, err = snag_cli("db", "upgrade")
    assert code == 2
    assert "SNAG_DATABASE_URL: the port after the host is not a port number" in err
    _shows_nothing_secret(out + err)


@pytest.mark.parametrize("url", [AT_IN_PASSWORD, *BAD_PORTS])
def test_an_engine_is_refused_the_same_urls_without_quoting_them(url: str) -> None:
    """For callers that do not read the settings first (the store's own, a copy's URLs)."""
    with pytest.raises(ConfigError) as refused:
        make_engine(url)
    assert refused.value.message.startswith("SNAG_DATABASE_URL: the ")
    _shows_nothing_secret(refused.value.message)


@pytest.mark.parametrize(
    ("url", "user", "password", "host"),
    [
        (f"postgresql+psycopg://snag:{PASSWORD}%403xyz@127.0.0.1:5432/snag", "snag", f"{PASSWORD}@3xyz", "127.0.0.1"),
        ("postgresql+psycopg://snag@server:pw@db.example.com/snag", "snag@server", "pw", "db.example.com"),
    ],
)
def test_a_percent_encoded_password_and_a_user_with_an_at_are_read_as_meant(
    url: str, user: str, password: str, host: str
) -> None:
    assert Settings(_env_file=None, database_url=url).database_url == url  # type: ignore[call-arg]
    engine = make_engine(url)
    assert (engine.url.username, engine.url.password, engine.url.host) == (user, password, host)
    engine.dispose()
