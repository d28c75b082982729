"""StreamClusterer: stable ids, merges, time window, persistence, thread safety, quality."""

from __future__ import annotations

import hashlib
import json
import re
import threading
from datetime import datetime, timedelta, timezone

import numpy as np
import pytest
from conftest import dataset_path

from storycluster._text.fields import word_count
from storycluster.batch import StoryClusterer
from storycluster.evaluation import evaluate
from storycluster.io import read_jsonl
from storycluster.models import Article, Event
from storycluster.stream import StreamClusterer, StreamUpdate
from storycluster.stream._persistence import StateError

DAY0 = datetime(2021, 3, 1, tzinfo=timezone.utc)


class FakeEmbedder:
    """Deterministic bag-of-words vectors: same words, same direction."""

    model_name = "fake-bow"

    def encode(self, texts):
        out = np.zeros((len(texts), 64), dtype=np.float32)
        for i, text in enumerate(texts):
            for word in re.findall(r"\w+", text.lower()):
                out[i, hashlib.blake2b(word.encode(), digest_size=2).digest()[0] % 64] += 1.0
            out[i, 63] += 1.0
        return out / np.linalg.norm(out, axis=1, keepdims=True)


STORIES = {
    "quake": "Earthquake of magnitude {n} strikes Nepal near Kathmandu, rescuers search rubble",
    "vote": "Senate passes infrastructure bill after Manchin and Schumer strike budget deal",
    "storm": "Hurricane Ida floods Louisiana, New Orleans loses power as levees hold",
    "match": "Messi scores twice as Barcelona beat Sevilla in La Liga clash at Camp Nou",
}


def article(i: int, story: str, day: float | None = 0.0, **extra: object) -> Article:
    text = STORIES[story].format(n=6 + i % 3)
    published = None if day is None else DAY0 + timedelta(days=day)
    return Article(
        id=f"{story}-{i}",
        title=text,
        text=f"{text}. Officials said more details would follow on {story} today.",
        published_at=published,
        **extra,
    )


#: The article scoring at every length. The toy articles above are about 25 words, which the
#: length adjustment would score nearly as headlines (3.2 SDs, the dense cosine weighing most),
#: and the bag-of-words ``FakeEmbedder`` is no sentence model: the tests of the stream's
#: mechanics pin the article values; the adjustment is tested on its own below.
ARTICLE_SCORING = {"short_threshold": 4.75, "short_dense_weight": 0.25, "short_lexical_weight": 0.5}


def stream(**params: object) -> StreamClusterer:
    return StreamClusterer(model=FakeEmbedder(), **{**ARTICLE_SCORING, **params})


def test_ids_stable_across_batches() -> None:
    s = stream()
    first = s.partial_fit([article(0, "quake"), article(0, "vote"), article(1, "quake")])
    assert isinstance(first, StreamUpdate)
    quake = s.event_of("quake-0")
    assert s.event_of("quake-1") == quake
    assert s.event_of("vote-0") != quake
    assert first.assignments[0].created and not first.assignments[2].created
    assert first.assignments[2].event_id == quake
    second = s.partial_fit([article(2, "quake", 0.5), article(0, "storm", 0.5)])
    assert second.assignments[0].event_id == quake
    assert s.event_of("quake-0") == quake
    assert {e.id for e in s.events} == {quake, s.event_of("vote-0"), s.event_of("storm-0")}
    event = s.event(quake)
    assert isinstance(event, Event)
    assert event.size == 3 and event.id == quake
    assert sum(m.is_representative for m in event.members) == 1


def test_merge_redirects_absorbed_id() -> None:
    s = stream()
    s._candidates = lambda *args, **kwargs: []  # every article opens an event; merges join them
    update = s.partial_fit([article(i, "quake", 0.1 * i) for i in range(3)])
    assert all(a.created for a in update.assignments)
    assert len(update.merges) == 2
    survivor = update.assignments[0].event_id  # the oldest event survives
    assert {m.survivor for m in update.merges} == {survivor}
    for merge in update.merges:
        assert s.event(merge.absorbed).id == survivor
        opener = next(a for a in update.assignments if a.event_id == merge.absorbed)
        assert s.event_of(opener.article_id) == survivor
    assert {s.event_of(f"quake-{i}") for i in range(3)} == {survivor}
    assert s.n_events == 1


