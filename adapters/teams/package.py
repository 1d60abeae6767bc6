"""`snag teams package`: the Teams app package (manifest + icons) zipped with your app id."""

from __future__ import annotations

import importlib.metadata
import json
import re
import zipfile
from pathlib import Path
from urllib.parse import urlsplit

from bot.errors import ConfigError, UsageError

__all__ = ["build_package", "host_of", "APP_PACKAGE"]

APP_PACKAGE = Path(__file__).resolve().parent / "appPackage"
_GUID = re.compile(r"[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}")
_LABEL = r"(?!-)[a-z0-9-]{1,63}(?<!-)"
# Teams takes host names only: no scheme, no path; a port and a leading "*." wildcard are allowed.
_HOST = re.compile(rf"(?:\*\.)?(?:{_LABEL}\.)+[a-z][a-z0-9-]*[a-z0-9](?::[0-9]{{1,5}})?")


_NUMBER = r"(?:0|[1-9]\d{0,4})"
_VERSION = re.compile(rf"{_NUMBER}\.{_NUMBER}\.{_NUMBER}")  # Teams: major.minor.patch, no leading zeros


def snag_version() -> str:
    """The installed Snag's version: the package's default version, so each upgrade's package is newer."""
    try:
        return importlib.metadata.version("snag")
    except importlib.metadata.PackageNotFoundError:  # run from a checkout that was never installed
        return "1.0.0"


def _newest(*versions: str) -> str:
    """The highest of these versions, as Teams compares them (the shipped manifest said 1.0.0 before
    the package carried Snag's version: a default below it would be refused as an update)."""

    def key(version: str) -> tuple[int, ...]:
        return tuple(int(part) for part in version.split(".")) if _VERSION.fullmatch(version) else (-1,)

    return max(versions, key=key)


def build_package(app_id: str | None, out: Path, *, domain: str | None = None, version: str | None = None) -> Path:
    """Write the zip that an admin sideloads or uploads to the Teams admin centre.

    The manifest's version is Snag's own, or the shipped manifest's if higher, unless given: Teams
    takes an updated app in the org catalogue only when its version is higher than the one installed."""
    if not app_id:
        raise ConfigError("MicrosoftAppId is not set: the Teams package needs your bot's app id.")
    if not _GUID.fullmatch(app_id.strip()):
        raise ConfigError(
            "MicrosoftAppId is not a GUID, and Teams accepts no other app id: copy the Microsoft App ID "
            "(like 00000000-0000-0000-0000-000000000000) from your Azure bot's Configuration page."
        )
    app_id = app_id.strip()
    manifest = json.loads((APP_PACKAGE / "manifest.json").read_text(encoding="utf-8"))
    text = json.dumps(manifest, indent=2).replace("${MICROSOFT_APP_ID}", app_id)
    manifest = json.loads(text)
    if domain:
        manifest["validDomains"] = [host_of(domain)]
    version = (version or _newest(manifest["version"], snag_version())).strip()
    if not _VERSION.fullmatch(version):
        raise UsageError(f"--version {version!r} is not one Teams accepts: three numbers, like 1.2.0.")
    manifest["version"] = version
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
    return out


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
