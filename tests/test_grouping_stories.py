"""Tests for the story level: events grouped into stories, every event in exactly one story."""

from __future__ import annotations

import math

import numpy as np
import pytest

import storycluster as sc
from storycluster import Story, StoryClusterer
from storycluster._grouping.ids import story_id
from storycluster._grouping.stories import (
    DEFAULT_STORY_SHARE,
    build_stories,
    dense_story_labels,
    merge_by_neighbourhood,
    retime_scores,
    sparse_story_labels,
)
from storycluster._scoring.similarity import SimilarityWeights


def _reference_linkage(scores: np.ndarray, events: np.ndarray, threshold: float) -> np.ndarray:
    """Average linkage over whole events, one merge at a time (brute force)."""
    k = int(events.max()) + 1
    groups = [set(np.flatnonzero(events == e).tolist()) for e in range(k)]
    story = list(range(k))
    members = {e: groups[e] for e in range(k)}
    while True:
        best, pair = -math.inf, None
        keys = sorted(members)
        for i, a in enumerate(keys):
            for b in keys[i + 1 :]:
                block = scores[np.ix_(sorted(members[a]), sorted(members[b]))]
                if block.mean() > best:
                    best, pair = float(block.mean()), (a, b)
        if pair is None or best < threshold:
            break
        a, b = pair
        members[a] |= members.pop(b)
        story = [a if s == b else s for s in story]
    return np.unique(story, return_inverse=True)[1]


def _same_partition(a: np.ndarray, b: np.ndarray) -> bool:
    return bool(
        (np.asarray(a)[:, None] == np.asarray(a)[None, :]).tolist()
        == (np.asarray(b)[:, None] == np.asarray(b)[None, :]).tolist()
    )


@pytest.mark.parametrize("seed", range(6))
def test_dense_story_labels_is_average_linkage_over_whole_events(seed):
    rng = np.random.default_rng(seed)
    n = 24
    events = rng.integers(0, 9, size=n)
    events = np.unique(events, return_inverse=True)[1]
    scores = rng.normal(size=(n, n))
    scores = (scores + scores.T) / 2
    for threshold in (-0.3, 0.0, 0.2):
        got = dense_story_labels(scores, events, threshold)
        assert _same_partition(got, _reference_linkage(scores, events, threshold))


@pytest.mark.parametrize("seed", range(4))
def test_sparse_story_labels_matches_dense_with_all_pairs(seed):
    rng = np.random.default_rng(seed)
    n = 30
    events = np.unique(rng.integers(0, 12, size=n), return_inverse=True)[1]
    scores = rng.normal(size=(n, n))
    scores = (scores + scores.T) / 2
    rows, cols = np.triu_indices(n, 1)

    def pair_scores(r, c):
        return scores[r, c]

    for threshold in (-0.2, 0.1):
        dense = dense_story_labels(scores, events, threshold)
        sparse_ = sparse_story_labels(events, rows, cols, pair_scores, threshold)
        assert _same_partition(dense, sparse_)


@pytest.mark.parametrize("seed", range(3))
def test_sparse_story_labels_with_capped_events_equals_linkage_of_their_central_members(seed):
    rng = np.random.default_rng(seed)
    n = 40
    events = np.unique(rng.integers(0, 6, size=n), return_inverse=True)[1]
    centrality = rng.random(n)
    scores = rng.normal(size=(n, n))
    scores = (scores + scores.T) / 2
    rows, cols = np.triu_indices(n, 1)
    cap = 3
    kept = np.sort(
        np.concatenate(
            [np.flatnonzero(events == e)[np.argsort(-centrality[events == e])][:cap]
             for e in range(events.max() + 1)]
        )
    )  # fmt: skip

    def pair_scores(r, c):
        return scores[r, c]

    for threshold in (-0.2, 0.1):
        capped = sparse_story_labels(
            events, rows, cols, pair_scores, threshold, centrality=centrality, max_members=cap
        )
        dense = dense_story_labels(scores[np.ix_(kept, kept)], events[kept], threshold)
        assert _same_partition(capped, dense)
        # A cap no event reaches changes nothing.
        uncapped = sparse_story_labels(events, rows, cols, pair_scores, threshold)
        roomy = sparse_story_labels(
            events, rows, cols, pair_scores, threshold, centrality=centrality, max_members=n
        )
        assert _same_partition(uncapped, roomy)


def test_story_member_cap_must_be_positive():
    events = np.array([0, 0, 1])
    with pytest.raises(ValueError, match="max_members"):
        sparse_story_labels(
            events, np.array([0]), np.array([2]), lambda r, c: np.zeros(r.size), 0.0,
            centrality=np.zeros(3), max_members=0,
        )  # fmt: skip


