"""Candidate neighbours without an all-pairs matrix: dense k-NN and sparse (TF-IDF) k-NN.

Dense vectors use exact blockwise search up to ``exact_limit`` rows and a FAISS inverted-file
index (``IndexIVFFlat``, inner product) above it. IVF was chosen over graph indexes (HNSW in
FAISS, hnswlib, usearch) because its build and search are deterministic for a fixed seed, which
keeps clustering reproducible, and because a batch job queries every vector once, where IVF's
scan of a few lists is as fast as a graph walk. Sparse vectors use a pruned inverted index
(each row's heaviest terms; no topic-wide terms).
Both return ``(indices, similarities)`` arrays of shape ``(n, k)``; missing slots hold ``-1``.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import sparse

from .features import ArticleFeatures

__all__ = ["candidate_pairs", "dense_neighbors", "sparse_neighbors"]

#: Entries of one dense block of similarities (rows x n): bounds the memory of a search step.
_BLOCK_ENTRIES = 16_000_000


def _top_k_rows(block: np.ndarray, k: int, row_offset: int) -> tuple[np.ndarray, np.ndarray]:
    """Top ``k`` columns of each row (excluding the row's own index), best first."""
    rows = np.arange(block.shape[0])
    own = rows + row_offset
    in_range = own < block.shape[1]
    block[rows[in_range], own[in_range]] = -np.inf
    k_eff = min(k, block.shape[1] - 1) if block.shape[1] > 1 else 0
    if k_eff <= 0:
        return (np.full((block.shape[0], k), -1), np.full((block.shape[0], k), -np.inf))
    part = np.argpartition(-block, k_eff - 1, axis=1)[:, :k_eff]
    values = np.take_along_axis(block, part, axis=1)
    order = np.lexsort((part, -values), axis=1)
    indices = np.take_along_axis(part, order, axis=1)
    values = np.take_along_axis(values, order, axis=1)
    if k_eff < k:
        pad = k - k_eff
        indices = np.pad(indices, ((0, 0), (0, pad)), constant_values=-1)
        values = np.pad(values, ((0, 0), (0, pad)), constant_values=-np.inf)
    return indices, values


def dense_neighbors(
    vectors: np.ndarray, k: int, *, exact_limit: int = 20_000, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """The ``k`` nearest rows of each row by inner product (cosine for normalised rows)."""
    n = vectors.shape[0]
    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    if n <= exact_limit:
        indices = np.empty((n, k), dtype=np.int64)
        values = np.empty((n, k), dtype=np.float32)
        step = max(1, _BLOCK_ENTRIES // n)
        for start in range(0, n, step):
            block = vectors[start : start + step] @ vectors.T
            indices[start : start + step], values[start : start + step] = _top_k_rows(
                block, k, start
            )
        return indices, values
    return _ivf_neighbors(vectors, k, seed=seed)


def _ivf_neighbors(vectors: np.ndarray, k: int, *, seed: int) -> tuple[np.ndarray, np.ndarray]:
    try:
        import faiss
    except ImportError as error:  # pragma: no cover - faiss is a core dependency
        raise ImportError(
            "clustering more than 20,000 articles needs faiss: pip install faiss-cpu"
        ) from error
    n, dim = vectors.shape
    n_lists = max(16, int(math.sqrt(n)))
    quantizer = faiss.IndexFlatIP(dim)
    index = faiss.IndexIVFFlat(quantizer, dim, n_lists, faiss.METRIC_INNER_PRODUCT)
    index.cp.seed = seed
    sample = np.random.default_rng(seed).choice(n, size=min(n, n_lists * 64), replace=False)
    index.train(vectors[np.sort(sample)])
    index.add(vectors)
    index.nprobe = min(n_lists, 16)
    values, indices = index.search(vectors, k + 1)
    # Drop each row's own hit (it may be missing when a duplicate vector outranks it).
    own = indices == np.arange(n)[:, None]
    keep = ~own
    keep[keep.sum(axis=1) > k, -1] = False  # no self hit: drop the last extra column
    indices = indices[keep].reshape(n, k)
    values = values[keep].reshape(n, k)
    return indices.astype(np.int64), values.astype(np.float32)


def _top_terms(matrix: sparse.csr_matrix, terms: int) -> sparse.csr_matrix:
    """Each row restricted to its ``terms`` largest weights (ties: lower column first)."""
    matrix = sparse.csr_matrix(matrix, copy=True)
    matrix.sort_indices()
    counts = np.diff(matrix.indptr)
    rows = np.repeat(np.arange(matrix.shape[0]), counts)
    order = np.lexsort((matrix.indices, -matrix.data, rows))
    rank = np.arange(order.size) - matrix.indptr[rows[order]]
    keep = np.zeros(order.size, dtype=bool)
    keep[order[rank < terms]] = True
    matrix.data[~keep] = 0.0
    matrix.eliminate_zeros()
    return matrix


def _csr_top_k(block: sparse.csr_matrix, k: int, row_offset: int) -> tuple[np.ndarray, np.ndarray]:
    """Top ``k`` stored entries of each row of a sparse block, best first, self excluded."""
    n_rows = block.shape[0]
    indices = np.full((n_rows, k), -1, dtype=np.int64)
    values = np.full((n_rows, k), -np.inf, dtype=np.float32)
    rows = np.repeat(np.arange(n_rows), np.diff(block.indptr))
    cols = block.indices.astype(np.int64)
    data = block.data
    keep = cols != rows + row_offset
    rows, cols, data = rows[keep], cols[keep], data[keep]
    order = np.lexsort((cols, -data, rows))
    rows, cols, data = rows[order], cols[order], data[order]
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
) -> tuple[np.ndarray, np.ndarray]:
    """The ``k`` most similar rows of each row by sparse dot product, through a pruned index.

    Each row is matched on its ``terms_per_row`` heaviest terms, and terms held by more than
    ``max_postings`` rows are not used for matching (they name a topic, not an event), so the
    cost stays near linear in the number of rows. The returned similarities are those of the
    matching terms only, good for ranking candidates; callers score the pairs exactly.
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
    for start in range(0, n, step):
        # Ranked by the similarity on the matching terms; callers rescore the pairs exactly.
        hits = (queries[start : start + step] @ index).tocsr()
        indices[start : start + step], values[start : start + step] = _csr_top_k(hits, k, start)
    return indices, values


def candidate_pairs(
    features: ArticleFeatures, k: int, *, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Unique pairs ``(rows[i] < cols[i])`` among each article's ``k`` nearest neighbours by
    dense, lexical and entity similarity."""
    found = [dense_neighbors(features.dense, k, seed=seed)[0]]
    found.append(sparse_neighbors(features.lexical, k)[0])
    found.append(sparse_neighbors(features.entities, k)[0])
    n = len(features)
    rows = np.concatenate([np.repeat(np.arange(n), f.shape[1]) for f in found])
    cols = np.concatenate([f.ravel() for f in found])
    valid = (cols >= 0) & (cols != rows)
    low = np.minimum(rows[valid], cols[valid])
    high = np.maximum(rows[valid], cols[valid])
    keys = np.unique(low * np.int64(n) + high)
    return keys // n, keys % n
