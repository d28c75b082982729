"""Tests for storycluster.evaluation: hand-computed cases plus brute-force references."""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import numpy as np
import pytest
from pydantic import ValidationError
from sklearn.metrics import adjusted_mutual_info_score, adjusted_rand_score, v_measure_score

from storycluster.evaluation import EvaluationReport, evaluate

approx = pytest.approx

SCORE_FIELDS = (
    "bcubed_precision",
    "bcubed_recall",
    "bcubed_f1",
    "pairwise_precision",
    "pairwise_recall",
    "pairwise_f1",
    "ari",
    "ami",
    "v_measure",
)


def _brute_force(pred: Sequence[object], gold: Sequence[object]) -> dict[str, float]:
    """O(n^2) reference straight from the definitions (same edge-case conventions)."""
    n = len(pred)
    prec = [sum(pred[i] == pred[j] and gold[i] == gold[j] for j in range(n)) for i in range(n)]
    p_size = [sum(pred[i] == pred[j] for j in range(n)) for i in range(n)]
    g_size = [sum(gold[i] == gold[j] for j in range(n)) for i in range(n)]
    bc_p = sum(prec[i] / p_size[i] for i in range(n)) / n
    bc_r = sum(prec[i] / g_size[i] for i in range(n)) / n
    pairs = list(itertools.combinations(range(n), 2))
    in_pred = sum(pred[i] == pred[j] for i, j in pairs)
    in_gold = sum(gold[i] == gold[j] for i, j in pairs)
    in_both = sum(pred[i] == pred[j] and gold[i] == gold[j] for i, j in pairs)
    pw_p = in_both / in_pred if in_pred else 1.0
    pw_r = in_both / in_gold if in_gold else 1.0

    def f1(p: float, r: float) -> float:
        return 2 * p * r / (p + r) if p + r else 0.0

    return {
        "bcubed_precision": bc_p,
        "bcubed_recall": bc_r,
        "bcubed_f1": f1(bc_p, bc_r),
        "pairwise_precision": pw_p,
        "pairwise_recall": pw_r,
        "pairwise_f1": f1(pw_p, pw_r),
    }


def test_hand_computed_symmetric_case() -> None:
    # pred [0,0,1,1,1] vs gold [0,0,0,1,1]; pred sizes 2,3; gold sizes 3,2.
    # Overlaps: items 0,1 -> (pred0, gold0) = 2; item 2 -> (pred1, gold0) = 1;
    #           items 3,4 -> (pred1, gold1) = 2.
    # B3 P = (2/2 + 2/2 + 1/3 + 2/3 + 2/3) / 5 = (11/3) / 5 = 11/15
    # B3 R = (2/3 + 2/3 + 1/3 + 2/2 + 2/2) / 5 = (11/3) / 5 = 11/15, F1 = 11/15
    # Pairs: both = C(2,2)+C(1,2)+C(2,2) = 2; pred = C(2,2)+C(3,2) = 4; gold = C(3,2)+C(2,2) = 4
    # -> pairwise P = R = F1 = 2/4 = 0.5
    r = evaluate([0, 0, 1, 1, 1], [0, 0, 0, 1, 1])
    assert r.bcubed_precision == approx(11 / 15)
    assert r.bcubed_recall == approx(11 / 15)
    assert r.bcubed_f1 == approx(11 / 15)
    assert r.pairwise_precision == approx(0.5)
    assert r.pairwise_recall == approx(0.5)
    assert r.pairwise_f1 == approx(0.5)
    assert (r.n_items, r.n_pred_clusters, r.n_gold_clusters, r.n_pred_singletons) == (5, 2, 2, 0)


def test_hand_computed_asymmetric_case() -> None:
    # pred [0,0,0,0,1,1] (sizes 4,2) vs gold [0,0,1,1,1,2] (sizes 2,3,1).
    # Overlaps: items 0,1 -> (p0, g0) = 2; items 2,3 -> (p0, g1) = 2;
    #           item 4 -> (p1, g1) = 1; item 5 -> (p1, g2) = 1.
    # B3 P = (2/4 + 2/4 + 2/4 + 2/4 + 1/2 + 1/2) / 6 = 1/2
    # B3 R = (2/2 + 2/2 + 2/3 + 2/3 + 1/3 + 1/1) / 6 = (14/3) / 6 = 7/9
    # B3 F1 = 2 * (1/2)(7/9) / (1/2 + 7/9) = (7/9) / (23/18) = 14/23
    # Pairs: both = C(2,2)+C(2,2) = 2; pred = C(4,2)+C(2,2) = 7; gold = C(2,2)+C(3,2) = 4
    # -> P = 2/7, R = 1/2, F1 = 2 (2/7)(1/2) / (2/7 + 1/2) = (2/7) / (11/14) = 4/11
    r = evaluate([0, 0, 0, 0, 1, 1], [0, 0, 1, 1, 1, 2])
    assert r.bcubed_precision == approx(1 / 2)
    assert r.bcubed_recall == approx(7 / 9)
    assert r.bcubed_f1 == approx(14 / 23)
    assert r.pairwise_precision == approx(2 / 7)
    assert r.pairwise_recall == approx(1 / 2)
    assert r.pairwise_f1 == approx(4 / 11)
    assert (r.n_pred_clusters, r.n_gold_clusters, r.n_pred_singletons) == (2, 3, 0)


