"""An on-disk embedding cache keyed by model and text, so re-runs embed nothing new.

Vectors live in one SQLite file (standard library, atomic writes, safe across processes) as raw
float32 bytes: no pickle. The key is a BLAKE2 hash of the model name and the exact text.
"""

from __future__ import annotations

import hashlib
import logging
import os
import sqlite3
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from .embedding import Embedder

__all__ = ["CachedEmbedder", "default_cache_dir"]

logger = logging.getLogger(__name__)

_SCHEMA = "CREATE TABLE IF NOT EXISTS vectors (key BLOB PRIMARY KEY, vector BLOB NOT NULL)"
_QUERY_CHUNK = 500


def default_cache_dir() -> Path:
    """``$STORYCLUSTER_CACHE`` if set, else ``$XDG_CACHE_HOME/storycluster``.

    ``$XDG_CACHE_HOME`` defaults to ``~/.cache``.
    """
    explicit = os.environ.get("STORYCLUSTER_CACHE")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "storycluster"


class CachedEmbedder:
    """Wrap an embedder so each distinct text is embedded once per model, across runs.

    Parameters
    ----------
    embedder:
        The embedder that computes missing vectors.
    cache_dir:
        Directory of the cache file; ``None`` uses :func:`default_cache_dir`.
    namespace:
        Part of every key; defaults to the embedder's ``model_name`` (or its ``repr``). Two
        embedders with the same namespace must produce the same vectors.

    >>> import numpy as np, tempfile
    >>> class Lengths:
    ...     model_name = "lengths"
    ...     def encode(self, texts):
    ...         v = np.array([[len(t), 1.0] for t in texts], dtype=np.float32)
    ...         return v / np.linalg.norm(v, axis=1, keepdims=True)
    >>> cached = CachedEmbedder(Lengths(), cache_dir=tempfile.mkdtemp())
    >>> cached.encode(["a", "bb"]).shape, cached.misses
    ((2, 2), 2)
    >>> _ = cached.encode(["bb"]); cached.hits
    1
    """

    def __init__(
        self,
        embedder: Embedder,
        *,
        cache_dir: str | os.PathLike[str] | None = None,
        namespace: str | None = None,
    ) -> None:
        self.embedder = embedder
        self.cache_dir = Path(cache_dir) if cache_dir is not None else default_cache_dir()
        self.namespace = namespace or str(getattr(embedder, "model_name", repr(embedder)))
        self.hits = 0
        self.misses = 0

    @property
    def model_name(self) -> str:
        return self.namespace

    def _connect(self) -> sqlite3.Connection:
        self.cache_dir.mkdir(parents=True, exist_ok=True)
        connection = sqlite3.connect(self.cache_dir / "embeddings.sqlite3", timeout=60)
        connection.execute(_SCHEMA)
        return connection

    def _key(self, text: str) -> bytes:
        digest = hashlib.blake2b(digest_size=20)
        digest.update(self.namespace.encode("utf-8"))
        digest.update(b"\x00")
        digest.update(text.encode("utf-8"))
        return digest.digest()

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        keys = [self._key(text) for text in texts]
        found: dict[bytes, np.ndarray] = {}
        connection = self._connect()
        try:
            unique = list(dict.fromkeys(keys))
            for start in range(0, len(unique), _QUERY_CHUNK):
                chunk = unique[start : start + _QUERY_CHUNK]
                marks = ",".join("?" * len(chunk))
                rows = connection.execute(
                    f"SELECT key, vector FROM vectors WHERE key IN ({marks})", chunk
                )
                for key, blob in rows:
                    found[bytes(key)] = np.frombuffer(blob, dtype=np.float32)
            missing = [i for i, key in enumerate(keys) if key not in found]
            first_of: dict[bytes, int] = {}
            for i in missing:
                first_of.setdefault(keys[i], i)
            if first_of:
                fresh = np.asarray(
                    self.embedder.encode([texts[i] for i in first_of.values()]), dtype=np.float32
                )
                with connection:
                    connection.executemany(
                        "INSERT OR REPLACE INTO vectors (key, vector) VALUES (?, ?)",
                        [(key, fresh[j].tobytes()) for j, key in enumerate(first_of)],
                    )
                for j, key in enumerate(first_of):
                    found[key] = fresh[j]
        finally:
            connection.close()
        self.misses += len(missing)
        self.hits += len(texts) - len(missing)
        logger.debug("embedding cache: %d hits, %d misses", len(texts) - len(missing), len(missing))
        if not texts:
            return self.embedder.encode([])
        return np.stack([found[key] for key in keys]).astype(np.float32, copy=False)
