"""StreamClusterer: ids, merges, time window, the event store, service semantics, quality."""

from __future__ import annotations

import hashlib
import logging
import re
import sqlite3
import threading
import time
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from conftest import dataset_path

from storycluster import StoryClusterer, evaluate, read_jsonl
from storycluster._text.fields import word_count
from storycluster.models import Article, Event
from storycluster.stream import StateError, StoreError, StreamClusterer, StreamUpdate

DAY0 = datetime(2021, 3, 1, tzinfo=UTC)


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
        text=f"{text}. Officials said more details would follow on {story} today, item {i}.",
        published_at=published,
        **extra,
    )


#: The article scoring at every length. The toy articles above are about 25 words, which the
#: length adjustment would score nearly as headlines, and the bag-of-words ``FakeEmbedder`` is
#: no sentence model: the tests of the stream's mechanics pin the article values.
ARTICLE_SCORING = {"short_threshold": 4.75, "short_dense_weight": 0.25, "short_lexical_weight": 0.5}


def stream(**params: object) -> StreamClusterer:
    return StreamClusterer(model=FakeEmbedder(), **{**ARTICLE_SCORING, **params})


def _batches():
    stories = list(STORIES)
    return [
        [article(10 * b + k, stories[(b + k) % 4], b + 0.1 * k) for k in range(5)]
        for b in range(12)
    ]


def _events(s: StreamClusterer) -> list[dict]:
    return [s.event(e.id).model_dump() for e in s.events(order_by="id")]


def _tables(s: StreamClusterer) -> dict[str, list]:
    """Every stored row but the batch log's wall-clock columns."""
    out = {}
    for table in (
        "sc_meta",
        "events",
        "articles",
        "merges",
        "sc_rows",
        "sc_event_terms",
        "sc_term_df",
        "sc_term_names",
    ):
        out[table] = [
            tuple(bytes(v) if isinstance(v, memoryview) else v for v in r)
            for r in s.event_store.dump(table)
        ]
    out["batches"] = [r[:1] + r[2:6] for r in s.event_store.dump("batches")]
    return out


# -- ids, merges, time -------------------------------------------------------------------------


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
    assert {e.id for e in s.events()} == {quake, s.event_of("vote-0"), s.event_of("storm-0")}
    event = s.event(quake)
    assert isinstance(event, Event)
    assert event.size == 3 and event.id == quake
    assert sum(m.is_representative for m in event.members) == 1
    # One id scheme: an event's id is the batch clusterer's id of its founding article.
    from storycluster._grouping import ids

    assert quake == ids.event_id("quake-0")


def test_merge_redirects_absorbed_id(monkeypatch) -> None:
    s = stream()
    real = s._params

    def strict():  # the first batch opens one event per article
        return real().__class__(**{**real().__dict__, "threshold": 1e9, "short_threshold": 1e9})

    monkeypatch.setattr(s, "_params", strict)
    first = s.partial_fit([article(i, "quake", 0.1 * i) for i in range(3)])
    assert all(a.created for a in first.assignments)
    monkeypatch.setattr(s, "_params", real)
    update = s.partial_fit([article(3, "quake", 0.4)])
    assert len(update.merges) == 2
    survivor = first.assignments[0].event_id  # the oldest event survives
    assert {m.survivor for m in update.merges} == {survivor}
    for merge in update.merges:
        assert s.event(merge.absorbed).id == survivor
        assert s.summary(merge.absorbed).id == survivor
    assert {s.event_of(f"quake-{i}") for i in range(4)} == {survivor}
    assert s.n_events == 1


def test_window_expiry_and_out_of_order() -> None:
    s = stream(time_penalty=0.0, window=7.0)
    s.partial_fit([article(0, "quake", 0.0), article(1, "quake", 1.0)])
    old = s.event_of("quake-0")
    s.partial_fit([article(0, "vote", 20.0)])
    assert not s.is_open(old)
    assert s.n_live_events == 1  # the closed event left memory
    late = s.partial_fit([article(2, "quake", 20.5)])
    assert late.assignments[0].created and s.event_of("quake-2") != old
    # A late article from the old event's own time still finds it, in the store.
    s.partial_fit([article(3, "quake", 2.0)])
    assert s.event_of("quake-3") == old
    assert s.event(old).size == 3


def _stored_background(s: StreamClusterer, article_id: str) -> tuple[list, list]:
    from storycluster.stream._rows import unpack

    (arrival,) = [r.row for r in s._state.rows.values() if r.article_id == article_id]
    ((a, i, label, blob, dup),) = s._store.rows({arrival})
    row = unpack(a, i, label, blob, dup)
    live = s._state.rows[arrival]
    assert row.mean.tolist() == live.mean.tolist() and row.sd.tolist() == live.sd.tolist()
    return row.mean.tolist(), row.sd.tolist()


@pytest.mark.parametrize(("reservoir_size", "again"), [(2000, True), (2, False)])
def test_warm_up_measures_live_backgrounds_again(reservoir_size, again) -> None:
    s = stream(reservoir_size=reservoir_size)
    s.partial_fit([article(0, "quake"), article(1, "quake")])
    before = _stored_background(s, "quake-0")
    s.partial_fit([article(0, "vote", 0.5), article(1, "vote", 0.5), article(2, "quake", 0.5)])
    # While the reservoir fills, the live rows are measured against it again (store and
    # memory alike); once it is full, backgrounds stay as measured on arrival.
    assert (_stored_background(s, "quake-0") != before) is again


