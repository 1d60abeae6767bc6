"""`snag teams package`: the Teams app package (manifest + icons) zipped with your app id."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

from bot.errors import ConfigError

__all__ = ["build_package", "APP_PACKAGE"]

APP_PACKAGE = Path(__file__).resolve().parent / "appPackage"


def build_package(app_id: str | None, out: Path, *, domain: str | None = None) -> Path:
    """Write the zip that an admin sideloads or uploads to the Teams admin centre."""
    if not app_id:
        raise ConfigError("MicrosoftAppId is not set: the Teams package needs your bot's app id.")
    manifest = json.loads((APP_PACKAGE / "manifest.json").read_text(encoding="utf-8"))
    text = json.dumps(manifest, indent=2).replace("${MICROSOFT_APP_ID}", app_id)
    manifest = json.loads(text)
    if domain:
        manifest["validDomains"] = [domain]
    out.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("manifest.json", json.dumps(manifest, indent=2))
        for icon in ("color.png", "outline.png"):
            zf.write(APP_PACKAGE / icon, icon)
    return out
