"""One event similarity for a pair of articles, shared by batch and streaming clustering.

Each kind of evidence (dense cosine, lexical TF-IDF cosine, entity TF-IDF cosine) is put on a
common scale first: how many standard deviations a pair's similarity lies above what each of
the two articles typically scores against the rest of the corpus (its *background*). Raw cosines
are not comparable across corpora (long articles share more words than headlines, a corpus of
shootings is all alike to a sentence model), standardised ones are: an event is a group of
articles that are far more alike than their background. The standardised scores are averaged
with weights, and time evidence is added: positive for two dated articles published close
together, negative when they lie far apart, none when a date is unknown. The weekdays the two
leads name are time evidence too: two reports of one event name the same day or neighbouring
ones, so leads naming days two or more apart lose a little, unless both dates are known and
weeks apart, where the time term has said all it will (on allsides2021 without dates, 1.4% of
the same-event pairs near the bar name days apart, 25% of the others).

The background is shrunk towards typical values measured on news sets, with the prior counting
as 1,000 observed pairs. Without it, a small corpus made of a few topics (each article's row is
then dominated by its own event and topic) inflates the background and splits every event: on a
95-article sample of six ECB+ topics, B-cubed F1 falls from 0.97 to 0.29. With it, small and
large corpora share one threshold.

A corpus smaller than ``CALIBRATION_ARTICLES`` gets a lower bar (:func:`small_corpus_shift`,
added to every score as ``SimilarityWeights.corpus_offset``):
each of its articles meets fewer others, so fewer of them clear a given bar by chance, and its
few topics still inflate the background somewhat. On the 95-article sample B-cubed F1 rises from
0.949 to 0.972, on random six-topic ECB+ subsets by 0.03 to 0.05; corpora of 500 articles and
more are unchanged.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping
from dataclasses import dataclass, replace
from statistics import NormalDist
from typing import Any, NamedTuple

import numpy as np
from scipy import sparse

from .._features.features import ArticleFeatures
from .threads import for_each, one_blas_thread

__all__ = [
    "ARTICLE_WORDS",
    "CALIBRATION_ARTICLES",
    "DEFAULT_SHORT_DENSE_WEIGHT",
    "DEFAULT_SHORT_LEXICAL_WEIGHT",
    "DEFAULT_SHORT_THRESHOLD",
    "DEFAULT_THRESHOLD",
    "DEFAULT_TIME_CAP_DAYS",
    "DEFAULT_TIME_PENALTY",
    "DEFAULT_TIME_SCALE_DAYS",
    "DEFAULT_WEEKDAY_PENALTY",
    "SHORT_TEXT_WORDS",
    "Background",
    "ScoringRows",
    "SimilarityWeights",
    "background_sample",
    "check_scoring_params",
    "combine_scores",
    "edge_scores",
    "effective_time_scale",
    "estimate_background",
    "for_text_length",
    "length_share",
    "pair_scores",
    "scoring_for_corpus",
    "shrunk_background",
    "small_corpus_shift",
    "weekdays_apart",
]

#: Default event threshold, in background standard deviations, of batch and stream clustering.
DEFAULT_THRESHOLD = 4.75
#: Defaults for a corpus of tweets or headlines (see :func:`length_share`): a lower bar, and the
#: dense embedding weighing more than the words.
DEFAULT_SHORT_THRESHOLD = 3.0
DEFAULT_SHORT_DENSE_WEIGHT = 0.75
DEFAULT_SHORT_LEXICAL_WEIGHT = 0.25
#: Median words per article at or below which a corpus is short texts (tweets, headlines), and
#: at or above which it is articles.
SHORT_TEXT_WORDS = 20
ARTICLE_WORDS = 100
#: Default weight of the time evidence, per unit of ``log(1 + days)``.
DEFAULT_TIME_PENALTY = 1.5
#: Default gap, in days, at which two dated articles get no time evidence either way.
DEFAULT_TIME_SCALE_DAYS = 3.0
#: Default gap, in days, beyond which a wider gap is no further evidence against one event.
DEFAULT_TIME_CAP_DAYS = 21.0

#: Default evidence against one event, in background SDs, of two articles whose leads name
#: weekdays at least two days apart (see :func:`weekdays_apart`), unless their publication gap
#: is known and at least the time cap.
DEFAULT_WEEKDAY_PENALTY = 0.5

#: Corpus size the default threshold holds for as it is; smaller corpora get a lower bar.
CALIBRATION_ARTICLES = 500

# Typical (mean, standard deviation) of each cosine over unrelated article pairs, measured on
# news corpora with all-MiniLM-L6-v2 and the default TF-IDF; used as the prior of the shrinkage.
_PRIOR_MEAN = np.array([0.15, 0.03, 0.02])
_PRIOR_SD = np.array([0.12, 0.035, 0.04])
#: The prior counts as this many observed background pairs.
_PRIOR_WEIGHT = 1000.0
_MIN_SD = 1e-3
#: Scores computed per block in :func:`pair_scores`.
_BLOCK_ENTRIES = 8_000_000
#: Pairs per gather in :func:`_aligned_dots`: two ``(1024, 384)`` float32 blocks, 3 MB.
_DOT_SLICE = 1024


@dataclass(frozen=True)
class SimilarityWeights:
    """Weights of the evidence and of the time term in the event similarity."""

    dense: float = 0.25
    lexical: float = 0.5
    entity: float = 0.25
    time_penalty: float = DEFAULT_TIME_PENALTY
    """Weight of the time evidence per unit of ``log(1 + days)``; 0 ignores time."""
    time_scale_days: float = DEFAULT_TIME_SCALE_DAYS
    """Gap at which two dated articles get no time evidence: closer gains, farther loses."""
    time_cap_days: float | None = DEFAULT_TIME_CAP_DAYS
    """Gap beyond which the evidence against stops growing (``None``: it never stops)."""
    weekday_penalty: float = DEFAULT_WEEKDAY_PENALTY
    """Evidence against one event of two articles whose leads name weekdays at least two days
    apart (:func:`weekdays_apart`), unless published ``time_cap_days`` or more apart; 0
    ignores them."""
    corpus_offset: float = 0.0
    """Added to every pair's score: :func:`small_corpus_shift` of the corpus' size, set by
    :func:`scoring_for_corpus` (a small corpus' bar is that much lower)."""

    def time_evidence(self, gap_days: np.ndarray) -> np.ndarray:
        """``time_penalty * log((1 + time_scale_days) / (1 + min(gap, time_cap_days)))``; 0
        where the gap is NaN.

        A pair of articles published the same day is evidence for one event (in a corpus that
        spans weeks, few unrelated pairs are that close), a pair weeks apart is evidence
        against, and a pair with an unknown date is neither: it must be carried by its text.
        The evidence against is bounded: beyond ``time_cap_days`` (three weeks) a wider gap
        says nothing more, because one event does get follow-up coverage months or years later
        (trials, anniversaries), and because dates can be wrong. Unbounded, a pair of reports
        of one event two years apart lost 6.4 background SDs and could never meet again.
        """
        gap = np.asarray(gap_days, dtype=np.float64)
        if self.time_cap_days is not None:
            gap = np.minimum(gap, max(self.time_cap_days, self.time_scale_days))
        evidence = np.log1p(self.time_scale_days) - np.log1p(gap)
        return self.time_penalty * np.nan_to_num(evidence, nan=0.0)

    def weekday_evidence(
        self, first: np.ndarray, second: np.ndarray, gap_days: np.ndarray
    ) -> np.ndarray:
        """``-weekday_penalty`` where the weekday masks ``first`` and ``second`` are
        :func:`weekdays_apart` and the gap is unknown (NaN) or under ``time_cap_days``; 0
        elsewhere.

        News leads say on which day their event happened ("said on Tuesday", "Saturday
        night's shooting"). Two reports of one event name the same weekday, or neighbouring
        ones (a death the day after a shooting), while recurring stories of one topic (weekly
        figures, deadlines, briefings) and successive days of one crisis happen on other days.
        Without dates this stands in for the time evidence; with dates it separates events of
        neighbouring days that the publication gap cannot. Beyond the cap it says nothing: a
        follow-up weeks later names another day, and the time term deliberately stops there.
        Where either lead names no weekday there is no evidence either way.
        """
        shape = np.broadcast_shapes(np.shape(first), np.shape(second), np.shape(gap_days))
        if not self.weekday_penalty:
            return np.zeros(shape)
        apart = weekdays_apart(first, second)
        if self.time_cap_days is not None:
            apart = apart & ~(np.asarray(gap_days, dtype=np.float64) >= self.time_cap_days)
        return -self.weekday_penalty * apart

    def as_array(self) -> np.ndarray:
        weights = np.array([self.dense, self.lexical, self.entity], dtype=np.float64)
        return weights / weights.sum()


def weekdays_apart(first: np.ndarray, second: np.ndarray) -> np.ndarray:
    """Whether two weekday masks (bit 0 Monday to bit 6 Sunday, as
    :func:`~storycluster._text.fields.weekday_mask`) both name days and no day of one is the
    same as, or next to (Sunday next to Monday), a day of the other."""
    first = np.asarray(first, dtype=np.int64)
    second = np.asarray(second, dtype=np.int64)
    near = (first | (first << 1) | (first >> 1) | ((first & 1) << 6) | (first >> 6)) & 127
    return (first > 0) & (second > 0) & ((near & second) == 0)


_NON_NEGATIVE_PARAMS = (
    "dense_weight",
    "lexical_weight",
    "entity_weight",
    "time_penalty",
    "time_scale_days",
    "short_dense_weight",
    "short_lexical_weight",
    "weekday_penalty",
)


def check_scoring_params(params: Mapping[str, Any]) -> None:
    """Raise ``ValueError`` unless a clusterer's scoring parameters are usable.

    ``params`` holds the batch and stream clusterers' shared names: the weights and time terms
    (finite numbers >= 0, at least one evidence weight > 0 for articles and for short texts)
    and ``threshold`` and ``short_threshold`` (finite numbers).
    """

    def is_real(value: Any) -> bool:
        return isinstance(value, numbers.Real) and not isinstance(value, bool)

    for name in _NON_NEGATIVE_PARAMS:
        value = params[name]
        if not is_real(value) or not math.isfinite(value) or value < 0:
            raise ValueError(f"{name} must be a finite number >= 0, got {value!r}")
    for prefix in ("", "short_"):
        if (
            params[f"{prefix}dense_weight"]
            + params[f"{prefix}lexical_weight"]
            + params["entity_weight"]
            <= 0
        ):
            raise ValueError(
                f"at least one of {prefix}dense_weight, {prefix}lexical_weight, entity_weight "
                "must be > 0"
            )
    for name in ("threshold", "short_threshold"):
        value = params[name]
        if not is_real(value) or not math.isfinite(value):
            raise ValueError(f"{name} must be a finite number, got {value!r}")


def length_share(words: np.ndarray) -> float:
    """Where a corpus lies between short texts (0.0) and articles (1.0), by its median words.

    Texts of ``SHORT_TEXT_WORDS`` words or fewer give 0, of ``ARTICLE_WORDS`` or more 1, and
    medians in between are placed on a log scale. An empty ``words`` counts as articles.

    Why it matters: the event bar is a number of background standard deviations, and a pair
    of six-word headlines or twenty-word tweets cannot stand as far above its background as
    two 300-word reports of one event do, however alike they are. Its few words also make the
    lexical cosine a coarse signal, where the sentence embedding still reads the meaning.
    """
    words = np.asarray(words, dtype=np.float64)
    if words.size == 0:
        return 1.0
    median = float(np.median(words))
    if median <= SHORT_TEXT_WORDS:
        return 0.0
    if median >= ARTICLE_WORDS:
        return 1.0
    return math.log(median / SHORT_TEXT_WORDS) / math.log(ARTICLE_WORDS / SHORT_TEXT_WORDS)


def for_text_length(
    weights: SimilarityWeights,
    threshold: float,
    short: SimilarityWeights,
    short_threshold: float,
    share: float,
) -> tuple[SimilarityWeights, float]:
    """Weights and threshold for a corpus at ``share`` (see :func:`length_share`): those for
    articles at 1, those for short texts (``short``: its dense and lexical weights) at 0, and
    linear in between. The entity weight and the time evidence do not depend on length."""

    def blend(article: float, brief: float) -> float:
        return brief + share * (article - brief)

    return (
        replace(
            weights,
            dense=blend(weights.dense, short.dense),
            lexical=blend(weights.lexical, short.lexical),
        ),
        blend(threshold, short_threshold),
    )


def small_corpus_shift(articles: int) -> float:
    """How far to lower the event bar for a corpus of ``articles`` articles (0 from
    ``CALIBRATION_ARTICLES`` on).

    An article meets ``articles - 1`` others, and the more it meets, the more of them clear a
    bar by chance. The bar is set so that the expected number of chance partners per article
    (the tail of a standard normal above the bar, times the others it meets) stays what it is
    at the default threshold in a corpus of ``CALIBRATION_ARTICLES``: about 0.35 lower at 95
    articles, 1.5 lower for two. It is never raised: larger corpora keep the bar as it is.
    """
    others = max(int(articles) - 1, 1)
    if others >= CALIBRATION_ARTICLES:
        return 0.0
    normal = NormalDist()
    chance = (1.0 - normal.cdf(DEFAULT_THRESHOLD)) * CALIBRATION_ARTICLES / others
    return DEFAULT_THRESHOLD - normal.inv_cdf(1.0 - chance)


def scoring_for_corpus(
    weights: SimilarityWeights,
    threshold: float,
    short: SimilarityWeights,
    short_threshold: float,
    *,
    words: np.ndarray,
    days: np.ndarray,
    articles: int | None = None,
) -> tuple[SimilarityWeights, float]:
    """The weights and threshold to score a corpus with, as batch and stream clustering set
    them: :func:`for_text_length` at the corpus' :func:`length_share` of ``words``, with the
    neutral time gap capped by :func:`effective_time_scale` of its publication ``days``, and
    every score raised by :func:`small_corpus_shift` for a corpus of ``articles`` articles
    (``SimilarityWeights.corpus_offset``; ``None`` leaves it at 0)."""
    weights, threshold = for_text_length(
        weights, threshold, short, short_threshold, length_share(words)
    )
    scale = effective_time_scale(days, weights.time_scale_days)
    offset = 0.0 if articles is None else small_corpus_shift(articles)
    return replace(weights, time_scale_days=scale, corpus_offset=offset), threshold


@dataclass(frozen=True)
class Background:
    """Per-article background mean and standard deviation of each cosine, shape ``(3, n)``."""

    mean: np.ndarray
    sd: np.ndarray


def _cosines(features: ArticleFeatures, rows: np.ndarray, cols: np.ndarray) -> list[np.ndarray]:
    """Dense, lexical and entity cosines between ``rows`` and ``cols``.

    Each is a ``(len(rows), len(cols))`` float32 array.
    """
    out = [features.dense[rows] @ features.dense[cols].T]
    for matrix in (features.lexical, features.entities):
        block = matrix[rows] @ matrix[cols].T
        out.append(np.asarray(block.toarray() if sparse.issparse(block) else block))
    return [np.asarray(block, dtype=np.float32) for block in out]


def background_sample(
    n: int, *, among: np.ndarray | None = None, sample_size: int = 2000, seed: int = 0
) -> np.ndarray:
    """The sorted rows :func:`estimate_background` measures every article against.

    Drawn from the rows ``among`` (default: all ``n`` rows): with at most ``sample_size + 1``
    of them every one is used; above, a seeded sample of ``sample_size``.
    """
    pool = np.arange(n) if among is None else np.unique(np.asarray(among, dtype=np.int64))
    if pool.size > sample_size + 1:
        rng = np.random.default_rng(seed)
        return np.sort(pool[rng.choice(pool.size, size=sample_size, replace=False)])
    return pool


def estimate_background(
    features: ArticleFeatures,
    *,
    among: np.ndarray | None = None,
    sample_size: int = 2000,
    seed: int = 0,
    block: int = 2048,
    n_jobs: int | None = None,
) -> Background:
    """Background statistics of every article against a fixed random sample of the corpus.

    The sample is drawn from the rows ``among`` (default: all rows): with at most
    ``sample_size + 1`` of them every other one is used; above, a seeded sample keeps the cost
    linear in ``n``. Blocks of ``block`` rows run on ``n_jobs`` threads.
    """
    n = len(features)
    sample = background_sample(n, among=among, sample_size=sample_size, seed=seed)
    sums = np.zeros((3, n))
    squares = np.zeros((3, n))
    counts = np.zeros(n)
    is_sampled = np.zeros(n, dtype=bool)
    is_sampled[sample] = True

    def measure(start: int) -> None:
        rows = np.arange(start, min(start + block, n))
        self_hits = np.nonzero(is_sampled[rows])[0]
        positions = np.searchsorted(sample, rows[self_hits])
        for k, cos in enumerate(_cosines(features, rows, sample)):
            # Leave out each article's similarity to itself (``counts`` does not count it).
            cos[self_hits, positions] = 0.0
            sums[k, rows], squares[k, rows] = _row_moments(cos)
        counts[rows] = sample.size - is_sampled[rows]

    # Blocks side by side, each product on one BLAS thread: 20% faster at 100k on two cores
    # than blocks that each ask BLAS for every core, and the same values.
    with one_blas_thread():
        for_each(measure, range(0, n, block), n_jobs)
    return shrunk_background(sums, squares, counts)


def _row_moments(cos: np.ndarray, step: int = 32) -> tuple[np.ndarray, np.ndarray]:
    """Sum and sum of squares of each row, in float64, a few rows at a time: the float64 copy
    of a whole block went through memory and took three times as long (same values)."""
    sums = np.empty(cos.shape[0])
    squares = np.empty(cos.shape[0])
    for start in range(0, cos.shape[0], step):
        part = cos[start : start + step].astype(np.float64)
        sums[start : start + step] = part.sum(axis=1)
        part *= part
        squares[start : start + step] = part.sum(axis=1)
    return sums, squares


def shrunk_background(sums: np.ndarray, squares: np.ndarray, counts: np.ndarray) -> Background:
    """The background from each article's ``(3, n)`` sums and sums of squares of its cosines
    over ``counts`` reference articles, shrunk towards the news prior (worth 1,000 pairs): the
    rule of :func:`estimate_background` and of the stream's backgrounds."""
    observed = np.maximum(counts, 1.0)
    mean_obs = sums / observed
    var_obs = np.maximum(squares / observed - mean_obs**2, 0.0)
    weight = counts / (counts + _PRIOR_WEIGHT)
    mean = weight * mean_obs + (1 - weight) * _PRIOR_MEAN[:, None]
    var = weight * var_obs + (1 - weight) * _PRIOR_SD[:, None] ** 2
    return Background(mean=mean, sd=np.maximum(np.sqrt(var), _MIN_SD))


def effective_time_scale(
    days: np.ndarray, scale: float, *, sample_size: int = 2000, seed: int = 0
) -> float:
    """The neutral gap to use on a corpus: ``scale``, or the median gap between two of its dated
    articles if that is smaller.

    Publication within a few days of each other is evidence for one event only where unrelated
    articles are usually further apart. In a corpus of one day's news every pair is "close",
    and a bonus for closeness would lower the bar for all of them; with the median gap as the
    neutral point, half the pairs gain and half lose, and the time term says little, as it
    should. Above ``sample_size`` dated articles, a seeded sample of them is used.
    """
    dated = np.asarray(days, dtype=np.float64)
    dated = dated[np.isfinite(dated)]
    if dated.size < 2:
        return float(scale)
    if dated.size > sample_size:
        dated = np.random.default_rng(seed).choice(dated, size=sample_size, replace=False)
    # Every gap once: sorted, the gaps k apart are x[k:] - x[:-k] (the same numbers as
    # |a - b|, six times faster than the upper triangle of the full matrix at 2,000 dates).
    x = np.sort(dated)
    gaps = np.concatenate([x[k:] - x[:-k] for k in range(1, x.size)])
    return float(min(scale, float(np.median(gaps))))


class ScoringRows(NamedTuple):
    """What the combination needs of one side of a set of pairs, shaped to broadcast.

    ``mean``, ``sd`` and ``evidence`` have the feature kind (dense, lexical, entity) first.
    """

    mean: np.ndarray
    sd: np.ndarray
    evidence: np.ndarray
    days: np.ndarray
    weekdays: np.ndarray | None = None
    """Weekday masks (:func:`weekdays_apart`); ``None``: unknown, no weekday evidence."""


def combine_scores(
    cosines: list[np.ndarray], first: ScoringRows, second: ScoringRows, weights: SimilarityWeights
) -> np.ndarray:
    """Weighted standardised cosines plus the time evidence: the event similarity of pairs.

    The one formula of batch and streaming clustering. A kind of evidence that one of the two
    articles lacks (no entity tokens in lower-cased headlines, no lexical terms left after stop
    words) is left out of that pair's average rather than counted as a mismatch: missing
    evidence is not evidence against.
    """
    w = weights.as_array()
    total = np.zeros(np.broadcast_shapes(first.days.shape, second.days.shape), dtype=np.float64)
    weight_sum = np.zeros_like(total)
    for k, cos in enumerate(cosines):
        mean = (first.mean[k] + second.mean[k]) / 2
        sd = np.sqrt((first.sd[k] ** 2 + second.sd[k] ** 2) / 2)
        pair_weight = w[k] * (first.evidence[k] & second.evidence[k])
        total += pair_weight * (cos - mean) / sd
        weight_sum += pair_weight
    score = total / np.maximum(weight_sum, 1e-12) + weights.corpus_offset
    gap = np.abs(first.days - second.days)
    if weights.time_penalty:
        score += weights.time_evidence(gap)
    if weights.weekday_penalty and first.weekdays is not None and second.weekdays is not None:
        score += weights.weekday_evidence(first.weekdays, second.weekdays, gap)
    return score.astype(np.float32)


def _rows(features: ArticleFeatures, background: Background, index: np.ndarray) -> ScoringRows:
    # ``np.take`` along the last axis: three times faster than fancy indexing ``[:, index]``.
    return ScoringRows(
        mean=np.take(background.mean, index, axis=1),
        sd=np.take(background.sd, index, axis=1),
        evidence=np.take(features.has_evidence, index, axis=1),
        days=features.days[index],
        weekdays=features.weekday_masks[index],
    )


def pair_scores(
    features: ArticleFeatures,
    background: Background,
    rows: np.ndarray,
    cols: np.ndarray,
    weights: SimilarityWeights,
) -> np.ndarray:
    """Event similarity between articles ``rows`` and ``cols``: a ``(len(rows), len(cols))`` array.

    Higher is more alike; the scale is in background standard deviations.
    """
    out = np.empty((rows.size, cols.size), dtype=np.float32)
    # Row blocks keep the float64 intermediates of _combine near 64 MB whatever the size.
    step = max(1, _BLOCK_ENTRIES // max(cols.size, 1))
    for start in range(0, rows.size, step):
        block = rows[start : start + step]
        cosines = _cosines(features, block, cols)
        out[start : start + step] = combine_scores(
            cosines,
            _rows(features, background, block[:, None]),
            _rows(features, background, cols[None, :]),
            weights,
        )
    return out


def _aligned_dots(matrix: np.ndarray, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """Row-by-row dot products ``matrix[rows[i]] . matrix[cols[i]]``, gathered in slices small
    enough to stay in cache (about twice as fast as one large gather)."""
    out = np.empty(rows.size, dtype=np.result_type(matrix.dtype, np.float32))
    for start in range(0, rows.size, _DOT_SLICE):
        r = rows[start : start + _DOT_SLICE]
        c = cols[start : start + _DOT_SLICE]
        out[start : start + _DOT_SLICE] = np.einsum("ij,ij->i", matrix[r], matrix[c])
    return out


def edge_scores(
    features: ArticleFeatures,
    background: Background,
    rows: np.ndarray,
    cols: np.ndarray,
    weights: SimilarityWeights,
    *,
    chunk: int = 250_000,
    n_jobs: int | None = None,
) -> np.ndarray:
    """Event similarity of the aligned pairs ``(rows[i], cols[i])``: an ``(len(rows),)`` array.

    The same score as :func:`pair_scores`, computed pair by pair for a sparse candidate graph,
    ``chunk`` pairs at a time, on ``n_jobs`` threads (:func:`~storycluster._scoring.threads.
    worker_count`; the scores do not depend on it).
    """
    out = np.zeros(rows.size, dtype=np.float32)

    def score(start: int) -> None:
        r = rows[start : start + chunk]
        c = cols[start : start + chunk]
        cosines = [_aligned_dots(features.dense, r, c)]
        for matrix in (features.lexical, features.entities):
            cosines.append(np.asarray(matrix[r].multiply(matrix[c]).sum(axis=1)).ravel())
        out[start : start + chunk] = combine_scores(
            cosines, _rows(features, background, r), _rows(features, background, c), weights
        )

    for_each(score, range(0, rows.size, chunk), n_jobs)
    return out
