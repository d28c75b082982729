"""``StreamClusterer``: events for services, batch by batch, in an event store.

The stream runs the batch clusterer's pipeline (features, TF-IDF analyser, backgrounds, the
shared event score, average linkage, representative and keyword rules, near-copies, event ids)
and adds only what is about time: the live set of events, the candidate index, assignment and
merging (see :mod:`._state`). Its state lives in an event store (:mod:`._store`): SQLite by
default, PostgreSQL for a ``postgresql://`` DSN, an in-memory SQLite database without
``store=``. Each :meth:`StreamClusterer.partial_fit` commits one transaction; a reopened store
(:meth:`StreamClusterer.open`) continues exactly as the stream would have.

Live and closed
    An event is live while its latest article (or, for an event whose articles have no date,
    the clock when it last received one) is within ``window`` days of the stream clock, the
    latest publication time seen. Live events keep in memory their first member and their
    ``max_members`` latest ones (the members an article is scored against), those members'
    scoring rows (about 3 KB each with a 384-dimensional model), their summary and their index
    terms; the ``reservoir_size`` rows of the background reservoir stay too. Closed events, all
    articles and their texts live in the store only. An article without a date, or one older
    than the newest closed event's span, also looks for its event among closed events, in the
    store. A stream that never sees a date has no clock: its events never close.

Threads
    :meth:`partial_fit` embeds and hashes its batch before it takes the stream's lock, and the
    queries read the store through their own connections: they answer from the last committed
    batch and never wait for a batch being embedded or scored.
"""

from __future__ import annotations

import logging
import math
import numbers
import os
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, fields, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import numpy as np
from sklearn.base import BaseEstimator

from .._features.embedding import DEFAULT_MODEL, Embedder
from .._features.vectors import make_embedder
from .._grouping.representatives import assemble_event
from .._scoring.similarity import (
    DEFAULT_SHORT_DENSE_WEIGHT,
    DEFAULT_SHORT_LEXICAL_WEIGHT,
    DEFAULT_SHORT_THRESHOLD,
    DEFAULT_THRESHOLD,
    DEFAULT_TIME_PENALTY,
    DEFAULT_TIME_SCALE_DAYS,
    DEFAULT_WEEKDAY_PENALTY,
    SimilarityWeights,
    check_scoring_params,
)
from ..io import as_articles
from ..models import Article, Event, normalize_id
from ._incoming import prepare_incoming, subset
from ._rows import N_FEATURES, Row, unpack
from ._state import (
    Incoming,
    LiveEvent,
    LiveState,
    Params,
    plan_batch,
)
from ._store import Commit, EventStore, StoreError, open_store
from ._stories import StoryLinks, link_stories, story_scoring

if TYPE_CHECKING:
    import pandas as pd

    from ..batch import StoryClusterer

__all__ = ["Assignment", "EventSummary", "Merge", "StreamClusterer", "StreamUpdate"]

logger = logging.getLogger("storycluster.stream")

FORMAT = "storycluster.stream"
FORMAT_VERSION = 4
_KNOWN_POLICIES = ("skip", "update", "error")


@dataclass(frozen=True)
class Assignment:
    """Where one article of a batch went (its event after the batch's merges)."""

    article_id: str
    event_id: str
    created: bool
    """True when the article opened a new event."""
    score: float | None
    """Mean pair score with the other members of its event that were scored in the batch;
    ``None`` when it is alone."""
    story_id: str | None = None
    """The story of its event after the batch (see :meth:`StreamClusterer.story_of`)."""


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
    skipped: tuple[str, ...] = ()
    """Ids already in the stream, left as they were (``on_known="skip"``)."""
    updated: tuple[str, ...] = ()
    """Ids already in the stream whose stored fields were replaced (``on_known="update"``)."""
    changed_events: tuple[str, ...] = ()
    """Events opened or changed by the batch (after merges)."""
    batch: int = 0
    """The batch number in the store (1 for the first)."""
    story_merges: tuple[Merge, ...] = ()
    """Stories joined by the batch: story ``absorbed`` now lives on in story ``survivor``."""

    @property
    def new_events(self) -> list[str]:
        """Ids of the events opened by this batch."""
        return [a.event_id for a in self.assignments if a.created]


@dataclass(frozen=True)
class EventSummary:
    """One event as the store keeps it: no members, no scoring, read in milliseconds."""

    id: str
    label: str
    size: int
    first_seen: datetime | None
    last_seen: datetime | None
    sources: list[str]
    keywords: list[str]
    representative: str | None
    """Id of the representative article."""
    is_open: bool
    created_batch: int
    updated_batch: int

    @classmethod
    def _from_row(cls, row: dict[str, Any]) -> EventSummary:
        return cls(
            id=row["id"],
            label=row["label"],
            size=int(row["size"]),
            first_seen=_parse(row["first_seen"]),
            last_seen=_parse(row["last_seen"]),
            sources=list(row["sources"]),
            keywords=list(row["keywords"]),
            representative=row["representative"],
            is_open=bool(row["is_open"]),
            created_batch=int(row["created_batch"]),
            updated_batch=int(row["updated_batch"]),
        )