def _reference_merges(story, events, rows, cols, scores, threshold, share):
    """merge_by_neighbourhood written out with sets and dicts, one round at a time."""
    groups = {s: {s} for s in set(story.tolist())}
    ties: dict[tuple[int, int], float] = {}
    for r, c, v in zip(rows.tolist(), cols.tolist(), scores.tolist(), strict=True):
        if v > threshold:
            a, b = int(story[events[r]]), int(story[events[c]])
            ties[a, b] = ties.get((a, b), 0.0) + v - threshold
            ties[b, a] = ties.get((b, a), 0.0) + v - threshold
    while True:
        strength = {g: sum(ties.get((a, b), 0.0) for a in m for b in range(story.max() + 1))
                    for g, m in groups.items()}  # fmt: skip
        between = {}
        for g, m in groups.items():
            for h, other in groups.items():
                if g != h:
                    between[g, h] = sum(ties.get((a, b), 0.0) for a in m for b in other)
        best = {}
        for g in groups:
            options = [(between[g, h] / max(min(strength[g], strength[h]), 1e-12), -h)
                       for h in groups if h != g and between[g, h] > 0]  # fmt: skip
            if options:
                ratio, minus_h = max(options)
                best[g] = (-minus_h, ratio)
        pairs = [(g, h) for g, (h, ratio) in best.items()
                 if g < h and ratio >= share and best.get(h, (None,))[0] == g]  # fmt: skip
        if not pairs:
            break
        for g, h in pairs:
            groups[g] |= groups.pop(h)
    label = {}
    for g, m in groups.items():
        for a in m:
            label[a] = g
    return np.array([label[int(s)] for s in story])


@pytest.mark.parametrize("seed", range(8))
def test_merge_by_neighbourhood_matches_a_plain_reading(seed):
    rng = np.random.default_rng(seed)
    n = 30
    events = np.unique(rng.integers(0, 14, size=n), return_inverse=True)[1]
    story = np.unique(rng.integers(0, 8, size=events.max() + 1), return_inverse=True)[1]
    rows, cols = np.triu_indices(n, 1)
    keep = rng.random(rows.size) < 0.3
    rows, cols = rows[keep], cols[keep]
    scores = rng.normal(size=rows.size).astype(np.float32) * 2
    for threshold, share in ((0.5, 0.3), (1.0, 0.2), (0.0, 0.5)):
        got = merge_by_neighbourhood(story, events, rows, cols, scores, threshold, share=share)
        want = _reference_merges(story, events, rows, cols, scores, threshold, share)
        assert _same_partition(got, want)
        # Stories only merge: events of one story before are in one story after.
        for label in np.unique(story):
            assert np.unique(got[story == label]).size == 1


def test_merge_by_neighbourhood_joins_a_story_whose_ties_lead_into_another():
    # Events 0-2: story 0, a large story; event 3: story 1, two articles whose only strong
    # partners are in story 0; event 4: story 2, tied to nothing above the threshold.
    events = np.array([0, 0, 1, 1, 2, 2, 3, 3, 4, 4])
    story = np.array([0, 0, 0, 1, 2])
    rows = np.array([0, 2, 4, 1, 6, 7, 6, 8, 0])
    cols = np.array([1, 3, 5, 2, 7, 0, 3, 9, 8])
    scores = np.array([5.0, 5.0, 5.0, 3.0, 2.0, 2.5, 2.5, 4.0, 0.5])
    merged = merge_by_neighbourhood(story, events, rows, cols, scores, 1.0, share=0.3)
    assert merged[0] == merged[3] != merged[4]
    assert merged[0] == merged[1] == merged[2]
    # A share above what the ties reach leaves the stories as they were.
    kept = merge_by_neighbourhood(story, events, rows, cols, scores, 1.0, share=0.99)
    assert _same_partition(kept, story)
    # Ties at or below the threshold do not count.
    assert _same_partition(
        merge_by_neighbourhood(story, events, rows, cols, scores, 6.0, share=0.3), story
    )


def test_merge_by_neighbourhood_does_not_depend_on_pair_order():
    rng = np.random.default_rng(5)
    n = 40
    events = np.unique(rng.integers(0, 20, size=n), return_inverse=True)[1]
    story = np.unique(rng.integers(0, 9, size=events.max() + 1), return_inverse=True)[1]
    rows, cols = np.triu_indices(n, 1)
    scores = rng.normal(size=rows.size) * 2
    first = merge_by_neighbourhood(story, events, rows, cols, scores, 1.0)
    order = rng.permutation(rows.size)
    second = merge_by_neighbourhood(story, events, cols[order], rows[order], scores[order], 1.0)
    assert first.tolist() == second.tolist()
    assert 0 < DEFAULT_STORY_SHARE < 1


