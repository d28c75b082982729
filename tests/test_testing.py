"""storycluster.testing: the fakes and factories that tests (ours and users') build on."""

from __future__ import annotations

import numpy as np
import pytest

import storycluster as sc
from storycluster.testing import HashingEmbedder, article, event_articles, event_embeddings


def test_event_helpers_are_deterministic(event_records, event_gold):
    # The fixtures and fresh calls agree.
    assert event_articles() == (event_records, event_gold)
    np.testing.assert_array_equal(event_embeddings(event_gold), event_embeddings(event_gold))


def test_event_articles_are_valid_and_separable():
    records, gold = event_articles()
    assert len(records) == len(gold) == 14
    assert len({r["id"] for r in records}) == 14
    articles = sc.articles_from_records(records)
    assert all(a.metadata["event_id"] == g for a, g in zip(articles, gold, strict=True))
    vectors = event_embeddings(gold)
    assert vectors.shape == (14, 32) and vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, rtol=1e-5)
    labels = sc.StoryClusterer(detect_language=False).fit_predict(records, embeddings=vectors)
    assert sc.evaluate(labels, gold).bcubed_f1 == pytest.approx(1.0)


def test_hashing_embedder_is_a_deterministic_embedder():
    fake = HashingEmbedder(dim=16)
    assert isinstance(fake, sc.Embedder)
    first = fake.encode(["Quake hits Nepal", ""])
    assert first.shape == (2, 16) and first.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(first, axis=1), 1.0, rtol=1e-6)
    np.testing.assert_array_equal(first, HashingEmbedder(dim=16).encode(["Quake hits Nepal", ""]))
    assert (fake.calls, fake.texts) == (1, ["Quake hits Nepal", ""])
    with pytest.raises(TypeError, match="not a single str"):
        fake.encode("one text")
    with pytest.raises(ValueError, match="dim"):
        HashingEmbedder(dim=1)


def test_article_factory_fills_what_a_test_does_not_care_about():
    a = article("a1")
    assert (a.id, a.title, a.published_at.isoformat()) == (
        "a1",
        "Article a1",
        "2020-01-01T12:00:00+00:00",
    )
    assert article("b", text="Body only").title is None
    assert article("c", published_at=None, source="AP").published_at is None
    assert article("d", published_at="2021-10-18").published_at.day == 18
