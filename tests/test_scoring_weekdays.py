"""Weekday names in the lead as time evidence where publication dates are unknown."""

from __future__ import annotations

import json
import math
import sqlite3

import numpy as np
import pytest

import storycluster as sc
from storycluster._features.features import build_features
from storycluster._scoring.similarity import (
    ScoringRows,
    SimilarityWeights,
    combine_scores,
    weekdays_apart,
)
from storycluster._text.fields import weekday_mask, weekdays_named
from storycluster.models import Article
from storycluster.stream._rows import Row, pack, unpack
from storycluster.testing import HashingEmbedder

MONDAY, TUESDAY, THURSDAY, SUNDAY = 1, 2, 8, 64


def test_weekday_mask_reads_english_weekday_names_as_bits() -> None:
    assert weekday_mask("The Senate voted on Tuesday; the House on THURSDAY.") == TUESDAY | THURSDAY
    assert weekday_mask("Sunday night") == SUNDAY
    assert weekday_mask("no day named here, not even Mondays or Sundayx") == 0


def test_weekdays_named_reads_title_and_lead_only() -> None:
    body = "Officials said Monday. " + "x " * 300 + "Back on Friday, it began."
    article = Article(id="a", title="Vote on Thursday", text=body)
    assert weekdays_named(article) == MONDAY | THURSDAY


def test_weekdays_apart_allows_the_same_and_the_neighbouring_day() -> None:
    first = np.array([MONDAY, MONDAY, MONDAY, SUNDAY, 0, MONDAY | THURSDAY])
    second = np.array([MONDAY, TUESDAY, THURSDAY, MONDAY, THURSDAY, SUNDAY])
    assert weekdays_apart(first, second).tolist() == [False, False, True, False, False, False]


def _rows(days: float, weekdays: int) -> ScoringRows:
    return ScoringRows(
        mean=np.zeros((3, 1, 1)),
        sd=np.ones((3, 1, 1)),
        evidence=np.ones((3, 1, 1), dtype=bool),
        days=np.array([[days]]),
        weekdays=np.array([[weekdays]]),
    )


@pytest.mark.parametrize(
    ("day_a", "day_b", "expected"),
    [
        (math.nan, math.nan, -0.5),  # no dates: the leads' weekdays count
        (math.nan, 100.0, -0.5),  # one date unknown: the gap is unknown
        (100.0, 101.0, -0.5),  # published a day apart: events of different days
        (100.0, 130.0, 0.0),  # beyond the time cap: a follow-up names another day
    ],
)
def test_weekday_evidence_counts_unless_published_weeks_apart(day_a, day_b, expected) -> None:
    weights = SimilarityWeights(time_penalty=0.0)
    cosines = [np.ones((1, 1), dtype=np.float32)] * 3
    apart = combine_scores(cosines, _rows(day_a, MONDAY), _rows(day_b, THURSDAY), weights)
    same = combine_scores(cosines, _rows(day_a, MONDAY), _rows(day_b, MONDAY), weights)
    assert float(apart[0, 0] - same[0, 0]) == pytest.approx(expected)
    off = SimilarityWeights(time_penalty=0.0, weekday_penalty=0.0)
    assert float(
        combine_scores(cosines, _rows(day_a, MONDAY), _rows(day_b, THURSDAY), off)[0, 0]
    ) == (pytest.approx(float(same[0, 0])))


def test_features_carry_the_weekdays_and_keep_them_through_take() -> None:
    articles = [
        Article(id="a", title="Storm hits on Monday", text="Winds rose."),
        Article(id="b", title="Storm hits", text="Winds rose on Thursday night."),
        Article(id="c", title="Storm", text="Winds."),
    ]
    features = build_features(articles, np.eye(3, dtype=np.float32), max_chars=1000)
    assert features.weekday_masks.tolist() == [MONDAY, THURSDAY, 0]
    assert features.take(np.array([1])).weekday_masks.tolist() == [THURSDAY]


