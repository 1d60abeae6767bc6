"""`snag teams package` as the console script runs it: only packages Teams would accept are written."""

from __future__ import annotations

import json
import os
import zipfile
from pathlib import Path

import pytest

from tests.conftest import run_snag

APP_ID = "0a1b2c3d-4e5f-6789-abcd-ef0123456789"


@pytest.fixture
def package(tmp_path: Path, monkeypatch, capsys):  # type: ignore[no-untyped-def]
    """Run `snag teams package ARGS...` with the given MicrosoftAppId: (exit code, stdout, stderr, manifest)."""
    monkeypatch.chdir(tmp_path)  # no .env of the developer's
    for name in [n for n in os.environ if n.startswith(("SNAG_", "MICROSOFT", "MicrosoftApp"))]:
        monkeypatch.delenv(name)

    def run(app_id: str, *args: str) -> tuple[int, str, str, dict | None]:
        monkeypatch.setenv("MicrosoftAppId", app_id)
        code, out, err = run_snag(monkeypatch, capsys, "teams", "package", *args)
        zipped = tmp_path / "snag-teams.zip"
        manifest = json.loads(zipfile.ZipFile(zipped).read("manifest.json")) if zipped.exists() else None
        return code, out, err, manifest

    return run


@pytest.mark.parametrize("app_id", ["not-a-guid", "0a1b2c3d4e5f6789abcdef0123456789", f"{APP_ID}x", f"{{{APP_ID}}}"])
def test_an_app_id_that_is_not_a_guid_writes_nothing(package, app_id: str) -> None:  # type: ignore[no-untyped-def]
    code, _out, err, manifest = package(app_id, "--domain", "snag.example.com")
    assert code == 2 and manifest is None
    assert "MicrosoftAppId is not a GUID" in err and len(err.strip().splitlines()) == 1


@pytest.mark.parametrize(
    ("domain", "host"),
    [
        ("https://snag.example.com/", "snag.example.com"),
        ("https://Snag.Example.com/api/messages?x=1", "snag.example.com"),
        ("snag.example.com", "snag.example.com"),
        ("snag.example.com/", "snag.example.com"),
        ("http://snag.example.com:8443/path", "snag.example.com:8443"),
        ("*.example.com", "*.example.com"),
    ],
)
def test_domain_takes_a_url_or_a_host_and_keeps_the_host(package, domain: str, host: str) -> None:  # type: ignore[no-untyped-def]
    code, out, _err, manifest = package(APP_ID, "--domain", domain)
    assert code == 0 and "Wrote snag-teams.zip" in out
    assert manifest is not None and manifest["validDomains"] == [host]
    assert manifest["id"] == APP_ID and manifest["bots"][0]["botId"] == APP_ID


@pytest.mark.parametrize(
    "domain",
    [
        "https://",
        "localhost",
        "10.0.0.1",
        "snag example.com",
        "ftp://snag.example.com",
        "user@snag.example.com",
        "-x.com",
    ],
)
def test_a_domain_that_is_not_a_host_writes_nothing(package, domain: str) -> None:  # type: ignore[no-untyped-def]
    code, _out, err, manifest = package(APP_ID, "--domain", domain)
    assert code == 2 and manifest is None
    assert "--domain" in err and "is not a host name" in err


def test_without_a_domain_the_package_keeps_no_valid_domains(package) -> None:  # type: ignore[no-untyped-def]
    code, _out, _err, manifest = package(APP_ID)
    assert code == 0 and manifest is not None and manifest["validDomains"] == []


def test_the_package_carries_snags_version_as_teams_counts_or_the_one_given(package) -> None:  # type: ignore[no-untyped-def]
    """Teams updates an app in the org catalogue only to a higher version: every package said 1.0.0."""
    from importlib.metadata import version

    major, minor, patch = (int(n) for n in version("snag").split(".")[:3])
    code, _out, _err, manifest = package(APP_ID)
    assert code == 0 and manifest is not None and manifest["version"] == f"{major + 1}.{minor}.{patch}"
    assert tuple(int(n) for n in manifest["version"].split(".")) > (1, 0, 0)  # above the packages before
    code, _out, _err, manifest = package(APP_ID, "--version", "2.3.4")
    assert code == 0 and manifest is not None and manifest["version"] == "2.3.4"


def test_a_bad_version_or_a_folder_it_cannot_write_is_one_sentence(package, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    code, _out, err, manifest = package(APP_ID, "--version", "v2")
    assert code == 2 and manifest is None and "three numbers, like 1.2.0" in err
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        if os.access(locked, os.W_OK):  # root writes anywhere: a file where the folder should be instead
            locked.chmod(0o700)
            locked.rmdir()
            locked.write_text("a file, not a folder")
        code, _out, err, _manifest = package(APP_ID, "--out", str(locked / "snag-teams.zip"))
    finally:
        if locked.is_dir():
            locked.chmod(0o700)
    assert code == 2 and "Cannot write" in err and "--out" in err and "unexpected error" not in err
    assert len(err.strip().splitlines()) == 1


def test_the_links_people_see_come_from_the_settings(package, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("SNAG_TEAMS_WEBSITE_URL", "https://intranet.example.org/snag")
    monkeypatch.setenv("SNAG_TEAMS_PRIVACY_URL", "https://intranet.example.org/snag/privacy")
    monkeypatch.setenv("SNAG_TEAMS_TERMS_URL", "https://intranet.example.org/snag/terms")
    code, _out, err, manifest = package(APP_ID, "--domain", "snag.example.com")
    assert code == 0 and manifest is not None, err
    assert manifest["developer"]["websiteUrl"] == "https://intranet.example.org/snag"
    assert manifest["developer"]["privacyUrl"] == "https://intranet.example.org/snag/privacy"
    assert manifest["developer"]["termsOfUseUrl"] == "https://intranet.example.org/snag/terms"
