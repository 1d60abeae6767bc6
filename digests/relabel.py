"""Stored tags moved to another label when the taxonomy renames or removes one (`snag relabel`).

Reports, patterns (their tags, their title's stage and the tag counts in Pattern.terms), corrections,
the digest subscriptions of a team or stage and their digest runs and alerts are rewritten in one
transaction. A report's classifier scores (Report.confidence) are left as the model gave them. A
subscription's latest week, given up because its label was missing, is opened again for the
scheduler to send.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Table, Text, bindparam, cast, delete, or_, select, update
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import OperationalError

from bot.errors import StoreUnavailable
from bot.taxonomy import Label, Taxonomy
from digests.engine import PatternState
from store.models import Alert, Correction, DigestRun, Pattern, Report, Subscription, team_counts_of

__all__ = ["AXES", "TABLES", "Relabel", "Relabelled", "relabel", "label_in", "like_label"]

AXES = ("stage", "kind", "team")
TABLES = ("reports", "patterns", "corrections", "subscriptions", "digest runs", "alerts")
# A pattern's tag counts in Pattern.terms (digests.engine.PatternState.to_terms): "xs:<stage>",
# "xk:<kind>", "xt:<team>", and "xh:<from>><to>" for its handoffs.
_TAG = {"stage": "xs:", "kind": "xk:", "team": "xt:"}
_HANDOFF = "xh:"
_MANY = 500  # rows per UPDATE ... executemany


def _table(model: Any) -> Table:
    table: Table = model.__table__  # SQLModel does not declare a table class's __table__
    return table


def _escaped(text: str) -> str:
    """`text` for a LIKE pattern with ESCAPE '\\': `_` and `%` taken as themselves."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def like_label(label: str) -> str:
    """A LIKE pattern finding `label` as a JSON string ("bed_management", quoted)."""
    return f'%"{_escaped(label)}"%'


def label_in(column: Any, label: str) -> ColumnElement[bool]:
    """Whether a JSON list (or object) column holds `label` as a string: cheap, and the same SQL on
    SQLite and PostgreSQL; a row it finds is checked again in Python."""
    return cast(column, Text).like(like_label(label), escape="\\")


@dataclass(frozen=True)
class Relabel:
    """One stored label of an axis moved to another label, or removed (`new` None)."""

    axis: str  # stage | kind | team
    old: str
    new: str | None

    def one(self, label: str | None) -> str | None:
        return self.new if label == self.old else label

    def many(self, labels: Iterable[str]) -> list[str]:
        """The labels with `old` replaced (or left out), each once, in their order."""
        moved = (self.one(label) for label in labels)
        return list(dict.fromkeys(label for label in moved if label))

    def tags(self, tags: Any) -> Any:
        """A correction's before/after ({"stage", "kinds", "teams", "handoff": {"from", "to"}, ...})."""
        if not isinstance(tags, dict):
            return tags
        out = dict(tags)
        if self.axis == "stage" and "stage" in out:
            out["stage"] = self.one(out["stage"])
        key = {"kind": "kinds", "team": "teams"}.get(self.axis)
        if key and isinstance(out.get(key), list):
            out[key] = self.many(out[key])
        handoff = out.get("handoff")
        if self.axis == "team" and isinstance(handoff, dict):
            sides = {side: self.one(handoff.get(side)) for side in ("from", "to")}
            out["handoff"] = {**handoff, **sides} if any(sides.values()) else None
        return out

    def terms(self, terms: Mapping[str, float]) -> dict[str, float]:
        """A pattern's terms with the label's tag counts under the new key, added to any already
        there (for kinds and teams, at most the pattern's reports: one report may have had both)."""
        out: dict[str, float] = {}
        merged: set[str] = set()
        for key, value in terms.items():
            moved = self._term_key(key)
            if moved is None:
                continue
            if moved != key or moved in out:
                merged.add(moved)
            out[moved] = out.get(moved, 0.0) + value
        members = terms.get("_n")
        for key in merged:
            if key in out and members and key[:3] in ("xk:", "xt:"):
                out[key] = min(out[key], float(members))
        return out

    def _term_key(self, key: str) -> str | None:
        prefix = _TAG[self.axis]
        if key == f"{prefix}{self.old}":
            return f"{prefix}{self.new}" if self.new else None
        if self.axis != "team" or not key.startswith(_HANDOFF):
            return key
        source, arrow, target = key[len(_HANDOFF) :].partition(">")
        if not arrow or self.old not in (source, target):
            return key
        source, target = self.one(source or None) or "", self.one(target or None) or ""
        return f"{_HANDOFF}{source}>{target}" if source or target else None


