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
    "ClusterMember",
    "ClusteringResult",
    "DEFAULT_MODEL",
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
    # pandas is not checked: scikit-learn imports it on its own when it is installed.
    code = (
        "import storycluster, sys; "
        "print(sorted(m for m in ('torch', 'sentence_transformers', 'transformers') "
        "if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    assert out.stdout.strip() == "[]"


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
