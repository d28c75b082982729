"""Scoring variants on the labelled sets, each with its dates and with dates removed (fast).

    HF_HUB_OFFLINE=1 STORYCLUSTER_CACHE=... .venv/bin/python benchmarks/accuracy_dates.py \\
        [--sets gvc,ecbplus,allsides2021,sample,ecb6] [--variants default,time-0.1,...] \\
        [--model NAME_OR_DIR]

The harness behind issue 17 (one default that holds with and without dates). Each set's
features and background are built once, as ``StoryClusterer.fit`` builds them (cleaning,
cached MiniLM embeddings, TF-IDF, background), and every variant then only rescores the pairs
and groups them, so a table of many variants takes seconds per set. B-cubed F1 is printed as
``with dates / dates removed`` (dates removed: every ``published_at`` set to ``None``).

Sets: the names of ``../shared/data`` folders, ``sample`` (the shipped 95-article demo) and
``ecb6`` (four random six-topic subsets of ECB+, seeds 0-3: small corpora of a few topics).
``--model`` embeds with another sentence-transformers model (a name or a local directory)
instead of all-MiniLM-L6-v2. Nothing here is trained: no set is seen in training.

Variants (all with average linkage at the corpus' threshold unless named otherwise):

* ``default``: the shipped scoring.
* ``no-weekdays``: without the weekday evidence (two leads naming weekdays two or more days
  apart lose ``weekday_penalty``, unless published three weeks or more apart);
  ``weekdays-1.0``: with it at twice the default weight; ``weekdays-undated``: only where the
  publication gap is unknown; ``weekdays-all``: for every pair, however far apart.
* ``time-0.1``: the 0.1 time term (weight 1.25, no cap on the gap).
* ``no-size-shift``: without the small-corpus shift of the bar.
* ``threshold+0.5``, ``threshold+1.5``: a higher bar (what dates removed seems to ask for).
* ``density``: each score minus a quarter of the two articles' mean score to their 20 nearest
  neighbours (a local-density background, as HDBSCAN's mutual reachability uses).
* ``hdbscan-eom``, ``hdbscan-leaf``: HDBSCAN (``min_cluster_size=2``) on the default scores
  instead of average linkage; noise points are their own events.
* ``outlets-apart``: two articles of one outlet (``source``) can never be in one event (a score
  of -100): the most that outlet evidence could give where, as in allsides2021, every outlet
  covers an event once (gvc's local stations often cover theirs twice: 18% of its same-event
  pairs share an outlet).
* ``dense-residual``: each dense vector less half the mean of its 20 best-scoring partners'
  (what is particular to the article rather than to its topic), backgrounds measured again.
* ``dense-0.5``, ``dense-0.75``: the dense evidence weighted 0.5 (words and names 0.25 each) or
  0.75 (0.125 each) instead of 0.25 (words 0.5, names 0.25), for corpora of articles.
* ``size-cap-2``: an event larger than twice the corpus' typical event (the median, over
  articles, of the size of the event holding each) is cut into the largest subtrees of the
  average-linkage tree within that size.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

import storycluster as sc
from storycluster._features.features import ArticleFeatures, build_features
from storycluster._features.vectors import make_embedder
from storycluster._grouping.linkage import average_linkage_labels, average_linkage_tree
from storycluster._scoring.similarity import (
    DEFAULT_SHORT_DENSE_WEIGHT,
    DEFAULT_SHORT_LEXICAL_WEIGHT,
    DEFAULT_SHORT_THRESHOLD,
    DEFAULT_THRESHOLD,
    Background,
    SimilarityWeights,
    estimate_background,
    pair_scores,
    scoring_for_corpus,
    weekdays_apart,
)
from storycluster._text.fields import embedding_text
from storycluster._text.preparation import prepare_articles
from storycluster.batch import _with_languages

REPO = Path(__file__).resolve().parents[1]
DATA = REPO.parent / "shared" / "data"
SAMPLE = REPO / "data" / "sample" / "articles.jsonl"


@dataclass
class Corpus:
    name: str
    features: ArticleFeatures
    background: Background
    gold: np.ndarray
    outlets: np.ndarray
    """Each article's ``source``, ``""`` where unknown."""


