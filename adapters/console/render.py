"""Core replies as rich renderables for the terminal (pure functions)."""

from __future__ import annotations

from rich.console import Group, RenderableType
from rich.markdown import Markdown
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from bot.domain import Reply, Section

__all__ = ["render_reply"]

_STYLE = {"error": "red", "usage": "yellow", "receipt": "green", "saved": "green"}


def _section(section: Section) -> list[RenderableType]:
    out: list[RenderableType] = []
    if section.heading:
        out.append(Text(section.heading, style="bold"))
    if section.text:
        # Text, not markup: whatever a reporter typed is shown literally.
        out.append(Markdown(section.text) if section.text.startswith("#") else Text(section.text))
    if section.fields:
        table = Table.grid(padding=(0, 2))
        table.add_column(style="dim")
        table.add_column()
        for name, value in section.fields:
            table.add_row(Text(name), Text(value))
        out.append(table)
    return out


TITLE_WIDTH = 60


def render_reply(reply: Reply) -> RenderableType:
    """A panel with the reply's title, notices and sections."""
    parts: list[RenderableType] = [Text(n, style="yellow") for n in reply.notices]
    for section in reply.sections:
        parts.extend(_section(section))
    if reply.buttons:
        parts.append(Text("  ".join(f"[{b.label}]" for b in reply.buttons), style="cyan"))
    style = _STYLE.get(reply.kind, "blue")
    if not parts:
        return Text(reply.title, style=style)
    if len(reply.title) > TITLE_WIDTH:  # a panel's title is cut at its width: wrap it inside instead
        return Panel(Group(Text(reply.title, style="bold"), *parts), border_style=style)
    return Panel(Group(*parts), title=Text(reply.title), title_align="left", border_style=style)