def test_merge_by_neighbourhood_with_one_story_or_no_ties_changes_nothing():
    events = np.array([0, 0, 1])
    one = np.array([0, 0])
    tie = (np.array([0]), np.array([2]), np.array([9.0]))
    assert merge_by_neighbourhood(one, events, *tie, 1.0).tolist() == [0, 0]
    two = np.array([0, 1])
    empty = np.zeros(0, dtype=np.int64)
    assert merge_by_neighbourhood(two, events, empty, empty, np.zeros(0), 1.0).tolist() == [0, 1]


def test_single_event_is_one_story():
    assert dense_story_labels(np.zeros((3, 3)), np.zeros(3, dtype=int), 1.0).tolist() == [0]


def test_retime_swaps_the_time_term():
    days = np.array([0.0, 1.0, 30.0, np.nan])
    old = SimilarityWeights(time_penalty=1.25, time_scale_days=3.0)
    new = SimilarityWeights(time_penalty=1.0, time_scale_days=14.0)
    text = np.arange(16, dtype=np.float32).reshape(4, 4)
    gap = np.abs(days[:, None] - days[None, :])
    with_old = text + old.time_evidence(gap)
    got = retime_scores(with_old.astype(np.float32), days[:, None], days[None, :], old, new)
    np.testing.assert_allclose(got, text + new.time_evidence(gap), atol=1e-5)


def test_stories_are_named_after_their_founder(fitted):
    by_id = {event.id: event for event in fitted.events_}
    for story in fitted.stories_:
        members = [m for e in story.events for m in by_id[e].members]
        dated = [m for m in members if m.published_at is not None]
        first = (
            min(dated, key=lambda m: (m.published_at, m.article_id))
            if dated
            else min(members, key=lambda m: m.article_id)
        )
        assert story.id == story_id(first.article_id)


# -- the fitted estimator ---------------------------------------------------------------------


@pytest.fixture
def fitted(event_records, event_vectors) -> StoryClusterer:
    return StoryClusterer().fit(event_records, embeddings=event_vectors)


def _check_partition(model: StoryClusterer) -> None:
    """Every event in exactly one story; a story's events partition its articles."""
    event_ids = [event.id for event in model.events_]
    listed = [event for story in model.stories_ for event in story.events]
    assert sorted(listed) == sorted(event_ids)
    by_id = {event.id: event for event in model.events_}
    for index, story in enumerate(model.stories_):
        assert isinstance(story, Story)
        assert story.size == sum(by_id[e].size for e in story.events)
        assert story.representative_event in story.events
        rep = by_id[story.representative_event]
        assert story.representative == rep.representative
        articles = {a for e in story.events for a in by_id[e].article_ids}
        positions = np.flatnonzero(model.story_labels_ == index)
        assert {model.result_.article_ids[p] for p in positions} == articles
    for position, event in enumerate(model.labels_.tolist()):
        assert model.story_labels_[position] == model.story_of_event_[event]
    sizes = [story.size for story in model.stories_]
    assert sizes == sorted(sizes, reverse=True)
    assert model.result_.story_labels == model.story_labels_.tolist()
    assert model.result_.stories == model.stories_


def test_stories_partition_the_events(fitted):
    _check_partition(fitted)
    assert len(fitted.stories_) <= len(fitted.events_)


def test_events_do_not_depend_on_story_parameters(event_records, event_vectors, fitted):
    other = StoryClusterer(
        story_threshold=-5.0, short_story_threshold=-5.0, story_time_penalty=0.0
    ).fit(event_records, embeddings=event_vectors)
    assert other.labels_.tolist() == fitted.labels_.tolist()
    assert [e.id for e in other.events_] == [e.id for e in fitted.events_]
    _check_partition(other)
    assert len(other.stories_) == 1  # a bar below every score: one story of everything


def test_infinite_story_threshold_gives_one_story_per_event(event_records, event_vectors):
    model = StoryClusterer(story_threshold=math.inf, short_story_threshold=math.inf).fit(
        event_records, embeddings=event_vectors
    )
    assert len(model.stories_) == len(model.events_)
    assert model.story_of_event_.tolist() == list(range(len(model.events_)))
    _check_partition(model)


def test_stories_are_deterministic_and_order_free(event_records, event_vectors, fitted):
    order = np.random.default_rng(3).permutation(len(event_records))
    other = StoryClusterer(story_threshold=-1.0).fit(
        [event_records[i] for i in order], embeddings=event_vectors[order]
    )
    again = StoryClusterer(story_threshold=-1.0).fit(event_records, embeddings=event_vectors)
    assert [s.id for s in other.stories_] == [s.id for s in again.stories_]
    assert [s.events for s in other.stories_] == [s.events for s in again.stories_]


