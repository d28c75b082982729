"""``StreamClusterer.forget``: remove articles and update their events, in one transaction."""

from __future__ import annotations

import math
from collections.abc import Callable

from ._rows import Row, unpack
from ._state import (
    LiveEvent,
    LiveState,
    Params,
    _capped,
    _keywords,
    _release,
    _representative,
    _reservoir_mean,
    live_idf,
    nanmax,
    nanmin,
)
from ._store import Commit, EventStore

__all__ = ["plan_forget"]


def plan_forget(
    state: LiveState, store: EventStore, ids: list[str], params: Params, dim: int
) -> tuple[Commit, Callable[[], None], list[str]]:
    """The commit that removes ``ids`` (those the store holds) and the memory update."""
    known = store.known_articles(ids)
    removed = [i for i in ids if i in known]
    commit = Commit(deleted_articles=removed, cleared_duplicates=removed)
    if not removed:
        return commit, lambda: None, []
    gone = {known[i][0] for i in removed}
    by_event: dict[str, list[str]] = {}
    for article_id in removed:
        by_event.setdefault(known[article_id][1], []).append(article_id)
    idf_lex, idf_ent = live_idf(state, params.reservoir_size)
    weights = state.weights_ or params.weights
    reservoir = [r for r in state.reservoir if r not in gone]
    corpus_mean = _reservoir_mean([state.rows[r] for r in reservoir], idf_lex)
    updated: dict[str, LiveEvent] = {}
    loaded: dict[int, Row] = {}
    terms: dict[str, dict[int, int]] = {}
    deleted: list[str] = []
    for event_id in by_event:
        live = state.events.get(event_id)
        if live is not None:
            ev = live.copy()
        else:
            records = store.events_by_id([event_id])
            if not records:
                continue
            ev = LiveEvent.from_record(records[0])
        members = [m for m in store.members(event_id) if m[0] not in gone]
        if not members:
            deleted.append(event_id)
            continue
        rows = [unpack(m[0], m[1], m[13], m[14], m[11]) for m in members if m[14] is not None]
        ev.size = len(members)
        ev.first = ev.last = math.nan
        for row in rows:
            ev.first = nanmin(ev.first, row.day)
            ev.last = nanmax(ev.last, row.day)
        ev.sources = sorted({m[6] for m in members if m[6]})
        capped = _capped([r.row for r in rows], params.max_members)
        ev.rows = capped
        by_arrival = {r.row: r for r in rows}
        scoring = [by_arrival[a] for a in capped]
        if scoring:
            rep = _representative(scoring, idf_lex, idf_ent, dim, weights)
            present = {r.article_id for r in rows}
            original = scoring[rep].duplicate_of
            ev.representative = (
                original
                if original is not None and original in present
                else scoring[rep].article_id
            )
            ev.label = next(
                (m[13] for m in members if m[1] == ev.representative), scoring[rep].label
            )
            ev.keywords = _keywords(scoring, idf_lex, corpus_mean, state.names, params.n_keywords)
        ev.updated_batch = state.batch
        entries: dict[int, int] = {}
        for row in rows:
            for term in row.terms:
                entries[term] = max(entries.get(term, -1), row.row)
        terms[event_id] = entries
        commit.replaced_terms[event_id] = sorted(entries.items())
        updated[event_id] = ev
        if live is not None:
            loaded.update({a: by_arrival[a] for a in capped})
    for event_id, ev in updated.items():
        rec = ev.record(params.window, event_id in state.events)
        commit.events.append(rec)
    commit.deleted_events = deleted
    commit.meta = {"reservoir": reservoir}

    def apply() -> None:
        for event_id in deleted:
            state.index.remove(event_id)
            state.events.pop(event_id, None)
        for event_id, ev in updated.items():
            if event_id in state.events:
                state.events[event_id] = ev
                state.index.remove(event_id)
                for term, arrival in terms[event_id].items():
                    state.index.add(event_id, (term,), arrival)
        state.rows.update(loaded)
        state.reservoir = reservoir
        for arrival in gone:
            state.rows.pop(arrival, None)
        _release(state)

    return commit, apply, removed
