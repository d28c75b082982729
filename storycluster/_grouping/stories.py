"""Stories: events grouped into the longer threads they belong to (one trial, one war, one crisis).

A story is a group of events; every event belongs to exactly one story, alone if nothing else
fits. The evidence is the event evidence (the same standardised dense, word and name scores of
:mod:`storycluster._scoring.similarity`, so the story level inherits the event calibration) with
a story's sense of time: events of one story are normally days to weeks apart, so the neutral
time gap is weeks instead of days and the weight of time is lower. Events are grouped by
average linkage *over their articles* with each event kept whole: two groups of events merge
while the mean story score of their article pairs stays at or above the story threshold. That
is the event linkage continued from the event partition at a lower bar, which keeps the events
exactly as they are. A second stage (:func:`merge_by_neighbourhood`) then merges a story into
another when most of its strong ties lead there: the mean over all article pairs can miss a
small story that belongs to a large, varied one.

Pure arrays in, labels out, as the rest of the grouping stage; :func:`build_stories` turns the
partition into :class:`storycluster.models.Story` objects.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import replace

import numpy as np
from scipy import sparse

from .._features.features import ArticleFeatures
from .._scoring.similarity import SimilarityWeights, effective_time_scale
from ..models import Event, Story
from .ids import founder, story_id
from .linkage import (
    average_linkage_labels,
    canonical_labels,
    distinct,
    sparse_average_linkage,
)
from .representatives import _all_keywords

__all__ = [
    "DEFAULT_SHORT_STORY_THRESHOLD",
    "DEFAULT_STORY_MEMBERS",
    "DEFAULT_STORY_SHARE",
    "DEFAULT_STORY_THRESHOLD",
    "DEFAULT_STORY_TIME_PENALTY",
    "DEFAULT_STORY_TIME_SCALE_DAYS",
    "article_story_labels",
    "build_stories",
    "dense_story_labels",
    "merge_by_neighbourhood",
    "retime_scores",
    "sparse_story_labels",
    "story_threshold_for",
    "story_weights",
]

#: Mean story score, in background standard deviations, at or above which two groups of events
#: are one story: for a corpus of articles, and for tweets or headlines (blended in between on
#: the log of the median length, as the event threshold is).
DEFAULT_STORY_THRESHOLD = 1.0
DEFAULT_SHORT_STORY_THRESHOLD = 1.5
#: Weight of the time evidence between events of one story, per unit of ``log(1 + days)``.
DEFAULT_STORY_TIME_PENALTY = 1.0
#: Gap, in days, at which two dated articles get no story time evidence either way.
DEFAULT_STORY_TIME_SCALE_DAYS = 14.0

#: Share of a story's ties that must lead into another story for the two to merge
#: (:func:`merge_by_neighbourhood`).
DEFAULT_STORY_SHARE = 0.3

#: Articles an event brings to the sparse story linkage at most (its most central ones): the
#: mean story score of two groups of events is measured on that sample of their pairs.
DEFAULT_STORY_MEMBERS = 64


def story_weights(
    event_weights: SimilarityWeights,
    *,
    time_penalty: float,
    time_scale_days: float,
    days: np.ndarray,
) -> SimilarityWeights:
    """The event weights with a story's time term: the same text evidence, time on weeks.

    The neutral gap is capped by the corpus' median gap between dated articles
    (:func:`storycluster._scoring.similarity.effective_time_scale`), as the event one is, so
    that a corpus of one day's news rewards no closeness at the story level either. The
    event level's bound on the evidence against (three weeks), its small-corpus shift and its
    weekday evidence do not apply: a story spans weeks, so months apart is still evidence
    against one story, and its events happen on any day of the week.
    """
    return replace(
        event_weights,
        time_penalty=time_penalty,
        time_scale_days=effective_time_scale(days, time_scale_days),
        time_cap_days=None,
        weekday_penalty=0.0,
        corpus_offset=0.0,
    )


def story_threshold_for(share: float, threshold: float, short_threshold: float) -> float:
    """The story threshold of a corpus at ``share`` between short texts (0) and articles (1)
    (:func:`storycluster._scoring.similarity.length_share`): linear in between, as the event
    threshold; infinite when both are."""
    blended = short_threshold + share * (threshold - short_threshold)
    return math.inf if math.isnan(blended) else float(blended)


def retime_scores(
    scores: np.ndarray,
    days_rows: np.ndarray,
    days_cols: np.ndarray,
    old: SimilarityWeights,
    new: SimilarityWeights,
    *,
    weekdays: tuple[np.ndarray, np.ndarray] | None = None,
) -> np.ndarray:
    """``scores`` (computed with ``old``) as ``new`` scores them: the time terms (and the
    constant ``corpus_offset``) swapped.

    ``weekdays`` holds the two sides' weekday masks, shaped as the days; without them the
    weekday evidence is left as it is.

    The text evidence of a pair does not depend on time, so the story scores of pairs whose
    event scores are at hand cost one pass over them. ``days_rows`` and ``days_cols`` are the
    two sides' days, shaped to broadcast against ``scores``.
    """
    gap = np.abs(days_rows - days_cols)
    delta = np.full(
        np.broadcast_shapes(np.shape(gap), scores.shape), new.corpus_offset - old.corpus_offset
    )
    if new.time_penalty:
        delta += new.time_evidence(gap)
    if old.time_penalty:
        delta -= old.time_evidence(gap)
    if weekdays is not None:
        delta += new.weekday_evidence(weekdays[0], weekdays[1], gap)
        delta -= old.weekday_evidence(weekdays[0], weekdays[1], gap)
    return (scores + delta).astype(np.float32)


def _event_bonus(scores: np.ndarray) -> float:
    """A score above every real one: given to the pairs inside an event so that average
    linkage forms each event first and then only compares whole events."""
    finite = scores[np.isfinite(scores)]
    return float(finite.max() if finite.size else 0.0) + 1.0


def dense_story_labels(
    story_scores: np.ndarray, event_labels: np.ndarray, threshold: float
) -> np.ndarray:
    """Story of each event from the ``(n, n)`` story scores of all article pairs.

    Average linkage over the articles with each event kept whole, cut at ``threshold``.
    Returns a ``(k,)`` int array, ``k`` the number of events (labels ``0..k-1``), of story
    labels in no particular order.
    """
    event_labels = np.asarray(event_labels, dtype=np.int64)
    k = int(event_labels.max()) + 1 if event_labels.size else 0
    if k <= 1:
        return np.zeros(k, dtype=np.int64)
    scores = np.array(story_scores, dtype=np.float64)
    same = event_labels[:, None] == event_labels[None, :]
    scores[same] = _event_bonus(scores)
    article_story = average_linkage_labels(scores, threshold)
    return _per_event(article_story, event_labels, k)


def sparse_story_labels(
    event_labels: np.ndarray,
    rows: np.ndarray,
    cols: np.ndarray,
    pair_scores: Callable[[np.ndarray, np.ndarray], np.ndarray],
    threshold: float,
    *,
    centrality: np.ndarray | None = None,
    max_members: int | None = None,
) -> np.ndarray:
    """Story of each event from candidate article pairs, without an ``(n, n)`` matrix.

    ``rows``, ``cols`` are candidate pairs (those of the event linkage), ``pair_scores(r, c)``
    the story scores of aligned pairs. The same linkage as :func:`dense_story_labels`, through
    :func:`storycluster._grouping.linkage.sparse_average_linkage`: exact when every pair that
    scores at least ``threshold`` is a candidate.

    With ``max_members`` (and each article's ``centrality`` in its event), an event larger than
    that stands in the story linkage for its ``max_members`` most central articles (ties: the
    lower index), and a candidate pair of a member left out counts for the event's most central
    one. Two large groups are then compared on a sample of their pairs instead of all of them:
    the cost of comparing two stories stops growing with the square of their events' sizes.
    """
    labels = np.asarray(event_labels, dtype=np.int64)
    n = labels.size
    k = int(labels.max()) + 1 if n else 0
    if k <= 1:
        return np.zeros(k, dtype=np.int64)
    rows = np.asarray(rows, dtype=np.int64)
    cols = np.asarray(cols, dtype=np.int64)
    if max_members is not None and centrality is not None:
        kept, stand_in = _central_members(labels, np.asarray(centrality), int(max_members))
        if kept.size < n:
            position = np.full(n, -1, dtype=np.int64)
            position[kept] = np.arange(kept.size)

            def kept_scores(r: np.ndarray, c: np.ndarray) -> np.ndarray:
                return pair_scores(kept[r], kept[c])

            return sparse_story_labels(
                labels[kept],
                position[stand_in[rows]],
                position[stand_in[cols]],
                kept_scores,
                threshold,
            )
    cross = labels[rows] != labels[cols]
    # Each pair once: the stand-ins of left-out members repeat pairs (a quarter at 100k).
    rows, cols = rows[cross], cols[cross]
    keys = distinct(np.minimum(rows, cols) * np.int64(n) + np.maximum(rows, cols))
    rows, cols = keys // n, keys % n
    values = np.asarray(pair_scores(rows, cols), dtype=np.float64) if rows.size else np.zeros(0)
    bonus = max(float(threshold), float(values.max(initial=0.0))) + 1.0
    # Chain each event's members so that every event is connected at the bonus score.
    order = np.argsort(labels, kind="stable")
    link = labels[order[1:]] == labels[order[:-1]]
    chain_rows, chain_cols = order[:-1][link], order[1:][link]

    def scores(r: np.ndarray, c: np.ndarray) -> np.ndarray:
        out = np.full(r.size, bonus)
        other = labels[r] != labels[c]
        if other.any():
            out[other] = pair_scores(r[other], c[other])
        return out

    article_story = sparse_average_linkage(
        n,
        np.concatenate([rows, chain_rows]),
        np.concatenate([cols, chain_cols]),
        np.concatenate([values, np.full(chain_rows.size, bonus)]),
        threshold,
        scores,
    )
    return _per_event(article_story, labels, k)


def merge_by_neighbourhood(
    event_story: np.ndarray,
    event_labels: np.ndarray,
    rows: np.ndarray,
    cols: np.ndarray,
    scores: np.ndarray,
    threshold: float,
    *,
    share: float = DEFAULT_STORY_SHARE,
) -> np.ndarray:
    """The stories of :func:`dense_story_labels` or :func:`sparse_story_labels` (``event_story``,
    each event's story), merged where one story's neighbourhood lies largely in another.

    ``rows``, ``cols`` and ``scores`` are distinct article pairs and their story scores: every
    pair, or the candidate pairs of the sparse path. A pair scoring above ``threshold`` (the
    story threshold) ties its two articles' stories with weight ``score - threshold``; a
    story's neighbourhood is the sum of its ties, those inside it included. Two stories merge
    when the ties between them reach ``share`` of the smaller neighbourhood: stories that are
    each other's best such partner merge together, round after round, until no pair reaches
    ``share``. Returns each event's new story label (a story is still a group of whole events).

    Why: average linkage asks that the *mean* story score between two groups of events reach
    the threshold. A small story whose articles' strong ties all lead into one large, varied
    story can miss that mean (measured against all of the large story's articles, most of them
    about its other events) although it belongs there. The share is relative to each story's
    own ties, so it means the same in a corpus of a thousand articles or a million. Story
    B-cubed F1 (``benchmarks/story_share.py``): crisislex_t26 (6,000 sample) 0.935 to 0.947 (49
    to 26 stories, 26 in the gold), googlenews 0.837 to 0.843 (272 to 202, gold 152); ecbplus
    topics and the sample unchanged. Shares from 0.2 to 0.4 do about as well; 0.1 merges
    ecbplus topics (0.929); 0.3 is the middle.
    """
    event_story = np.asarray(event_story, dtype=np.int64)
    size = int(event_story.max()) + 1 if event_story.size else 0
    scores = np.asarray(scores)
    tie = scores > threshold
    if size <= 1 or not tie.any():
        return event_story
    weight = scores[tie].astype(np.float64) - float(threshold)
    article_story = event_story[np.asarray(event_labels, dtype=np.int64)]
    first = article_story[np.asarray(rows)[tie]]
    second = article_story[np.asarray(cols)[tie]]
    inside = first == second
    # Ties inside a story only add to its neighbourhood (both ends are its own): a sum per story.
    own_ties = 2 * np.bincount(first[inside], weights=weight[inside], minlength=size)
    graph = sparse.csr_matrix(
        (weight[~inside], (first[~inside], second[~inside])), shape=(size, size)
    )
    graph = sparse.csr_matrix(graph + graph.T)
    story = np.arange(size)
    while graph.nnz:
        stories = graph.shape[0]
        graph.sort_indices()
        strength = own_ties + np.asarray(graph.sum(axis=1)).ravel()
        # Each story's best partner: the largest share in its row, ties to the lower column
        # (the first in the row: its columns are sorted). By row reductions, not a sort: the
        # rounds are many on a large corpus (63 at 100k articles).
        counts = np.diff(graph.indptr)
        row_of = np.repeat(np.arange(stories), counts)
        partner = graph.indices.astype(np.int64)
        ratio = graph.data / np.maximum(np.minimum(strength[row_of], strength[partner]), 1e-12)
        filled = np.flatnonzero(counts)
        reach = np.zeros(stories)
        reach[filled] = np.maximum.reduceat(ratio, graph.indptr[filled])
        position = np.where(ratio == reach[row_of], np.arange(ratio.size), ratio.size)
        best = np.full(stories, -1, dtype=np.int64)
        best[filled] = partner[np.minimum.reduceat(position, graph.indptr[filled])]
        own = np.arange(stories)
        mutual = (best > own) & (reach >= share) & (best[np.maximum(best, 0)] == own)
        if not mutual.any():
            break
        into = own.copy()
        into[best[mutual]] = own[mutual]
        _, into = np.unique(into, return_inverse=True)
        merge = sparse.csr_matrix(
            (np.ones(stories), (own, into)), shape=(stories, int(into.max()) + 1)
        )
        graph = sparse.csr_matrix(merge.T @ graph @ merge)
        # The ties between two stories that merged are now inside one.
        merged = graph.diagonal()
        own_ties = np.bincount(into, weights=own_ties) + merged
        graph = sparse.csr_matrix(graph - sparse.diags(merged))
        graph.eliminate_zeros()
        story = into[story]
    return story[event_story]


def _central_members(
    labels: np.ndarray, centrality: np.ndarray, max_members: int
) -> tuple[np.ndarray, np.ndarray]:
    """The articles kept (sorted) when each event keeps its ``max_members`` most central ones,
    and for every article the kept one that stands for it (itself, or its event's most
    central)."""
    if max_members < 1:
        raise ValueError(f"max_members must be at least 1, got {max_members}")
    n = labels.size
    order = np.lexsort((np.arange(n), -centrality, labels))
    first = np.searchsorted(labels[order], labels[order], side="left")
    rank = np.arange(n) - first
    kept = np.sort(order[rank < max_members])
    head = np.zeros(int(labels.max()) + 1, dtype=np.int64)
    head[labels[order[rank == 0]]] = order[rank == 0]
    stand_in = np.arange(n, dtype=np.int64)
    dropped = order[rank >= max_members]
    stand_in[dropped] = head[labels[dropped]]
    return kept, stand_in


def _per_event(article_story: np.ndarray, event_labels: np.ndarray, k: int) -> np.ndarray:
    out = np.zeros(k, dtype=np.int64)
    out[event_labels] = article_story
    return out


def _story_name(events: Sequence[Event]) -> str:
    """The story id: :func:`storycluster._grouping.ids.story_id` of its founder, the earliest
    article of all its events (undated last, ties by smallest id), as events are named."""
    members = [m for event in events for m in event.members]
    first = founder([m.article_id for m in members], [m.published_at for m in members])
    return story_id(members[first].article_id)


def _time_key(event: Event) -> tuple[int, float, str]:
    """Earliest first, undated events last; ties by id."""
    if event.first_published is None:
        return (1, 0.0, event.id)
    return (0, event.first_published.timestamp(), event.id)


def _order_key(event: Event) -> tuple[int, float, str]:
    first = event.first_published.timestamp() if event.first_published else float("inf")
    return (-event.size, first, event.id)


def build_stories(
    events: Sequence[Event],
    event_story: np.ndarray,
    *,
    labels: np.ndarray | None = None,
    features: ArticleFeatures | None = None,
    n_keywords: int = 8,
) -> tuple[list[Story], np.ndarray]:
    """``Story`` objects from events and each event's story label, and the canonical story
    index of each event (stories largest first, by articles; ties: smallest article id).

    The representative event is the largest (ties: the earliest, then the smallest id); its
    representative article and label stand for the story. Keywords are the terms that weigh
    more in the story than in the corpus (``labels``, each article's event, and ``features``
    give them; without them, the events' keywords in order of first appearance).
    """
    event_story = np.asarray(event_story, dtype=np.int64)
    if len(events) != event_story.size:
        raise ValueError(f"{len(events)} events but {event_story.size} story labels")
    if not events:
        return [], np.zeros(0, dtype=np.int64)
    sizes = np.array([event.size for event in events], dtype=np.int64)
    _, inverse = np.unique(event_story, return_inverse=True)
    article_counts = np.bincount(inverse, weights=sizes).astype(np.int64)
    # Canonical order: articles (largest first), then the smallest article id, as events.
    ids = [min(event.article_ids) for event in events]
    weighted = np.repeat(inverse, sizes)
    weighted_ids = [ids[i] for i in np.repeat(np.arange(len(events)), sizes)]
    canonical = canonical_labels(weighted, weighted_ids)
    rank = np.zeros(article_counts.size, dtype=np.int64)
    rank[weighted] = canonical
    story_of_event = rank[inverse]
    n_stories = int(story_of_event.max()) + 1
    keywords: list[list[str]]
    if labels is not None and features is not None:
        article_story = story_of_event[np.asarray(labels, dtype=np.int64)]
        keywords = _all_keywords(features, article_story, n_stories, n_keywords)
    else:
        keywords = [[] for _ in range(n_stories)]
    members: list[list[int]] = [[] for _ in range(n_stories)]
    for position, story in enumerate(story_of_event.tolist()):
        members[story].append(position)
    stories: list[Story] = []
    for story, positions in enumerate(members):
        group = sorted((events[p] for p in positions), key=_order_key)
        lead = group[0]
        if not keywords[story]:
            seen: dict[str, None] = {}
            for event in group:
                for word in event.keywords:
                    seen.setdefault(word, None)
            keywords[story] = list(seen)[:n_keywords]
        firsts = [e.first_published for e in group if e.first_published is not None]
        lasts = [e.last_published for e in group if e.last_published is not None]
        stories.append(
            Story(
                id=_story_name(group),
                size=sum(e.size for e in group),
                events=[e.id for e in sorted(group, key=_time_key)],
                representative_event=lead.id,
                representative=lead.representative,
                label=lead.label,
                keywords=keywords[story],
                first_published=min(firsts, default=None),
                last_published=max(lasts, default=None),
                sources=sorted({s for e in group for s in e.sources}),
            )
        )
    return stories, story_of_event


def article_story_labels(labels: np.ndarray, story_of_event: np.ndarray) -> np.ndarray:
    """Each article's story index, from its event index and each event's story index."""
    return np.asarray(story_of_event, dtype=np.int64)[np.asarray(labels, dtype=np.int64)]