@dataclass
class Relabelled:
    """Rows changed per table (TABLES), and the subscriptions that went rather than moved."""

    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(TABLES, 0))
    merged: int = 0  # subscriptions removed: their destination already had the new label's digest
    dropped: int = 0  # subscriptions removed: their label was removed, and no digest is built for it
    # Weeks given up while the label was missing: (subscription, period) opened again for the
    # scheduler to send, and how many earlier ones stay given up.
    reopened: list[tuple[int, str]] = field(default_factory=list)
    still_given_up: int = 0

    @property
    def total(self) -> int:
        return sum(self.counts.values())


Rows = list[dict[str, Any]]  # {"id": ..., column: new value}


def relabel(
    engine: Engine, change: Relabel, taxonomy: Taxonomy, *, write: bool = True, now: datetime | None = None
) -> Relabelled:
    """Move every stored `change.old` of its axis to `change.new`, in one transaction (only counted
    unless `write`). On SQLite the write lock is taken first, so nothing is written in between.
    `now` says which week the scheduler sends next (_reopen)."""
    done = Relabelled()
    try:
        with engine.connect() as conn:
            if write and conn.dialect.name == "sqlite":
                conn.exec_driver_sql("BEGIN IMMEDIATE")
            planned: list[tuple[str, Table, Rows]] = [
                ("reports", _table(Report), _reports(conn, change)),
                ("patterns", _table(Pattern), _patterns(conn, change, taxonomy)),
                ("corrections", _table(Correction), _corrections(conn, change)),
            ]
            for name, table, rows in planned:
                done.counts[name] = len(rows)
                if write:
                    _update(conn, table, rows)
            if change.axis in ("stage", "team"):
                _audiences(conn, change, done, write=write, now=now or datetime.now(UTC))
            if write:
                conn.commit()
            else:
                conn.rollback()
    except OperationalError as exc:
        raise StoreUnavailable("The database cannot be reached right now; nothing was relabelled.") from exc
    return done


def _update(conn: Connection, table: Table, rows: Rows) -> None:
    """Each row's new values, by id, in executemany batches."""
    if not rows:
        return
    columns = [name for name in rows[0] if name != "id"]
    statement = (
        update(table)
        .where(table.c.id == bindparam("row_id"))
        .values({name: bindparam(f"new_{name}", type_=table.c[name].type) for name in columns})
    )
    params = [{"row_id": row["id"], **{f"new_{name}": row[name] for name in columns}} for row in rows]
    for start in range(0, len(params), _MANY):
        conn.execute(statement, params[start : start + _MANY])


def _changed(rows: Iterable[Any], rewrite: Callable[[Any], dict[str, Any]]) -> Rows:
    """The rows whose rewrite differs from what is stored, as {"id", column: new value}."""
    out: Rows = []
    for row in rows:
        new = rewrite(row)
        if any(new[name] != getattr(row, name) for name in new):
            out.append({"id": row.id, **new})
    return out


def _reports(conn: Connection, change: Relabel) -> Rows:
    t = _table(Report)
    if change.axis == "stage":
        found = conn.execute(select(t.c.id, t.c.stage).where(t.c.stage == change.old))
        return _changed(found, lambda r: {"stage": change.one(r.stage)})
    if change.axis == "kind":
        found = conn.execute(select(t.c.id, t.c.kinds).where(label_in(t.c.kinds, change.old)))
        return _changed(found, lambda r: {"kinds": change.many(r.kinds or [])})
    mentions = or_(label_in(t.c.teams, change.old), t.c.handoff_from == change.old, t.c.handoff_to == change.old)
    found = conn.execute(select(t.c.id, t.c.teams, t.c.handoff_from, t.c.handoff_to).where(mentions))
    return _changed(found, lambda r: _report_teams(change, r))


def _report_teams(change: Relabel, row: Any) -> dict[str, Any]:
    sides = change.one(row.handoff_from), change.one(row.handoff_to)
    return {"teams": change.many(row.teams or []), "handoff_from": sides[0], "handoff_to": sides[1]}