def test_window_expiry_and_out_of_order() -> None:
    s = stream(time_penalty=0.0, window=7.0)
    s.partial_fit([article(0, "quake", 0.0), article(1, "quake", 1.0)])
    old = s.event_of("quake-0")
    s.partial_fit([article(0, "vote", 20.0)])
    assert not s.is_open(old)
    late = s.partial_fit([article(2, "quake", 20.5)])
    assert late.assignments[0].created and s.event_of("quake-2") != old
    # A late article from the old event's own time still finds it.
    s.partial_fit([article(3, "quake", 2.0)])
    assert s.event_of("quake-3") == old
    assert s.event(old).size == 3


def test_undated_articles_use_arrival_order() -> None:
    s = stream()
    s.partial_fit([article(0, "storm", None), article(1, "storm", None)])
    assert s.event_of("storm-0") == s.event_of("storm-1")


def _state_bytes(directory) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(directory.iterdir())}


def test_rejected_batch_leaves_state_unchanged(tmp_path) -> None:
    s = stream()
    s.partial_fit([article(0, "quake"), article(0, "vote")])
    s.save(tmp_path / "before")
    before = s.assignments()
    with pytest.raises(ValueError, match="already seen"):
        s.partial_fit([article(1, "quake"), article(0, "vote")])
    with pytest.raises(ValueError):
        s.partial_fit([article(1, "quake"), {"id": "empty", "title": " "}])
    with pytest.raises(ValueError, match="embeddings"):
        s.partial_fit([article(1, "quake")], embeddings=np.full((1, 64), np.nan))
    with pytest.raises(ValueError, match="dimension"):
        s.partial_fit([article(1, "quake")], embeddings=np.ones((1, 8)))
    s.save(tmp_path / "after")
    assert s.assignments() == before
    assert _state_bytes(tmp_path / "before") == _state_bytes(tmp_path / "after")


def _batches():
    stories = list(STORIES)
    return [
        [article(10 * b + k, stories[(b + k) % 4], b + 0.1 * k) for k in range(5)]
        for b in range(12)
    ]


def test_save_load_continues_identically(tmp_path) -> None:
    batches = _batches()
    straight = stream(reservoir_size=7)
    for batch in batches:
        straight.partial_fit(batch)
    resumed = stream(reservoir_size=7)
    for batch in batches[:5]:
        resumed.partial_fit(batch)
    resumed.save(tmp_path / "state")
    resumed.save(tmp_path / "state")  # replacing an existing state works too
    resumed = StreamClusterer.load(tmp_path / "state", model=FakeEmbedder())
    for batch in batches[5:]:
        resumed.partial_fit(batch)
    assert resumed.assignments() == straight.assignments()
    assert [e.model_dump() for e in resumed.events] == [e.model_dump() for e in straight.events]


def test_corrupted_missing_and_unknown_version(tmp_path) -> None:
    s = stream()
    s.partial_fit([article(0, "quake"), article(0, "vote")])
    s.save(tmp_path / "state")
    dense = tmp_path / "state" / "dense.npy"
    data = bytearray(dense.read_bytes())
    data[-1] ^= 0xFF
    dense.write_bytes(bytes(data))
    with pytest.raises(StateError, match="corrupted"):
        StreamClusterer.load(tmp_path / "state", model=FakeEmbedder())

    s.save(tmp_path / "state")
    (tmp_path / "state" / "state.json").unlink()
    with pytest.raises(StateError, match="missing"):
        StreamClusterer.load(tmp_path / "state")

    s.save(tmp_path / "state")
    manifest_path = tmp_path / "state" / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    manifest["format_version"] = 99
    manifest_path.write_text(json.dumps(manifest))
    with pytest.raises(StateError, match="format_version 99"):
        StreamClusterer.load(tmp_path / "state")
    manifest_path.write_text("{not json")
    with pytest.raises(ValueError, match="corrupted"):
        StreamClusterer.load(tmp_path / "state")
    with pytest.raises(StateError, match="no stream state"):
        StreamClusterer.load(tmp_path / "nowhere")


