"""``StreamClusterer``: assign articles to events as they arrive, batch by batch.

The streaming clusterer scores an article against an event with the same event similarity as
:class:`storycluster.StoryClusterer` (standardised dense, lexical and entity cosines, weighted,
plus time evidence; see :mod:`storycluster._scoring.similarity`), so replaying a corpus in
time order approximates the batch result. What differs, and why:

Features without refitting
    Lexical and entity vectors are hashed (``HashingVectorizer``, ``2**18`` columns, no
    alternating sign) from the same texts as the batch features. Each article keeps its
    sublinear term counts; the IDF (``log((1 + n) / (1 + df)) + 1``, terms in more than half the
    documents dropped and lexical terms of a single document weighing nothing once 50 are
    seen, as in the batch) comes from running document-frequency counts and is applied when
    scores are computed, so nothing is ever refitted.

Background
    Each article's background mean and standard deviation per feature are measured when it
    arrives, against a bounded reservoir of past articles (seeded reservoir sampling, size
    ``reservoir_size``) plus its own batch, and shrunk towards the same prior with the same
    weight as the batch clusterer. They are then frozen.

Assignment
    An article's score for an event is the mean of its pair scores with the event's members
    (the first member and the ``max_members`` most recent ones). It joins the best event whose
    score is at least the batch's threshold (see Text length); otherwise it opens a new event.
    Articles of one batch are assigned one after the other, in input order.

Text length
    As in the batch clusterer, short texts (tweets, headlines) are scored with their own
    threshold and dense and lexical weights (``short_threshold``, ``short_dense_weight``,
    ``short_lexical_weight``), articles with ``threshold``, ``dense_weight`` and
    ``lexical_weight``, and texts in between with values in between
    (:func:`storycluster._scoring.similarity.length_share`). The stream places each batch by the
    median word count of the reservoir of past articles and the batch itself, as it sets the neutral
    time gap (:func:`storycluster._scoring.similarity.effective_time_scale`) over their publication
    days; the values used last are :attr:`StreamClusterer.threshold_` and
    :attr:`StreamClusterer.weights_`. A stream of articles is scored as before.

Candidates
    Events are not scanned: an inverted index maps each article's top lexical and entity terms
    to the events that most recently received an article with that term (at most
    ``postings_cap`` per term). The ``n_candidates`` events sharing the most terms with an
    article are scored exactly. The cost per article is bounded by these caps, not by the number
    of events.

Merges
    After each batch, the events that received articles in it are merged by average linkage on
    the same capped member sets while the mean cross score of two of them is at least
    the batch's threshold. The survivor is the older event: the one whose first article is earlier
    (ties: the smaller id). The absorbed id keeps resolving, through :meth:`event_of` and
    :meth:`event`, to the survivor.

Time
    Times are days since the epoch. The stream clock is the latest publication time seen. An
    event accepts an article published at ``t`` only if its span ``[first, last]`` comes within
    ``window`` days of ``t``; with ``t`` the clock this means an event stops accepting articles
    once its last article is more than ``window`` days older than the newest article seen, yet
    stays queryable. A late article (published before ``clock - window``) is still assigned,
    among the events that were open at its own time. "Within reason": the index keeps only the
    ``postings_cap`` most recently touched events per term, so an article much later than the
    traffic in between (roughly, once ``postings_cap`` newer events share its terms) may no
    longer find its event and opens a new one. An article without a date takes the clock as its
    time for the window (arrival order) and gets no time evidence.

Ids
    An event is named after the article that opened it (``"ev_"`` and a BLAKE2b hash of its id,
    :mod:`storycluster._grouping.ids`, the scheme batch and engines share). The id is fixed when
    the event opens and never changes while the event lives; after a merge the older event's id
    survives (earlier first article; ties: the event opened first).

Thread safety
    One ``threading.RLock`` serialises :meth:`partial_fit`, :meth:`save`, :meth:`event_of`,
    :meth:`event` and :attr:`events`: concurrent callers are safe and each batch is applied as a
    whole. A batch is validated completely before any state changes, and the changes are
    computed on copies and applied at the end: a batch that raises leaves the state as it was.
"""

from __future__ import annotations

import math
import os
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import HashingVectorizer
from sklearn.preprocessing import normalize
from sklearn.utils import murmurhash3_32

from .._features.embedding import DEFAULT_MODEL, Embedder
from .._features.features import days_since_epoch
from .._features.vectors import check_embeddings, make_embedder
from .._grouping import ids
from .._grouping.representatives import assemble_event
from .._scoring.similarity import (
    _MIN_SD,
    _PRIOR_MEAN,
    _PRIOR_SD,
    _PRIOR_WEIGHT,
    DEFAULT_SHORT_DENSE_WEIGHT,
    DEFAULT_SHORT_LEXICAL_WEIGHT,
    DEFAULT_SHORT_THRESHOLD,
    DEFAULT_THRESHOLD,
    DEFAULT_TIME_PENALTY,
    DEFAULT_TIME_SCALE_DAYS,
    ScoringRows,
    SimilarityWeights,
    check_scoring_params,
    combine_scores,
    scoring_for_corpus,
)
from .._text.fields import embedding_text, entity_tokens, lexical_text, word_count
from .._text.preparation import prepare_article
from ..io import as_articles
from ..models import Article, Event