def _parse(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)


def _day(value: datetime | str | float | None) -> float | None:
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.timestamp() / 86_400.0
    return float(value)


#: Parameters stored with a stream as floats (None stays None) ...
_FLOAT_PARAMS = (
    "threshold",
    "dense_weight",
    "lexical_weight",
    "entity_weight",
    "time_penalty",
    "time_scale_days",
    "weekday_penalty",
    "short_threshold",
    "short_dense_weight",
    "short_lexical_weight",
    "window",
    "dedup_threshold",
    "retention_days",
)
#: ... and as given: together the parameters a store records; another value refuses it.
_PARAMS = (
    *_FLOAT_PARAMS,
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
    "dense_candidates",
)
#: Private runtime attributes, made on first use (see StreamClusterer._start).
_RUNTIME = frozenset({"_store", "_state", "_dim", "_lock", "_embedder_instance", "_listeners"})
#: Serialises first uses, so two threads never open one stream's store twice.
_START_LOCK = threading.RLock()


#: Parameters added after stores were first written, with the value those stores ran with.
_LATER_PARAMS: dict[str, Any] = {"weekday_penalty": DEFAULT_WEEKDAY_PENALTY}


def _with_later_params(stored: dict[str, Any]) -> dict[str, Any]:
    """A store's parameters, with those it predates at the value it ran with."""
    return {**_LATER_PARAMS, **stored}


def _is_real(value: Any) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


