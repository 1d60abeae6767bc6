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

__all__ = ["SqlPatternStore", "RESYNC", "PENDING"]

RESYNC = 50  # reports other processes counted before this one reloads the term counts
# In Pattern.terms: an erasure took every word of the erased reports out of this pattern, which is
# still to be worked out exactly from its members (see SqlGrouper.forget); kept until it is.
PENDING = "_e"


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
            select(Pattern.id, Pattern.terms)
            .where(col(Pattern.tenant_id) == self.tenant_id, col(Pattern.id) > self.known)
            .order_by(col(Pattern.id))
        ).all()
        for pid, terms in rows:
            assert pid is not None  # a stored row's key
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
        """The grouping state of these patterns, in the order asked (missing ones left out)."""
        assert self.session is not None
        if not ids:
            return []
        rows = self.session.exec(select(Pattern).where(col(Pattern.id).in_(list(ids)))).all()
        by_id = {
            r.id: PatternState.from_terms(r.id, r.terms or {}, aware(r.first_seen), aware(r.last_seen))
            for r in rows
            if r.id is not None
        }
        return [by_id[i] for i in ids if i in by_id]

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
