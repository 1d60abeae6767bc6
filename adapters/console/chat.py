"""`snag chat`: the same core as Slack and Teams, in a terminal."""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, NamedTuple

from rich.console import Console
from rich.text import Text

from adapters.console.answers import close_to, read_answer
from adapters.console.render import render_reply
from bot import cards
from bot.domain import ActionEvent, Choice, IncomingMessage, Option, Person, Reply
from bot.errors import SnagError, StoreUnavailable
from bot.logs import where

if TYPE_CHECKING:
    from bot.app import Services

__all__ = ["ConsoleSession", "run_console"]

log = logging.getLogger("snag.console")

Ask = Callable[[str], str]
WELCOME = (
    "[bold]Snag[/bold] · tell me in a sentence what got in the way today.\n"
    "Type [cyan]help[/cyan] for commands, [cyan]quit[/cyan] to leave."
)
TRAINING = (
    "Training a model for your taxonomy in the background (a few minutes); until then reports are "
    "tagged by your taxonomy's words and aliases."
)
DATABASE_DOWN = (
    "The database can't be reached right now. You can still report: I'll keep what you write in "
    "the outbox and file it as soon as the database is back."
)
LOOKS_RIGHT = Choice("looks_right", "Looks right?", (Option("yes", "Yes"), Option("fix", "Fix tags")))
LOOKS_RIGHT_PROMPT = "Looks right? y = yes, f = fix tags, Enter to skip"
_ALIASES = {
    "looks_right": {
        **dict.fromkeys(("y", "ok", "okay", "yep", "yeah", "correct", "right", "looks right", "looks good"), "yes"),
        **dict.fromkeys(("f", "fix", "n", "no", "nope", "wrong"), "fix"),
    },
}


class _SaidSomethingElse(Exception):
    """A follow-up answer that is no answer but a new report or command: nothing typed is dropped."""

    def __init__(self, line: str) -> None:
        super().__init__(line)
        self.line = line


class ConsoleSession:
    """One person at the terminal: reads lines, files reports, asks the follow-up questions."""

    def __init__(self, services: Services, *, user: str, console: Console, ask: Ask) -> None:
        self.services = services
        self.snag = services.snag
        self.console = console
        self.ask = ask
        self.person: Person = self.snag.person("console", "local", user, tenant_name="Console")

    def handle_line(self, line: str) -> Reply:
        """Treat one typed line as the slash command would, then follow up on a receipt."""
        self.file_waiting()
        message = IncomingMessage(
            person=self.person, text=line, channel="console", via="message", received_at=datetime.now(UTC)
        )
        reply = self.snag.handle_message(message)
        self.show(reply)
        if reply.kind == "receipt" and reply.report_id is not None:
            try:
                self.follow_up(reply)
            except _SaidSomethingElse as said:
                self.console.print("[dim]Leaving the questions there; taking that as a new line.[/dim]")
                self.handle_line(said.line)
        return reply

    def file_waiting(self) -> None:
        """File reports kept in the outbox if the database is back (a directory listing when there are none)."""
        outbox = self.snag.outbox
        if outbox is None or not outbox.depth():
            return
        try:
            filed = self.snag.replay_outbox()
        except SnagError:
            return  # still down: they stay in the outbox, tried again at the next line
        if filed:
            self.console.print(f"The database is back: filed {filed} report(s) kept in the outbox.")

    def show(self, reply: Reply) -> None:
        self.console.print(render_reply(reply))

    def _act(self, report_id: int, name: str, value: str = "", values: dict | None = None) -> Reply:
        reply = self.snag.handle_action(
            ActionEvent(person=self.person, report_id=report_id, name=name, value=value, values=values or {})
        )
        return reply

    def _pick(self, choice: Choice, *, prompt: str | None = None, again: bool = True) -> list[str] | None:
        """Ask one question: the options picked, or None (Enter, or no usable answer after one retry).

        A typo gets a hint ("did you mean Billing?") and the question once more; a command or a new
        sentence ends the questions and is handled as the next line.
        """
        answer = self.ask(prompt or _question(choice)).strip()
        if not answer:
            return None
        aliases = _ALIASES.get(choice.action, {})
        reading = read_answer(choice, answer, aliases)
        if reading.new_line:
            raise _SaidSomethingElse(answer)
        if not reading.wrong:
            return list(reading.picked) or None
        for token in reading.wrong:
            close = close_to(choice, token, aliases)
            hint = f"; did you mean {' or '.join(close)}?" if close else "."
            self.console.print(Text(f"'{token}' is not one of the options{hint}", style="yellow"))
        if again:
            self.console.print(Text("Try again, or press Enter to skip.", style="yellow"))
            return self._pick(choice, prompt=prompt, again=False)
        self.console.print(Text("I'll leave that one as it was.", style="yellow"))
        return None

    def follow_up(self, receipt: Reply) -> None:
        """Looks right / fix tags, then the optional quick questions."""
        report_id = receipt.report_id
        assert report_id is not None
        for choice in receipt.choices:
            if choice.action == "pick_stage":
                picked = self._pick(choice)
                if picked:
                    self.show(self._act(report_id, "pick_stage", picked[0]))
        looks = self._pick(LOOKS_RIGHT, prompt=LOOKS_RIGHT_PROMPT)
        if looks == ["yes"]:
            self.show(self._act(report_id, "confirm"))
        elif looks == ["fix"]:
            self.fix(report_id)
        for choice in receipt.choices:
            if choice.action in ("frequency", "customer_facing"):
                picked = self._pick(choice)
                if picked:
                    self.show(self._act(report_id, choice.action, picked[0]))

    def fix(self, report_id: int) -> None:
        """The fix-tags form, one question at a time; only what the person chose changes."""
        form_reply = self._act(report_id, "fix")
        if form_reply.form is None:
            self.show(form_reply)
            return
        choices = form_reply.form.choices
        values: dict[str, object] = {c.action: list(c.selected) if c.multi else _first(c.selected) for c in choices}
        chosen = False
        try:
            for choice in choices:
                picked = self._pick(choice)
                if picked is not None:
                    values[choice.action] = picked if choice.multi else picked[0]
                    chosen = True
        except (_SaidSomethingElse, _Leave):
            if chosen:  # keep what was chosen before the person moved on
                self.show(self._act(report_id, "correct", values=values))
            raise
        if not chosen:
            self.console.print("Nothing changed; the tags stay as they were.")
            return
        self.show(self._act(report_id, "correct", values=values))


