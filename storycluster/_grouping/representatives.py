"""Turn a partition into :class:`~storycluster.Event` objects: representative, members,
keywords, label."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
from scipy import sparse

from .._features.features import ArticleFeatures
from ..models import Article, Event, EventMember
from .ids import event_id as make_event_id
from .ids import founder

__all__ = ["assemble_event", "build_events", "member_centrality"]

_LABEL_CHARS = 120
#: Pairs scored per call of ``pair_scores`` in :func:`member_centrality`.
_PAIR_CHUNK = 200_000


def member_centrality(
    labels: np.ndarray, pair_scores: Callable[[np.ndarray, np.ndarray], np.ndarray]
) -> np.ndarray:
    """Each item's mean similarity to the other members of its cluster (0 for a singleton).

    ``pair_scores(r, c)`` gives the similarities of the aligned pairs ``(r[i], c[i])``; every
    pair inside a cluster is scored once, the pairs of all clusters together in batches.
    """
    labels = np.asarray(labels, dtype=np.int64)
    sums = np.zeros(labels.size)
    if labels.size == 0:
        return sums
    order = np.argsort(labels, kind="stable")
    sizes = np.bincount(labels)
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    for size in np.unique(sizes[sizes > 1]).tolist():
        # All clusters of this size at once: the upper triangle of each one's members.
        first = starts[sizes == size]
        left, right = np.triu_indices(size, 1)
        rows = order[(first[:, None] + left[None, :]).ravel()]
        cols = order[(first[:, None] + right[None, :]).ravel()]
        for lo in range(0, rows.size, _PAIR_CHUNK):
            r, c = rows[lo : lo + _PAIR_CHUNK], cols[lo : lo + _PAIR_CHUNK]
            values = np.asarray(pair_scores(r, c), dtype=np.float64)
            sums += np.bincount(r, weights=values, minlength=labels.size)
            sums += np.bincount(c, weights=values, minlength=labels.size)
    return sums / np.maximum(sizes[labels] - 1, 1)


def _all_keywords(
    features: ArticleFeatures, labels: np.ndarray, n_clusters: int, k: int
) -> list[list[str]]:
    """Per cluster, the terms that weigh more in the event than in the corpus at large."""
    if features.vocabulary.size == 0 or k < 1:
        return [[] for _ in range(n_clusters)]
    lexical = sparse.csr_matrix(features.lexical)
    corpus_mean = np.asarray(lexical.mean(axis=0)).ravel()
    # Term sums per cluster; members are added in input order, as a column sum would.
    assign = sparse.csr_matrix(
        (np.ones(labels.size, dtype=lexical.dtype), (labels, np.arange(labels.size))),
        shape=(n_clusters, labels.size),
    )
    sums = (assign @ lexical).tocsr()
    sums.sort_indices()
    rows = np.repeat(np.arange(n_clusters), np.diff(sums.indptr))
    sizes = np.bincount(labels, minlength=n_clusters).astype(lexical.dtype)
    lift = sums.data / sizes[rows] - corpus_mean[sums.indices]
    order = np.lexsort((sums.indices, -lift, rows))
    rank = np.arange(order.size) - sums.indptr[rows[order]]
    chosen = order[(rank < k) & (lift[order] > 0)]
    words = features.vocabulary[sums.indices[chosen]]
    bounds = np.searchsorted(rows[chosen], np.arange(n_clusters + 1))
    return [[str(w) for w in words[bounds[c] : bounds[c + 1]]] for c in range(n_clusters)]


def _block_centrality(
    members: np.ndarray, block_scores: Callable[[np.ndarray], np.ndarray]
) -> np.ndarray:
    block = block_scores(members).astype(np.float64)
    np.fill_diagonal(block, 0.0)
    return block.sum(axis=1) / (members.size - 1)


def _representative(
    members: np.ndarray,
    centrality: np.ndarray,
    articles: Sequence[Article],
    duplicate_of: Sequence[int | None],
) -> int:
    """The member most similar on average to the others; ties go to the earliest, then lowest id.

    A near-copy never represents its event: its original (a member too) does instead.
    """
    if members.size == 1:
        return int(members[0])
    rounded = [round(value, 9) for value in centrality.tolist()]
    highest = max(rounded)
    top = [p for p, value in enumerate(rounded) if value == highest]  # usually one: no tie

    def sort_key(position: int) -> tuple[float, str]:
        article = articles[members[position]]
        published = article.published_at.timestamp() if article.published_at else float("inf")
        return (published, article.id)

    best = int(members[top[0] if len(top) == 1 else min(top, key=sort_key)])
    original = duplicate_of[best]
    return best if original is None else original


def _label(article: Article) -> str:
    text = (article.title or "").strip() or (article.text or "").strip()
    first = text.splitlines()[0] if text else ""
    return first if len(first) <= _LABEL_CHARS else first[: _LABEL_CHARS - 1].rstrip() + "…"


def assemble_event(
    members: Sequence[Article],
    dense: np.ndarray,
    representative: int,
    keywords: list[str],
    *,
    event_id: str | None = None,
    duplicate_of: Sequence[str | None] | None = None,
) -> Event:
    """A ``Event`` from its member articles, as batch and stream clusterers report it.

    ``dense`` holds the members' embeddings (rows in ``members`` order), ``representative`` the
    position of the representative among ``members``, ``duplicate_of`` each member's original's
    id when it is a near-copy of another member. Members are listed representative first, then
    by cosine to the members' mean embedding (ties: id); ``similarity`` is that cosine. The id
    is ``event_id``, or that of the members' founder (:mod:`storycluster._grouping.ids`).
    """
    centroid = dense.mean(axis=0)
    centroid /= max(float(np.linalg.norm(centroid)), 1e-12)
    similarity = dense @ centroid
    ranked = sorted(
        range(len(members)),
        key=lambda p: (p != representative, -float(similarity[p]), members[p].id),
    )
    event_members = [
        EventMember(
            article_id=members[p].id,
            title=members[p].title,
            source=members[p].source,
            url=members[p].url,
            published_at=members[p].published_at,
            similarity=round(float(similarity[p]), 6),
            is_representative=p == representative,
            duplicate_of=duplicate_of[p] if duplicate_of is not None else None,
        )
        for p in ranked
    ]
    dates = [m.published_at for m in event_members if m.published_at is not None]
    return Event(
        id=event_id
        or make_event_id(
            members[founder([m.id for m in members], [m.published_at for m in members])].id
        ),
        size=len(event_members),
        representative=members[representative],
        members=event_members,
        first_published=min(dates, default=None),
        last_published=max(dates, default=None),
        sources=sorted({m.source for m in event_members if m.source}),
        keywords=keywords,
        label=_label(members[representative]),
    )


def build_events(
    articles: Sequence[Article],
    labels: np.ndarray,
    features: ArticleFeatures,
    block_scores: Callable[[np.ndarray], np.ndarray] | None = None,
    *,
    pair_scores: Callable[[np.ndarray, np.ndarray], np.ndarray] | None = None,
    centrality: np.ndarray | None = None,
    duplicate_of: Sequence[int | None] | None = None,
    n_keywords: int = 8,
) -> list[Event]:
    """One ``Event`` per label ``0..k-1`` (labels must already be canonical).

    The representative is the member with the highest mean event similarity to the others:
    give one of ``block_scores(members)``, the members' square matrix of similarities (cheap
    when all scores are at hand), ``pair_scores(r, c)``, the similarities of aligned pairs,
    which scores the pairs of all clusters together in batches (see
    :func:`member_centrality`), or ``centrality``, each article's mean similarity to the other
    members of its cluster, already known.

    ``duplicate_of[i]`` is the position of the article that article ``i`` is a near-copy of;
    it is reported on the member only when both are in the same event.
    """
    if sum(x is not None for x in (block_scores, pair_scores, centrality)) != 1:
        raise ValueError("give exactly one of block_scores, pair_scores and centrality")
    labels = np.asarray(labels, dtype=np.int64)
    if duplicate_of is None:
        duplicate_of = [None] * len(articles)
    in_event = [
        original if original is not None and labels[original] == labels[i] else None
        for i, original in enumerate(duplicate_of)
    ]
    n_clusters = int(labels.max()) + 1 if labels.size else 0
    keywords = _all_keywords(features, labels, n_clusters, n_keywords)
    if pair_scores is not None:
        centrality = member_centrality(labels, pair_scores)
    order = np.argsort(labels, kind="stable")
    bounds = np.searchsorted(labels[order], np.arange(n_clusters + 1))
    events: list[Event] = []
    for label in range(n_clusters):
        members = order[bounds[label] : bounds[label + 1]]
        if members.size == 1:
            central = np.zeros(1)
        elif centrality is not None:
            central = centrality[members]
        else:
            assert block_scores is not None
            central = _block_centrality(members, block_scores)
        rep = _representative(members, central, articles, in_event)
        events.append(
            assemble_event(
                [articles[i] for i in members],
                features.dense[members],
                int(np.flatnonzero(members == rep)[0]),
                keywords[label],
                duplicate_of=[
                    articles[in_event[i]].id if in_event[i] is not None else None for i in members
                ],
            )
        )
    return events
