"""HTML views of events: content shown, input escaped, no scripts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from storycluster.models import Article, ClusteringResult, Event, EventMember
from storycluster.viz.html import event_html, result_html


def _cluster(
    titles: list[str],
    *,
    event: str = "e",
    keywords: tuple[str, ...] = ("quake", "sumatra"),
    sources: tuple[str, ...] = ("Reuters", "BBC"),
    url: str | None = None,
) -> Event:
    members = [
        EventMember(
            article_id=f"{event}{i}",
            title=title,
            source=sources[i % len(sources)] if sources else None,
            url=url,
            published_at=datetime(2009, 9, 30, tzinfo=UTC) + timedelta(days=min(i, 1)),
            similarity=1.0,
            is_representative=i == 0,
        )
        for i, title in enumerate(titles)
    ]
    rep = Article(id=f"{event}0", title=titles[0], published_at="2009-09-30")
    dates = [m.published_at for m in members]
    return Event(
        id=f"ev_{event}",
        size=len(members),
        representative=rep,
        members=members,
        first_published=min(dates),
        last_published=max(dates),
        sources=sorted(set(sources)),
        keywords=list(keywords),
        label=titles[0],
    )


def _result(clusters: list[Event]) -> ClusteringResult:
    ids, labels = [], []
    for index, cluster in enumerate(clusters):
        ids += cluster.article_ids
        labels += [index] * cluster.size
    return ClusteringResult(events=clusters, article_ids=ids, labels=labels)


def test_event_html_shows_title_size_span_sources_keywords_members() -> None:
    cluster = _cluster(["Quake hits Sumatra", "Padang quake toll rises", "Aid reaches Padang"])
    page = event_html(cluster)
    assert "Quake hits Sumatra" in page
    assert "3 articles" in page
    assert "2009-09-30 \u2013 2009-10-01 (1 day)" in page
    assert "Reuters" in page and "BBC" in page
    assert "quake" in page and "sumatra" in page
    assert "Padang quake toll rises" in page and "Aid reaches Padang" in page
    assert "<script" not in page and "<style" not in page


def test_event_html_limits_members() -> None:
    cluster = _cluster([f"Title number {i}" for i in range(8)])
    page = event_html(cluster, max_members=2)
    assert "Title number 1" in page
    assert "Title number 2" not in page
    assert "and 6 more" in page
    assert "and" not in event_html(cluster, max_members=8).split("Title number 7")[1]


def test_malicious_input_is_escaped() -> None:
    evil = '<script>alert("x")</script>'
    cluster = _cluster(
        [evil, "<img src=x onerror=alert(1)>"],
        keywords=("<b>kw</b>",),
        sources=("A&B <i>News</i>",),
        url='javascript:alert("x")',
    )
    for page in (event_html(cluster), result_html(_result([cluster]))):
        assert "<script>" not in page
        assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page
        assert "<b>kw</b>" not in page and "<i>News</i>" not in page
        assert "A&amp;B &lt;i&gt;News&lt;/i&gt;" in page
        assert "javascript:" not in page
    assert "<img" not in event_html(cluster)
    assert "&lt;img src=x onerror=alert(1)&gt;" in event_html(cluster)
    assert "&lt;b&gt;kw&lt;/b&gt;" in event_html(cluster)


def test_http_urls_become_links() -> None:
    cluster = _cluster(["Quake", "Toll rises"], url="https://example.org/a?x=1&y=2")
    assert 'href="https://example.org/a?x=1&amp;y=2"' in event_html(cluster)


def test_result_html_summary_and_largest_events() -> None:
    clusters = [
        _cluster(["Big event", "b", "c"], event="a"),
        _cluster(["Lonely story"], event="b", sources=()),
        _cluster(["Middle event", "m"], event="c", keywords=()),
    ]
    page = result_html(_result(clusters))
    assert "<b>6</b> articles" in page
    assert "<b>3</b> events" in page
    assert "<b>1</b> singletons" in page
    assert page.index("Big event") < page.index("Middle event") < page.index("Lonely story")
    small = result_html(_result(clusters), max_events=2)
    assert "Lonely story" not in small
    assert "showing the 2 largest of 3 events" in small


def test_result_html_empty_and_bad_input() -> None:
    page = result_html(ClusteringResult(events=[], article_ids=[], labels=[]))
    assert "<b>0</b> events" in page and "<table" not in page
    with pytest.raises(TypeError):
        result_html([])  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        event_html("not a cluster")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        event_html(_cluster(["x"]), max_members=-1)


def test_undated_cluster() -> None:
    rep = Article(id="x", text="Only a body, no title")
    member = EventMember(article_id="x", similarity=1.0, is_representative=True)
    cluster = Event(id="ev_x", size=1, representative=rep, members=[member])
    page = event_html(cluster)
    assert "no dates" in page and "1 article<" in page and "no sources" in page


def test_story_html_lists_its_events_in_order() -> None:
    import numpy as np

    import storycluster as sc
    from storycluster.viz import story_html

    rng = np.random.default_rng(0)
    articles = [
        sc.Article(
            id=f"a{i}", title=f"Quake <b>{i % 2}</b> hits Nepal", published_at=f"2015-04-2{i}"
        )
        for i in range(6)
    ]
    vectors = rng.normal(size=(6, 8))
    vectors[:3] += 5 * np.eye(8)[0]
    vectors[3:] += 5 * np.eye(8)[1]
    model = sc.StoryClusterer(threshold=2.0, story_threshold=-50.0).fit(
        articles, embeddings=vectors
    )
    story = model.stories_[0]
    page = story_html(story, model.result_)
    assert "storycluster-story" in page and "<b>0</b>" not in page and "&lt;b&gt;" in page
    assert f"{story.n_events} event" in page and "★" in page
    assert (
        page
        == story_html(story, model.events_)
        == story_html(story, {e.id: e for e in model.events_})
    )
    plain = story._repr_html_()
    assert all(event_id in plain for event_id in story.events)
    with pytest.raises(ValueError, match="not given"):
        story_html(story, [])
    with pytest.raises(TypeError):
        story_html(model.events_[0])  # type: ignore[arg-type]
    assert "stories" in model.result_._repr_html_()
