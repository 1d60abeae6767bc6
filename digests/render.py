"""A digest as a platform-neutral Reply (Block Kit and Adaptive Cards come from it) and as Markdown."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime, timedelta

from bot.domain import Reply, Section
from bot.listings import status_words
from bot.taxonomy import Taxonomy
from digests.digest import MOST, Digest, PatternLine
from digests.signals import PERSIST_M, PERSIST_N

__all__ = [
    "to_reply",
    "to_markdown",
    "change",
    "week_dates",
    "listed_cells",
    "charted_cells",
    "SECTION_TITLES",
    "MAX_CELLS",
    "HEAT_NOTE",
]

SECTION_TITLES = {
    "new": "New this week",
    "spiking": "Spiking",
    "persistent": f"Persistent ({PERSIST_N} of the last {PERSIST_M} weeks, not fading)",
    "fading": "Fading",
    "unowned": "Nobody owns this gap (no owner for over two weeks)",
    "resolved": "You said, we did (resolved this week)",
}


def change(now: int, before: int) -> str:
    """'12 (+4 vs last week)' or '12 (new)'."""
    if before == 0:
        return f"{now} (none the week before)" if now else "0"
    diff = now - before
    pct = round(100 * diff / before)
    return f"{now} ({'+' if diff >= 0 else ''}{diff}, {'+' if pct >= 0 else ''}{pct}% vs last week)"


def _status(line: PatternLine) -> str:
    words = status_words(line.status, again=line.again)
    return f"{words}, owner {line.owner}" if line.owner else f"{words}, no owner"


def _few(k: int) -> str:
    """What a week's count from fewer than k people reads as, none included: told apart, "0" and
    "from fewer than k people" would say that one or two people reported it."""
    return f"from fewer than {k} people"


def _line_change(line: PatternLine, k: int) -> str:
    """A line's reports this week against the week before, each week's only when from k people."""
    now, before = line.shown(k)
    if now is None:
        return f"{_few(k)} this week" + (f" ({before} the week before)" if before is not None else "")
    if before is None:
        return f"{now} ({_few(k)} the week before)"
    return change(now, before)


def _line_text(line: PatternLine, k: int) -> str:
    return f"#{line.id} {line.title} · {_line_change(line, k)} · {_status(line)}"


def _lines(d: Digest, key: str) -> list[str]:
    """A section's pattern lines, then "…and N more" when more patterns meet its rule than it lists
    (only patterns with at least k reporters are counted; past MOST, "at least")."""
    lines: tuple[PatternLine, ...] = getattr(d, key)
    more = d.sizes.get(key, 0) - len(lines)
    if more <= 0:
        return [_line_text(x, d.k) for x in lines]
    return [_line_text(x, d.k) for x in lines] + [f"…and {'at least ' if d.sizes[key] >= MOST else ''}{more} more"]


def _folded(n: int, countable: bool, k: int) -> str:
    """Reports folded into one "other": their number only when they come from at least k people,
    since a handful of people's reports could point at them."""
    return str(n) if countable else _few(k)


MAX_CELLS = 8  # cells a table lists, and its chart draws; the rest count under "Other"
# Said under the stage x kind table, whose cells count a report once per kind it has.
HEAT_NOTE = (
    "A report of several kinds counts in each of their cells, so the cells can add up to more than the week's reports."
)


Cell = tuple[str, str]


def listed_cells(d: Digest, table: str) -> dict[Cell, int]:
    """The cells a table ("hotspots" or "heat") lists; its chart draws the same (charted_cells)."""
    return _table(d, table)[0]


def charted_cells(d: Digest, table: str) -> dict[Cell, int]:
    """The cells a table's chart draws: exactly those the table lists, so that chart and table agree
    and the chart's caption ("what the table counts under Other is left out") holds; a cell the
    table counts under "Other" is not drawn, even one of k people."""
    return listed_cells(d, table)


