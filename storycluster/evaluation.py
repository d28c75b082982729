"""Score a clustering of articles against gold event labels.

:func:`evaluate` compares predicted cluster labels with gold labels, one label per item, and
returns an :class:`EvaluationReport` with B-cubed, pairwise, ARI, AMI and V-measure scores.

Both levels of a fit are scored the same way, each against gold labels of its granularity:
``evaluate(model.labels_, gold_events)`` for events and ``evaluate(model.story_labels_,
gold_stories)`` for stories (groups of events; e.g. ECB+ topics, Google News stories, CrisisLex
crises), or event and story ids (``event_id``/``story_id`` columns) just as well.

Labels are arbitrary hashable ids (ints, strings, or one kind for ``pred`` and another for
``gold``); only which items share a label matters. Every distinct label is one cluster: there
is no noise label, so ``-1`` is an ordinary cluster id like any other. Give each unclustered
item its own label if it should count as a singleton.

Everything is computed from the sparse pred x gold contingency table, in O(n + nnz) time and
memory. ARI and V-measure come from scikit-learn. AMI matches scikit-learn's
``adjusted_mutual_info_score`` (arithmetic normalisation), but its expected mutual information
is summed over distinct cluster *sizes* rather than over every pair of clusters: scikit-learn's
loop is O(n_pred_clusters x n_gold_clusters) and takes minutes on 100k items with ~20k events.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict
from scipy.special import gammaln
from sklearn.metrics import adjusted_rand_score, mutual_info_score, v_measure_score
from sklearn.metrics.cluster import contingency_matrix

__all__ = ["EvaluationReport", "evaluate"]


class EvaluationReport(BaseModel):
    """Scores of one predicted clustering against gold labels; all scores lie in [0, 1]
    except ``ari`` and ``ami``, which can fall below 0 for worse-than-chance clusterings."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    n_items: int
    n_pred_clusters: int
    n_gold_clusters: int
    n_pred_singletons: int
    bcubed_precision: float
    bcubed_recall: float
    bcubed_f1: float
    pairwise_precision: float
    pairwise_recall: float
    pairwise_f1: float
    ari: float
    ami: float
    v_measure: float

    def as_dict(self) -> dict[str, float | int]:
        """The fields as a plain ``{name: value}`` dict (ints for counts, floats for scores)."""
        return dict(self.model_dump())

    def to_table(self) -> str:
        """A two-column, aligned plain-text table, one field per line."""
        rows = [
            (k, f"{v:.4f}" if isinstance(v, float) else str(v)) for k, v in self.as_dict().items()
        ]
        key_w = max(len(k) for k, _ in rows)
        val_w = max(len("value"), *(len(v) for _, v in rows))
        lines = [f"{'metric':<{key_w}}  {'value':>{val_w}}", f"{'-' * key_w}  {'-' * val_w}"]
        lines += [f"{k:<{key_w}}  {v:>{val_w}}" for k, v in rows]
        return "\n".join(lines)

    def __repr__(self) -> str:
        parts = (
            f"{k}={v:.4f}" if isinstance(v, float) else f"{k}={v}"
            for k, v in self.as_dict().items()
        )
        return f"EvaluationReport({', '.join(parts)})"

    def __str__(self) -> str:
        return self.to_table()


def _encode(labels: Sequence[Any] | np.ndarray, name: str) -> np.ndarray:
    """Map labels to dense int codes 0..k-1, raising ValueError for non-1-D input."""
    try:
        arr = np.asarray(labels)
    except ValueError as exc:  # ragged nested sequences
        raise ValueError(f"{name} must be a 1-D sequence of hashable labels") from exc
    if arr.ndim != 1:
        raise ValueError(f"{name} must be 1-D, got an array of shape {arr.shape}")
    if arr.dtype == object or (arr.dtype.kind in "US" and not isinstance(labels, np.ndarray)):
        # Mixed Python types: numpy would coerce [1, "1"] to two equal strings, or fail to sort
        # them, so factorize on the original objects instead.
        codes: dict[Any, int] = {}
        return np.fromiter((codes.setdefault(x, len(codes)) for x in labels), np.intp, arr.size)
    return np.unique(arr, return_inverse=True)[1].ravel()


def _f1(p: float, r: float) -> float:
    return 0.0 if p + r == 0 else 2 * p * r / (p + r)


