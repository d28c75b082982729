"""The scoring row of one article in the stream: what its event needs to score newcomers.

A row holds the article's dense vector, its hashed sublinear term counts (lexical and entity),
its frozen background (mean and standard deviation of each cosine), its day, word count, the
weekdays its lead names, top index terms and near-duplicate sketch. Rows are written to the
store once, when the article arrives, as one binary blob (:func:`pack` / :func:`unpack`); only
the rows that scoring needs (capped members of live events, the background reservoir) stay in
memory.
"""

from __future__ import annotations

import math
import struct
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import sparse

__all__ = ["N_FEATURES", "Row", "csr", "idf", "pack", "unpack", "weighted"]

#: Columns of the hashed lexical and entity vectors (as the old stream; no alternating sign).
N_FEATURES = 2**18
#: As the batch features: above this many documents, terms in more than half of them weigh
#: nothing, and lexical terms seen in a single document link nothing.
_MIN_DOCS_FOR_MAX_DF = 50
_MAX_DF = 0.5
LEXICAL_MIN_DF = 2

_HEADER = struct.Struct("<4sIIIIIddqd?16s")
_MAGIC = b"scr1"


@dataclass
class Row:
    """One article's scoring features (see the module docstring)."""

    row: int
    article_id: str
    dense: np.ndarray  # (dim,) float32
    lex: tuple[np.ndarray, np.ndarray]  # (int32 columns, float32 sublinear counts)
    ent: tuple[np.ndarray, np.ndarray]
    mean: np.ndarray  # (3,) float64
    sd: np.ndarray  # (3,) float64
    day: float  # days since the epoch; NaN when undated
    words: int
    published: float  # POSIX seconds; inf when undated (representative ties)
    original: bool  # not a near-copy of an earlier member of its event
    norm_key: bytes  # BLAKE2 of the normalised dedup text (16 zero bytes: empty)
    sig: np.ndarray | None  # MinHash signature (uint64), None when too short to sketch
    terms: tuple[int, ...]  # top lexical and entity index terms (entity terms offset)
    label: str  # the article's label, should it represent its event
    duplicate_of: str | None = None  # the original's id when a near-copy (stored beside)
    weekdays: int = 0  # weekday names of title and lead (weekday_mask bits); 0 when none


def pack(row: Row) -> bytes:
    """The row as bytes (everything but ``row``, ``article_id`` and ``label``, stored beside)."""
    sig = row.sig if row.sig is not None else np.zeros(0, dtype=np.uint64)
    header = _HEADER.pack(
        _MAGIC,
        row.dense.size,
        row.lex[0].size,
        row.ent[0].size,
        sig.size,
        len(row.terms),
        row.day,
        row.published,
        row.words,
        float(row.weekdays),  # a spare slot of the first format: rows written before read 0
        row.original,
        row.norm_key,
    )
    parts = [
        header,
        np.ascontiguousarray(row.dense, dtype="<f4").tobytes(),
        np.ascontiguousarray(row.lex[0], dtype="<i4").tobytes(),
        np.ascontiguousarray(row.lex[1], dtype="<f4").tobytes(),
        np.ascontiguousarray(row.ent[0], dtype="<i4").tobytes(),
        np.ascontiguousarray(row.ent[1], dtype="<f4").tobytes(),
        np.ascontiguousarray(row.mean, dtype="<f8").tobytes(),
        np.ascontiguousarray(row.sd, dtype="<f8").tobytes(),
        np.ascontiguousarray(sig, dtype="<u8").tobytes(),
        np.asarray(row.terms, dtype="<i8").tobytes(),
    ]
    return b"".join(parts)


