"""The one event-id scheme (storycluster._grouping.ids): batch, stream and engines name an event
after its founding article."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pytest

import storycluster as sc
from storycluster._grouping.ids import event_id, founder
from storycluster.distributed import _core as dist


def _utc(day: int) -> datetime:
    return datetime(2020, 1, day, tzinfo=UTC)


def test_event_id_is_a_stable_hash_of_the_founder_id():
    assert event_id("a1") == "ev_9f6566910330ed1b"  # pinned: ids must not change across releases
    assert event_id("a1") != event_id("a2")
    assert len(event_id("x" * 1000)) == 3 + 16


def test_founder_is_the_earliest_dated_member_then_the_smallest_id():
    assert founder(["b", "a", "c"], [_utc(2), _utc(3), _utc(2)]) == 0  # b: earliest, b < c
    assert founder(["b", "a"], [_utc(2), None]) == 0  # undated members come last
    assert founder(["b", "a"], [None, None]) == 1  # none dated: smallest id
    with pytest.raises(ValueError, match="at least one member"):
        founder([], [])


def test_batch_stream_and_engine_give_the_same_ids(event_records, event_vectors):
    batch = sc.StoryClusterer(detect_language=False, dedup_threshold=None).fit(
        event_records, embeddings=event_vectors
    )
    batch_ids = {a: e.id for e in batch.events_ for a in e.article_ids}

    # Replayed in time order, ties by id: each event is opened by its batch founder.
    order = sorted(
        range(len(event_records)),
        key=lambda i: (event_records[i]["published_at"], event_records[i]["id"]),
    )
    stream = sc.StreamClusterer()
    stream.partial_fit([event_records[i] for i in order], embeddings=event_vectors[order])
    stream_ids = {r["id"]: stream.event_of(r["id"]) for r in event_records}

    frame = dist.frame_from_articles(event_records, event_vectors)
    links, _ = dist.cluster_pandas(frame)
    engine_ids = dict(zip(links["article_id"], links["event_id"], strict=True))

    assert batch_ids == stream_ids == engine_ids
    # Not the smallest member id: in these events the earliest article is not always smallest.
    smallest = {e.id: min(e.article_ids) for e in batch.events_}
    assert any(event_id(s) != i for i, s in smallest.items())


def test_batch_ids_do_not_depend_on_input_order(event_records, event_vectors):
    def ids(order: np.ndarray) -> set[str]:
        model = sc.StoryClusterer(detect_language=False).fit(
            [event_records[i] for i in order], embeddings=event_vectors[order]
        )
        return {e.id for e in model.events_}

    forward = np.arange(len(event_records))
    assert ids(forward) == ids(forward[::-1])


def test_an_event_keeps_its_id_when_a_later_member_joins(event_records, event_vectors):
    # A member-hash id would change with the membership; the founder's name does not.
    model = sc.StoryClusterer(detect_language=False)
    full = model.fit(event_records, embeddings=event_vectors).events_
    largest = full[0]
    late = next(a for a in largest.article_ids if event_id(a) != largest.id)
    keep = [i for i, r in enumerate(event_records) if r["id"] != late]
    fewer = model.fit([event_records[i] for i in keep], embeddings=event_vectors[keep]).events_
    assert {e.id for e in fewer} == {e.id for e in full}
