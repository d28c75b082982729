"""Plots: each function returns a Figure with the expected artists (Agg backend, no display)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

matplotlib = pytest.importorskip(
    "matplotlib", reason='plots need matplotlib ("storycluster[plot]")'
)
matplotlib.use("Agg")  # tests only: the library never picks a backend

import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.collections import PathCollection  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.patches import Rectangle  # noqa: E402

import storycluster as sc  # noqa: E402
from storycluster.viz.plots import article_map, size_distribution, timeline  # noqa: E402

TOPICS = [
    ("Earthquake of magnitude {n} strikes Sumatra near Padang", "Quake Padang Sumatra rubble"),
    ("Indian Navy frigate foils pirate attack {n} in Gulf of Aden", "Navy pirates Aden frigate"),
    ("AMD agrees to buy ATI for ${n} billion in cash and stock", "AMD ATI chipmaker deal"),
]


def _articles() -> list[sc.Article]:
    start = datetime(2009, 9, 30, tzinfo=UTC)
    articles = []
    for t, (title, words) in enumerate(TOPICS):
        for i in range(6):
            articles.append(
                sc.Article(
                    id=f"t{t}-{i}",
                    title=title.format(n=i + 5),
                    text=f"{words} {words} report {i}. {title.format(n=i + 5)}",
                    source=f"Outlet {i % 3}",
                    published_at=start + timedelta(days=40 * t + i),
                )
            )
    articles.append(sc.Article(id="odd-1", title="Local bakery wins bread prize"))
    articles.append(sc.Article(id="odd-2", title="Weather: sunny spells over Kent", text="Warm."))
    return articles


@pytest.fixture(scope="module")
def model() -> sc.StoryClusterer:
    rng = np.random.default_rng(0)
    articles = _articles()
    centres = rng.normal(size=(4, 16))
    topic = [int(a.id[1]) if a.id.startswith("t") else 3 for a in articles]
    emb = centres[topic] + 0.3 * rng.normal(size=(len(articles), 16))
    emb /= np.linalg.norm(emb, axis=1, keepdims=True)
    return sc.StoryClusterer(threshold=1.0).fit(articles, embeddings=emb)


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def test_fixture_has_multi_article_and_undated_events(model: sc.StoryClusterer) -> None:
    sizes = [c.size for c in model.events_]
    assert max(sizes) >= 3
    assert any(c.first_published is None for c in model.events_)


def test_timeline(model: sc.StoryClusterer) -> None:
    result = model.result_
    fig = timeline(result)
    assert isinstance(fig, Figure)
    ax = fig.axes[0]
    dated = [c for c in result.events if c.first_published is not None]
    bars = [p for p in ax.patches if isinstance(p, Rectangle)]
    assert len(bars) == len(dated)
    assert all(bar.get_width() > 0 for bar in bars)
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels[0].endswith(f"({dated[0].size})")
    assert any("\\$" in label for label in labels)  # "$" kept literal, not mathtext
    dots = [c for c in ax.collections if isinstance(c, PathCollection)]
    assert len(dots) == 1 and len(dots[0].get_offsets()) == sum(c.size for c in dated)
    notes = [t.get_text() for t in ax.texts]
    undated = len(result.events) - len(dated)
    assert any(f"{undated} of {len(result.events)} events have no dates" in n for n in notes)
    assert len(fig.axes) == 2  # plus the colour bar
    fig.canvas.draw()


def test_timeline_top_ax_and_clusters(model: sc.StoryClusterer) -> None:
    fig, ax = plt.subplots()
    out = timeline(model.events_, top=1, ax=ax)
    assert out is fig
    assert len([p for p in ax.patches if isinstance(p, Rectangle)]) == 1
    assert any("showing the 1 largest" in t.get_text() for t in ax.texts)
    with pytest.raises(ValueError):
        timeline(model.result_, top=0)
    with pytest.raises(TypeError):
        timeline(["nope"])  # type: ignore[list-item]


def test_timeline_without_dates() -> None:
    articles = [sc.Article(id=str(i), title=f"Story {i} about things") for i in range(3)]
    result = sc.StoryClusterer().fit(articles, embeddings=np.eye(3)).result_
    fig = timeline(result)
    ax = fig.axes[0]
    assert not ax.patches
    assert any("no events with publication dates" in t.get_text() for t in ax.texts)
    fig.canvas.draw()


def test_size_distribution(model: sc.StoryClusterer) -> None:
    result = model.result_
    fig = size_distribution(result)
    assert isinstance(fig, Figure)
    ax = fig.axes[0]
    heights = [p.get_height() for p in ax.patches]
    assert len(heights) == max(c.size for c in result.events)
    assert sum(heights) == len(result.events)
    assert f"{len(result.events)} events" in ax.get_title(loc="left")
    fig.canvas.draw()


def test_size_distribution_log_scales() -> None:
    def cluster(size: int, k: int) -> sc.Event:
        ids = [f"{k}-{i}" for i in range(size)]
        return sc.Event(
            id=f"ev{k}",
            size=size,
            representative=sc.Article(id=ids[0], title="t"),
            members=[sc.EventMember(article_id=i, similarity=1.0) for i in ids],
        )

    clusters = [cluster(1, k) for k in range(300)] + [cluster(120, 999)]
    ax = size_distribution(clusters).axes[0]
    assert ax.get_yscale() == "log" and ax.get_xscale() == "log"


@pytest.mark.parametrize("method", ["pca", pytest.param("tsne", marks=pytest.mark.slow)])
def test_article_map(model: sc.StoryClusterer, method: str) -> None:
    fig = article_map(model.embeddings_, model.result_, method=method, top=2)
    assert isinstance(fig, Figure)
    ax = fig.axes[0]
    scatters = [c for c in ax.collections if isinstance(c, PathCollection)]
    assert len(scatters) == 3  # grey rest + 2 coloured events
    assert sum(len(s.get_offsets()) for s in scatters) == len(model.labels_)
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend[0].startswith("other events")
    assert legend[1].endswith(f"({model.events_[0].size})")
    fig.canvas.draw()


def test_article_map_plain_labels_and_errors(model: sc.StoryClusterer) -> None:
    fig = article_map(model.embeddings_, model.labels_, top=10)
    legend = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert legend == [f"event {i} ({c.size})" for i, c in enumerate(model.events_)]
    with pytest.raises(ValueError, match="method"):
        article_map(model.embeddings_, model.labels_, method="umap")
    with pytest.raises(ValueError, match="one label per embedding"):
        article_map(model.embeddings_, model.labels_[:-1])
    one = article_map(np.ones((1, 4)), [0])
    assert len(one.axes[0].collections) == 1


def test_story_timeline(model: sc.StoryClusterer) -> None:
    from storycluster.viz import story_timeline

    story = next(s for s in model.stories_ if s.first_published is not None)
    fig = story_timeline(model.result_, story)
    assert isinstance(fig, Figure)
    ax = fig.axes[0]
    bars = [p for p in ax.patches if isinstance(p, Rectangle)]
    by_id = {e.id: e for e in model.events_}
    dated = [e for e in story.events if by_id[e].first_published is not None]
    assert len(bars) == len(dated)
    dots = [c for c in ax.collections if isinstance(c, PathCollection)]
    assert sum(len(c.get_offsets()) for c in dots) == sum(by_id[e].size for e in dated)
    assert "Story:" in ax.get_title(loc="left")
    assert story_timeline(model.result_, story.id).axes[0].get_title(loc="left") == (
        ax.get_title(loc="left")
    )
    assert isinstance(story_timeline(model.result_), Figure)  # the largest story
    with pytest.raises(KeyError):
        story_timeline(model.result_, "st_missing")
    with pytest.raises(TypeError):
        story_timeline(model.events_)  # type: ignore[arg-type]
    undated = next((s for s in model.stories_ if s.first_published is None), None)
    if undated is not None:
        fig = story_timeline(model.result_, undated)
        assert not fig.axes[0].axison
