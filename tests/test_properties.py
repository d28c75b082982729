"""Property tests of the adversarial suite (issue 15): permutation invariance on the all-pairs
and the candidate path, sizes that add up, representatives that are members and never
near-copies, determinism, and round trips through the writers and readers. Strategies live in
``strategies.py``; the fake embedder keeps every example fast."""

from __future__ import annotations

import json
from datetime import UTC
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import strategies as sst
from hypothesis import assume, given
from hypothesis import strategies as st

from storycluster import StoryClusterer
from storycluster._features.vectors import check_embeddings
from storycluster.io import (
    articles_from_dataframe,
    articles_from_records,
    as_articles,
    read_jsonl,
    write_assignments_jsonl,
    write_events_jsonl,
)
from storycluster.models import Article, Event, normalize_id
from storycluster.testing import HashingEmbedder

#: All pairs scored (the default) and the sparse candidate graph (``exact_limit`` below n).
PATHS = {
    "all-pairs": {},
    "candidates": {"exact_limit": 2, "n_neighbors": 3},
}


def _fit(records: list[dict[str, Any]], **params: Any) -> StoryClusterer:
    model = StoryClusterer(model=HashingEmbedder(), detect_language=False, cache=False, **params)
    return model.fit(records)


def _summary(model: StoryClusterer) -> set[tuple[Any, ...]]:
    """Everything a run reports, keyed by ids only (no input positions)."""
    return {
        (
            event.id,
            frozenset(event.article_ids),
            event.representative.id,
            tuple(event.keywords),
            event.label,
            tuple(sorted((m.article_id, m.duplicate_of) for m in event.members)),
        )
        for event in model.events_
    }


@pytest.mark.parametrize("path", PATHS)
@given(records=sst.corpora(), data=st.data())
def test_permutation_invariance(path: str, records: list[dict[str, Any]], data: Any) -> None:
    permuted = data.draw(st.permutations(records))
    first, second = _fit(records, **PATHS[path]), _fit(permuted, **PATHS[path])
    assert _summary(first) == _summary(second)
    by_id = {a: first.result_.event_of(a).id for a in first.result_.article_ids}
    assert {a: second.result_.event_of(a).id for a in second.result_.article_ids} == by_id


@pytest.mark.parametrize("path", PATHS)
@given(records=sst.corpora())
def test_sizes_add_up_and_representatives_are_members(
    path: str, records: list[dict[str, Any]]
) -> None:
    model = _fit(records, **PATHS[path])
    ids = [r["id"] for r in records]
    assert sum(event.size for event in model.events_) == len(records)
    assert sorted(a for event in model.events_ for a in event.article_ids) == sorted(ids)
    assert len(model.labels_) == len(records)
    for article_id, label in zip(ids, model.labels_.tolist(), strict=True):
        assert article_id in model.events_[label].article_ids
    for event in model.events_:
        members = {m.article_id: m for m in event.members}
        assert event.representative.id in members
        assert event.members[0].article_id == event.representative.id
        assert [m.is_representative for m in event.members].count(True) == 1
        # a near-copy never represents its event; its original is a member of the same event
        assert members[event.representative.id].duplicate_of is None
        for member in event.members:
            assert member.duplicate_of is None or member.duplicate_of in members
    sizes = [event.size for event in model.events_]
    assert sizes == sorted(sizes, reverse=True)


@given(records=sst.corpora(min_size=3))
def test_representative_of_near_copies_is_the_earliest_then_smallest_id(
    records: list[dict[str, Any]],
) -> None:
    model = _fit(records)

    def order(member: Any) -> tuple[bool, float, str]:
        when = member.published_at
        return (when is None, when.timestamp() if when else 0.0, member.article_id)

    for event in model.events_:
        members = {m.article_id: m for m in event.members}
        for copy in event.members:
            if copy.duplicate_of is not None:
                assert order(members[copy.duplicate_of]) < order(copy)


@pytest.mark.parametrize("path", PATHS)
@given(records=sst.corpora())
def test_determinism(path: str, records: list[dict[str, Any]]) -> None:
    first, second = _fit(records, **PATHS[path]), _fit(records, **PATHS[path])
    assert first.labels_.tolist() == second.labels_.tolist()
    assert [e.model_dump() for e in first.events_] == [e.model_dump() for e in second.events_]


