"""The trained tagger behind the core's Classifier port: plain Tags out, hot reload on retrain.

Only a model trained for the taxonomy's labels is used; while there is none (a new taxonomy,
or nothing labelled for its labels yet) the rule tagger answers, and the model is picked up
as soon as one is trained, without a restart. A missing model is trained in the background:
training takes minutes, and a server's port, or `snag chat`, must not wait for it. Of the
processes sharing a models folder (the bot and the scheduler), one trains at a time.
"""

from __future__ import annotations

import fcntl
import logging
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import IO, TYPE_CHECKING, NamedTuple

from bot.config import Settings
from bot.domain import Handoff, Tags
from bot.logs import where
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
    "TrainingLock",
    "training_alone",
    "load_classifier",
    "models_dir",
    "latest_version",
    "fitting_version",
    "load_nlp",
]

log = logging.getLogger("snag.classifier")
RELOAD_CHECK_SECONDS = 5.0
TRAIN_CHECK_SECONDS = 600.0  # while no model fits: how often to see whether enough is labelled now
TRAINING_LOCK = ".training.lock"  # in the models folder: held by the one process training a model there
TRAINING_MEANWHILE = (
    "no trained model fits this taxonomy: training one in the background (a few minutes); "
    "until it is ready, reports are tagged by the taxonomy's words and aliases"
)
TRAINING_ELSEWHERE = "another Snag process is training a model; waiting for it (a few minutes)"


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

    @property
    def training(self) -> bool:
        """Whether this process is training a model in the background right now."""
        return self._training.locked()

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
        trainer, taxonomy = self._trainer, self._in_use.taxonomy
        if self.train_in_background(lambda: trainer(taxonomy)):
            self._train_due = clock + self.train_every

    def train_in_background(self, job: Callable[[], str | None]) -> bool:
        """Run a training in a thread, unless one runs here already (False); the rule tagger answers
        meanwhile, and the model it writes is used as soon as it is written, without a restart."""
        if not self._training.acquire(blocking=False):
            return False

        def work() -> None:
            try:
                if job():
                    self.reload()
            except Exception as exc:
                log.error("training in the background failed: %s", where(exc))
            finally:
                self._training.release()

        self._spawn(work)
        return True

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