def test_linkage_merges_old_events_with_each_other_only_when_asked() -> None:
    from storycluster.stream._state import _linkage

    scores = np.full((5, 5), 9.0, dtype=np.float32)
    scores[4, :] = scores[:, 4] = -9.0  # the batch's article (first) belongs elsewhere
    order = np.array([4, 0, 1, 2, 3])
    scores = scores[np.ix_(order, order)]
    args = (scores, [1, 2, 2], 1, 4.0, [[], ["ev_a"], ["ev_b"]], lambda e: (0.0, int(e == "ev_b")))
    assert [olds for olds, _, _ in _linkage(*args)] == [[], ["ev_a"], ["ev_b"]]
    merged = _linkage(*args, old_with_old=True)
    assert [(olds, steps) for olds, _, steps in merged] == [
        ([], []),
        (["ev_a", "ev_b"], [("ev_b", "ev_a", 9.0)]),
    ]


def test_undated_articles_use_arrival_order() -> None:
    s = stream()
    s.partial_fit([article(0, "storm", None), article(1, "storm", None)])
    assert s.event_of("storm-0") == s.event_of("storm-1")


def test_undated_article_finds_a_closed_event() -> None:
    s = stream(time_penalty=0.0, window=3.0)
    s.partial_fit([article(0, "quake", 0.0), article(1, "quake", 0.5)])
    s.partial_fit([article(0, "vote", 40.0)])
    quake = s.event_of("quake-0")
    assert not s.is_open(quake)
    s.partial_fit([article(2, "quake", None)])
    assert s.event_of("quake-2") == quake


# -- one transaction per batch, state unchanged on error ---------------------------------------


def test_rejected_batch_leaves_state_unchanged() -> None:
    s = stream()
    s.partial_fit([article(0, "quake"), article(0, "vote")])
    before = _tables(s)
    with pytest.raises(ValueError, match="already seen"):
        s.partial_fit([article(1, "quake"), article(0, "vote")], on_known="error")
    with pytest.raises(ValueError):
        s.partial_fit([article(1, "quake"), {"id": "empty", "title": " "}])
    with pytest.raises(ValueError, match="embeddings"):
        s.partial_fit([article(1, "quake")], embeddings=np.full((1, 64), np.nan))
    with pytest.raises(ValueError, match="dimension"):
        s.partial_fit([article(1, "quake")], embeddings=np.ones((1, 8)))
    assert _tables(s) == before


def test_failed_commit_leaves_state_unchanged(monkeypatch) -> None:
    s = stream()
    s.partial_fit([article(0, "quake"), article(0, "vote")])
    before = _tables(s)
    live = dict(s._state.events)

    def boom(change):
        raise RuntimeError("disk full")

    monkeypatch.setattr(s.event_store, "commit", boom)
    with pytest.raises(RuntimeError, match="disk full"):
        s.partial_fit([article(1, "quake", 0.2)])
    monkeypatch.undo()
    assert _tables(s) == before and s._state.events == live
    s.partial_fit([article(1, "quake", 0.2)])
    assert s.event_of("quake-1") == s.event_of("quake-0")


@pytest.mark.parametrize(
    ("bad", "match"),
    [
        ({"title": "Nepal quake \ud800 strikes"}, "not valid Unicode"),
        ({"metadata": {"count": np.int64(3)}}, "plain JSON"),
        ({"metadata": {"x": float("nan")}}, "plain JSON"),
        ({"text": "nul \x00 byte"}, "NUL"),
    ],
)
def test_input_the_store_cannot_hold_is_rejected(tmp_path, bad, match) -> None:
    s = stream(store=tmp_path / "events.db")
    s.partial_fit([article(0, "quake")])
    before = _tables(s)
    record = {**article(1, "quake").model_dump(), **bad}
    with pytest.raises(ValueError, match=match):
        s.partial_fit([article(2, "quake"), Article.model_construct(**record)])
    assert _tables(s) == before
    s.partial_fit([article(2, "quake")])  # the stream goes on, and saves
    s.save(tmp_path / "snapshot.db")


def test_concurrent_partial_fit() -> None:
    s = stream()
    batches = _batches()
    errors: list[BaseException] = []

    def work(part) -> None:
        try:
            for batch in part:
                s.partial_fit(batch)
                s.event_of(batch[0].id)
                s.events(limit=5)
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
    members = [m.article_id for e in s.iter_events() for m in e.members]
    assert sorted(members) == sorted(ids)
    assert all(assignments[m.article_id] == e.id for e in s.iter_events() for m in e.members)


class SlowEmbedder(FakeEmbedder):
    def __init__(self) -> None:
        self.started = threading.Event()

    def encode(self, texts):
        self.started.set()
        time.sleep(1.5)
        return super().encode(texts)


def test_queries_do_not_wait_for_embedding(tmp_path) -> None:
    embedder = SlowEmbedder()
    s = StreamClusterer(model=embedder, store=tmp_path / "e.db", **ARTICLE_SCORING)
    s.partial_fit([article(0, "quake")], embeddings=FakeEmbedder().encode(["x"]))
    worker = threading.Thread(target=s.partial_fit, args=([article(1, "vote")],))
    worker.start()
    assert embedder.started.wait(5)
    t0 = time.perf_counter()
    assert s.event_of("quake-0")
    assert len(s.events(limit=20)) == 1
    s.event(s.event_of("quake-0"))
    assert time.perf_counter() - t0 < 0.5
    worker.join()
    assert s.n_events == 2


