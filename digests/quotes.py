"""Which of a pattern's words the digest quotes: the week's latest report that nobody can trace.

A report filed where others see who wrote it (an @mention in a channel, a reaction or a shortcut
on someone's message) is never a quote: a search of the channel for its words would find the
person. It still counts everywhere. Among the rest, the latest that names nobody (no sign-off, no
"I'm Priya") is taken before a later one that would need its name scrubbed.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import bindparam, text

from bot.signoffs import names_writer
from bot.taxonomy import Taxonomy
from digests.reading import Bind, reading, sql_time
from store.privacy import RETAINED_TEXT

__all__ = ["POOL", "load_quotes", "pick"]

POOL = 5  # a pattern's latest texts of the week looked at for one quote


def pick(texts: list[str], taxonomy: Taxonomy) -> str | None:
    """The first text (newest first) that names nobody, read with the running taxonomy's teams,
    else the newest."""
    return next((t for t in texts if not names_writer(t, taxonomy)), texts[0] if texts else None)


def load_quotes(bind: Bind, ids: list[int], start: datetime, end: datetime, taxonomy: Taxonomy) -> dict[int, str]:
    """Each pattern's quote from inside the week (one query), among its POOL latest texts that
    were not filed in a shared place and that the retention policy has not removed."""
    if not ids:
        return {}
    query = text(
        "SELECT pattern_id, text FROM (SELECT pattern_id, text, ROW_NUMBER() OVER "
        "(PARTITION BY pattern_id ORDER BY created_at DESC, id DESC) AS rn FROM reports "
        "WHERE pattern_id IN :ids AND created_at >= :s AND created_at < :e AND text <> :removed "
        "AND NOT shared) AS latest WHERE rn <= :pool ORDER BY pattern_id, rn"
    ).bindparams(bindparam("ids", expanding=True))
    with reading(bind) as conn:
        params = {"ids": ids, "s": sql_time(start, conn), "e": sql_time(end, conn), "removed": RETAINED_TEXT}
        rows = conn.execute(query, params | {"pool": POOL}).all()
    texts: dict[int, list[str]] = {}
    for pid, body in rows:
        if body and body.strip():
            texts.setdefault(pid, []).append(body)
    return {pid: chosen for pid, candidates in texts.items() if (chosen := pick(candidates, taxonomy)) is not None}
