"""Average-linkage clustering of a similarity matrix into a flat partition.

Pure arrays in, labels out. Average linkage merges two groups only while the *mean* similarity
between their members stays above the threshold, so one lucky pair cannot chain two events
together (single linkage does) and an event need not be a tight ball (complete linkage wants).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy.cluster.hierarchy import fcluster, linkage
from scipy.spatial.distance import squareform

__all__ = ["average_linkage_labels", "canonical_labels"]


def average_linkage_labels(similarity: np.ndarray, threshold: float) -> np.ndarray:
    """Flat clusters of a symmetric ``(n, n)`` similarity matrix: groups whose mean pairwise
    similarity is at least ``threshold``.

    Returns an ``(n,)`` int array of labels ``0..k-1`` in no particular order.
    """
    n = similarity.shape[0]
    if similarity.shape != (n, n):
        raise ValueError(f"similarity must be square, got shape {similarity.shape}")
    if n < 2:
        return np.zeros(n, dtype=np.int64)
    sim = np.asarray(similarity, dtype=np.float64)
    sim = (sim + sim.T) / 2
    # Average linkage commutes with an affine map of the distances, so any offset that makes
    # them non-negative gives the same tree; the threshold moves with it.
    offset = float(sim.max()) + 1.0
    distance = offset - sim
    np.fill_diagonal(distance, 0.0)
    tree = linkage(squareform(distance, checks=False), method="average")
    labels = fcluster(tree, t=offset - threshold, criterion="distance")
    return labels.astype(np.int64) - 1


def canonical_labels(labels: np.ndarray, ids: Sequence[str]) -> np.ndarray:
    """Renumber clusters largest first, ties broken by the smallest member id.

    The result depends only on the partition and the ids, not on the input order.
    """
    labels = np.asarray(labels)
    if labels.size == 0:
        return labels.astype(np.int64)
    _, inverse, sizes = np.unique(labels, return_inverse=True, return_counts=True)
    smallest_id: dict[int, str] = {}
    for position, cluster in enumerate(inverse.tolist()):
        current = smallest_id.get(cluster)
        if current is None or ids[position] < current:
            smallest_id[cluster] = ids[position]
    order = sorted(range(sizes.size), key=lambda c: (-int(sizes[c]), smallest_id[c]))
    rank = np.empty(sizes.size, dtype=np.int64)
    rank[order] = np.arange(sizes.size)
    return rank[inverse]
