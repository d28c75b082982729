"""The public surface of ``storycluster``: names, lazy heavy imports, typing marker."""

from __future__ import annotations

import importlib.resources
import subprocess
import sys

import storycluster

EXPECTED_ALL = [
    "Article",
    "ArticleValidationError",
    "Assignment",
    "CachedEmbedder",
    "ClusteringResult",
    "DEFAULT_MODEL",
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


def test_all_is_pinned():
    assert sorted(storycluster.__all__) == EXPECTED_ALL
    assert len(set(storycluster.__all__)) == len(storycluster.__all__)


def test_every_name_importable():
    for name in storycluster.__all__:
        assert getattr(storycluster, name) is not None, name
    namespace: dict[str, object] = {}
    exec("from storycluster import *", namespace)
    assert set(EXPECTED_ALL) <= set(namespace)


def test_version_and_default_model():
    assert storycluster.__version__ == "0.1.0"
    assert storycluster.DEFAULT_MODEL == "all-MiniLM-L6-v2"
    assert issubclass(storycluster.ArticleValidationError, ValueError)


def test_import_does_not_load_heavy_modules():
    # import storycluster loads no third-party package (names load on first use); the model
    # libraries load only when a model embeds, plotting only when a plot is drawn.
    heavy = (
        "torch",
        "sentence_transformers",
        "transformers",
        "sklearn",
        "scipy",
        "pandas",
        "pydantic",
        "datasketch",
        "py3langid",
        "matplotlib",
        "plotly",
    )
    code = f"import storycluster, sys; print(sorted(m for m in {heavy!r} if m in sys.modules))"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    assert out.stdout.strip() == "[]"
    code = (
        "import storycluster as sc, sys; sc.StoryClusterer; sc.StreamClusterer; sc.viz; "
        "print(sorted(m for m in ('torch', 'sentence_transformers', 'transformers', "
        "'matplotlib', 'plotly') if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    assert out.stdout.strip() == "[]"


def test_lazy_names_resolve_and_are_listed():
    assert "StoryClusterer" in dir(storycluster) and "viz" in dir(storycluster)
    assert storycluster.Event is storycluster.models.Event
    assert storycluster.viz.timeline is not None


def test_py_typed_shipped():
    marker = importlib.resources.files("storycluster") / "py.typed"
    assert marker.is_file()


def test_submodule_all_names_exist():
    import importlib

    for module in (
        "_features.cache",
        "_text.cleaning",
        "batch",
        "_features.embedding",
        "evaluation",
        "io",
        "models",
        "stream",
        "viz",
        "distributed",
        "testing",
    ):
        mod = importlib.import_module(f"storycluster.{module}")
        for name in getattr(mod, "__all__", []):
            assert hasattr(mod, name), f"storycluster.{module}.{name}"


def test_old_module_paths_warn_and_forward():
    """The 0.1 paths keep working for one release, with a DeprecationWarning."""
    import importlib
    import warnings

    from storycluster._compat import MOVED

    for old, new in MOVED.items():
        sys.modules.pop(old, None)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            module = importlib.import_module(old)
        assert any(issubclass(w.category, DeprecationWarning) for w in caught), old
        target = importlib.import_module(new)
        for name in getattr(target, "__all__", []):
            assert getattr(module, name) is getattr(target, name), f"{old}.{name}"
        sys.modules.pop(old, None)


def test_old_names_warn_and_forward():
    """The 0.1 names (cluster vocabulary) keep working for one release, with a warning."""
    import pytest

    import storycluster.distributed
    import storycluster.io
    import storycluster.models
    import storycluster.viz

    renamed = [
        (storycluster, "StoryCluster", "Event"),
        (storycluster, "ClusterMember", "EventMember"),
        (storycluster, "clusters_to_dataframe", "events_to_dataframe"),
        (storycluster, "write_clusters_jsonl", "write_events_jsonl"),
        (storycluster.models, "StoryCluster", "Event"),
        (storycluster.models, "ClusterMember", "EventMember"),
        (storycluster.io, "clusters_to_dataframe", "events_to_dataframe"),
        (storycluster.io, "write_clusters_jsonl", "write_events_jsonl"),
        (storycluster.viz, "cluster_html", "event_html"),
        (storycluster.distributed, "story_clusters", "event_objects"),
    ]
    for module, old, new in renamed:
        with pytest.warns(DeprecationWarning, match=new):
            assert getattr(module, old) is getattr(module, new), f"{module.__name__}.{old}"
    with pytest.raises(AttributeError):
        storycluster.NoSuchName  # noqa: B018


def test_old_attributes_warn_and_forward():
    import numpy as np
    import pytest

    articles = [{"id": "a", "title": "Quake hits Nepal"}, {"id": "b", "title": "Rates held"}]
    model = storycluster.StoryClusterer(detect_language=False).fit(articles, embeddings=np.eye(2))
    with pytest.warns(DeprecationWarning, match="events_"):
        assert model.clusters_ is model.events_
    with pytest.warns(DeprecationWarning, match="events"):
        assert model.result_.clusters is model.result_.events
    with pytest.warns(DeprecationWarning, match="events="):
        old = storycluster.ClusteringResult(clusters=[], article_ids=[], labels=[])
    assert old.events == []