def test_exact_and_sparse_paths_agree(event_records, event_vectors):
    for threshold in (-1.0, 0.0, 1.0):
        exact = StoryClusterer(story_threshold=threshold).fit(
            event_records, embeddings=event_vectors
        )
        sparse_ = StoryClusterer(story_threshold=threshold, exact_limit=2).fit(
            event_records, embeddings=event_vectors
        )
        _check_partition(sparse_)
        assert [s.events for s in exact.stories_] == [s.events for s in sparse_.stories_]


@pytest.mark.parametrize(
    "params",
    [
        {"story_time_penalty": -1.0},
        {"story_time_scale_days": math.nan},
        {"story_threshold": math.nan},
        {"short_story_threshold": "1"},
    ],
)
def test_invalid_story_params_rejected(params, event_records, event_vectors):
    with pytest.raises(ValueError):
        StoryClusterer(**params).fit(event_records, embeddings=event_vectors)


def test_build_stories_checks_lengths(fitted):
    with pytest.raises(ValueError, match="story labels"):
        build_stories(fitted.events_, np.zeros(len(fitted.events_) + 1, dtype=int))


def test_story_model_and_result_helpers(fitted):
    story = fitted.stories_[0]
    assert story.n_events == len(story.events)
    assert "Story(" in repr(story)
    first_article = fitted.result_.article_ids[0]
    assert fitted.result_.story_of(first_article) == fitted.stories_[fitted.story_labels_[0]]
    with pytest.raises(ValueError):
        Story(
            id="st_x",
            size=1,
            events=["ev_a"],
            representative_event="ev_b",
            representative=story.representative,
        )


def test_evaluate_at_both_levels(fitted, event_gold):
    assert sc.evaluate(fitted.labels_, event_gold).bcubed_f1 > 0.9
    # Story labels are scored the same way, against story-level gold.
    report = sc.evaluate(fitted.story_labels_, event_gold)
    assert 0 < report.bcubed_f1 <= 1


# -- outputs ------------------------------------------------------------------------------------


def test_dataframes_carry_story_ids(fitted, event_records):
    pytest.importorskip("pandas")
    articles = sc.articles_from_records(event_records)
    frame = sc.result_to_dataframe(fitted.result_, articles)
    assert frame["story_label"].tolist() == fitted.story_labels_.tolist()
    assert (frame.groupby("event_id")["story_id"].nunique() == 1).all()
    events = sc.events_to_dataframe(fitted.result_)
    story_of = {e: s.id for s in fitted.stories_ for e in s.events}
    assert events["story_id"].tolist() == [story_of[e.id] for e in fitted.events_]
    assert sc.events_to_dataframe(fitted.events_, fitted.stories_)["story_id"].tolist() == (
        events["story_id"].tolist()
    )
    stories = sc.stories_to_dataframe(fitted.stories_)
    assert stories["story_id"].tolist() == [s.id for s in fitted.stories_]
    assert stories["size"].sum() == len(articles)
    assert sorted(e for ids in stories["event_ids"] for e in ids) == sorted(story_of)


def test_jsonl_writers_carry_story_ids(fitted, event_records, tmp_path):
    import json

    articles = sc.articles_from_records(event_records)
    sc.write_assignments_jsonl(fitted.result_, articles, tmp_path / "a.jsonl")
    rows = [json.loads(line) for line in (tmp_path / "a.jsonl").read_text().splitlines()]
    assert [r["story_label"] for r in rows] == fitted.story_labels_.tolist()
    by_event: dict[str, set[str]] = {}
    for row in rows:
        by_event.setdefault(row["event_id"], set()).add(row["story_id"])
    assert all(len(stories) == 1 for stories in by_event.values())
    sc.write_events_jsonl(fitted.result_, tmp_path / "e.jsonl")
    events = [json.loads(line) for line in (tmp_path / "e.jsonl").read_text().splitlines()]
    assert all(e["story_id"] == next(iter(by_event[e["id"]])) for e in events)
    sc.write_stories_jsonl(fitted.stories_, tmp_path / "s.jsonl")
    stories = [json.loads(line) for line in (tmp_path / "s.jsonl").read_text().splitlines()]
    assert [Story.model_validate(s) for s in stories] == fitted.stories_
    with pytest.raises(TypeError, match="not a Story"):
        sc.write_stories_jsonl([fitted.events_[0]], tmp_path / "bad.jsonl")
