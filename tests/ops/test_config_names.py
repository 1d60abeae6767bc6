"""A setting Snag does not read, or a credential in a form that cannot work, stops every command with one line.

An admin's `SNAG_ADIMNS=slack:U1` ran with no admins, and `SNAG_RETENTION_DAY=365` kept reports for ever,
without a word; a Slack app token in SLACK_BOT_TOKEN started, listened and failed every request later."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from pydantic import ValidationError

from bot.config import Settings, credential_problems, unknown_names

ROOT = Path(__file__).resolve().parents[2]
APP_ID = "0a1b2c3d-4e5f-6789-abcd-ef0123456789"


@pytest.mark.parametrize(
    ("name", "meant"),
    [
        ("SNAG_ADIMNS", "SNAG_ADMINS"),
        ("SNAG_RETENTION_DAY", "SNAG_RETENTION_DAYS"),
        ("SNAG_SLACK_BOT_TOKN", "SNAG_SLACK_BOT_TOKEN"),
        ("snag_managres", "SNAG_MANAGERS"),
    ],
)
def test_a_misspelt_snag_variable_stops_the_command_naming_the_one_meant(  # type: ignore[no-untyped-def]
    snag_cli, monkeypatch, name: str, meant: str
) -> None:
    monkeypatch.setenv(name, "slack:U0SECRETVALUE")
    code, out, err = snag_cli("export")
    assert code == 2 and out == ""
    assert err.strip() == (
        f"{name} is set in the environment but is not a setting Snag reads, so it would be ignored: "
        f"did you mean {meant}?"
    )
    assert "U0SECRETVALUE" not in err


def test_keys_in_env_file_meant_for_snag_are_checked_and_others_left_to_compose(snag_cli) -> None:  # type: ignore[no-untyped-def]
    Path(".env").write_text(
        "SNAG_RETENTION_DAY=365\nADMINS=slack:U1\nPOSTGRES_PASWORD=pw\nMicrosftAppId=x\nSLACK_TOKEN=xoxb-1\n"
        "POSTGRES_PASSWORD=pw\nCOMPOSE_PROJECT_NAME=snag\nTZ=Europe/London\nHTTPS_PROXY=http://proxy:3128\n"
        "snag_admins=slack:U2\nMicrosoftAPPID=\n"
    )
    code, _out, err = snag_cli("export")
    assert code == 2
    assert err.strip().splitlines() == [
        "SNAG_RETENTION_DAY is in .env but is not a setting Snag reads, so it would be ignored: "
        "did you mean SNAG_RETENTION_DAYS?",
        "ADMINS is in .env but is not a setting Snag reads, so it would be ignored: did you mean SNAG_ADMINS?",
        "POSTGRES_PASWORD is in .env but is not a setting Snag reads, so it would be ignored: "
        "did you mean POSTGRES_PASSWORD?",
        "MicrosftAppId is in .env but is not a setting Snag reads, so it would be ignored: "
        "did you mean MicrosoftAppId?",
        "SLACK_TOKEN is in .env but is not a setting Snag reads, so it would be ignored: did you mean SLACK_BOT_TOKEN?",
    ]


def test_known_names_in_any_case_and_the_projects_own_variables_run(snag_cli, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("SNAG_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
    monkeypatch.setenv("snag_log_level", "info")
    Path(".env").write_text("POSTGRES_PASSWORD=pw\nCOMPOSE_PROJECT_NAME=snag\nmicrosoftappid=\n")
    code, _out, err = snag_cli("db", "upgrade")
    assert code == 0, err


def _names_in(text: str) -> set[str]:
    return set(re.findall(r"\bSNAG_[A-Z0-9_]*[A-Z0-9]\b", text))


def test_every_name_the_project_itself_sets_or_documents_is_known(tmp_path: Path) -> None:
    """Compose, the image, make, CI and the test suite set these: refusing one would break them."""
    files = ["docker-compose.yml", "Dockerfile", "Makefile", ".ci/run", "tests/conftest.py", "scripts/ensure-postgres"]
    used = set().union(*(_names_in((ROOT / f).read_text(encoding="utf-8")) for f in files))
    example = (ROOT / ".env.example").read_text(encoding="utf-8")
    documented = set(re.findall(r"^# ?([A-Za-z_]+)=", example, flags=re.MULTILINE))
    assert {"SNAG_DATABASE_URL", "SNAG_TEST_POSTGRES_URL", "POSTGRES_PASSWORD", "MicrosoftAppId"} <= used | documented
    env_file = tmp_path / ".env"
    env_file.write_text("".join(f"{name}=x\n" for name in sorted(used | documented)))
    assert unknown_names(dict.fromkeys(used | documented, "x"), env_file) == []


def _settings(**values: object) -> Settings:
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


def test_credentials_in_the_wrong_form_stop_serve_naming_each_setting_never_its_value(  # type: ignore[no-untyped-def]
    snag_cli, monkeypatch
) -> None:
    """The audit's start: each of these listened on its port, and every request failed later."""
    served: list[object] = []
    monkeypatch.setattr("adapters.run.run_server", served.append)  # were they accepted: no server left running
    monkeypatch.setenv("MicrosoftAppId", "https://portal.azure.com/bot")
    monkeypatch.setenv("MicrosoftAppPassword", "test-app-password")
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xapp-1-A0-bodyofthesecret")
    monkeypatch.setenv("SLACK_SIGNING_SECRET", "test-signing-secret")
    monkeypatch.setenv("SNAG_SLACK_API_URL", "slack.com/api")
    code, _out, err = snag_cli("serve")
    assert code == 2 and served == []
    lines = err.strip().splitlines()
    assert [line.split(" ", 1)[0] for line in lines] == ["MicrosoftAppId", "SLACK_BOT_TOKEN", "SNAG_SLACK_API_URL"]
    assert "it holds the token that belongs in SLACK_APP_TOKEN" in lines[1]
    assert "e.g. SNAG_SLACK_API_URL=https://slack.com/api/" in lines[2]
    assert "bodyofthesecret" not in err and "portal.azure.com" not in err


