"""SNAG_SLACK_API_URL, SNAG_GRAPH_URL and SNAG_LOGIN_URL are https://, as the README says: http:// only
for a server on this machine (the test suite's fakes). SNAG_LOGIN_URL=http://login.example was accepted,
and the Teams app password would have crossed the network unencrypted."""

from __future__ import annotations

import pytest

from bot.config import Settings, credential_problems


@pytest.mark.parametrize(
    ("name", "url"),
    [
        ("SNAG_LOGIN_URL", "http://login.example"),
        ("SNAG_GRAPH_URL", "HTTP://graph.example/v1.0"),
        ("SNAG_SLACK_API_URL", "http://10.0.0.7:8080/api/"),
        ("SNAG_SLACK_API_URL", "http://localhost.example.com/api/"),
    ],
)
def test_an_http_url_to_another_machine_stops_the_command_naming_the_setting(  # type: ignore[no-untyped-def]
    snag_cli, monkeypatch, name: str, url: str
) -> None:
    monkeypatch.setenv(name, url)
    code, out, err = snag_cli("export")
    assert code == 2 and out == ""
    assert err.strip().startswith(f"{name} starts with http://")
    assert "write it with https://" in err and "localhost, 127.0.0.1 or ::1" in err
    assert url.split("//")[1] not in err  # the value is never shown


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:9/api/", "http://127.4.5.6/", "http://localhost:8080/api/", "http://[::1]:8080/"]
)
def test_http_to_this_machine_is_accepted_for_the_fake_servers(url: str) -> None:
    settings = Settings(_env_file=None, slack_api_url=url, graph_url=url, login_url=url)  # type: ignore[call-arg]
    assert credential_problems(settings) == []
