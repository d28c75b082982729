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

from .._text.fields import entity_tokens, lexical_text, weekdays_named, word_count
from ..models import Article

__all__ = [
    "ArticleFeatures",
    "TermWeights",
    "build_features",
    "days_since_epoch",
    "fit_features",
    "stack_features",
    "transform_features",
]

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
    weekdays: np.ndarray | None = None
    """``(n,)`` int64 bit masks of the weekdays each article's title and lead name
    (:func:`~storycluster._text.fields.weekdays_named`); ``None``: none known (all 0)."""

    def __post_init__(self) -> None:
        if self.weekdays is None:
            object.__setattr__(self, "weekdays", np.zeros(len(self), dtype=np.int64))

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

    @property
    def weekday_masks(self) -> np.ndarray:
        """``weekdays``, typed as set (``__post_init__`` fills ``None`` with zeros)."""
        assert self.weekdays is not None
        return self.weekdays

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
            weekdays=self.weekday_masks[rows],
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


@dataclass(frozen=True)
class TermWeights:
    """The fitted lexical and entity vocabularies and their IDF: what it takes to featurise new
    articles as the fitted ones were (see :func:`transform_features`)."""

    lexical_vocabulary: np.ndarray
    lexical_idf: np.ndarray
    entity_vocabulary: np.ndarray
    entity_idf: np.ndarray


#: Options of the two TF-IDF vectorizers (besides ``sublinear_tf`` and the document
#: frequency bounds, which depend on the corpus size).
_LEXICAL_OPTIONS: dict[str, object] = {"stop_words": "english"}
_ENTITY_OPTIONS: dict[str, object] = {"token_pattern": r"\S+"}


def _tfidf(
    texts: Sequence[str], **options: object
) -> tuple[sparse.csr_matrix, np.ndarray, np.ndarray]:
    max_df = _MAX_DF if len(texts) >= _MIN_DOCS_FOR_MAX_DF else 1.0
    vectorizer = TfidfVectorizer(sublinear_tf=True, max_df=max_df, dtype=np.float32, **options)
    try:
        matrix = vectorizer.fit_transform(texts)
    except ValueError:
        # Every text was empty or only stop words: no lexical evidence at all.
        empty = np.array([], dtype=object)
        return sparse.csr_matrix((len(texts), 0), dtype=np.float32), empty, np.zeros(0)
    return (
        sparse.csr_matrix(matrix),
        vectorizer.get_feature_names_out(),
        np.asarray(vectorizer.idf_, dtype=np.float64),
    )


def _apply_tfidf(
    texts: Sequence[str], vocabulary: np.ndarray, idf: np.ndarray, **options: object
) -> sparse.csr_matrix:
    """TF-IDF of ``texts`` with a fitted vocabulary and IDF: the same rows ``TfidfVectorizer``
    gives (sublinear term frequency, times IDF, rows L2-normalised)."""
    from sklearn.feature_extraction.text import CountVectorizer
    from sklearn.preprocessing import normalize

    if vocabulary.size == 0:
        return sparse.csr_matrix((len(texts), 0), dtype=np.float32)
    counts = CountVectorizer(
        vocabulary={str(term): i for i, term in enumerate(vocabulary.tolist())},
        dtype=np.float64,
        **options,
    ).transform(texts)
    counts = sparse.csr_matrix(counts)
    counts.data = np.log(counts.data) + 1.0
    weighted = counts @ sparse.diags(np.asarray(idf, dtype=np.float64))
    return sparse.csr_matrix(normalize(weighted, norm="l2"), dtype=np.float32)


def _weekdays(articles: Sequence[Article]) -> np.ndarray:
    return np.array([weekdays_named(article) for article in articles], dtype=np.int64)


def build_features(
    articles: Sequence[Article], dense: np.ndarray, *, max_chars: int
) -> ArticleFeatures:
    """Fit the lexical and entity vocabularies on ``articles`` and stack all features."""
    return fit_features(articles, dense, max_chars=max_chars)[0]


def fit_features(
    articles: Sequence[Article], dense: np.ndarray, *, max_chars: int
) -> tuple[ArticleFeatures, TermWeights]:
    """:func:`build_features`, and the vocabularies and IDF it fitted."""
    texts = [lexical_text(article, max_chars) for article in articles]
    min_df = _LEXICAL_MIN_DF if len(texts) >= _MIN_DOCS_FOR_MAX_DF else 1
    lexical, vocabulary, lexical_idf = _tfidf(texts, min_df=min_df, **_LEXICAL_OPTIONS)
    entities, entity_vocabulary, entity_idf = _tfidf(
        [entity_tokens(text) for text in texts], **_ENTITY_OPTIONS
    )
    features = ArticleFeatures(
        dense=dense,
        lexical=lexical,
        entities=entities,
        days=days_since_epoch(articles),
        vocabulary=vocabulary,
        words=np.array([word_count(text) for text in texts], dtype=np.int64),
        weekdays=_weekdays(articles),
    )
    return features, TermWeights(vocabulary, lexical_idf, entity_vocabulary, entity_idf)


def transform_features(
    articles: Sequence[Article], dense: np.ndarray, terms: TermWeights, *, max_chars: int
) -> ArticleFeatures:
    """Features of new ``articles`` with fitted vocabularies and IDF (``terms``): words the
    fitted corpus did not have are left out, as a fitted vectorizer leaves them out."""
    texts = [lexical_text(article, max_chars) for article in articles]
    return ArticleFeatures(
        dense=dense,
        lexical=_apply_tfidf(
            texts, terms.lexical_vocabulary, terms.lexical_idf, **_LEXICAL_OPTIONS
        ),
        entities=_apply_tfidf(
            [entity_tokens(text) for text in texts],
            terms.entity_vocabulary,
            terms.entity_idf,
            **_ENTITY_OPTIONS,
        ),
        days=days_since_epoch(articles),
        vocabulary=terms.lexical_vocabulary,
        words=np.array([word_count(text) for text in texts], dtype=np.int64),
        weekdays=_weekdays(articles),
    )


def stack_features(*parts: ArticleFeatures) -> ArticleFeatures:
    """The rows of ``parts``, one after the other; they must share their vocabularies."""
    return ArticleFeatures(
        dense=np.vstack([part.dense for part in parts]),
        lexical=sparse.csr_matrix(sparse.vstack([part.lexical for part in parts], format="csr")),
        entities=sparse.csr_matrix(sparse.vstack([part.entities for part in parts], format="csr")),
        days=np.concatenate([part.days for part in parts]),
        vocabulary=parts[0].vocabulary,
        words=np.concatenate([part.words for part in parts]),
        weekdays=np.concatenate([part.weekday_masks for part in parts]),
    )
