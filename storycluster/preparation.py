"""Steps shared by the batch and the streaming clusterer before any feature is computed:
resolving the embedder, preparing an article's text and validating embeddings."""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .cache import CachedEmbedder
from .cleaning import clean_text
from .embedding import Embedder, SentenceTransformerEmbedder
from .models import Article

__all__ = ["check_embeddings", "make_embedder", "prepare_article", "prepare_articles"]


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


@functools.lru_cache(maxsize=4096)
def _clean_text_memo(text: str) -> str:
    """:func:`clean_text`, remembered: the windowed pipeline cleans the same reference
    articles once per group, and a notebook re-fits the same articles."""
    return clean_text(text)


def prepare_article(article: Article, *, clean: bool, max_chars: int) -> Article:
    """The article as the features see it: body cut at ``max_chars`` characters and cleaned.

    An article is never cleaned into nothing: if only debris was left and it has no title, the
    raw text is kept.
    """
    return _prepare(article, clean, max_chars, _clean_text_memo)


def prepare_articles(articles: Sequence[Article], *, clean: bool, max_chars: int) -> list[Article]:
    """:func:`prepare_article` for each article; a text repeated in the batch (wire copies,
    retweets) is cleaned once."""
    cleaned: dict[str, str] = {}

    def clean_once(text: str) -> str:
        if text not in cleaned:
            cleaned[text] = clean_text(text)
        return cleaned[text]

    return [_prepare(article, clean, max_chars, clean_once) for article in articles]


def _prepare(
    article: Article, clean: bool, max_chars: int, clean_fn: Callable[[str], str]
) -> Article:
    text = (article.text or "")[:max_chars]
    if clean and text:
        cleaned = clean_fn(text)
        if cleaned.strip() or (article.title or "").strip():
            text = cleaned
    if text == article.text:
        return article
    return article.model_copy(update={"text": text})


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
