"""Both clusterers follow scikit-learn's estimator conventions.

``parametrize_with_checks`` feeds numeric arrays, which a clusterer of articles cannot take, so
the conventions are tested directly: scikit-learn's own checks that need no data (no attributes
set in ``__init__``, ``get_params``/``set_params`` invariance, default-constructible, clone,
repr, no validation in ``__init__``/``set_params``), and our own for what those leave out.
"""

from __future__ import annotations

import inspect

import numpy as np
import pytest
from sklearn.base import BaseEstimator, clone
from sklearn.utils import estimator_checks

import storycluster as sc
from storycluster.testing import HashingEmbedder

ESTIMATORS = [
    pytest.param(sc.StoryClusterer, id="StoryClusterer"),
    pytest.param(sc.StreamClusterer, id="StreamClusterer"),
]
SKLEARN_CHECKS = [
    "check_no_attributes_set_in_init",
    "check_get_params_invariance",
    "check_set_params",
    "check_parameters_default_constructible",
    "check_estimator_cloneable",
    "check_estimator_repr",
    "check_do_not_raise_errors_in_init_or_set_params",
]


def _params(cls: type) -> list[str]:
    return [name for name in inspect.signature(cls.__init__).parameters if name != "self"]


@pytest.mark.parametrize("cls", ESTIMATORS)
@pytest.mark.parametrize("check", SKLEARN_CHECKS)
def test_sklearn_check(cls, check):
    getattr(estimator_checks, check)(cls.__name__, cls())


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_is_a_base_estimator_with_keyword_only_parameters(cls):
    assert issubclass(cls, BaseEstimator)
    signature = inspect.signature(cls.__init__)
    kinds = {p.kind for name, p in signature.parameters.items() if name != "self"}
    assert kinds == {inspect.Parameter.KEYWORD_ONLY}


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_init_stores_its_arguments_untouched(cls):
    embedder = HashingEmbedder(dim=16)
    # Odd values and types are stored as given: validation happens when fitting.
    estimator = cls(model=embedder, threshold=3, lead_chars=-1)
    assert estimator.get_params()["model"] is embedder
    assert estimator.threshold == 3 and type(estimator.threshold) is int
    assert estimator.lead_chars == -1
    assert set(vars(estimator)) == set(_params(cls))  # no state, not even private


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_get_params_set_params_round_trip(cls):
    estimator = cls(threshold=3.5)
    params = estimator.get_params(deep=False)
    assert params == estimator.get_params(deep=True)
    assert sorted(params) == sorted(_params(cls))
    assert cls(**params).get_params() == params
    assert estimator.set_params(threshold=5.5, n_keywords=3) is estimator
    assert (estimator.threshold, estimator.n_keywords) == (5.5, 3)
    with pytest.raises(ValueError, match="Invalid parameter 'treshold'"):
        estimator.set_params(treshold=1.0)


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_clone_gives_an_unfitted_copy_with_the_same_params(cls, event_records, event_vectors):
    estimator = cls(model=HashingEmbedder(dim=16), threshold=3.5)
    if cls is sc.StoryClusterer:
        estimator.fit(event_records, embeddings=event_vectors)
    else:
        estimator.partial_fit(event_records, embeddings=event_vectors)
    copy = clone(estimator)
    assert copy is not estimator
    assert copy.threshold == 3.5
    assert type(copy.model) is HashingEmbedder and copy.model is not estimator.model
    assert set(vars(copy)) == set(_params(cls))


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_repr_shows_changed_parameters(cls):
    assert repr(cls()) == f"{cls.__name__}()"
    assert repr(cls(threshold=3.0)) == f"{cls.__name__}(threshold=3.0)"


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_invalid_parameters_raise_when_fitting(cls, event_records, event_vectors):
    estimator = cls(lead_chars=0)  # accepted by __init__ ...
    with pytest.raises(ValueError, match="lead_chars"):  # ... refused when fitting
        if cls is sc.StoryClusterer:
            estimator.fit(event_records, embeddings=event_vectors)
        else:
            estimator.partial_fit(event_records, embeddings=event_vectors)


def test_fit_returns_self_and_fit_predict_passes_every_fit_argument(event_records, event_vectors):
    fit = inspect.signature(sc.StoryClusterer.fit).parameters
    fit_predict = inspect.signature(sc.StoryClusterer.fit_predict).parameters
    assert list(fit) == list(fit_predict)
    model = sc.StoryClusterer(detect_language=False)
    assert model.fit(event_records, embeddings=event_vectors) is model
    reference = [{**r, "id": f"ref-{r['id']}"} for r in event_records]
    labels = model.fit_predict(
        event_records,
        embeddings=event_vectors,
        reference=reference,
        reference_embeddings=event_vectors,
    )
    expected = sc.StoryClusterer(detect_language=False).fit(
        event_records,
        embeddings=event_vectors,
        reference=reference,
        reference_embeddings=event_vectors,
    )
    np.testing.assert_array_equal(labels, expected.labels_)