def test_concurrent_partial_fit() -> None:
    s = stream()
    batches = _batches()
    errors: list[BaseException] = []

    def work(part: list[list[Article]]) -> None:
        try:
            for batch in part:
                s.partial_fit(batch)
                s.event_of(batch[0].id)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(batches[i::4],)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    ids = [a.id for batch in batches for a in batch]
    assignments = s.assignments()
    assert sorted(assignments) == sorted(ids)
    members = [m for event in s.events for m in event.article_ids]
    assert sorted(members) == sorted(ids)  # every article in exactly one event
    assert all(assignments[m.article_id] == e.id for e in s.events for m in e.members)


@pytest.mark.slow
def test_replay_matches_batch_on_labelled_slices(tmp_path, embedder) -> None:
    articles: list[Article] = []
    for name, n in (("gvc", 90), ("allsides2021", 60)):
        items = read_jsonl(dataset_path(name))
        items.sort(key=lambda a: (a.published_at, a.id))
        articles.extend(items[:n])
    articles.sort(key=lambda a: (a.published_at, a.id))
    batch_model = StoryClusterer(model=embedder).fit(articles)
    dense = batch_model.embeddings_
    gold = [a.metadata["event_id"] for a in articles]

    straight = StreamClusterer(model=embedder)
    resumed = StreamClusterer(model=embedder)
    for start in range(0, len(articles), 50):
        chunk = slice(start, start + 50)
        straight.partial_fit(articles[chunk], embeddings=dense[chunk])
        resumed.partial_fit(articles[chunk], embeddings=dense[chunk])
        resumed.save(tmp_path / "state")
        resumed = StreamClusterer.load(tmp_path / "state", model=embedder)
    stream_f1 = evaluate([straight.event_of(a.id) for a in articles], gold).bcubed_f1
    batch_f1 = evaluate(batch_model.labels_, gold).bcubed_f1
    assert stream_f1 >= batch_f1 - 0.05
    assert resumed.assignments() == straight.assignments()


# -- text length -------------------------------------------------------------------------------


def _fit(s: StreamClusterer, records: list[dict], vectors: np.ndarray, size: int = 5) -> None:
    for start in range(0, len(records), size):
        s.partial_fit(records[start : start + size], embeddings=vectors[start : start + size])


def test_short_texts_get_the_short_threshold_and_weights(event_records, event_vectors) -> None:
    headlines = [{**record, "text": None} for record in event_records]
    s = StreamClusterer(cache=False)
    assert s.threshold_ is None and s.weights_ is None
    _fit(s, headlines, event_vectors)
    assert s.threshold_ == s.short_threshold == 3.0
    assert (s.weights_.dense, s.weights_.lexical) == (0.75, 0.25)
    assert s.weights_.entity == 0.25
    # Every comparison with the bar uses the short values: as a stream set to them throughout.
    short = {"threshold": 3.0, "dense_weight": 0.75, "lexical_weight": 0.25}
    pinned = StreamClusterer(cache=False, **short)
    _fit(pinned, headlines, event_vectors)
    assert pinned.assignments() == s.assignments()
    article_scoring = StreamClusterer(cache=False, **ARTICLE_SCORING)
    _fit(article_scoring, headlines, event_vectors)
    assert article_scoring.threshold_ == 4.75
    assert article_scoring.assignments() != s.assignments()
    # About 45 words (title and text): in between, as in the batch clusterer.
    middle = StreamClusterer(cache=False)
    _fit(middle, event_records, event_vectors)
    batch = StoryClusterer(cache=False).fit(event_records, embeddings=event_vectors)
    assert 3.0 < middle.threshold_ < 4.75
    assert middle.threshold_ == pytest.approx(batch.threshold_)


