"""Digest charts as PNG bytes (matplotlib, Agg backend: no display needed)."""

from __future__ import annotations

import io

from bot.taxonomy import Taxonomy
from digests.digest import Digest

__all__ = ["trend_png", "handoff_png"]


def _figure(width: float, height: float):  # type: ignore[no-untyped-def]
    import matplotlib

    matplotlib.use("Agg", force=True)
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), dpi=100)


def _png(fig) -> bytes:  # type: ignore[no-untyped-def]
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", bbox_inches="tight")
    return buffer.getvalue()


def trend_png(d: Digest) -> bytes | None:
    """Weekly reports of the most reported patterns over the last eight weeks."""
    lines = list(dict.fromkeys((*d.spiking, *d.top, *d.persistent)))[:5]
    if not lines:
        return None
    fig = _figure(7, 3.2)
    ax = fig.add_subplot()
    weeks = range(len(d.weeks))  # positions, labelled below: as strings the weeks would be parsed as dates
    for line in lines:
        ax.plot(weeks, line.counts, marker="o", label=f"#{line.id} {line.title[:40]}")
    ax.set_xticks(weeks, [w[5:] for w in d.weeks])
    ax.set_ylabel("reports per week")
    ax.set_title("Trend of the most reported patterns")
    ax.legend(fontsize=7, loc="upper left")
    ax.tick_params(axis="x", labelsize=7)
    return _png(fig)


def handoff_png(d: Digest, taxonomy: Taxonomy) -> bytes | None:
    """The from-team to-team matrix of broken handoffs (cells under k reporters are folded away)."""
    if not d.hotspots:
        return None
    teams = sorted({t for cell in d.hotspots for t in cell})
    grid = [[d.hotspots.get((a, b), 0) for b in teams] for a in teams]
    fig = _figure(5, 4)
    ax = fig.add_subplot()
    image = ax.imshow(grid, cmap="Reds")
    names = [taxonomy.title(t) if t != "?" else "unknown" for t in teams]
    ax.set_xticks(range(len(teams)), names, rotation=45, ha="right", fontsize=8)
    ax.set_yticks(range(len(teams)), names, fontsize=8)
    ax.set_xlabel("to team")
    ax.set_ylabel("from team")
    for i, row in enumerate(grid):
        for j, value in enumerate(row):
            if value:
                ax.text(j, i, str(value), ha="center", va="center", fontsize=8)
    fig.colorbar(image, ax=ax, shrink=0.8)
    ax.set_title("Handoff hotspots")
    return _png(fig)
