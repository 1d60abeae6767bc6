"""The trained tagger behind the core's Classifier port: plain Tags out, hot reload on retrain."""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from bot.config import Settings
from bot.domain import Handoff, Tags
from bot.taxonomy import Taxonomy
from classifier.text import model_text

__all__ = ["SpacyClassifier", "load_classifier", "models_dir", "latest_version", "load_nlp"]

log = logging.getLogger("snag.classifier")
RELOAD_CHECK_SECONDS = 5.0


def models_dir(settings: Settings) -> Path:
    return settings.data_dir / "models"


def latest_version(directory: Path) -> str | None:
    """The version LATEST points at, if that model is on disk."""
    from classifier.train import LATEST, META

    try:
        version = (directory / LATEST).read_text(encoding="utf-8").strip()
    except OSError:
        return None
    return version if version and (directory / version / META).exists() else None


def load_nlp(path: Path, taxonomy: Taxonomy) -> Any | None:
    """Load a model directory; None when it was trained for other labels or an older format."""
    import spacy

    from classifier import components  # noqa: F401  (registers the snag_* factories)
    from classifier.pipeline import TEXTCATS, textcat_labels
    from classifier.train import FORMAT, META

    meta = json.loads((path / META).read_text(encoding="utf-8"))
    if meta.get("format") != FORMAT:
        return None
    nlp = spacy.load(path)
    expected = textcat_labels(taxonomy)
    if any(list(nlp.get_pipe(n).labels) != expected[n] for n in TEXTCATS):
        return None
    return nlp


class SpacyClassifier:
    """Tags report texts with a trained pipeline; picks up a newer model when LATEST changes."""

    def __init__(
        self,
        *,
        directory: Path,
        taxonomy: Taxonomy,
        threshold: float,
        check_every: float = RELOAD_CHECK_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.directory = directory
        self.taxonomy = taxonomy
        self.threshold = threshold
        self.check_every = check_every
        self._clock = clock
        self._lock = threading.Lock()
        self._checked = clock()
        self._model: tuple[Any, str] | None = None
        if not self.reload():
            raise FileNotFoundError(f"No usable model under {directory}.")

    @property
    def version(self) -> str:
        return self._current()[1]

    def reload(self) -> bool:
        """Load the model LATEST points at if it is not the one in use; True when one is loaded."""
        version = latest_version(self.directory)
        if version is None or (self._model and self._model[1] == version):
            return self._model is not None
        nlp = load_nlp(self.directory / version, self.taxonomy)
        if nlp is None:
            log.warning("model %s does not fit this taxonomy; keeping the current one", version)
            return self._model is not None
        self._model = (nlp, version)
        log.info("classifier model %s loaded", version)
        return True

    def _current(self) -> tuple[Any, str]:
        now = self._clock()
        if now - self._checked >= self.check_every and self._lock.acquire(blocking=False):
            try:
                self._checked = now
                self.reload()
            finally:
                self._lock.release()
        assert self._model is not None
        return self._model

    def classify(self, text: str) -> Tags:
        """Tag one report's text."""
        nlp, version = self._current()
        return self._tags(nlp(model_text(text)), version)

    def classify_many(self, texts: Sequence[str], batch_size: int = 256) -> list[Tags]:
        """Tag many texts in batches."""
        nlp, version = self._current()
        docs = nlp.pipe((model_text(t) for t in texts), batch_size=batch_size)
        return [self._tags(doc, version) for doc in docs]

    def _tags(self, doc: Any, version: str) -> Tags:
        found = doc._.tags
        stage, score = found["stage"], found["stage_score"]
        uncertain = stage is None or score < self.threshold
        handoff = found["handoff"]
        return Tags(
            stage=None if uncertain else stage,
            kinds=tuple(found["kinds"]),
            teams=tuple(found["teams"]),
            handoff=Handoff(handoff[0], handoff[1]) if handoff else None,
            confidence=found["confidence"],
            source="model",
            model_version=version,
            stage_uncertain=uncertain,
        )


def load_classifier(*, settings: Settings, taxonomy: Taxonomy, train_if_missing: bool = True) -> Any:
    """The trained tagger; trains one first if none fits, else falls back to the rule tagger."""
    directory = models_dir(settings)
    try:
        return SpacyClassifier(directory=directory, taxonomy=taxonomy, threshold=settings.confidence_threshold)
    except FileNotFoundError:
        if not train_if_missing:
            from classifier.rules import RuleClassifier

            log.warning("no trained model under %s; using the rule tagger", directory)
            return RuleClassifier(taxonomy)
    from classifier.corrections import training_reports
    from classifier.train import train

    log.info("no trained model yet: training one now (this takes a minute)")
    train(taxonomy, training_reports(settings, taxonomy), directory)
    return SpacyClassifier(directory=directory, taxonomy=taxonomy, threshold=settings.confidence_threshold)
