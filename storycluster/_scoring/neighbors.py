"""Candidate neighbours without an all-pairs matrix: dense k-NN and sparse (TF-IDF) k-NN.

Dense vectors use exact blockwise search up to ``exact_limit`` rows and an inverted-file search
above it: cosine k-means cells, each compared in one matrix product with the rows of its nearest
cells (the scheme of FAISS's ``IndexIVFFlat``, with probes chosen per cell instead of per row so
that the work is a few hundred BLAS products). Like IVF, and unlike graph indexes (HNSW,
usearch), it is deterministic for a fixed seed, which keeps clustering reproducible. Sparse
vectors use a pruned inverted index (each row's heaviest terms; no topic-wide terms).
Both return ``(indices, similarities)`` arrays of shape ``(n, k)``; missing slots hold ``-1``.
"""

from __future__ import annotations

import numpy as np
from scipy import sparse

from .._features.features import ArticleFeatures
from .threads import for_each, one_blas_thread, worker_count

__all__ = ["candidate_pairs", "dense_neighbors", "sparse_neighbors"]

#: Entries of one dense block of similarities (rows x n): bounds the memory of a search step.
_BLOCK_ENTRIES = 16_000_000


def _top_k(
    block: np.ndarray, k: int, columns: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Top ``k`` entries of each row of ``block``, best first, ties to the lower column id.

    ``columns`` names the columns (their own ids when ``None``); entries at ``-inf`` are
    excluded and missing slots hold ``-1`` and ``-inf``.
    """
    n_rows, n_cols = block.shape
    ids = np.arange(n_cols) if columns is None else columns
    indices = np.full((n_rows, k), -1, dtype=np.int64)
    values = np.full((n_rows, k), -np.inf, dtype=np.float32)
    k_eff = min(k, n_cols)
    if k_eff <= 0 or n_rows == 0:
        return indices, values
    part = np.argpartition(-block, k_eff - 1, axis=1)[:, :k_eff] if k_eff < n_cols else None
    if part is None:
        part = np.broadcast_to(np.arange(n_cols), (n_rows, n_cols))
    found = np.take_along_axis(block, part, axis=1)
    names = ids[part]
    order = np.lexsort((names, -found), axis=1)
    names = np.take_along_axis(names, order, axis=1)
    found = np.take_along_axis(found, order, axis=1)
    hit = np.isfinite(found)
    indices[:, :k_eff] = np.where(hit, names, -1)
    values[:, :k_eff] = np.where(hit, found, -np.inf)
    return indices, values


def _top_k_rows(block: np.ndarray, k: int, row_offset: int) -> tuple[np.ndarray, np.ndarray]:
    """Top ``k`` columns of each row (excluding the row's own index), best first."""
    rows = np.arange(block.shape[0])
    own = rows + row_offset
    in_range = own < block.shape[1]
    block[rows[in_range], own[in_range]] = -np.inf
    return _top_k(block, k)


def dense_neighbors(
    vectors: np.ndarray,
    k: int,
    *,
    exact_limit: int = 20_000,
    seed: int = 0,
    n_jobs: int | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """The ``k`` nearest rows of each row by inner product (cosine for normalised rows).

    Exact up to ``exact_limit`` rows; above, each row is compared with the rows of the cells
    nearest to its own (see :func:`_cell_neighbors`).
    """
    n = vectors.shape[0]
    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    if n > exact_limit:
        return _cell_neighbors(vectors, k, seed=seed, n_jobs=n_jobs)
    indices = np.empty((n, k), dtype=np.int64)
    values = np.empty((n, k), dtype=np.float32)
    step = max(1, _BLOCK_ENTRIES // (max(n, 1) * worker_count(n_jobs)))

    def search(block: int) -> None:
        start = block * step
        rows = slice(start, start + step)
        indices[rows], values[rows] = _top_k_rows(vectors[rows] @ vectors.T, k, start)

    with one_blas_thread():
        for_each(search, range(-(-n // step)), n_jobs)
    return indices, values


def _spherical_kmeans(
    sample: np.ndarray, n_cells: int, iterations: int, rng: np.random.Generator
) -> np.ndarray:
    """``n_cells`` unit centroids of ``sample`` by cosine k-means (a cell left empty keeps its
    centroid)."""
    centroids = sample[np.sort(rng.choice(sample.shape[0], size=n_cells, replace=False))]
    for _ in range(iterations):
        cell = np.argmax(sample @ centroids.T, axis=1)
        sums = np.zeros_like(centroids)
        np.add.at(sums, cell, sample)
        norms = np.linalg.norm(sums, axis=1, keepdims=True)
        centroids = np.where(norms > 0, sums / np.maximum(norms, 1e-12), centroids)
    return np.ascontiguousarray(centroids, dtype=np.float32)


def _cell_neighbors(
    vectors: np.ndarray,
    k: int,
    *,
    seed: int,
    cell_size: int = 256,
    probes: int = 8,
    iterations: int = 8,
    sample_per_cell: int = 32,
    n_jobs: int | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Approximate ``k`` nearest rows: cosine k-means cells of about ``cell_size`` rows (fitted
    on a seeded sample), and each cell's rows compared, in one matrix product, with the rows of
    the ``probes`` cells whose centroids are nearest to its own.

    An inverted-file search as FAISS's ``IndexIVFFlat`` does it, but with the probes chosen per
    cell rather than per row, so that the work is a few hundred dense matrix products: the cost
    is linear in the number of rows and deterministic for a seed.
    """
    n = vectors.shape[0]
    n_cells = max(1, n // cell_size)
    rng = np.random.default_rng(seed)
    sample_size = min(n, n_cells * sample_per_cell)
    sample = vectors[np.sort(rng.choice(n, size=sample_size, replace=False))]
    indices = np.full((n, k), -1, dtype=np.int64)
    values = np.full((n, k), -np.inf, dtype=np.float32)
    budget = max(1, _BLOCK_ENTRIES // worker_count(n_jobs))  # entries of one task's block
    with one_blas_thread():
        centroids = _spherical_kmeans(sample, n_cells, iterations, rng)
        cell = np.empty(n, dtype=np.int64)
        step = max(1, budget // n_cells)

        def assign(block: int) -> None:
            rows = slice(block * step, (block + 1) * step)
            cell[rows] = np.argmax(vectors[rows] @ centroids.T, axis=1)

        for_each(assign, range(-(-n // step)), n_jobs)
        closeness = centroids @ centroids.T
        np.fill_diagonal(closeness, np.inf)  # a cell always probes itself
        near = np.argsort(-closeness, axis=1, kind="stable")[:, : min(probes, n_cells)]
        order = np.argsort(cell, kind="stable")
        bounds = np.searchsorted(cell[order], np.arange(n_cells + 1))

        def search(c: int) -> None:
            queries = order[bounds[c] : bounds[c + 1]]
            if queries.size == 0:
                return
            members = [order[bounds[p] : bounds[p + 1]] for p in near[c]]
            candidates = np.sort(np.concatenate(members))
            pool = vectors[candidates].T
            step = max(1, budget // candidates.size)
            for start in range(0, queries.size, step):
                rows = queries[start : start + step]
                block = vectors[rows] @ pool
                block[np.arange(rows.size), np.searchsorted(candidates, rows)] = -np.inf
                indices[rows], values[rows] = _top_k(block, k, candidates)

        for_each(search, range(n_cells), n_jobs)
    return indices, values


def _top_terms(matrix: sparse.csr_matrix, terms: int) -> sparse.csr_matrix:
    """Each row restricted to its ``terms`` largest weights (ties: lower column first)."""
    matrix = sparse.csr_matrix(matrix, copy=True)
    matrix.sort_indices()
    counts = np.diff(matrix.indptr)
    rows = np.repeat(np.arange(matrix.shape[0], dtype=np.uint64), counts)
    if matrix.shape[0] < 1 << 32:
        # Row, then weight descending, in one integer key; the stable sort keeps the columns of
        # equal weights in order (they are sorted): the ranking of a three-key lexsort.
        inverted = np.uint64(0xFFFFFFFF) - _sortable(matrix.data)
        order = np.argsort((rows << np.uint64(32)) | inverted, kind="stable")
    else:  # pragma: no cover - over four billion rows
        order = np.lexsort((matrix.indices, -matrix.data, rows))
    rank = np.arange(order.size) - matrix.indptr[rows[order].astype(np.int64)]
    keep = np.zeros(order.size, dtype=bool)
    keep[order[rank < terms]] = True
    matrix.data[~keep] = 0.0
    matrix.eliminate_zeros()
    return matrix


def _sortable(values: np.ndarray) -> np.ndarray:
    """32-bit unsigned integers (as uint64) in the order of the float32 ``values``."""
    bits = np.ascontiguousarray(values, dtype=np.float32).view(np.uint32).astype(np.uint64)
    negative = bits >> np.uint64(31) == 1
    return np.where(negative, ~bits & np.uint64(0xFFFFFFFF), bits | np.uint64(0x80000000))


def _unsortable(keys: np.ndarray) -> np.ndarray:
    """The float32 values back from :func:`_sortable`."""
    non_negative = keys >> np.uint64(31) == 1
    bits = np.where(non_negative, keys ^ np.uint64(0x80000000), ~keys & np.uint64(0xFFFFFFFF))
    return bits.astype(np.uint32).view(np.float32)


def _csr_top_k(block: sparse.csr_matrix, k: int, row_offset: int) -> tuple[np.ndarray, np.ndarray]:
    """Top ``k`` stored entries of each row of a sparse block, best first (ties to the lower
    column), self excluded."""
    n_rows, n_cols = block.shape
    indices = np.full((n_rows, k), -1, dtype=np.int64)
    values = np.full((n_rows, k), -np.inf, dtype=np.float32)
    rows = np.repeat(np.arange(n_rows, dtype=np.uint64), np.diff(block.indptr))
    cols = block.indices.astype(np.uint64)
    keep = cols != rows + np.uint64(row_offset)
    rows, cols, data = rows[keep], cols[keep], block.data[keep]
    col_bits = max(1, int(n_cols - 1).bit_length())
    if int(n_rows).bit_length() + col_bits <= 32:
        # One integer key per entry (row, then value descending, then column) and one sort:
        # far cheaper than a three-key lexsort, and the entries decode from the sorted keys.
        shift = np.uint64(col_bits)
        keys = np.sort(
            (rows << (np.uint64(32) + shift))
            | ((np.uint64(0xFFFFFFFF) - _sortable(data)) << shift)
            | cols
        )
        rows = (keys >> (np.uint64(32) + shift)).astype(np.int64)
        data = _unsortable(np.uint64(0xFFFFFFFF) - ((keys >> shift) & np.uint64(0xFFFFFFFF)))
        cols = (keys & ((np.uint64(1) << shift) - np.uint64(1))).astype(np.int64)
    else:
        order = np.lexsort((cols, -data, rows))
        rows, cols, data = rows[order].astype(np.int64), cols[order].astype(np.int64), data[order]
    starts = np.searchsorted(rows, np.arange(n_rows))
    rank = np.arange(rows.size) - starts[rows]
    take = rank < k
    indices[rows[take], rank[take]] = cols[take]
    values[rows[take], rank[take]] = data[take]
    return indices, values


def sparse_neighbors(
    matrix: sparse.csr_matrix,
    k: int,
    *,
    terms_per_row: int = 10,
    max_postings: int = 500,
    n_jobs: int | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """The ``k`` most similar rows of each row by sparse dot product, through a pruned index.

    Each row is matched on its ``terms_per_row`` heaviest terms, and terms held by more than
    ``max_postings`` rows are not used for matching (they name a topic, not an event), so the
    cost stays near linear in the number of rows. The returned similarities are those of the
    matching terms only, good for ranking candidates; callers score the pairs exactly. Blocks
    of rows are matched on ``n_jobs`` threads.
    """
    n = matrix.shape[0]
    indices = np.full((n, k), -1, dtype=np.int64)
    values = np.full((n, k), -np.inf, dtype=np.float32)
    if matrix.shape[1] == 0 or n < 2:
        return indices, values
    queries = _top_terms(matrix, terms_per_row)
    postings = np.bincount(queries.indices, minlength=matrix.shape[1])
    common = np.flatnonzero(postings > max_postings)
    if common.size:
        mask = np.isin(queries.indices, common)
        queries.data[mask] = 0.0
        queries.eliminate_zeros()
    index = queries.T.tocsr()
    step = max(1, _BLOCK_ENTRIES // max(n, 1))

    def match(start: int) -> None:
        # Ranked by the similarity on the matching terms; callers rescore the pairs exactly.
        hits = (queries[start : start + step] @ index).tocsr()
        indices[start : start + step], values[start : start + step] = _csr_top_k(hits, k, start)

    for_each(match, range(0, n, step), n_jobs)
    return indices, values


def candidate_pairs(
    features: ArticleFeatures, k: int, *, seed: int = 0, n_jobs: int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Unique pairs ``(rows[i] < cols[i])`` among each article's ``k`` nearest neighbours by
    dense, lexical and entity similarity (searched on ``n_jobs`` threads)."""
    found = [dense_neighbors(features.dense, k, seed=seed, n_jobs=n_jobs)[0]]
    found.append(sparse_neighbors(features.lexical, k, n_jobs=n_jobs)[0])
    found.append(sparse_neighbors(features.entities, k, n_jobs=n_jobs)[0])
    n = len(features)
    parts = []
    for neighbours in found:
        rows = np.repeat(np.arange(n, dtype=np.int64), neighbours.shape[1])
        cols = neighbours.ravel().astype(np.int64, copy=False)
        valid = (cols >= 0) & (cols != rows)
        rows, cols = rows[valid], cols[valid]
        parts.append(np.minimum(rows, cols) * n + np.maximum(rows, cols))
    # Sort, then drop repeats: NumPy's hash-based ``unique`` is many times slower on this.
    keys = np.concatenate(parts)
    keys.sort()
    first = np.empty(keys.size, dtype=bool)
    first[:1] = True
    np.not_equal(keys[1:], keys[:-1], out=first[1:])
    keys = keys[first]
    high = keys % n
    return (keys - high) // n, high