def test_events_are_summaries_not_rebuilt(monkeypatch) -> None:
    s = stream()
    for batch in _batches():
        s.partial_fit(batch)
    from storycluster.stream import _state

    def no_scoring(*args, **kwargs):
        raise AssertionError("a query scored articles")

    monkeypatch.setattr(_state, "scores", no_scoring)
    monkeypatch.setattr(_state, "bundle", no_scoring)
    top = s.events(limit=2)
    assert [e.size for e in top] == sorted((e.size for e in s.events()), reverse=True)[:2]
    assert all(e.keywords and e.label and e.representative for e in top)
    since = s.events(since=DAY0 + timedelta(days=10))
    assert since and all(e.last_seen >= DAY0 + timedelta(days=10) for e in since)
    assert all(e.is_open for e in s.events(open_only=True))
    assert s.events(min_size=1000) == []
    assert s.events(order_by="last_seen")[0].last_seen == max(e.last_seen for e in s.events())
    frame = s.events_frame(limit=3)
    assert list(frame["event_id"]) == [e.id for e in s.events(limit=3)]
    members = s.articles_of(top[0].id)
    assert len(members) == top[0].size and all(isinstance(a, Article) for a in members)


# -- the store: resume, refuse, crash ----------------------------------------------------------


def test_reopen_resumes_exactly(store_target) -> None:
    batches = _batches()
    straight = stream(reservoir_size=7, window=4.0)
    for batch in batches:
        straight.partial_fit(batch)
    resumed = stream(reservoir_size=7, window=4.0, store=store_target)
    for k, batch in enumerate(batches):
        resumed.partial_fit(batch)
        if store_target is not None and k % 3 == 1:
            resumed.close()
            resumed = StreamClusterer.open(store_target, model=FakeEmbedder())
    assert resumed.assignments() == straight.assignments()
    assert _events(resumed) == _events(straight)
    assert (resumed.threshold_, resumed.weights_) == (straight.threshold_, straight.weights_)
    resumed.close()


def test_store_with_other_parameters_is_refused(tmp_path) -> None:
    path = tmp_path / "events.db"
    s = stream(store=path)
    s.partial_fit([article(0, "quake")])
    s.close()
    other = stream(store=path, window=7.0)  # __init__ only stores its arguments ...
    with pytest.raises(StoreError, match=r"other parameters: window=90\.0"):
        len(other)  # ... the store is opened, and refused, on first use
    same = stream(store=path)  # the same parameters: resumed
    assert same.event_of("quake-0")
    same.close()
    with pytest.raises(StoreError, match="holds no storycluster stream"):
        StreamClusterer.open(tmp_path / "empty.db")


def test_store_of_another_version_is_refused(tmp_path) -> None:
    path = tmp_path / "events.db"
    s = stream(store=path)
    assert len(s) == 0  # first use: the store is created
    s.close()
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE sc_meta SET value = '99' WHERE key = 'format_version'")
    with pytest.raises(StoreError, match="format_version 99"):
        StreamClusterer.open(path, model=FakeEmbedder())


def test_schema_is_queryable_with_sql(tmp_path) -> None:
    path = tmp_path / "events.db"
    s = stream(store=path)
    for batch in _batches()[:3]:
        s.partial_fit(batch)
    with sqlite3.connect(path) as conn:
        top = conn.execute(
            "SELECT id, size, label FROM events WHERE absorbed_into IS NULL "
            "ORDER BY size DESC LIMIT 1"
        ).fetchone()
        members = conn.execute(
            "SELECT COUNT(*) FROM articles WHERE event_id = ?", (top[0],)
        ).fetchone()[0]
        assert conn.execute("SELECT COUNT(*) FROM batches").fetchone()[0] == 3
    assert members == top[1] == s.summary(top[0]).size
    assert conn.execute  # the connection was a plain sqlite3 one
    s.close()


def test_redirect_cycle_does_not_hang(tmp_path) -> None:
    path = tmp_path / "events.db"
    s = stream(store=path)
    s.partial_fit([article(0, "quake"), article(0, "vote")])
    a, b = s.event_of("quake-0"), s.event_of("vote-0")
    with sqlite3.connect(path) as conn:  # a crafted cycle a -> b -> a
        conn.execute("UPDATE events SET absorbed_into = ? WHERE id = ?", (b, a))
        conn.execute("UPDATE events SET absorbed_into = ? WHERE id = ?", (a, b))
    with pytest.raises(StoreError, match="resolves to no live event"):
        s.event(a)
    assert s.event_of("quake-0") == a  # articles point at their event directly
    s.close()


# -- snapshots ---------------------------------------------------------------------------------


def test_save_load_continues_identically(tmp_path) -> None:
    batches = _batches()
    straight = stream(reservoir_size=7)
    for batch in batches:
        straight.partial_fit(batch)
    resumed = stream(reservoir_size=7)
    for batch in batches[:5]:
        resumed.partial_fit(batch)
    resumed.save(tmp_path / "state.db")
    resumed.save(tmp_path / "state.db")  # replacing its own snapshot works too
    resumed = StreamClusterer.load(tmp_path / "state.db", model=FakeEmbedder())
    for batch in batches[5:]:
        resumed.partial_fit(batch)
    assert resumed.assignments() == straight.assignments()
    assert _events(resumed) == _events(straight)


