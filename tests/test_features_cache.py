"""Tests for storycluster._features.cache.CachedEmbedder, with a counting fake embedder."""

from __future__ import annotations

import numpy as np
import pytest

from storycluster._features.cache import CachedEmbedder, default_cache_dir
from storycluster.testing import HashingEmbedder


def test_misses_then_hits(tmp_path, fake_embedder):
    cached = CachedEmbedder(fake_embedder, cache_dir=tmp_path)
    first = cached.encode(["alpha beta", "gamma"])
    assert (cached.misses, cached.hits) == (2, 0)
    assert fake_embedder.calls == 1
    second = cached.encode(["gamma", "alpha beta"])
    assert (cached.misses, cached.hits) == (2, 2)
    assert fake_embedder.calls == 1  # nothing new: the model is not called at all
    np.testing.assert_array_equal(second, first[[1, 0]])


def test_only_new_texts_are_embedded(tmp_path, fake_embedder):
    cached = CachedEmbedder(fake_embedder, cache_dir=tmp_path)
    cached.encode(["one", "two"])
    cached.encode(["two", "three", "one", "four"])
    assert fake_embedder.texts == ["one", "two", "three", "four"]
    assert (cached.misses, cached.hits) == (4, 2)


def test_duplicates_in_one_call_embedded_once(tmp_path, fake_embedder):
    cached = CachedEmbedder(fake_embedder, cache_dir=tmp_path)
    out = cached.encode(["x y", "z", "x y", "x y"])
    assert fake_embedder.texts == ["x y", "z"]
    assert out.shape == (4, fake_embedder.dim)
    np.testing.assert_array_equal(out[0], out[2])
    np.testing.assert_array_equal(out[0], out[3])


def test_vectors_equal_the_model_and_keep_order(tmp_path, fake_embedder):
    texts = [f"text number {i}" for i in range(30)] + ["", "text number 3"]
    direct = HashingEmbedder().encode(texts)
    cached = CachedEmbedder(fake_embedder, cache_dir=tmp_path)
    for _ in range(2):  # computed, then read back
        out = cached.encode(texts)
        assert out.dtype == np.float32
        np.testing.assert_array_equal(out, direct)


def test_persisted_across_instances(tmp_path):
    first = HashingEmbedder()
    vectors = CachedEmbedder(first, cache_dir=tmp_path).encode(["persist me", "and me"])
    assert (tmp_path / "embeddings.sqlite3").is_file()
    second = HashingEmbedder()
    again = CachedEmbedder(second, cache_dir=tmp_path)
    np.testing.assert_array_equal(again.encode(["and me", "persist me"]), vectors[[1, 0]])
    assert second.calls == 0
    assert again.hits == 2


def test_namespaces_are_separate(tmp_path):
    a, b = HashingEmbedder(), HashingEmbedder(dim=16)
    out_a = CachedEmbedder(a, cache_dir=tmp_path, namespace="model-a").encode(["same text"])
    out_b = CachedEmbedder(b, cache_dir=tmp_path, namespace="model-b").encode(["same text"])
    assert a.calls == b.calls == 1
    assert out_a.shape == (1, 256)
    assert out_b.shape == (1, 16)


def test_namespace_defaults_to_model_name(tmp_path, fake_embedder):
    cached = CachedEmbedder(fake_embedder, cache_dir=tmp_path)
    assert cached.namespace == cached.model_name == "test-hashing-bow"


def test_empty_input(tmp_path, fake_embedder):
    cached = CachedEmbedder(fake_embedder, cache_dir=tmp_path)
    assert cached.encode([]).shape[0] == 0
    assert (cached.misses, cached.hits) == (0, 0)


def test_many_texts_cross_query_chunks(tmp_path, fake_embedder):
    texts = [f"t{i}" for i in range(1234)]
    cached = CachedEmbedder(fake_embedder, cache_dir=tmp_path)
    first = cached.encode(texts)
    second = cached.encode(texts[::-1])
    np.testing.assert_array_equal(second, first[::-1])
    assert cached.hits == 1234


def test_default_cache_dir(monkeypatch, tmp_path):
    monkeypatch.setenv("STORYCLUSTER_CACHE", str(tmp_path / "explicit"))
    assert default_cache_dir() == tmp_path / "explicit"
    monkeypatch.delenv("STORYCLUSTER_CACHE")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert default_cache_dir() == tmp_path / "xdg" / "storycluster"


def test_model_names_are_cached_unless_cache_is_false(tmp_path):
    # The seam is the model parameter: a name gets the real model behind the cache (nothing
    # is loaded until it encodes), an object is used as it is. No module global is patched.
    from storycluster import StoryClusterer
    from storycluster._features.embedding import SentenceTransformerEmbedder

    named = StoryClusterer(cache=tmp_path)._embedder()
    assert isinstance(named, CachedEmbedder)
    assert isinstance(named.embedder, SentenceTransformerEmbedder)
    assert named.cache_dir == tmp_path
    assert isinstance(StoryClusterer(cache=False)._embedder(), SentenceTransformerEmbedder)
    fake = HashingEmbedder()
    assert StoryClusterer(model=fake, cache=tmp_path)._embedder() is fake


def test_clusterer_with_a_cached_embedder_embeds_once(tmp_path):
    from storycluster import StoryClusterer

    fake = HashingEmbedder()
    records = [{"id": "a", "title": "Flood in Venice"}, {"id": "b", "title": "Venice floods"}]
    StoryClusterer(model=CachedEmbedder(fake, cache_dir=tmp_path)).fit(records)
    StoryClusterer(model=CachedEmbedder(fake, cache_dir=tmp_path)).fit(records)
    assert fake.calls == 1


@pytest.mark.parametrize("texts", [["a"], ["a", "b", "a"]])
def test_hits_plus_misses_count_every_text(tmp_path, fake_embedder, texts):
    cached = CachedEmbedder(fake_embedder, cache_dir=tmp_path)
    cached.encode(texts)
    cached.encode(texts)
    assert cached.hits + cached.misses == 2 * len(texts)
