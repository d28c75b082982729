# ruff: noqa: B023  (closures used within the iteration that defines them)
"""Story-grid v3: other ways to group the default's events into stories (issue 14's googlenews bar).

    HF_HUB_OFFLINE=1 STORYCLUSTER_CACHE=... python benchmarks/story_grid3.py \
        --sets ecbplus,crisislex_t26,googlenews

Fits the default ``StoryClusterer`` once per set, takes the story scores of every article pair
(``model.story_weights_``: the event evidence with the story time term) and reduces them to
event pairs (sums, maxima, each article's best match in each event), then prints the story-level
B-cubed F1 of each variant over a grid of thresholds, one row per variant. The first row is the
default (average linkage over the articles, each event kept whole). Exploration only: the chosen
default lives in :mod:`storycluster._grouping.stories`. The last rows add second-order evidence
(events alike in which events they resemble, events sharing nearest events, LSA centroids).
Needs the ``(n, k)`` best-match matrix in memory (googlenews: 11,109 x 639).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
from scipy import sparse

import storycluster as sc
from storycluster._scoring.similarity import Background, pair_scores
from storycluster.batch import StoryClusterer, _id_order

sys.path.insert(0, "benchmarks")
from story_grid import cut, load

Merges = list[tuple[int, int, float]]


def fitted(articles: list[sc.Article]) -> tuple[StoryClusterer, Any, Any]:
    """The default fit, with the features and background it scored with, in input order."""
    seen: dict[str, Any] = {}
    original = StoryClusterer._features

    def keep(self: StoryClusterer, *args: Any, **kwargs: Any) -> Any:
        result = original(self, *args, **kwargs)
        seen["features"] = result
        return result

    StoryClusterer._features = keep  # type: ignore[method-assign]
    try:
        model = StoryClusterer(show_progress_bar=False).fit(articles)
    finally:
        StoryClusterer._features = original  # type: ignore[method-assign]
    features, background = seen["features"][:2]
    # The fit works in id order; give the features back in input order, as its labels are.
    back = np.argsort(_id_order(articles))
    features = features.take(back)
    background = Background(mean=background.mean[:, back], sd=background.sd[:, back])
    return model, features, background


def event_score_blocks(
    model: StoryClusterer, features: Any, background: Any, max_rows: int = 800
) -> Iterator[tuple[int, int, np.ndarray, np.ndarray, np.ndarray]]:
    """The story scores of the fit's articles, grouped by event, against all of them, a few
    events at a time: ``(first, last, rows, scores, starts)`` for the events ``first`` to
    ``last - 1``, whose articles ``rows`` (at most ``max_rows``, unless one event has more)
    give the float64 ``scores`` rows; columns are the articles grouped by event, event ``e``'s
    starting at ``starts[e]``."""
    ev = np.asarray(model.labels_, dtype=np.int64)
    k = int(ev.max()) + 1
    order = np.argsort(ev, kind="stable")
    starts = np.flatnonzero(np.r_[True, ev[order][1:] != ev[order][:-1]])
    ends = np.r_[starts[1:], ev.size]
    first = 0
    while first < k:
        last = first + 1
        while last < k and ends[last] - starts[first] <= max_rows:
            last += 1
        rows = order[starts[first] : ends[last - 1]]
        scores = pair_scores(features, background, rows, order, model.story_weights_)
        yield first, last, rows, scores.astype(np.float64), starts
        first = last


def ratio_linkage(
    total: np.ndarray, size: np.ndarray, den: Callable[[Any, Any], Any], floor: float
) -> Merges:
    """Greedy agglomeration of groups by ``total(G, H) / den(size G, size H)``, ``total`` additive
    over members (average linkage when ``den`` is the product of the sizes)."""
    k = size.size
    tot = total.astype(np.float64).copy()
    size = size.astype(np.float64).copy()
    alive = np.ones(k, dtype=bool)
    cur = tot / den(size[:, None], size[None, :])
    np.fill_diagonal(cur, -np.inf)
    merges: Merges = []
    while True:
        a, b = divmod(int(np.argmax(cur)), k)
        value = cur[a, b]
        if not np.isfinite(value) or value < floor:
            return merges
        merges.append((a, b, float(value)))
        tot[a] += tot[b]
        tot[:, a] += tot[:, b]
        size[a] += size[b]
        alive[b] = False
        row = tot[a] / den(size[a], size)
        row[~alive] = -np.inf
        row[a] = -np.inf
        cur[b, :] = cur[:, b] = -np.inf
        cur[a, :] = cur[:, a] = row


def single_linkage(sim: np.ndarray, floor: float) -> Merges:
    k = sim.shape[0]
    cur = sim.astype(np.float64).copy()
    np.fill_diagonal(cur, -np.inf)
    alive = np.ones(k, dtype=bool)
    merges: Merges = []
    while True:
        a, b = divmod(int(np.argmax(cur)), k)
        value = cur[a, b]
        if not np.isfinite(value) or value < floor:
            return merges
        merges.append((a, b, float(value)))
        row = np.maximum(cur[a], cur[b])
        alive[b] = False
        row[~alive] = -np.inf
        row[a] = -np.inf
        cur[b, :] = cur[:, b] = -np.inf
        cur[a, :] = cur[:, a] = row


def nearest_match_linkage(best: np.ndarray, ev: np.ndarray, k: int, floor: float) -> Merges:
    """Groups merge by the mean, over the articles of both, of each article's best story score
    in the other group."""
    best = best.astype(np.float64).copy()
    n = ev.size
    member = sparse.csr_matrix((np.ones(n), (np.arange(n), ev)), shape=(n, k))
    sums = np.asarray(member.T @ best)
    size = np.bincount(ev, minlength=k).astype(np.float64)
    group = ev.copy()
    alive = np.ones(k, dtype=bool)
    cur = (sums + sums.T) / (size[:, None] + size[None, :])
    np.fill_diagonal(cur, -np.inf)
    merges: Merges = []
    while True:
        a, b = divmod(int(np.argmax(cur)), k)
        value = cur[a, b]
        if not np.isfinite(value) or value < floor:
            return merges
        merges.append((a, b, float(value)))
        best[:, a] = np.maximum(best[:, a], best[:, b])
        best[:, b] = -np.inf
        group[group == b] = a
        size[a] += size[b]
        alive[b] = False
        sums[a] += sums[b]
        sums[b] = 0
        sums[:, a] = np.bincount(group, weights=best[:, a], minlength=k)
        sums[:, b] = 0
        row = (sums[a] + sums[:, a]) / (size[a] + size)
        row[~alive] = -np.inf
        row[a] = -np.inf
        cur[b, :] = cur[:, b] = -np.inf
        cur[a, :] = cur[:, a] = row


def l2(matrix: Any) -> Any:
    if sparse.issparse(matrix):
        norms = np.sqrt(np.asarray(matrix.multiply(matrix).sum(axis=1)).ravel())
        return sparse.csr_matrix(sparse.diags(1 / np.maximum(norms, 1e-12)) @ matrix)
    return matrix / np.maximum(np.linalg.norm(matrix, axis=1, keepdims=True), 1e-12)


def cosines(matrix: Any) -> np.ndarray:
    unit = l2(matrix)
    out = unit @ unit.T
    return np.asarray(out.toarray() if sparse.issparse(out) else out)


def corpus_z(sim: np.ndarray) -> np.ndarray:
    """Each pair standardised against both events' distributions over all other events."""
    k = sim.shape[0]
    off = ~np.eye(k, dtype=bool)
    mean = np.array([sim[i][off[i]].mean() for i in range(k)])
    sd = np.array([sim[i][off[i]].std() for i in range(k)])
    centre = (mean[:, None] + mean[None, :]) / 2
    spread = np.sqrt((sd[:, None] ** 2 + sd[None, :] ** 2) / 2)
    return (sim - centre) / np.maximum(spread, 1e-6)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sets", default="ecbplus,crisislex_t26,googlenews")
    parser.add_argument("--thresholds", default="0.5,0.75,1,1.25,1.5,1.75,2,2.5,3,3.5,4,5")
    args = parser.parse_args()
    thresholds = [float(t) for t in args.thresholds.split(",")]
    low = min(thresholds)
    for name in args.sets.split(","):
        articles, _gold_events, gold = load(name)
        model, features, background = fitted(articles)
        ev = model.labels_
        k = int(ev.max()) + 1
        n = ev.size
        default = sc.evaluate(model.story_labels_, gold).bcubed_f1
        print(f"## {name}: n={n} events={k} default {default:.4f}", flush=True)
        # Event-pair sums and maxima of the story scores, and each article's best match per event.
        total = np.zeros((k, k))
        peak = np.full((k, k), -np.inf)
        best = np.zeros((n, k), dtype=np.float32)
        for first, last, rows, s, starts in event_score_blocks(model, features, background):
            col_sum = np.add.reduceat(s, starts, axis=1)
            col_max = np.maximum.reduceat(s, starts, axis=1)
            best[rows] = col_max
            offsets = starts[first:last] - starts[first]
            total[first:last] = np.add.reduceat(col_sum, offsets, axis=0)
            peak[first:last] = np.maximum.reduceat(col_max, offsets, axis=0)
        sizes = np.bincount(ev, minlength=k).astype(np.float64)
        mean = total / np.outer(sizes, sizes)
        member = sparse.csr_matrix((np.ones(n), (np.arange(n), ev)), shape=(n, k))
        dense_z = corpus_z(cosines(np.asarray(member.T @ features.dense)))
        lex_z = corpus_z(cosines(sparse.csr_matrix(member.T @ features.lexical)))
        ent_z = corpus_z(cosines(sparse.csr_matrix(member.T @ features.entities)))

        def report(tag: str, merges: Merges, of_event: Callable[[np.ndarray], np.ndarray]) -> None:
            cells = []
            for t in thresholds:
                story = of_event(cut(k, merges, t))[ev]
                cells.append(f"{t:g}:{sc.evaluate(story, gold).bcubed_f1:.3f}")
            print(f"  {tag:34s} " + " ".join(cells), flush=True)

        def same(labels: np.ndarray) -> np.ndarray:
            return labels

        def product(a: Any, b: Any) -> Any:
            return a * b

        report("average, articles (default)", ratio_linkage(total, sizes, product, low), same)
        for power in (0.0, 0.5, 0.75):
            w = sizes**power
            report(
                f"average, events weighted size^{power:g}",
                ratio_linkage(mean * np.outer(w, w), w, product, low),
                same,
            )
        for c in (1, 4, 16):
            report(
                f"average, mean shrunk (pairs + {c})",
                ratio_linkage(total, sizes, lambda a, b: a * b + c, low),
                same,
            )
        others = mean.copy()
        np.fill_diagonal(others, -np.inf)
        for top in (5, 20):
            # Hubness (CSLS): the mean less half the events' mean score to their best partners.
            hub = -np.sort(-others, axis=1)[:, :top].mean(axis=1)
            for lam in (0.25, 0.5):
                local = mean - lam * ((hub[:, None] + hub[None, :]) / 2 - np.median(hub))
                report(
                    f"average, hubness {lam:g} x top-{top}",
                    ratio_linkage(local * np.outer(sizes, sizes), sizes, product, low),
                    same,
                )
        report("single linkage on the pair maximum", single_linkage(peak, low), same)
        report("nearest match (mean best score)", nearest_match_linkage(best, ev, k, low), same)
        for tag, (wd, wl, we) in {
            "dense": (1, 0, 0),
            "words": (0, 1, 0),
            "names": (0, 0, 1),
            "dense .5 words .25 names .25": (0.5, 0.25, 0.25),
        }.items():
            z = (wd * dense_z + wl * lex_z + we * ent_z) / (wd + wl + we)
            report(
                f"centroid z {tag}",
                ratio_linkage(z, np.ones(k), product, low),
                same,
            )
        for beta in (0.1, 0.25):
            report(
                f"average + {beta:g} x centroid words z",
                ratio_linkage((mean + beta * lex_z) * np.outer(sizes, sizes), sizes, product, low),
                same,
            )
        for m in (20, 50):
            # kNN votes: article i votes for the event of each of its m best partners.
            votes = np.zeros((k, k))
            for lo in range(0, n, 1000):
                rows = np.arange(lo, min(lo + 1000, n))
                s = pair_scores(features, background, rows, np.arange(n), model.story_weights_)
                s[np.arange(rows.size), rows] = -np.inf
                top = np.argpartition(-s, m, axis=1)[:, :m]
                np.add.at(votes, (np.repeat(ev[rows], m), ev[top.ravel()]), 1.0)
            votes += votes.T
            merges = ratio_linkage(votes, sizes, lambda a, b: m * (a + b), 0.0)
            cells = []
            for t in (0.02, 0.05, 0.1, 0.2):
                story = cut(k, merges, t)[ev]
                cells.append(f"{t:g}:{sc.evaluate(story, gold).bcubed_f1:.3f}")
            print(f"  {'kNN votes m=' + str(m):34s} " + " ".join(cells), flush=True)
        for first_cut in (2.0, 2.5):
            # Two stages: confident stories at first_cut, then stories merged as units.
            stage = cut(k, ratio_linkage(total, sizes, product, first_cut), first_cut)
            units, inverse = np.unique(stage, return_inverse=True)
            to_unit = sparse.csr_matrix(
                (np.ones(k), (np.arange(k), inverse)), shape=(k, units.size)
            )
            unit_total = np.asarray(to_unit.T @ (to_unit.T @ total).T)
            unit_sizes = np.asarray(to_unit.T @ sizes).ravel()
            unit_mean = unit_total / np.outer(unit_sizes, unit_sizes)
            merges = ratio_linkage(unit_mean, np.ones(units.size), product, low)
            cells = []
            for t in thresholds:
                story = cut(units.size, merges, t)[inverse][ev]
                cells.append(f"{t:g}:{sc.evaluate(story, gold).bcubed_f1:.3f}")
            print(f"  {'two stages at ' + str(first_cut):34s} " + " ".join(cells), flush=True)
        # Second-order evidence: events alike in whom they resemble (their rows of mean scores),
        # events sharing nearest events, and event centroids in the corpus' own LSA space.
        off = mean.copy()
        np.fill_diagonal(off, np.nan)
        row_z = (off - np.nanmean(off, 1, keepdims=True)) / np.nanstd(off, 1, keepdims=True)
        profile = corpus_z(cosines(np.nan_to_num(row_z)))
        nearest = np.argsort(-np.nan_to_num(off, nan=-np.inf), axis=1)[:, :30]
        shared = np.zeros((k, k))
        shared[np.repeat(np.arange(k), 30), nearest.ravel()] = 1.0
        snn = corpus_z(shared @ shared.T / 30)
        from sklearn.decomposition import TruncatedSVD

        lsa = TruncatedSVD(300, random_state=0).fit_transform(features.lexical)
        lsa_z = corpus_z(cosines(np.asarray(member.T @ l2(lsa))))
        for tag, extra in (
            ("profile z", profile),
            ("shared nearest 30 z", snn),
            ("LSA-300 centroid z", lsa_z),
        ):
            for beta in (0.1, 0.25):
                mixed = (mean + beta * extra) * np.outer(sizes, sizes)
                report(
                    f"average + {beta:g} x {tag}",
                    ratio_linkage(mixed, sizes, product, low),
                    same,
                )
    return 0


if __name__ == "__main__":
    sys.exit(main())