def test_save_never_deletes_what_it_did_not_write(tmp_path) -> None:
    s = stream()
    s.partial_fit([article(0, "quake")])
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "notes.txt").write_text("keep me")
    with pytest.raises(StateError, match="is a directory"):
        s.save(folder)
    assert (folder / "notes.txt").read_text() == "keep me"
    other = tmp_path / "report.txt"
    other.write_text("keep me too")
    with pytest.raises(StateError, match="not a storycluster snapshot"):
        s.save(other)
    assert other.read_text() == "keep me too"
    with pytest.raises(StateError, match="is a directory"):
        s.save(".")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mine", "report.txt"]


def test_a_failed_save_keeps_the_old_snapshot_and_leaves_nothing(tmp_path, monkeypatch) -> None:
    import os as os_module

    s = stream()
    s.partial_fit([article(0, "quake")])
    s.save(tmp_path / "state.db")
    s.partial_fit([article(1, "vote")])

    def crash(*args, **kwargs):
        raise OSError("killed")

    monkeypatch.setattr(os_module, "replace", crash)
    with pytest.raises(OSError, match="killed"):
        s.save(tmp_path / "state.db")
    monkeypatch.undo()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["state.db"]
    old = StreamClusterer.load(tmp_path / "state.db", model=FakeEmbedder())
    assert old.n_articles == 1


def test_corrupted_missing_and_unknown_version(tmp_path) -> None:
    s = stream()
    s.partial_fit([article(0, "quake"), article(0, "vote")])
    path = tmp_path / "state.db"

    def edit(sql: str) -> None:
        s.save(path)
        with sqlite3.connect(path) as conn:
            conn.execute(sql)
        conn.close()

    edit("UPDATE sc_meta SET value = '9.0' WHERE key = 'threshold_'")  # an edited threshold
    with pytest.raises(StateError, match="sc_meta is corrupted"):
        StreamClusterer.load(path, model=FakeEmbedder())
    edit("UPDATE sc_rows SET data = X'00' WHERE arrival = 0")
    with pytest.raises(StateError, match="corrupted"):
        StreamClusterer.load(path, model=FakeEmbedder())
    edit("DROP TABLE merges")
    with pytest.raises(StateError, match="missing table merges"):
        StreamClusterer.load(path)
    edit("UPDATE sc_snapshot SET value = '99' WHERE key = 'format_version'")
    with pytest.raises(StateError, match="format_version 99"):
        StreamClusterer.load(path)
    path.write_text("{not a database")
    with pytest.raises(StateError, match="not a storycluster"):
        StreamClusterer.load(path)
    with pytest.raises(StateError, match="no stream snapshot"):
        StreamClusterer.load(tmp_path / "nowhere.db")


def test_inconsistent_snapshot_is_refused(tmp_path) -> None:
    from storycluster.stream import _persistence

    s = stream()
    s.partial_fit([article(0, "quake"), article(0, "vote")])
    path = tmp_path / "state.db"
    s.save(path)
    with sqlite3.connect(path) as conn:  # an edit with a matching checksum
        conn.execute("UPDATE events SET size = 5")
        cols = [d[1] for d in conn.execute("PRAGMA table_info(events)")]
        rows = conn.execute("SELECT * FROM events ORDER BY id").fetchall()
        sums = dict(conn.execute("SELECT key, value FROM sc_snapshot"))
        import json

        checksums = json.loads(sums["checksums"])
        checksums["events"] = _persistence._digest(cols, rows)
        conn.execute(
            "UPDATE sc_snapshot SET value = ? WHERE key = 'checksums'", (json.dumps(checksums),)
        )
    conn.close()
    with pytest.raises(StateError, match=r"inconsistent: event .* has size 5"):
        StreamClusterer.load(path, model=FakeEmbedder())


# -- service semantics -------------------------------------------------------------------------


def test_redelivered_ids_follow_the_policy() -> None:
    s = stream()
    s.partial_fit([article(0, "quake"), article(0, "vote")])
    quake = s.event_of("quake-0")
    again = s.partial_fit([article(0, "quake"), article(1, "quake")])  # default: skip
    assert again.skipped == ("quake-0",)
    assert [a.article_id for a in again.assignments] == ["quake-1"]
    assert s.event_of("quake-1") == quake and s.n_articles == 3
    changed = article(0, "quake", metadata={"rev": 2})
    update = s.partial_fit([changed], on_known="update")
    assert update.updated == ("quake-0",) and update.assignments == ()
    assert s.articles_of(quake)[0].metadata == {"rev": 2}
    assert s.event_of("quake-0") == quake
    with pytest.raises(ValueError, match="already seen"):
        s.partial_fit([article(0, "vote"), article(2, "vote")], on_known="error")
    with pytest.raises(ValueError, match="on_known"):
        s.partial_fit([article(3, "vote")], on_known="maybe")


