"""The word index of the patterns' centroids, for finding a report's candidate patterns quickly."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np

__all__ = ["WordIndex", "MAX_POSTINGS"]

MAX_POSTINGS = 20_000  # terms in more patterns than this don't propose candidates


class WordIndex:
    """Which patterns' centroids hold each word: finds the patterns sharing most of a report's words.

    Patterns get dense slots in the order they are first indexed, so a report's overlap with
    every pattern is one array of floats, summed term by term in numpy.
    """

    def __init__(self) -> None:
        self._slots: dict[str, set[int]] = {}
        self._arrays: dict[str, np.ndarray] = {}  # a term's slots as an array, until the term changes
        self._slot_of: dict[int, int] = {}
        self._ids: list[int] = []

    def __len__(self) -> int:
        return len(self._ids)

    def update(self, pattern_id: int, old_words: Iterable[str], new_words: Iterable[str]) -> None:
        """Record that a pattern's centroid words went from old to new."""
        slot = self._slot_of.get(pattern_id)
        if slot is None:
            slot = self._slot_of[pattern_id] = len(self._ids)
            self._ids.append(pattern_id)
        old, new = set(old_words), set(new_words)
        for term in old - new:
            self._slots.get(term, set()).discard(slot)
            self._arrays.pop(term, None)
        for term in new - old:
            self._slots.setdefault(term, set()).add(slot)
            self._arrays.pop(term, None)

    def _array(self, term: str) -> np.ndarray | None:
        found = self._arrays.get(term)
        if found is None:
            slots = self._slots.get(term)
            if not slots:
                return None
            found = self._arrays[term] = np.fromiter(slots, dtype=np.int64, count=len(slots))
        return found

    def top(self, query: Mapping[str, float], limit: int) -> list[int]:
        """Pattern ids sharing the query's words, by summed weight of the shared words, then id."""
        overlap = np.zeros(len(self._ids))
        shared = np.zeros(len(self._ids), dtype=bool)
        for term, weight in query.items():  # in the query's order, so each sum is the same float
            slots = self._array(term)
            if slots is None or len(slots) > MAX_POSTINGS:
                continue
            overlap[slots] += weight
            shared[slots] = True
        found = np.flatnonzero(shared)
        scores = overlap[found]
        if len(found) > limit:  # keep the scores tied with or above the limit-th best, then order those
            cut = -np.partition(-scores, limit - 1)[limit - 1]
            keep = scores >= cut
            found, scores = found[keep], scores[keep]
        ranked = sorted(
            zip(scores.tolist(), (self._ids[i] for i in found.tolist()), strict=True), key=lambda p: (-p[0], p[1])
        )
        return [pid for _, pid in ranked[:limit]]
