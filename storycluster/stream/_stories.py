"""Stories in the stream: each event joins a story as it arrives.

The batch level groups events by average linkage over their articles, each event kept whole
(:mod:`storycluster._grouping.stories`); the stream does it incrementally with the same story
score (the event evidence with the story time term) and bar. After a batch's events are placed:

* an event merge joins the two events' stories (the survivor's story survives and the other is
  reported as a story merge, as event merges are);
* every event of the batch without a story, or alone in the story it founded (it may have grown
  enough to reach another), is scored against the live events nearest to it (by
  dense centroid), the scores are averaged per story over all article pairs (the mean story score
  of the event and the story's live members), and the event joins the best story when that mean
  reaches the story threshold, else it founds a story of its own, named after its founding event
  (:func:`storycluster._grouping.ids.story_id_for_event`: the same name a batch run gives it);
* the closed events that the batch loaded from the store as candidates of its undated or late
  articles (:mod:`storycluster.stream._state`) are candidates here too, so a story whose
  events have all closed is found by such an article as its events are (replaying ECB+, whose
  undated half comes after years of dated articles: story B-cubed F1 0.863 to 0.882, batch
  0.946);
* while the stream has no clock (its events never close), an event of one article founds a story
  of its own and is no candidate for others: it is placed when it grows (above). Placed on its
  first headline, an event that later grows is held in a story its whole would not reach, and a
  story is never split. (Once events can close, one left waiting might close unplaced.)
* the story of an event that doubled in size in this batch (its articles of the batch took it
  past a power of two) is compared with the stories of the live events nearest to it, on the
  mean story score of their article pairs; it merges with the best one when that mean reaches
  the threshold and the two are each other's best (average linkage merges such mutual pairs
  first). The story holding the earlier live event survives; the merge is reported.

A story id never changes once given; stories only grow or are absorbed. Nothing beyond each
event's story is kept: the placement reads the live state, so a reopened stream goes on alike.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace

import numpy as np

from .._grouping.ids import story_id_for_event
from .._grouping.stories import story_threshold_for
from .._scoring.similarity import SimilarityWeights
from ._rows import Row
from ._state import (
    Bundle,
    LiveState,
    Params,
    bundle,
    dense_centroid,
    live_idf,
    members_in_memory,
    scores,
)

__all__ = ["StoryLinks", "link_stories"]

#: Live events scored against a new event (nearest by dense centroid).
N_STORY_CANDIDATES = 30
#: Most live events a candidate story is scored on (its nearest by centroid).
N_STORY_EVENTS = 30
#: Live events whose stories are the candidates of a story merge, and the most live events of
#: each side of a story merge scored (their nearest by centroid to the grown story's).
N_MERGE_CANDIDATES = 10
N_MERGE_EVENTS = 10


class StoryLinks:
    """What one batch did to stories: ``assigned`` event -> story for every event of the batch,
    ``merges`` (absorbed story, surviving story, score) and the story of each changed event."""

    def __init__(self) -> None:
        self.assigned: dict[str, str] = {}
        self.merges: list[tuple[str, str, float]] = []


def story_scoring(
    state: LiveState,
    params: Params,
    *,
    story_threshold: float,
    short_story_threshold: float,
    time_penalty: float,
    time_scale_days: float,
) -> tuple[SimilarityWeights, float]:
    """The story weights and threshold for the stream's current corpus: the event weights of the
    last batch (length and time gap adjusted) with the story time term, and the story threshold
    blended as the event threshold was."""
    weights = state.weights_ or params.weights
    event_threshold = params.threshold if state.threshold_ is None else state.threshold_
    span = params.threshold - params.short_threshold
    share = 1.0
    if span != 0:
        share = float(np.clip((event_threshold - params.short_threshold) / span, 0.0, 1.0))
    scale = time_scale_days
    if weights.time_scale_days < params.weights.time_scale_days:  # capped by the median gap
        scale = min(scale, weights.time_scale_days)
    # As the batch's story level: no bound on the evidence against, no small-corpus shift, no
    # weekday evidence.
    story_weights = replace(
        weights,
        time_penalty=time_penalty,
        time_scale_days=scale,
        time_cap_days=None,
        weekday_penalty=0.0,
        corpus_offset=0.0,
    )
    return story_weights, story_threshold_for(share, story_threshold, short_story_threshold)


def link_stories(
    state: LiveState,
    events: list[str],
    merges: list[tuple[str, str, float]],
    known: Mapping[str, str],
    weights: SimilarityWeights,
    threshold: float,
    *,
    dim: int,
    reservoir_size: int,
    grew: Mapping[str, int] | None = None,
    closed: Mapping[str, tuple[str, Sequence[Row]]] | None = None,
) -> StoryLinks:
    """Stories for the batch's ``events`` (after its event ``merges``), given ``known``: the
    story of every live event that has one, ``grew``: the articles each event received in
    the batch (its stories may merge when that doubled it), and ``closed``: closed events the
    batch loaded as candidates, each with its story and scoring rows (candidates for the
    batch's events, never placed themselves). Reads ``state`` (after the batch is applied)."""
    out = StoryLinks()
    story = dict(known)
    closed = closed or {}
    for absorbed, survivor, score in merges:
        lost, kept = story.get(absorbed), story.get(survivor)
        if lost is not None and kept is None:
            story[survivor] = lost
        elif lost is not None and kept is not None and lost != kept:
            for event_id, current in list(story.items()):
                if current == lost:
                    story[event_id] = kept
                    out.assigned[event_id] = kept
            out.merges.append((lost, kept, float(score)))
        story.pop(absorbed, None)
        out.assigned.pop(absorbed, None)
    # Closed candidates, in their stories as this batch's event merges left them.
    renamed = {lost: kept for lost, kept, _ in out.merges}
    for event_id, (name, _) in closed.items():
        while name in renamed:
            name = renamed[name]
        story.setdefault(event_id, name)
    # A story of one event that grew in this batch is placed again: the event may now reach a
    # story it could not reach when it first appeared (then its story is absorbed into that one).
    sizes: dict[str, int] = {}
    for current in story.values():
        sizes[current] = sizes.get(current, 0) + 1
    alone = {
        e
        for e in events
        if e in story
        and e in state.events
        and sizes[story[e]] == 1
        and story[e] == (story_id_for_event(e))
    }
    # Events of one article wait for a second while none can close (see the module docstring).
    waiting = set()
    if np.isnan(state.clock):
        waiting = {
            e
            for e, ev in state.events.items()
            if ev.size < 2
            and (e not in story or (story[e] == story_id_for_event(e) and sizes[story[e]] == 1))
        }
    # Oldest first (earliest dated member, then opening order), as a batch run would found them.
    todo = sorted(
        {e for e in events if e not in story and e in state.events} | alone,
        # (NaN never compares, so an undated event sorts by a stand-in: the order stays total,
        # not the set's, which varies with string hashing between processes.)
        key=lambda e: (
            np.isnan(state.events[e].first),
            0.0 if np.isnan(state.events[e].first) else state.events[e].first,
            state.events[e].seq,
        ),
    )
    doubled = _doubled(state, grew or {})
    if todo or doubled:
        _place_and_merge(
            state,
            todo,
            doubled,
            alone,
            waiting,
            story,
            sizes,
            out,
            weights,
            threshold,
            dim=dim,
            reservoir_size=reservoir_size,
            closed={e: rows for e, (_, rows) in closed.items()},
        )
    for event_id in events:
        # An event already closed again (nothing to score it with) founds its own story.
        out.assigned[event_id] = story.setdefault(event_id, story_id_for_event(event_id))
    return out


def _place_and_merge(
    state: LiveState,
    todo: list[str],
    doubled: list[str],
    alone: set[str],
    waiting: set[str],
    story: dict[str, str],
    sizes: dict[str, int],
    out: StoryLinks,
    weights: SimilarityWeights,
    threshold: float,
    *,
    dim: int,
    reservoir_size: int,
    closed: Mapping[str, Sequence[Row]],
) -> None:
    """Place the events of ``todo`` in order, then merge the stories of the ``doubled``
    events where they reach another (see the module docstring). Updates ``story``, ``sizes``
    and ``out``."""
    live = _LiveMembers(state, waiting, *live_idf(state, reservoir_size), dim, closed)
    for event_id in todo:
        own = story.pop(event_id, None)
        if own is not None:
            sizes[own] -= 1
        if event_id in waiting:
            placed, score = story_id_for_event(event_id), float("nan")
        else:
            placed, score = _place(live, event_id, story, weights, threshold)
        if own is not None and placed != own:
            if sizes[own] == 0:  # its story, of itself alone, joins the other
                out.merges.append((own, placed, score))
            else:  # another event joined its story meanwhile: keep it
                placed = own
        story[event_id] = placed
        # Kept current: an event placed earlier in this loop may have joined the story of
        # one placed later, which then is no longer alone (absorbing it would leave that
        # event in an absorbed story, absorbed a second time by a later batch).
        sizes[placed] = sizes.get(placed, 0) + 1
    # (An event alone in its story was placed again above, on the same evidence.)
    grown = [story[e] for e in doubled if e in story and e not in alone]
    before = dict(story)
    out.merges.extend(_merge_stories(live, grown, story, weights, threshold))
    for event_id, current in story.items():
        if before.get(event_id) != current:
            out.assigned[event_id] = current


class _LiveMembers:
    """The live events' members still in memory, their dense centroids and their scoring
    rows, taken once per batch: placing an event compares it with every live event, and the
    events' members do not change while a batch's events are placed. The ``closed`` events
    the batch loaded come after them, as candidates."""

    def __init__(
        self,
        state: LiveState,
        waiting: set[str],
        idf_lex: np.ndarray,
        idf_ent: np.ndarray,
        dim: int,
        closed: Mapping[str, Sequence[Row]] | None = None,
    ) -> None:
        #: Live events with a member in memory, in the state's order, and those members;
        #: then the closed candidates and theirs.
        self.members = {
            e: present for e in state.events if (present := members_in_memory(state, e))
        }
        for event_id, rows in (closed or {}).items():
            if rows and event_id not in self.members:
                self.members[event_id] = list(rows)
        #: Events waiting for a second article: no candidate for other events or stories.
        self.waiting = waiting
        self.order = list(self.members)
        self.position = {e: i for i, e in enumerate(self.order)}
        self.centres = (
            np.array([dense_centroid(self.members[e]) for e in self.order])
            if self.order
            else np.zeros((0, 0))
        )
        counts = np.array([len(self.members[e]) for e in self.order], dtype=np.int64)
        self.start = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
        self.rows = bundle(
            [row for e in self.order for row in self.members[e]], idf_lex, idf_ent, dim
        )

    def rows_of(self, events: Sequence[str]) -> Bundle:
        """The scoring rows of ``events``' members, in that order."""
        spans = [
            np.arange(self.start[p], self.start[p + 1]) for p in (self.position[e] for e in events)
        ]
        return self.rows.take(np.concatenate(spans) if spans else np.zeros(0, dtype=np.int64))


def _place(
    live: _LiveMembers,
    event_id: str,
    story: dict[str, str],
    weights: SimilarityWeights,
    threshold: float,
) -> tuple[str, float]:
    """The story an event joins (the best story whose mean pair score reaches ``threshold``)
    and that mean, or its own new story and NaN."""
    others = [e for e in live.order if e != event_id and e in story and e not in live.waiting]
    if event_id not in live.members or not others:
        return story_id_for_event(event_id), float("nan")
    centroid = live.centres[live.position[event_id]]
    # The stories of the nearest events are the candidates; each is scored on its live events
    # (up to N_STORY_EVENTS, nearest first), not only on those among the nearest: the mean
    # over a story's nearest events alone is the mean of its best part, and over-merges.
    best_story, best_mean = _best_story(
        live, [event_id], centroid, others, story, N_STORY_CANDIDATES, N_STORY_EVENTS, weights
    )
    if best_story is not None and best_mean >= threshold:
        return best_story, float(best_mean)
    return story_id_for_event(event_id), float("nan")


def _best_story(
    live: _LiveMembers,
    own: list[str],
    centroid: np.ndarray,
    others: list[str],
    story: dict[str, str],
    n_candidates: int,
    n_events: int,
    weights: SimilarityWeights,
) -> tuple[str | None, float]:
    """Among the stories of the ``n_candidates`` of ``others`` nearest ``centroid``, the one
    whose mean score with the members of the events ``own`` is highest (each scored on up to
    ``n_events`` of its live events, nearest first), and that mean."""
    centres = live.centres[[live.position[e] for e in others]]
    by_centre = np.argsort(-(centres @ centroid), kind="stable").tolist()
    wanted = {story[others[i]] for i in by_centre[:n_candidates]}
    taken = dict.fromkeys(wanted, 0)
    candidates = []
    for i in by_centre:
        name = story[others[i]]
        if name in taken and taken[name] < n_events:
            taken[name] += 1
            candidates.append(others[i])
    owner = np.repeat(np.arange(len(candidates)), [len(live.members[e]) for e in candidates])
    n_own = sum(len(live.members[e]) for e in own)
    block = scores(live.rows_of(own), live.rows_of(candidates), weights).astype(np.float64)
    per_event = np.bincount(owner, weights=block.sum(axis=0), minlength=len(candidates))
    pairs = np.bincount(owner, minlength=len(candidates)) * n_own
    totals: dict[str, list[float]] = {}
    for position, e in enumerate(candidates):
        entry = totals.setdefault(story[e], [0.0, 0.0])
        entry[0] += float(per_event[position])
        entry[1] += float(pairs[position])
    best_story, best_mean = None, -np.inf
    for name in sorted(totals):
        total, count = totals[name]
        mean = total / max(count, 1.0)
        if mean > best_mean:
            best_story, best_mean = name, mean
    return best_story, float(best_mean)


def _doubled(state: LiveState, grew: Mapping[str, int]) -> list[str]:
    """Live events that the batch's articles took past a power of two (from 1 to 2, 3 to 4,
    5 to 8, ...), not new ones: those whose story is compared again."""
    out = []
    for event_id, added in sorted(grew.items()):
        ev = state.events.get(event_id)
        if ev is None:
            continue
        before = ev.size - added
        if before >= 1 and ev.size.bit_length() > before.bit_length():
            out.append(event_id)
    return out


def _merge_stories(
    live: _LiveMembers,
    grown: list[str],
    story: dict[str, str],
    weights: SimilarityWeights,
    threshold: float,
) -> list[tuple[str, str, float]]:
    """Story merges (absorbed, survivor, mean score) from the ``grown`` stories: each merges
    with its best story when their mean score reaches ``threshold`` and each is the other's
    best; the survivor is compared again. Updates ``story``."""
    members: dict[str, list[str]] = {}
    for e in live.order:
        if e in story and e not in live.waiting:
            members.setdefault(story[e], []).append(e)

    known: dict[str, tuple[str | None, float]] = {}  # until the next merge

    def best_of(name: str) -> tuple[str | None, float]:
        if name not in known:
            known[name] = scored(name)
        return known[name]

    def scored(name: str) -> tuple[str | None, float]:
        mine = members[name]
        centroid = dense_centroid([row for e in mine for row in live.members[e]])
        others = [
            e for e in live.order if e in story and story[e] != name and e not in live.waiting
        ]
        if not others:
            return None, -np.inf
        return _best_story(
            live,
            _nearest(live, mine, centroid, N_MERGE_EVENTS),
            centroid,
            others,
            story,
            N_MERGE_CANDIDATES,
            N_MERGE_EVENTS,
            weights,
        )

    out: list[tuple[str, str, float]] = []
    queue = list(dict.fromkeys(name for name in grown if name in members))
    while queue:
        name = queue.pop(0)
        if name not in members:
            continue
        best, mean = best_of(name)
        if best is None or mean < threshold or best_of(best)[0] != name:
            continue
        first = min(live.position[e] for e in members[name])
        survivor, absorbed = (
            (name, best) if first < min(live.position[e] for e in members[best]) else (best, name)
        )
        for event_id, current in list(story.items()):
            if current == absorbed:
                story[event_id] = survivor
        members[survivor].extend(members.pop(absorbed))
        known.clear()
        out.append((absorbed, survivor, mean))
        if absorbed in queue:
            queue.remove(absorbed)
        queue.append(survivor)
    return out


def _nearest(live: _LiveMembers, events: list[str], centroid: np.ndarray, n: int) -> list[str]:
    """Up to ``n`` of ``events`` nearest ``centroid`` (by their centroids), in their order."""
    if len(events) <= n:
        return events
    centres = live.centres[[live.position[e] for e in events]]
    nearest = np.argsort(-(centres @ centroid), kind="stable")[:n]
    return [events[i] for i in sorted(nearest.tolist())]
