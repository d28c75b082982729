"""Near-duplicate detection for syndicated wire copy.

News agencies' stories are republished by many outlets with only small edits (an added
dateline, a changed word, a trailing "Reporting by ..." line).  :func:`find_near_duplicates`
marks such copies so that the clusterer can treat them as one article.

Method
------
Each text is normalised (case-folded, punctuation stripped, whitespace collapsed) and cut
into overlapping word shingles (``shingle_size`` words each).  A MinHash sketch of the
shingle set is indexed in a :class:`datasketch.MinHashLSH`; every candidate pair the LSH
returns is verified with the MinHash estimate of the Jaccard similarity, which must be
``>= threshold``.

Grouping is *leader* based and deterministic: texts are visited in input order; a text
that matches (verified) one or more earlier *originals* becomes a duplicate of the most
similar of them (ties go to the earliest), otherwise it becomes an original itself.  So

* the original of a group is always its earliest member in input order - callers should
  pass articles in the order they want originals chosen (e.g. sorted by publication time);
* every duplicate points directly at its original (no chains), and is itself verified to
  be similar to that original (similarity is not extended transitively).

Texts with fewer than ``min_shingles`` shingles are too short for a meaningful Jaccard
estimate: they only match exact copies (after normalisation).  Empty texts (nothing left
after normalisation) are never duplicates.
"""

from __future__ import annotations

import functools
import hashlib
import re
import struct
from collections.abc import Sequence
from typing import Any

import numpy as np

__all__ = [
    "duplicate_groups",
    "find_near_duplicates",
    "normalize_for_dedup",
    "shingles",
    "text_sketches",
]

_MERSENNE_PRIME = np.uint64((1 << 61) - 1)
_MAX_HASH = np.uint64((1 << 32) - 1)
_WORD_RE = re.compile(r"[^\W_]+")
# Elements of the (shingles x permutations) blocks of minhash_signatures: two uint64 arrays of
# this size (1 MiB in all) stay in a core's cache between the passes over them.
_BLOCK_ELEMENTS = 1 << 16
_UNPACK_U32 = struct.Struct("<I").unpack_from

_INSTALL_HINT = (
    "storycluster needs the 'datasketch' package for near-duplicate detection: "
    "pip install datasketch"
)


def _import_datasketch() -> tuple[Any, Any, Any]:
    try:
        from datasketch import MinHash, MinHashLSH
        from datasketch.hashfunc import sha1_hash32
    except ImportError as exc:  # pragma: no cover - exercised only without datasketch
        raise ImportError(_INSTALL_HINT) from exc
    return MinHash, MinHashLSH, sha1_hash32


def _tokens(text: str) -> list[str]:
    return _WORD_RE.findall(text.casefold())


def normalize_for_dedup(text: str) -> str:
    """Case-folded words of ``text`` joined by single spaces (punctuation removed)."""
    return " ".join(_tokens(text or ""))


def shingles(tokens: Sequence[str], size: int = 5) -> set[str]:
    """The set of ``size``-word shingles of ``tokens`` (one shingle if there are fewer)."""
    if not tokens:
        return set()
    if len(tokens) <= size:
        return {" ".join(tokens)}
    return {" ".join(tokens[i : i + size]) for i in range(len(tokens) - size + 1)}


