"""The engine-independent windowed pipeline (storycluster.distributed), no engine needed."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import storycluster as sc
from storycluster.distributed import _core as dist
from storycluster.testing import event_articles, event_embeddings


def _frame():
    records, gold = event_articles()
    return dist.frame_from_articles(records, event_embeddings(gold)), records, gold


def test_assign_windows_overlaps_and_undated():
    frame, _, _ = _frame()
    frame.loc[0, "published_at"] = None
    windowed = dist.assign_windows(frame, window_days=2, step_days=1)
    per_article = windowed.groupby("id")["window"].apply(list)
    assert per_article[frame.loc[0, "id"]] == [dist.UNDATED]
    dated = frame.loc[1, "id"]
    assert len(per_article[dated]) == 2  # a dated article is in two 2-day windows
    assert set(windowed["block"]) == {dist.UNKNOWN_LANGUAGE}  # no language, no split


def test_large_groups_split_by_hyperplanes():
    frame, _, _ = _frame()
    frame["published_at"] = "2020-01-01T12:00:00+00:00"
    windowed = dist.assign_windows(frame, max_group_size=4)
    assert windowed["block"].str.contains(":").all()
    assert windowed.groupby(["window", "block"]).size().max() < len(frame)


def test_cluster_pandas_finds_the_events():
    frame, records, gold = _frame()
    links, events = dist.cluster_pandas(frame)
    labels = links.set_index("article_id").loc[[r["id"] for r in records], "event_id"]
    assert sc.evaluate(labels.tolist(), gold).bcubed_f1 == pytest.approx(1.0)
    assert events["size"].tolist() == [4, 3, 3, 3, 1]
    assert set(events.columns) == set(dist.EVENT_COLUMNS)
    # Named after the founder: the earliest member, ties by smallest id (as in batch).
    day = dict(zip(frame["id"], dist.published_days(frame["published_at"]), strict=True))
    for event, members in links.groupby("event_id")["article_id"]:
        founder = min(members, key=lambda m: (day[m], m))
        assert dist.event_id_for(founder) == event
    # Row order does not matter.
    shuffled = frame.sample(frac=1.0, random_state=1).reset_index(drop=True)
    assert dist.cluster_pandas(shuffled)[0].sort_values("article_id")["event_id"].tolist() == (
        links.sort_values("article_id")["event_id"].tolist()
    )


def _assignment(article, window, cluster, size, day):
    return {
        "article_id": article,
        "window": window,
        "block": "en",
        "local_cluster": cluster,
        "cluster_size": size,
        "score": 1.0,
        "day": day,
        "keywords": [],
    }


def test_link_windows_unions_overlaps_and_caps_the_span():
    # A chain a-b (window 1), b-c (window 2), c-d (window 3); d is 9 days after a.
    rows = [
        _assignment("a", "w1", 0, 2, 0.0),
        _assignment("b", "w1", 0, 2, 1.0),
        _assignment("b", "w2", 0, 2, 1.0),
        _assignment("c", "w2", 0, 2, 5.0),
        _assignment("c", "w3", 0, 2, 5.0),
        _assignment("d", "w3", 0, 2, 9.0),
    ]
    frame = pd.DataFrame(rows)
    uncapped = dist.link_windows(frame, max_span_days=100).set_index("article_id")["event_id"]
    assert uncapped.nunique() == 1
    assert uncapped["a"] == dist.event_id_for("a")
    capped = dist.link_windows(frame, max_span_days=7).set_index("article_id")["event_id"]
    assert capped.nunique() == 2
    assert capped["a"] == capped["b"] == capped["c"] != capped["d"]


def test_invalid_windows_rejected():
    frame, _, _ = _frame()
    with pytest.raises(ValueError, match="step_days"):
        dist.assign_windows(frame, window_days=1, step_days=2)
    with pytest.raises(ValueError, match="embedding"):
        dist.cluster_pandas(frame.drop(columns=["embedding"]))
    assert np.isnan(dist.published_days(pd.Series(["", None]))).all()


def test_reference_sample_is_seeded_and_order_free():
    records, gold = event_articles()
    frame = dist.frame_from_articles(records, event_embeddings(gold))
    first = dist.reference_sample(frame, size=5, seed=0)
    shuffled = dist.reference_sample(frame.sample(frac=1.0, random_state=3), size=5, seed=0)
    assert first["id"].tolist() == shuffled["id"].tolist()
    assert len(first) == 5
    other = dist.reference_sample(frame, size=5, seed=1)
    assert other["id"].tolist() != first["id"].tolist()
    keys = dist.reference_keys(frame["id"], seed=0)
    assert keys.dtype == np.int64 and (keys >= 0).all()
    assert dist.reference_sample(frame, size=0).empty


def test_cluster_group_with_a_reference_keeps_only_its_rows():
    records, gold = event_articles()
    frame = dist.assign_windows(dist.frame_from_articles(records, event_embeddings(gold)))
    group = next(g for _, g in frame.groupby(["window", "block"]))
    reference = dist.reference_sample(frame.drop_duplicates("id"), size=6)
    out = dist.cluster_group(group, reference=reference)
    assert sorted(out["article_id"]) == sorted(group["id"].astype(str))
    assert (out["cluster_size"] >= 1).all()


def _assert_stories_partition(links: pd.DataFrame, events: pd.DataFrame | None = None) -> None:
    """Every event lies whole in one story: its articles share one story id."""
    per_event = links.groupby("event_id")["story_id"].nunique()
    assert (per_event == 1).all()
    assert links["story_id"].str.startswith("st_").all()
    if events is not None:
        story_of = links.drop_duplicates("event_id").set_index("event_id")["story_id"]
        assert events.set_index("event_id")["story_id"].to_dict() == story_of.to_dict()


def test_cluster_pandas_returns_stories_that_partition_the_events():
    frame, _, _ = _frame()
    links, events = dist.cluster_pandas(frame)
    assert list(links.columns) == dist.LINK_COLUMNS
    _assert_stories_partition(links, events)
    # Events do not depend on the story level; a bar below every score joins one window's.
    frame["published_at"] = "2020-01-01T12:00:00+00:00"
    apart, _ = dist.cluster_pandas(frame)
    together, events = dist.cluster_pandas(
        frame, story_threshold=-50.0, short_story_threshold=-50.0
    )
    _assert_stories_partition(together, events)
    assert together.sort_values("article_id")["event_id"].tolist() == (
        apart.sort_values("article_id")["event_id"].tolist()
    )
    assert together["story_id"].nunique() == 1 < apart["story_id"].nunique()


def test_link_windows_links_local_stories_across_windows_within_the_story_span():
    # Events a-b (w1) and c-d (w2); in w1 the story holds a, b and c; in w2 c and d alone.
    rows = [
        {**_assignment("a", "w1", 0, 2, 0.0), "local_story": 0},
        {**_assignment("b", "w1", 0, 2, 1.0), "local_story": 0},
        {**_assignment("c", "w1", 1, 1, 20.0), "local_story": 0},
        {**_assignment("c", "w2", 0, 2, 20.0), "local_story": 0},
        {**_assignment("d", "w2", 0, 2, 21.0), "local_story": 0},
    ]
    frame = pd.DataFrame(rows)
    links = dist.link_windows(frame, max_span_days=7).set_index("article_id")
    assert links.loc["a", "event_id"] == links.loc["b", "event_id"] != links.loc["c", "event_id"]
    assert links.loc["c", "event_id"] == links.loc["d", "event_id"]
    assert links["story_id"].nunique() == 1
    assert links.loc["a", "story_id"] == dist.story_id_for("a")
    _assert_stories_partition(links.reset_index())
    capped = dist.link_windows(frame, max_span_days=7, max_story_span_days=10)
    assert capped["story_id"].nunique() == 2
    _assert_stories_partition(capped)