@pytest.mark.parametrize(
    "labels", [[0], [0, 0, 0], [0, 1, 2, 3], [3, 3, 1, -1, -1, 7], ["x", "y", "x"]]
)
def test_perfect_clustering_scores_one(labels: list[object]) -> None:
    r = evaluate(labels, labels)
    for name in SCORE_FIELDS:
        assert getattr(r, name) == approx(1.0), name


def test_all_singletons_against_one_gold_cluster() -> None:
    # 4 items, pred all singletons, gold one cluster of 4.
    # B3 P = 1 (each pred cluster is pure); B3 R = (1/4 * 4) / 4 = 1/4;
    # F1 = 2 * 1 * 1/4 / (5/4) = 2/5.
    # Pairwise: pred has no pairs -> P = 1.0 by convention; both = 0 of 6 gold pairs -> R = 0;
    # F1 = 2 * 1 * 0 / 1 = 0.
    r = evaluate([0, 1, 2, 3], [9, 9, 9, 9])
    assert r.bcubed_precision == approx(1.0)
    assert r.bcubed_recall == approx(1 / 4)
    assert r.bcubed_f1 == approx(2 / 5)
    assert r.pairwise_precision == 1.0
    assert r.pairwise_recall == 0.0
    assert r.pairwise_f1 == 0.0
    assert r.n_pred_singletons == 4
    assert r.ami == approx(0.0)


def test_one_big_pred_cluster() -> None:
    # pred one cluster of 4 vs gold [0,0,1,2] (sizes 2,1,1).
    # B3 P = (2/4 + 2/4 + 1/4 + 1/4) / 4 = 3/8; B3 R = 1 (each gold cluster is within pred);
    # F1 = 2 (3/8)(1) / (11/8) = 6/11.
    # Pairwise: pred pairs C(4,2) = 6, gold pairs 1, both 1 -> P = 1/6, R = 1,
    # F1 = 2 (1/6) / (7/6) = 2/7.
    r = evaluate([5, 5, 5, 5], [0, 0, 1, 2])
    assert r.bcubed_precision == approx(3 / 8)
    assert r.bcubed_recall == approx(1.0)
    assert r.bcubed_f1 == approx(6 / 11)
    assert r.pairwise_precision == approx(1 / 6)
    assert r.pairwise_recall == approx(1.0)
    assert r.pairwise_f1 == approx(2 / 7)
    assert r.n_pred_clusters == 1


def test_no_pairs_anywhere_gives_pairwise_one() -> None:
    # Both all singletons: no pairs in pred (P = 1.0) nor gold (R = 1.0).
    r = evaluate([0, 1, 2], ["a", "b", "c"])
    assert (r.pairwise_precision, r.pairwise_recall, r.pairwise_f1) == (1.0, 1.0, 1.0)


def test_minus_one_is_an_ordinary_cluster() -> None:
    # -1 is not noise: the three -1 items form one cluster, exactly as label 7 would.
    with_minus = evaluate([-1, -1, -1, 0], [1, 1, 1, 2])
    with_seven = evaluate([7, 7, 7, 0], [1, 1, 1, 2])
    assert with_minus == with_seven
    assert with_minus.bcubed_f1 == approx(1.0)
    assert with_minus.n_pred_clusters == 2


def test_string_and_mixed_labels() -> None:
    ints = evaluate([0, 0, 1, 1, 1], [0, 0, 0, 1, 1])
    strings = evaluate(["a", "a", "b", "b", "b"], ["x", "x", "x", "y", "y"])
    mixed = evaluate([0, 0, 1, 1, 1], np.array(["x", "x", "x", "y", "y"]))
    assert strings == ints
    assert mixed == ints
    # Within one sequence, 1 and "1" are different labels (numpy would coerce both to "1").
    r = evaluate([1, "1", 1], ["a", "b", "a"])
    assert r.n_pred_clusters == 2
    assert r.bcubed_f1 == approx(1.0)


def test_label_names_and_item_order_do_not_matter() -> None:
    rng = np.random.default_rng(7)
    pred = rng.integers(0, 6, 60)
    gold = rng.integers(0, 4, 60)
    base = evaluate(pred, gold)
    # Rename pred clusters by a random permutation (and to strings), gold clusters by an offset.
    names = rng.permutation(6)
    renamed = evaluate([f"c{names[p]}" for p in pred], gold * 10 - 3)
    order = rng.permutation(60)
    shuffled = evaluate(pred[order], gold[order])
    for other in (renamed, shuffled):
        for name in SCORE_FIELDS:
            assert getattr(other, name) == approx(getattr(base, name)), name


