"""The candidate index of live events: each index term to the events that carry it.

An article is indexed by its top lexical and entity terms (``terms_per_article`` of each). For a
term, the index keeps every live event with a member indexed by it, and the arrival of the
latest such member; a lookup reads, per term, the ``cap`` most recently touched events and ranks
events by the number of the article's terms they share (ties: the newer event). The index is a
function of the live events' members, so reopening a store rebuilds it exactly.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterable

__all__ = ["TermIndex"]


class TermIndex:
    """Inverted index ``term -> {event id: latest arrival}`` with its transpose."""

    def __init__(self) -> None:
        self.postings: dict[int, dict[str, int]] = {}
        self.by_event: dict[str, dict[int, int]] = {}

    def __len__(self) -> int:
        return len(self.by_event)

    def add(self, event_id: str, terms: Iterable[int], arrival: int) -> None:
        """Record that ``event_id`` received article ``arrival`` indexed by ``terms``."""
        own = self.by_event.setdefault(event_id, {})
        for term in terms:
            if own.get(term, -1) < arrival:
                own[term] = arrival
                self.postings.setdefault(term, {})[event_id] = arrival

    def merge(self, absorbed: str, survivor: str) -> None:
        """Move ``absorbed``'s entries to ``survivor`` (latest arrival per term kept)."""
        entries = self.by_event.pop(absorbed, {})
        own = self.by_event.setdefault(survivor, {})
        for term, arrival in entries.items():
            posting = self.postings[term]
            posting.pop(absorbed, None)
            if own.get(term, -1) < arrival:
                own[term] = arrival
                posting[survivor] = arrival

    def remove(self, event_id: str) -> None:
        for term in self.by_event.pop(event_id, {}):
            posting = self.postings.get(term)
            if posting is not None:
                posting.pop(event_id, None)
                if not posting:
                    del self.postings[term]

    def lookup(
        self,
        terms: Iterable[int],
        cap: int,
        keep: Callable[[str], bool],
        seq: Callable[[str], int],
        limit: int,
    ) -> list[str]:
        """Up to ``limit`` events sharing the most ``terms`` among each term's ``cap`` latest
        events, filtered by ``keep``; ties go to the larger ``seq`` (newer event)."""
        counts: dict[str, int] = {}
        verdict: dict[str, bool] = {}
        for term in terms:
            posting = self.postings.get(term)
            if not posting:
                continue
            if len(posting) > cap:
                events: Iterable[str] = (
                    e for e, _ in heapq.nlargest(cap, posting.items(), key=lambda kv: kv[1])
                )
            else:
                events = posting
            for event_id in events:
                ok = verdict.get(event_id)
                if ok is None:
                    ok = verdict[event_id] = keep(event_id)
                if ok:
                    counts[event_id] = counts.get(event_id, 0) + 1
        ranked = sorted(counts, key=lambda e: (-counts[e], -seq(e)))
        return ranked[:limit]