@given(records=sst.corpora(max_size=8))
def test_writers_round_trip(records: list[dict[str, Any]], tmp_path_factory: Any) -> None:
    directory: Path = tmp_path_factory.mktemp("round")
    articles = articles_from_records(records)
    model = _fit(records)
    write_assignments_jsonl(model.result_, articles, directory / "a.jsonl")
    write_events_jsonl(model.events_, directory / "e.jsonl")
    rows = [json.loads(line) for line in (directory / "a.jsonl").read_text("utf-8").splitlines()]
    assert [row["id"] for row in rows] == [a.id for a in articles]
    assert [row["event_id"] for row in rows] == [model.result_.event_of(a.id).id for a in articles]
    back = read_jsonl(directory / "a.jsonl")
    fields = ("id", "title", "text", "url", "source", "published_at", "language")
    assert [[getattr(a, f) for f in fields] for a in back] == [
        [getattr(a, f) for f in fields] for a in articles
    ]
    events = [
        Event.model_validate_json(line)
        for line in (directory / "e.jsonl").read_text("utf-8").splitlines()
    ]
    assert events == model.events_


@given(
    titles=st.lists(sst.odd_text, min_size=1, max_size=6),
    dates=st.lists(st.one_of(st.none(), sst.aware_dates), min_size=6, max_size=6),
)
def test_odd_text_round_trips_through_jsonl_and_frames(
    titles: list[str], dates: list[Any], tmp_path_factory: Any
) -> None:
    assume(any(t.strip() for t in titles))
    records = [
        {"id": f"x{i}", "title": t, "text": "body", "published_at": d}
        for i, (t, d) in enumerate(zip(titles, dates, strict=False))
    ]
    articles = articles_from_records(records)
    for article in articles:
        article.title.encode("utf-8")  # repaired: always writable  # type: ignore[union-attr]
    path: Path = tmp_path_factory.mktemp("odd") / "a.jsonl"
    path.write_text(
        "".join(json.dumps(a.model_dump(mode="json")) + "\n" for a in articles), "utf-8"
    )
    assert read_jsonl(path) == articles
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame([a.model_dump() for a in articles])
    assert articles_from_dataframe(frame) == articles


@given(texts=st.lists(sst.odd_text, min_size=1, max_size=8))
def test_any_list_of_strings_clusters_or_names_the_empty_one(texts: list[str]) -> None:
    if all(t.strip() for t in texts):
        model = _fit(texts)  # type: ignore[arg-type]
        assert model.result_.article_ids == [str(i) for i in range(len(texts))]
    else:
        blank = next(i for i, t in enumerate(texts) if not t.strip())
        with pytest.raises(ValueError, match=f"record {blank}"):
            as_articles(texts)


@given(ids=st.lists(sst.ids, min_size=1, max_size=6, unique_by=lambda v: str(v)))
def test_every_id_is_found_as_given(ids: list[Any]) -> None:
    assume(all(str(i).strip() for i in ids))
    records = [{"id": i, "title": f"t {k}"} for k, i in enumerate(ids)]
    model = _fit(records)
    for given_id in ids:
        assert model.result_.event_of(given_id) is model.result_.event_of(normalize_id(given_id))
    assert [Article(id=i, title="t").id for i in ids] == [normalize_id(i) for i in ids]


@given(data=st.data(), n=st.integers(1, 5), scale=sst.scales)
def test_embeddings_normalise_at_any_scale(data: Any, n: int, scale: float) -> None:
    rows = data.draw(sst.finite_rows(n))
    reference = check_embeddings(rows, n)
    scaled = check_embeddings(rows * scale, n)
    assert np.allclose(np.linalg.norm(scaled, axis=1), 1.0, atol=1e-5)
    assert np.allclose(scaled, reference, atol=1e-6)


@given(when=sst.aware_dates)
def test_dates_round_trip_in_iso_and_common_formats(when: Any) -> None:
    when = when.replace(microsecond=0)
    assert Article(id="a", title="t", published_at=when.isoformat()).published_at == when
    plain = when.astimezone(UTC).replace(second=0, tzinfo=None)
    text = plain.strftime("%b %d, %Y %I:%M %p")  # "Oct 18, 2021 04:15 PM"
    parsed = Article(id="a", title="t", published_at=text).published_at
    assert parsed == plain.replace(tzinfo=UTC)