def _load(name: str, data: Path) -> list[tuple[str, list[sc.Article]]]:
    if name == "sample":
        return [(name, sc.read_jsonl(SAMPLE))]
    if name == "ecb6":
        articles = sc.read_jsonl(data / "ecbplus" / "articles.jsonl")
        topic = [a.id.split("/")[1].split("_")[0] for a in articles]
        topics = sorted(set(topic), key=int)
        out = []
        for seed in range(4):
            chosen = set(np.random.default_rng(seed).choice(topics, size=6, replace=False))
            subset = [a for a, t in zip(articles, topic, strict=True) if t in chosen]
            out.append((f"ecb6-{seed}", subset))
        return out
    return [(name, sc.read_jsonl(data / name / "articles.jsonl"))]


def _corpus(name: str, articles: list[sc.Article], embedder: object) -> Corpus:
    items = _with_languages(articles)
    prepared = prepare_articles(items, clean=True, max_chars=20_000)
    dense = embedder.encode([embedding_text(a, 400) for a in prepared])  # type: ignore[attr-defined]
    features = build_features(prepared, np.asarray(dense, dtype=np.float32), max_chars=20_000)
    gold = np.array([str(a.metadata["event_id"]) for a in items])
    outlets = np.array([a.source or "" for a in items], dtype=object)
    return Corpus(name, features, estimate_background(features), gold, outlets)


def _scoring(
    corpus: Corpus, dated: bool, *, size_shift: bool = True, **weights: float
) -> tuple[ArticleFeatures, SimilarityWeights, float]:
    features = corpus.features
    if not dated:
        features = replace(features, days=np.full(len(features), np.nan))
    base = replace(SimilarityWeights(), **weights)
    short = replace(base, dense=DEFAULT_SHORT_DENSE_WEIGHT, lexical=DEFAULT_SHORT_LEXICAL_WEIGHT)
    scored, threshold = scoring_for_corpus(
        base,
        DEFAULT_THRESHOLD,
        short,
        DEFAULT_SHORT_THRESHOLD,
        words=features.words,
        days=features.days,
        articles=len(features) if size_shift else None,
    )
    return features, scored, threshold


def _scores(corpus: Corpus, dated: bool, **options: object) -> tuple[np.ndarray, float]:
    features, weights, threshold = _scoring(corpus, dated, **options)  # type: ignore[arg-type]
    every = np.arange(len(features))
    return pair_scores(features, corpus.background, every, every, weights), threshold


def _linkage(shift: float = 0.0, **options: object) -> Callable[[Corpus, bool], np.ndarray]:
    def run(corpus: Corpus, dated: bool) -> np.ndarray:
        scores, threshold = _scores(corpus, dated, **options)
        return average_linkage_labels(scores, threshold + shift)

    return run


def _weekdays_where(where: str) -> Callable[[Corpus, bool], np.ndarray]:
    def run(corpus: Corpus, dated: bool) -> np.ndarray:
        scores, threshold = _scores(corpus, dated, weekday_penalty=0.0)
        named = corpus.features.weekday_masks
        apart = weekdays_apart(named[:, None], named[None, :])
        if where == "undated" and dated:
            days = corpus.features.days
            apart &= np.isnan(days[:, None] - days[None, :])
        penalty = SimilarityWeights().weekday_penalty
        return average_linkage_labels(scores - penalty * apart, threshold)

    return run


def _density(corpus: Corpus, dated: bool) -> np.ndarray:
    scores, threshold = _scores(corpus, dated)
    s = scores.astype(np.float64)
    np.fill_diagonal(s, -np.inf)
    k = min(20, len(s) - 1)
    local = -np.sort(-s, axis=1)[:, :k].mean(axis=1)
    np.fill_diagonal(s, 0.0)
    return average_linkage_labels(s - 0.25 * (local[:, None] + local[None, :]) / 2, threshold)


def _hdbscan(method: str) -> Callable[[Corpus, bool], np.ndarray]:
    def run(corpus: Corpus, dated: bool) -> np.ndarray:
        from sklearn.cluster import HDBSCAN

        scores, _ = _scores(corpus, dated)
        s = (scores.astype(np.float64) + scores.T) / 2
        distance = np.clip(s.max() + 1.0 - s, 0.0, None)
        np.fill_diagonal(distance, 0.0)
        labels = HDBSCAN(
            min_cluster_size=2,
            metric="precomputed",
            cluster_selection_method=method,
            copy=True,
        ).fit_predict(distance)
        noise = labels < 0
        labels[noise] = labels.max() + 1 + np.arange(noise.sum())
        return labels

    return run