def find_near_duplicates(
    texts: Sequence[str],
    ids: Sequence[str],
    *,
    threshold: float = 0.8,
    num_perm: int = 128,
    seed: int = 1,
    shingle_size: int = 5,
    min_shingles: int = 3,
) -> list[str | None]:
    """For each text, the id of the earlier article it is a near-copy of, or ``None``.

    Parameters
    ----------
    texts, ids:
        Article texts and their (unique) ids, in the order in which originals should be
        chosen: within a group of near-copies the earliest one is the original.
    threshold:
        Minimum estimated Jaccard similarity of the word-shingle sets for two texts to be
        near-duplicates.
    num_perm:
        Number of MinHash permutations (more = more accurate estimate, slower).
    seed:
        MinHash seed; the result is deterministic for a given seed.
    shingle_size:
        Words per shingle.
    min_shingles:
        Texts with fewer shingles than this only match exact (normalised) copies.

    Returns
    -------
    list
        ``result[i]`` is the id of the original that ``texts[i]`` duplicates, or ``None``
        if ``texts[i]`` is an original (or empty).  Originals never point anywhere and
        duplicates always point at an original, never at another duplicate.
    """
    if len(texts) != len(ids):
        raise ValueError(f"texts and ids differ in length: {len(texts)} != {len(ids)}")
    if len(set(ids)) != len(ids):
        raise ValueError("ids must be unique")
    if not 0.0 < threshold <= 1.0:
        raise ValueError(f"threshold must be in (0, 1], got {threshold}")
    if shingle_size < 1:
        raise ValueError(f"shingle_size must be >= 1, got {shingle_size}")
    if min_shingles < 1:
        raise ValueError(f"min_shingles must be >= 1, got {min_shingles}")
    n = len(texts)
    result: list[str | None] = [None] * n
    if n == 0:
        return result

    perm_a, perm_b = _permutations(num_perm, seed)
    n_bands, rows = _band_layout(threshold, num_perm)

    root_of: list[int] = list(range(n))  # index of each text's original
    first_with_norm: dict[str, int] = {}
    exact_copies: list[tuple[int, int]] = []  # (text, earlier text with the same words)
    sketch_docs: list[int] = []  # texts that get a MinHash, in input order
    flat_words: list[str] = []  # words of all sketched texts, concatenated
    n_words: list[int] = []

    norms: dict[str, tuple[str, list[str]]] = {}  # each distinct text tokenised once
    for i, text in enumerate(texts):
        text = text or ""
        if text not in norms:
            words = _tokens(text)
            norms[text] = (" ".join(words), words)
        norm, toks = norms[text]
        if not toks:
            continue
        j = first_with_norm.get(norm)
        if j is not None:
            # Exact copy after normalisation: same original as the first such text
            # (resolved at the end, once that text's own original is known).
            exact_copies.append((i, j))
            continue
        first_with_norm[norm] = i
        if len(toks) - shingle_size + 1 < min_shingles:
            continue  # too short for near-duplicate matching: exact copies only
        sketch_docs.append(i)
        flat_words.extend(toks)
        n_words.append(len(toks))

    if sketch_docs:
        sigs = _word_signatures(flat_words, n_words, shingle_size, perm_a, perm_b)

        # LSH banding: one 64-bit key per (text, band); texts sharing a key in any band are
        # candidates.  Bucket collisions of the 64-bit key only add candidates, which are
        # verified below anyway.
        band_keys = _band_keys(sigs, n_bands, rows)
        # A text whose key in every band is its own shares no bucket with any other text: it
        # is an original that no text can match, so only the others go through the loop.
        shared = np.zeros(len(sketch_docs), dtype=bool)
        for band in range(n_bands):
            _, inverse, counts = np.unique(
                band_keys[:, band], return_inverse=True, return_counts=True
            )
            shared |= counts[inverse] > 1
        keys_of = band_keys.tolist()
        buckets: list[dict[int, list[int]]] = [{} for _ in range(n_bands)]
        for pos in np.flatnonzero(shared).tolist():
            keys = keys_of[pos]
            cands: set[int] = set()
            for band, key in enumerate(keys):
                hit = buckets[band].get(key)
                if hit is not None:
                    cands.update(hit)
            best: int | None = None
            if cands:
                cand = np.fromiter(sorted(cands), dtype=np.intp, count=len(cands))
                # MinHash estimate of Jaccard similarity (same as datasketch MinHash.jaccard).
                sims = (sigs[cand] == sigs[pos]).mean(axis=1)
                k = int(np.argmax(sims))  # first maximum = earliest original among ties
                if sims[k] >= threshold:
                    best = int(cand[k])
            i = sketch_docs[pos]
            if best is None:
                # A new original: index it so later texts can match it.
                for band, key in enumerate(keys):
                    buckets[band].setdefault(key, []).append(pos)
            else:
                orig = sketch_docs[best]
                root_of[i] = orig
                result[i] = ids[orig]
    for i, j in exact_copies:
        root_of[i] = root_of[j]
        result[i] = ids[root_of[j]]
    return result