def unpack(
    row: int, article_id: str, label: str, data: bytes, duplicate_of: str | None = None
) -> Row:
    """Inverse of :func:`pack`; raises ``ValueError`` on a malformed blob."""
    data = bytes(data)
    if len(data) < _HEADER.size:
        raise ValueError(f"scoring row {row} is truncated")
    (magic, dim, n_lex, n_ent, n_sig, n_terms, day, published, words, weekdays, original, key) = (
        _HEADER.unpack_from(data)
    )
    if magic != _MAGIC:
        raise ValueError(f"scoring row {row} is not a storycluster row")
    offset = _HEADER.size

    def take(dtype: str, count: int) -> np.ndarray:
        nonlocal offset
        size = np.dtype(dtype).itemsize * count
        if offset + size > len(data):
            raise ValueError(f"scoring row {row} is truncated")
        out = np.frombuffer(data, dtype=dtype, count=count, offset=offset).copy()
        offset += size
        return out

    dense = take("<f4", dim).astype(np.float32)
    lex = (take("<i4", n_lex).astype(np.int32), take("<f4", n_lex).astype(np.float32))
    ent = (take("<i4", n_ent).astype(np.int32), take("<f4", n_ent).astype(np.float32))
    mean = take("<f8", 3).astype(np.float64)
    sd = take("<f8", 3).astype(np.float64)
    sig = take("<u8", n_sig).astype(np.uint64) if n_sig else None
    terms = tuple(int(t) for t in take("<i8", n_terms))
    if offset != len(data):
        raise ValueError(f"scoring row {row} has trailing bytes")
    return Row(
        row=row,
        article_id=article_id,
        dense=dense,
        lex=lex,
        ent=ent,
        mean=mean,
        sd=sd,
        day=float(day),
        words=int(words),
        published=float(published),
        original=bool(original),
        norm_key=bytes(key),
        sig=sig,
        terms=terms,
        label=label,
        duplicate_of=duplicate_of,
        weekdays=int(weekdays) if math.isfinite(weekdays) and 0 <= weekdays < 128 else 0,
    )


def sublinear(matrix: sparse.csr_matrix) -> list[tuple[np.ndarray, np.ndarray]]:
    """Per row, the columns and ``1 + log(count)`` of a hashed count matrix."""
    matrix = sparse.csr_matrix(matrix, dtype=np.float32)
    matrix.sum_duplicates()
    rows = []
    for i in range(matrix.shape[0]):
        lo, hi = matrix.indptr[i], matrix.indptr[i + 1]
        rows.append(
            (
                matrix.indices[lo:hi].astype(np.int32),
                (1.0 + np.log(matrix.data[lo:hi])).astype(np.float32),
            )
        )
    return rows


def csr(rows: Sequence[tuple[np.ndarray, np.ndarray]]) -> sparse.csr_matrix:
    """Stack sparse rows into a ``(len(rows), N_FEATURES)`` matrix."""
    lengths = np.array([len(r[0]) for r in rows], dtype=np.int64)
    indptr = np.concatenate([[0], np.cumsum(lengths)])
    if rows and lengths.sum():
        indices = np.concatenate([r[0] for r in rows])
        data = np.concatenate([r[1] for r in rows])
    else:
        indices = np.zeros(0, dtype=np.int32)
        data = np.zeros(0, dtype=np.float32)
    return sparse.csr_matrix((data, indices, indptr), shape=(len(rows), N_FEATURES))


def idf(df: np.ndarray, n_docs: int, *, min_df: int = 1) -> np.ndarray:
    """Smoothed IDF ``log((1 + n) / (1 + df)) + 1`` with the batch features' document-frequency
    rules (from 50 documents on: terms in more than half of them, or in fewer than ``min_df``,
    weigh nothing)."""
    out = (np.log((1.0 + n_docs) / (1.0 + df)) + 1.0).astype(np.float32)
    if n_docs >= _MIN_DOCS_FOR_MAX_DF:
        out[df > _MAX_DF * n_docs] = 0.0
        out[df < min_df] = 0.0
    return out


def weighted(tf: sparse.csr_matrix, weights: np.ndarray) -> sparse.csr_matrix:
    """TF-IDF rows, L2-normalised (as sklearn's ``normalize``: empty rows stay empty)."""
    data = tf.data * weights[tf.indices]
    lengths = np.diff(tf.indptr)
    norms = np.zeros(lengths.size, dtype=np.float32)
    filled = lengths > 0
    if data.size:
        # Sums from each non-empty row's start to the next one's: that row's entries. (The
        # starts of all rows would put an empty last row's start at data.size, out of range.)
        norms[filled] = np.sqrt(np.add.reduceat(data * data, tf.indptr[:-1][filled]))
    norms[norms == 0] = 1.0
    data = data / np.repeat(norms, lengths)
    return sparse.csr_matrix(
        (data.astype(np.float32), tf.indices.copy(), tf.indptr.copy()), shape=tf.shape
    )


def nan_to_none(value: float) -> float | None:
    return None if math.isnan(value) else value
