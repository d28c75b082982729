"""Language identification for article texts.

Uses ``py3langid`` (a maintained fork of langid.py): a naive-Bayes byte n-gram model that
ships inside the PyPI package, so it works offline, and is deterministic (no sampling).
URLs, @mentions and e-mail addresses are removed before classification; texts with too
few letters left return ``None``.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable
from typing import Any

import numpy as np

__all__ = ["detect_language", "detect_languages"]

_INSTALL_HINT = (
    "storycluster needs the 'py3langid' package for language detection: pip install py3langid"
)

_NOISE_RE = re.compile(r"https?://\S+|www\.\S+|\S+@\S+\.\S+|@\w+|\brt\b", re.IGNORECASE)

_identifier: Any = None
_lock = threading.Lock()


def _get_identifier() -> Any:
    """The shared py3langid identifier (loaded once; classification is read-only)."""
    global _identifier
    if _identifier is None:
        with _lock:
            if _identifier is None:
                try:
                    from py3langid.langid import MODEL_FILE, LanguageIdentifier
                except ImportError as exc:
                    raise ImportError(_INSTALL_HINT) from exc
                # Our own instance: py3langid.set_languages() elsewhere cannot affect it.
                _identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    return _identifier


def _clean(text: str) -> str:
    return " ".join(_NOISE_RE.sub(" ", text).split())


def _has_letters(text: str, count: int) -> bool:
    """Whether ``text`` holds at least ``count`` alphabetic characters (stops at the count)."""
    if count <= 0:
        return True
    for char in text:
        if char.isalpha():
            count -= 1
            if count == 0:
                return True
    return False


def detect_language(
    text: str | None, *, min_letters: int = 10, min_confidence: float = 0.0
) -> str | None:
    """ISO 639-1 code of the language of ``text``, or ``None``.

    (A few languages without a two-letter code come back as py3langid's three-letter
    ISO 639-3 code, e.g. ``"bcl"``.)

    ``None`` is returned for empty text, for text with fewer than ``min_letters``
    alphabetic characters (after removing URLs and @mentions), and when the detector's
    probability for its best language is below ``min_confidence`` (0 = always answer).
    The result is deterministic.
    """
    if not text:
        return None
    cleaned = _clean(text)
    if not _has_letters(cleaned, min_letters):
        return None
    lang, prob = _get_identifier().classify(cleaned)
    if float(prob) < min_confidence:
        return None
    return str(lang)


def detect_languages(
    texts: Iterable[str | None], *, min_letters: int = 10, min_confidence: float = 0.0
) -> list[str | None]:
    """:func:`detect_language` for each text.

    Each distinct text is classified once, and all of them together: the byte automaton of
    py3langid steps through every text at once and the naive-Bayes scores come from one sparse
    matrix product (the same model and arithmetic as one text at a time, up to the order of a
    float32 sum). That is several times faster on many short texts such as tweets.
    """
    texts = list(texts)
    distinct = list(dict.fromkeys(texts))
    cleaned = {text: _clean(text) for text in distinct if text}
    todo = [text for text, clean in cleaned.items() if _has_letters(clean, min_letters)]
    found: dict[str | None, str | None] = dict.fromkeys(distinct)
    results = _classify_many(_get_identifier(), [cleaned[text] for text in todo]) if todo else []
    for text, (lang, prob) in zip(todo, results, strict=True):
        found[text] = None if float(prob) < min_confidence else str(lang)
    return [found[text] for text in texts]


#: Texts stepped through the byte automaton together (sorted by length, so little padding).
_BATCH = 2048


def _classify_many(identifier: Any, texts: list[str]) -> list[tuple[str, float]]:
    """``identifier.classify`` of each text, computed for all texts together.

    Reads the model arrays of py3langid's ``LanguageIdentifier`` (0.4); when they are not
    there (another version), falls back to one ``classify`` call per text.
    """
    try:
        from scipy import sparse

        encode = identifier._encode
        nextmove = np.frombuffer(identifier.tk_nextmove, dtype=np.uint32).astype(np.int64)
        output = np.asarray(identifier.tk_output, dtype=np.int64)
        rowbase = np.asarray(identifier._rowbase, dtype=np.int64)
        ptc, pc = identifier.nb_ptc, np.asarray(identifier.nb_pc, dtype=np.float32)
        classes, aliases = identifier.nb_classes, identifier._alias_pairs
        if not identifier._norm_probs or identifier.min_confidence is not None:
            raise AttributeError("only the norm_probs model without a cut-off is batched")
    except (AttributeError, TypeError, ValueError):
        return [identifier.classify(text) for text in texts]
    encoded = [encode(text) for text in texts]
    lengths = np.array([len(b) for b in encoded], dtype=np.int64)
    out: list[tuple[str, float]] = [("", 0.0)] * len(texts)
    order = np.argsort(lengths, kind="stable")
    for lo in range(0, len(texts), _BATCH):
        batch = order[lo : lo + _BATCH]
        sizes = lengths[batch]
        width = int(sizes.max()) if batch.size else 0
        grid = np.zeros((batch.size, max(width, 1)), dtype=np.int64)
        for row, index in enumerate(batch.tolist()):
            grid[row, : sizes[row]] = np.frombuffer(encoded[index], dtype=np.uint8)
        # The automaton over all texts at once; texts are sorted by length, so the ones still
        # running at a position are a suffix of the batch.
        state = np.zeros(batch.size, dtype=np.int64)
        rows_hit, features_hit = [], []
        for position in range(width):
            first = int(np.searchsorted(sizes, position, side="right"))
            step = nextmove[rowbase[state[first:]] + grid[first:, position]]
            state[first:] = step
            feature = output[step]
            hit = np.flatnonzero(feature >= 0)
            rows_hit.append(hit + first)
            features_hit.append(feature[hit])
        rows = np.concatenate(rows_hit) if rows_hit else np.zeros(0, dtype=np.int64)
        feats = np.concatenate(features_hit) if features_hit else np.zeros(0, dtype=np.int64)
        # Only the model rows of the features seen, in float32 as py3langid computes them.
        used, column = np.unique(feats, return_inverse=True)
        counts = sparse.csr_matrix(
            (np.ones(rows.size, dtype=np.float32), (rows, column)),
            shape=(batch.size, used.size),
        )
        counts.sum_duplicates()
        counts.data = np.log1p(counts.data)
        has_features = np.diff(counts.indptr) > 0
        scores = np.asarray(counts @ ptc[used].astype(np.float32), dtype=np.float32) + pc
        # Featureless texts score 0 for every class under norm_probs (uniform).
        scores[~has_features] = 0.0
        scores *= (1.0 / np.sqrt(np.maximum(sizes, 1))).astype(np.float32)[:, None]
        scores = np.exp(scores - scores.max(axis=1, keepdims=True))
        scores /= scores.sum(axis=1, keepdims=True)
        for i, j in aliases:
            scores[:, i] += scores[:, j]
            scores[:, j] = 0.0
        best = scores.argmax(axis=1)
        for row, index in enumerate(batch.tolist()):
            out[index] = (classes[best[row]], float(scores[row, best[row]]))
    return out