def _outlets_apart(corpus: Corpus, dated: bool) -> np.ndarray:
    scores, threshold = _scores(corpus, dated)
    known = corpus.outlets != ""
    same = (corpus.outlets[:, None] == corpus.outlets[None, :]) & known[:, None] & known[None, :]
    return average_linkage_labels(scores - 100.0 * same, threshold)


def _dense_residual(corpus: Corpus, dated: bool) -> np.ndarray:
    s = _scores(corpus, dated)[0].astype(np.float64)
    np.fill_diagonal(s, -np.inf)
    best = np.argsort(-s, axis=1)[:, : min(20, len(s) - 1)]
    dense = corpus.features.dense.astype(np.float64)
    residual = dense - 0.5 * dense[best].mean(axis=1)
    residual /= np.linalg.norm(residual, axis=1, keepdims=True)
    features = replace(corpus.features, dense=residual.astype(np.float32))
    background = estimate_background(features)
    return _linkage()(Corpus(corpus.name, features, background, corpus.gold, corpus.outlets), dated)


def _size_cap(times: float) -> Callable[[Corpus, bool], np.ndarray]:
    def run(corpus: Corpus, dated: bool) -> np.ndarray:
        from scipy.cluster.hierarchy import fcluster

        scores, threshold = _scores(corpus, dated)
        tree, offset = average_linkage_tree(scores)
        del scores
        labels = fcluster(tree, t=offset - threshold, criterion="distance")
        size_of = np.bincount(labels)[labels]
        # Merges below the bar whose group stays within the cap; every article then belongs to
        # the highest such merge above it (a subtree of its event).
        n = len(labels)
        keep = (tree[:, 2] <= offset - threshold) & (tree[:, 3] <= times * np.median(size_of))
        top = np.arange(2 * n - 1)
        for step in np.flatnonzero(keep):
            for child in tree[step, :2].astype(np.int64):
                top[child] = n + step
        for node in range(2 * n - 2, -1, -1):
            top[node] = top[top[node]]
        return top[:n]

    return run


VARIANTS: dict[str, Callable[[Corpus, bool], np.ndarray]] = {
    "default": _linkage(),
    "no-weekdays": _linkage(weekday_penalty=0.0),
    "weekdays-1.0": _linkage(weekday_penalty=1.0),
    "weekdays-undated": _weekdays_where("undated"),
    "weekdays-all": _weekdays_where("all"),
    "time-0.1": _linkage(time_penalty=1.25, time_cap_days=None),
    "no-size-shift": _linkage(size_shift=False),
    "threshold+0.5": _linkage(0.5),
    "threshold+1.5": _linkage(1.5),
    "density": _density,
    "hdbscan-eom": _hdbscan("eom"),
    "hdbscan-leaf": _hdbscan("leaf"),
    "outlets-apart": _outlets_apart,
    "dense-residual": _dense_residual,
    "size-cap-2": _size_cap(2.0),
    "dense-0.5": _linkage(dense=0.5, lexical=0.25, entity=0.25),
    "dense-0.75": _linkage(dense=0.75, lexical=0.125, entity=0.125),
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sets", default="gvc,ecbplus,allsides2021,sample,ecb6")
    parser.add_argument("--variants", default=",".join(VARIANTS))
    parser.add_argument("--data", default=str(DATA), help="folder holding <set>/articles.jsonl")
    parser.add_argument(
        "--model", default=sc.DEFAULT_MODEL, help="sentence-transformers model name or directory"
    )
    args = parser.parse_args()
    variants = args.variants.split(",")
    embedder = make_embedder(args.model, batch_size=32, show_progress_bar=False, cache=True)
    corpora: list[Corpus] = []
    for name in args.sets.split(","):
        if name not in ("sample", "ecb6") and not (Path(args.data) / name).is_dir():
            print(f"skipping {name}: not in {args.data}", file=sys.stderr)
            continue
        for label, articles in _load(name, Path(args.data)):
            corpora.append(_corpus(label, articles, embedder))
    print("B³-F1, with dates / dates removed\n")
    print("| variant | " + " | ".join(c.name for c in corpora) + " | s |")
    print("|---" * (len(corpora) + 2) + "|")
    for variant in variants:
        started = time.perf_counter()
        cells = []
        for corpus in corpora:
            f1 = [
                sc.evaluate(VARIANTS[variant](corpus, dated), corpus.gold).bcubed_f1
                for dated in (True, False)
            ]
            cells.append(f"{f1[0]:.3f} / {f1[1]:.3f}")
        elapsed = time.perf_counter() - started
        print(f"| {variant} | " + " | ".join(cells) + f" | {elapsed:.0f} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