def test_articles_are_scored_as_before(event_records, event_vectors) -> None:
    long_records = [{**record, "text": " ".join([record["text"]] * 6)} for record in event_records]
    s = StreamClusterer(cache=False)
    _fit(s, long_records, event_vectors)
    assert s.threshold_ == 4.75
    assert (s.weights_.dense, s.weights_.lexical, s.weights_.entity) == (0.25, 0.5, 0.25)
    pinned = StreamClusterer(cache=False, **ARTICLE_SCORING)
    _fit(pinned, long_records, event_vectors)
    assert pinned.assignments() == s.assignments()
    assert [e.model_dump() for e in pinned.events] == [e.model_dump() for e in s.events]


def test_each_batch_is_placed_by_the_reservoir_and_itself(event_records, event_vectors) -> None:
    long_records = [{**record, "text": " ".join([record["text"]] * 6)} for record in event_records]
    headlines = [{**record, "id": f"h-{record['id']}", "text": None} for record in event_records]
    s = StreamClusterer(cache=False, clean=False)  # no repeated sentence cut as debris
    s.partial_fit(long_records, embeddings=event_vectors)
    assert s.threshold_ == 4.75
    s.partial_fit(headlines[:3], embeddings=event_vectors[:3])  # 14 articles and 3 headlines
    assert s.threshold_ == 4.75
    s.partial_fit(headlines[3:], embeddings=event_vectors[3:])  # 14 of each: in between
    assert 3.0 < s.threshold_ < 4.75
    assert 0.25 < s.weights_.dense < 0.75


@pytest.mark.parametrize(
    ("params", "match"),
    [
        ({"short_threshold": float("nan")}, "short_threshold"),
        ({"short_dense_weight": -1.0}, "short_dense_weight"),
        ({"short_lexical_weight": float("inf")}, "short_lexical_weight"),
        ({"short_dense_weight": 0.0, "short_lexical_weight": 0.0, "entity_weight": 0.0}, "short_"),
    ],
)
def test_short_text_params_are_checked(params, match) -> None:
    with pytest.raises(ValueError, match=match):
        StreamClusterer(**params)


def test_short_text_params_are_params() -> None:
    s = StreamClusterer(short_threshold=2.5, short_dense_weight=0.5, short_lexical_weight=0.125)
    params = s.get_params()
    assert (params["short_threshold"], params["short_dense_weight"]) == (2.5, 0.5)
    assert params["short_lexical_weight"] == 0.125
    assert StreamClusterer().get_params()["short_threshold"] == StoryClusterer().short_threshold


def test_save_load_keeps_word_counts_and_batch_scoring(tmp_path, event_records, event_vectors):
    headlines = [{**record, "text": None} for record in event_records]
    straight = StreamClusterer(cache=False, reservoir_size=4)
    _fit(straight, headlines, event_vectors, size=3)
    resumed = StreamClusterer(cache=False, reservoir_size=4)
    _fit(resumed, headlines[:6], event_vectors[:6], size=3)
    resumed.save(tmp_path / "state")
    loaded = StreamClusterer.load(tmp_path / "state")
    assert loaded._words.dtype == np.int64
    assert np.array_equal(loaded._words, resumed._words)
    assert loaded._words.tolist() == [word_count(r["title"]) for r in headlines[:6]]
    assert (loaded.threshold_, loaded.weights_) == (resumed.threshold_, resumed.weights_)
    # Events are scored (representatives) with the last batch's weights, reloaded or not.
    assert [e.model_dump() for e in loaded.events] == [e.model_dump() for e in resumed.events]
    _fit(loaded, headlines[6:], event_vectors[6:], size=3)
    assert loaded.assignments() == straight.assignments()
    assert [e.model_dump() for e in loaded.events] == [e.model_dump() for e in straight.events]
    assert (loaded.threshold_, loaded.weights_) == (straight.threshold_, straight.weights_)


def test_version_2_states_are_refused(tmp_path) -> None:
    s = stream()
    s.partial_fit([article(0, "quake"), article(0, "vote")])
    s.save(tmp_path / "state")
    manifest_path = tmp_path / "state" / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    assert manifest["format_version"] == 3
    manifest["format_version"] = 2
    manifest_path.write_text(json.dumps(manifest))
    with pytest.raises(StateError, match="format_version 2; this storycluster reads version 3"):
        StreamClusterer.load(tmp_path / "state", model=FakeEmbedder())
