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

import re
from collections.abc import Sequence
from typing import Any

__all__ = ["duplicate_groups", "find_near_duplicates", "normalize_for_dedup", "shingles"]

_WORD_RE = re.compile(r"[^\W_]+")

_INSTALL_HINT = (
    "storycluster.dedup needs the 'datasketch' package for near-duplicate detection: "
    "pip install datasketch"
)


def _import_datasketch() -> tuple[Any, Any]:
    try:
        from datasketch import MinHash, MinHashLSH
    except ImportError as exc:  # pragma: no cover - exercised only without datasketch
        raise ImportError(_INSTALL_HINT) from exc
    return MinHash, MinHashLSH


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
    n = len(texts)
    result: list[str | None] = [None] * n
    if n == 0:
        return result

    MinHash, MinHashLSH = _import_datasketch()

    # The LSH only proposes candidates; a slightly lower LSH threshold trades a few more
    # candidate checks for fewer missed pairs near the threshold.
    lsh = MinHashLSH(threshold=max(0.05, threshold * 0.85), num_perm=num_perm)
    template = MinHash(num_perm=num_perm, seed=seed)

    root_of: list[int] = list(range(n))  # index of each text's original
    first_with_norm: dict[str, int] = {}
    sketches: dict[int, Any] = {}

    for i, text in enumerate(texts):
        toks = _tokens(text or "")
        if not toks:
            continue
        norm = " ".join(toks)
        j = first_with_norm.get(norm)
        if j is not None:
            # Exact copy after normalisation: same original as the first such text.
            root_of[i] = root_of[j]
            result[i] = ids[root_of[j]]
            continue
        first_with_norm[norm] = i

        sh = shingles(toks, shingle_size)
        if len(toks) - shingle_size + 1 < min_shingles:
            continue  # too short for near-duplicate matching: exact copies only

        m = template.copy()
        m.update_batch([s.encode("utf8") for s in sh])

        best: int | None = None
        best_sim = -1.0
        for key in lsh.query(m):
            sim = float(m.jaccard(sketches[key]))
            if sim >= threshold and (sim > best_sim or (sim == best_sim and key < best)):
                best, best_sim = key, sim
        if best is None:
            # A new original: index it so later texts can match it.
            sketches[i] = m
            lsh.insert(i, m, check_duplication=False)
        else:
            root_of[i] = best
            result[i] = ids[best]
    return result


def duplicate_groups(dup_of: Sequence[str | None], ids: Sequence[str]) -> dict[str, list[str]]:
    """Group ids by original: ``{original_id: [original_id, dup_id, ...]}``.

    Only originals that have at least one duplicate appear.  Members are listed in input
    order with the original first.  ``dup_of`` is the output of :func:`find_near_duplicates`.
    """
    if len(dup_of) != len(ids):
        raise ValueError(f"dup_of and ids differ in length: {len(dup_of)} != {len(ids)}")
    groups: dict[str, list[str]] = {}
    for id_, orig in zip(ids, dup_of):
        if orig is None:
            continue
        groups.setdefault(orig, [orig]).append(id_)
    return groups
