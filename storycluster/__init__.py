"""storycluster: cluster news articles into events.

>>> import storycluster as sc
>>> sorted(sc.__all__)[:3]
['Article', 'ArticleValidationError', 'ClusterMember']
"""

from __future__ import annotations

from .clusterer import StoryClusterer
from .embedding import DEFAULT_MODEL, Embedder, SentenceTransformerEmbedder
from .evaluation import EvaluationReport, evaluate
from .io import (
    ArticleValidationError,
    articles_from_dataframe,
    articles_from_records,
    clusters_to_dataframe,
    read_jsonl,
    result_to_dataframe,
    write_assignments_jsonl,
    write_clusters_jsonl,
)
from .models import Article, ClusteringResult, ClusterMember, StoryCluster
from .persistence import StateError
from .stream import Assignment, Merge, StreamClusterer, StreamUpdate

__version__ = "0.1.0"

__all__ = [
    "DEFAULT_MODEL",
    "Article",
    "ArticleValidationError",
    "Assignment",
    "ClusterMember",
    "ClusteringResult",
    "Embedder",
    "EvaluationReport",
    "Merge",
    "SentenceTransformerEmbedder",
    "StateError",
    "StoryCluster",
    "StoryClusterer",
    "StreamClusterer",
    "StreamUpdate",
    "__version__",
    "articles_from_dataframe",
    "articles_from_records",
    "clusters_to_dataframe",
    "evaluate",
    "read_jsonl",
    "result_to_dataframe",
    "write_assignments_jsonl",
    "write_clusters_jsonl",
]
