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

from . import _compat
from . import viz as viz  # sc.viz.document_map(...): plotting modules load on first call
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

__version__ = "0.1.0"

_compat.install()

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

#: 0.1 names, answered with a ``DeprecationWarning`` until 0.3.
__getattr__ = _compat.renamed(
    __name__,
    {
        "ClusterMember": "EventMember",
        "StoryCluster": "Event",
        "clusters_to_dataframe": "events_to_dataframe",
        "write_clusters_jsonl": "write_events_jsonl",
    },
)