class StreamClusterer(BaseEstimator):
    """Cluster articles into events incrementally, one batch at a time, into an event store.

    Parameters are those of :class:`storycluster.StoryClusterer` where they share a name, plus:

    store:
        Where the stream lives: a path (an SQLite file, created if missing), a
        ``postgresql://`` DSN (the ``postgres`` extra), or None (an in-memory database, lost
        with the object). A store that already holds a stream is resumed if its parameters are
        these, refused otherwise (:class:`StoreError`); :meth:`open` resumes with the stored
        parameters.
    window:
        Days after its last article during which an event accepts new ones (live events). The
        default, 90 days, lets follow-up reports months later (a trial, an anniversary) join
        their event, as the batch clusterer lets them: replaying gvc, 30 days give 0.968
        B-cubed F1, 90 days 0.973, batch 0.978; memory for live events grows with it. A new
        event's story is found among the live events too (and, for an undated or late article,
        among the closed events its words find in the store), so a story continues across a
        lull shorter than the window, and after a longer one a dated event starts a new story.
        The batch clusterer, seeing the whole corpus, has no such limit: replaying ECB+, whose
        undated half comes after years of dated articles, its topics give story B-cubed F1
        0.882 at 90 days, 0.909 at 365, batch 0.946.
    seed, reservoir_size:
        The background reservoir: past articles each new article's background is measured
        against (seeded reservoir sampling). Until it is full (the warm-up, see
        :mod:`storycluster.stream._state`), each batch also measures its candidate events'
        backgrounds again and lets live events merge with each other.
    max_members:
        Most recent members (plus the first) an article is compared with in an event.
    n_candidates, postings_cap, terms_per_article:
        The candidate index: events scored per article, events read per index term (most
        recently touched first), top lexical and entity terms an article is indexed by.
    dense_candidates:
        Live events nearest to each article by dense centroid scored besides the index's
        (0: the index alone). Reports of one event in other words, headlines above all, share
        no index term: replaying the first 3,000 googlenews headlines, 0 gives 0.705 B-cubed
        F1, 3 gives 0.720 (batch 0.732). Costs one product of the batch with the live events'
        centroids per batch.
    dedup_threshold:
        MinHash Jaccard estimate above which a member is a near-copy of an earlier one of its
        event (``duplicate_of``); None turns the check off.
    on_known:
        What a batch does with an article id the stream already holds: ``"skip"`` it (at-least-
        once delivery), ``"update"`` its stored fields (it keeps its event), or raise
        (``"error"``); :meth:`partial_fit` can override it per call.
    retention_days:
        Drop the texts of events closed for this many days (None keeps them).

    Attributes
    ----------
    threshold_, weights_:
        The threshold and weights of the last batch (after the text-length adjustment);
        ``None`` before the first batch.
    """

    # The runtime state: not set by __init__, made by _start on first use (see __getattr__).
    _store: EventStore
    _state: LiveState
    _dim: int | None
    _lock: threading.RLock
    _embedder_instance: Embedder | None
    _listeners: list[Callable[[StreamUpdate], None]]

    def __init__(
        self,
        *,
        store: Any = None,
        model: str | Embedder = DEFAULT_MODEL,
        threshold: float = DEFAULT_THRESHOLD,
        dense_weight: float = 0.25,
        lexical_weight: float = 0.5,
        entity_weight: float = 0.25,
        time_penalty: float = DEFAULT_TIME_PENALTY,
        time_scale_days: float = DEFAULT_TIME_SCALE_DAYS,
        weekday_penalty: float = DEFAULT_WEEKDAY_PENALTY,
        short_threshold: float = DEFAULT_SHORT_THRESHOLD,
        short_dense_weight: float = DEFAULT_SHORT_DENSE_WEIGHT,
        short_lexical_weight: float = DEFAULT_SHORT_LEXICAL_WEIGHT,
        window: float = 90.0,
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
        dense_candidates: int = 3,
        dedup_threshold: float | None = 0.8,
        on_known: str = "skip",
        retention_days: float | None = None,
    ) -> None:
        # scikit-learn's convention: store the arguments untouched, nothing else. The store
        # is opened, the parameters checked and the live state loaded or created on first use
        # (partial_fit or any query; see _start), so clone() and set_params() work as for any
        # estimator.
        self.store = store
        self.model = model
        self.threshold = threshold
        self.dense_weight = dense_weight
        self.lexical_weight = lexical_weight
        self.entity_weight = entity_weight
        self.time_penalty = time_penalty
        self.time_scale_days = time_scale_days
        self.weekday_penalty = weekday_penalty
        self.short_threshold = short_threshold
        self.short_dense_weight = short_dense_weight
        self.short_lexical_weight = short_lexical_weight
        self.window = window
        self.clean = clean
        self.lead_chars = lead_chars
        self.max_chars = max_chars
        self.n_keywords = n_keywords
        self.cache = cache
        self.seed = seed
        self.reservoir_size = reservoir_size
        self.max_members = max_members
        self.n_candidates = n_candidates
        self.postings_cap = postings_cap
        self.terms_per_article = terms_per_article
        self.dense_candidates = dense_candidates
        self.dedup_threshold = dedup_threshold
        self.on_known = on_known
        self.retention_days = retention_days

    def __getattr__(self, name: str) -> Any:
        # Only reached when normal lookup fails: the runtime state is made on first use.
        if name in _RUNTIME:
            self._start()
            return object.__getattribute__(self, name)
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def _start(self) -> None:
        """Check the parameters, open the store and resume or create the stream (once).

        The runtime attributes are published together at the end, so a thread that finds
        them sees a stream that is ready; one that does not waits here for it."""
        with _START_LOCK:
            if "_lock" in self.__dict__:
                return
            self._check_params()
            store = open_store(self.store)
            try:
                if store.has_stream():
                    dim, state = self._resume(store, check=True)
                else:
                    dim, state = None, LiveState(rng_state=dict(np.random.PCG64(self.seed).state))
                    store.create(self._meta(state, dim, initial=True))
            except BaseException:
                store.close()
                raise
            self.__dict__.update(
                {
                    "_store": store,
                    "_state": state,
                    "_dim": dim,
                    "_embedder_instance": None,
                    "_listeners": [],
                    "_lock": threading.RLock(),
                }
            )

    # get_params, set_params, clone and the repr come from BaseEstimator, which reads the
    # parameters from the signature of __init__.

    def _stored_params(self) -> dict[str, Any]:
        """The parameters a store records (and a resumed stream must match), normalised."""
        params = {name: getattr(self, name) for name in _PARAMS}
        for name in _FLOAT_PARAMS:
            if params[name] is not None:
                params[name] = float(params[name])
        return params

    def _check_params(self) -> None:
        check_scoring_params(self.get_params())
        if not _is_real(self.window) or not self.window > 0 or not math.isfinite(self.window):
            raise ValueError(f"window must be a finite number of days > 0, got {self.window!r}")
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
            value = getattr(self, name)
            if not isinstance(value, numbers.Integral) or isinstance(value, bool) or value < 1:
                raise ValueError(f"{name} must be a positive int, got {value!r}")
        value = self.dense_candidates
        if not isinstance(value, numbers.Integral) or isinstance(value, bool) or value < 0:
            raise ValueError(f"dense_candidates must be an int >= 0, got {value!r}")
        if not isinstance(self.seed, numbers.Integral) or isinstance(self.seed, bool):
            raise ValueError(f"seed must be an int, got {self.seed!r}")
        if not isinstance(self.clean, bool):
            raise ValueError(f"clean must be True or False, got {self.clean!r}")
        if self.dedup_threshold is not None and (
            not _is_real(self.dedup_threshold) or not 0 < self.dedup_threshold <= 1
        ):
            raise ValueError(
                f"dedup_threshold must be in (0, 1] or None, got {self.dedup_threshold!r}"
            )
        if self.on_known not in _KNOWN_POLICIES:
            raise ValueError(f"on_known must be one of {_KNOWN_POLICIES}, got {self.on_known!r}")
        if self.retention_days is not None and (
            not _is_real(self.retention_days) or not self.retention_days >= 0
        ):
            raise ValueError(f"retention_days must be >= 0 or None, got {self.retention_days!r}")

    def _params(self) -> Params:
        stored = self._stored_params()
        weights = SimilarityWeights(
            dense=stored["dense_weight"],
            lexical=stored["lexical_weight"],
            entity=stored["entity_weight"],
            time_penalty=stored["time_penalty"],
            time_scale_days=stored["time_scale_days"],
            weekday_penalty=stored["weekday_penalty"],
        )
        return Params(
            weights=weights,
            short_weights=replace(
                weights, dense=stored["short_dense_weight"], lexical=stored["short_lexical_weight"]
            ),
            threshold=stored["threshold"],
            short_threshold=stored["short_threshold"],
            window=stored["window"],
            reservoir_size=int(self.reservoir_size),
            max_members=int(self.max_members),
            n_candidates=int(self.n_candidates),
            postings_cap=int(self.postings_cap),
            terms_per_article=int(self.terms_per_article),
            dense_candidates=int(self.dense_candidates),
            n_keywords=int(self.n_keywords),
            dedup_threshold=stored["dedup_threshold"],
            retention_days=stored["retention_days"],
        )

    # -- opening ------------------------------------------------------------------------------

    def _meta(self, state: LiveState, dim: int | None, *, initial: bool = False) -> dict[str, Any]:
        meta = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "params": self._stored_params(),
            "model": self.model if isinstance(self.model, str) else None,
            "dim": dim,
        }
        meta.update(state.meta())
        return meta

    @classmethod
    def open(
        cls,
        store: Any,
        *,
        model: str | Embedder | None = None,
        cache: bool | str | os.PathLike[str] = True,
        on_known: str = "skip",
    ) -> StreamClusterer:
        """Resume the stream held by ``store`` (a path, a DSN or an :class:`EventStore`).

        ``model`` overrides the stored model name (needed when the stream was built with an
        embedder object); raises :class:`StoreError` when the store holds no stream.
        """
        backend = open_store(store)
        try:
            if not backend.has_stream():
                raise StoreError(f"{backend.url} holds no storycluster stream")
            meta = backend.read_meta()
            _check_format(meta, backend.url)
            chosen = model if model is not None else meta.get("model")
            self = cls(
                store=backend,
                model=chosen if chosen is not None else "",
                cache=cache,
                on_known=on_known,
                **_with_later_params(meta["params"]),
            )
            self._start()
        except BaseException:
            backend.close()
            raise
        return self

    def _resume(self, store: EventStore, *, check: bool) -> tuple[int | None, LiveState]:
        meta = store.read_meta()
        _check_format(meta, store.url)
        stored = _with_later_params(meta["params"])
        mine = self._stored_params()
        if check and stored != mine:
            diff = sorted(k for k in set(stored) | set(mine) if stored.get(k) != mine.get(k))
            shown = ", ".join(f"{k}={stored.get(k)!r} (asked {mine.get(k)!r})" for k in diff)
            raise StoreError(
                f"{store.url} holds a stream with other parameters: {shown}; "
                "use StreamClusterer.open() to resume it"
            )
        return meta.get("dim"), _load_state(store, meta, float(self.window))

    @classmethod
    def from_batch(
        cls,
        model: StoryClusterer,
        articles: Any,
        *,
        store: Any = None,
        **params: Any,
    ) -> StreamClusterer:
        """A stream that starts from a fitted batch clusterer's events.

        ``articles`` are those ``model`` was fitted on (same order); their events, ids
        included, become the stream's first batch, after which new articles are assigned
        as usual. Scoring parameters default to the batch clusterer's.
        """
        items = as_articles(articles)
        if len(items) != len(model.labels_):
            raise ValueError(
                f"{len(items)} articles given, the model was fitted on {len(model.labels_)}"
            )
        shared = {
            name: getattr(model, name)
            for name in (
                "model",
                "threshold",
                "dense_weight",
                "lexical_weight",
                "entity_weight",
                "time_penalty",
                "time_scale_days",
                "short_threshold",
                "short_dense_weight",
                "short_lexical_weight",
                "clean",
                "lead_chars",
                "max_chars",
                "n_keywords",
                "cache",
                "dedup_threshold",
            )
        }
        stream = cls(store=store, **{**shared, **params})
        if stream._state.n_rows:
            stream.close()
            raise StoreError(f"{stream._store.url} already holds articles")
        position = {a.id: i for i, a in enumerate(items)}
        forced = [
            (event.id, [position[m.article_id] for m in event.members]) for event in model.events_
        ]
        stream._ingest(items, model.embeddings_, forced=forced, on_known="error")
        return stream

    # -- ingest ----------------------------------------------------------------------------

    def _embedder(self) -> Embedder:
        if self._embedder_instance is None:
            self._embedder_instance = make_embedder(
                self.model, show_progress_bar=False, cache=self.cache
            )
        return self._embedder_instance

    def add_listener(self, callback: Callable[[StreamUpdate], None]) -> None:
        """Call ``callback(update)`` after each committed batch (the seam for story linking
        and other consumers of event changes); exceptions propagate to the caller of
        :meth:`partial_fit`, after the batch is committed."""
        self._listeners.append(callback)

    def partial_fit(
        self, articles: Any, *, embeddings: np.ndarray | None = None, on_known: str | None = None
    ) -> StreamUpdate:
        """Assign a batch of articles to events, commit it, and return what happened.

        ``articles`` is what :class:`storycluster.StoryClusterer` ``.fit`` takes; ``embeddings``
        optional ``(n_articles, dim)`` vectors in input order. The whole batch is checked first
        (ids unique in the batch, fields the store can hold, embeddings well-formed); on any
        error nothing changes. Ids the stream already holds follow ``on_known`` (default: the
        stream's).
        """
        policy = self.on_known if on_known is None else on_known
        if policy not in _KNOWN_POLICIES:
            raise ValueError(f"on_known must be one of {_KNOWN_POLICIES}, got {policy!r}")
        return self._ingest(as_articles(articles), embeddings, on_known=policy)

    def _ingest(
        self,
        items: list[Article],
        embeddings: np.ndarray | None,
        *,
        on_known: str,
        forced: Sequence[tuple[str, Sequence[int]]] | None = None,
    ) -> StreamUpdate:
        started = time.perf_counter()
        if not items:
            raise ValueError("no articles in the batch: pass at least one article")
        seen: set[str] = set()
        for article in items:
            if article.id in seen:
                raise ValueError(f"duplicate article id {article.id!r} in the batch")
            seen.add(article.id)
        if embeddings is not None and forced is None:
            embeddings = np.asarray(embeddings)
        # Outside the lock: checks, cleaning, embedding, hashing.
        known_before = self._store.known_articles([a.id for a in items])
        if known_before and on_known == "error":
            raise ValueError(
                f"article id {next(iter(known_before))!r} was already seen by this stream "
                f"({len(known_before)} known ids in the batch)"
            )
        fresh = [i for i, a in enumerate(items) if a.id not in known_before]
        to_embed = [items[i] for i in fresh] if on_known == "skip" else items
        vectors = None
        if embeddings is not None:
            if embeddings.ndim != 2 or embeddings.shape[0] != len(items):
                from .._features.vectors import check_embeddings

                check_embeddings(embeddings, len(items))
            vectors = embeddings if on_known != "skip" else embeddings[fresh]
        if to_embed:
            incoming = prepare_incoming(
                to_embed,
                vectors,
                embed=lambda texts: self._embedder().encode(texts),
                clean=self.clean,
                lead_chars=self.lead_chars,
                max_chars=self.max_chars,
                dim=self._dim,
            )
        else:
            incoming = None
        with self._lock:
            known = self._store.known_articles([a.id for a in items])
            if known and on_known == "error":
                raise ValueError(
                    f"article id {next(iter(known))!r} was already seen by this stream"
                )
            updated: list[str] = []
            commit_extra: list[tuple[Any, ...]] = []
            if incoming is not None:
                keep = [i for i, a in enumerate(incoming.articles) if a.id not in known]
                if on_known == "update":
                    for i, a in enumerate(incoming.articles):
                        if a.id in known:
                            title, text, url, source, _, language, metadata = incoming.records[i]
                            commit_extra.append(
                                (title, text, url, source, language, metadata, a.id)
                            )
                            updated.append(a.id)
                if len(keep) != len(incoming.articles):
                    incoming = subset(incoming, keep)
            skipped = tuple(a.id for a in items if a.id in known and a.id not in updated)
            if incoming is None or not incoming.articles:
                if commit_extra:
                    self._store.commit(Commit(updated_articles=commit_extra))
                return StreamUpdate(
                    assignments=(), skipped=skipped, updated=tuple(updated), batch=self._state.batch
                )
            if self._dim is not None and incoming.dense.shape[1] != self._dim:
                raise ValueError(
                    f"embeddings have dimension {incoming.dense.shape[1]}, the stream's have "
                    f"{self._dim}"
                )
            commit, apply, outcome = plan_batch(
                self._state, self._store, incoming, self._params(), forced=forced
            )
            commit.updated_articles = commit_extra
            dim = int(incoming.dense.shape[1])
            commit.meta.update({"dim": dim})
            self._store.commit(commit)
            apply()
            self._dim = dim
            links = self._link_stories(
                outcome.events, outcome.changed, outcome.merges, outcome.closed
            )
            update = StreamUpdate(
                assignments=tuple(
                    Assignment(
                        article_id=a.id,
                        event_id=outcome.events[j],
                        created=outcome.created[j],
                        score=outcome.scores[j],
                        story_id=links.assigned.get(outcome.events[j]),
                    )
                    for j, a in enumerate(incoming.articles)
                ),
                merges=tuple(Merge(a, s, sc) for a, s, sc in outcome.merges),
                skipped=skipped,
                updated=tuple(updated),
                changed_events=tuple(outcome.changed),
                batch=self._state.batch,
                story_merges=tuple(Merge(a, s, sc) for a, s, sc in links.merges),
            )
        logger.info(
            "batch %d: %d articles, %d new events, %d joined, %d merged, %d skipped, "
            "%d live events, %.0f ms",
            update.batch,
            len(update.assignments),
            outcome.opened,
            outcome.joined,
            len(update.merges),
            len(skipped),
            len(self._state.events),
            1e3 * (time.perf_counter() - started),
        )
        for callback in self._listeners:
            callback(update)
        return update

    # -- stories ------------------------------------------------------------------------------

    def _link_stories(
        self,
        events: Sequence[str],
        changed: Sequence[str],
        merges: Sequence[tuple[str, str, float]],
        closed: Mapping[str, Sequence[Row]],
    ) -> StoryLinks:
        """Place the batch's events in stories (see :mod:`storycluster.stream._stories`) and
        write them, after the batch's own transaction. ``closed``: the closed events the batch
        loaded as candidates, with their scoring rows (their stories are candidates too)."""
        from .._grouping.stories import (
            DEFAULT_SHORT_STORY_THRESHOLD,
            DEFAULT_STORY_THRESHOLD,
            DEFAULT_STORY_TIME_PENALTY,
            DEFAULT_STORY_TIME_SCALE_DAYS,
        )

        weights, threshold = story_scoring(
            self._state,
            self._params(),
            story_threshold=DEFAULT_STORY_THRESHOLD,
            short_story_threshold=DEFAULT_SHORT_STORY_THRESHOLD,
            time_penalty=DEFAULT_STORY_TIME_PENALTY,
            time_scale_days=DEFAULT_STORY_TIME_SCALE_DAYS,
        )
        touched = sorted({*events, *changed})
        known = self._store.stories_of(
            sorted({*self._state.events, *touched, *(a for a, _, _ in merges)})
        )
        # A live event left without a story (a crash between the two commits) is placed now.
        touched = sorted({*touched, *(e for e in self._state.events if e not in known)})
        # Closed candidates the batch left closed and whole, in the story they hold now.
        left_out = {*touched, *self._state.events, *(a for a, _, _ in merges)}
        in_store = self._store.stories_of([e for e in closed if e not in left_out and closed[e]])
        # One lookup per story (the events a batch loads share a few).
        now = {name: self._store.resolve_story(name) for name in set(in_store.values())}
        closed_stories = {e: (now[in_store[e]], list(closed[e])) for e in sorted(in_store)}
        links = link_stories(
            self._state,
            touched,
            list(merges),
            known,
            weights,
            threshold,
            dim=int(self._dim or 0),
            reservoir_size=int(self.reservoir_size),
            grew=Counter(events),
            closed=closed_stories,
        )
        batch = self._state.batch
        self._store.commit(
            Commit(
                stories=sorted(links.assigned.items()),
                story_merges=[(a, s, score, batch) for a, s, score in links.merges],
            )
        )
        return links

    def story_of(self, event_id: str) -> str:
        """The story of an event (merges of events and of stories applied); ``KeyError`` for an
        unknown event. A story is named after its founding event (``st_`` + the event's hash),
        as a batch run names it, and keeps its id as events join it."""
        resolved = self._resolve(event_id)
        found = self._store.stories_of([resolved]).get(resolved)
        if found is None:
            raise KeyError(f"event {event_id!r} has no story")
        return self._store.resolve_story(found)

    def story_events(self, story_id: str) -> list[str]:
        """Ids of the events of a story (current ids, merges applied), oldest first."""
        return self._store.story_events(self._store.resolve_story(story_id))

    # -- forgetting ---------------------------------------------------------------------------

    def forget(self, article_ids: Sequence[str]) -> list[str]:
        """Remove articles (texts, scoring rows, index entries) from memory and store, and
        update their events; an event left empty is deleted. Returns the ids removed (unknown
        ids are ignored). Term statistics are kept: they hold counts, not text."""
        from ._forget import plan_forget

        with self._lock:
            commit, apply, removed = plan_forget(
                self._state,
                self._store,
                list(dict.fromkeys(normalize_id(i) for i in article_ids)),
                self._params(),
                self._dim or 0,
            )
            if not removed:
                return []
            self._store.commit(commit)
            apply()
        logger.info("forgot %d articles", len(removed))
        return removed

    # -- queries ------------------------------------------------------------------------------

    @property
    def threshold_(self) -> float | None:
        return self._state.threshold_

    @property
    def weights_(self) -> SimilarityWeights | None:
        return self._state.weights_

    @property
    def event_store(self) -> EventStore:
        """The open event store (its ``url`` says where); ``store`` is the parameter."""
        return self._store

    @property
    def n_articles(self) -> int:
        """Articles held by the store."""
        return self._store.counts()[0]

    @property
    def n_events(self) -> int:
        """Events that exist now (merged-away ids not counted), open or closed."""
        return self._store.counts()[1]

    @property
    def n_live_events(self) -> int:
        """Events held in memory (open)."""
        return len(self._state.events)

    def __len__(self) -> int:
        return self.n_articles

    def event_of(self, article_id: Any) -> str:
        """Current event id of an article (merges applied); ``KeyError`` if unknown. The id is
        read as articles' ids are (:func:`storycluster.models.normalize_id`: ``7`` is ``"7"``)."""
        article_id = normalize_id(article_id)
        found = self._store.event_of(article_id)
        if found is None:
            raise KeyError(f"no article with id {article_id!r} in this stream")
        return found

    def assignments(self) -> dict[str, str]:
        """``{article_id: current event id}`` for every article held."""
        return self._store.assignments()

    def _resolve(self, event_id: str) -> str:
        resolved = self._store.resolve(event_id)
        if resolved is None:
            raise KeyError(f"no event with id {event_id!r}")
        return resolved

    def is_open(self, event_id: str) -> bool:
        """Whether the event (after merges) still accepts articles."""
        summary = self._store.summary(self._resolve(event_id))
        assert summary is not None
        return bool(summary["is_open"])

    def summary(self, event_id: str) -> EventSummary:
        """The stored summary of an event (an absorbed id gives its survivor's)."""
        row = self._store.summary(self._resolve(event_id))
        if row is None:
            raise KeyError(f"no event with id {event_id!r}")
        return EventSummary._from_row(row)

    def event(self, event_id: str) -> Event:
        """The event with this id, members included (an absorbed id gives its survivor)."""
        resolved = self._resolve(event_id)
        summary = self._store.summary(resolved)
        rows = self._store.members(resolved)
        if summary is None or not rows:
            raise KeyError(f"no event with id {event_id!r}")
        articles = [_article(r) for r in rows]
        dense = np.vstack(
            [
                unpack(r[0], r[1], r[13], r[14]).dense
                if r[14] is not None
                else np.zeros(self._dim or 1, np.float32)
                for r in rows
            ]
        )
        ids = [a.id for a in articles]
        rep = ids.index(summary["representative"]) if summary["representative"] in ids else 0
        present = set(ids)
        return assemble_event(
            articles,
            dense,
            rep,
            list(summary["keywords"]),
            event_id=resolved,
            duplicate_of=[r[11] if r[11] in present else None for r in rows],
        )

    def events(
        self,
        since: datetime | str | float | None = None,
        until: datetime | str | float | None = None,
        open_only: bool = False,
        min_size: int = 1,
        order_by: str = "size",
        limit: int | None = None,
    ) -> list[EventSummary]:
        """Event summaries from the store, without rebuilding any event.

        ``since`` / ``until`` (datetimes, ISO strings or days since the epoch) keep events
        whose span meets ``[since, until]`` (an event without dates has no span and is left
        out by either); ``order_by`` is ``"size"`` (largest first), ``"last_seen"``,
        ``"first_seen"`` (newest first), ``"updated"`` (latest batch first) or ``"id"``.
        """
        if order_by not in ("size", "last_seen", "first_seen", "updated", "id"):
            raise ValueError(f"unknown order_by {order_by!r}")
        rows = self._store.summaries(
            since=_day(since),
            until=_day(until),
            open_only=bool(open_only),
            min_size=int(min_size),
            order_by=order_by,
            limit=limit,
        )
        return [EventSummary._from_row(r) for r in rows]

    def events_frame(self, **filters: Any) -> pd.DataFrame:
        """:meth:`events` as a pandas DataFrame, one row per event (``event_id`` column)."""
        import pandas as pd

        rows = [asdict(s) for s in self.events(**filters)]
        frame = pd.DataFrame(rows, columns=[field.name for field in fields(EventSummary)])
        return frame.rename(columns={"id": "event_id"})

    def articles_of(self, event_id: str) -> list[Article]:
        """The event's member articles from the store, in arrival order."""
        return [_article(r) for r in self._store.members(self._resolve(event_id))]

    def iter_events(self, **filters: Any) -> Iterator[Event]:
        """Full events (members included) of :meth:`events`, built one at a time."""
        for summary in self.events(**filters):
            yield self.event(summary.id)

    # -- lifecycle ----------------------------------------------------------------------------

    def close(self) -> None:
        """Close the store's connections (the stream is unusable afterwards)."""
        if "_lock" not in self.__dict__:
            return  # never opened
        with self._lock:
            self._store.close()

    def __enter__(self) -> StreamClusterer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def save(self, path: str | os.PathLike[str]) -> None:
        """Export a checksummed snapshot of the whole stream to one SQLite file (see
        :mod:`._persistence`)."""
        from ._persistence import save_snapshot

        with self._lock:
            save_snapshot(self._store, path)

    @classmethod
    def load(
        cls,
        path: str | os.PathLike[str],
        *,
        store: Any = None,
        model: str | Embedder | None = None,
        cache: bool | str | os.PathLike[str] = True,
    ) -> StreamClusterer:
        """Import a snapshot written by :meth:`save` into ``store`` (an empty one; default in
        memory) and open it; raises :class:`StateError` for a corrupted or inconsistent one."""
        from ._persistence import load_snapshot

        backend = open_store(store)
        try:
            load_snapshot(path, backend)
        except BaseException:
            backend.close()
            raise
        return cls.open(backend, model=model, cache=cache)