def _pairs(sizes: np.ndarray) -> int:
    sizes = sizes.astype(np.int64)
    return int((sizes * (sizes - 1) // 2).sum())


def _entropy(sizes: np.ndarray, n: int) -> float:
    p = sizes / n
    return float(-(p * np.log(p)).sum())


def _expected_mutual_info(a_sizes: np.ndarray, b_sizes: np.ndarray, n: int) -> float:
    """EMI of two labelings under the hypergeometric model (Vinh et al., 2010).

    Each term depends on the two cluster sizes only, so sum over distinct sizes, weighted by
    how many clusters have each; a labeling has O(sqrt(n)) distinct sizes. Per outer step the
    flattened (b, n_ij) grid has at most sum(distinct b sizes) <= n entries.
    """
    ua, ca = np.unique(a_sizes, return_counts=True)
    ub, cb = np.unique(b_sizes, return_counts=True)
    if ua.size > ub.size:
        ua, ca, ub, cb = ub, cb, ua, ca
    b_all = ub.astype(np.int64)
    const = gammaln(b_all + 1) + gammaln(n - b_all + 1) - gammaln(n + 1)
    emi = 0.0
    for a, count in zip(ua.tolist(), ca.tolist(), strict=True):
        start = np.maximum(1, a + b_all - n)
        length = np.minimum(a, b_all) - start + 1
        idx = np.repeat(np.arange(b_all.size), length)
        nij = start[idx] + np.arange(idx.size) - (np.cumsum(length) - length)[idx]
        b = b_all[idx]
        log_prob = (
            gammaln(a + 1) + gammaln(n - a + 1) + const[idx] - gammaln(nij + 1)
            - gammaln(a - nij + 1) - gammaln(b - nij + 1) - gammaln(n - a - b + nij + 1)
        )  # fmt: skip
        log_ratio = np.log(n) + np.log(nij) - np.log(a) - np.log(b)
        emi += count * float((cb[idx] * nij / n * log_ratio * np.exp(log_prob)).sum())
    return emi


def _ami(table: Any, pred_sizes: np.ndarray, gold_sizes: np.ndarray, n: int) -> float:
    """scikit-learn's adjusted_mutual_info_score (arithmetic mean), with a fast EMI."""
    if pred_sizes.size == 1 or gold_sizes.size == 1:
        return 1.0 if pred_sizes.size == gold_sizes.size else 0.0
    mi = float(mutual_info_score(None, None, contingency=table))
    emi = _expected_mutual_info(gold_sizes, pred_sizes, n)
    normalizer = (_entropy(pred_sizes, n) + _entropy(gold_sizes, n)) / 2
    eps = np.finfo(np.float64).eps
    # As scikit-learn: keep the signs but avoid 0/0 when EMI equals the maximum.
    den, num = normalizer - emi, mi - emi
    den = min(den, -eps) if den < 0 else max(den, eps)
    num = min(num, -eps) if num < 0 else max(num, eps)
    return float(num / den)


def evaluate(
    pred_labels: Sequence[Any] | np.ndarray, gold_labels: Sequence[Any] | np.ndarray
) -> EvaluationReport:
    """Score predicted cluster labels against gold labels (same length, one label per item).

    B-cubed: per item, precision = |pred cluster & gold cluster| / |pred cluster| and recall =
    the same overlap / |gold cluster|, each averaged over items. Pairwise: over unordered item
    pairs, precision = pairs together in both / pairs together in pred, recall = pairs together
    in both / pairs together in gold. Edge cases: if pred has no pairs (all singletons) pairwise
    precision is 1.0; if gold has no pairs pairwise recall is 1.0. Every F1 is the harmonic mean
    of the averaged P and R, and 0.0 when P + R == 0. ARI, AMI and V-measure are scikit-learn's
    (AMI with a faster but equivalent expected-MI sum, see the module docstring).
    There is no noise label: each distinct label (``-1`` included) is one cluster.

    Raises ``ValueError`` if either input is empty or not 1-D, or the lengths differ.

    >>> r = evaluate([0, 0, 1, 1, 1], ["a", "a", "a", "b", "b"])
    >>> round(r.bcubed_precision, 4), round(r.bcubed_recall, 4), r.pairwise_f1
    (0.7333, 0.7333, 0.5)
    """
    pred = _encode(pred_labels, "pred_labels")
    gold = _encode(gold_labels, "gold_labels")
    if pred.size != gold.size:
        raise ValueError(
            f"pred_labels and gold_labels differ in length ({pred.size} vs {gold.size})"
        )
    if pred.size == 0:
        raise ValueError(
            "cannot evaluate an empty clustering: pred_labels and gold_labels are empty"
        )
    n = int(pred.size)

    table = contingency_matrix(gold, pred, sparse=True).tocoo()  # rows: gold, cols: pred
    overlap = table.data.astype(np.float64)
    pred_sizes = np.bincount(pred)
    gold_sizes = np.bincount(gold)

    # sum over items of |P&G|/|P| equals sum over table cells of n_ij^2 / |P|.
    bc_p = float((overlap * overlap / pred_sizes[table.col]).sum() / n)
    bc_r = float((overlap * overlap / gold_sizes[table.row]).sum() / n)

    both = _pairs(table.data)
    pred_pairs, gold_pairs = _pairs(pred_sizes), _pairs(gold_sizes)
    pw_p = 1.0 if pred_pairs == 0 else both / pred_pairs
    pw_r = 1.0 if gold_pairs == 0 else both / gold_pairs

    return EvaluationReport(
        n_items=n,
        n_pred_clusters=int(pred_sizes.size),
        n_gold_clusters=int(gold_sizes.size),
        n_pred_singletons=int((pred_sizes == 1).sum()),
        bcubed_precision=bc_p,
        bcubed_recall=bc_r,
        bcubed_f1=_f1(bc_p, bc_r),
        pairwise_precision=pw_p,
        pairwise_recall=pw_r,
        pairwise_f1=_f1(pw_p, pw_r),
        ari=float(adjusted_rand_score(gold, pred)),
        ami=_ami(table, pred_sizes, gold_sizes, n),
        v_measure=float(v_measure_score(gold, pred)),
    )
