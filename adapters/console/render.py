"""Core replies as rich renderables for the terminal (pure functions).

Every string of a reply is shown as plain `Text`, never as markup or Markdown: what a reporter
typed (`#1 problem`, `_refund_`, `**never**`, `[bold]`, `:smile:`) appears character for character.
"""

from __future__ import annotations

from rich.console import Console, ConsoleOptions, Group, RenderableType, RenderResult
from rich.measure import Measurement
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from bot.domain import Reply, Section

__all__ = ["render_reply", "plain"]

_STYLE = {"error": "red", "usage": "yellow", "receipt": "green", "saved": "green"}
HANGING_INDENT = 2  # a wrapped line of a list continues this far in, so each item reads as one
# Control characters would move the cursor or recolour the terminal: show them as their symbols.
_VISIBLE = {c: 0x2400 + c for c in range(0x20) if chr(c) not in "\t\n"} | {0x7F: 0x2421}
_VISIBLE |= dict.fromkeys(range(0x80, 0xA0), 0xFFFD)


def plain(text: str, style: str = "") -> Text:
    """A reply's string as literal terminal text (line breaks kept, control characters visible)."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n")
    return Text(lines.translate(_VISIBLE), style=style)


class Lines:
    """Text of several lines (a digest's list of patterns): one per line, wrapped ones indented."""

    def __init__(self, text: str, indent: int = HANGING_INDENT) -> None:
        self.text = plain(text)
        self.indent = indent

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        width = max(options.max_width - self.indent, 1)
        pad = " " * self.indent
        for line in self.text.split("\n"):
            for i, part in enumerate(line.wrap(console, width)):
                yield Text(pad) + part if i else part

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        return Measurement.get(console, options, self.text)


def _section(section: Section) -> list[RenderableType]:
    out: list[RenderableType] = []
    if section.heading:
        out.append(plain(section.heading, style="bold"))
    if section.text:
        out.append(Lines(section.text) if "\n" in section.text else plain(section.text))
    if section.fields:
        table = Table.grid(padding=(0, 2))
        table.add_column(style="dim")
        table.add_column()
        for name, value in section.fields:
            table.add_row(plain(name), plain(value))
        out.append(table)
    return out


TITLE_WIDTH = 60


def render_reply(reply: Reply) -> RenderableType:
    """A panel with the reply's title, notices and sections."""
    parts: list[RenderableType] = [plain(n, style="yellow") for n in reply.notices]
    for section in reply.sections:
        parts.extend(_section(section))
    if reply.buttons:
        parts.append(plain("  ".join(f"[{b.label}]" for b in reply.buttons), style="cyan"))
    style = _STYLE.get(reply.kind, "blue")
    if not parts:
        return plain(reply.title, style=style)
    if len(reply.title) > TITLE_WIDTH:  # a panel's title is cut at its width: wrap it inside instead
        return Panel(Group(plain(reply.title, style="bold"), *parts), border_style=style)
    return Panel(Group(*parts), title=plain(reply.title), title_align="left", border_style=style)
