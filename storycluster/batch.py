"""``StoryClusterer``: batch clustering of articles into events, scikit-learn style."""

from __future__ import annotations

import logging
import math
import numbers
import os
import warnings
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, ClusterMixin

from ._features.embedding import DEFAULT_MODEL, Embedder
from ._features.features import (
    ArticleFeatures,
    TermWeights,
    fit_features,
    transform_features,
)
from ._features.vectors import check_embeddings, make_embedder
from ._grouping.ids import event_id
from ._grouping.linkage import average_linkage_labels, canonical_labels, sparse_average_linkage
from ._grouping.representatives import build_events
from ._grouping.stories import (
    DEFAULT_SHORT_STORY_THRESHOLD,
    DEFAULT_STORY_MEMBERS,
    DEFAULT_STORY_SHARE,
    DEFAULT_STORY_THRESHOLD,
    DEFAULT_STORY_TIME_PENALTY,
    DEFAULT_STORY_TIME_SCALE_DAYS,
    article_story_labels,
    build_stories,
    dense_story_labels,
    merge_by_neighbourhood,
    retime_scores,
    sparse_story_labels,
    story_threshold_for,
    story_weights,
)
from ._scoring.events import FittedCorpus, event_scores, new_background
from ._scoring.neighbors import candidate_pairs
from ._scoring.similarity import (
    DEFAULT_SHORT_DENSE_WEIGHT,
    DEFAULT_SHORT_LEXICAL_WEIGHT,
    DEFAULT_SHORT_THRESHOLD,
    DEFAULT_THRESHOLD,
    DEFAULT_TIME_PENALTY,
    DEFAULT_TIME_SCALE_DAYS,
    DEFAULT_WEEKDAY_PENALTY,
    Background,
    SimilarityWeights,
    background_sample,
    check_scoring_params,
    edge_scores,
    estimate_background,
    for_text_length,
    length_share,
    pair_scores,
    scoring_for_corpus,
)
from ._scoring.threads import worker_count
from ._text.dedup import find_near_duplicates
from ._text.fields import body_text, embedding_text, lexical_text
from ._text.language import detect_languages
from ._text.preparation import prepare_article, prepare_articles
from .io import as_articles
from .models import Article, ClusteringResult, Event, EventMatch, Story

__all__ = ["StoryClusterer"]

logger = logging.getLogger(__name__)