def test_stream_rows_keep_their_weekdays() -> None:
    row = Row(
        row=3,
        article_id="a",
        dense=np.ones(4, dtype=np.float32),
        lex=(np.array([1], dtype=np.int32), np.array([1.0], dtype=np.float32)),
        ent=(np.zeros(0, dtype=np.int32), np.zeros(0, dtype=np.float32)),
        mean=np.zeros(3),
        sd=np.ones(3),
        day=math.nan,
        words=5,
        published=math.inf,
        original=True,
        norm_key=bytes(16),
        sig=None,
        terms=(),
        label="a",
        weekdays=TUESDAY | SUNDAY,
    )
    assert unpack(3, "a", "a", pack(row)).weekdays == TUESDAY | SUNDAY


def test_saved_models_keep_the_weekdays_and_older_ones_load_without(
    event_records, tmp_path
) -> None:
    records = [dict(r, published_at=None) for r in event_records]
    records[0] = dict(records[0], title=f"{records[0]['title']} on Monday")
    fitted = sc.StoryClusterer(model=HashingEmbedder()).fit(records)
    fitted.save(tmp_path / "model")
    loaded = sc.StoryClusterer.load(tmp_path / "model", model=HashingEmbedder())
    assert np.array_equal(loaded.predict(records), fitted.predict(records))
    # A model saved before the weekdays (format version 1): no weekday arrays, no
    # weekday_penalty among its parameters and weights.
    manifest_path = tmp_path / "model" / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    assert manifest["format_version"] == 2
    manifest["format_version"] = 1
    for name in ("weekdays.npy", "sample_weekdays.npy"):
        del manifest["files"][name]
        (tmp_path / "model" / name).unlink()
    del manifest["params"]["weekday_penalty"]
    for weights in ("weights_", "story_weights_"):
        del manifest["fitted"][weights]["weekday_penalty"]
    manifest_path.write_text(json.dumps(manifest))
    older = sc.StoryClusterer.load(tmp_path / "model", model=HashingEmbedder())
    assert older.labels_.tolist() == fitted.labels_.tolist()
    assert older.weekday_penalty == older.weights_.weekday_penalty == 0.5


def test_weekday_penalty_is_a_parameter_of_both_clusterers(event_records, tmp_path) -> None:
    records = [dict(r, published_at=None) for r in event_records]
    off = sc.StoryClusterer(model=HashingEmbedder(), weekday_penalty=0).fit(records)
    assert off.weights_.weekday_penalty == 0.0
    for bad in (-0.5, math.nan, math.inf, "1"):
        with pytest.raises(ValueError, match="weekday_penalty"):
            sc.StoryClusterer(model=HashingEmbedder(), weekday_penalty=bad).fit(records)
        with pytest.raises(ValueError, match="weekday_penalty"):
            sc.StreamClusterer(model=HashingEmbedder(), weekday_penalty=bad).partial_fit(records)
    stream = sc.StreamClusterer(model=HashingEmbedder(), weekday_penalty=0.25)
    stream.partial_fit(records)
    assert stream.weights_.weekday_penalty == 0.25
    stream.close()


def test_a_store_written_before_weekday_penalty_resumes(event_records, tmp_path) -> None:
    path = tmp_path / "events.db"
    first = sc.StreamClusterer(store=path, model=HashingEmbedder())
    first.partial_fit(event_records[:7])
    first.close()
    with sqlite3.connect(path) as conn:  # the parameters as an earlier version stored them
        (value,) = conn.execute("SELECT value FROM sc_meta WHERE key = 'params'").fetchone()
        params = json.loads(value)
        del params["weekday_penalty"]
        conn.execute("UPDATE sc_meta SET value = ? WHERE key = 'params'", (json.dumps(params),))
    resumed = sc.StreamClusterer(store=path, model=HashingEmbedder())  # the same defaults
    resumed.partial_fit(event_records[7:])
    assert len(resumed.assignments()) == len(event_records)
    resumed.close()
    reopened = sc.StreamClusterer.open(path, model=HashingEmbedder())
    assert reopened.weekday_penalty == 0.5
    reopened.close()
