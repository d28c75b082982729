"""Dense vectors: the embedder a ``model`` parameter names, and validation of given vectors;
shared by the batch and the streaming clusterer."""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from .cache import CachedEmbedder
from .embedding import Embedder, SentenceTransformerEmbedder

__all__ = ["check_embeddings", "make_embedder"]


def make_embedder(
    model: str | Embedder,
    *,
    batch_size: int = 32,
    show_progress_bar: bool | None = None,
    cache: bool | str | os.PathLike[str] = True,
) -> Embedder:
    """The embedder for a ``model`` parameter: a name or directory (cached on disk unless
    ``cache`` is False) or an object with ``encode(texts)``, used as it is."""
    if isinstance(model, str):
        embedder = SentenceTransformerEmbedder(
            model, batch_size=batch_size, show_progress_bar=show_progress_bar
        )
        if cache is False:
            return embedder
        return CachedEmbedder(embedder, cache_dir=None if cache is True else cache)
    if isinstance(model, Embedder):
        return model
    raise TypeError(
        "model must be a model name, a directory or an object with encode(texts), "
        f"got {type(model).__name__}"
    )


#: Rows :func:`check_embeddings` converts at a time.
_BLOCK_ROWS = 1_024


def check_embeddings(embeddings: Any, n: int, *, source: str = "embeddings") -> np.ndarray:
    """Validated float32 copy of ``embeddings`` with L2-normalised rows.

    Any real numeric array-like of shape ``(n, dim)`` is accepted; each row is scaled by its
    largest entry and normalised in float64 before it is stored as float32, so entries of any
    finite size (``1e20``, ``1e-30``) give the same unit vector as moderate ones. Ragged rows,
    non-numeric, complex, NaN or infinite entries and all-zero rows are a ``ValueError`` or
    ``TypeError`` that says so.
    """
    try:
        array = np.asarray(embeddings)
    except ValueError:
        array = None  # ragged nested lists: NumPy refuses an inhomogeneous shape
    if array is None or (array.dtype == object and array.ndim == 1 and n > 0):
        lengths = _row_lengths(embeddings)
        raise ValueError(
            f"{source} must be an (n, dim) array with rows of one length; got rows of "
            f"lengths {lengths}"
        )
    if array.ndim != 2 or array.shape[0] != n or array.shape[1] < 1:
        raise ValueError(f"{source} must give shape ({n}, dim), got {array.shape}")
    if np.iscomplexobj(array):
        raise TypeError(
            f"{source} are complex (dtype {array.dtype}); give real vectors (the real part "
            "alone is not the embedding)"
        )
    if array.dtype == bool or not np.issubdtype(array.dtype, np.number):
        raise TypeError(f"{source} must be numeric (real numbers), got dtype {array.dtype}")
    out = np.empty(array.shape, dtype=np.float32)
    # Blocks of rows that stay in cache: the float64 work of the whole matrix at once was a
    # large share of a fit on given embeddings (100k rows: 2.4 GB of temporaries moved).
    for start in range(0, n, _BLOCK_ROWS):
        values = array[start : start + _BLOCK_ROWS].astype(np.float64)
        if not np.isfinite(values).all():
            row = start + int(np.flatnonzero(~np.isfinite(values).all(axis=1))[0])
            raise ValueError(f"{source} contain NaN or infinite values (first in row {row})")
        scale = np.abs(values).max(axis=1, keepdims=True)
        if (scale == 0).any():
            row = start + int(np.flatnonzero(scale.ravel() == 0)[0])
            raise ValueError(f"{source} contain an all-zero row (row {row})")
        values /= scale
        values /= np.linalg.norm(values, axis=1, keepdims=True)
        out[start : start + _BLOCK_ROWS] = values
    return out


def _row_lengths(embeddings: Any) -> str:
    lengths = []
    try:
        for row in embeddings:
            lengths.append(len(row) if hasattr(row, "__len__") else 1)
    except TypeError:
        return "(not a sequence of rows)"
    distinct = sorted(set(lengths))
    shown = ", ".join(str(d) for d in distinct[:5])
    first_odd = next((i for i, k in enumerate(lengths) if k != lengths[0]), None)
    where = (
        f" (row 0 has {lengths[0]}, row {first_odd} has {lengths[first_odd]})" if first_odd else ""
    )
    return f"{shown}{where}"
