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
    "average_linkage_tree",
    "canonical_labels",
    "distinct",
    "sparse_average_linkage",
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
    tree, offset = average_linkage_tree(similarity)
    labels = fcluster(tree, t=offset - threshold, criterion="distance")
    return labels.astype(np.int64) - 1


def average_linkage_tree(similarity: np.ndarray) -> tuple[np.ndarray, float]:
    """The average-linkage tree of a square similarity matrix (made symmetric), in SciPy's
    linkage format over the distances ``offset - similarity``, and that ``offset``: a merge
    at height ``h`` joins groups whose mean similarity is ``offset - h``."""
    sim = np.asarray(similarity, dtype=np.float64)
    sim = (sim + sim.T) / 2
    # Average linkage commutes with an affine map of the distances, so any offset that makes
    # them non-negative gives the same tree; the threshold moves with it.
    offset = float(sim.max()) + 1.0
    distance = offset - sim
    del sim
    np.fill_diagonal(distance, 0.0)
    return linkage(squareform(distance, checks=False), method="average"), offset


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


def sparse_average_linkage(
    n: int,
    rows: np.ndarray,
    cols: np.ndarray,
    scores: np.ndarray,
    threshold: float,
    pair_scores: Callable[[np.ndarray, np.ndarray], np.ndarray],
    *,
    chunk: int = 1_000_000,
    centrality: np.ndarray | None = None,
) -> np.ndarray:
    """Average linkage of ``n`` items from a sparse candidate graph, exact where it matters.

    ``rows``, ``cols`` and ``scores`` are candidate pairs and their similarities;
    ``pair_scores(r, c)`` gives the similarity of any aligned pairs ``(r[i], c[i])``. The result
    is the partition of average linkage on the full ``n x n`` matrix cut at ``threshold``
    whenever every pair scoring at least ``threshold`` is a candidate, without that matrix:

    * Two groups whose mean similarity reaches ``threshold`` hold such a pair, so only groups
      joined by candidate pairs at or above ``threshold`` are ever compared, and a pair that is
      not a candidate scores below ``threshold``: that bounds a partly known group mean from
      above. The unknown pairs of two groups are scored (``pair_scores``, in batches of about
      ``chunk`` pairs) only when the bound reaches ``threshold``; a pair is scored once, bar
      the known pairs of a rectangle left aside for a round and then scored in full.
    * Average linkage is reducible, so all pairs of groups that are each other's best partner
      can merge at once (the reciprocal-nearest-neighbour scheme) with the partition of the
      one-merge-at-a-time algorithm; a group left with no partner that can reach
      ``threshold`` never merges again and leaves the graph.

    Ties between equal means go to the pair with the lower ids. Returns an ``(n,)`` int array of
    labels in no particular order. Every pair inside a cluster has been scored on the way, so
    an ``(n,)`` float array passed as ``centrality`` is filled with each item's mean similarity
    to the other members of its cluster (0 for a singleton) at no extra scoring.
    """
    th = float(threshold)
    rows = np.asarray(rows)
    cols = np.asarray(cols)
    scores = np.asarray(scores, dtype=np.float64)
    # Weaker candidates are left out: they would tighten a few bounds but cost far more to
    # carry than the pairs they spare. (Dropped first: most candidates are weaker.)
    valid = (rows != cols) & (scores >= th)
    rows = rows[valid].astype(np.int64)
    cols = cols[valid].astype(np.int64)
    scores = scores[valid]
    low = np.minimum(rows, cols)
    high = np.maximum(rows, cols)
    _, first = np.unique(low * np.int64(n) + high, return_index=True)
    # Groups: ids 0..n-1 are the items and each merge makes the next id; the members of group
    # g are flat[start[g] : start[g] + size[g]].
    cap = 2 * max(n, 1)
    size = np.zeros(cap, dtype=np.int64)
    size[:n] = 1
    start = np.zeros(cap, dtype=np.int64)
    start[:n] = np.arange(n)
    flat = np.arange(n, dtype=np.int64)
    label = np.arange(n, dtype=np.int64)
    next_id = n
    # A record is a pair of groups rx < ry joined by candidate pairs. It is cut into pieces,
    # rectangles px x py (px inside rx, py inside ry) holding ``count`` known similarities that
    # sum to ``total``; a piece is ``exact`` when all of its pairs are known.
    rx, ry = low[first], high[first]
    px, py = rx.copy(), ry.copy()
    total = scores[first]
    # The pairs scored, kept only for ``centrality``.
    scored: list[tuple[np.ndarray, np.ndarray, np.ndarray]] | None = None
    if centrality is not None:
        scored = [(rx.copy(), ry.copy(), total.copy())]
    count = np.ones(rx.size, dtype=np.int64)
    exact = np.ones(rx.size, dtype=bool)
    while rx.size:
        keys, piece_record = np.unique(rx * np.int64(cap) + ry, return_inverse=True)
        gx, gy = keys // cap, keys % cap
        pairs = size[gx] * size[gy]
        known = np.bincount(piece_record, weights=total, minlength=keys.size)
        counted = np.bincount(piece_record, weights=count, minlength=keys.size)
        # The mean's upper bound (the mean itself when every pair is known) reaches th.
        live = (known + th * (pairs - counted)) / pairs >= th
        active = np.zeros(cap, dtype=bool)
        active[gx[live]] = True
        active[gy[live]] = True
        kept = active[gx] & active[gy]
        if not kept.all():  # a group without a live record never merges again
            keep = kept[piece_record]
            rx, ry, px, py, total, count, exact = (
                a[keep] for a in (rx, ry, px, py, total, count, exact)
            )
            piece_record = (np.cumsum(kept) - 1)[piece_record[keep]]
            keys, gx, gy, pairs, known, counted, live = (
                a[kept] for a in (keys, gx, gy, pairs, known, counted, live)
            )
        if not live.any():
            break
        todo = np.flatnonzero(~exact & live[piece_record])
        if todo.size:
            total[todo] = _rectangle_sums(
                flat, start, size, px[todo], py[todo], pair_scores, chunk, scored
            )
            count[todo] = size[px[todo]] * size[py[todo]]
            known = np.bincount(piece_record, weights=total, minlength=keys.size)
            counted = np.bincount(piece_record, weights=count, minlength=keys.size)
        mean = known / pairs
        ready = np.flatnonzero(live & (mean >= th))
        # Each group's best partner (ties to the lower pair of ids); mutual best pairs merge.
        # ``keys`` is sorted, so a stable sort by mean keeps equal means in the order of ids.
        by_mean = ready[np.argsort(-mean[ready], kind="stable")]
        rank = np.arange(by_mean.size)
        best = np.full(cap, by_mean.size, dtype=np.int64)
        np.minimum.at(best, gx[by_mean], rank)
        np.minimum.at(best, gy[by_mean], rank)
        mutual = by_mean[(best[gx[by_mean]] == rank) & (best[gy[by_mean]] == rank)]
        # Each record becomes one piece: exact when every pair is known, else a rectangle to
        # score in full if the record ever turns live (its known pairs then count only in the
        # bound). Keeping every piece's shape instead would make their number grow each round.
        rx, ry, px, py, total = gx, gy, gx, gy, known
        count = counted.astype(np.int64)
        exact = count == pairs
        if mutual.size == 0:
            continue  # every live record was scored and fell short: it is dropped next round
        left, right = gx[mutual], gy[mutual]
        merged = np.arange(next_id, next_id + mutual.size)
        next_id += mutual.size
        size[merged] = size[left] + size[right]
        start[merged] = flat.size + np.cumsum(size[merged]) - size[merged]
        flat = np.concatenate(
            [flat, flat[_ranges(np.column_stack([left, right]).ravel(), start, size)]]
        )
        target = np.arange(cap, dtype=np.int64)
        target[left] = merged
        target[right] = merged
        label = target[label]
        # Re-key the pieces to the new groups, then add an empty piece for each pair of old
        # groups inside a new record that had no record.
        rx, ry = target[rx], target[ry]
        outside = rx != ry
        rx, ry, px, py, total, count, exact = (
            a[outside] for a in (rx, ry, px, py, total, count, exact)
        )
        swap = rx > ry
        rx[swap], ry[swap] = ry[swap], rx[swap]
        px[swap], py[swap] = py[swap], px[swap]
        child = np.full((cap, 2), -1, dtype=np.int64)
        child[:, 0] = np.arange(cap)
        child[merged, 0] = left
        child[merged, 1] = right
        changed = (rx >= merged[0]) | (ry >= merged[0])
        fresh = distinct(rx[changed] * np.int64(cap) + ry[changed])
        ux = np.repeat(child[fresh // cap], 2, axis=1).ravel()
        uy = np.tile(child[fresh % cap], (1, 2)).ravel()
        both = (ux >= 0) & (uy >= 0)
        ux, uy = ux[both], uy[both]
        key = np.minimum(ux, uy) * np.int64(cap) + np.maximum(ux, uy)
        missing = keys[np.minimum(np.searchsorted(keys, key), keys.size - 1)] != key
        ux, uy = ux[missing], uy[missing]
        rx, ry, px, py, total, count, exact = (
            np.concatenate([a, b])
            for a, b in (
                (rx, target[ux]),
                (ry, target[uy]),
                (px, ux),
                (py, uy),
                (total, np.zeros(ux.size)),
                (count, np.zeros(ux.size, dtype=np.int64)),
                (exact, np.zeros(ux.size, dtype=bool)),
            )
        )
    _, labels = np.unique(label, return_inverse=True)
    if centrality is not None and scored is not None:
        centrality[:] = _centrality(labels, scored)
    return labels.astype(np.int64)


def _centrality(
    labels: np.ndarray, scored: list[tuple[np.ndarray, np.ndarray, np.ndarray]]
) -> np.ndarray:
    """Each item's mean similarity to the rest of its cluster, from the pairs scored (the list
    is emptied on the way: at 100k articles it holds 17M pairs, 200 MB)."""
    n = labels.size
    # Piece by piece, in order, each freed once filtered: joining every scored pair first took
    # seconds and held the pairs twice.
    inside = []
    scored.reverse()
    while scored:
        r, c, v = scored.pop()
        keep = labels[r] == labels[c]
        inside.append((r[keep], c[keep], v[keep]))
    rows, cols, values = (np.concatenate(parts) for parts in zip(*inside, strict=True))
    del inside
    # A pair may have been scored twice (a rectangle scored again in full): count it once.
    _, once = np.unique(
        np.minimum(rows, cols) * np.int64(n) + np.maximum(rows, cols), return_index=True
    )
    rows, cols, values = rows[once], cols[once], values[once].astype(np.float64)
    sums = np.bincount(rows, weights=values, minlength=n)
    sums += np.bincount(cols, weights=values, minlength=n)
    return sums / np.maximum(np.bincount(labels, minlength=n)[labels] - 1, 1)


def distinct(values: np.ndarray) -> np.ndarray:
    """Sorted distinct values (by sorting: NumPy's hash-based ``unique`` is far slower here)."""
    values = np.sort(values)
    keep = np.ones(values.size, dtype=bool)
    keep[1:] = values[1:] != values[:-1]
    return values[keep]


def _ranges(groups: np.ndarray, start: np.ndarray, size: np.ndarray) -> np.ndarray:
    """Positions in ``flat`` of the members of ``groups``, group after group."""
    lengths = size[groups]
    offsets = np.arange(int(lengths.sum())) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    return np.repeat(start[groups], lengths) + offsets


def _rectangle_sums(
    flat: np.ndarray,
    start: np.ndarray,
    size: np.ndarray,
    x: np.ndarray,
    y: np.ndarray,
    pair_scores: Callable[[np.ndarray, np.ndarray], np.ndarray],
    chunk: int,
    scored: list[tuple[np.ndarray, np.ndarray, np.ndarray]] | None,
) -> np.ndarray:
    """Sum of ``pair_scores`` over each rectangle of members ``x[b]`` by members ``y[b]``; the
    pairs and their scores are appended to ``scored`` unless it is ``None``."""
    # Cut each rectangle into bands of at most ``chunk`` pairs, then score bands in batches.
    band_rows = np.maximum(1, chunk // size[y])
    bands = -(-size[x] // band_rows)
    owner = np.repeat(np.arange(x.size), bands)
    first_row = (np.arange(owner.size) - np.repeat(np.cumsum(bands) - bands, bands)) * band_rows[
        owner
    ]
    height = np.minimum(band_rows[owner], size[x][owner] - first_row)
    width = size[y][owner]
    count = height * width
    end = np.cumsum(count)
    sums = np.zeros(x.size)
    lo = 0
    while lo < owner.size:
        base = end[lo] - count[lo]
        hi = max(lo + 1, int(np.searchsorted(end, base + chunk, side="right")))
        band = np.repeat(np.arange(lo, hi), count[lo:hi])
        offset = np.arange(band.size) - (np.repeat(end[lo:hi] - count[lo:hi], count[lo:hi]) - base)
        i = offset // width[band]
        j = offset - i * width[band]
        r = flat[start[x[owner[band]]] + first_row[band] + i]
        c = flat[start[y[owner[band]]] + j]
        values = np.asarray(pair_scores(r, c))
        if scored is not None:
            scored.append((r.astype(np.int32), c.astype(np.int32), values))
        sums += np.bincount(owner[band], weights=values.astype(np.float64), minlength=x.size)
        lo = hi
    return sums