def test_forget_removes_articles_and_updates_events(tmp_path) -> None:
    path = tmp_path / "e.db"
    s = stream(store=path)
    s.partial_fit([article(i, "quake", 0.1 * i) for i in range(4)] + [article(0, "vote")])
    quake = s.event_of("quake-0")
    assert s.forget(["quake-1", "nope"]) == ["quake-1"]
    with pytest.raises(KeyError):
        s.event_of("quake-1")
    assert s.event(quake).size == 3 and "quake-1" not in s.event(quake).article_ids
    assert s.forget(["vote-0"]) == ["vote-0"]
    assert s.n_events == 1
    with sqlite3.connect(path) as conn:
        texts = conn.execute("SELECT text FROM articles").fetchall()
    conn.close()
    assert not any("item 1." in t[0] for t in texts)
    s.partial_fit([article(5, "quake", 0.5)])
    assert s.event_of("quake-5") == quake
    s.close()
    reopened = StreamClusterer.open(path, model=FakeEmbedder())
    assert reopened.event(quake).size == 4
    reopened.close()


def test_near_duplicates_are_marked() -> None:
    s = stream()
    wire = (
        "Rescuers in Nepal pulled survivors from the rubble on Sunday as the death toll rose " * 3
    )
    first = Article(id="a", title="Nepal quake kills hundreds", text=wire, published_at=DAY0)
    copy = Article(
        id="b",
        title="Hundreds dead in Nepal quake",
        text=wire + " Reporting by X.",
        published_at=DAY0 + timedelta(hours=2),
    )
    s.partial_fit([first])
    s.partial_fit([copy, article(0, "vote")])
    event = s.event(s.event_of("a"))
    members = {m.article_id: m for m in event.members}
    assert members["b"].duplicate_of == "a" and members["a"].duplicate_of is None
    assert not members["b"].is_representative
    assert s.event(s.event_of("vote-0")).members[0].duplicate_of is None


def test_commit_cost_grows_with_the_batch_not_the_state(tmp_path) -> None:
    s = stream(store=tmp_path / "e.db", window=2.0)
    writer = s.event_store._writer
    changes = []
    for day in range(40):
        before = writer.total_changes
        s.partial_fit(
            [article(10 * day + k, "quake" if k % 2 else "vote", float(day)) for k in range(4)]
        )
        changes.append(writer.total_changes - before)
    # Rows written per batch of 4 articles: the same at 8 and at 160 articles stored.
    assert max(changes[30:]) <= 1.5 * max(changes[:5])
    s.close()


def test_every_store_gives_the_same_results(store_target) -> None:
    s = stream(store=store_target, window=3.0)
    for batch in _batches()[:6]:
        s.partial_fit(batch)
    s.partial_fit([article(0, "quake"), article(99, "quake", 5.2)])  # one known id, skipped
    s.forget(["match-11"])
    reference = stream(window=3.0)
    for batch in _batches()[:6]:
        reference.partial_fit(batch)
    reference.partial_fit([article(0, "quake"), article(99, "quake", 5.2)])
    reference.forget(["match-11"])
    assert s.assignments() == reference.assignments()
    assert _events(s) == _events(reference)
    assert s.events(order_by="last_seen", limit=3) == reference.events(
        order_by="last_seen", limit=3
    )
    assert s.events(since=DAY0 + timedelta(days=3), open_only=True) == reference.events(
        since=DAY0 + timedelta(days=3), open_only=True
    )
    s.close()


def test_bounded_memory_live_set() -> None:
    s = stream(window=2.0, reservoir_size=5, max_members=3)
    for day in range(30):
        s.partial_fit(
            [article(10 * day + k, "quake" if k % 2 else "vote", float(day)) for k in range(4)]
        )
    assert s.n_articles == 120
    # Only the events of the last days stay in memory, with at most max_members + 1 rows each.
    assert s.n_live_events <= 4
    assert len(s._state.rows) <= 5 + s.n_live_events * 4
    assert all(len(e.rows) <= 4 for e in s._state.events.values())


def test_retention_drops_texts_of_old_closed_events(tmp_path) -> None:
    path = tmp_path / "e.db"
    s = stream(store=path, window=2.0, retention_days=5.0)
    s.partial_fit([article(0, "quake", 0.0)])
    s.partial_fit([article(0, "vote", 20.0)])
    quake = s.event_of("quake-0")
    assert s.articles_of(quake)[0].text is None
    assert s.articles_of(s.event_of("vote-0"))[0].text is not None
    assert s.event(quake).size == 1  # the event and its summary stay
    s.close()


def test_logging_per_batch(caplog) -> None:
    s = stream()
    with caplog.at_level(logging.INFO, logger="storycluster.stream"):
        s.partial_fit([article(0, "quake"), article(1, "quake"), article(0, "vote")])
    assert re.search(r"batch 1: 3 articles, 2 new events, 1 joined, 0 merged, .* ms", caplog.text)


def test_listener_sees_each_committed_batch() -> None:
    s = stream()
    seen: list[StreamUpdate] = []
    s.add_listener(seen.append)
    update = s.partial_fit([article(0, "quake"), article(0, "vote")])
    assert seen == [update]
    assert set(update.changed_events) == {s.event_of("quake-0"), s.event_of("vote-0")}


