"""The 0.1 module paths, kept importable for one release with a ``DeprecationWarning``.

storycluster 0.2 moved its implementation into one folder per pipeline stage (``_text``,
``_features``, ``_scoring``, ``_grouping``) and gathered the stream, the views and the engines
into ``stream``, ``viz`` and ``distributed``. ``import storycluster.cleaning`` and its kin still
work until 0.3: a finder placed *after* Python's own finders answers only the old names listed
in :data:`MOVED`, and gives a module that forwards every attribute to the new place. Public
names are re-exported from :mod:`storycluster` itself; import them from there.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import sys
import warnings
from types import ModuleType
from typing import Any

__all__ = ["MOVED", "install", "renamed"]

#: Old module path -> new module path.
MOVED: dict[str, str] = {
    "storycluster.cache": "storycluster._features.cache",
    "storycluster.cleaning": "storycluster._text.cleaning",
    "storycluster.clusterer": "storycluster.batch",
    "storycluster.clustering": "storycluster._grouping.linkage",
    "storycluster.dedup": "storycluster._text.dedup",
    "storycluster.display": "storycluster.viz.html",
    "storycluster.embedding": "storycluster._features.embedding",
    "storycluster.features": "storycluster._features.features",
    "storycluster.language": "storycluster._text.language",
    "storycluster.neighbors": "storycluster._scoring.neighbors",
    "storycluster.persistence": "storycluster.stream._persistence",
    "storycluster.plot": "storycluster.viz.plots",
    "storycluster.preparation": "storycluster._text.preparation",
    "storycluster.ray": "storycluster.distributed.ray",
    "storycluster.representatives": "storycluster._grouping.representatives",
    "storycluster.similarity": "storycluster._scoring.similarity",
    "storycluster.spark": "storycluster.distributed.spark",
    "storycluster.text": "storycluster._text.fields",
}


class _Forwarding(importlib.abc.Loader):
    def __init__(self, new: str) -> None:
        self.new = new

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType | None:
        return None

    def exec_module(self, module: ModuleType) -> None:
        warnings.warn(
            f"{module.__name__} is deprecated since storycluster 0.2 and will be removed in 0.3; "
            f"its public names are in storycluster (the implementation moved to {self.new})",
            DeprecationWarning,
            stacklevel=2,
        )
        target = importlib.import_module(self.new)

        def forward(name: str) -> Any:
            return getattr(target, name)

        module.__getattr__ = forward  # type: ignore[method-assign]
        module.__doc__ = target.__doc__
        setattr(module, "__all__", list(getattr(target, "__all__", [])))  # noqa: B010


class _MovedFinder(importlib.abc.MetaPathFinder):
    def find_spec(
        self, fullname: str, path: Any = None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        new = MOVED.get(fullname)
        if new is None:
            return None
        return importlib.machinery.ModuleSpec(fullname, _Forwarding(new))


def install() -> None:
    """Answer the old module paths (idempotent)."""
    if not any(isinstance(finder, _MovedFinder) for finder in sys.meta_path):
        sys.meta_path.append(_MovedFinder())


def renamed(module: str, names: dict[str, str]) -> Any:
    """A module ``__getattr__`` that answers the 0.1 names in ``names`` (old -> new) with a
    ``DeprecationWarning`` and the object now called ``new`` in ``module``."""

    def __getattr__(name: str) -> Any:
        new = names.get(name)
        if new is None:
            raise AttributeError(f"module {module!r} has no attribute {name!r}")
        warnings.warn(
            f"{module}.{name} is deprecated since storycluster 0.2 and will be removed in 0.3; "
            f"use {new}",
            DeprecationWarning,
            stacklevel=2,
        )
        return getattr(sys.modules[module], new)

    return __getattr__
