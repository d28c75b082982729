"""The pieces of the candidate path (more than ``exact_limit`` articles): neighbour search,
sparse average linkage and cluster objects, checked against their exact counterparts."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import sparse

import storycluster as sc
from storycluster._features.features import build_features
from storycluster._grouping.linkage import average_linkage_labels, sparse_average_linkage
from storycluster._grouping.representatives import build_events, member_centrality
from storycluster._scoring.neighbors import _csr_top_k, _top_k, dense_neighbors, sparse_neighbors
from storycluster.io import as_articles


def _same_partition(a: np.ndarray, b: np.ndarray) -> bool:
    pairs = {(int(x), int(y)) for x, y in zip(a, b, strict=True)}
    return len(pairs) == len(set(a.tolist())) == len(set(b.tolist()))


def _scores(n: int, groups: int, seed: int) -> np.ndarray:
    """A symmetric score matrix with ``groups`` planted groups and noisy, tie-free scores."""
    rng = np.random.default_rng(seed)
    truth = rng.integers(0, groups, n)
    noise = rng.normal(0.0, 1.5, (n, n))
    scores = np.where(truth[:, None] == truth[None, :], 6.0, -1.0) + (noise + noise.T) / 2
    np.fill_diagonal(scores, 0.0)
    return scores.astype(np.float32)


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("candidates", ["all", "strong"])
def test_sparse_linkage_equals_full_average_linkage(seed: int, candidates: str) -> None:
    scores = _scores(90, 7, seed)
    threshold = 3.0
    rows, cols = np.triu_indices(90, 1)
    if candidates == "strong":  # every pair at or above the threshold: still exact
        strong = scores[rows, cols] >= threshold
        rows, cols = rows[strong], cols[strong]
    scored: list[int] = []

    def pair_scores(r: np.ndarray, c: np.ndarray) -> np.ndarray:
        scored.append(r.size)
        return scores[r, c]

    centrality = np.full(90, np.nan)
    labels = sparse_average_linkage(
        90, rows, cols, scores[rows, cols], threshold, pair_scores, chunk=50, centrality=centrality
    )
    assert _same_partition(labels, average_linkage_labels(scores, threshold))
    # Centrality: each item's mean score to the rest of its cluster, from pairs scored once.
    for label in np.unique(labels):
        members = np.flatnonzero(labels == label)
        block = scores[np.ix_(members, members)].astype(np.float64)
        expected = block.sum(axis=1) / max(members.size - 1, 1)
        np.testing.assert_allclose(centrality[members], expected, rtol=1e-9, atol=1e-9)
    assert sum(scored) < 90 * 89 // 2  # never the whole matrix


def test_sparse_linkage_edge_cases() -> None:
    empty = np.array([], dtype=np.int64)
    assert sparse_average_linkage(0, empty, empty, empty, 1.0, lambda r, c: r).size == 0
    labels = sparse_average_linkage(3, empty, empty, empty.astype(float), 1.0, lambda r, c: r)
    assert sorted(labels.tolist()) == [0, 1, 2]
    # A weak candidate never joins anything; duplicate and self pairs are ignored.
    rows, cols = np.array([0, 1, 0, 2]), np.array([1, 0, 0, 3])
    labels = sparse_average_linkage(
        4, rows, cols, np.array([5.0, 5.0, 9.0, 0.5]), 1.0, lambda r, c: np.zeros(r.size)
    )
    assert labels[0] == labels[1] and len({labels[0], labels[2], labels[3]}) == 3


def _clustered_vectors(n: int, dim: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(n // 20, dim))
    vectors = centres[rng.integers(0, centres.shape[0], n)] + 0.3 * rng.normal(size=(n, dim))
    return (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype(np.float32)


def test_dense_cell_search_finds_most_neighbours_deterministically() -> None:
    vectors = _clustered_vectors(3000, 32, 0)
    exact, exact_values = dense_neighbors(vectors, 10)
    approx, values = dense_neighbors(vectors, 10, exact_limit=0)
    again, _ = dense_neighbors(vectors, 10, exact_limit=0)
    assert np.array_equal(approx, again)
    assert (approx != np.arange(3000)[:, None]).all() and (approx >= 0).all()
    assert (np.diff(values, axis=1) <= 0).all()
    recall = np.mean([len(set(a) & set(b)) / 10 for a, b in zip(exact, approx, strict=True)])
    assert recall > 0.9
    # Exact search: the true top 10 by inner product, best first, self excluded.
    sims = vectors @ vectors.T
    np.fill_diagonal(sims, -np.inf)
    np.testing.assert_allclose(exact_values, -np.sort(-sims, axis=1)[:, :10], rtol=1e-5)


def test_top_k_ties_go_to_the_lower_column_and_missing_slots_are_empty() -> None:
    block = np.array([[1.0, 3.0, 3.0, -np.inf], [-np.inf, -np.inf, 2.0, -np.inf]], np.float32)
    indices, values = _top_k(block, 3, np.array([10, 11, 12, 13]))
    assert indices.tolist() == [[11, 12, 10], [12, -1, -1]]
    assert values[1, 1] == -np.inf


def test_sparse_top_k_reference() -> None:
    rng = np.random.default_rng(3)
    for trial in range(5):
        block = sparse.random(30, 200, density=0.3, format="csr", random_state=trial)
        block.data = (np.round(block.data * 5) / 5 - 0.4).astype(np.float32)
        block = block.astype(np.float32)
        offset = int(rng.integers(0, 30))
        indices, values = _csr_top_k(block, 6, offset)
        for row in range(30):
            lo, hi = block.indptr[row], block.indptr[row + 1]
            entries = sorted(
                (-float(v), int(c))
                for v, c in zip(block.data[lo:hi], block.indices[lo:hi], strict=True)
                if c != row + offset
            )[:6]
            expected = [c for _, c in entries] + [-1] * (6 - len(entries))
            assert indices[row].tolist() == expected
            assert values[row][: len(entries)].tolist() == [-v for v, _ in entries]


def test_sparse_neighbors_rank_by_shared_terms() -> None:
    matrix = sparse.csr_matrix(
        np.array([[1, 1, 0, 0], [1, 1, 0, 0], [1, 0, 0, 1], [0, 0, 1, 0]], dtype=np.float32)
    )
    indices, _ = sparse_neighbors(matrix, 2)
    assert indices[0].tolist() == [1, 2]
    assert indices[3].tolist() == [-1, -1]


def test_member_centrality_and_build_events_agree_across_inputs(
    event_records, event_vectors
) -> None:
    model = sc.StoryClusterer().fit(event_records, embeddings=event_vectors)
    scores = np.random.default_rng(0).normal(size=(len(event_records),) * 2)
    scores = ((scores + scores.T) / 2).astype(np.float32)
    labels = model.labels_
    centrality = member_centrality(labels, lambda r, c: scores[r, c])
    for label in np.unique(labels):
        members = np.flatnonzero(labels == label)
        if members.size > 1:
            block = scores[np.ix_(members, members)].astype(np.float64)
            np.fill_diagonal(block, 0.0)
            np.testing.assert_allclose(centrality[members], block.sum(1) / (members.size - 1))
    items = as_articles(event_records)
    features = build_features(items, model.embeddings_, max_chars=20_000)
    by_block = build_events(items, labels, features, lambda m: scores[np.ix_(m, m)])
    by_pairs = build_events(items, labels, features, pair_scores=lambda r, c: scores[r, c])
    by_value = build_events(items, labels, features, centrality=centrality)
    assert by_pairs == by_value
    assert [c.id for c in by_block] == [c.id for c in by_pairs]
    with pytest.raises(ValueError, match="exactly one"):
        build_events(items, labels, features)


def test_candidate_path_gives_the_exact_partition(event_records, event_vectors) -> None:
    exact = sc.StoryClusterer().fit(event_records, embeddings=event_vectors)
    sparse_path = sc.StoryClusterer(exact_limit=2).fit(event_records, embeddings=event_vectors)
    assert exact.labels_.tolist() == sparse_path.labels_.tolist()
    assert [c.id for c in exact.events_] == [c.id for c in sparse_path.events_]
    assert [c.keywords for c in exact.events_] == [c.keywords for c in sparse_path.events_]


def test_prepare_articles_matches_prepare_article() -> None:
    from storycluster._text.preparation import prepare_article, prepare_articles

    debris = "Share this:\nFacebook\nTwitter\n\nThe council approved the budget on Monday."
    items = as_articles(
        [
            {"id": "a", "title": "Budget passes", "text": debris},
            {"id": "b", "title": "Budget passes again", "text": debris},  # same text: cleaned once
            {"id": "c", "title": None, "text": "Share this:"},  # debris only: kept raw
            {"id": "d", "title": "Title only"},
            {"id": "e", "title": "Clean", "text": "Nothing to remove here."},
        ]
    )
    for clean in (True, False):
        batch = prepare_articles(items, clean=clean, max_chars=30)
        assert batch == [prepare_article(a, clean=clean, max_chars=30) for a in items]
    assert prepare_articles(items, clean=True, max_chars=20_000)[4] is items[4]


def test_candidate_path_does_not_depend_on_threads(event_records, event_vectors) -> None:
    one = sc.StoryClusterer(exact_limit=2, n_jobs=1).fit(event_records, embeddings=event_vectors)
    every = sc.StoryClusterer(exact_limit=2, n_jobs=-1).fit(event_records, embeddings=event_vectors)
    assert one.labels_.tolist() == every.labels_.tolist()
    assert one.story_labels_.tolist() == every.story_labels_.tolist()