__all__ = ["Assignment", "Merge", "StreamClusterer", "StreamUpdate"]

N_FEATURES = 2**18
_MIN_DOCS_FOR_MAX_DF = 50
_MAX_DF = 0.5
#: As in the batch features: a term seen in one article so far links it to nothing.
_LEXICAL_MIN_DF = 2
_REPRESENTATIVE_CAP = 200


@dataclass(frozen=True)
class Assignment:
    """Where one article of a batch went, before the batch's merges."""

    article_id: str
    event_id: str
    created: bool
    """True when the article opened a new event."""
    score: float | None
    """Mean pair score with the event joined, or the best (too low) score of a candidate when
    the article opened an event; ``None`` when there was no candidate."""


@dataclass(frozen=True)
class Merge:
    """Event ``absorbed`` was merged into ``survivor`` (mean cross score ``score``)."""

    absorbed: str
    survivor: str
    score: float


@dataclass(frozen=True)
class StreamUpdate:
    """What one :meth:`StreamClusterer.partial_fit` call did, articles in input order."""

    assignments: tuple[Assignment, ...]
    merges: tuple[Merge, ...] = ()

    @property
    def new_events(self) -> list[str]:
        """Ids of the events opened by this batch (some may have been merged since)."""
        return [a.event_id for a in self.assignments if a.created]


@dataclass
class _Event:
    id: str
    seq: int
    members: list[int]
    first: float
    last: float

    def copy(self) -> _Event:
        return _Event(self.id, self.seq, list(self.members), self.first, self.last)


def _nanmin(a: float, b: float) -> float:
    return b if math.isnan(a) else a if math.isnan(b) else min(a, b)


def _nanmax(a: float, b: float) -> float:
    return b if math.isnan(a) else a if math.isnan(b) else max(a, b)


@dataclass
class _Bundle:
    """Feature rows of some articles, ready for scoring."""

    dense: np.ndarray
    lexical: sparse.csr_matrix
    entities: sparse.csr_matrix
    mean: np.ndarray
    sd: np.ndarray
    days: np.ndarray


@dataclass
class _Batch:
    """Everything one batch computes before it is applied (copy-on-write overlays)."""

    start: int
    articles: list[Article]
    dense: np.ndarray
    lex_rows: list[tuple[np.ndarray, np.ndarray]]
    ent_rows: list[tuple[np.ndarray, np.ndarray]]
    days: np.ndarray
    words: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    weights: SimilarityWeights = field(default_factory=SimilarityWeights)
    threshold: float = DEFAULT_THRESHOLD
    eff: np.ndarray = field(default_factory=lambda: np.zeros(0))
    mean: np.ndarray = field(default_factory=lambda: np.zeros((3, 0)))
    sd: np.ndarray = field(default_factory=lambda: np.zeros((3, 0)))
    df_lex: np.ndarray = field(default_factory=lambda: np.zeros(0))
    df_ent: np.ndarray = field(default_factory=lambda: np.zeros(0))
    idf_lex: np.ndarray = field(default_factory=lambda: np.zeros(0))
    idf_ent: np.ndarray = field(default_factory=lambda: np.zeros(0))
    events: dict[str, _Event] = field(default_factory=dict)
    removed: set[str] = field(default_factory=set)
    redirect: dict[str, str] = field(default_factory=dict)
    postings: dict[int, dict[str, None]] = field(default_factory=dict)
    article_event: list[str] = field(default_factory=list)
    counter: int = 0
    clock: float = math.nan
    reservoir: list[int] = field(default_factory=list)
    rng_state: dict[str, Any] = field(default_factory=dict)


def _sublinear(matrix: sparse.csr_matrix) -> list[tuple[np.ndarray, np.ndarray]]:
    matrix = sparse.csr_matrix(matrix, dtype=np.float32)
    matrix.sum_duplicates()
    rows = []
    for i in range(matrix.shape[0]):
        lo, hi = matrix.indptr[i], matrix.indptr[i + 1]
        data = matrix.data[lo:hi]
        rows.append(
            (
                matrix.indices[lo:hi].astype(np.int32),
                (1.0 + np.log(data)).astype(np.float32),
            )
        )
    return rows


def _csr(rows: Sequence[tuple[np.ndarray, np.ndarray]]) -> sparse.csr_matrix:
    lengths = np.array([len(r[0]) for r in rows], dtype=np.int64)
    indptr = np.concatenate([[0], np.cumsum(lengths)])
    if rows and lengths.sum():
        indices = np.concatenate([r[0] for r in rows])
        data = np.concatenate([r[1] for r in rows])
    else:
        indices = np.zeros(0, dtype=np.int32)
        data = np.zeros(0, dtype=np.float32)
    return sparse.csr_matrix((data, indices, indptr), shape=(len(rows), N_FEATURES))


def _idf(df: np.ndarray, n_docs: int, *, min_df: int = 1) -> np.ndarray:
    idf = (np.log((1.0 + n_docs) / (1.0 + df)) + 1.0).astype(np.float32)
    if n_docs >= _MIN_DOCS_FOR_MAX_DF:
        idf[df > _MAX_DF * n_docs] = 0.0
        idf[df < min_df] = 0.0
    return idf


