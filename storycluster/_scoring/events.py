"""Score new articles against the events of a fitted corpus, with the score ``fit`` used.

A new article's score for an event is the mean of its pair scores
(:func:`storycluster._scoring.similarity.pair_scores`) with the event's members: the quantity
average linkage compares with the threshold when it adds one article to a group. The new
article's features use the fitted vocabularies and IDF
(:func:`storycluster._features.features.transform_features`), and its background is measured
against the same rows of the corpus that the fitted articles' backgrounds were measured against
(:func:`storycluster._scoring.similarity.background_sample`), so its scores are on the scale of
the fit.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import sparse

from .._features.features import ArticleFeatures, TermWeights, stack_features
from .similarity import Background, SimilarityWeights, estimate_background, pair_scores

__all__ = ["FittedCorpus", "event_scores", "new_background"]

#: Pair scores computed per block of new articles (rows times fitted articles).
_BLOCK_ENTRIES = 4_000_000


@dataclass(frozen=True)
class FittedCorpus:
    """What scoring new articles needs of a fit: the fitted articles' features and
    backgrounds, each one's event, the term weights, and the background sample's features."""

    features: ArticleFeatures
    """The fitted articles, in input order."""
    background: Background
    """Their background mean and standard deviation, shape ``(3, n)``."""
    labels: np.ndarray
    """``(n,)`` int64: each fitted article's event, an index into the fitted events."""
    terms: TermWeights
    """The fitted vocabularies and IDF."""
    sample: ArticleFeatures
    """The corpus rows every background was measured against (fitted or reference rows)."""

    @property
    def n_events(self) -> int:
        return int(self.labels.max()) + 1 if self.labels.size else 0


def new_background(corpus: FittedCorpus, features: ArticleFeatures) -> Background:
    """Background of new articles against the fit's background sample."""
    n_sample = len(corpus.sample)
    stacked = stack_features(corpus.sample, features)
    # Every sample row is used (there are at most ``sample_size`` of them).
    background = estimate_background(
        stacked, among=np.arange(n_sample), sample_size=max(n_sample, 1)
    )
    return Background(mean=background.mean[:, n_sample:], sd=background.sd[:, n_sample:])


def event_scores(
    corpus: FittedCorpus,
    features: ArticleFeatures,
    background: Background,
    weights: SimilarityWeights,
) -> np.ndarray:
    """``(m, n_events)`` float32: each new article's mean pair score with each event's members."""
    n, m, k = len(corpus.features), len(features), corpus.n_events
    stacked = stack_features(corpus.features, features)
    both = Background(
        mean=np.hstack([corpus.background.mean, background.mean]),
        sd=np.hstack([corpus.background.sd, background.sd]),
    )
    sizes = np.bincount(corpus.labels, minlength=k).astype(np.float64)
    members = sparse.csr_matrix(
        (np.ones(n), (np.arange(n), corpus.labels)), shape=(n, k), dtype=np.float64
    ).T.tocsr()
    fitted = np.arange(n)
    out = np.empty((m, k), dtype=np.float32)
    step = max(1, _BLOCK_ENTRIES // max(n, 1))
    for start in range(0, m, step):
        rows = np.arange(n + start, n + min(start + step, m))
        scores = pair_scores(stacked, both, rows, fitted, weights).astype(np.float64)
        out[start : start + rows.size] = (members @ scores.T).T / sizes
    return out
