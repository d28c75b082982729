"""The event similarity's time evidence and the lexical features' document-frequency floor."""

from __future__ import annotations

import math
from statistics import NormalDist

import numpy as np
import pytest

from storycluster._features.features import build_features
from storycluster._scoring.similarity import SimilarityWeights, effective_time_scale
from storycluster.models import Article


def test_time_evidence_is_positive_close_zero_at_the_scale_negative_far() -> None:
    weights = SimilarityWeights(time_penalty=1.25, time_scale_days=3.0, time_cap_days=60.0)
    gaps = np.array([0.0, 3.0, 30.0, np.nan])
    evidence = weights.time_evidence(gaps)
    assert evidence[0] == pytest.approx(1.25 * math.log(4.0))
    assert evidence[1] == pytest.approx(0.0)
    assert evidence[2] == pytest.approx(1.25 * (math.log(4.0) - math.log(31.0)))
    assert evidence[3] == 0.0  # an unknown date is no evidence either way


def test_time_evidence_against_stops_growing_at_the_cap() -> None:
    weights = SimilarityWeights(time_penalty=1.5, time_scale_days=3.0, time_cap_days=21.0)
    evidence = weights.time_evidence(np.array([21.0, 60.0, 700.0, 1.0]))
    assert evidence[0] == pytest.approx(1.5 * (math.log(4.0) - math.log(22.0)))
    assert evidence[1] == evidence[0] == evidence[2]  # follow-ups months later: no worse
    assert evidence[3] > 0
    uncapped = SimilarityWeights(time_cap_days=None).time_evidence(np.array([700.0]))
    assert uncapped[0] < evidence[2]


def test_time_evidence_scales_with_its_weight() -> None:
    gaps = np.array([0.0, 10.0])
    off = SimilarityWeights(time_penalty=0.0).time_evidence(gaps)
    assert np.all(off == 0.0)
    one = SimilarityWeights(time_penalty=1.0, time_scale_days=3.0).time_evidence(gaps)
    two = SimilarityWeights(time_penalty=2.0, time_scale_days=3.0).time_evidence(gaps)
    np.testing.assert_allclose(two, 2 * one)


def _articles(texts: list[str]) -> list[Article]:
    return [Article(id=str(i), text=text) for i, text in enumerate(texts)]


def test_lexical_terms_of_a_single_article_are_dropped_from_50_articles() -> None:
    texts = [
        "Storm floods riverside town",
        "Riverside town floods again after storm",
        "Quarterly earnings beat forecasts zebra",
    ]
    fillers = [f"Weather bulletin sunny spells code{i:02d}" for i in range(47)]
    dense = np.eye(50, dtype=np.float32)
    features = build_features(_articles(texts + fillers), dense, max_chars=1000)
    vocabulary = set(features.vocabulary.tolist())
    assert {"storm", "floods", "riverside", "town"} <= vocabulary
    assert "zebra" not in vocabulary and "code07" not in vocabulary
    # The article that shares nothing has no lexical evidence rather than a lonely vector.
    assert features.has_evidence[1, :3].tolist() == [True, True, False]


def test_a_handful_of_articles_keeps_every_term() -> None:
    # Dropping an article's own words in a tiny corpus would leave only what it shares.
    texts = ["Storm floods riverside town", "Quarterly earnings beat forecasts zebra"]
    features = build_features(_articles(texts), np.eye(2, dtype=np.float32), max_chars=1000)
    assert "zebra" in set(features.vocabulary.tolist())


def test_one_article_keeps_its_terms() -> None:
    features = build_features(_articles(["Lonely headline"]), np.ones((1, 2)), max_chars=100)
    assert features.lexical.shape[0] == 1


def test_effective_time_scale_is_the_median_gap_when_smaller() -> None:
    spread = np.arange(0.0, 100.0, 10.0)  # ten articles ten days apart: median gap 30 days
    assert effective_time_scale(spread, 3.0) == 3.0
    one_day = np.linspace(0.0, 1.0, 11)  # one day of news: "close" means nothing
    assert effective_time_scale(one_day, 3.0) == pytest.approx(0.4)
    assert effective_time_scale(np.array([np.nan, 5.0]), 3.0) == 3.0  # < 2 dated articles
    big = np.random.default_rng(0).uniform(0, 1, 5000)
    assert effective_time_scale(big, 3.0) == effective_time_scale(big, 3.0)  # seeded sample