class TrainingLock:
    """The models folder's training lock, so that processes sharing a data directory (the bot and
    the scheduler, or two replicas) never spend minutes training the same model at once. The OS
    frees it when its process ends: a trainer killed midway leaves no stale lock behind."""

    def __init__(self, directory: Path) -> None:
        self.path = directory / TRAINING_LOCK
        self._handle: IO[str] | None = None

    def acquire(self, *, wait: bool = False) -> bool:
        """Take the lock; False, at once, while another holds it (with `wait`: once it lets go)."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle = self.path.open("a")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX if wait else fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            return False
        except BaseException:  # Ctrl-C while waiting
            handle.close()
            raise
        self._handle = handle
        return True

    def take(self, say: Callable[[str], None]) -> bool:
        """Take the lock, waiting while another holds it after saying so once (TRAINING_ELSEWHERE);
        whether it had to wait (a model may have been written meanwhile)."""
        if self.acquire():
            return False
        say(TRAINING_ELSEWHERE)
        self.acquire(wait=True)
        return True

    def release(self) -> None:
        if self._handle is not None:
            self._handle.close()  # closing the file frees the lock
            self._handle = None


@contextmanager
def training_alone(directory: Path, say: Callable[[str], None]) -> Iterator[None]:
    """Hold the models folder's training lock while training (`snag train`, `retrain`, a file
    command's first model): while another process (or the bot's own background training) holds
    it, `say` why the wait, then wait; a model it wrote with the same data is then reused, not
    trained again (the callers look for one after the wait)."""
    lock = TrainingLock(directory)
    lock.take(say)
    try:
        yield
    finally:
        lock.release()


class Trainer:
    """Trains a model for a taxonomy on the shipped data and people's answers, when enough fit."""

    def __init__(self, settings: Settings, directory: Path) -> None:
        self.settings = settings
        self.directory = directory
        self._told: set[str] = set()

    def __call__(self, taxonomy: Taxonomy) -> str | None:
        """Train now (the classifier calls it in its background thread): the version trained; None
        when too little is labelled or another process is training."""
        training = self.prepare(taxonomy)
        if training is None:
            return None
        log.info("%s", TRAINING_MEANWHILE)
        return training()

    def prepare(self, taxonomy: Taxonomy, *, wait: bool = False) -> Callable[[], str] | None:
        """The training of a model for the taxonomy, ready to run here or in a thread, holding the
        models folder's training lock until it has run. None while another process holds that lock
        (its model is picked up once written), or when too little is labelled (said once per taxonomy).

        With `wait` (`snag import`, which tags everything at once), a lock held by another process is
        waited for, not skipped: the rules would tag the whole file. None then when that process left a
        model that fits: the caller loads it instead of training another."""
        from classifier.corrections import training_reports
        from classifier.examples import NotEnoughLabels, check_labelled
        from classifier.train import train

        lock = TrainingLock(self.directory)
        if not lock.acquire():
            if not wait:
                log.info(
                    "another Snag process is training a model in %s; it is used as soon as it is written",
                    self.directory,
                )
                return None
            lock.take(log.warning)
            if fitting_version(self.directory, taxonomy) is not None:
                lock.release()
                return None
        try:
            reports = training_reports(self.settings, taxonomy)
            check_labelled(reports, taxonomy)
        except NotEnoughLabels as exc:
            lock.release()
            self._say_once(taxonomy, exc.message)
            return None
        except BaseException:
            lock.release()
            raise

        def run() -> str:
            try:
                return train(taxonomy, reports, self.directory).version
            finally:
                lock.release()

        return run

    def _say_once(self, taxonomy: Taxonomy, message: str) -> None:
        """Why no model is trained, once per taxonomy: training is tried again every few minutes."""
        from classifier.pipeline import rules_digest

        said = rules_digest(taxonomy)
        if said not in self._told:
            self._told.add(said)
            log.warning("%s", message)


def load_classifier(
    *, settings: Settings, taxonomy: Taxonomy, train_if_missing: bool = True, train_first: bool = False
) -> SpacyClassifier:
    """The newest model that fits the taxonomy; while none does, the rule tagger.

    With train_if_missing, when no model fits one is trained in the background, and used as soon
    as it is written: training takes minutes, and `snag serve` kept its port closed (and `snag
    chat` its prompt) until it was done. With train_first too, the model is trained before this
    returns (`snag import` tags a whole file at once), or, while another process sharing the models
    folder trains, that training is waited for and its model loaded. Training is tried again in the background
    every TRAIN_CHECK_SECONDS while too little is labelled for the taxonomy's labels, or while
    another process sharing the models folder trains (its model is picked up once written).
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
    if classifier.model_version is not None:
        return classifier
    if trainer is None:
        log.warning(
            "no trained model under %s fits this taxonomy; using the rule tagger until one is trained there "
            "(`snag train`, or `snag serve` by itself), then that model, without a restart",
            directory,
        )
    elif train_first:
        training = trainer.prepare(taxonomy, wait=True)
        if training is not None:
            log.info("no trained model fits this taxonomy: training one now (a few minutes)")
            training()
        classifier.reload()  # the model trained here, or the one another process wrote while this waited
    else:
        _start_training(classifier, trainer, taxonomy)
    return classifier


def _start_training(classifier: SpacyClassifier, trainer: Trainer, taxonomy: Taxonomy) -> None:
    """Train in the background, the rule tagger answering meanwhile; a failure to start is logged, not
    raised: the server serves, and training is tried again later."""
    try:
        training = trainer.prepare(taxonomy)
    except Exception as exc:
        log.error("could not start training a model for this taxonomy: %s", where(exc))
        return
    if training is not None and classifier.train_in_background(training):  # a new classifier trains nothing yet
        log.info("%s", TRAINING_MEANWHILE)