def test_from_batch_then_live(event_records, event_vectors) -> None:
    model = StoryClusterer(cache=False).fit(event_records[:10], embeddings=event_vectors[:10])
    s = StreamClusterer.from_batch(model, event_records[:10], cache=False)
    assert {e.id for e in s.events()} == {e.id for e in model.events_}
    assert s.assignments() == dict(
        zip(model.result_.article_ids, [model.events_[k].id for k in model.labels_], strict=True)
    )
    update = s.partial_fit(event_records[10:], embeddings=event_vectors[10:])
    assert len(update.assignments) == len(event_records) - 10


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
    short = {"threshold": 3.0, "dense_weight": 0.75, "lexical_weight": 0.25}
    pinned = StreamClusterer(cache=False, **short)
    _fit(pinned, headlines, event_vectors)
    assert pinned.assignments() == s.assignments()
    article_scoring = StreamClusterer(cache=False, **ARTICLE_SCORING)
    _fit(article_scoring, headlines, event_vectors)
    assert article_scoring.threshold_ == 4.75
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
    assert _events(pinned) == _events(s)


def test_each_batch_is_placed_by_the_reservoir_and_itself(event_records, event_vectors) -> None:
    long_records = [{**record, "text": " ".join([record["text"]] * 6)} for record in event_records]
    headlines = [{**record, "id": f"h-{record['id']}", "text": None} for record in event_records]
    s = StreamClusterer(cache=False, clean=False)
    s.partial_fit(long_records, embeddings=event_vectors)
    assert s.threshold_ == 4.75
    s.partial_fit(headlines[:3], embeddings=event_vectors[:3])
    assert s.threshold_ == 4.75
    s.partial_fit(headlines[3:], embeddings=event_vectors[3:])
    assert 3.0 < s.threshold_ < 4.75
    assert 0.25 < s.weights_.dense < 0.75


@pytest.mark.parametrize(
    ("params", "match"),
    [
        ({"short_threshold": float("nan")}, "short_threshold"),
        ({"short_dense_weight": -1.0}, "short_dense_weight"),
        ({"short_lexical_weight": float("inf")}, "short_lexical_weight"),
        ({"short_dense_weight": 0.0, "short_lexical_weight": 0.0, "entity_weight": 0.0}, "short_"),
        ({"on_known": "ignore"}, "on_known"),
        ({"window": 0}, "window"),
        ({"max_members": 0}, "max_members"),
    ],
)
def test_params_are_checked(params, match) -> None:
    s = StreamClusterer(**params)  # scikit-learn's convention: __init__ only stores ...
    with pytest.raises(ValueError, match=match):
        s.partial_fit([article(0, "quake")])  # ... the first partial_fit checks


def test_short_text_params_are_params() -> None:
    s = StreamClusterer(short_threshold=2.5, short_dense_weight=0.5, short_lexical_weight=0.125)
    params = s.get_params()
    assert (params["short_threshold"], params["short_dense_weight"]) == (2.5, 0.5)
    assert params["short_lexical_weight"] == 0.125
    assert StreamClusterer().get_params()["short_threshold"] == StoryClusterer().short_threshold


def test_reopened_stream_keeps_word_counts_and_batch_scoring(
    tmp_path, event_records, event_vectors
) -> None:
    headlines = [{**record, "text": None} for record in event_records]
    straight = StreamClusterer(cache=False, reservoir_size=4)
    _fit(straight, headlines, event_vectors, size=3)
    path = tmp_path / "e.db"
    resumed = StreamClusterer(cache=False, reservoir_size=4, store=path)
    _fit(resumed, headlines[:6], event_vectors[:6], size=3)
    resumed.close()
    loaded = StreamClusterer.open(path, cache=False)
    words = sorted((r.row, r.words) for r in loaded._state.rows.values())
    assert words == [(i, word_count(headlines[i]["title"])) for i in range(6)]
    _fit(loaded, headlines[6:], event_vectors[6:], size=3)
    assert loaded.assignments() == straight.assignments()
    assert _events(loaded) == _events(straight)
    assert (loaded.threshold_, loaded.weights_) == (straight.threshold_, straight.weights_)


# -- quality: replay vs batch ------------------------------------------------------------------


def _replay_order(name: str) -> list[Article]:
    items = read_jsonl(dataset_path(name))
    if name == "googlenews":
        return items[:3000]
    if name == "crisislex_t26":  # the seeded sample of benchmarks/quality.py
        index = np.sort(np.random.default_rng(0).choice(len(items), 6000, replace=False))
        items = [items[i] for i in index]
    dated = sorted(
        (a for a in items if a.published_at is not None), key=lambda a: (a.published_at, a.id)
    )
    return dated + [a for a in items if a.published_at is None]


#: Measured (benchmarks/stream_replay.py, batch / stream): gvc 0.978 / 0.973, allsides2021
#: 0.882 / 0.880, ecbplus 0.932 / 0.924, googlenews (first 3,000) 0.733 / 0.742.
@pytest.mark.slow
@pytest.mark.parametrize("name", ["gvc", "allsides2021", "ecbplus", "googlenews"])
def test_replay_matches_batch(name, embedder) -> None:
    articles = _replay_order(name)
    batch_model = StoryClusterer(model=embedder).fit(articles)
    dense = batch_model.embeddings_
    gold = [a.metadata["event_id"] for a in articles]
    s = StreamClusterer(model=embedder)
    for start in range(0, len(articles), 50):
        s.partial_fit(articles[start : start + 50], embeddings=dense[start : start + 50])
    stream_f1 = evaluate([s.event_of(a.id) for a in articles], gold).bcubed_f1
    batch_f1 = evaluate(batch_model.labels_, gold).bcubed_f1
    assert abs(stream_f1 - batch_f1) <= 0.01, (stream_f1, batch_f1)


