"""Per-article feature arrays: dense embedding, lexical TF-IDF, entity TF-IDF and timestamp.

The lexical and entity vocabularies and their IDF are fitted on the articles being clustered, so
that a word shared by most of a corpus (every article in a set about shootings says "police")
weighs little and a rare name weighs a lot.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer

from .._text.fields import entity_tokens, lexical_text, word_count
from ..models import Article

__all__ = ["ArticleFeatures", "build_features", "days_since_epoch"]

#: Below this many articles, words shared by most documents are kept: with a handful of
#: articles "most" may be just two, which is exactly what an event looks like.
_MIN_DOCS_FOR_MAX_DF = 50
_MAX_DF = 0.5
#: From ``_MIN_DOCS_FOR_MAX_DF`` articles on, lexical terms must occur in this many: a word of
#: one article links it to nothing and only dilutes its vector (long articles full of unique
#: words would look unlike everything). Not below: in a handful of articles, dropping an
#: article's own words would leave only the words it shares, and make it look like the rest.
_LEXICAL_MIN_DF = 2
_SECONDS_PER_DAY = 86_400.0


@dataclass(frozen=True)
class ArticleFeatures:
    """Feature arrays for ``n`` articles, row ``i`` describing article ``i``."""

    dense: np.ndarray
    """``(n, dim)`` float32, rows L2-normalised."""
    lexical: sparse.csr_matrix
    """``(n, vocabulary)`` TF-IDF of title and body, rows L2-normalised."""
    entities: sparse.csr_matrix
    """``(n, entity vocabulary)`` TF-IDF of capitalised tokens and numbers, rows L2-normalised."""
    days: np.ndarray
    """``(n,)`` float64 days since the Unix epoch, NaN where the date is unknown."""
    vocabulary: np.ndarray
    """Terms of the lexical columns, for keywords."""
    words: np.ndarray
    """``(n,)`` int64 words in each article's lexical text (title and body, cut at
    ``max_chars``): tells a corpus of tweets or headlines from one of articles."""

    @cached_property
    def has_evidence(self) -> np.ndarray:
        """``(3, n)`` bool: whether each article has dense, lexical and entity features."""
        return np.vstack(
            [
                np.ones(len(self), dtype=bool),
                np.diff(self.lexical.indptr) > 0,
                np.diff(self.entities.indptr) > 0,
            ]
        )

    def __len__(self) -> int:
        return int(self.dense.shape[0])

    def take(self, rows: np.ndarray) -> ArticleFeatures:
        """The features of ``rows`` only, with the same vocabularies and term weights."""
        return ArticleFeatures(
            dense=self.dense[rows],
            lexical=sparse.csr_matrix(self.lexical[rows]),
            entities=sparse.csr_matrix(self.entities[rows]),
            days=self.days[rows],
            vocabulary=self.vocabulary,
            words=self.words[rows],
        )


def days_since_epoch(articles: Sequence[Article]) -> np.ndarray:
    """Publication times as float days since 1970-01-01 UTC; NaN where unknown."""
    return np.array(
        [
            article.published_at.timestamp() / _SECONDS_PER_DAY
            if article.published_at is not None
            else math.nan
            for article in articles
        ],
        dtype=np.float64,
    )


def _tfidf(texts: Sequence[str], **options: object) -> tuple[sparse.csr_matrix, np.ndarray]:
    max_df = _MAX_DF if len(texts) >= _MIN_DOCS_FOR_MAX_DF else 1.0
    vectorizer = TfidfVectorizer(sublinear_tf=True, max_df=max_df, dtype=np.float32, **options)
    try:
        matrix = vectorizer.fit_transform(texts)
    except ValueError:
        # Every text was empty or only stop words: no lexical evidence at all.
        return sparse.csr_matrix((len(texts), 0), dtype=np.float32), np.array([], dtype=object)
    return sparse.csr_matrix(matrix), vectorizer.get_feature_names_out()


def build_features(
    articles: Sequence[Article], dense: np.ndarray, *, max_chars: int
) -> ArticleFeatures:
    """Fit the lexical and entity vocabularies on ``articles`` and stack all features."""
    texts = [lexical_text(article, max_chars) for article in articles]
    min_df = _LEXICAL_MIN_DF if len(texts) >= _MIN_DOCS_FOR_MAX_DF else 1
    lexical, vocabulary = _tfidf(texts, stop_words="english", min_df=min_df)
    entities, _ = _tfidf([entity_tokens(text) for text in texts], token_pattern=r"\S+")
    return ArticleFeatures(
        dense=dense,
        lexical=lexical,
        entities=entities,
        days=days_since_epoch(articles),
        vocabulary=vocabulary,
        words=np.array([word_count(text) for text in texts], dtype=np.int64),
    )