def _question(choice: Choice) -> str:
    listing = "  ".join(f"{i}) {o.label}" for i, o in enumerate(choice.options, 1))
    current = f" (now: {', '.join(choice.selected)})" if choice.selected else ""
    hint = "numbers separated by commas" if choice.multi else "a number"
    return f"{choice.label}{current}\n  {listing}\n  pick {hint}, Enter to skip"


def _first(values: tuple[str, ...]) -> str | None:
    return values[0] if values else None


QUIT = ("quit", "exit", ":q")
BYE = "Bye. Thanks for telling it like it is."


class _Leave(Exception):
    """Ctrl-D, Ctrl-C or `quit` at any prompt: end the session (what was filed is already stored)."""


def _leaving(ask: Ask) -> Ask:
    def wrapped(prompt: str) -> str:
        try:
            answer = ask(prompt)
        except (EOFError, KeyboardInterrupt):
            raise _Leave from None
        if answer.strip().lower() in QUIT:
            raise _Leave
        return answer

    return wrapped


def run_console(
    services: Services, *, user: str = "you", console: Console | None = None, ask: Ask | None = None
) -> None:
    """The interactive loop; Ctrl-D or `quit` ends it, also in the middle of a follow-up question."""
    console = console or Console()
    ask = _leaving(ask or (lambda prompt: console.input(Text(prompt + "\n> ", style="dim"))))
    session = ConsoleSession(services, user=user, console=console, ask=ask)
    console.print(WELCOME)
    if getattr(services.classifier, "training", False):  # no model fitted the taxonomy at start
        console.print(TRAINING)
    try:
        offer = services.extras.get("console_first_start")
        if offer is not None:
            _safely(session, offer, session)
        while True:
            line = ask_line(console)
            _safely(session, session.handle_line, line)
    except _Leave:
        console.print()
        wait_for_training(console)
        console.print(BYE)


RETRAIN_THREAD = "snag-retrain"  # the name bot.app gives the thread the `retrain` command starts
RETRAIN_WAIT = (
    "Retraining is still running: waiting for it to finish so the new model is saved "
    "(this can take a minute or two). Press Ctrl-C to abandon it."
)
RETRAIN_ABANDONED = "Retraining abandoned: no new model was saved; the tagger keeps the model it had."
RETRAIN_DONE = "Retraining finished."
TRAIN_THREAD = "snag-train"  # the name classifier.service gives the thread training a model missing at start
TRAIN_WAIT = (
    "The model for your taxonomy is still training: waiting for it to finish so it is saved and the next "
    "start loads it at once (this can take a few minutes). Press Ctrl-C to abandon it."
)
TRAIN_ABANDONED = (
    "Training abandoned: no model was saved; the next start trains one again, tagging by your "
    "taxonomy's words and aliases meanwhile."
)
TRAIN_DONE = "Training finished: the model is saved."


class _Training(NamedTuple):
    """A training thread quitting waits for, and what to say about it."""

    thread: str
    waiting: str
    abandoned: str
    done: str


_TRAININGS = (
    _Training(RETRAIN_THREAD, RETRAIN_WAIT, RETRAIN_ABANDONED, RETRAIN_DONE),
    _Training(TRAIN_THREAD, TRAIN_WAIT, TRAIN_ABANDONED, TRAIN_DONE),
)


def wait_for_training(console: Console, poll: float = 0.2) -> None:
    """Quitting while `retrain` runs, or while the model missing at start trains: their threads die with
    the process and the minutes spent are lost, so wait for them (Ctrl-C abandons)."""
    for training in _TRAININGS:
        if not _wait_for(console, training, poll):
            return


def _wait_for(console: Console, training: _Training, poll: float) -> bool:
    """Wait for one kind of training, if it runs; False when Ctrl-C abandoned it."""
    running = [t for t in threading.enumerate() if t.name == training.thread and t.is_alive()]
    if not running:
        return True
    try:
        console.print(training.waiting)
        for thread in running:
            while thread.is_alive():
                thread.join(poll)  # in slices: a Ctrl-C reaches the main thread between them
    except KeyboardInterrupt:
        console.print(Text(training.abandoned, style="yellow"))
        return False
    console.print(training.done)
    return True


def _safely(session: ConsoleSession, work: Callable[..., object], *args: object) -> None:
    """The console's error handler: the session goes on, with a kind word instead of a stack trace."""
    try:
        work(*args)
    except _Leave:
        raise
    except StoreUnavailable:
        session.console.print(DATABASE_DOWN)
    except Exception as exc:
        error_id = uuid.uuid4().hex[:8]
        log.error("unexpected error %s in the console: %s", error_id, where(exc))
        session.show(cards.apology(error_id))


def ask_line(console: Console) -> str:
    """The next line at the snag> prompt."""
    try:
        line = console.input("[bold cyan]snag>[/bold cyan] ")
    except (EOFError, KeyboardInterrupt):
        raise _Leave from None
    if line.strip().lower() in QUIT:
        raise _Leave
    return line
