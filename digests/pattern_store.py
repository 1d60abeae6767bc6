"""A tenant's patterns in the database as the grouping engine's store, with an in-process word index."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from sqlmodel import Session, col, select

from bot.taxonomy import Taxonomy
from digests.counts import count_terms
from digests.engine import PatternState, ReportFeatures
from digests.features import DOCS, OwnIdf
from digests.index import WordIndex
from digests.pattern_rows import Tables, aware, write_pattern
from store.models import Pattern, TermCount

__all__ = ["SqlPatternStore", "RESYNC", "PENDING", "HOPS", "merge_end"]

RESYNC = 50  # reports other processes counted before this one reloads the term counts
# In Pattern.terms: an erasure took every word of the erased reports out of this pattern, which is
# still to be worked out exactly from its members (see SqlGrouper.forget); kept until it is.
PENDING = "_e"
HOPS = 20  # merges followed from a pattern to where its reports are now (12 into 7, 7 into 3, ...)


class SqlPatternStore:
    """A tenant's patterns in the database, with an in-process inverted index over their words."""

    def __init__(self, tenant_id: int, taxonomy: Taxonomy) -> None:
        self.tenant_id = tenant_id
        self.taxonomy = taxonomy
        self.index = WordIndex()
        self.known = 0
        self.session: Session | None = None
        self.own: OwnIdf | None = None
        self.pending: set[int] = set()  # patterns seen marked PENDING

    def refresh(self, session: Session) -> None:
        """Index patterns other processes created since we last looked."""
        self.session = session
        rows = session.exec(
            select(Pattern.id, Pattern.terms, Pattern.merged_into)
            .where(col(Pattern.tenant_id) == self.tenant_id, col(Pattern.id) > self.known)
            .order_by(col(Pattern.id))
        ).all()
        for pid, terms, merged in rows:
            assert pid is not None  # a stored row's key
            if merged is not None:  # merged into another: never a candidate
                self.known = max(self.known, pid)
                continue
            self.index.update(pid, (), (key[2:] for key in terms or {} if key.startswith("w:")))
            if PENDING in (terms or {}):
                self.pending.add(pid)
            self.known = max(self.known, pid)
        counted = session.exec(
            select(TermCount.docs).where(col(TermCount.tenant_id) == self.tenant_id, col(TermCount.term) == DOCS)
        ).first()
        if self.own is None or (counted or 0) - self.own.docs >= RESYNC:  # first use, or others counted many
            counts = session.exec(
                select(TermCount.term, TermCount.docs).where(col(TermCount.tenant_id) == self.tenant_id)
            ).all()
            self.own = OwnIdf(dict(counts))

    def rewritten(
        self, words: Mapping[int, tuple[Iterable[str], Iterable[str]]], uncounted: Mapping[str, int] | None = None
    ) -> None:
        """Patterns rewritten elsewhere in this process (an erasure, or working its patterns out
        again): (old, new) centroid words of each into the index, and the term counts an erasure
        took back off those held here, as off the database's, so none is read again for it."""
        for pid, (old, new) in words.items():
            self.index.update(pid, old, new)
        if uncounted and self.own is not None:
            self.own.remove(uncounted)

    def learn(self, text: str) -> Tables:
        """Count a new report's words (here and in the database) and return the tables to weigh it by."""
        assert self.session is not None and self.own is not None
        count_terms(self.session, tenant_id=self.tenant_id, keys=self.own.add(text))
        return self.own.tables

    def candidates(self, words: Mapping[str, float], limit: int) -> list[int]:
        """The patterns sharing most weight with these words, best first."""
        return self.index.top(words, limit)

    def load(self, ids: Sequence[int]) -> list[PatternState]:
        """The grouping state of these patterns, in the order asked (missing ones left out).

        A pattern merged into another (digests.merging) never takes a report: the one its reports
        went to is loaded in its place, and this process's word index, which a merge made in another
        process did not reach, loses the merged pattern's words and learns its target's."""
        assert self.session is not None
        if not ids:
            return []
        rows = {r.id: r for r in self.session.exec(select(Pattern).where(col(Pattern.id).in_(list(ids)))).all()}
        order = list(ids)
        if any(r.merged_into is not None for r in rows.values()):
            order = self._followed(rows, order)
        by_id = {
            r.id: PatternState.from_terms(r.id, r.terms or {}, aware(r.first_seen), aware(r.last_seen))
            for r in rows.values()
            if r.id is not None and r.merged_into is None
        }
        return [by_id[i] for i in dict.fromkeys(order) if i in by_id]

    def _followed(self, rows: dict[int | None, Pattern], order: list[int]) -> list[int]:
        """`order` with each merged pattern replaced by the one its reports are in now (its row read
        into `rows`), the word index told of both."""
        assert self.session is not None
        where: dict[int, int] = {}
        for _ in range(HOPS):
            wanted = {r.merged_into for r in rows.values() if r.merged_into is not None} - set(rows)
            if not wanted:
                break
            rows |= {r.id: r for r in self.session.exec(select(Pattern).where(col(Pattern.id).in_(wanted))).all()}
        for pid, row in rows.items():
            if pid is None or row.merged_into is None:
                continue
            self.index.update(pid, _words(row), ())
            where[pid] = end = merge_end(rows, row.merged_into)
            if end in rows:
                self.index.update(end, (), _words(rows[end]))
        return [where.get(pid, pid) for pid in order]

    def create(self, report: ReportFeatures) -> PatternState:
        """A new pattern row holding this one report."""
        assert self.session is not None
        state = PatternState(id=0, words={}, chars={}, n=0)
        state.add(report)
        row = Pattern(tenant_id=self.tenant_id, title="")
        write_pattern(row, state, self.taxonomy)
        self.session.add(row)
        self.session.flush()
        assert row.id is not None
        state.id = row.id
        self.save(state, ())
        return state

    def save(self, state: PatternState, old_words: Iterable[str]) -> None:
        """Write a pattern's new state to its row and its words to the index."""
        assert self.session is not None
        row = self.session.get(Pattern, state.id)
        assert row is not None
        pending = (row.terms or {}).get(PENDING)
        write_pattern(row, state, self.taxonomy)
        if pending is not None:  # still to be worked out from its members: a report joining does not do that
            row.terms = {**row.terms, PENDING: pending}
        self.session.add(row)
        self.index.update(state.id, old_words, state.words)
        self.known = max(self.known, state.id)


def _words(row: Pattern) -> list[str]:
    """The words of a pattern row's centroid (what the word index holds of it)."""
    return [key[2:] for key in row.terms or {} if key.startswith("w:")]


def merge_end(rows: Mapping[int | None, Pattern], start: int) -> int:
    """The pattern a merged pattern's reports are in now: `start` (what it was merged into), followed
    through the rows read while they were merged on in turn (12 into 7, then 7 into 3: 3)."""
    end = start
    for _ in range(HOPS):
        ahead = rows.get(end)
        if ahead is None or ahead.merged_into is None:
            break
        end = ahead.merged_into
    return end
