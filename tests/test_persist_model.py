"""A fitted StoryClusterer: save and load (no pickle), predict, transform and find_events."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from sklearn.exceptions import NotFittedError

import storycluster as sc
from storycluster._features.features import fit_features, transform_features
from storycluster._grouping.ids import event_id
from storycluster._text.preparation import prepare_articles
from storycluster.testing import HashingEmbedder

NEW = [
    {
        "id": "new-quake",
        "title": "Nepal earthquake: Kathmandu counts the dead after magnitude 7.8 quake",
        "text": "Rescuers in Kathmandu searched the rubble after the magnitude 7.8 earthquake in "
        "Nepal, which also set off avalanches on Everest.",
        "published_at": "2015-04-26",
    },
    {
        "id": "new-cheese",
        "title": "A cheesemaker's guide to ageing cheddar in a cellar",
        "text": "Cheddar wants a cool, damp cellar and patience: turn the wheels weekly and "
        "wait a year for the sharp flavour to develop.",
        "published_at": "2021-06-01",
    },
]


@pytest.fixture
def fitted(event_records) -> sc.StoryClusterer:
    return sc.StoryClusterer(model=HashingEmbedder()).fit(event_records)


def _same_model(a: sc.StoryClusterer, b: sc.StoryClusterer, articles: list) -> None:
    assert np.array_equal(a.labels_, b.labels_)
    assert a.labels_.dtype == b.labels_.dtype
    assert a.events_ == b.events_
    assert a.result_ == b.result_
    assert a.threshold_ == b.threshold_
    assert a.weights_ == b.weights_
    assert a.stories_ == b.stories_
    assert np.array_equal(a.story_labels_, b.story_labels_)
    assert np.array_equal(a.story_of_event_, b.story_of_event_)
    assert (a.story_threshold_, a.story_weights_) == (b.story_threshold_, b.story_weights_)
    assert np.array_equal(a.embeddings_, b.embeddings_)
    assert np.array_equal(a.predict(articles), b.predict(articles))
    assert np.array_equal(a.transform(articles), b.transform(articles))


def test_save_load_round_trip(fitted, event_records, tmp_path):
    fitted.save(tmp_path / "model")
    loaded = sc.StoryClusterer.load(tmp_path / "model", model=HashingEmbedder())
    assert loaded.get_params() == {**fitted.get_params(), "model": loaded.model}
    _same_model(fitted, loaded, [*event_records, *NEW])
    assert [m.event for m in loaded.find_events("Nepal earthquake")] == [
        m.event for m in fitted.find_events("Nepal earthquake")
    ]
    # Nothing but the model directory is left behind (no temporary or old copies).
    assert [p.name for p in tmp_path.iterdir()] == ["model"]


def test_round_trip_with_reference_and_sparse_linkage(event_records, event_vectors, tmp_path):
    model = sc.StoryClusterer(model=HashingEmbedder(), exact_limit=5, n_neighbors=4).fit(
        event_records[:10],
        embeddings=event_vectors[:10],
        reference=event_records,
        reference_embeddings=event_vectors,
    )
    model.save(tmp_path / "m")
    loaded = sc.StoryClusterer.load(tmp_path / "m")
    vectors = event_vectors[10:]
    assert np.array_equal(
        model.predict(event_records[10:], embeddings=vectors),
        loaded.predict(event_records[10:], embeddings=vectors),
    )
    assert loaded.events_ == model.events_


def test_manifest_is_versioned_and_checksummed(fitted, tmp_path):
    fitted.save(tmp_path / "model")
    manifest = json.loads((tmp_path / "model" / "manifest.json").read_text())
    assert manifest["format"] == "storycluster.model"
    assert manifest["format_version"] == 2
    assert manifest["model"] == {"name": None, "type": "HashingEmbedder"}
    files = {p.name for p in (tmp_path / "model").iterdir()} - {"manifest.json"}
    assert set(manifest["files"]) == files
    assert all(len(entry["sha256"]) == 64 for entry in manifest["files"].values())
    # No pickle anywhere: every array loads with allow_pickle=False.
    for name in files:
        if name.endswith(".npy"):
            np.load(tmp_path / "model" / name, allow_pickle=False)


def test_predict_places_articles_in_fitted_events_or_new_ones(fitted, event_records):
    predicted = fitted.predict(NEW)
    quake = fitted.result_.event_of(event_records[0]["id"])
    assert predicted[0] == quake.id
    assert predicted[1] == event_id("new-cheese")
    assert predicted[1] not in {event.id for event in fitted.events_}
    scores = fitted.transform(NEW)
    assert scores.shape == (2, len(fitted.events_))
    assert scores.dtype == np.float32
    assert scores[0].argmax() == fitted.events_.index(quake)
    assert scores[0].max() >= fitted.threshold_ > scores[1].max()


def test_predict_on_the_fitted_articles_finds_their_events(fitted, event_records):
    assert fitted.predict(event_records).tolist() == [e.id for e in _events_of(fitted)]


def _events_of(model: sc.StoryClusterer) -> list[sc.Event]:
    return [model.events_[label] for label in model.labels_]


def test_predict_with_embeddings_and_dimension_check(event_records, event_vectors):
    model = sc.StoryClusterer(model=HashingEmbedder()).fit(event_records, embeddings=event_vectors)
    assert len(model.predict(event_records[:3], embeddings=event_vectors[:3])) == 3
    with pytest.raises(ValueError, match="dimension 8, the fitted model 32"):
        model.predict(event_records[:1], embeddings=np.ones((1, 8)))


def test_transform_features_match_the_fitted_ones(event_records):
    articles = prepare_articles(sc.articles_from_records(event_records), clean=True, max_chars=500)
    dense = np.eye(len(articles), dtype=np.float32)
    features, terms = fit_features(articles, dense, max_chars=500)
    again = transform_features(articles, dense, terms, max_chars=500)
    for name in ("lexical", "entities"):
        a, b = getattr(features, name), getattr(again, name)
        assert a.shape == b.shape
        assert abs(a - b).max() < 1e-6
    assert np.array_equal(features.words, again.words)


def test_find_events_ranks_by_query(fitted):
    matches = fitted.find_events("earthquake in Nepal", top_n=3)
    assert len(matches) == 3
    assert "Nepal" in matches[0].event.label or "quake" in matches[0].event.label.lower()
    scores = [match.score for match in matches]
    assert scores == sorted(scores, reverse=True)
    event, score = matches[0]  # unpacks like a tuple
    assert isinstance(score, float)
    assert event.id in str(matches[0])
    assert fitted.find_events("Yankees Teixeira contract")[0].event.size == 3
    assert len(fitted.find_events("anything", top_n=100)) == len(fitted.events_)
    with pytest.raises(ValueError, match="top_n"):
        fitted.find_events("quake", top_n=0)
    with pytest.raises(ValueError, match="query"):
        fitted.find_events("   ")


def test_not_fitted():
    model = sc.StoryClusterer(model=HashingEmbedder())
    for call in (
        lambda: model.predict(NEW),
        lambda: model.transform(NEW),
        lambda: model.find_events("quake"),
        lambda: model.save("never-written"),
    ):
        with pytest.raises(NotFittedError, match="not fitted"):
            call()
    assert not Path("never-written").exists()


def test_unsaved_embedder_must_be_given(fitted, tmp_path, event_records):
    fitted.save(tmp_path / "model")
    loaded = sc.StoryClusterer.load(tmp_path / "model")
    assert "embedder not saved: HashingEmbedder" in repr(loaded)
    with pytest.raises(ValueError, match=r"StoryClusterer.load\(path, model=...\)"):
        loaded.predict(NEW)
    vectors = HashingEmbedder().encode(loaded.embedding_texts(NEW))
    assert np.array_equal(loaded.predict(NEW, embeddings=vectors), fitted.predict(NEW))


def test_model_name_is_recorded(event_records, event_vectors, tmp_path):
    model = sc.StoryClusterer(model="some/model-name", cache=tmp_path / "cache").fit(
        event_records, embeddings=event_vectors
    )
    model.save(tmp_path / "model")
    loaded = sc.StoryClusterer.load(tmp_path / "model")
    assert loaded.model == "some/model-name"
    assert loaded.cache == str(tmp_path / "cache")


@pytest.mark.parametrize(
    ("version", "advice"), [(0, "fit the model again"), (3, "upgrade storycluster")]
)
def test_other_format_version_is_refused(fitted, tmp_path, version, advice):
    fitted.save(tmp_path / "model")
    path = tmp_path / "model" / "manifest.json"
    manifest = json.loads(path.read_text())
    manifest["format_version"] = version
    path.write_text(json.dumps(manifest))
    with pytest.raises(sc.ModelFormatError, match=f"format version {version}.*{advice}"):
        sc.StoryClusterer.load(tmp_path / "model")


def test_corrupted_or_missing_file_is_refused(fitted, tmp_path):
    fitted.save(tmp_path / "model")
    events = tmp_path / "model" / "events.json"
    events.write_bytes(events.read_bytes().replace(b"Nepal", b"Nepol"))
    with pytest.raises(sc.ModelFormatError, match=r"events\.json is corrupted"):
        sc.StoryClusterer.load(tmp_path / "model")
    (tmp_path / "model" / "dense.npy").unlink()
    fitted.save(tmp_path / "other")
    (tmp_path / "other" / "dense.npy").unlink()
    with pytest.raises(sc.ModelFormatError, match=r"missing dense\.npy"):
        sc.StoryClusterer.load(tmp_path / "other")
    (tmp_path / "other" / "manifest.json").write_text("{not json")
    with pytest.raises(sc.ModelFormatError, match=r"manifest\.json is corrupted"):
        sc.StoryClusterer.load(tmp_path / "other")


def test_not_a_model_is_refused(tmp_path):
    with pytest.raises(sc.ModelFormatError, match="not a directory"):
        sc.StoryClusterer.load(tmp_path / "absent")
    (tmp_path / "folder").mkdir()
    with pytest.raises(sc.ModelFormatError, match="not a saved storycluster model"):
        sc.StoryClusterer.load(tmp_path / "folder")
    assert issubclass(sc.ModelFormatError, ValueError)


def test_save_replaces_only_a_saved_model(fitted, event_records, tmp_path):
    # An empty directory and an earlier model are replaced.
    (tmp_path / "empty").mkdir()
    fitted.save(tmp_path / "empty")
    fitted.save(tmp_path / "empty")
    other = sc.StoryClusterer(model=HashingEmbedder()).fit(event_records[:5])
    other.save(tmp_path / "empty")
    assert len(sc.StoryClusterer.load(tmp_path / "empty").labels_) == 5
    # Anything else is refused and left exactly as it was.
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("keep me")
    (tmp_path / "file").write_text("keep me too")
    extra = tmp_path / "empty" / "extra.txt"
    extra.write_text("added by hand")
    for target in ("mine", "file", "empty"):
        with pytest.raises(FileExistsError):
            fitted.save(tmp_path / target)
    assert (tmp_path / "mine" / "notes.txt").read_text() == "keep me"
    assert (tmp_path / "file").read_text() == "keep me too"
    assert extra.read_text() == "added by hand"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["empty", "file", "mine"]


def test_save_failure_leaves_the_old_model(fitted, event_records, tmp_path, monkeypatch):
    fitted.save(tmp_path / "model")
    before = {p.name: p.read_bytes() for p in (tmp_path / "model").iterdir()}
    other = sc.StoryClusterer(model=HashingEmbedder()).fit(event_records[:5])

    def fail(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr("storycluster._persist.model.os.fsync", fail)
    with pytest.raises(OSError, match="disk full"):
        other.save(tmp_path / "model")
    assert {p.name: p.read_bytes() for p in (tmp_path / "model").iterdir()} == before
    assert [p.name for p in tmp_path.iterdir()] == ["model"]


def test_short_str_of_events_and_results(fitted):
    event = fitted.events_[0]
    text = str(event)
    assert "\n" not in text and event.id in text and f"{event.size} articles" in text
    assert event.representative.text not in text
    summary = str(fitted.result_)
    assert summary.splitlines()[0] == repr(fitted.result_)
    assert len(summary.splitlines()) == 1 + len(fitted.events_)
    assert all(e.representative.text not in summary for e in fitted.events_)


def test_fit_and_predict_plain_strings():
    texts = [record["title"] + ". " + record["text"] for record in _records()]
    model = sc.StoryClusterer(model=HashingEmbedder()).fit(texts)
    assert model.result_.article_ids == [str(i) for i in range(len(texts))]
    assert len(model.events_) == 5
    assert model.predict([texts[0]])[0] == model.events_[model.labels_[0]].id


def _records() -> list[dict]:
    from storycluster.testing import event_articles

    return event_articles()[0]
