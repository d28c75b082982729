"""Tests for storycluster.models: Article validation, Event and ClusteringResult."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from pydantic import ValidationError

from storycluster import Article, ClusteringResult, Event, EventMember

UTC = UTC


def test_minimal_article():
    article = Article(id="a1", title="Quake hits Nepal")
    assert article.text is None
    assert article.published_at is None
    assert article.metadata == {}


@pytest.mark.parametrize(
    "fields", [{}, {"title": ""}, {"title": "  ", "text": "\n\t"}, {"title": None, "text": None}]
)
def test_needs_title_or_text(fields):
    with pytest.raises(ValidationError, match="neither a title nor a text"):
        Article(id="a", **fields)


def test_naive_datetime_is_utc():
    article = Article(id="a", title="t", published_at=datetime(2021, 10, 18, 16, 15))
    assert article.published_at == datetime(2021, 10, 18, 16, 15, tzinfo=UTC)
    assert article.published_at.tzinfo is not None


def test_aware_datetime_keeps_offset():
    tz = timezone(timedelta(hours=-7))
    article = Article(id="a", title="t", published_at="2021-10-18T16:15:00-07:00")
    assert article.published_at == datetime(2021, 10, 18, 16, 15, tzinfo=tz)
    assert article.published_at.utcoffset() == timedelta(hours=-7)


@pytest.mark.parametrize("value", ["2015-04-25", date(2015, 4, 25), " 2015-04-25 "])
def test_date_only_is_utc_midnight(value):
    article = Article(id="a", title="t", published_at=value)
    assert article.published_at == datetime(2015, 4, 25, tzinfo=UTC)


def test_trailing_z_is_utc():
    article = Article(id="a", title="t", published_at="2021-10-18T16:15:00Z")
    assert article.published_at == datetime(2021, 10, 18, 16, 15, tzinfo=UTC)
    assert article.published_at.utcoffset() == timedelta(0)


def test_blank_date_is_none():
    assert Article(id="a", title="t", published_at="  ").published_at is None


def test_unparseable_date_message():
    with pytest.raises(ValidationError, match=r"published_at") as info:
        Article(id="a", title="t", published_at="yesterday")
    message = str(info.value)
    assert "'yesterday' is not a date this library can read" in message
    assert "2021-10-18" in message


def test_int_id_becomes_str():
    assert Article(id=42, title="t").id == "42"


@pytest.mark.parametrize("bad", [True, False, None, "", 1.5])
def test_bad_ids_rejected(bad):
    with pytest.raises(ValidationError, match="id"):
        Article(id=bad, title="t")


def test_overlong_id_rejected():
    with pytest.raises(ValidationError):
        Article(id="x" * 1001, title="t")


def test_unknown_field_rejected():
    with pytest.raises(ValidationError, match="body"):
        Article(id="a", title="t", body="no such field")


def test_article_is_frozen():
    article = Article(id="a", title="t")
    with pytest.raises(ValidationError):
        article.title = "changed"
    assert hash(article.id)


@pytest.mark.parametrize(
    ("title", "text", "content"),
    [
        ("Title", "Body text.", "Title\n\nBody text."),
        ("Title", None, "Title"),
        (None, "Body text.", "Body text."),
        ("  Title ", "  Body text. ", "Title\n\nBody text."),
        ("Title", "Title and then the body.", "Title and then the body."),
        ("", "Only text", "Only text"),
    ],
)
def test_content(title, text, content):
    assert Article(id="a", title=title, text=text).content == content


def _member(article_id: str, *, representative: bool = False) -> EventMember:
    return EventMember(article_id=article_id, similarity=0.9, is_representative=representative)


def _cluster(ids: list[str], **extra) -> Event:
    return Event(
        id="ev_" + ids[0],
        size=extra.pop("size", len(ids)),
        representative=Article(id=ids[0], title=f"Title {ids[0]}"),
        members=[_member(i, representative=(k == 0)) for k, i in enumerate(ids)],
        label=f"Title {ids[0]}",
        **extra,
    )


def test_story_cluster_size_must_match_members():
    with pytest.raises(ValidationError, match="size 3 != number of members 2"):
        _cluster(["a", "b"], size=3)
    with pytest.raises(ValidationError):
        _cluster(["a"], size=0)


def test_story_cluster_article_ids_and_repr():
    cluster = _cluster(["b", "a"])
    assert cluster.article_ids == ["b", "a"]
    assert repr(cluster) == "Event(id='ev_b', size=2, label='Title b')"
    one_day = _cluster(
        ["a"],
        first_published=datetime(2015, 4, 25, 6, tzinfo=UTC),
        last_published=datetime(2015, 4, 25, 20, tzinfo=UTC),
    )
    assert repr(one_day) == "Event(id='ev_a', size=1, 2015-04-25, label='Title a')"
    span = _cluster(
        ["a", "c"],
        first_published=datetime(2015, 4, 25, tzinfo=UTC),
        last_published=datetime(2015, 4, 27, tzinfo=UTC),
    )
    assert "2015-04-25..2015-04-27" in repr(span)


def _result() -> ClusteringResult:
    big, small = _cluster(["a", "c"]), _cluster(["b"])
    return ClusteringResult(events=[big, small], article_ids=["a", "b", "c"], labels=[0, 1, 0])


def test_event_of():
    result = _result()
    assert result.event_of("c") is result.events[0]
    assert result.event_of("b").article_ids == ["b"]
    with pytest.raises(KeyError, match="'zz'"):
        result.event_of("zz")


def test_result_sequence_protocol_and_repr():
    result = _result()
    assert len(result) == 2
    assert list(result) == result.events
    assert result[1].id == "ev_b"
    assert repr(result) == "ClusteringResult(3 articles, 2 events, largest 2, 1 singletons)"


def test_result_lengths_must_match():
    with pytest.raises(ValidationError, match="same length"):
        ClusteringResult(events=[], article_ids=["a"], labels=[])


def test_empty_result_repr():
    empty = ClusteringResult(events=[], article_ids=[], labels=[])
    assert repr(empty) == "ClusteringResult(0 articles, 0 events, largest 0, 0 singletons)"


def test_models_round_trip_through_json():
    result = _result()
    again = ClusteringResult.model_validate_json(result.model_dump_json())
    assert again == result