def _weighted(tf: sparse.csr_matrix, idf: np.ndarray) -> sparse.csr_matrix:
    out = tf.copy()
    out.data = out.data * idf[out.indices]
    return sparse.csr_matrix(normalize(out, norm="l2", copy=False))


class StreamClusterer:
    """Cluster articles into events incrementally, one batch at a time.

    Parameters are those of :class:`storycluster.StoryClusterer` where they share a name, plus:

    window:
        Days after its last article during which an event accepts new ones (see the module
        docstring for late articles). The default, 30 days, lets follow-up reports (an arrest,
        a funeral, a trial date) join their event: on gvc, where 10 % of same-event pairs are
        more than 19 days apart, a 7-day window loses 0.013 B-cubed F1 against 30 days.
    seed:
        Seed of the background reservoir; part of the saved state.
    reservoir_size:
        Past articles kept to measure each new article's background.
    max_members:
        Most recent members (plus the first) an article is compared with in an event.
    n_candidates:
        Events scored exactly per article, picked by shared index terms.
    postings_cap:
        Events kept per index term (most recently touched first).
    terms_per_article:
        Top lexical terms and top entity terms (each) an article is indexed and looked up by.

    ``short_threshold``, ``short_dense_weight`` and ``short_lexical_weight`` are set per batch
    from the median length of the reservoir and the batch (see the module docstring).

    Attributes
    ----------
    threshold_ : float or None
        The threshold used for the last batch, after the adjustment for text length; ``None``
        before the first batch.
    weights_ : SimilarityWeights or None
        The weights used for the last batch: after the adjustment for text length, with the
        neutral time gap capped by the median gap of the reservoir and the batch; ``None``
        before the first batch.

    Examples
    --------
    >>> stream = StreamClusterer()  # doctest: +SKIP
    >>> update = stream.partial_fit(first_batch)  # doctest: +SKIP
    >>> stream.event_of(update.assignments[0].article_id)  # doctest: +SKIP
    """

    def __init__(
        self,
        *,
        model: str | Embedder = DEFAULT_MODEL,
        threshold: float = DEFAULT_THRESHOLD,
        dense_weight: float = 0.25,
        lexical_weight: float = 0.5,
        entity_weight: float = 0.25,
        time_penalty: float = DEFAULT_TIME_PENALTY,
        time_scale_days: float = DEFAULT_TIME_SCALE_DAYS,
        short_threshold: float = DEFAULT_SHORT_THRESHOLD,
        short_dense_weight: float = DEFAULT_SHORT_DENSE_WEIGHT,
        short_lexical_weight: float = DEFAULT_SHORT_LEXICAL_WEIGHT,
        window: float = 30.0,
        clean: bool = True,
        lead_chars: int = 400,
        max_chars: int = 20_000,
        n_keywords: int = 8,
        cache: bool | str | os.PathLike[str] = True,
        seed: int = 0,
        reservoir_size: int = 2000,
        max_members: int = 50,
        n_candidates: int = 20,
        postings_cap: int = 100,
        terms_per_article: int = 8,
    ) -> None:
        self.model = model
        self.threshold = float(threshold)
        self.dense_weight = float(dense_weight)
        self.lexical_weight = float(lexical_weight)
        self.entity_weight = float(entity_weight)
        self.time_penalty = float(time_penalty)
        self.time_scale_days = float(time_scale_days)
        self.short_threshold = float(short_threshold)
        self.short_dense_weight = float(short_dense_weight)
        self.short_lexical_weight = float(short_lexical_weight)
        self.window = float(window)
        self.clean = bool(clean)
        self.lead_chars = int(lead_chars)
        self.max_chars = int(max_chars)
        self.n_keywords = int(n_keywords)
        self.cache = cache
        self.seed = int(seed)
        self.reservoir_size = int(reservoir_size)
        self.max_members = int(max_members)
        self.n_candidates = int(n_candidates)
        self.postings_cap = int(postings_cap)
        self.terms_per_article = int(terms_per_article)
        self._weights = SimilarityWeights(
            dense=self.dense_weight,
            lexical=self.lexical_weight,
            entity=self.entity_weight,
            time_penalty=self.time_penalty,
            time_scale_days=self.time_scale_days,
        )
        self._short_weights = replace(
            self._weights, dense=self.short_dense_weight, lexical=self.short_lexical_weight
        )
        self._validate_params()
        self._lock = threading.RLock()
        self._embedder_instance: Embedder | None = None
        self._lex_vectorizer = HashingVectorizer(
            n_features=N_FEATURES,
            alternate_sign=False,
            norm=None,
            stop_words="english",
            dtype=np.float32,
        )
        self._ent_vectorizer = HashingVectorizer(
            n_features=N_FEATURES,
            alternate_sign=False,
            norm=None,
            token_pattern=r"\S+",
            dtype=np.float32,
        )
        # -- state (everything below is saved) --
        self._articles: list[Article] = []
        self._ids: dict[str, int] = {}
        self._dense = np.zeros((0, 0), dtype=np.float32)
        self._dense_buf = np.zeros((0, 0), dtype=np.float32)
        self._lex: list[tuple[np.ndarray, np.ndarray]] = []
        self._ent: list[tuple[np.ndarray, np.ndarray]] = []
        self._days = np.zeros(0)
        self._words = np.zeros(0, dtype=np.int64)
        self._eff = np.zeros(0)
        self._mean = np.zeros((3, 0))
        self._sd = np.zeros((3, 0))
        self._df_lex = np.zeros(N_FEATURES, dtype=np.int64)
        self._df_ent = np.zeros(N_FEATURES, dtype=np.int64)
        self._events: dict[str, _Event] = {}
        self._redirect: dict[str, str] = {}
        self._postings: dict[int, dict[str, None]] = {}
        self._article_event: list[str] = []
        self._counter = 0
        self._clock = math.nan
        self._reservoir: list[int] = []
        self._rng_state: dict[str, Any] = np.random.PCG64(self.seed).state
        self.threshold_: float | None = None
        self.weights_: SimilarityWeights | None = None

    # -- parameters -------------------------------------------------------------------------

    _PARAMS = (
        "threshold",
        "dense_weight",
        "lexical_weight",
        "entity_weight",
        "time_penalty",
        "time_scale_days",
        "short_threshold",
        "short_dense_weight",
        "short_lexical_weight",
        "window",
        "clean",
        "lead_chars",
        "max_chars",
        "n_keywords",
        "seed",
        "reservoir_size",
        "max_members",
        "n_candidates",
        "postings_cap",
        "terms_per_article",
    )

    def get_params(self) -> dict[str, Any]:
        """Constructor parameters (``model`` and ``cache`` included)."""
        params = {name: getattr(self, name) for name in self._PARAMS}
        return {"model": self.model, "cache": self.cache, **params}

    def _validate_params(self) -> None:
        check_scoring_params(self.get_params())
        if not self.window > 0:
            raise ValueError(f"window must be > 0 days, got {self.window!r}")
        for name in (
            "lead_chars",
            "max_chars",
            "n_keywords",
            "reservoir_size",
            "max_members",
            "n_candidates",
            "postings_cap",
            "terms_per_article",
        ):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)!r}")

    def __repr__(self) -> str:
        return (
            f"StreamClusterer({len(self._articles)} articles, {len(self._events)} events, "
            f"threshold={self.threshold}, window={self.window})"
        )

    def __len__(self) -> int:
        return len(self._articles)

    # -- queries ----------------------------------------------------------------------------

    @property
    def n_articles(self) -> int:
        return len(self._articles)

    @property
    def n_events(self) -> int:
        """Events that exist now (merged-away ids not counted), open or not."""
        return len(self._events)

    def _resolve(self, event_id: str, redirect: dict[str, str] | None = None) -> str:
        while True:
            nxt = (redirect or {}).get(event_id) or self._redirect.get(event_id)
            if nxt is None:
                return event_id
            event_id = nxt

    def event_of(self, article_id: str) -> str:
        """Current event id of an article, following merges; ``KeyError`` if unknown."""
        with self._lock:
            index = self._ids.get(article_id)
            if index is None:
                raise KeyError(f"no article with id {article_id!r} in this stream")
            return self._resolve(self._article_event[index])

    def assignments(self) -> dict[str, str]:
        """``{article_id: current event id}`` for every article seen."""
        with self._lock:
            return {
                a.id: self._resolve(e)
                for a, e in zip(self._articles, self._article_event, strict=True)
            }

    def is_open(self, event_id: str) -> bool:
        """Whether the event (after merges) still accepts articles at the stream clock."""
        with self._lock:
            event = self._events[self._resolve(event_id)]
            return self._eligible(event, self._clock)

    def event(self, event_id: str) -> Event:
        """The event with this id (an absorbed id gives its survivor)."""
        with self._lock:
            resolved = self._resolve(event_id)
            if resolved not in self._events:
                raise KeyError(f"no event with id {event_id!r}")
            return self._build_cluster(self._events[resolved])

    @property
    def events(self) -> list[Event]:
        """Every current event (open or closed, merged-away ids excluded), oldest first."""
        with self._lock:
            ordered = sorted(self._events.values(), key=lambda e: e.seq)
            return [self._build_cluster(event) for event in ordered]

    # -- fitting ----------------------------------------------------------------------------

    def partial_fit(self, articles: Any, *, embeddings: np.ndarray | None = None) -> StreamUpdate:
        """Assign a batch of articles (at least one) to events and return what happened.

        ``articles`` is what :class:`storycluster.StoryClusterer` ``.fit`` takes; ``embeddings``
        optional ``(n_articles, dim)`` vectors in input order. The whole batch is validated first
        (ids unique and new, embeddings well-formed); on any error the state is unchanged.
        """
        with self._lock:
            batch = self._prepare_batch(articles, embeddings)
            update = self._run_batch(batch)
            self._apply(batch)
            return update

    def _embedder(self) -> Embedder:
        if self._embedder_instance is None:
            self._embedder_instance = make_embedder(
                self.model, show_progress_bar=False, cache=self.cache
            )
        return self._embedder_instance

    def _prepare(self, article: Article) -> Article:
        return prepare_article(article, clean=self.clean, max_chars=self.max_chars)

    def _prepare_batch(self, articles: Any, embeddings: np.ndarray | None) -> _Batch:
        items = as_articles(articles)
        if not items:
            raise ValueError("no articles in the batch: pass at least one article")
        seen: set[str] = set()
        for article in items:
            if article.id in seen:
                raise ValueError(f"duplicate article id {article.id!r} in the batch")
            if article.id in self._ids:
                raise ValueError(f"article id {article.id!r} was already seen by this stream")
            seen.add(article.id)
        prepared = [self._prepare(article) for article in items]
        if embeddings is None:
            texts = [embedding_text(article, self.lead_chars) for article in prepared]
            dense = self._embedder().encode(texts)
        else:
            dense = embeddings
        dense = check_embeddings(dense, len(items))
        if self._dense.shape[0] and dense.shape[1] != self._dense.shape[1]:
            raise ValueError(
                f"embeddings have dimension {dense.shape[1]}, the stream's have "
                f"{self._dense.shape[1]}"
            )
        texts = [lexical_text(article, self.max_chars) for article in prepared]
        lex = self._lex_vectorizer.transform(texts)
        ent = self._ent_vectorizer.transform([entity_tokens(text) for text in texts])
        return _Batch(
            start=len(self._articles),
            articles=items,
            dense=dense,
            lex_rows=_sublinear(lex),
            ent_rows=_sublinear(ent),
            days=days_since_epoch(items),
            words=np.array([word_count(text) for text in texts], dtype=np.int64),
        )

    # -- feature access ---------------------------------------------------------------------

    def _rows(self, batch: _Batch, indices: Sequence[int]) -> _Bundle:
        idx = np.asarray(indices, dtype=np.int64)
        old = idx < batch.start
        new = idx - batch.start
        dense = np.empty((idx.size, batch.dense.shape[1]), dtype=np.float32)
        mean = np.empty((3, idx.size))
        sd = np.empty((3, idx.size))
        days = np.empty(idx.size)
        if old.any():
            dense[old] = self._dense[idx[old]]
            mean[:, old] = self._mean[:, idx[old]]
            sd[:, old] = self._sd[:, idx[old]]
            days[old] = self._days[idx[old]]
        if (~old).any():
            dense[~old] = batch.dense[new[~old]]
            mean[:, ~old] = batch.mean[:, new[~old]]
            sd[:, ~old] = batch.sd[:, new[~old]]
            days[~old] = batch.days[new[~old]]
        lex = [self._lex[i] if i < batch.start else batch.lex_rows[i - batch.start] for i in idx]
        ent = [self._ent[i] if i < batch.start else batch.ent_rows[i - batch.start] for i in idx]
        return _Bundle(
            dense=dense,
            lexical=_weighted(_csr(lex), batch.idf_lex),
            entities=_weighted(_csr(ent), batch.idf_ent),
            mean=mean,
            sd=sd,
            days=days,
        )

    def _cosines(self, a: _Bundle, b: _Bundle) -> list[np.ndarray]:
        out = [a.dense @ b.dense.T]
        for x, y in ((a.lexical, b.lexical), (a.entities, b.entities)):
            out.append(np.asarray((x @ y.T).toarray()))
        return [np.asarray(block, dtype=np.float32) for block in out]

    def _scores(self, batch: _Batch, a: _Bundle, b: _Bundle) -> np.ndarray:
        return combine_scores(
            self._cosines(a, b), _scoring_rows(a, 1), _scoring_rows(b, 0), batch.weights
        )

    # -- one batch --------------------------------------------------------------------------

    def _run_batch(self, batch: _Batch) -> StreamUpdate:
        # The threshold and weights for the text length, and the time term's neutral gap, as the
        # batch clusterer sets them, over the reservoir of past articles and this batch (derived
        # from the state, so a reloaded stream agrees).
        batch.weights, batch.threshold = scoring_for_corpus(
            self._weights,
            self.threshold,
            self._short_weights,
            self.short_threshold,
            words=np.concatenate([self._words[self._reservoir], batch.words]),
            days=np.concatenate([self._days[self._reservoir], batch.days]),
        )
        n_new = len(batch.articles)
        n_docs = batch.start + n_new
        lex_new = np.zeros(N_FEATURES, dtype=np.int64)
        ent_new = np.zeros(N_FEATURES, dtype=np.int64)
        for indices, _ in batch.lex_rows:
            lex_new[indices] += 1
        for indices, _ in batch.ent_rows:
            ent_new[indices] += 1
        batch.df_lex = self._df_lex + lex_new
        batch.df_ent = self._df_ent + ent_new
        batch.idf_lex = _idf(batch.df_lex, n_docs, min_df=_LEXICAL_MIN_DF)
        batch.idf_ent = _idf(batch.df_ent, n_docs)
        batch.counter = self._counter
        batch.clock = self._clock
        batch.reservoir = list(self._reservoir)
        rng = np.random.Generator(np.random.PCG64())
        rng.bit_generator.state = self._rng_state
        batch.mean = np.zeros((3, n_new))
        batch.sd = np.ones((3, n_new))
        self._background(batch, rng)

        new_rows = self._rows(batch, range(batch.start, n_docs))
        assignments: list[Assignment] = []
        batch.eff = np.empty(n_new)
        touched: dict[str, None] = {}
        for j in range(n_new):
            index = batch.start + j
            article = batch.articles[j]
            day = float(batch.days[j])
            if not math.isnan(day):
                batch.clock = _nanmax(batch.clock, day)
                t = day
            else:
                t = batch.clock
            batch.eff[j] = t
            terms = self._top_terms(new_rows, j, batch)
            candidates = self._candidates(batch, terms, t)
            best_id, best_score = None, None
            if candidates:
                member_lists = [
                    self._capped(batch.events.get(c) or self._events[c]) for c in candidates
                ]
                flat = [m for members in member_lists for m in members]
                row = self._scores(batch, _slice(new_rows, j), self._rows(batch, flat))[0]
                start = 0
                for cand, members in zip(candidates, member_lists, strict=True):
                    value = float(row[start : start + len(members)].mean())
                    start += len(members)
                    if best_score is None or value > best_score:
                        best_id, best_score = cand, value
            if best_id is not None and best_score is not None and best_score >= batch.threshold:
                event = self._writable(batch, best_id)
                event.members.append(index)
                event.first = _nanmin(event.first, t)
                event.last = _nanmax(event.last, t)
                created = False
            else:
                event = _Event(ids.event_id(article.id), batch.counter, [index], t, t)
                batch.counter += 1
                batch.events[event.id] = event
                created = True
            touched[event.id] = None
            batch.article_event.append(event.id)
            self._post(batch, terms, event.id)
            assignments.append(
                Assignment(
                    article_id=article.id,
                    event_id=event.id,
                    created=created,
                    score=None if best_score is None else round(best_score, 6),
                )
            )
        merges = self._merge(batch, list(touched))
        self._sample(batch, rng)
        batch.rng_state = rng.bit_generator.state
        return StreamUpdate(assignments=tuple(assignments), merges=tuple(merges))

    def _background(self, batch: _Batch, rng: np.random.Generator) -> None:
        n_new = len(batch.articles)
        new_idx = list(range(batch.start, batch.start + n_new))
        if n_new > self.reservoir_size:
            picked = np.sort(rng.choice(n_new, size=self.reservoir_size, replace=False))
            extra = [new_idx[p] for p in picked.tolist()]
        else:
            extra = new_idx
        reference = batch.reservoir + extra
        ref = self._rows(batch, reference)
        ref_pos = {index: p for p, index in enumerate(reference)}
        sums = np.zeros((3, n_new))
        squares = np.zeros((3, n_new))
        counts = np.zeros(n_new)
        for lo in range(0, n_new, 512):
            hi = min(lo + 512, n_new)
            rows = self._rows(batch, new_idx[lo:hi])
            # Bundles need the background only for scores, not for cosines.
            cosines = self._cosines(rows, ref)
            for k, cos in enumerate(cosines):
                cos = cos.astype(np.float64)
                for r in range(hi - lo):
                    p = ref_pos.get(new_idx[lo + r])
                    if p is not None:
                        cos[r, p] = np.nan
                sums[k, lo:hi] = np.nansum(cos, axis=1)
                squares[k, lo:hi] = np.nansum(cos**2, axis=1)
            counts[lo:hi] = [len(reference) - (new_idx[lo + r] in ref_pos) for r in range(hi - lo)]
        observed = np.maximum(counts, 1.0)
        mean_obs = sums / observed
        var_obs = np.maximum(squares / observed - mean_obs**2, 0.0)
        weight = counts / (counts + _PRIOR_WEIGHT)
        batch.mean = weight * mean_obs + (1 - weight) * _PRIOR_MEAN[:, None]
        var = weight * var_obs + (1 - weight) * _PRIOR_SD[:, None] ** 2
        batch.sd = np.maximum(np.sqrt(var), _MIN_SD)

    def _sample(self, batch: _Batch, rng: np.random.Generator) -> None:
        """Reservoir sampling (algorithm R) of the batch's articles."""
        for j in range(len(batch.articles)):
            index = batch.start + j
            if len(batch.reservoir) < self.reservoir_size:
                batch.reservoir.append(index)
            else:
                slot = int(rng.integers(0, index + 1))
                if slot < self.reservoir_size:
                    batch.reservoir[slot] = index

    def _top_terms(self, rows: _Bundle, j: int, batch: _Batch) -> list[int]:
        terms: list[int] = []
        for offset, matrix in ((0, rows.lexical), (N_FEATURES, rows.entities)):
            lo, hi = matrix.indptr[j], matrix.indptr[j + 1]
            indices, data = matrix.indices[lo:hi], matrix.data[lo:hi]
            keep = data > 0
            indices, data = indices[keep], data[keep]
            order = np.lexsort((indices, -data))[: self.terms_per_article]
            terms.extend(int(offset + t) for t in indices[order])
        return terms

    def _eligible(self, event: _Event, t: float) -> bool:
        if math.isnan(t) or math.isnan(event.last):
            return True
        return event.last >= t - self.window and event.first <= t + self.window

    def _candidates(self, batch: _Batch, terms: list[int], t: float) -> list[str]:
        counts: dict[str, int] = {}
        ok: dict[str, bool] = {}
        for term in terms:
            posting = batch.postings.get(term)
            if posting is None:
                posting = self._postings.get(term)
            if not posting:
                continue
            for raw in posting:
                root = self._resolve(raw, batch.redirect)
                if root not in ok:
                    event = batch.events.get(root) or self._events.get(root)
                    ok[root] = (
                        event is not None and root not in batch.removed and self._eligible(event, t)
                    )
                if ok[root]:
                    counts[root] = counts.get(root, 0) + 1
        seq = {e: (batch.events.get(e) or self._events[e]).seq for e in counts}
        ranked = sorted(counts, key=lambda e: (-counts[e], -seq[e]))
        return ranked[: self.n_candidates]

    def _capped(self, event: _Event) -> list[int]:
        members = event.members
        if len(members) <= self.max_members + 1:
            return list(members)
        return [members[0], *members[-self.max_members :]]

    def _writable(self, batch: _Batch, event_id: str) -> _Event:
        event = batch.events.get(event_id)
        if event is None:
            event = self._events[event_id].copy()
            batch.events[event_id] = event
        return event

    def _post(self, batch: _Batch, terms: list[int], event_id: str) -> None:
        for term in terms:
            posting = batch.postings.get(term)
            if posting is None:
                posting = dict(self._postings.get(term, {}))
                batch.postings[term] = posting
            posting.pop(event_id, None)
            posting[event_id] = None
            while len(posting) > self.postings_cap:
                del posting[next(iter(posting))]

    def _merge(self, batch: _Batch, touched: list[str]) -> list[Merge]:
        alive = [e for e in touched if self._resolve(e, batch.redirect) == e]
        if len(alive) < 2:
            return []
        groups = [self._capped(batch.events[e]) for e in alive]
        flat = [m for g in groups for m in g]
        bundle = self._rows(batch, flat)
        scores = self._scores(batch, bundle, bundle).astype(np.float64)
        labels = np.repeat(np.arange(len(alive)), [len(g) for g in groups])
        indicator = sparse.csr_matrix(
            (np.ones(len(flat)), (labels, np.arange(len(flat)))), shape=(len(alive), len(flat))
        )
        sums = np.asarray(indicator @ scores @ indicator.T)
        sizes = np.array([len(g) for g in groups], dtype=np.float64)
        active = np.ones(len(alive), dtype=bool)
        merges: list[Merge] = []
        while True:
            means = sums / np.outer(sizes, sizes)
            np.fill_diagonal(means, -np.inf)
            means[~active, :] = -np.inf
            means[:, ~active] = -np.inf
            for a in range(len(alive)):
                for b in range(a + 1, len(alive)):
                    if means[a, b] >= batch.threshold:
                        ea, eb = batch.events[alive[a]], batch.events[alive[b]]
                        if not self._spans_meet(ea, eb):
                            means[a, b] = means[b, a] = -np.inf
            a, b = np.unravel_index(int(np.argmax(means)), means.shape)
            best = float(means[a, b])
            if not best >= batch.threshold:
                break
            ea, eb = batch.events[alive[a]], batch.events[alive[b]]
            if _older(eb, ea):
                a, b = b, a
                ea, eb = eb, ea
            ea.members = sorted(ea.members + eb.members)
            ea.first = _nanmin(ea.first, eb.first)
            ea.last = _nanmax(ea.last, eb.last)
            batch.redirect[eb.id] = ea.id
            batch.removed.add(eb.id)
            del batch.events[eb.id]
            sums[a, :] += sums[b, :]
            sums[:, a] += sums[:, b]
            sizes[a] += sizes[b]
            active[b] = False
            merges.append(Merge(absorbed=eb.id, survivor=ea.id, score=round(best, 6)))
        return merges

    def _spans_meet(self, a: _Event, b: _Event) -> bool:
        if math.isnan(a.last) or math.isnan(b.last):
            return True
        return a.first <= b.last + self.window and b.first <= a.last + self.window

    def _apply(self, batch: _Batch) -> None:
        """Commit a computed batch: only assignments and appends, nothing that can fail."""
        n_new = len(batch.articles)
        dim = batch.dense.shape[1]
        n_old = batch.start
        if self._dense_buf.shape[0] < n_old + n_new or self._dense_buf.shape[1] != dim:
            grown = np.zeros((max(2 * (n_old + n_new), 1024), dim), dtype=np.float32)
            if n_old:
                grown[:n_old] = self._dense_buf[:n_old]
            self._dense_buf = grown
        self._dense_buf[n_old : n_old + n_new] = batch.dense
        self._dense = self._dense_buf[: n_old + n_new]
        self._lex.extend(batch.lex_rows)
        self._ent.extend(batch.ent_rows)
        self._days = np.concatenate([self._days, batch.days])
        self._words = np.concatenate([self._words, batch.words])
        self._eff = np.concatenate([self._eff, batch.eff])
        self._mean = np.concatenate([self._mean, batch.mean], axis=1)
        self._sd = np.concatenate([self._sd, batch.sd], axis=1)
        self._df_lex = batch.df_lex
        self._df_ent = batch.df_ent
        for event_id in batch.removed:
            self._events.pop(event_id, None)
        self._events.update(batch.events)
        self._redirect.update(batch.redirect)
        self._postings.update(batch.postings)
        self._article_event.extend(batch.article_event)
        self._counter = batch.counter
        self._clock = batch.clock
        self._reservoir = batch.reservoir
        self._rng_state = batch.rng_state
        self.threshold_ = batch.threshold
        self.weights_ = batch.weights
        for j in range(n_new):
            self._ids[batch.articles[j].id] = batch.start + j
        self._articles.extend(batch.articles)

    # -- output -----------------------------------------------------------------------------

    def _committed_batch(self) -> _Batch:
        """An empty batch over the committed state, for scoring committed articles."""
        dim = self._dense.shape[1] if self._dense.ndim == 2 else 0
        batch = _Batch(
            start=len(self._articles),
            articles=[],
            dense=np.zeros((0, dim), dtype=np.float32),
            lex_rows=[],
            ent_rows=[],
            days=np.zeros(0),
        )
        batch.idf_lex = _idf(self._df_lex, len(self._articles), min_df=_LEXICAL_MIN_DF)
        batch.idf_ent = _idf(self._df_ent, len(self._articles))
        # Events are scored as in the last batch (none yet: no events to score).
        batch.weights = self.weights_ if self.weights_ is not None else self._weights
        batch.threshold = self.threshold_ if self.threshold_ is not None else self.threshold
        return batch

    def _build_cluster(self, event: _Event) -> Event:
        batch = self._committed_batch()
        members = event.members
        scored = members[-_REPRESENTATIVE_CAP:]
        bundle = self._rows(batch, scored)
        if len(scored) > 1:
            block = self._scores(batch, bundle, bundle).astype(np.float64)
            np.fill_diagonal(block, 0.0)
            centrality = block.sum(axis=1) / (len(scored) - 1)

            def key(p: int) -> tuple[float, float, str]:
                article = self._articles[scored[p]]
                published = article.published_at.timestamp() if article.published_at else math.inf
                return (-round(float(centrality[p]), 9), published, article.id)

            rep = scored[min(range(len(scored)), key=key)]
        else:
            rep = scored[0]
        return assemble_event(
            [self._articles[i] for i in members],
            self._dense[members],
            members.index(rep),
            self._keywords(batch, members),
            event_id=event.id,
        )

    def _keywords(self, batch: _Batch, members: list[int]) -> list[str]:
        """Terms weighing more in the event than in the reservoir, read back from the texts."""
        sample = members[-self.max_members :]
        event_mean = np.asarray(self._rows(batch, sample).lexical.mean(axis=0)).ravel()
        if self._reservoir:
            corpus = self._rows(batch, self._reservoir).lexical
            event_mean = event_mean - np.asarray(corpus.mean(axis=0)).ravel()
        analyzer = self._lex_vectorizer.build_analyzer()
        names: dict[int, str] = {}
        for index in sample:
            article = self._prepare(self._articles[index])
            for token in analyzer(lexical_text(article, self.max_chars)):
                column = abs(murmurhash3_32(token, seed=0)) % N_FEATURES
                current = names.get(column)
                if current is None or token < current:
                    names[column] = token
        ranked = sorted(names, key=lambda c: (-event_mean[c], names[c]))
        return [names[c] for c in ranked[: self.n_keywords] if event_mean[c] > 0]

    # -- persistence ------------------------------------------------------------------------

    def save(self, directory: str | os.PathLike[str]) -> None:
        """Write the whole state to ``directory`` atomically (see :mod:`.persistence`)."""
        from ._persistence import save_state

        with self._lock:
            save_state(self, directory)

    @classmethod
    def load(
        cls, directory: str | os.PathLike[str], *, model: str | Embedder | None = None
    ) -> StreamClusterer:
        """Read a state written by :meth:`save`; ``model`` overrides the saved model name
        (needed when the stream was built with an embedder object)."""
        from ._persistence import load_state

        return load_state(cls, directory, model=model)