def test_swapping_pred_and_gold_swaps_precision_and_recall() -> None:
    rng = np.random.default_rng(3)
    pred = rng.integers(0, 8, 80)
    gold = rng.integers(0, 5, 80)
    fwd, bwd = evaluate(pred, gold), evaluate(gold, pred)
    assert fwd.bcubed_precision == approx(bwd.bcubed_recall)
    assert fwd.bcubed_recall == approx(bwd.bcubed_precision)
    assert fwd.pairwise_precision == approx(bwd.pairwise_recall)
    assert fwd.pairwise_recall == approx(bwd.pairwise_precision)
    for name in ("bcubed_f1", "pairwise_f1", "ari", "ami", "v_measure"):
        assert getattr(fwd, name) == approx(getattr(bwd, name)), name
    assert (fwd.n_pred_clusters, fwd.n_gold_clusters) == (bwd.n_gold_clusters, bwd.n_pred_clusters)


@pytest.mark.parametrize("n", [1, 2, 3, 7, 20, 60])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_matches_brute_force_and_sklearn(n: int, seed: int) -> None:
    rng = np.random.default_rng(seed * 100 + n)
    k_pred, k_gold = int(rng.integers(1, n + 1)), int(rng.integers(1, n + 1))
    pred = rng.integers(0, k_pred, n).tolist()
    gold = rng.integers(0, k_gold, n).tolist()
    r = evaluate(pred, gold)
    for name, value in _brute_force(pred, gold).items():
        assert getattr(r, name) == approx(value, abs=1e-12), name
    assert r.ari == approx(adjusted_rand_score(gold, pred), abs=1e-12)
    assert r.ami == approx(adjusted_mutual_info_score(gold, pred), abs=1e-9)
    assert r.v_measure == approx(v_measure_score(gold, pred), abs=1e-12)


def test_ami_matches_sklearn_with_many_clusters() -> None:
    # The size-grouped expected-MI sum must agree with sklearn's per-cluster-pair loop.
    rng = np.random.default_rng(11)
    gold = rng.integers(0, 300, 3000)
    pred = np.where(rng.random(3000) < 0.7, gold, rng.integers(0, 400, 3000))
    ami = evaluate(pred, gold).ami
    assert 0.3 < ami < 1.0
    assert ami == approx(adjusted_mutual_info_score(gold, pred), abs=1e-9)


def test_large_input_runs() -> None:
    rng = np.random.default_rng(0)
    n = 100_000
    gold = rng.integers(0, 20_000, n)
    # 80% of items keep their gold event, the rest land in random clusters.
    pred = np.where(rng.random(n) < 0.8, gold, rng.integers(0, 30_000, n))
    r = evaluate(pred, gold)
    assert r.n_items == n
    assert r.n_gold_clusters <= 20_000
    for name in SCORE_FIELDS:
        value = getattr(r, name)
        assert np.isfinite(value), name
        assert -1.0 <= value <= 1.0, name
    assert 0.5 < r.bcubed_f1 < 1.0
    assert 0.5 < r.ami < 1.0


@pytest.mark.parametrize(
    ("pred", "gold", "match"),
    [
        ([0, 1, 2], [0, 1], "differ in length"),
        ([], [], "empty"),
        ([[0, 1], [1, 0]], [[0, 1], [1, 0]], "1-D"),
        (np.zeros((2, 2)), [0, 1, 2, 3], "1-D"),
        ([0, 1], np.zeros((2, 1)), "1-D"),
        (5, [5], "1-D"),
        ([[0], [1, 2]], [0, 1], "1-D"),
    ],
)
def test_invalid_input_raises(pred: object, gold: object, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        evaluate(pred, gold)  # type: ignore[arg-type]


def test_report_is_frozen_and_renders() -> None:
    r = evaluate([0, 0, 1, 1, 1], [0, 0, 0, 1, 1])
    assert isinstance(r, EvaluationReport)
    with pytest.raises(ValidationError):
        r.ari = 0.0  # type: ignore[misc]

    d = r.as_dict()
    assert list(d) == list(EvaluationReport.model_fields)
    assert isinstance(d["n_items"], int)
    assert all(type(d[name]) is float for name in SCORE_FIELDS)

    table = r.to_table()
    lines = table.splitlines()
    assert len(lines) == 2 + len(d)
    assert len({len(line) for line in lines}) == 1  # columns aligned
    assert any(line.startswith("bcubed_f1") and line.endswith("0.7333") for line in lines)
    assert str(r) == table
    assert repr(r).startswith("EvaluationReport(n_items=5, ")
    assert "pairwise_f1=0.5000" in repr(r)
