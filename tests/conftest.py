"""Shared fixtures: the real model loaded once, an embedding cache, the labelled data sets."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
DATA = SHARED / "data"
SEEDS = SHARED / "seeds"
SAMPLE = REPO / "data" / "sample" / "articles.jsonl"

# The packaged model must load with no network; embeddings are cached across test runs.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("STORYCLUSTER_CACHE", str(REPO / ".cache" / "test-embeddings"))


def dataset_path(name: str) -> Path:
    """Path of ``../shared/data/<name>/articles.jsonl``, skipping the test when it is absent."""
    path = DATA / name / "articles.jsonl"
    if not path.is_file():
        pytest.skip(
            f"labelled set {name!r} not found at {path} (needs ../shared/data beside the repo)"
        )
    return path


@pytest.fixture(scope="session")
def embedder():
    """The real all-MiniLM-L6-v2, loaded once per session, behind the on-disk cache."""
    from storycluster.cache import CachedEmbedder
    from storycluster.embedding import SentenceTransformerEmbedder

    return CachedEmbedder(SentenceTransformerEmbedder(show_progress_bar=False))