def _scoring_rows(bundle: _Bundle, axis: int) -> ScoringRows:
    """The bundle's rows along ``axis`` of a (rows, cols) score block."""
    evidence = np.vstack(
        [
            np.ones(bundle.dense.shape[0], dtype=bool),
            np.diff(bundle.lexical.indptr) > 0,
            np.diff(bundle.entities.indptr) > 0,
        ]
    )
    return ScoringRows(
        mean=np.expand_dims(bundle.mean, axis + 1),
        sd=np.expand_dims(bundle.sd, axis + 1),
        evidence=np.expand_dims(evidence, axis + 1),
        days=np.expand_dims(bundle.days, axis),
    )


def _slice(bundle: _Bundle, j: int) -> _Bundle:
    return _Bundle(
        dense=bundle.dense[j : j + 1],
        lexical=bundle.lexical[j : j + 1],
        entities=bundle.entities[j : j + 1],
        mean=bundle.mean[:, j : j + 1],
        sd=bundle.sd[:, j : j + 1],
        days=bundle.days[j : j + 1],
    )


def _older(a: _Event, b: _Event) -> bool:
    """Whether ``a`` survives a merge with ``b``: earlier first article, then opened first."""
    fa = math.inf if math.isnan(a.first) else a.first
    fb = math.inf if math.isnan(b.first) else b.first
    return (fa, a.seq) < (fb, b.seq)
