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

__all__ = ["detect_language", "detect_languages"]

_INSTALL_HINT = (
    "storycluster.language needs the 'py3langid' package for language detection: "
    "pip install py3langid"
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
    if sum(ch.isalpha() for ch in cleaned) < min_letters:
        return None
    lang, prob = _get_identifier().classify(cleaned)
    if float(prob) < min_confidence:
        return None
    return str(lang)


def detect_languages(
    texts: Iterable[str | None], *, min_letters: int = 10, min_confidence: float = 0.0
) -> list[str | None]:
    """:func:`detect_language` for each text."""
    return [
        detect_language(t, min_letters=min_letters, min_confidence=min_confidence) for t in texts
    ]
