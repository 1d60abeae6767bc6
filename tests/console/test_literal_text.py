"""The terminal shows people's text character for character, and a digest's lists one item a line."""

from __future__ import annotations

import io
import re

from rich.console import Console

from adapters.console.chat import ConsoleSession
from adapters.console.render import render_reply
from bot.domain import Reply, Section

MARKDOWNISH = "#1 problem today: the _refund_ queue **never** moves"
WIDTH = 100


def session_with(services) -> tuple[ConsoleSession, io.StringIO]:  # type: ignore[no-untyped-def]
    out = io.StringIO()
    console = Console(file=out, width=WIDTH, color_system=None)
    return ConsoleSession(services, user="sam", console=console, ask=lambda _p: ""), out


def rendered(reply: Reply, width: int = WIDTH) -> str:
    out = io.StringIO()
    Console(file=out, width=width, color_system=None).print(render_reply(reply))
    return out.getvalue()


def test_a_report_starting_with_a_hash_is_echoed_as_typed_in_the_receipt_and_in_mine(services) -> None:  # type: ignore[no-untyped-def]
    chat, out = session_with(services)
    assert chat.handle_line(MARKDOWNISH).kind == "receipt"
    receipt = out.getvalue()
    assert MARKDOWNISH in receipt
    chat.handle_line("mine")
    assert out.getvalue().count(MARKDOWNISH) == 2


def test_markup_emoji_codes_and_control_characters_stay_visible() -> None:
    typed = "#2 [bold]payroll[/bold] :smile: <b>x</b> `code` > quote\x1b[2J"
    reply = Reply(
        kind="list",
        title=f"Reports matching “{typed}”",
        sections=(Section(heading=typed, text=typed, fields=(("Said", typed),)),),
        notices=(typed,),
    )
    text = rendered(reply, width=200)
    shown = typed.replace("\x1b", "\u241b")  # ESC as its visible symbol: no escape sequence reaches the terminal
    assert text.count(shown) == 4 + 1  # title, notice, heading, text, field
    assert "\x1b" not in text


def test_a_report_of_several_lines_keeps_its_lines_and_every_character() -> None:
    typed = "# Refunds\n\n- the _queue_ **never** moves\r\n1. nobody owns it"
    text = rendered(Reply(kind="receipt", title="Thanks", sections=(Section(heading="You said", text=typed),)))
    lines = [line.strip("│ ") for line in text.splitlines()]
    assert lines[2:6] == ["# Refunds", "", "- the _queue_ **never** moves", "1. nobody owns it"]


DIGEST_LIST = "\n".join(
    f"#{n} Delivery: courier, small, part, van, yard · 3 (none the week before) · received, owner Compliance"
    for n in (85, 88, 89, 91)
)


def test_a_digest_list_section_puts_each_item_on_its_own_line_and_indents_what_wraps() -> None:
    spiking = DIGEST_LIST + "\nSpiking means at least 3 reports this week."
    reply = Reply(kind="digest", title="Snag digest", sections=(Section(heading="Spiking", text=spiking),))
    lines = [line[2:-2].rstrip() for line in rendered(reply, width=80).splitlines()[1:-1]]
    assert lines[0] == "Spiking"
    starts = [i for i, line in enumerate(lines) if re.match(r"#\d+ ", line)]
    assert [lines[i][:4] for i in starts] == ["#85 ", "#88 ", "#89 ", "#91 "]
    for i in starts:  # an item too long for the width wraps under itself, two spaces in
        assert lines[i + 1].startswith("  ") and not lines[i + 1].startswith("   ")
    assert lines[-1] == "Spiking means at least 3 reports this week."


def test_the_digest_in_chat_lists_one_pattern_a_line(services) -> None:  # type: ignore[no-untyped-def]
    from digests.demo import load_demo

    load_demo(services)
    chat, out = session_with(services)
    reply = chat.handle_line("digest")
    assert reply.kind == "digest"
    shown = [line.strip("│ ") for line in out.getvalue().splitlines()]
    items = [line for s in reply.sections if "\n" in s.text for line in s.text.split("\n")]
    assert len(items) > 5
    for item in items:  # each item starts a line of its own (its start fits in any terminal)
        assert any(line.startswith(item[:40]) for line in shown), item
    assert not any(re.search(r"\S #\d+ \S", line) for line in shown)  # no item runs on after another
