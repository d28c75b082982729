# ruff: noqa: B023  (closures used within the iteration that defines them)
"""Experiment harness for the story level (issue 14): grids of story evidence on labelled sets.

    HF_HUB_OFFLINE=1 python benchmarks/story_grid.py --sets ecbplus

Fits the default event clustering, then groups its events into stories several ways and prints
the story-level B-cubed F1 against the story gold (ecbplus: ``meta.topic_id``; googlenews and
crisislex_t26: ``event_id``). Exploration only; the chosen default lives in the package.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
from scipy import sparse

import storycluster as sc
from storycluster._features.features import ArticleFeatures, build_features
from storycluster._scoring.similarity import estimate_background, pair_scores

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def load(name: str) -> tuple[list[sc.Article], list[str], list[str]]:
    articles = sc.read_jsonl(DATA / name / "articles.jsonl")
    if name == "crisislex_t26":
        idx = np.sort(np.random.default_rng(0).choice(24_580, 6_000, replace=False))
        articles = [articles[i] for i in idx]
    events = [str(a.metadata["event_id"]) for a in articles]
    stories = [str(a.metadata["topic_id"]) for a in articles] if name == "ecbplus" else events
    return articles, events, stories


def merge_history(
    total: np.ndarray, size: np.ndarray, floor: float
) -> list[tuple[int, int, float]]:
    """Weighted average linkage over groups: ``total`` holds sums of pair scores between groups,
    ``size`` their article counts. Returns merges (a, b, mean) until the best mean < floor."""
    total = total.astype(np.float64).copy()
    size = size.astype(np.float64).copy()
    k = size.size
    alive = np.ones(k, dtype=bool)
    mean = total / np.outer(size, size)
    np.fill_diagonal(mean, -np.inf)
    merges = []
    while True:
        flat = int(np.argmax(mean))
        a, b = divmod(flat, k)
        value = mean[a, b]
        if not np.isfinite(value) or value < floor:
            break
        merges.append((a, b, float(value)))
        total[a] += total[b]
        total[:, a] += total[:, b]
        size[a] += size[b]
        alive[b] = False
        mean[b, :] = -np.inf
        mean[:, b] = -np.inf
        row = total[a] / (size[a] * size)
        row[~alive] = -np.inf
        row[a] = -np.inf
        mean[a, :] = row
        mean[:, a] = row
    return merges


def cut(k: int, merges: list[tuple[int, int, float]], threshold: float) -> np.ndarray:
    parent = np.arange(k)

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b, value in merges:
        if value < threshold:
            break
        parent[find(b)] = find(a)
    return np.array([find(x) for x in range(k)])


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sets", default="ecbplus")
    parser.add_argument("--thresholds", default="-0.5,0,0.25,0.5,0.75,1,1.25,1.5,2,2.5,3")
    args = parser.parse_args()
    thresholds = [float(t) for t in args.thresholds.split(",")]
    for name in args.sets.split(","):
        started = time.perf_counter()
        articles, gold_events, gold_stories = load(name)
        model = sc.StoryClusterer(show_progress_bar=False).fit(articles)
        ev = model.labels_
        k = int(ev.max()) + 1
        r = sc.evaluate(ev, gold_events)
        rs = sc.evaluate(ev, gold_stories)
        print(
            f"## {name}: n={len(articles)} events={k} event F1 vs event gold {r.bcubed_f1:.3f}"
            f" vs story gold {rs.bcubed_f1:.3f} (P {rs.bcubed_precision:.3f}) "
            f"threshold {model.threshold_:.2f} weights {model.weights_} "
            f"fit {time.perf_counter() - started:.0f}s",
            flush=True,
        )
        # Rebuild features and background as fit does (no reference).
        from storycluster._text.preparation import prepare_articles
        from storycluster.batch import _with_languages

        prepared = prepare_articles(_with_languages(articles), clean=True, max_chars=20_000)
        features = build_features(prepared, model.embeddings_, max_chars=20_000)
        background = estimate_background(features)
        n = len(articles)
        idx = np.arange(n)
        text_w = replace(model.weights_, time_penalty=0.0)
        s0 = np.empty((n, n), dtype=np.float32)
        step = 2000
        for lo in range(0, n, step):
            s0[lo : lo + step] = pair_scores(features, background, idx[lo : lo + step], idx, text_w)
        days = features.days
        print(
            f"  scores {time.perf_counter() - started:.0f}s, dated {np.isfinite(days).mean():.2f}",
            flush=True,
        )
        member = sparse.csr_matrix((np.ones(n), (idx, ev)), shape=(n, k))
        sizes = np.bincount(ev, minlength=k)

        def report(tag: str, total: np.ndarray, weights: np.ndarray) -> None:
            merges = merge_history(total, weights, min(thresholds))
            cells = []
            for t in thresholds:
                story = cut(k, merges, t)[ev]
                rep = sc.evaluate(story, gold_stories)
                cells.append(f"{t:g}:{rep.bcubed_f1:.3f}/{len(set(story.tolist()))}")
            print(f"  {tag:40s} " + " ".join(cells), flush=True)

        def time_terms(penalty: float, scale: float) -> np.ndarray:
            out = np.zeros((n, n), dtype=np.float32)
            if penalty:
                for lo in range(0, n, step):
                    gap = np.abs(days[lo : lo + step, None] - days[None, :])
                    term = np.log1p(scale) - np.log1p(gap)
                    out[lo : lo + step] = penalty * np.nan_to_num(term, nan=0.0)
            return out

        for penalty, scale in [
            (0.0, 0),
            (1.25, model.weights_.time_scale_days),
            (0.5, 14),
            (0.5, 30),
            (1.0, 30),
            (0.25, 30),
        ]:
            s = s0 + time_terms(penalty, scale) if penalty else s0
            total = np.asarray((member.T @ (member.T @ s).T).T) if False else None
            ms = np.asarray(member.T @ s)  # k x n
            total = np.asarray(member.T @ ms.T).T
            report(f"meanpair time {penalty}x{scale:.1f}d", total, sizes)
            del s, ms
        # Centroid evidence: events as documents through the shared scoring.
        lex = sparse.csr_matrix(member.T @ features.lexical)
        ent = sparse.csr_matrix(member.T @ features.entities)

        def l2(m: sparse.csr_matrix) -> sparse.csr_matrix:
            norms = np.sqrt(np.asarray(m.multiply(m).sum(axis=1)).ravel())
            return sparse.csr_matrix(sparse.diags(1 / np.maximum(norms, 1e-12)) @ m)

        dense = np.asarray(member.T @ features.dense)
        dense /= np.maximum(np.linalg.norm(dense, axis=1, keepdims=True), 1e-12)
        ev_days = np.array(
            [
                np.nanmedian(days[ev == c]) if np.isfinite(days[ev == c]).any() else np.nan
                for c in range(k)
            ]
        )
        ef = ArticleFeatures(
            dense=dense.astype(np.float32),
            lexical=l2(lex).astype(np.float32),
            entities=l2(ent).astype(np.float32),
            days=ev_days,
            vocabulary=features.vocabulary,
            words=np.asarray(member.T @ features.words).astype(np.int64),
        )
        eb = estimate_background(ef)
        kidx = np.arange(k)
        for wname, w in [
            ("event-w", model.weights_),
            (
                "dense.5 lex.25 ent.25",
                replace(model.weights_, dense=0.5, lexical=0.25, entity=0.25),
            ),
            ("dense.25 lex.5", replace(model.weights_, dense=0.25, lexical=0.5, entity=0.25)),
        ]:
            for penalty, scale in [(0.0, 0.0), (0.5, 30.0), (1.0, 30.0)]:
                cw = replace(w, time_penalty=penalty, time_scale_days=scale)
                cs = pair_scores(ef, eb, kidx, kidx, cw).astype(np.float64)
                report(f"centroid {wname} time {penalty}x{scale:g}", cs, np.ones(k))
    return 0


if __name__ == "__main__":
    sys.exit(main())
