"""Plotly views: each returns a figure, shows nothing, names the extra when plotly is missing."""

from __future__ import annotations

import sys

import numpy as np
import pytest

import storycluster as sc
from storycluster.testing import HashingEmbedder
from storycluster.viz import document_map, event_hierarchy, events_over_time

go = pytest.importorskip("plotly.graph_objects")


@pytest.fixture(scope="module")
def model() -> sc.StoryClusterer:
    from storycluster.testing import event_articles

    return sc.StoryClusterer(model=HashingEmbedder()).fit(event_articles()[0])


@pytest.mark.slow  # t-SNE: seconds of threaded work on a busy machine
def test_document_map_tsne_from_embeddings_and_result(model):
    same = document_map(model.embeddings_, model.result_, method="tsne", top=1)
    assert len(same.data) == 2


def test_document_map_hover_shows_title_source_date_and_event(model):
    fig = document_map(model)
    assert isinstance(fig, go.Figure)
    # One grey trace for the singleton, one per event of two or more articles.
    assert fig.data[0].name.startswith("other events")
    assert len(fig.data) == 1 + sum(event.size >= 2 for event in model.events_)
    assert sum(len(trace.x) for trace in fig.data) == len(model.labels_)
    hover = " ".join(text for trace in fig.data for text in trace.hovertext)
    event = model.events_[0]
    member = event.members[0]
    assert member.title in hover and member.source in hover
    assert member.published_at.date().isoformat() in hover
    assert f"event: {event.label}" in hover
    with pytest.raises(ValueError, match="method"):
        document_map(model, method="umap")
    with pytest.raises(ValueError, match="one row per article"):
        document_map(model.embeddings_[:3], model.result_)
    with pytest.raises(TypeError, match="StoryClusterer or a ClusteringResult"):
        document_map(np.zeros((2, 2)), [1, 2])


def test_events_over_time_counts_articles_per_day(model):
    fig = events_over_time(model, top=2)
    assert len(fig.data) == 2
    first = fig.data[0]
    event = model.events_[0]
    assert sum(first.y) == event.size
    assert first.y[0] == 0 and first.y[-1] == 0  # drops to zero around the event
    assert first.x[1] == event.first_published.date().isoformat()
    weekly = events_over_time(model.result_, freq="W")
    assert all(sum(trace.y) >= 1 for trace in weekly.data)
    monthly = events_over_time(model.result_, freq="M")
    assert all(str(x).endswith("-01") for trace in monthly.data for x in trace.x)
    with pytest.raises(ValueError, match="freq"):
        events_over_time(model, freq="Y")


def test_event_hierarchy_sizes_add_up(model):
    # Events alone (a result without stories).
    events_only = sc.ClusteringResult(
        events=model.events_, article_ids=model.result_.article_ids, labels=model.result_.labels
    )
    fig = event_hierarchy(events_only)
    tiles = fig.data[0]
    assert tiles.type == "treemap"
    assert tiles.values[0] == len(model.labels_)
    assert len(tiles.ids) == 1 + len(model.events_)
    small = event_hierarchy(events_only, top=2, kind="sunburst")
    assert small.data[0].type == "sunburst"
    assert small.data[0].labels[-1] == f"{len(model.events_) - 2} other events"
    assert sum(small.data[0].values[1:]) == len(model.labels_)


def test_missing_plotly_names_the_extra(model, monkeypatch):
    monkeypatch.setitem(sys.modules, "plotly.graph_objects", None)
    for view in (document_map, events_over_time, event_hierarchy):
        with pytest.raises(ImportError, match=r"storycluster\[plotly\]"):
            view(model)


def test_event_hierarchy_puts_events_under_their_stories(event_records):
    model = sc.StoryClusterer(model=HashingEmbedder(), story_threshold=-100.0).fit(event_records)
    assert len(model.stories_) < len(model.events_)  # a low bar: events grouped into stories
    tiles = event_hierarchy(model).data[0]
    parents = dict(zip(tiles.ids, tiles.parents, strict=True))
    for story in model.stories_:
        for event_id in story.events:
            expected = f"story:{story.id}" if len(story.events) > 1 else "all"
            assert parents[event_id] == expected
    sizes = dict(zip(tiles.ids, tiles.values, strict=True))
    assert sizes["all"] == len(model.labels_)