def _table(d: Digest, table: str) -> tuple[dict[Cell, int], int, bool]:
    """A table's busiest MAX_CELLS cells, the reports under its "Other" and whether they are counted.

    "Other" holds the rest and the cells under k reporters (counted when those together have k
    reporters; a cell past the busiest has k of its own, so an "Other" holding one is counted).
    When the cells hold the week's reports once each, "Other" would be the total less the cells
    listed: if the total is not shown, "Other" is not counted either; if it is and "Other" is from
    fewer than k people, the smallest cell listed joins it, so that it is from k and counted."""
    cells, folded, countable, adds_up = (
        (d.heat, d.heat_other, d.heat_other_countable, d.heat_add_up)
        if table == "heat"
        else (d.hotspots, d.hotspots_other, d.hotspots_other_countable, d.hotspots_add_up)
    )
    ranked = sorted(cells.items(), key=lambda kv: (-kv[1], kv[0]))
    listed, rest = ranked[:MAX_CELLS], folded + sum(n for _, n in ranked[MAX_CELLS:])
    counted = countable or len(ranked) > MAX_CELLS
    if adds_up and not d.total_countable:
        counted = False
    elif adds_up and rest and not counted:
        rest += listed.pop()[1] if listed else 0
        counted = True
    return dict(listed), rest, counted


def _cells(d: Digest, table: str, taxonomy: Taxonomy, arrow: str) -> list[tuple[str, str]]:
    """A table's rows: its listed cells, then "Other" (see _table)."""
    listed, rest, counted = _table(d, table)
    rows = [
        (f"{taxonomy.title(a) if a != '?' else '?'}{arrow}{taxonomy.title(b) if b != '?' else '?'}", str(n))
        for (a, b), n in listed.items()
    ]
    return rows + ([("Other", _folded(rest, counted, d.k))] if rest else [])


def _week_on_week(d: Digest) -> str:
    """The audience's reports against the week before. Less the counts the lines show, either
    total gives the reports no line counts: when those are from fewer than k people (or, the week
    before, may be: who wrote them is not known), it is not shown; the counts shown are a floor."""
    if not d.total_countable:
        return f"at least {d.total - d.other_reports}"
    if not d.prev_countable:
        return str(d.total)
    return change(d.total, d.total_prev)


def _summary(d: Digest) -> Section:
    return Section(
        heading=f"Week {d.period} ({d.week_start:%d %b} to {d.week_end - timedelta(days=1):%d %b %Y})",
        fields=(("Reports", _week_on_week(d)), ("People reporting", str(d.reporters))),
    )


def _pattern_sections(d: Digest) -> Iterable[Section]:
    for key, title in SECTION_TITLES.items():
        if getattr(d, key):
            note = [d.spike_rule] if key == "spiking" else []
            yield Section(heading=title, text="\n".join(_lines(d, key) + note))


def to_reply(d: Digest, taxonomy: Taxonomy) -> Reply:
    """The digest as sections every adapter renders (Block Kit, Adaptive Card, terminal)."""
    title = f"Snag digest · {d.audience_label} · {d.period}"
    if d.suppressed:
        return Reply(kind="digest", title=title, sections=(Section(text=_too_few(d)),), ephemeral=False)
    sections = [_summary(d), *_pattern_sections(d)]
    if d.top:
        sections.append(Section(heading="Most reported", text="\n".join(_lines(d, "top"))))
    if d.hotspots or d.hotspots_other:
        fields = _cells(d, "hotspots", taxonomy, " → ")
        sections.append(Section(heading="Handoff hotspots (reports)", fields=tuple(fields)))
    if d.heat or d.heat_other:
        fields = _cells(d, "heat", taxonomy, " · ")
        sections.append(Section(heading="Where it hurts: stage · kind (reports)", text=HEAT_NOTE, fields=tuple(fields)))
    for pid, quote in d.quotes:
        sections.append(Section(heading=f"In their words (pattern #{pid})", text=f"“{quote}”"))
    if d.other_reports:
        sections.append(Section(text=_not_listed(d)))
    if len(sections) == 1:
        sections.append(Section(text="No patterns this week."))
    return Reply(kind="digest", title=title, sections=tuple(sections), ephemeral=False)


def week_dates(d: Digest) -> str:
    """The digest's week as people read it: "16–22 Nov 2026", "30 Nov – 6 Dec 2026"."""
    first, last = d.week_start, d.week_end - timedelta(days=1)
    if (first.year, first.month) == (last.year, last.month):
        return f"{first.day}–{last.day} {last:%b %Y}"
    if first.year == last.year:
        return f"{first.day} {first:%b} – {last.day} {last:%b %Y}"
    return f"{first.day} {first:%b %Y} – {last.day} {last:%b %Y}"