@functools.lru_cache(maxsize=16)
def _permutations(num_perm: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """The ``(a, b)`` permutation parameters of a legacy datasketch MinHash, read-only.

    Remembered: drawing them (and importing datasketch) costs more than sketching a small
    corpus.
    """
    MinHash, _, _ = _import_datasketch()
    template = _legacy_minhash(MinHash, num_perm, seed)
    perm_a, perm_b = (np.array(x, dtype=np.uint64) for x in template.permutations)
    perm_a.flags.writeable = False
    perm_b.flags.writeable = False
    return perm_a, perm_b


@functools.lru_cache(maxsize=16)
def _band_layout(threshold: float, num_perm: int) -> tuple[int, int]:
    """Band layout (b bands of r rows) that MinHashLSH would choose for ``threshold``.

    The LSH threshold is a bit below the verification threshold: a few more candidate
    checks for fewer missed pairs near the threshold.  Remembered: datasketch finds the
    layout by numerical integration over every (b, r), some 50 ms a call.
    """
    _, MinHashLSH, _ = _import_datasketch()
    lsh_params = MinHashLSH(threshold=max(0.05, threshold * 0.85), num_perm=num_perm)
    return int(lsh_params.b), int(lsh_params.r)


def _legacy_minhash(MinHash: Any, num_perm: int, seed: int) -> Any:
    """A MinHash using datasketch's "legacy" permutation scheme (the only one before 2.0)."""
    try:
        return MinHash(num_perm=num_perm, seed=seed, scheme="legacy")
    except TypeError:  # datasketch < 2.0: no ``scheme`` argument, legacy is the only scheme
        return MinHash(num_perm=num_perm, seed=seed)


def _mix64(x: np.ndarray) -> np.ndarray:
    """A 64-bit finaliser (splitmix64-style), applied in place; uint64 wrap-around."""
    x ^= x >> np.uint64(30)
    x *= np.uint64(0xBF58476D1CE4E5B9)
    x ^= x >> np.uint64(27)
    x *= np.uint64(0x94D049BB133111EB)
    x ^= x >> np.uint64(31)
    return x


def _shingle_hashes(
    word_hashes: np.ndarray, n_words: np.ndarray, size: int
) -> tuple[np.ndarray, np.ndarray]:
    """32-bit hashes of every ``size``-word window of every text, concatenated.

    ``word_hashes`` holds the word hashes of all texts back to back (``n_words[d]`` for
    text ``d``; each has at least ``size`` words).  Returns the shingle hashes and the
    offset of each text's first shingle.  A shingle hash depends on its words and their
    order only, so equal shingles in different texts hash equally.
    """
    total = word_hashes.shape[0]
    n_windows = total - size + 1
    with np.errstate(over="ignore"):
        acc = np.full(n_windows, np.uint64(size), dtype=np.uint64)
        for j in range(size):
            acc ^= word_hashes[j : j + n_windows]
            acc = _mix64(acc)
    acc &= _MAX_HASH
    doc_starts = np.concatenate(([0], np.cumsum(n_words)[:-1]))
    n_shingles = n_words - size + 1
    starts = np.concatenate(([0], np.cumsum(n_shingles)[:-1]))
    # Keep the windows that lie inside one text: shingle j of the output, the k-th of text d,
    # is the window at doc_starts[d] + k = j + (doc_starts[d] - starts[d]).
    keep = np.arange(int(n_shingles.sum())) + np.repeat(doc_starts - starts, n_shingles)
    return acc[keep], starts


def _word_signatures(
    flat_words: list[str],
    n_words: list[int],
    shingle_size: int,
    perm_a: np.ndarray,
    perm_b: np.ndarray,
) -> np.ndarray:
    """MinHash signatures (one row per text) of the word shingles of texts given back to back.

    ``flat_words`` holds the words of all texts in turn (``n_words[d]`` for text ``d``, each at
    least ``shingle_size``).
    """
    # datasketch's sha1_hash32 of each distinct word, computed once (inlined: a third
    # faster than calling it).
    sha1 = hashlib.sha1
    word_hash = {
        word: _UNPACK_U32(sha1(word.encode("utf8")).digest())[0] for word in set(flat_words)
    }
    shingle_hashes, starts = _shingle_hashes(
        np.fromiter(map(word_hash.__getitem__, flat_words), dtype=np.uint64),
        np.asarray(n_words, dtype=np.intp),
        shingle_size,
    )
    return minhash_signatures(shingle_hashes, starts, perm_a, perm_b)


def minhash_signatures(
    hashes: np.ndarray, starts: np.ndarray, perm_a: np.ndarray, perm_b: np.ndarray
) -> np.ndarray:
    """MinHash signatures (one row per text) of pre-hashed set elements, vectorised.

    ``hashes[starts[d]:starts[d + 1]]`` are the (32-bit) element hashes of text ``d``, at
    least one per text; ``perm_a``/``perm_b`` are a ``datasketch.MinHash(scheme="legacy")``'s
    permutations.  Row ``d`` equals the ``hashvalues`` of that MinHash after ``update_batch``
    with text ``d``'s elements (given ``hashfunc=lambda h: h``): ``min(((a*h + b) mod
    (2**61 - 1)) & (2**32 - 1))`` with uint64 wrap-around - but in a few large numpy
    operations instead of one Python call per text.

    The (element x permutation) values are worked out in blocks of rows small enough to stay
    in cache through every pass (several times faster than one pass over the whole array per
    operation, which goes to memory each time).  Blocks ignore text boundaries: each block's
    rows are cut at the text starts and block starts into segments, each segment's minimum is
    taken, and a text's signature is the minimum of its segments' minima.
    """
    starts = np.asarray(starts, dtype=np.intp)
    n_docs, n_perm, total = starts.shape[0], perm_a.shape[0], hashes.shape[0]
    if n_docs and (starts[0] != 0 or np.any(np.diff(starts) <= 0) or starts[-1] >= total):
        raise ValueError("every text needs at least one element, starting at starts[0] == 0")
    block = max(1, _BLOCK_ELEMENTS // max(1, n_perm))
    cuts = np.union1d(starts, np.arange(0, total, block))  # segment starts, sorted
    seg_min = np.empty((cuts.shape[0], n_perm), dtype=np.uint64)
    x = np.empty((min(block, total), n_perm), dtype=np.uint64)
    r = np.empty_like(x)
    seg = 0
    with np.errstate(over="ignore"):
        for lo in range(0, total, block):
            hi = min(lo + block, total)
            seg_end = int(np.searchsorted(cuts, hi))
            xb, rb = x[: hi - lo], r[: hi - lo]
            np.multiply(hashes[lo:hi, None], perm_a, out=xb)
            xb += perm_b
            # x mod (2**61 - 1) without a division: fold the top 3 bits onto the low 61 ...
            np.bitwise_and(xb, _MERSENNE_PRIME, out=rb)
            xb >>= np.uint64(61)
            rb += xb
            # ... and subtract the prime once where that reached it: never, but for one
            # value in about 2**58, so one read of the block to rule it out is cheaper.
            if rb.max() >= _MERSENNE_PRIME:
                rb -= _MERSENNE_PRIME * (rb >= _MERSENNE_PRIME)
            rb &= _MAX_HASH
            np.minimum.reduceat(rb, cuts[seg:seg_end] - lo, axis=0, out=seg_min[seg:seg_end])
            seg = seg_end
    if n_docs == 0:
        return np.empty((0, n_perm), dtype=np.uint64)
    return np.minimum.reduceat(seg_min, np.searchsorted(cuts, starts), axis=0)


def _band_keys(sigs: np.ndarray, n_bands: int, rows: int) -> np.ndarray:
    """A 64-bit key per (text, band) from the band's ``rows`` signature values."""
    keys = np.empty((sigs.shape[0], n_bands), dtype=np.uint64)
    mult = np.uint64(0x9E3779B97F4A7C15)
    with np.errstate(over="ignore"):
        for band in range(n_bands):
            block = sigs[:, band * rows : (band + 1) * rows]
            acc = np.full(sigs.shape[0], np.uint64(band + 1), dtype=np.uint64)
            for col in range(block.shape[1]):
                acc = (acc ^ block[:, col]) * mult
                acc ^= acc >> np.uint64(29)
            keys[:, band] = acc
    return keys


def duplicate_groups(dup_of: Sequence[str | None], ids: Sequence[str]) -> dict[str, list[str]]:
    """Group ids by original: ``{original_id: [original_id, dup_id, ...]}``.

    Only originals that have at least one duplicate appear.  Members are listed in input
    order with the original first.  ``dup_of`` is the output of :func:`find_near_duplicates`.
    """
    if len(dup_of) != len(ids):
        raise ValueError(f"dup_of and ids differ in length: {len(dup_of)} != {len(ids)}")
    groups: dict[str, list[str]] = {}
    for id_, orig in zip(ids, dup_of, strict=True):
        if orig is None:
            continue
        groups.setdefault(orig, [orig]).append(id_)
    return groups


def text_sketches(
    texts: Sequence[str],
    *,
    num_perm: int = 128,
    seed: int = 1,
    shingle_size: int = 5,
    min_shingles: int = 3,
) -> tuple[list[bytes], list[np.ndarray | None]]:
    """Per text, what :func:`find_near_duplicates` compares, to test copies one at a time.

    Returns a BLAKE2 key of the normalised words (16 zero bytes for an empty text; equal keys
    are exact copies after normalisation) and the MinHash signature of the word shingles
    (``None`` for a text too short to sketch, which only matches exact copies). Two texts are
    near-duplicates when their keys are equal or the share of equal signature entries (the
    MinHash estimate of their Jaccard similarity) is at least the threshold, as in
    :func:`find_near_duplicates` (without its LSH pre-filter). Used by the stream, which meets
    the members of an event one batch at a time.
    """
    keys: list[bytes] = []
    sigs: list[np.ndarray | None] = [None] * len(texts)
    sketched: list[int] = []
    flat_words: list[str] = []
    n_words: list[int] = []
    for i, text in enumerate(texts):
        words = _tokens(text or "")
        if not words:
            keys.append(bytes(16))
            continue
        keys.append(hashlib.blake2b(" ".join(words).encode("utf-8"), digest_size=16).digest())
        if len(words) - shingle_size + 1 < min_shingles:
            continue
        sketched.append(i)
        flat_words.extend(words)
        n_words.append(len(words))
    if sketched:
        perm_a, perm_b = _permutations(num_perm, seed)
        signatures = _word_signatures(flat_words, n_words, shingle_size, perm_a, perm_b)
        for pos, i in enumerate(sketched):
            sigs[i] = np.array(signatures[pos], dtype=np.uint64)  # a copy, not a view
    return keys, sigs