#: Measured (benchmarks/stream_replay.py --stories, B3-F1 stream / batch): ecbplus topics
#: 0.863 / 0.946, googlenews (first 3,000, gold = its stories) 0.800 / 0.833, crisislex_t26
#: (6,000 sample) 0.922 / 0.935. Before story merges and one-article events waiting in an
#: undated stream: 0.859, 0.700 and 0.894 (googlenews fails this bound); before whole-story
#: scoring of candidates: 0.863, 0.609 and 0.853.
@pytest.mark.slow
@pytest.mark.parametrize("name", ["ecbplus", "googlenews", "crisislex_t26"])
def test_replayed_stories_stay_near_batch(name, embedder) -> None:
    articles = _replay_order(name)
    batch_model = StoryClusterer(model=embedder).fit(articles)
    dense = batch_model.embeddings_
    key = "topic_id" if name == "ecbplus" else "event_id"
    gold = [str(a.metadata[key]) for a in articles]
    s = StreamClusterer(model=embedder)
    for start in range(0, len(articles), 50):
        s.partial_fit(articles[start : start + 50], embeddings=dense[start : start + 50])
    stream_f1 = evaluate([s.story_of(s.event_of(a.id)) for a in articles], gold).bcubed_f1
    batch_f1 = evaluate(batch_model.story_labels_, gold).bcubed_f1
    assert stream_f1 >= batch_f1 - 0.09, (stream_f1, batch_f1)


# -- stories ------------------------------------------------------------------------------------


def _check_story_partition(s: StreamClusterer, ids: list[str]) -> dict[str, str]:
    """Every article's event lies in one story, and each story lists exactly its events."""
    story_of_event = {}
    for article_id in ids:
        event_id = s.event_of(article_id)
        story_of_event[event_id] = s.story_of(event_id)
    by_story: dict[str, set[str]] = {}
    for event_id, story_id in story_of_event.items():
        by_story.setdefault(story_id, set()).add(event_id)
    for story_id, events in by_story.items():
        assert set(s.story_events(story_id)) == events
        assert story_id.startswith("st_")
    return story_of_event


def test_stream_links_events_into_stable_stories() -> None:
    from storycluster._grouping import ids

    s = stream()
    first = s.partial_fit([article(0, "quake"), article(1, "quake")])
    quake = s.event_of("quake-0")
    story = s.story_of(quake)
    # A story is named after its founding event (the batch's name for it too).
    assert story == ids.story_id("quake-0") == ids.story_id_for_event(quake)
    assert {a.story_id for a in first.assignments if a.event_id == quake} == {story}
    batches = _batches()
    seen = ["quake-0", "quake-1"]
    for batch in batches:
        update = s.partial_fit(batch)
        seen.extend(a.id for a in batch)
        assert all(a.story_id is not None for a in update.assignments)
        assert all(isinstance(m.survivor, str) for m in update.story_merges)
        assert s.story_of(quake) == story or story in {m.absorbed for m in update.story_merges}
    linked = _check_story_partition(s, seen)
    assert len(set(linked.values())) <= len(linked)


def test_event_merge_joins_their_stories(monkeypatch) -> None:
    s = stream()
    s.partial_fit([article(0, "quake"), article(0, "storm")])
    quake, storm = s.event_of("quake-0"), s.event_of("storm-0")
    # An event merge of two events of two stories: the stories become one (the survivor's),
    # reported as a story merge; the other events of the absorbed story move with it.
    from storycluster.stream import _stories

    links = _stories.link_stories(
        s._state,
        [quake],
        [(storm, quake, 9.0)],
        {quake: "st_a", storm: "st_b", "ev_other": "st_b"},
        s._state.weights_,
        1.0,
        dim=64,
        reservoir_size=s.reservoir_size,
    )
    assert links.merges == [("st_b", "st_a", 9.0)]
    assert links.assigned == {quake: "st_a", "ev_other": "st_a"}


def _link_within_reach(s: StreamClusterer, event: str, known: dict[str, str], grew: dict[str, int]):
    """The stories of a batch of ``event`` with every story within reach (a threshold far
    below any score): only the placement and merge rules decide."""
    from storycluster.stream import _stories

    return _stories.link_stories(
        s._state,
        [event],
        [],
        known,
        s._state.weights_,
        -1e9,
        dim=64,
        reservoir_size=s.reservoir_size,
        grew=grew,
    )


def test_one_article_event_waits_while_no_event_can_close() -> None:
    from storycluster._grouping.ids import story_id_for_event

    def link(s: StreamClusterer, known: dict[str, str], grew: dict[str, int]):
        return _link_within_reach(s, quake, known, grew)

    for day in (0.0, None):
        s = stream()
        s.partial_fit([article(0, "quake", day), article(0, "storm", day)])
        quake, storm = s.event_of("quake-0"), s.event_of("storm-0")
        links = link(s, {storm: "st_b"}, {quake: 1})
        if day is not None:  # a dated stream places it at once
            assert links.assigned == {quake: "st_b"}
            continue
        # Undated: events never close, so a one-article event founds its own story and waits
        # for a second article (its first headline alone may reach a story its whole would not).
        assert links.assigned == {quake: story_id_for_event(quake)} and links.merges == []
        s.partial_fit([article(1, "quake", None)])
        assert s.event_of("quake-1") == quake and s._state.events[quake].size == 2
        own = story_id_for_event(quake)
        links = link(s, {quake: own, storm: "st_b"}, {quake: 1})
        assert links.assigned == {quake: "st_b"}
        assert [(a, b) for a, b, _ in links.merges] == [(own, "st_b")]


