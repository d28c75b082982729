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
  (:func:`storycluster._grouping.ids.story_id_for_event`: the same name a batch run gives it).

A story id never changes once given; stories only grow or are absorbed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

import numpy as np

from .._grouping.ids import story_id_for_event
from .._grouping.stories import story_threshold_for
from .._scoring.similarity import SimilarityWeights
from ._state import (
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
) -> StoryLinks:
    """Stories for the batch's ``events`` (after its event ``merges``), given ``known``: the
    story of every live event that has one. Reads ``state`` (after the batch is applied)."""
    out = StoryLinks()
    story = dict(known)
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
    if todo:
        idf_lex, idf_ent = live_idf(state, reservoir_size)
        live = _LiveMembers(state)
        for event_id in todo:
            own = story.pop(event_id, None)
            if own is not None:
                sizes[own] -= 1
            placed, score = _place(live, event_id, story, weights, threshold, idf_lex, idf_ent, dim)
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
    for event_id in events:
        # An event already closed again (nothing to score it with) founds its own story.
        out.assigned[event_id] = story.setdefault(event_id, story_id_for_event(event_id))
    return out


class _LiveMembers:
    """The live events' members still in memory and their dense centroids, taken once per
    batch: placing an event compares it with every live event, and the events' members do not
    change while a batch's events are placed."""

    def __init__(self, state: LiveState) -> None:
        #: Live events with a member in memory, in the state's order, and those members.
        self.members = {
            e: present for e in state.events if (present := members_in_memory(state, e))
        }
        self.order = list(self.members)
        self.position = {e: i for i, e in enumerate(self.order)}
        self.centres = (
            np.array([dense_centroid(self.members[e]) for e in self.order])
            if self.order
            else np.zeros((0, 0))
        )


def _place(
    live: _LiveMembers,
    event_id: str,
    story: dict[str, str],
    weights: SimilarityWeights,
    threshold: float,
    idf_lex: np.ndarray,
    idf_ent: np.ndarray,
    dim: int,
) -> tuple[str, float]:
    """The story an event joins (the best story whose mean pair score reaches ``threshold``)
    and that mean, or its own new story and NaN."""
    own = live.members.get(event_id, [])
    others = [e for e in live.order if e != event_id and e in story]
    if not own or not others:
        return story_id_for_event(event_id), float("nan")
    centroid = live.centres[live.position[event_id]]
    centres = live.centres[[live.position[e] for e in others]]
    by_centre = np.argsort(-(centres @ centroid), kind="stable").tolist()
    # The stories of the nearest events are the candidates; each is scored on its live events
    # (up to N_STORY_EVENTS, nearest first), not only on those among the nearest: the mean
    # over a story's nearest events alone is the mean of its best part, and over-merges.
    wanted = {story[others[i]] for i in by_centre[:N_STORY_CANDIDATES]}
    taken = dict.fromkeys(wanted, 0)
    candidates = []
    for i in by_centre:
        name = story[others[i]]
        if name in taken and taken[name] < N_STORY_EVENTS:
            taken[name] += 1
            candidates.append(others[i])
    rows = []
    owner = []
    for position, e in enumerate(candidates):
        member_rows = live.members[e]
        rows.extend(member_rows)
        owner.extend([position] * len(member_rows))
    block = scores(
        bundle(own, idf_lex, idf_ent, dim), bundle(rows, idf_lex, idf_ent, dim), weights
    ).astype(np.float64)
    per_event = np.bincount(owner, weights=block.sum(axis=0), minlength=len(candidates))
    pairs = np.bincount(owner, minlength=len(candidates)) * len(own)
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
    if best_story is not None and best_mean >= threshold:
        return best_story, float(best_mean)
    return story_id_for_event(event_id), float("nan")
