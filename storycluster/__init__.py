"""storycluster: cluster news articles into events.

>>> import numpy as np
>>> import storycluster as sc
>>> articles = [
...     {"id": "a", "title": "Quake of magnitude 7.8 hits Nepal", "published_at": "2015-04-25"},
...     {"id": "b", "title": "Nepal quake: 7.8, Kathmandu hit", "published_at": "2015-04-25"},
...     {"id": "c", "title": "Central bank holds interest rates", "published_at": "2015-04-29"},
... ]
>>> vectors = np.array([[1.0, 0.1, 0.0], [0.9, 0.2, 0.0], [0.0, 0.1, 1.0]])  # your own embeddings
>>> model = sc.StoryClusterer().fit(articles, embeddings=vectors)
>>> [event.size for event in model.events_]
[2, 1]
>>> model.labels_.tolist()
[0, 0, 1]
"""

from __future__ import annotations

import importlib
import warnings
from typing import TYPE_CHECKING, Any

from . import _compat

__version__ = "0.1.0"

_compat.install()

# Every public name is imported on first use (PEP 562): ``import storycluster`` loads no
# third-party package, so it takes milliseconds; scikit-learn, SciPy, pydantic and pandas load
# with the first name that needs them, torch and sentence-transformers only when a model
# embeds (see benchmarks/import_time.py).
_LAZY: dict[str, str] = {
    "DEFAULT_MODEL": "._features.embedding",
    "Embedder": "._features.embedding",
    "SentenceTransformerEmbedder": "._features.embedding",
    "CachedEmbedder": "._features.cache",
    "ModelFormatError": "._persist.model",
    "StoryClusterer": ".batch",
    "EvaluationReport": ".evaluation",
    "evaluate": ".evaluation",
    "ArticleValidationError": ".io",
    "InputWarning": ".io",
    "articles_from_dataframe": ".io",
    "articles_from_records": ".io",
    "events_to_dataframe": ".io",
    "load_sample": ".io",
    "read_jsonl": ".io",
    "result_to_dataframe": ".io",
    "stories_to_dataframe": ".io",
    "write_assignments_jsonl": ".io",
    "write_events_jsonl": ".io",
    "write_stories_jsonl": ".io",
    "Article": ".models",
    "ClusteringResult": ".models",
    "Event": ".models",
    "EventMatch": ".models",
    "EventMember": ".models",
    "Story": ".models",
    "Assignment": ".stream._clusterer",
    "Merge": ".stream._clusterer",
    "StreamClusterer": ".stream._clusterer",
    "StreamUpdate": ".stream._clusterer",
    "StateError": ".stream._persistence",
}
#: Subpackages reachable as attributes (``sc.viz.timeline(...)``), imported on first use.
_SUBMODULES = frozenset(
    {"batch", "cli", "distributed", "evaluation", "io", "models", "stream", "testing", "viz"}
)
#: 0.1 names, answered with a ``DeprecationWarning`` until 0.3.
_RENAMED: dict[str, str] = {
    "ClusterMember": "EventMember",
    "StoryCluster": "Event",
    "clusters_to_dataframe": "events_to_dataframe",
    "write_clusters_jsonl": "write_events_jsonl",
}

if TYPE_CHECKING:  # what type checkers and IDEs see; at run time __getattr__ imports
    from . import viz as viz
    from ._features.cache import CachedEmbedder
    from ._features.embedding import DEFAULT_MODEL, Embedder, SentenceTransformerEmbedder
    from ._persist.model import ModelFormatError
    from .batch import StoryClusterer
    from .evaluation import EvaluationReport, evaluate
    from .io import (
        ArticleValidationError,
        InputWarning,
        articles_from_dataframe,
        articles_from_records,
        events_to_dataframe,
        load_sample,
        read_jsonl,
        result_to_dataframe,
        stories_to_dataframe,
        write_assignments_jsonl,
        write_events_jsonl,
        write_stories_jsonl,
    )
    from .models import Article, ClusteringResult, Event, EventMatch, EventMember, Story
    from .stream._clusterer import Assignment, Merge, StreamClusterer, StreamUpdate
    from .stream._persistence import StateError


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is not None:
        value = getattr(importlib.import_module(module, __name__), name)
        globals()[name] = value  # later lookups skip this function
        return value
    if name in _SUBMODULES:
        return importlib.import_module(f".{name}", __name__)
    new = _RENAMED.get(name)
    if new is not None:
        warnings.warn(
            f"{__name__}.{name} is deprecated since storycluster 0.2 and will be removed in 0.3; "
            f"use {new}",
            DeprecationWarning,
            stacklevel=2,
        )
        return __getattr__(new)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__, *_SUBMODULES})


__all__ = [
    "DEFAULT_MODEL",
    "Article",
    "ArticleValidationError",
    "Assignment",
    "CachedEmbedder",
    "ClusteringResult",
    "Embedder",
    "EvaluationReport",
    "Event",
    "EventMatch",
    "EventMember",
    "InputWarning",
    "Merge",
    "ModelFormatError",
    "SentenceTransformerEmbedder",
    "StateError",
    "Story",
    "StoryClusterer",
    "StreamClusterer",
    "StreamUpdate",
    "__version__",
    "articles_from_dataframe",
    "articles_from_records",
    "evaluate",
    "events_to_dataframe",
    "load_sample",
    "read_jsonl",
    "result_to_dataframe",
    "stories_to_dataframe",
    "write_assignments_jsonl",
    "write_events_jsonl",
    "write_stories_jsonl",
]