@pytest.mark.parametrize(
    ("values", "says"),
    [
        ({"slack_app_token": "xoxb-1-2-abc"}, "SLACK_APP_TOKEN does not start with xapp-: it holds the token that "),
        ({"slack_bot_token": "xoxp-1-2-abc"}, "SLACK_BOT_TOKEN does not start with xoxb-: set it to the Bot User"),
        ({"slack_signing_secret": "xoxb-1-2-abc"}, "SLACK_SIGNING_SECRET holds a token, not the signing secret"),
        ({"microsoft_app_id": f"{{{APP_ID}}}"}, "MicrosoftAppId is not a GUID"),
        ({"graph_url": "graph.microsoft.us/v1.0"}, "SNAG_GRAPH_URL is not a URL"),
        ({"login_url": "https:///common"}, "SNAG_LOGIN_URL is not a URL"),
    ],
)
def test_each_credential_form_is_checked(values: dict[str, str], says: str) -> None:
    problems = credential_problems(_settings(**values))
    assert len(problems) == 1 and problems[0].startswith(says)
    assert not any(v in problems[0] for v in values.values())


def test_the_forms_platforms_give_are_accepted() -> None:
    settings = _settings(
        microsoft_app_id=f" {APP_ID.upper()} ",
        slack_bot_token="xoxe.xoxb-1-rotating",
        slack_app_token="xapp-1-A0-1",
        slack_signing_secret="8f742231b10e8888abcd99yyyzzz85a5",
        slack_api_url="http://127.0.0.1:8080/api/",
        graph_url="https://graph.microsoft.us",
    )
    assert credential_problems(settings) == []
    assert credential_problems(_settings(slack_bot_token="xoxb-1")) == []


def test_the_teams_package_links_must_be_https(snag_cli, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("SNAG_TEAMS_PRIVACY_URL", "http://intranet/snag/privacy")
    code, _out, err = snag_cli("export")
    assert code == 2
    assert err.strip() == (
        "SNAG_TEAMS_PRIVACY_URL: the value is not an https:// address, which Teams requires; "
        "e.g. SNAG_TEAMS_PRIVACY_URL=https://intranet.example.com/snag/privacy"
    )
    monkeypatch.delenv("SNAG_TEAMS_PRIVACY_URL")
    link = "https://intranet.example.com/snag/terms"
    assert _settings(teams_terms_url=link).teams_terms_url == link
    with pytest.raises(ValidationError):
        _settings(teams_website_url="intranet.example.com/snag")


def test_the_readme_mounts_an_own_taxonomy_where_compose_services_read_it() -> None:
    """SNAG_TAXONOMY names a file inside the containers: the README's override mounts a folder holding it."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```yaml\n(.*?)```", readme, flags=re.DOTALL)
    override = yaml.safe_load(next(b for b in blocks if "docker-compose.override.yml" in b))
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
    assert set(override["services"]) == {"bot", "scheduler"} <= set(compose["services"])
    for service in override["services"].values():
        path = Path(service["environment"]["SNAG_TAXONOMY"])
        mounts = [m.split(":") for m in service["volumes"]]
        assert any(path.parent == Path(inside) and mode == "ro" for _host, inside, mode in mounts)
        assert path.parent != Path("/app/var")  # the data volume would hide a host folder there
