"""Model versions on disk: `<models>/<version>/` with its meta, LATEST naming the one in use.

Writing a model never disturbs the one in use: it is written beside the others under a
hidden name, renamed into place, and only then does LATEST switch to it (atomically).
The newest KEEP_VERSIONS are kept.
"""

from __future__ import annotations

import json
import os
import shutil
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from spacy.language import Language

    from bot.config import Settings

__all__ = [
    "FORMAT",
    "KEEP_VERSIONS",
    "LATEST",
    "META",
    "TrainedModel",
    "kept_model",
    "kept_models",
    "latest_version",
    "models_dir",
    "point_latest",
    "prune",
    "read_meta",
    "write_model",
]

LATEST = "LATEST"
META = "snag.json"
KEEP_VERSIONS = 3
FORMAT = 1  # bump when a model written by an older train.py can no longer be loaded


@dataclass(frozen=True)
class TrainedModel:
    """A model version on disk."""

    version: str
    path: Path


def models_dir(settings: Settings) -> Path:
    """Where the model versions live: `<data_dir>/models`."""
    return settings.data_dir / "models"


def read_meta(path: Path) -> dict[str, Any]:
    """The meta of the model at path (OSError when it is missing, ValueError when unreadable)."""
    meta: dict[str, Any] = json.loads((path / META).read_text(encoding="utf-8"))
    return meta


def latest_version(directory: Path) -> str | None:
    """The version LATEST points at, if that model is on disk."""
    try:
        version = (directory / LATEST).read_text(encoding="utf-8").strip()
    except OSError:
        return None
    return version if version and (directory / version / META).exists() else None


def point_latest(out_dir: Path, version: str) -> None:
    """Switch LATEST to a model on disk, atomically."""
    # a name of this process and thread's own: two processes swapping at once must not share it
    pointer = out_dir / f".{LATEST}.{os.getpid()}.{threading.get_ident()}.tmp"
    try:
        pointer.write_text(version + "\n", encoding="utf-8")
        os.replace(pointer, out_dir / LATEST)
    finally:
        pointer.unlink(missing_ok=True)


def kept_models(out_dir: Path) -> list[Path]:
    """The model directories under out_dir, newest first (none still being written)."""
    if not out_dir.is_dir():
        return []
    written = [p for p in out_dir.iterdir() if p.is_dir() and not p.name.startswith(".") and (p / META).exists()]
    return sorted(written, key=lambda p: ((p / META).stat().st_mtime_ns, p.name), reverse=True)


def kept_model(out_dir: Path, digest: str) -> Path | None:
    """The kept model trained from the same fingerprint (and format), if there is one."""
    for path in kept_models(out_dir):
        try:
            meta = read_meta(path)
        except (OSError, ValueError):
            continue
        if meta.get("fingerprint") == digest and meta.get("format") == FORMAT:
            return path
    return None


def write_model(nlp: Language, out_dir: Path, version: str, meta: dict[str, Any]) -> TrainedModel:
    """Write the model beside older ones, then switch LATEST to it atomically."""
    out_dir.mkdir(parents=True, exist_ok=True)
    staging = out_dir / f".{version}.partial"
    shutil.rmtree(staging, ignore_errors=True)
    nlp.meta["name"] = "snag_tagger"
    nlp.to_disk(staging)
    (staging / META).write_text(json.dumps(meta, indent=2), encoding="utf-8")
    final = out_dir / version
    shutil.rmtree(final, ignore_errors=True)
    staging.rename(final)
    point_latest(out_dir, version)
    prune(out_dir, keep=KEEP_VERSIONS)
    return TrainedModel(version, final)


def prune(out_dir: Path, *, keep: int) -> list[str]:
    """Delete all but the newest `keep` models (never the one LATEST names); return what went."""
    latest = (out_dir / LATEST).read_text(encoding="utf-8").strip()
    versions = [p.name for p in reversed(kept_models(out_dir))]
    doomed = [v for v in versions[:-keep] if v != latest] if keep > 0 else []
    for version in doomed:
        shutil.rmtree(out_dir / version, ignore_errors=True)
    return doomed
