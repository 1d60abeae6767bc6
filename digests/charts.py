"""Digest charts as PNG bytes (matplotlib, Agg backend: no display needed)."""

from __future__ import annotations

import io
import math
from typing import TYPE_CHECKING

from bot.taxonomy import Taxonomy
from digests.digest import Digest, trend_counts, trend_lines
from digests.render import charted_cells

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["trend_png", "handoff_png", "heat_png"]


def _figure(width: float, height: float) -> Figure:
    import matplotlib

    matplotlib.use("Agg", force=True)
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), dpi=100)


def _png(fig: Figure) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", bbox_inches="tight")
    return buffer.getvalue()


def trend_png(d: Digest) -> bytes | None:
    """Weekly reports of the most reported patterns over the last eight weeks: a week's point only
    when at least k people reported the pattern that week (trend_counts), a gap in its line otherwise,
    as the digest's text shows a week's count."""
    lines = trend_lines(d)
    if not lines:
        return None
    fig = _figure(7, 3.2)
    ax = fig.add_subplot()
    weeks = range(len(d.weeks))  # positions, labelled below: as strings the weeks would be parsed as dates
    gaps = False
    for line in lines:
        counts = trend_counts(d, line)
        gaps = gaps or None in counts
        points = [math.nan if n is None else n for n in counts]  # matplotlib leaves a gap at NaN
        ax.plot(weeks, points, marker="o", label=f"#{line.id} {line.title[:40]}")
    ax.set_xticks(weeks, [w[5:] for w in d.weeks])
    ax.set_ylabel("reports per week")
    ax.set_title("Trend of the most reported patterns")
    if gaps:
        ax.set_xlabel(f"A gap: a week whose reports came from fewer than {d.k} people.", fontsize=8)
    ax.legend(fontsize=7, loc="upper left")
    ax.tick_params(axis="x", labelsize=7)
    return _png(fig)


def _matrix_png(grid: list[list[int]], rows: list[str], cols: list[str], *, x: str, y: str, title: str) -> bytes:
    fig = _figure(max(5.0, 0.7 * len(cols) + 2), max(4.0, 0.45 * len(rows) + 2))
    ax = fig.add_subplot()
    image = ax.imshow(grid, cmap="Reds", aspect="auto")
    ax.set_xticks(range(len(cols)), cols, rotation=45, ha="right", fontsize=8)
    ax.set_yticks(range(len(rows)), rows, fontsize=8)
    ax.set_xlabel(x)
    ax.set_ylabel(y)
    for i, row in enumerate(grid):
        for j, value in enumerate(row):
            if value:
                ax.text(j, i, str(value), ha="center", va="center", fontsize=8)
    fig.colorbar(image, ax=ax, shrink=0.8)
    ax.set_title(title)
    return _png(fig)


def _name(label: str, taxonomy: Taxonomy) -> str:
    return "unknown" if label in ("?", "unknown") else taxonomy.title(label)


def _rest(drawn: dict[tuple[str, str], int], cells: dict[tuple[str, str], int], folded: int) -> str:
    """Said under a chart that leaves cells out, so that an empty square is not read as none."""
    return "\n(what the table counts under Other is left out)" if folded or len(drawn) < len(cells) else ""


def handoff_png(d: Digest, taxonomy: Taxonomy) -> bytes | None:
    """The from-team to-team matrix of broken handoffs: the cells its table lists (render.charted_cells)."""
    cells = charted_cells(d, "hotspots")
    if not cells:
        return None
    teams = sorted({t for cell in cells for t in cell})
    grid = [[cells.get((a, b), 0) for b in teams] for a in teams]
    names = [_name(t, taxonomy) for t in teams]
    title = "Handoff hotspots" + _rest(cells, d.hotspots, d.hotspots_other)
    return _matrix_png(grid, names, names, x="to team", y="from team", title=title)


def heat_png(d: Digest, taxonomy: Taxonomy) -> bytes | None:
    """Stage by friction kind: every stage and kind of the taxonomy, with the cells its table lists
    (render.charted_cells); what the table counts under "Other" stays empty, and the caption says so."""
    cells = charted_cells(d, "heat")
    if not cells:
        return None
    stages = [*taxonomy.stage_labels, *(["unknown"] if any(s == "unknown" for s, _ in cells) else [])]
    kinds = list(taxonomy.kind_labels)
    grid = [[cells.get((s, k), 0) for k in kinds] for s in stages]
    return _matrix_png(
        grid,
        [_name(s, taxonomy) for s in stages],
        [_name(k, taxonomy) for k in kinds],
        x="friction kind",
        y="journey stage",
        title="Where it hurts: reports by stage and kind" + _rest(cells, d.heat, d.heat_other),
    )
