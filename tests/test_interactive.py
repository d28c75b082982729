"""Plotly views: each returns a figure, shows nothing, names the extra when plotly is missing."""

from __future__ import annotations

import sys

import numpy as np
import pytest
from conftest import HashingEmbedder

import storycluster as sc
from storycluster.viz import document_map, event_hierarchy, events_over_time

go = pytest.importorskip("plotly.graph_objects")


@pytest.fixture(scope="module")
def model() -> sc.StoryClusterer:
    from conftest import make_event_articles

    return sc.StoryClusterer(model=HashingEmbedder()).fit(make_event_articles()[0])


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
    same = document_map(model.embeddings_, model.result_, method="tsne", top=1)
    assert len(same.data) == 2
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
    fig = event_hierarchy(model)
    tiles = fig.data[0]
    assert tiles.type == "treemap"
    assert tiles.values[0] == len(model.labels_)
    assert len(tiles.ids) == 1 + len(model.events_)
    small = event_hierarchy(model.result_, top=2, kind="sunburst")
    assert small.data[0].type == "sunburst"
    assert small.data[0].labels[-1] == f"{len(model.events_) - 2} other events"
    assert sum(small.data[0].values[1:]) == len(model.labels_)


def test_missing_plotly_names_the_extra(model, monkeypatch):
    monkeypatch.setitem(sys.modules, "plotly.graph_objects", None)
    for view in (document_map, events_over_time, event_hierarchy):
        with pytest.raises(ImportError, match=r"storycluster\[plotly\]"):
            view(model)
