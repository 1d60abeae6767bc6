"""`snag chat`: the same core as Slack and Teams, in a terminal."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from rich.console import Console
from rich.text import Text

from adapters.console.render import render_reply
from bot.domain import ActionEvent, Choice, IncomingMessage, Person, Reply

__all__ = ["ConsoleSession", "run_console"]

Ask = Callable[[str], str]
SENTENCE_WORDS = 3  # an answer this long that fits no option is something new the person said
WELCOME = (
    "[bold]Snag[/bold] · tell me in a sentence what got in the way today.\n"
    "Type [cyan]help[/cyan] for commands, [cyan]quit[/cyan] to leave."
)


class _SaidSomethingElse(Exception):
    """A follow-up answer that is no answer but a new report or command: nothing typed is dropped."""

    def __init__(self, line: str) -> None:
        super().__init__(line)
        self.line = line


class ConsoleSession:
    """One person at the terminal: reads lines, files reports, asks the follow-up questions."""

    def __init__(self, services, *, user: str, console: Console, ask: Ask) -> None:  # type: ignore[no-untyped-def]
        self.services = services
        self.snag = services.snag
        self.console = console
        self.ask = ask
        self.person: Person = self.snag.person("console", "local", user, tenant_name="Console")

    def handle_line(self, line: str) -> Reply:
        """Treat one typed line as the slash command would, then follow up on a receipt."""
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

    def show(self, reply: Reply) -> None:
        self.console.print(render_reply(reply))

    def _act(self, report_id: int, name: str, value: str = "", values: dict | None = None) -> Reply:
        reply = self.snag.handle_action(
            ActionEvent(person=self.person, report_id=report_id, name=name, value=value, values=values or {})
        )
        return reply

    def _pick(self, choice: Choice) -> list[str] | None:
        """Ask one question; Enter skips (None), numbers or names pick options."""
        listing = "  ".join(f"{i}) {o.label}" for i, o in enumerate(choice.options, 1))
        current = f" (now: {', '.join(choice.selected) or 'none'})" if choice.selected else ""
        hint = "numbers separated by commas" if choice.multi else "a number"
        answer = self.ask(f"{choice.label}{current}\n  {listing}\n  pick {hint}, Enter to skip").strip()
        if not answer:
            return None
        picked: list[str] = []
        tokens = answer.replace(",", " ").split()
        if len(tokens) >= SENTENCE_WORDS and not any(self._option(choice, t) for t in tokens):
            raise _SaidSomethingElse(answer)
        for token in tokens:
            match = self._option(choice, token)
            if not match:
                self.console.print(f"[yellow]'{token}' is not one of the options; skipped.[/yellow]")
            picked.extend(match)
        return picked if choice.multi else picked[:1]

    @staticmethod
    def _option(choice: Choice, token: str) -> list[str]:
        """The option a typed number or name means ([] for none)."""
        if token.isdigit() and 1 <= int(token) <= len(choice.options):
            return [choice.options[int(token) - 1].value]
        return [o.value for o in choice.options if o.value == token.lower() or o.label.lower() == token.lower()]

    def follow_up(self, receipt: Reply) -> None:
        """Looks right / fix tags, then the optional quick questions."""
        report_id = receipt.report_id
        assert report_id is not None
        for choice in receipt.choices:
            if choice.action == "pick_stage":
                picked = self._pick(choice)
                if picked:
                    self.show(self._act(report_id, "pick_stage", picked[0]))
        typed = self.ask("Looks right? y = yes, f = fix tags, Enter to skip").strip()
        answer = typed.lower()
        if answer in ("y", "yes"):
            self.show(self._act(report_id, "confirm"))
        elif answer in ("f", "fix", "n", "no"):
            self.fix(report_id)
        elif len(answer.split()) >= SENTENCE_WORDS:
            raise _SaidSomethingElse(typed)
        for choice in receipt.choices:
            if choice.action in ("frequency", "customer_facing"):
                picked = self._pick(choice)
                if picked:
                    self.show(self._act(report_id, choice.action, picked[0]))

    def fix(self, report_id: int) -> None:
        form_reply = self._act(report_id, "fix")
        if form_reply.form is None:
            self.show(form_reply)
            return
        values: dict[str, object] = {}
        for choice in form_reply.form.choices:
            picked = self._pick(choice)
            values[choice.action] = (
                list(choice.selected)
                if picked is None and choice.multi
                else (choice.selected[0] if choice.selected else None)
                if picked is None
                else picked
                if choice.multi
                else picked[0]
            )
        self.show(self._act(report_id, "correct", values=values))


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


def run_console(services, *, user: str = "you", console: Console | None = None, ask: Ask | None = None) -> None:  # type: ignore[no-untyped-def]
    """The interactive loop; Ctrl-D or `quit` ends it, also in the middle of a follow-up question."""
    console = console or Console()
    ask = _leaving(ask or (lambda prompt: console.input(Text(prompt + "\n> ", style="dim"))))
    session = ConsoleSession(services, user=user, console=console, ask=ask)
    console.print(WELCOME)
    try:
        offer = services.extras.get("console_first_start")
        if offer is not None:
            offer(session)
        while True:
            line = ask_line(console)
            session.handle_line(line)
    except _Leave:
        console.print("\n" + BYE)


def ask_line(console: Console) -> str:
    """The next line at the snag> prompt."""
    try:
        line = console.input("[bold cyan]snag>[/bold cyan] ")
    except (EOFError, KeyboardInterrupt):
        raise _Leave from None
    if line.strip().lower() in QUIT:
        raise _Leave
    return line
