"""Average-linkage clustering of a similarity matrix into a flat partition.

Pure arrays in, labels out. Average linkage merges two groups only while the *mean* similarity
between their members stays above the threshold, so one lucky pair cannot chain two events
together (single linkage does) and an event need not be a tight ball (complete linkage wants).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
from scipy.cluster.hierarchy import fcluster, linkage
from scipy.spatial.distance import squareform

__all__ = [
    "average_linkage_labels",
    "canonical_labels",
    "component_average_linkage",
    "connected_components",
]


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


def connected_components(n: int, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """Component label of each of ``n`` nodes joined by the edges ``rows[i] - cols[i]``."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components as _components

    graph = coo_matrix((np.ones(rows.size, dtype=np.int8), (rows, cols)), shape=(n, n))
    _, labels = _components(graph, directed=False)
    return labels.astype(np.int64)


def component_average_linkage(
    n: int,
    rows: np.ndarray,
    cols: np.ndarray,
    edge_scores: np.ndarray,
    threshold: float,
    block_scores: Callable[[np.ndarray], np.ndarray],
    *,
    max_component: int = 8_000,
    step: float = 0.5,
) -> np.ndarray:
    """Average linkage over a sparse candidate graph, exact within connected components.

    A group whose mean pair score is at least ``threshold`` holds at least one pair scoring at
    least ``threshold``, so every cluster lies inside one connected component of the graph of
    such pairs. Each component is clustered exactly with :func:`average_linkage_labels` on its
    full score block, ``block_scores(members)``. This equals average linkage on the whole matrix
    whenever the candidate edges contain every pair at or above ``threshold``.

    A component larger than ``max_component`` (a chain of look-alike events) is first split by
    raising the edge cut-off in steps of ``step`` until its parts fit; this bounds memory at
    ``max_component**2`` scores and is the one approximation of this function.
    """
    labels = np.full(n, -1, dtype=np.int64)
    next_label = 0
    strong = edge_scores >= threshold
    pending = [(np.arange(n), rows[strong], cols[strong], edge_scores[strong], threshold)]
    while pending:
        nodes, r, c, s, cut = pending.pop()
        # ``nodes`` is sorted, so positions come from a binary search.
        component = connected_components(
            nodes.size, np.searchsorted(nodes, r), np.searchsorted(nodes, c)
        )
        order = np.argsort(component, kind="stable")
        bounds = np.flatnonzero(np.diff(component[order])) + 1
        for group in np.split(order, bounds):
            members = nodes[group]
            if members.size == 1:
                labels[members] = next_label
                next_label += 1
            elif members.size <= max_component:
                sub = average_linkage_labels(block_scores(members), threshold)
                labels[members] = sub + next_label
                next_label += int(sub.max()) + 1
            else:
                inside = np.isin(r, members) & np.isin(c, members)
                keep = inside & (s >= cut + step)
                pending.append((members, r[keep], c[keep], s[keep], cut + step))
    return labels
