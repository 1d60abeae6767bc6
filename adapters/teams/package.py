"""`snag teams package`: the Teams app package (manifest + icons) zipped with your app id."""

from __future__ import annotations

import importlib.metadata
import json
import logging
import re
import zipfile
from pathlib import Path
from urllib.parse import urlsplit

from bot.config import app_id_problem
from bot.errors import ConfigError, UsageError

__all__ = ["build_package", "host_of", "teams_version", "APP_PACKAGE"]

log = logging.getLogger("snag.teams.package")

APP_PACKAGE = Path(__file__).resolve().parent / "appPackage"
_LABEL = r"(?!-)[a-z0-9-]{1,63}(?<!-)"
# Teams takes host names only: no scheme, no path; a port and a leading "*." wildcard are allowed.
_HOST = re.compile(rf"(?:\*\.)?(?:{_LABEL}\.)+[a-z][a-z0-9-]*[a-z0-9](?::[0-9]{{1,5}})?")


_NUMBER = r"(?:0|[1-9]\d{0,4})"
_VERSION = re.compile(rf"{_NUMBER}\.{_NUMBER}\.{_NUMBER}")  # Teams: major.minor.patch, no leading zeros


_RELEASE = re.compile(r"(\d+)(?:\.(\d+))?(?:\.(\d+))?")


def snag_version() -> str:
    """The installed Snag's version (0.0.0 from a checkout that was never installed)."""
    try:
        return importlib.metadata.version("snag")
    except importlib.metadata.PackageNotFoundError:
        return "0.0.0"


def teams_version(snag: str) -> str:
    """The Teams app version of a Snag release: its major number plus one, then its minor and patch.

    Snag 0.1.0 is 1.1.0, 0.2.3 is 1.2.3 and 1.0.0 is 2.0.0: above the 1.0.0 every package had before,
    and higher for each later release, as Teams needs to take an update.
    A pre-release or post-release counts as its release (0.2.0rc1 is 1.2.0)."""
    found = _RELEASE.match(snag.strip())
    if found is None:
        return "1.0.0"
    major, minor, patch = (int(n or 0) for n in found.groups())
    return f"{major + 1}.{minor}.{patch}"


# The manifest's developer links, each with the setting that fills it.
_LINKS = {
    "websiteUrl": "SNAG_TEAMS_WEBSITE_URL",
    "privacyUrl": "SNAG_TEAMS_PRIVACY_URL",
    "termsOfUseUrl": "SNAG_TEAMS_TERMS_URL",
}


def build_package(
    app_id: str | None,
    out: Path,
    *,
    domain: str | None = None,
    version: str | None = None,
    website: str | None = None,
    privacy: str | None = None,
    terms: str | None = None,
) -> Path:
    """Write the zip that an admin sideloads or uploads to the Teams admin centre.

    The manifest's version follows Snag's (teams_version) unless given: Teams takes an updated app
    in the org catalogue only when its version is higher than the one installed. `website`, `privacy`
    and `terms` (SNAG_TEAMS_WEBSITE_URL, ..._PRIVACY_URL, ..._TERMS_URL) fill the links people see on
    the app's About page; one not given keeps its example.org placeholder and is warned about."""
    if not app_id:
        raise ConfigError("MicrosoftAppId is not set: the Teams package needs your bot's app id.")
    if problem := app_id_problem(app_id):
        raise ConfigError(problem)
    app_id = app_id.strip()
    manifest = json.loads((APP_PACKAGE / "manifest.json").read_text(encoding="utf-8"))
    text = json.dumps(manifest, indent=2).replace("${MICROSOFT_APP_ID}", app_id)
    manifest = json.loads(text)
    if domain:
        manifest["validDomains"] = [host_of(domain)]
    version = (version or teams_version(snag_version())).strip()
    if not _VERSION.fullmatch(version):
        raise UsageError(f"--version {version!r} is not one Teams accepts: three numbers, like 1.2.0.")
    manifest["version"] = version
    links = {"websiteUrl": website, "privacyUrl": privacy, "termsOfUseUrl": terms}
    manifest["developer"].update({key: url for key, url in links.items() if url})
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
            zf.writestr("manifest.json", json.dumps(manifest, indent=2))
            for icon in ("color.png", "outline.png"):
                zf.write(APP_PACKAGE / icon, icon)
    except OSError as exc:
        raise UsageError(
            f"Cannot write {out}: {exc.strerror or exc}. Choose a folder you can write to with --out."
        ) from None
    _warn_about_placeholders([key for key, url in links.items() if not url])
    return out


def _warn_about_placeholders(missing: list[str]) -> None:
    """Name the settings of the links left at example.org.

    Warned, not refused: a package with placeholders sideloads fine for a pilot, but the app's About
    page would send people looking for how their reports are handled to example.org."""
    if missing:
        log.warning(
            "The package's %s still point%s at example.org (Teams shows them on the app's About page): "
            "set %s to your organisation's own page%s before people use the app.",
            ", ".join(missing),
            "s" if len(missing) == 1 else "",
            ", ".join(_LINKS[key] for key in missing),
            "" if len(missing) == 1 else "s",
        )


def host_of(domain: str) -> str:
    """The host name of a URL or host, as Teams wants it in validDomains (e.g. snag.example.com)."""
    value = domain.strip()
    parts = urlsplit(value if "://" in value else f"//{value}")
    host = parts.netloc.lower().rstrip(".")
    if parts.scheme not in ("", "http", "https") or "@" in host or not _HOST.fullmatch(host):
        raise UsageError(
            f"--domain {domain!r} is not a host name Teams accepts: give your server's public host, "
            "e.g. --domain snag.example.com (or its URL, https://snag.example.com/)."
        )
    return host
