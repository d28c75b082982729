"""A batch prepared for the stream outside its lock: checked, cleaned, embedded and hashed."""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from sklearn.feature_extraction.text import HashingVectorizer
from sklearn.utils import murmurhash3_32

from .._features.features import days_since_epoch
from .._features.vectors import check_embeddings
from .._grouping.representatives import _label
from .._text.dedup import text_sketches
from .._text.fields import (
    body_text,
    embedding_text,
    entity_tokens,
    lexical_text,
    weekdays_named,
    word_count,
)
from .._text.preparation import prepare_article
from ..models import Article
from ._rows import N_FEATURES, sublinear
from ._state import Incoming

__all__ = ["check_storable", "prepare_incoming", "subset"]


def _vectorizers() -> tuple[HashingVectorizer, HashingVectorizer]:
    # The batch features' analysers (TfidfVectorizer defaults: english stop words for the
    # lexical terms, whitespace tokens for the entity terms), hashed instead of fitted.
    lexical = HashingVectorizer(
        n_features=N_FEATURES,
        alternate_sign=False,
        norm=None,
        stop_words="english",
        dtype=np.float32,
    )
    entities = HashingVectorizer(
        n_features=N_FEATURES,
        alternate_sign=False,
        norm=None,
        token_pattern=r"\S+",
        dtype=np.float32,
    )
    return lexical, entities


_VECTORIZERS: tuple[HashingVectorizer, HashingVectorizer] | None = None


def _strings(article: Article) -> list[tuple[str, str]]:
    out = [("id", article.id)]
    for name in ("title", "text", "url", "source", "language"):
        value = getattr(article, name)
        if value is not None:
            out.append((name, value))
    return out


def check_storable(article: Article) -> tuple[Any, ...]:
    """The article's stored fields, or ``ValueError`` naming what no store can hold: text that
    is not valid Unicode (a lone surrogate), a NUL character (PostgreSQL text cannot hold it),
    metadata that is not plain JSON (a NumPy number, a set, NaN)."""
    for name, value in _strings(article):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise ValueError(
                f"article {article.id!r}: {name} is not valid Unicode ({exc.reason} at "
                f"position {exc.start}); the store cannot hold it"
            ) from None
        if "\x00" in value:
            raise ValueError(f"article {article.id!r}: {name} contains a NUL character")
    try:
        metadata = json.dumps(article.metadata, ensure_ascii=False, allow_nan=False, sort_keys=True)
        metadata.encode("utf-8")
    except (TypeError, ValueError, UnicodeEncodeError) as exc:
        raise ValueError(
            f"article {article.id!r}: metadata must be plain JSON (str, int, float, bool, None, "
            f"lists and dicts of them; convert NumPy numbers with .item()): {exc}"
        ) from None
    if "\x00" in metadata:
        raise ValueError(f"article {article.id!r}: metadata contains a NUL character")
    published = article.published_at.isoformat() if article.published_at is not None else None
    return (
        article.title,
        article.text,
        article.url,
        article.source,
        published,
        article.language,
        metadata,
    )


def prepare_incoming(
    items: Sequence[Article],
    embeddings: np.ndarray | None,
    *,
    embed: Callable[[list[str]], Any],
    clean: bool,
    lead_chars: int,
    max_chars: int,
    dim: int | None,
) -> Incoming:
    """Everything the stream computes for a batch before it needs its state."""
    global _VECTORIZERS
    records = [check_storable(article) for article in items]
    prepared = [prepare_article(a, clean=clean, max_chars=max_chars) for a in items]
    if embeddings is None:
        vectors = embed([embedding_text(article, lead_chars) for article in prepared])
        dense = check_embeddings(vectors, len(items), source="the embedding model")
    else:
        dense = check_embeddings(embeddings, len(items))
    if dim is not None and dense.shape[1] != dim:
        raise ValueError(f"embeddings have dimension {dense.shape[1]}, the stream's have {dim}")
    if _VECTORIZERS is None:
        _VECTORIZERS = _vectorizers()
    lexical, entities = _VECTORIZERS
    texts = [lexical_text(article, max_chars) for article in prepared]
    lex = lexical.transform(texts)
    ent = entities.transform([entity_tokens(text) for text in texts])
    analyzer = lexical.build_analyzer()
    names: dict[int, str] = {}
    for text in texts:
        for token in analyzer(text):
            column = abs(murmurhash3_32(token, seed=0)) % N_FEATURES
            names.setdefault(column, token)
    keys, sigs = text_sketches([body_text(a) or (a.title or "") for a in prepared])
    days = days_since_epoch(items)
    return Incoming(
        articles=list(items),
        dense=dense,
        lex=sublinear(lex),
        ent=sublinear(ent),
        days=days,
        words=np.array([word_count(text) for text in texts], dtype=np.int64),
        weekdays=np.array([weekdays_named(a) for a in prepared], dtype=np.int64),
        published=[
            a.published_at.timestamp() if a.published_at is not None else math.inf for a in items
        ],
        norm_keys=keys,
        sigs=sigs,
        names=names,
        labels=[_label(a) for a in items],
        records=records,
    )


def subset(incoming: Incoming, keep: Sequence[int]) -> Incoming:
    """The batch restricted to positions ``keep`` (term names kept whole: they only name)."""
    return Incoming(
        articles=[incoming.articles[i] for i in keep],
        dense=incoming.dense[list(keep)],
        lex=[incoming.lex[i] for i in keep],
        ent=[incoming.ent[i] for i in keep],
        days=incoming.days[list(keep)],
        words=incoming.words[list(keep)],
        weekdays=incoming.weekdays[list(keep)],
        published=[incoming.published[i] for i in keep],
        norm_keys=[incoming.norm_keys[i] for i in keep],
        sigs=[incoming.sigs[i] for i in keep],
        names=incoming.names,
        labels=[incoming.labels[i] for i in keep],
        records=[incoming.records[i] for i in keep],
    )