def test_story_of_a_doubled_event_merges_with_its_mutual_best() -> None:
    s = stream()
    s.partial_fit([article(0, "quake"), article(0, "storm"), article(0, "vote")])
    s.partial_fit([article(1, "quake", 0.1)])
    quake, storm, vote = (s.event_of(f"{t}-0") for t in ("quake", "storm", "vote"))
    assert s._state.events[quake].size == 2
    known = {quake: "st_a", vote: "st_a", storm: "st_b"}

    def link(grew: dict[str, int]):
        return _link_within_reach(s, quake, known, grew)

    # Grown from 1 to 2 articles: its story (with another event) meets the other story, each
    # the other's best, and the two merge (reported; every event moves to the survivor).
    links = link({quake: 1})
    assert len(links.merges) == 1
    absorbed, survivor, _ = links.merges[0]
    assert {absorbed, survivor} == {"st_a", "st_b"}
    assert links.assigned[quake] == survivor
    assert all(links.assigned.get(e, known[e]) == survivor for e in (quake, storm, vote))
    # Not doubled by the batch (2 -> 2, or 2 -> 3 would be none either): no merge.
    assert link({}).merges == [] and link({}).assigned == {quake: "st_a"}


def test_closed_events_the_batch_loaded_are_story_candidates(monkeypatch) -> None:
    from storycluster.stream import _stories
    from storycluster.stream._state import LiveEvent, _load_rows

    s = stream(time_penalty=0.0, window=3.0)
    s.partial_fit([article(0, "quake", 0.0), article(1, "quake", 0.5)])
    s.partial_fit([article(0, "storm", 40.0)])
    quake, storm = s.event_of("quake-0"), s.event_of("storm-0")
    assert not s.is_open(quake)
    # Dated far past the quake's window: no closed candidate, a new event of its own.
    s.partial_fit([article(2, "quake", 40.5)])
    again = s.event_of("quake-2")
    assert again != quake and s.is_open(again)
    (record,) = s._store.events_by_id([quake])
    rows = _load_rows(s._store, set(LiveEvent.from_record(record).rows))

    def link(closed):
        return _stories.link_stories(
            s._state,
            [again],
            [],
            {storm: s.story_of(storm)},
            s._state.weights_,
            -1e9,  # every story within reach: the evidence picks the best one
            dim=64,
            reservoir_size=s.reservoir_size,
            closed=closed,
        )

    assert link(None).assigned == {again: s.story_of(storm)}
    assert link({quake: (s.story_of(quake), rows)}).assigned == {again: s.story_of(quake)}

    # The closed events a batch loads (for an undated article here) reach the placement.
    seen: dict[str, object] = {}
    original = StreamClusterer._link_stories

    def spy(self, events, changed, merges, closed):
        seen.update(closed)
        return original(self, events, changed, merges, closed)

    monkeypatch.setattr(StreamClusterer, "_link_stories", spy)
    s.partial_fit([article(3, "quake", None)])
    assert quake in seen


def test_stories_survive_a_reopen(tmp_path) -> None:
    path = tmp_path / "events.db"
    s = stream(store=str(path))
    batch = _batches()[0]
    s.partial_fit(batch)
    before = {a.id: s.story_of(s.event_of(a.id)) for a in batch}
    s.close()
    again = StreamClusterer.open(str(path), model=FakeEmbedder())
    assert {a.id: again.story_of(again.event_of(a.id)) for a in batch} == before
    with pytest.raises(KeyError):
        again.story_of("ev_unknown")
    again.close()


def test_weighted_rows_with_empty_last_rows() -> None:
    from scipy import sparse

    from storycluster.stream._rows import weighted

    tf = sparse.csr_matrix(np.array([[1, 0, 2], [0, 0, 0], [0, 3, 0], [0, 0, 0]], np.float32))
    out = weighted(tf, np.ones(3, dtype=np.float32)).toarray()
    np.testing.assert_allclose(np.linalg.norm(out, axis=1), [1.0, 0.0, 1.0, 0.0], rtol=1e-6)


# -- word weights while the stream warms up ------------------------------------------------------


def test_short_texts_keep_words_seen_once_while_warming_up() -> None:
    from storycluster.stream._state import lexical_idf

    df = np.array([1, 2, 30, 0])
    headlines = np.full(60, 6)  # six words each: short texts
    articles = np.full(60, 300)
    warm = lexical_idf(df, 60, headlines, reservoir_size=2000)
    assert warm[0] > 0 and warm[1] > 0  # a word seen once so far still weighs
    # Long articles, or a stream past its warm-up: the batch rule, a word in one document
    # weighs nothing.
    assert lexical_idf(df, 60, articles, reservoir_size=2000)[0] == 0
    assert lexical_idf(df, 2000, headlines, reservoir_size=2000)[0] == 0
    assert lexical_idf(df, 60, articles, reservoir_size=2000)[1] == warm[1]
