"""Save and load a :class:`storycluster.stream.StreamClusterer`, without pickle.

A state is a directory::

    manifest.json   format_version, parameters, counters, clock, reservoir, random state,
                    the threshold and weights of the last batch, and a BLAKE2 checksum of
                    every other file
    state.json      articles, article -> event map, events, redirects of merged events,
                    the candidate index
    *.npy           numeric arrays (dense vectors, hashed term counts, publication days, word
                    counts, backgrounds, document frequencies), read with
                    ``allow_pickle=False``

:func:`save_state` writes everything into a temporary directory beside the target, then
renames it into place (an existing state is first renamed aside and removed after), so a reader
sees either the old state or the new one, never half of one. :func:`load_state` checks the
version and every checksum and raises :class:`StateError` (a ``ValueError``) for an unknown
version, a missing file or a corrupted one. A loaded stream continues exactly as the saved one
would have: the random state is part of the state.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import math
import os
import secrets
import shutil
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from .._scoring.similarity import SimilarityWeights
from ..models import Article

if TYPE_CHECKING:
    from .._features.embedding import Embedder
    from ._clusterer import StreamClusterer

__all__ = ["FORMAT_VERSION", "StateError", "load_state", "save_state"]

# 2: the time term became evidence either way (0.2); states of version 1 scored differently.
# 3: each article's word count, for the short-text threshold and weights; version 2 has none.
FORMAT_VERSION = 3
_MANIFEST = "manifest.json"
_STATE = "state.json"
_ARRAYS = (
    "dense",
    "days",
    "words",
    "eff",
    "mean",
    "sd",
    "df_lex",
    "df_ent",
    "lex_indptr",
    "lex_indices",
    "lex_data",
    "ent_indptr",
    "ent_indices",
    "ent_data",
)


class StateError(ValueError):
    """A saved stream state that cannot be read: unknown version, missing or corrupted file."""


def _digest(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def _npy_bytes(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, np.ascontiguousarray(array), allow_pickle=False)
    return buffer.getvalue()


def _pack(rows: list[tuple[np.ndarray, np.ndarray]]) -> tuple[np.ndarray, ...]:
    lengths = np.array([len(r[0]) for r in rows], dtype=np.int64)
    indptr = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    if rows and lengths.sum():
        indices = np.concatenate([r[0] for r in rows]).astype(np.int32)
        data = np.concatenate([r[1] for r in rows]).astype(np.float32)
    else:
        indices, data = np.zeros(0, dtype=np.int32), np.zeros(0, dtype=np.float32)
    return indptr, indices, data


def _unpack(
    indptr: np.ndarray, indices: np.ndarray, data: np.ndarray
) -> list[tuple[np.ndarray, np.ndarray]]:
    return [
        (indices[indptr[i] : indptr[i + 1]].copy(), data[indptr[i] : indptr[i + 1]].copy())
        for i in range(indptr.size - 1)
    ]


def _float(value: float) -> float | None:
    return None if math.isnan(value) else value


def _unfloat(value: float | None) -> float:
    return math.nan if value is None else float(value)


def save_state(stream: StreamClusterer, directory: str | os.PathLike[str]) -> None:
    """Write ``stream``'s state to ``directory`` (created or replaced atomically)."""
    lex = _pack(stream._lex)
    ent = _pack(stream._ent)
    arrays = {
        "dense": stream._dense,
        "days": stream._days,
        "words": stream._words,
        "eff": stream._eff,
        "mean": stream._mean,
        "sd": stream._sd,
        "df_lex": stream._df_lex,
        "df_ent": stream._df_ent,
        "lex_indptr": lex[0],
        "lex_indices": lex[1],
        "lex_data": lex[2],
        "ent_indptr": ent[0],
        "ent_indices": ent[1],
        "ent_data": ent[2],
    }
    state = {
        "articles": [a.model_dump(mode="json") for a in stream._articles],
        "article_event": stream._article_event,
        "events": [
            {
                "id": e.id,
                "seq": e.seq,
                "members": e.members,
                "first": _float(e.first),
                "last": _float(e.last),
            }
            for e in stream._events.values()
        ],
        "redirect": stream._redirect,
        "postings": [[term, list(posting)] for term, posting in stream._postings.items()],
    }
    files: dict[str, bytes] = {f"{name}.npy": _npy_bytes(arrays[name]) for name in _ARRAYS}
    files[_STATE] = json.dumps(state, ensure_ascii=False, allow_nan=False).encode("utf-8")
    params = {name: getattr(stream, name) for name in stream._PARAMS}
    manifest = {
        "format": "storycluster.stream",
        "format_version": FORMAT_VERSION,
        "params": params,
        "model": stream.model if isinstance(stream.model, str) else None,
        "counter": stream._counter,
        "clock": _float(stream._clock),
        "reservoir": stream._reservoir,
        "rng_state": stream._rng_state,
        "threshold_": stream.threshold_,
        "weights_": None if stream.weights_ is None else asdict(stream.weights_),
        "checksums": {name: _digest(data) for name, data in files.items()},
    }
    files[_MANIFEST] = json.dumps(manifest, indent=1, allow_nan=False).encode("utf-8")

    target = Path(directory)
    target.parent.mkdir(parents=True, exist_ok=True)
    token = f"{os.getpid()}.{secrets.token_hex(4)}"
    temporary = target.with_name(f".{target.name}.{token}.tmp")
    temporary.mkdir()
    try:
        for name, data in files.items():
            with open(temporary / name, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
        old = target.with_name(f".{target.name}.{token}.old")
        if target.exists():
            os.replace(target, old)
        os.replace(temporary, target)
        shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(temporary, ignore_errors=True)
        raise


def _read(directory: Path, name: str, checksums: dict[str, str]) -> bytes:
    path = directory / name
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise StateError(f"stream state {directory} is missing {name}") from None
    expected = checksums.get(name)
    if expected is None:
        raise StateError(f"stream state {directory}: manifest has no checksum for {name}")
    if _digest(data) != expected:
        raise StateError(
            f"stream state {directory}: {name} is corrupted (checksum mismatch); "
            "restore it from a backup or start a new stream"
        )
    return data


def load_state(
    cls: type[StreamClusterer],
    directory: str | os.PathLike[str],
    *,
    model: str | Embedder | None = None,
) -> StreamClusterer:
    """Read a state written by :func:`save_state`; raises :class:`StateError` if unreadable."""
    from ._clusterer import _Event

    root = Path(directory)
    if not root.is_dir():
        raise StateError(f"no stream state at {root} (not a directory)")
    try:
        manifest = json.loads((root / _MANIFEST).read_bytes())
    except FileNotFoundError:
        raise StateError(f"stream state {root} is missing {_MANIFEST}") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise StateError(f"stream state {root}: {_MANIFEST} is corrupted ({exc})") from None
    if not isinstance(manifest, dict) or manifest.get("format") != "storycluster.stream":
        raise StateError(f"stream state {root}: {_MANIFEST} is not a storycluster stream state")
    version = manifest.get("format_version")
    if version != FORMAT_VERSION:
        raise StateError(
            f"stream state {root} has format_version {version!r}; this storycluster reads "
            f"version {FORMAT_VERSION} only"
        )
    try:
        checksums = manifest["checksums"]
        arrays: dict[str, np.ndarray] = {}
        for name in _ARRAYS:
            data = _read(root, f"{name}.npy", checksums)
            arrays[name] = np.load(io.BytesIO(data), allow_pickle=False)
        state = json.loads(_read(root, _STATE, checksums))
        params = dict(manifest["params"])
        chosen = model if model is not None else manifest["model"]
        stream = cls(model=chosen if chosen is not None else "", **params)
        stream._articles = [Article.model_validate(a) for a in state["articles"]]
        stream._ids = {a.id: i for i, a in enumerate(stream._articles)}
        dense = arrays["dense"].astype(np.float32)
        stream._dense_buf = dense.copy()
        stream._dense = stream._dense_buf[: dense.shape[0]]
        stream._days = arrays["days"]
        stream._words = arrays["words"].astype(np.int64)
        stream._eff = arrays["eff"]
        stream._mean = arrays["mean"]
        stream._sd = arrays["sd"]
        stream._df_lex = arrays["df_lex"]
        stream._df_ent = arrays["df_ent"]
        stream._lex = _unpack(arrays["lex_indptr"], arrays["lex_indices"], arrays["lex_data"])
        stream._ent = _unpack(arrays["ent_indptr"], arrays["ent_indices"], arrays["ent_data"])
        stream._article_event = list(state["article_event"])
        stream._events = {
            e["id"]: _Event(
                e["id"],
                int(e["seq"]),
                list(e["members"]),
                _unfloat(e["first"]),
                _unfloat(e["last"]),
            )
            for e in state["events"]
        }
        stream._redirect = dict(state["redirect"])
        stream._postings = {int(term): dict.fromkeys(events) for term, events in state["postings"]}
        stream._counter = int(manifest["counter"])
        stream._clock = _unfloat(manifest["clock"])
        stream._reservoir = [int(i) for i in manifest["reservoir"]]
        stream._rng_state = manifest["rng_state"]
        threshold, weights = manifest["threshold_"], manifest["weights_"]
        stream.threshold_ = None if threshold is None else float(threshold)
        stream.weights_ = None if weights is None else SimilarityWeights(**weights)
    except StateError:
        raise
    except (KeyError, TypeError, ValueError, IndexError) as exc:
        raise StateError(f"stream state {root} is inconsistent: {exc!r}") from None
    n = len(stream._articles)
    sizes = {
        len(stream._article_event),
        len(stream._lex),
        len(stream._ent),
        stream._dense.shape[0],
        stream._days.shape[0],
        stream._words.shape[0],
        stream._mean.shape[1],
    }
    if sizes != {n}:
        raise StateError(f"stream state {root} is inconsistent: array lengths {sorted(sizes)}")
    with contextlib.suppress(AttributeError):
        stream._embedder_instance = None
    return stream
