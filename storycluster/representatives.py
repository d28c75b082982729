"""Turn a partition into ``StoryCluster`` objects: representative, members, keywords, label."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence

import numpy as np

from .features import ArticleFeatures
from .models import Article, ClusterMember, StoryCluster

__all__ = ["build_clusters", "story_id"]

_LABEL_CHARS = 120


def story_id(member_ids: Sequence[str]) -> str:
    """A stable event id: the same set of member ids always gives the same id."""
    digest = hashlib.blake2b("\x1f".join(sorted(member_ids)).encode("utf-8"), digest_size=8)
    return f"ev_{digest.hexdigest()}"


def _keywords(
    features: ArticleFeatures, members: np.ndarray, corpus_mean: np.ndarray, k: int
) -> list[str]:
    """Terms that weigh more in the event than in the corpus at large."""
    if features.vocabulary.size == 0:
        return []
    # Only terms the event uses can have a positive lift: work on those (sparse, O(nnz)).
    rows = features.lexical[members]
    terms = np.unique(rows.indices)
    if terms.size == 0:
        return []
    event_mean = np.asarray(rows[:, terms].sum(axis=0)).ravel() / members.size
    lift = event_mean - corpus_mean[terms]
    order = np.lexsort((terms, -lift))[:k]
    top = terms[order]
    lift = lift[order]
    return [str(features.vocabulary[t]) for t, gain in zip(top, lift, strict=True) if gain > 0]


def _representative(
    members: np.ndarray,
    block_scores: Callable[[np.ndarray], np.ndarray],
    articles: Sequence[Article],
    duplicate_of: Sequence[int | None],
) -> int:
    """The member most similar on average to the others; ties go to the earliest, then lowest id.

    A near-copy never represents its event: its original (a member too) does instead.
    """
    if members.size == 1:
        return int(members[0])
    block = block_scores(members).astype(np.float64)
    np.fill_diagonal(block, 0.0)
    centrality = block.sum(axis=1) / (members.size - 1)

    def sort_key(position: int) -> tuple[float, float, str]:
        article = articles[members[position]]
        published = article.published_at.timestamp() if article.published_at else float("inf")
        return (-round(float(centrality[position]), 9), published, article.id)

    best = int(members[min(range(members.size), key=sort_key)])
    original = duplicate_of[best]
    return best if original is None else original


def _label(article: Article) -> str:
    text = (article.title or "").strip() or (article.text or "").strip()
    first = text.splitlines()[0] if text else ""
    return first if len(first) <= _LABEL_CHARS else first[: _LABEL_CHARS - 1].rstrip() + "…"


def build_clusters(
    articles: Sequence[Article],
    labels: np.ndarray,
    features: ArticleFeatures,
    block_scores: Callable[[np.ndarray], np.ndarray],
    *,
    duplicate_of: Sequence[int | None] | None = None,
    n_keywords: int = 8,
) -> list[StoryCluster]:
    """One ``StoryCluster`` per label ``0..k-1`` (labels must already be canonical).

    ``block_scores(members)`` returns the members' square matrix of event similarities.

    ``duplicate_of[i]`` is the position of the article that article ``i`` is a near-copy of;
    it is reported on the member only when both are in the same event.
    """
    if duplicate_of is None:
        duplicate_of = [None] * len(articles)
    in_event = [
        original if original is not None and labels[original] == labels[i] else None
        for i, original in enumerate(duplicate_of)
    ]
    corpus_mean = (
        np.asarray(features.lexical.mean(axis=0)).ravel()
        if features.vocabulary.size
        else np.array([])
    )
    clusters: list[StoryCluster] = []
    for label in range(int(labels.max()) + 1 if labels.size else 0):
        members = np.flatnonzero(labels == label)
        rep = _representative(members, block_scores, articles, in_event)
        centroid = features.dense[members].mean(axis=0)
        centroid /= max(float(np.linalg.norm(centroid)), 1e-12)
        similarity = features.dense[members] @ centroid
        order = sorted(
            range(members.size),
            key=lambda p: (members[p] != rep, -float(similarity[p]), articles[members[p]].id),
        )
        cluster_members = [
            ClusterMember(
                article_id=articles[members[p]].id,
                title=articles[members[p]].title,
                source=articles[members[p]].source,
                url=articles[members[p]].url,
                published_at=articles[members[p]].published_at,
                similarity=round(float(similarity[p]), 6),
                is_representative=bool(members[p] == rep),
                duplicate_of=(
                    articles[in_event[members[p]]].id if in_event[members[p]] is not None else None
                ),
            )
            for p in order
        ]
        dates = [m.published_at for m in cluster_members if m.published_at is not None]
        clusters.append(
            StoryCluster(
                id=story_id([m.article_id for m in cluster_members]),
                size=len(cluster_members),
                representative=articles[rep],
                members=cluster_members,
                first_published=min(dates, default=None),
                last_published=max(dates, default=None),
                sources=sorted({m.source for m in cluster_members if m.source}),
                keywords=_keywords(features, members, corpus_mean, n_keywords),
                label=_label(articles[rep]),
            )
        )
    return clusters
