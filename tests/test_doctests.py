"""The examples in the public docstrings run."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "storycluster",
    "storycluster.models",
    "storycluster._features.cache",
    "storycluster.evaluation",
    "storycluster.viz.html",
    "storycluster.batch",
    "storycluster.io._sample",
    "storycluster.testing",
    "storycluster._grouping.ids",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0, f"{result.failed} doctest(s) failed in {name}"