class StoryClusterer(ClusterMixin, BaseEstimator):
    """Cluster news articles into events: groups of articles that report one real-world happening.

    Each pair of articles is scored on three kinds of evidence: the cosine of their dense
    sentence embeddings (title and lead), the cosine of their TF-IDF vectors (title and body)
    and the cosine of their entity vectors (capitalised words and numbers). Each cosine is
    standardised against the two articles' background in the corpus, the three are averaged
    with weights, and time evidence is added: positive for dated articles published within
    ``time_scale_days`` of each other, negative beyond, none when a date is unknown. Average-linkage
    clustering then keeps groups whose mean pair score is at least ``threshold``. An article that
    fits nowhere is an event of its own: there is no outlier label.

    Parameters
    ----------
    model:
        A sentence-transformers model name or directory, or any object with an
        ``encode(texts) -> ndarray`` method (see :class:`storycluster.Embedder`).
    threshold:
        Minimum mean pair score, in background standard deviations, inside an event, for a
        corpus of articles (see ``short_threshold`` for tweets and headlines). Higher gives
        smaller, purer events.
    dense_weight, lexical_weight, entity_weight:
        Relative weights of the three kinds of evidence.
    time_penalty:
        Weight of the time evidence, ``time_penalty * log((1 + time_scale_days) / (1 + days
        apart))``; 0 ignores dates. A pair with an unknown date gets no time evidence either
        way, so its text must carry it alone.
    time_scale_days:
        Gap at which two dated articles get no time evidence: closer pairs gain score, farther
        ones lose it.
    weekday_penalty:
        What a pair loses when both leads name weekdays and no day of one equals or neighbours
        a day of the other ("voted Tuesday" against "Saturday's vote"), where the publication
        gap is unknown or under three weeks; 0 switches the weekday evidence off.
    short_threshold, short_dense_weight, short_lexical_weight:
        Threshold and dense and lexical weights for a corpus of short texts: tweets or
        headlines, 20 words or fewer at the median. ``threshold``, ``dense_weight`` and
        ``lexical_weight`` hold for articles, 100 words or more; a corpus in between gets
        values in between, on the log of its median length (see
        :func:`storycluster._scoring.similarity.length_share`). Two short texts cannot stand as many
        standard deviations above their background as two reports of one event do, and
        their few words say less than their embeddings. Set them equal to the article values
        to score every corpus alike.
    clean:
        Remove scraper debris (share buttons, comment forms, keyword spam, captions) from the
        text before it is featurised; see :func:`storycluster._text.cleaning.clean_text`.
    lead_chars:
        Characters of the body embedded after the title.
    max_chars:
        Characters of title and body read by the lexical features. Longer texts are accepted
        whole and read only this far, which bounds the cost of a pathological 5 MB page.
    max_articles:
        Largest input accepted, a guard against feeding a whole archive by mistake.
    exact_limit:
        Up to this many articles every pair is scored (``4 * n**2`` bytes). Above it, each
        article's ``n_neighbors`` nearest neighbours by dense, lexical and entity similarity
        form a sparse candidate graph; average linkage then runs exactly inside each connected
        component of the pairs scoring at least ``threshold``. Memory and time grow about
        linearly with the number of articles.
    n_neighbors:
        Neighbours per article and per kind of evidence in the candidate graph.
    n_jobs:
        Threads for the block loops of scoring (background statistics, the candidate
        neighbours, and the pair scores above ``exact_limit`` articles): ``None`` (default) or
        ``-1`` uses every CPU this process may run on, as NumPy's BLAS and PyTorch do; ``1``
        keeps them on the calling thread (a service running several fits side by side may
        want that). The result does not depend on it.
    batch_size, show_progress_bar:
        Passed to the embedding model; ``None`` shows a bar for 500 texts or more.
    n_keywords:
        Keywords kept per event.
    dedup_threshold:
        Estimated Jaccard similarity of the bodies' word 5-shingles above which a member is a
        near-copy (``EventMember.duplicate_of``) of an earlier member of its event, as wire
        copies syndicated by many outlets are; ``None`` turns the check off. Copies stay in
        their event; they are never its representative.
    detect_language:
        Fill ``Article.language`` where it is missing, with py3langid.
    story_threshold, short_story_threshold:
        Mean story score, in background standard deviations, at or above which groups of
        events are one story, for articles and for tweets or headlines (blended in between as
        the event threshold is). Stories group events by average linkage over their articles,
        each event kept whole, on the event evidence with the story time term below; then a
        story whose ties (pairs above the threshold) lead largely into another joins it
        (:func:`storycluster._grouping.stories.merge_by_neighbourhood`). Lower gives fewer,
        larger stories; ``story_threshold=float("inf")`` makes every event a story of its own.
    story_time_penalty, story_time_scale_days:
        The time evidence between events of one story, as ``time_penalty`` and
        ``time_scale_days`` are for events: a story's events are normally weeks apart.
    cache:
        Embedding cache for named models: ``True`` (default) keeps vectors in
        :func:`storycluster._features.cache.default_cache_dir` (``$STORYCLUSTER_CACHE`` or
        ``~/.cache/storycluster``), a path keeps them there, ``False`` embeds every time.

    Attributes
    ----------
    labels_ : ndarray of shape (n_articles,)
        Index into ``events_`` of each article's event, in input order.
    events_ : list of Event
        Events, largest first (ties: smallest member id first).
    stories_ : list of Story
        Stories (groups of events; every event in exactly one), largest first by articles.
    story_labels_ : ndarray of shape (n_articles,)
        Index into ``stories_`` of each article's story, in input order.
    story_of_event_ : ndarray of shape (n_events,)
        Index into ``stories_`` of each event of ``events_``.
    story_threshold_ : float
        The story threshold used, after the adjustment for text length.
    result_ : ClusteringResult
        ``events_``, ``labels_``, ``stories_`` and ``story_labels_`` together, with the
        article ids.
    threshold_ : float
        The threshold used, after the adjustment for text length.
    weights_ : SimilarityWeights
        The weights used: after the adjustment for text length, with the neutral time gap
        capped by the corpus' median gap.
    embeddings_ : ndarray of shape (n_articles, dim)
        The dense embeddings used (computed or passed in).
    cleaned_texts_ : list of str
        The text each article was featurised with, after cleaning.

    After :meth:`fit`, :meth:`predict` places new articles in the fitted events (or in new
    events of their own), :meth:`transform` gives their scores, :meth:`find_events` ranks the
    events for a text query, and :meth:`save` / :meth:`load` keep the fitted model on disk
    (a directory of JSON and ``.npy`` files, versioned and checksummed, no pickle).

    Examples
    --------
    >>> import storycluster as sc
    >>> articles = sc.read_jsonl("data/sample/articles.jsonl")  # doctest: +SKIP
    >>> model = sc.StoryClusterer().fit(articles)  # doctest: +SKIP
    >>> model.events_[0].label  # doctest: +SKIP
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
        weekday_penalty: float = DEFAULT_WEEKDAY_PENALTY,
        short_threshold: float = DEFAULT_SHORT_THRESHOLD,
        short_dense_weight: float = DEFAULT_SHORT_DENSE_WEIGHT,
        short_lexical_weight: float = DEFAULT_SHORT_LEXICAL_WEIGHT,
        clean: bool = True,
        lead_chars: int = 400,
        max_chars: int = 20_000,
        max_articles: int = 1_000_000,
        exact_limit: int = 5_000,
        n_neighbors: int = 30,
        n_jobs: int | None = None,
        batch_size: int = 32,
        show_progress_bar: bool | None = None,
        n_keywords: int = 8,
        cache: bool | str | os.PathLike[str] = True,
        dedup_threshold: float | None = 0.8,
        detect_language: bool = True,
        story_threshold: float = DEFAULT_STORY_THRESHOLD,
        short_story_threshold: float = DEFAULT_SHORT_STORY_THRESHOLD,
        story_time_penalty: float = DEFAULT_STORY_TIME_PENALTY,
        story_time_scale_days: float = DEFAULT_STORY_TIME_SCALE_DAYS,
    ) -> None:
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
        self.clean = clean
        self.lead_chars = lead_chars
        self.max_chars = max_chars
        self.max_articles = max_articles
        self.exact_limit = exact_limit
        self.n_neighbors = n_neighbors
        self.n_jobs = n_jobs
        self.batch_size = batch_size
        self.show_progress_bar = show_progress_bar
        self.n_keywords = n_keywords
        self.cache = cache
        self.dedup_threshold = dedup_threshold
        self.detect_language = detect_language
        self.story_threshold = story_threshold
        self.short_story_threshold = short_story_threshold
        self.story_time_penalty = story_time_penalty
        self.story_time_scale_days = story_time_scale_days

    # -- parameters -------------------------------------------------------------------------
    # get_params, set_params, clone and the repr (changed parameters only) come from
    # BaseEstimator, which reads the parameters from the signature of __init__: they are
    # declared there once. __init__ stores them untouched; _check_params validates them in fit.

    def _check_params(self) -> SimilarityWeights:
        check_scoring_params(self.get_params())
        for name in (
            "lead_chars",
            "max_chars",
            "max_articles",
            "exact_limit",
            "n_neighbors",
            "batch_size",
            "n_keywords",
        ):
            value = getattr(self, name)
            if not isinstance(value, numbers.Integral) or isinstance(value, bool) or value < 1:
                raise ValueError(f"{name} must be a positive int, got {value!r}")
        worker_count(self.n_jobs)  # raises for anything but None, -1 or a positive int
        if self.dedup_threshold is not None and not 0 < self.dedup_threshold <= 1:
            raise ValueError(
                f"dedup_threshold must be in (0, 1] or None, got {self.dedup_threshold!r}"
            )
        for name in ("story_time_penalty", "story_time_scale_days"):
            value = getattr(self, name)
            if not _is_number(value) or not math.isfinite(value) or value < 0:
                raise ValueError(f"{name} must be a finite number >= 0, got {value!r}")
        for name in ("story_threshold", "short_story_threshold"):
            value = getattr(self, name)
            if not _is_number(value) or math.isnan(value):
                raise ValueError(f"{name} must be a number (inf allowed), got {value!r}")
        if not isinstance(self.clean, bool):
            raise ValueError(f"clean must be True or False, got {self.clean!r}")
        return SimilarityWeights(
            dense=float(self.dense_weight),
            lexical=float(self.lexical_weight),
            entity=float(self.entity_weight),
            time_penalty=float(self.time_penalty),
            time_scale_days=float(self.time_scale_days),
            weekday_penalty=float(self.weekday_penalty),
        )

    def _embedder(self) -> Embedder:
        return make_embedder(
            self.model,
            batch_size=self.batch_size,
            show_progress_bar=self.show_progress_bar,
            cache=self.cache,
        )

    # -- fitting ----------------------------------------------------------------------------

    def fit(
        self,
        articles: Any,
        y: None = None,
        *,
        embeddings: np.ndarray | None = None,
        reference: Any = None,
        reference_embeddings: np.ndarray | None = None,
    ) -> StoryClusterer:
        """Cluster ``articles`` into events.

        Parameters
        ----------
        articles:
            A list of :class:`Article` or of dicts with the same fields, a pandas DataFrame, or
            a list (or pandas Series) of plain texts, whose ids are their positions (``"0"``,
            ``"1"``, ...; a Series' index labels); see :func:`storycluster.io.as_articles`.
        y:
            Ignored (scikit-learn's ``fit(X, y=None)``, so pipelines can call it).
        embeddings:
            Optional precomputed ``(n_articles, dim)`` dense vectors, in input order; skips
            the embedding model.
        reference:
            Optional articles of the wider corpus (a few hundred, e.g. a random sample of the
            archive), used only for term weights and background statistics and never
            clustered. Useful when ``articles`` is a small slice of a larger corpus (one day,
            one time window): a few dozen articles alone give poor term weights and
            backgrounds. Ids may repeat those of ``articles``.
        reference_embeddings:
            Their dense vectors; required when ``embeddings`` is given with a ``reference``.

        Returns
        -------
        self
        """
        weights = self._check_params()
        given = as_articles(articles)
        _check_input(given, self.max_articles)
        if embeddings is not None:
            embeddings = check_embeddings(embeddings, len(given))
        # All the work runs on the articles sorted by id, and the per-article results are put
        # back in input order at the end: the background sample, the neighbour search's
        # k-means and the ties of the linkages follow positions, so the same articles in
        # another order would otherwise give another partition (googlenews: B-cubed F1 0.720
        # to 0.732 by order).
        order = _id_order(given)
        in_order = _is_identity(order)
        items = given if in_order else [given[i] for i in order]
        if self.detect_language:
            items = _with_languages(items)
        prepared = prepare_articles(items, clean=self.clean, max_chars=self.max_chars)
        if embeddings is None:
            vectors = self._embedder().encode(
                [embedding_text(article, self.lead_chars) for article in prepared]
            )
            dense = check_embeddings(vectors, len(items), source="the embedding model")
        else:
            dense = embeddings if in_order else embeddings[order]
        features, background, corpus, fitted = self._features(
            prepared, dense, reference, reference_embeddings, embedded=embeddings is None
        )
        weights, threshold = scoring_for_corpus(
            weights,
            float(self.threshold),
            replace(weights, dense=self.short_dense_weight, lexical=self.short_lexical_weight),
            float(self.short_threshold),
            words=corpus.words,
            days=corpus.days,
            # A reference stands for a larger corpus, the articles being a slice of it: they
            # are scored as in one run over that corpus, with no small-corpus shift.
            articles=len(items) if corpus is features else None,
        )

        sweights = story_weights(
            weights,
            time_penalty=float(self.story_time_penalty),
            time_scale_days=float(self.story_time_scale_days),
            days=corpus.days,
        )
        story_threshold = story_threshold_for(
            length_share(corpus.words),
            float(self.story_threshold),
            float(self.short_story_threshold),
        )

        def block_scores(members: np.ndarray) -> np.ndarray:
            return pair_scores(features, background, members, members, weights)

        scores: np.ndarray | None = None
        centrality = np.zeros(len(items))  # the candidate path's linkage fills it
        if len(items) <= self.exact_limit:
            scores = block_scores(np.arange(len(items)))
            raw_labels = average_linkage_labels(scores, threshold)

            def group_stories(events: np.ndarray) -> np.ndarray:
                days, named = features.days, features.weekday_masks
                story = retime_scores(
                    scores,
                    days[:, None],
                    days[None, :],
                    weights,
                    sweights,
                    weekdays=(named[:, None], named[None, :]),
                )
                grouped = dense_story_labels(story, events, story_threshold)
                rows, cols = np.nonzero(story > story_threshold)
                upper = rows < cols
                rows, cols = rows[upper], cols[upper]
                return merge_by_neighbourhood(
                    grouped,
                    events,
                    rows,
                    cols,
                    story[rows, cols],
                    story_threshold,
                    share=DEFAULT_STORY_SHARE,
                )
        else:

            def scorer(w: SimilarityWeights) -> Callable[[np.ndarray, np.ndarray], np.ndarray]:
                def aligned(rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
                    # Chunks that stay in cache: a quarter faster than the default on many pairs.
                    return edge_scores(
                        features, background, rows, cols, w, chunk=32_768, n_jobs=self.n_jobs
                    )

                return aligned

            aligned_scores = scorer(weights)

            rows, cols = candidate_pairs(features, self.n_neighbors, n_jobs=self.n_jobs)
            candidate_scores = aligned_scores(rows, cols)
            raw_labels = sparse_average_linkage(
                len(items),
                rows,
                cols,
                candidate_scores,
                threshold,
                aligned_scores,
                centrality=centrality,
            )

            def group_stories(events: np.ndarray) -> np.ndarray:
                grouped = sparse_story_labels(
                    events,
                    rows,
                    cols,
                    scorer(sweights),
                    story_threshold,
                    centrality=centrality,
                    max_members=DEFAULT_STORY_MEMBERS,
                )
                days, named = features.days, features.weekday_masks
                story = retime_scores(
                    candidate_scores,
                    days[rows],
                    days[cols],
                    weights,
                    sweights,
                    weekdays=(named[rows], named[cols]),
                )
                return merge_by_neighbourhood(
                    grouped, events, rows, cols, story, story_threshold, share=DEFAULT_STORY_SHARE
                )

        labels = canonical_labels(raw_labels, [a.id for a in items])
        if math.isinf(story_threshold) and story_threshold > 0:
            event_story = np.arange(int(labels.max()) + 1)
        else:
            event_story = group_stories(labels)
        scoring: dict[str, Any]
        if scores is None:
            scoring = {"centrality": centrality}
        else:
            full = scores

            def cluster_scores(members: np.ndarray) -> np.ndarray:
                return full[np.ix_(members, members)]

            scoring = {"block_scores": cluster_scores}
        duplicate_of = self._duplicates(prepared)
        events = build_events(
            items,
            labels,
            features,
            **scoring,
            duplicate_of=duplicate_of,
            n_keywords=self.n_keywords,
        )
        stories, story_of_event = build_stories(
            events, event_story, labels=labels, features=features, n_keywords=self.n_keywords
        )
        story_labels = article_story_labels(labels, story_of_event)
        # Per-article results back in input order: input article i was worked on at back[i].
        # Events and stories list their members in id order, whatever the input order.
        back = np.argsort(order)
        self.threshold_ = threshold
        self.weights_ = weights
        self.story_threshold_ = story_threshold
        self.story_weights_ = sweights
        self.labels_ = labels[back]
        self.events_ = events
        self.stories_: list[Story] = stories
        self.story_labels_ = story_labels[back]
        self.story_of_event_ = story_of_event
        self.result_ = ClusteringResult(
            events=events,
            article_ids=[a.id for a in given],
            labels=self.labels_.tolist(),
            stories=stories,
            story_labels=self.story_labels_.tolist(),
        )
        self.embeddings_ = embeddings if embeddings is not None else dense[back]
        self.cleaned_texts_ = [prepared[i].text or "" for i in back]
        if not in_order:  # the fitted corpus too, as saved models keep it
            features = features.take(back)
            background = Background(mean=background.mean[:, back], sd=background.sd[:, back])
        self._corpus = FittedCorpus(
            features=features,
            background=background,
            labels=self.labels_,
            terms=fitted[0],
            sample=fitted[1],
        )
        logger.info(
            "clustered %d articles into %d events and %d stories",
            len(items),
            len(events),
            len(stories),
        )
        return self

    def fit_predict(
        self,
        articles: Any,
        y: None = None,
        *,
        embeddings: np.ndarray | None = None,
        reference: Any = None,
        reference_embeddings: np.ndarray | None = None,
    ) -> np.ndarray:
        """Fit (every argument of :meth:`fit` is passed on) and return ``labels_``.

        ``y`` is ignored; it is there for scikit-learn's ``fit_predict(X, y=None)`` signature.
        """
        return self.fit(
            articles,
            embeddings=embeddings,
            reference=reference,
            reference_embeddings=reference_embeddings,
        ).labels_

    def _features(
        self,
        prepared: Sequence[Article],
        dense: np.ndarray,
        reference: Any,
        reference_embeddings: np.ndarray | None,
        *,
        embedded: bool,
    ) -> tuple[ArticleFeatures, Background, ArticleFeatures, tuple[TermWeights, ArticleFeatures]]:
        """Features and background of ``prepared``, the features of the corpus they are
        scored in (its dates set the neutral time gap, its lengths the text-length adjustment),
        and what scoring new articles needs: the term weights and the background sample's
        features.

        With reference rows, term weights are fitted on the articles and the reference
        together, while backgrounds, the time gap and the lengths come from the reference
        alone: it stands
        for the whole corpus, so an article of a slice is scored as it would be in one run
        over the corpus (on a 30-day slice, a background drawn from the slice itself is the
        slice's own news, closer in topic than the corpus is).
        """
        if reference is None and reference_embeddings is not None:
            raise ValueError("reference_embeddings given without reference")
        if reference is not None and reference_embeddings is None and not embedded:
            raise ValueError("reference_embeddings are required when embeddings are given")
        extra: list[Article] = []
        extra_dense: np.ndarray | None = None
        if reference is not None:
            given = as_articles(reference)
            if reference_embeddings is not None:
                extra_dense = check_embeddings(reference_embeddings, len(given))
                if extra_dense.shape[1] != dense.shape[1]:
                    raise ValueError(
                        f"reference_embeddings have dimension {extra_dense.shape[1]}, "
                        f"embeddings {dense.shape[1]}"
                    )
            # An article must not meet itself in its own background: drop reference copies.
            own_ids = {article.id for article in prepared}
            # By id, as the articles are: the background sample follows positions.
            keep = sorted(
                (i for i, article in enumerate(given) if article.id not in own_ids),
                key=lambda i: given[i].id,
            )
            extra = [self._prepare(given[i]) for i in keep]
            extra_dense = None if extra_dense is None else extra_dense[keep]
        if not extra:
            features, terms = fit_features(prepared, dense, max_chars=self.max_chars)
            sample = features.take(background_sample(len(features)))
            background = estimate_background(features, n_jobs=self.n_jobs)
            return features, background, features, (terms, sample)
        if extra_dense is None:
            vectors = self._embedder().encode(
                [embedding_text(article, self.lead_chars) for article in extra]
            )
            extra_dense = check_embeddings(vectors, len(extra), source="the embedding model")
        n = len(prepared)
        combined, terms = fit_features(
            [*prepared, *extra], np.vstack([dense, extra_dense]), max_chars=self.max_chars
        )
        among = np.arange(n, len(combined))
        background = estimate_background(combined, among=among, n_jobs=self.n_jobs)
        sample = combined.take(background_sample(len(combined), among=among))
        return (
            combined.take(np.arange(n)),
            Background(mean=background.mean[:, :n], sd=background.sd[:, :n]),
            combined.take(among),
            (terms, sample),
        )

    def embedding_texts(self, articles: Any) -> list[str]:
        """The texts this clusterer embeds for ``articles``: cleaned title and lead.

        Use it to precompute vectors for ``fit(articles, embeddings=...)`` with your own
        pipeline; the result is the same as letting ``fit`` embed.
        """
        items = as_articles(articles)
        return [embedding_text(self._prepare(article), self.lead_chars) for article in items]

    def _prepare(self, article: Article) -> Article:
        return prepare_article(article, clean=self.clean, max_chars=self.max_chars)

    def _duplicates(self, prepared: Sequence[Article]) -> list[int | None]:
        """Position of the original each article copies, or None; originals are the earliest."""
        if self.dedup_threshold is None:
            return [None] * len(prepared)
        order = sorted(range(len(prepared)), key=lambda i: _time_order_key(prepared[i]))
        # Outlets rewrite headlines but reuse the wire body: compare bodies (titles if empty).
        texts = [body_text(prepared[i]) or (prepared[i].title or "") for i in order]
        ids = [prepared[i].id for i in order]
        found = find_near_duplicates(texts, ids, threshold=float(self.dedup_threshold))
        position = {article.id: i for i, article in enumerate(prepared)}
        result: list[int | None] = [None] * len(prepared)
        for i, original in zip(order, found, strict=True):
            if original is not None:
                result[i] = position[original]
        return result

    # -- new articles and queries ------------------------------------------------------------

    def predict(self, articles: Any, *, embeddings: np.ndarray | None = None) -> np.ndarray:
        """The event of each new article: a fitted event's id, or a new id.

        Each article is scored against every fitted event with the evidence and the score of
        :meth:`fit` (see :meth:`transform`) and joins the best event if its score reaches
        ``threshold_``; otherwise it is an event of its own, with the id a fit would give that
        singleton (:func:`storycluster._grouping.ids.event_id` of its article id: the
        article founds it).
        New articles are not grouped with each other and the model does not change: refit, or
        use :class:`storycluster.StreamClusterer`, to find new events among them.

        Parameters
        ----------
        articles:
            As for :meth:`fit`.
        embeddings:
            Optional precomputed ``(n_articles, dim)`` dense vectors of the fitted model's
            dimension, in input order; skips the embedding model.

        Returns
        -------
        ndarray of str, shape (n_articles,)
            Event ids, in input order.
        """
        items, scores = self._scores_of(articles, embeddings)
        ids = [event.id for event in self.events_]
        out = [event_id(article.id) for article in items]
        if scores.shape[1]:
            best = scores.argmax(axis=1)
            for i, j in enumerate(best.tolist()):
                if scores[i, j] >= self.threshold_:
                    out[i] = ids[j]
        return np.array(out, dtype=str)

    def transform(self, articles: Any, *, embeddings: np.ndarray | None = None) -> np.ndarray:
        """Scores of new articles against the fitted events.

        Returns a ``(n_articles, n_events)`` float32 array; column ``j`` is ``events_[j]``.
        A score is the mean event similarity of the article with the event's members, in
        background standard deviations: the quantity average linkage compares with
        ``threshold_`` in :meth:`fit`, so an article whose best score reaches ``threshold_``
        belongs to that event (see :meth:`predict`).
        """
        return self._scores_of(articles, embeddings)[1]

    def find_events(self, query: str, *, top_n: int = 10) -> list[EventMatch]:
        """The fitted events that best match a text query, best first.

        The query is scored like an undated article against every event's members, on the
        dense embedding, its words and its names and numbers (those the fitted vocabulary
        knows), with the weights for its length (a short query weighs the embedding most, see
        ``short_dense_weight``). A score is in background standard deviations, as in
        :meth:`transform`; above ``threshold_`` the query reads like a report of the event.

        >>> model.find_events("earthquake in Nepal", top_n=3)  # doctest: +SKIP
        [EventMatch(event=Event(id='ev_...', size=12, ...), score=6.1), ...]
        """
        corpus = self._fitted_corpus()
        if not isinstance(query, str) or not query.strip():
            raise ValueError(f"query must be a non-empty string, got {query!r}")
        if not isinstance(top_n, numbers.Integral) or isinstance(top_n, bool) or top_n < 1:
            raise ValueError(f"top_n must be a positive int, got {top_n!r}")
        article = Article(id="query", title=query.strip())
        dense = self._embed([article], None, len(corpus.features.dense[0]))
        features = transform_features([article], dense, corpus.terms, max_chars=self.max_chars)
        base = self._check_params()
        blended, _ = for_text_length(
            base,
            float(self.threshold),
            replace(base, dense=self.short_dense_weight, lexical=self.short_lexical_weight),
            float(self.short_threshold),
            length_share(features.words),
        )
        # The fitted weights (time scale, corpus offset), with the evidence weighed for the
        # query's length.
        weights = replace(self.weights_, dense=blended.dense, lexical=blended.lexical)
        scores = event_scores(corpus, features, new_background(corpus, features), weights)[0]
        order = np.lexsort((np.arange(scores.size), -scores))[:top_n]
        return [EventMatch(self.events_[j], round(float(scores[j]), 6)) for j in order]

    def _fitted_corpus(self) -> FittedCorpus:
        corpus: FittedCorpus | None = getattr(self, "_corpus", None)
        if corpus is None:
            from sklearn.exceptions import NotFittedError

            raise NotFittedError(
                "this StoryClusterer is not fitted yet: call fit(articles) or "
                "StoryClusterer.load(path) first"
            )
        return corpus

    def _embed(self, prepared: Sequence[Article], embeddings: Any, dim: int) -> np.ndarray:
        if embeddings is None:
            vectors = self._embedder().encode(
                [embedding_text(article, self.lead_chars) for article in prepared]
            )
            dense = check_embeddings(vectors, len(prepared), source="the embedding model")
        else:
            dense = check_embeddings(embeddings, len(prepared))
        if dense.shape[1] != dim:
            raise ValueError(
                f"embeddings have dimension {dense.shape[1]}, the fitted model {dim}: use the "
                "model the events were fitted with"
            )
        return dense

    def _scores_of(self, articles: Any, embeddings: Any) -> tuple[list[Article], np.ndarray]:
        corpus = self._fitted_corpus()
        items = as_articles(articles)
        _check_input(items, self.max_articles)
        prepared = prepare_articles(items, clean=self.clean, max_chars=self.max_chars)
        dense = self._embed(prepared, embeddings, corpus.features.dense.shape[1])
        features = transform_features(prepared, dense, corpus.terms, max_chars=self.max_chars)
        background = new_background(corpus, features)
        return items, event_scores(corpus, features, background, self.weights_)

    # -- persistence --------------------------------------------------------------------------

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the fitted model to the directory ``path``, atomically; no pickle.

        The format (a ``manifest.json`` with a format version and the SHA-256 of every other
        file, JSON and ``.npy`` files) is described in :mod:`storycluster._persist.model`.
        ``path`` must not exist, or hold a model saved before, which is replaced.
        """
        from ._persist.model import save_model

        save_model(self, path)

    @classmethod
    def load(
        cls, path: str | os.PathLike[str], *, model: str | Embedder | None = None
    ) -> StoryClusterer:
        """A model written by :meth:`save`: the same events, ``labels_`` and predictions.

        ``model`` replaces the embedding model recorded in the file; it is required to embed
        new articles or queries when the model was fitted with an embedder object rather than
        a model name (or pass ``embeddings=`` to :meth:`predict`). Raises
        :class:`storycluster.ModelFormatError` (a ``ValueError``) for a file of another format
        version, a missing or a corrupted file.
        """
        from ._persist.model import load_model

        return load_model(cls, path, model=model)

    @property
    def clusters_(self) -> list[Event]:
        """Deprecated alias of ``events_``."""
        warnings.warn(
            "StoryClusterer.clusters_ is deprecated since storycluster 0.2; use events_",
            DeprecationWarning,
            stacklevel=2,
        )
        return self.events_


def _is_number(value: Any) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def _id_order(articles: Sequence[Article]) -> np.ndarray:
    """Positions of ``articles`` sorted by id (ids are unique: :func:`_check_input`)."""
    return np.array(sorted(range(len(articles)), key=lambda i: articles[i].id), dtype=np.int64)


def _is_identity(order: np.ndarray) -> bool:
    return bool((order == np.arange(order.size)).all())


def _time_order_key(article: Article) -> tuple[int, float, str]:
    """Earliest first, then smallest id; undated articles after dated ones, by id. Never the
    input position: the original of a group of near-copies must not depend on input order."""
    if article.published_at is None:
        return (1, 0.0, article.id)
    return (0, article.published_at.timestamp(), article.id)


def _with_languages(articles: Sequence[Article]) -> list[Article]:
    """The articles with ``language`` detected where it was missing."""
    missing = [i for i, article in enumerate(articles) if not article.language]
    if not missing:
        return list(articles)
    detected = detect_languages([lexical_text(articles[i], 2_000) for i in missing])
    out = list(articles)
    for i, language in zip(missing, detected, strict=True):
        if language is not None:
            out[i] = articles[i].model_copy(update={"language": language})
    return out


def _check_input(articles: Sequence[Article], max_articles: int) -> None:
    if not articles:
        raise ValueError("no articles to cluster: pass at least one article")
    if len(articles) > max_articles:
        raise ValueError(
            f"{len(articles)} articles exceed max_articles={max_articles}; raise max_articles "
            "if this many articles is intended"
        )
    seen: dict[str, int] = {}
    duplicates: list[str] = []
    for position, article in enumerate(articles):
        if article.id in seen:
            duplicates.append(f"{article.id!r} (positions {seen[article.id]} and {position})")
        else:
            seen[article.id] = position
    if duplicates:
        shown = ", ".join(duplicates[:10])
        more = f" and {len(duplicates) - 10} more" if len(duplicates) > 10 else ""
        raise ValueError(f"duplicate article ids: {shown}{more}; ids must be unique")
