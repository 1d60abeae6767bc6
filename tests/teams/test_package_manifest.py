"""The Teams app package says what the code does: its commands, a version Teams takes as an update, real links."""

from __future__ import annotations

import json
import logging
import zipfile
from pathlib import Path

import pytest

from adapters.teams.package import APP_PACKAGE, build_package, teams_version
from bot.commands import ROLE_COMMANDS, usage_for
from bot.domain import Role

APP_ID = "0a1b2c3d-4e5f-6789-abcd-ef0123456789"
MANIFEST = json.loads((APP_PACKAGE / "manifest.json").read_text(encoding="utf-8"))
LINKS = ("SNAG_TEAMS_WEBSITE_URL", "SNAG_TEAMS_PRIVACY_URL", "SNAG_TEAMS_TERMS_URL")


def test_the_command_list_is_what_anyone_may_type() -> None:
    """Teams shows one list to everyone: staff's help, no manager's or admin's command (search was listed)."""
    (listed,) = MANIFEST["bots"][0]["commandLists"]
    titles = [c["title"] for c in listed["commands"]]
    staff = [line.split()[0] for line in usage_for(Role.STAFF).splitlines() if not line.startswith("<")]
    assert titles == staff
    assert not set(titles) & set(ROLE_COMMANDS)
    assert set(listed["scopes"]) == set(MANIFEST["bots"][0]["scopes"])
    assert len(titles) <= 10  # Teams' limits on a command list
    assert all(len(c["title"]) <= 32 and 0 < len(c["description"]) <= 128 for c in listed["commands"])


@pytest.mark.parametrize(
    ("snag", "teams"),
    [
        ("0.1.0", "1.1.0"),
        ("0.1.1", "1.1.1"),
        ("0.2.0", "1.2.0"),
        ("0.10.3", "1.10.3"),
        ("1.0.0", "2.0.0"),
        ("2.1", "3.1.0"),
    ],
)
def test_a_snag_release_is_a_teams_version_above_1_0_0(snag: str, teams: str) -> None:
    assert teams_version(snag) == teams


def test_each_later_release_is_a_higher_teams_version() -> None:
    releases = ["0.1.0", "0.1.1", "0.1.10", "0.2.0", "0.9.9", "0.10.0", "1.0.0", "1.0.1", "1.2.0", "2.0.0"]  # in order
    versions = [tuple(int(n) for n in teams_version(r).split(".")) for r in releases]
    assert all(earlier < later for earlier, later in zip(versions, versions[1:], strict=False))
    assert versions[0] > (1, 0, 0)  # above every package built before
    assert teams_version("0.2.0rc1") == teams_version("0.2.0")  # a pre-release counts as its release (README)


def _manifest(path: Path) -> dict:
    return json.loads(zipfile.ZipFile(path).read("manifest.json"))


def test_the_links_people_see_on_the_about_page_come_from_the_settings(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    urls = {
        "website": "https://intranet.example.com/snag",
        "privacy": "https://intranet.example.com/snag/privacy",
        "terms": "https://intranet.example.com/snag/terms",
    }
    with caplog.at_level(logging.WARNING, logger="snag.teams.package"):
        out = build_package(APP_ID, tmp_path / "snag-teams.zip", **urls)
    developer = _manifest(out)["developer"]
    assert developer["websiteUrl"] == urls["website"] and developer["privacyUrl"] == urls["privacy"]
    assert developer["termsOfUseUrl"] == urls["terms"] and developer["name"] == MANIFEST["developer"]["name"]
    assert caplog.records == []


def test_links_left_unset_stay_placeholders_and_are_warned_about_by_setting(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="snag.teams.package"):
        out = build_package(APP_ID, tmp_path / "snag-teams.zip", privacy="https://intranet.example.com/privacy")
    developer = _manifest(out)["developer"]
    assert developer["privacyUrl"] == "https://intranet.example.com/privacy"
    assert "example.org" in developer["websiteUrl"] and "example.org" in developer["termsOfUseUrl"]
    (warning,) = [r.getMessage() for r in caplog.records]
    assert warning.startswith("The package's websiteUrl, termsOfUseUrl still point at example.org")
    assert "set SNAG_TEAMS_WEBSITE_URL, SNAG_TEAMS_TERMS_URL to your organisation's own pages" in warning
    assert "SNAG_TEAMS_PRIVACY_URL" not in warning
