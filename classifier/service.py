"""The trained tagger behind the core's Classifier port: plain Tags out, hot reload on retrain.

Only a model trained for the taxonomy's labels is used; while there is none (a new taxonomy,
or nothing labelled for its labels yet) the rule tagger answers, and the model is picked up
as soon as one is trained, without a restart.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from bot.config import Settings
from bot.domain import Handoff, Tags
from bot.taxonomy import Taxonomy
from classifier.loading import fitting_version, load_nlp
from classifier.rules import RuleClassifier
from classifier.text import model_text
from classifier.versions import latest_version, models_dir, point_latest

if TYPE_CHECKING:
    from spacy.language import Language
    from spacy.tokens import Doc

__all__ = [
    "SpacyClassifier",
    "Trainer",
    "load_classifier",
    "models_dir",
    "latest_version",
    "fitting_version",
    "load_nlp",
]

log = logging.getLogger("snag.classifier")
RELOAD_CHECK_SECONDS = 5.0
TRAIN_CHECK_SECONDS = 600.0  # while no model fits: how often to see whether enough is labelled now


class _InUse(NamedTuple):
    """What answers now; swapped as one value, so a report never meets half of a reload."""

    taxonomy: Taxonomy
    rules: RuleClassifier
    model: tuple[Language, str] | None


def _in_thread(work: Callable[[], None]) -> None:
    threading.Thread(target=work, name="snag-train", daemon=True).start()


class SpacyClassifier:
    """Tags report texts with the newest trained model that fits the taxonomy.

    Checks LATEST at most every `check_every` seconds and picks up a newer model without a
    restart. While no model fits, the rule tagger answers (with `rules_meanwhile`; otherwise
    the constructor raises FileNotFoundError), and a `trainer` is tried in the background at
    most every `train_every` seconds.
    """

    def __init__(
        self,
        *,
        directory: Path,
        taxonomy: Taxonomy,
        threshold: float,
        check_every: float = RELOAD_CHECK_SECONDS,
        clock: Callable[[], float] = time.monotonic,
        rules_meanwhile: bool = False,
        trainer: Callable[[Taxonomy], str | None] | None = None,
        train_every: float = TRAIN_CHECK_SECONDS,
        spawn: Callable[[Callable[[], None]], None] = _in_thread,
    ) -> None:
        self.directory = directory
        self.threshold = threshold
        self.check_every = check_every
        self.train_every = train_every
        self._clock = clock
        self._lock = threading.Lock()
        self._checked = clock()
        self._trainer = trainer
        self._training = threading.Lock()
        self._train_due = clock() + train_every
        self._spawn = spawn
        self._verdicts: dict[str, bool] = {}
        self._in_use = _InUse(taxonomy, RuleClassifier(taxonomy), None)
        if not self.reload() and not rules_meanwhile:
            raise FileNotFoundError(f"No usable model under {directory}.")

    @property
    def taxonomy(self) -> Taxonomy:
        return self._in_use.taxonomy

    @property
    def model_version(self) -> str | None:
        """The trained model in use; None while the rule tagger answers."""
        model = self._in_use.model
        return model[1] if model else None

    @property
    def version(self) -> str:
        return self.model_version or self._in_use.rules.version

    def reload(self) -> bool:
        """Use the newest model that fits the taxonomy if it is not in use; True when a model is in use."""
        with self._lock:
            return self._reload()

    def _reload(self) -> bool:
        in_use = self._in_use
        current = in_use.model[1] if in_use.model else None
        wanted = fitting_version(self.directory, in_use.taxonomy, self._verdicts)
        if current is not None and wanted != latest_version(self.directory):
            wanted = current  # LATEST is for other labels: keep the model in use
        if wanted is None or wanted == current:
            return current is not None
        nlp = load_nlp(self.directory / wanted, in_use.taxonomy)
        if nlp is None:
            self._verdicts[wanted] = False
            return current is not None
        if wanted != latest_version(self.directory):
            point_latest(self.directory, wanted)  # LATEST names the model in use
        self._in_use = in_use._replace(model=(nlp, wanted))
        log.info("classifier model %s loaded", wanted)
        return True

    def use_taxonomy(self, taxonomy: Taxonomy) -> None:
        """Follow a reloaded taxonomy: its rules at once, and only a model trained for its labels."""
        with self._lock:
            self._verdicts = {}
            self._in_use = _InUse(taxonomy, RuleClassifier(taxonomy), None)
            found = self._reload()
        if not found:
            self._maybe_train(self._clock(), now=True)

    def _current(self) -> _InUse:
        now = self._clock()
        if now - self._checked >= self.check_every and self._lock.acquire(blocking=False):
            try:
                self._checked = now
                self._reload()
            finally:
                self._lock.release()
        in_use = self._in_use
        if in_use.model is None:
            self._maybe_train(now)
        return in_use

    def _maybe_train(self, clock: float, *, now: bool = False) -> None:
        """While no model fits: train one in the background, if it is time and none is training."""
        if self._trainer is None or (clock < self._train_due and not now):
            return
        if not self._training.acquire(blocking=False):
            return
        self._train_due = clock + self.train_every
        trainer, taxonomy = self._trainer, self._in_use.taxonomy

        def work() -> None:
            try:
                if trainer(taxonomy):
                    self.reload()
            except Exception as exc:
                from bot.core import where

                log.error("training in the background failed: %s", where(exc))
            finally:
                self._training.release()

        self._spawn(work)

    def classify(self, text: str) -> Tags:
        """Tag one report's text."""
        in_use = self._current()
        if in_use.model is None:
            return in_use.rules.classify(text)
        nlp, version = in_use.model
        return self._tags(nlp(model_text(text)), version)

    def classify_many(self, texts: Sequence[str], batch_size: int = 256) -> list[Tags]:
        """Tag many texts in batches."""
        in_use = self._current()
        if in_use.model is None:
            return [in_use.rules.classify(t) for t in texts]
        nlp, version = in_use.model
        docs = nlp.pipe((model_text(t) for t in texts), batch_size=batch_size)
        return [self._tags(doc, version) for doc in docs]

    def _tags(self, doc: Doc, version: str) -> Tags:
        found = doc._.tags
        stage, score = found["stage"], found["stage_score"]
        # not trusted: a stage of the taxonomy was not taught yet (combine.TagCombiner._stage)
        uncertain = stage is None or score < self.threshold or not found.get("stage_trusted", True)
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