def _check_format(meta: dict[str, Any], url: str) -> None:
    if meta.get("format") != FORMAT:
        raise StoreError(f"{url} is not a storycluster stream store")
    if meta.get("format_version") != FORMAT_VERSION:
        raise StoreError(
            f"{url} holds a stream of format_version {meta.get('format_version')!r}; this "
            f"storycluster reads version {FORMAT_VERSION}"
        )


def _article(row: Sequence[Any]) -> Article:
    import json

    return Article(
        id=row[1],
        title=row[3],
        text=row[4],
        url=row[5],
        source=row[6],
        published_at=_parse(row[7]),
        language=row[8],
        metadata=json.loads(row[9]),
    )


def _load_state(store: EventStore, meta: dict[str, Any], window: float) -> LiveState:
    """The live state of a stored stream: exactly the state its last batch left in memory."""
    import heapq

    state = LiveState(rng_state=meta["rng_state"])
    state.seq = int(meta["seq"])
    state.clock = math.nan if meta["clock"] is None else float(meta["clock"])
    state.horizon = -math.inf if meta["horizon"] is None else float(meta["horizon"])
    state.n_rows = int(meta["n_rows"])
    state.batch = int(meta["batch"])
    state.reservoir = [int(r) for r in meta["reservoir"]]
    state.threshold_ = None if meta["threshold_"] is None else float(meta["threshold_"])
    state.weights_ = None if meta["weights_"] is None else SimilarityWeights(**meta["weights_"])
    for kind, term, df in store.term_df():
        state.df[int(kind), int(term)] = int(df)
    state.names = {int(t): n for t, n in store.term_names()}
    for rec in store.live_events():
        ev = LiveEvent.from_record(rec)
        state.events[ev.id] = ev
        close = ev.close_day(window)
        if not math.isnan(close):
            state.closing.append((close, ev.id))
    heapq.heapify(state.closing)
    needed = set(state.reservoir)
    for ev in state.events.values():
        needed.update(ev.rows)
    for arrival, article_id, label, blob, dup in store.rows(needed):
        state.rows[arrival] = unpack(arrival, article_id, label, blob, dup)
    missing = needed - set(state.rows)
    if missing:
        raise StoreError(
            f"{store.url} is inconsistent: {len(missing)} scoring rows of live events are missing"
        )
    for term, event_id, arrival in sorted(
        store.event_terms(list(state.events)), key=lambda x: x[2]
    ):
        state.index.add(event_id, (int(term),), int(arrival))
    return state


def _unused(_: Incoming, __: int = N_FEATURES) -> None:  # pragma: no cover - typing anchor
    return None
