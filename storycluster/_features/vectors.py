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


def check_embeddings(embeddings: Any, n: int, *, source: str = "embeddings") -> np.ndarray:
    """Validated float32 copy of ``embeddings`` with L2-normalised rows."""
    array = np.asarray(embeddings)
    if array.ndim != 2 or array.shape[0] != n or array.shape[1] < 1:
        raise ValueError(f"{source} must give shape ({n}, dim), got {array.shape}")
    if not np.issubdtype(array.dtype, np.number):
        raise TypeError(f"{source} must be numeric, got dtype {array.dtype}")
    array = array.astype(np.float32)
    if not np.isfinite(array).all():
        raise ValueError(f"{source} contain NaN or infinite values")
    norms = np.linalg.norm(array, axis=1, keepdims=True)
    if (norms == 0).any():
        raise ValueError(f"{source} contain an all-zero row")
    return array / norms