def _patterns(conn: Connection, change: Relabel, taxonomy: Taxonomy) -> Rows:
    t = _table(Pattern)
    tag = f"{_TAG[change.axis]}{change.old}"
    mentions = [label_in(t.c.terms, tag)]
    if change.axis == "stage":
        mentions.append(t.c.stage == change.old)
    else:
        mentions.append(label_in(t.c.kinds if change.axis == "kind" else t.c.teams, change.old))
    if change.axis == "team":  # a handoff key, "xh:<old>>..." or "xh:...><old>": found as text, checked below
        text, old = cast(t.c.terms, Text), _escaped(change.old)
        mentions += [text.like(f"%{old}>%", escape="\\"), text.like(f"%>{old}%", escape="\\")]
    columns = (t.c.id, t.c.stage, t.c.kinds, t.c.teams, t.c.title, t.c.terms, t.c.team_counts)
    found = conn.execute(select(*columns).where(or_(*mentions)))
    return _changed(found, lambda r: _pattern(change, r, taxonomy))


def _pattern(change: Relabel, row: Any, taxonomy: Taxonomy) -> dict[str, Any]:
    terms = change.terms(row.terms or {})
    stage, title = row.stage, row.title
    if change.axis == "stage" and row.stage == change.old:
        # A removed stage: the pattern takes the stage its other reports give it, as grouping would.
        stage = change.new or PatternState.from_terms(0, terms).stage
        title = _retitle(row.title, change.old, stage, taxonomy)
    kinds = change.many(row.kinds or []) if change.axis == "kind" else row.kinds
    teams = change.many(row.teams or []) if change.axis == "team" else row.teams
    return {
        "stage": stage,
        "kinds": kinds,
        "teams": teams,
        "title": title,
        "terms": terms,
        "team_counts": team_counts_of(terms),
    }


def _retitle(title: str, old: str, stage: str | None, taxonomy: Taxonomy) -> str:
    """A title made under the old stage ("Follow up: ...") under the new one, or none (digests.titles)."""
    head = f"{Label(old).title}: "
    if not title.startswith(head):
        return title
    rest = title[len(head) :]
    return (f"{taxonomy.title(stage)}: {rest}" if stage else rest.capitalize())[:200]


def _corrections(conn: Connection, change: Relabel) -> Rows:
    t = _table(Correction)
    mentions = or_(t.c.before.is_not(None) & label_in(t.c.before, change.old), label_in(t.c.after, change.old))
    found = conn.execute(select(t.c.id, t.c.before, t.c.after).where(mentions))
    return _changed(found, lambda r: {"before": change.tags(r.before), "after": change.tags(r.after)})


def _audiences(conn: Connection, change: Relabel, done: Relabelled, *, write: bool, now: datetime) -> None:
    """Subscriptions to `axis:old` move to `axis:new` (or go, with the label), and so do the keys of
    their digest runs and alerts (`axis:old#<subscription>`), so no week is sent twice; the week
    given up while the label was missing is opened again (_reopen)."""
    old, new = f"{change.axis}:{change.old}", f"{change.axis}:{change.new}" if change.new else None
    subs = _table(Subscription)
    found = conn.execute(
        select(subs.c.id, subs.c.tenant_id, subs.c.platform, subs.c.destination).where(subs.c.audience == old)
    ).all()
    moved: list[int] = []
    gone: list[int] = []
    for row in found:
        taken = (
            new is not None
            and conn.execute(
                select(subs.c.id).where(
                    subs.c.tenant_id == row.tenant_id,
                    subs.c.audience == new,
                    subs.c.platform == row.platform,
                    subs.c.destination == row.destination,
                )
            ).first()
        )
        (gone if new is None or taken else moved).append(row.id)
    done.counts["subscriptions"] = len(found)
    done.merged, done.dropped = (len(gone), 0) if new else (0, len(gone))
    if write:
        _update(conn, subs, [{"id": sid, "audience": new} for sid in moved])
        if gone:
            conn.execute(delete(subs).where(subs.c.id.in_(gone)))
    if new is None:
        return
    for name, model in (("digest runs", DigestRun), ("alerts", Alert)):
        table = _table(model)
        keyed = table.c.audience.like(f"{_escaped(old)}#%", escape="\\")
        keys = conn.execute(select(table.c.id, table.c.audience).where(keyed))
        rows = [r for r in keys if r.audience.startswith(f"{old}#")]  # SQLite's LIKE ignores case
        renamed = [{"id": r.id, "audience": f"{new}{r.audience[len(old) :]}"[:120]} for r in rows]
        done.counts[name] = len(renamed)
        if write:
            _update(conn, table, renamed)
    _reopen(conn, change, moved, done, write=write, now=now)