def test_length_share_places_a_corpus_between_short_texts_and_articles() -> None:
    from storycluster._scoring.similarity import ARTICLE_WORDS, SHORT_TEXT_WORDS, length_share

    assert length_share(np.array([6, 8, 5])) == 0.0  # headlines
    assert length_share(np.full(9, SHORT_TEXT_WORDS)) == 0.0
    assert length_share(np.full(9, ARTICLE_WORDS)) == 1.0
    assert length_share(np.array([300, 20, 900])) == 1.0  # the median decides
    assert length_share(np.array([], dtype=np.int64)) == 1.0
    # Halfway on the log scale: the geometric mean of the two bounds.
    middle = math.sqrt(SHORT_TEXT_WORDS * ARTICLE_WORDS)
    assert length_share(np.array([middle])) == pytest.approx(0.5)


def test_for_text_length_blends_dense_lexical_and_threshold_only() -> None:
    from storycluster._scoring.similarity import for_text_length

    article = SimilarityWeights(dense=0.25, lexical=0.5, entity=0.25, time_scale_days=2.0)
    short = SimilarityWeights(dense=0.75, lexical=0.25, entity=0.9, time_scale_days=9.0)
    weights, threshold = for_text_length(article, 4.75, short, 3.0, 1.0)
    assert (weights, threshold) == (article, 4.75)
    weights, threshold = for_text_length(article, 4.75, short, 3.0, 0.0)
    assert (weights.dense, weights.lexical, threshold) == (0.75, 0.25, 3.0)
    assert (weights.entity, weights.time_scale_days) == (0.25, 2.0)
    weights, threshold = for_text_length(article, 4.75, short, 3.0, 0.5)
    assert (weights.dense, weights.lexical) == pytest.approx((0.5, 0.375))
    assert threshold == pytest.approx(3.875)


def test_features_count_the_words_of_title_and_body() -> None:
    articles = [
        Article(id="a", title="Quake hits city", text="Rescuers search the rubble."),
        Article(id="b", title="A", text=None),
    ]
    features = build_features(articles, np.ones((2, 4), dtype=np.float32), max_chars=1000)
    assert features.words.tolist() == [7, 0]  # one-letter words do not count
    assert features.take(np.array([1])).words.tolist() == [0]


def test_small_corpora_get_a_lower_bar_and_large_ones_keep_it() -> None:
    from storycluster._scoring.similarity import (
        CALIBRATION_ARTICLES,
        DEFAULT_THRESHOLD,
        small_corpus_shift,
    )

    shifts = [small_corpus_shift(n) for n in (2, 14, 95, 300, CALIBRATION_ARTICLES + 1, 10**6)]
    assert shifts == sorted(shifts, reverse=True)
    assert shifts[-2:] == [0.0, 0.0]
    assert 0.3 < shifts[2] < 0.4  # the 95-article sample
    assert shifts[0] < DEFAULT_THRESHOLD
    # Same expected number of chance partners per article as at the calibration size.
    normal = NormalDist()
    bar = DEFAULT_THRESHOLD - shifts[2]
    assert (1 - normal.cdf(bar)) * 94 == pytest.approx(
        (1 - normal.cdf(DEFAULT_THRESHOLD)) * CALIBRATION_ARTICLES
    )


def test_edge_scores_match_pair_scores_and_do_not_depend_on_threads() -> None:
    from storycluster._scoring.similarity import edge_scores, estimate_background, pair_scores

    rng = np.random.default_rng(0)
    texts = [
        f"Storm {w} floods town {i % 7} as river rises on Monday" for i, w in enumerate("abcdefgh")
    ] + [f"Council votes {i} budget for Riverside school {i % 3}" for i in range(12)]
    dense = rng.normal(size=(len(texts), 8)).astype(np.float32)
    dense /= np.linalg.norm(dense, axis=1, keepdims=True)
    features = build_features(_articles(texts), dense, max_chars=1000)
    background = estimate_background(features)
    weights = SimilarityWeights()
    rows, cols = np.triu_indices(len(texts), k=1)
    full = pair_scores(features, background, np.arange(len(texts)), np.arange(len(texts)), weights)
    single = edge_scores(features, background, rows, cols, weights, chunk=7)
    threaded = edge_scores(features, background, rows, cols, weights, chunk=7, n_jobs=3)
    np.testing.assert_allclose(single, full[rows, cols], rtol=1e-5, atol=1e-5)
    np.testing.assert_array_equal(threaded, single)  # chunks write their own slices