class Trainer:
    """Trains a model for a taxonomy on the shipped data and people's answers, when enough fit."""

    def __init__(self, settings: Settings, directory: Path) -> None:
        self.settings = settings
        self.directory = directory
        self._told: set[str] = set()

    def __call__(self, taxonomy: Taxonomy) -> str | None:
        """The version trained; None when too little is labelled (said once per taxonomy)."""
        from classifier.corrections import training_reports
        from classifier.examples import NotEnoughLabels, check_labelled
        from classifier.pipeline import rules_digest
        from classifier.train import train

        reports = training_reports(self.settings, taxonomy)
        try:
            check_labelled(reports, taxonomy)
        except NotEnoughLabels as exc:
            said = rules_digest(taxonomy)
            if said not in self._told:
                self._told.add(said)
                log.warning("%s", exc.message)
            return None
        log.info("no trained model fits this taxonomy: training one now (this takes a minute)")
        return train(taxonomy, reports, self.directory).version


def load_classifier(*, settings: Settings, taxonomy: Taxonomy, train_if_missing: bool = True) -> SpacyClassifier:
    """The newest model that fits the taxonomy, else one trained now; the rule tagger meanwhile.

    With train_if_missing, a model is trained when none fits, and while too little is
    labelled for the taxonomy's labels the rule tagger answers and training is tried again
    in the background every TRAIN_CHECK_SECONDS.
    """
    directory = models_dir(settings)
    trainer = Trainer(settings, directory) if train_if_missing else None
    classifier = SpacyClassifier(
        directory=directory,
        taxonomy=taxonomy,
        threshold=settings.confidence_threshold,
        rules_meanwhile=True,
        trainer=trainer,
    )
    if classifier.model_version is None:
        if trainer is None:
            log.warning("no trained model under %s fits this taxonomy; using the rule tagger", directory)
        elif trainer(taxonomy):
            classifier.reload()
    return classifier