def _too_few(d: Digest) -> str:
    """Why a digest shows nothing: the week it covers (the last whole week, not the one under way)
    and when the reports made since appear, so a preview mid-week does not read as "nobody".
    Nobody and fewer than k people read alike: told apart, they would say that one or two people
    in the audience reported that week."""
    week = week_dates(d)
    said = (
        f"Nothing to show for {week}, the week this digest covers: a digest shows only what {d.k} people"
        " or more reported, so each person's details stay private."
    )
    since, following = _day(d.week_end), _day(d.week_end + timedelta(days=7))
    return f"{said} Reports made since Monday {since} go into the next digest, from Monday {following}."


def _day(when: datetime) -> str:
    return f"{when.day} {when:%b}"


def _not_listed(d: Digest) -> str:
    """The week's reports in patterns no section lists, and in the lines whose count this week is
    not shown (from fewer than k people); counted only when from at least k people."""
    every = f"among them every pattern with fewer than {d.k} reporters."
    lines = (x for key in (*SECTION_TITLES, "top") for x in getattr(d, key))
    where = "in other patterns"
    if any(x.shown(d.k)[0] is None for x in lines):
        where += " and in the lines above that give no count"
    if d.other_countable:
        return f"Not listed: {d.other_reports} more report(s) this week {where}, {every}"
    return f"Not listed: more report(s) this week {_few(d.k)}, {where}, {every}"


# What makes markup anywhere in a line: emphasis, code, links and images ("[", then "](" after
# it), raw HTML and autolinks ("<"), table cells ("|"), strikethrough, and the backslash itself.
# Other punctuation ("(", "!", "#", ">") acts only beside these or at a line's start, so it stays as
# typed and the Markdown still reads plainly in a terminal.
_MD_INLINE = re.compile(r"([\\`*_\[\]<|~])")
# An entity ("&amp;", "&#60;") would show as the character it names.
_MD_ENTITY = re.compile(r"&(?=#?\w+;)")
# What starts a block at a line's beginning: a heading, a quote, a list item, a rule or underline.
_MD_BLOCK = re.compile(r"^([ \t]*)(#{1,6}(?=[ \t]|$)|>|[-+=](?=[ \t]|$|[-=])|\d{1,9}(?=[.)](?:[ \t]|$)))", re.MULTILINE)


def _md_escape(text: str) -> str:
    """Report text exactly as typed once rendered: a backslash before each character that would
    make markup (CommonMark lets any punctuation be escaped so), not HTML entities."""
    text = _MD_ENTITY.sub(r"\\&", _MD_INLINE.sub(r"\\\1", text))
    return _MD_BLOCK.sub(_block_escape, text)


def _block_escape(m: re.Match[str]) -> str:
    indent, marker = m.group(1), m.group(2)
    if marker.isdigit():  # "1. " starts an ordered list: the escape goes before its full stop
        return f"{indent}{marker}\\"
    return f"{indent}\\{marker}"


def _md_table(header: tuple[str, str], rows: list[tuple[str, str]]) -> list[str]:
    out = [f"| {header[0]} | {header[1]} |", "| --- | ---: |"]
    return out + [f"| {_md_escape(a)} | {b} |" for a, b in rows]


def to_markdown(d: Digest, taxonomy: Taxonomy) -> str:
    """The digest as Markdown for the console and e-mail."""
    reply = to_reply(d, taxonomy)
    out = [f"# {_md_escape(reply.title)}", ""]
    for section in reply.sections:
        if section.heading:
            out += [f"## {_md_escape(section.heading)}", ""]
        if section.fields and section.heading and ("hotspots" in section.heading or "hurts" in section.heading):
            out += _md_table(("", "reports"), list(section.fields)) + [""]
        elif section.fields:
            out += [f"- **{_md_escape(k)}:** {_md_escape(v)}" for k, v in section.fields] + [""]
        if section.text:
            prefix = "> " if section.text.startswith("“") else "- "
            lines = section.text.split("\n")
            notes = (d.spike_rule, HEAT_NOTE)  # said of a section, not items of it
            rule = [x for x in lines if x in notes]
            out += [prefix + _md_escape(x) for x in lines if x not in notes]
            out += [f"\n_{_md_escape(r)}_" for r in rule] + [""]
    return "\n".join(out).rstrip() + "\n"