def _reopen(
    conn: Connection, change: Relabel, moved: list[int], done: Relabelled, *, write: bool, now: datetime
) -> None:
    """Digest runs of the moved subscriptions given up because `old` was not in the taxonomy: the
    one of the week the scheduler's retry sends now (_due_weeks) becomes a failed run with an
    attempt left, which that retry claims and sends; an earlier week stays given up, as the
    scheduler sends no other week."""
    from digests.subscriptions import MAX_ATTEMPTS

    if not moved or change.new is None:
        return
    runs = _table(DigestRun)
    keys = {
        f"{change.axis}:{label}#{sid}": sid for sid in moved for label in (change.old, change.new)
    }  # a dry run reads the old keys, a relabelling the keys just renamed
    missing = f"`{change.old}` is not a {change.axis}"  # read_label's InputError, as the run recorded it
    lost = conn.execute(
        select(runs.c.id, runs.c.audience, runs.c.period, runs.c.attempts).where(
            runs.c.audience.in_(keys), runs.c.status == "gave_up", runs.c.error.contains(missing, autoescape=True)
        )
    ).all()
    due = _due_weeks(conn, moved, now)
    again = [r for r in lost if due.get(keys[r.audience]) == r.period]
    done.reopened = sorted((keys[r.audience], r.period) for r in again)
    done.still_given_up = len(lost) - len(again)
    error = f"given up while {change.axis} {change.old} was not in the taxonomy; sent again after `snag relabel`"
    if write:
        attempts = {r.id: min(r.attempts, MAX_ATTEMPTS - 1) for r in again}
        _update(
            conn, runs, [{"id": rid, "status": "failed", "attempts": n, "error": error} for rid, n in attempts.items()]
        )


def _due_weeks(conn: Connection, subscription_ids: list[int], now: datetime) -> dict[int, str]:
    """The week each subscription's digest is sent for by the scheduler's catch-up and retry now
    (digests.scheduler.DigestScheduler.catch_up): that of the latest time its schedule fired within
    LATE, if after it was made."""
    from digests.digest import period_of
    from digests.scheduler import LATE, previous_fire_time
    from digests.subscriptions import cron_trigger
    from digests.week import digest_week
    from store.reports import aware

    subs = _table(Subscription)
    due: dict[int, str] = {}
    for sid, cron, zone, created in conn.execute(
        select(subs.c.id, subs.c.cron, subs.c.timezone, subs.c.created_at).where(subs.c.id.in_(subscription_ids))
    ):
        try:
            fired = previous_fire_time(cron_trigger(cron, zone), now, LATE)
        except (ValueError, LookupError):  # a schedule the scheduler cannot read sends nothing either
            continue
        if fired is not None and fired > aware(created):
            due[sid] = period_of(digest_week(fired.astimezone(ZoneInfo(zone)))[0])
    return due


def relabel_files(folder: Path, change: Relabel, *, write: bool) -> int:
    """The organisation's labelled files kept for training (`snag train --labelled`, under the data
    directory) relabelled as the database is: a line naming a label the taxonomy no longer has would
    be skipped by every later training. Returns the lines changed; other lines are kept as they are."""
    changed = 0
    for path in sorted(folder.glob("*.jsonl")) if folder.is_dir() else []:
        lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
        out = []
        for line in lines:
            try:
                row = json.loads(line)
            except ValueError:
                out.append(line)
                continue
            moved = _moved_row(row, change) if isinstance(row, dict) else row
            if moved == row:
                out.append(line)
                continue
            changed += 1
            out.append(json.dumps(moved, ensure_ascii=False) + "\n")
        if write and out != lines:
            kept = path.with_suffix(".jsonl.tmp")
            kept.write_text("".join(out), encoding="utf-8")
            kept.replace(path)
    return changed


def _moved_row(row: dict[str, Any], change: Relabel) -> dict[str, Any]:
    """One labelled line with the label moved, as a report's tags are."""
    row = dict(row)
    if change.axis == "stage" and row.get("stage") == change.old:
        row["stage"] = change.new
    elif change.axis == "kind" and isinstance(row.get("kinds"), list):
        row["kinds"] = change.many(row["kinds"])
    elif change.axis == "team":
        if isinstance(row.get("teams"), list):
            row["teams"] = change.many(row["teams"])
        handoff = row.get("handoff")
        if isinstance(handoff, dict) and change.old in (handoff.get("from"), handoff.get("to")):
            sides = {side: change.one(handoff.get(side)) for side in ("from", "to")}
            row["handoff"] = sides if all(sides.values()) else None
    return row
