"""Clustering time and peak memory at 10k, 30k and 100k articles, embeddings precomputed.

    HF_HUB_OFFLINE=1 .venv/bin/python benchmarks/scale.py [--sizes 10000,30000,100000] [--hdbscan]

Embeddings are read from the on-disk cache in ``$STORYCLUSTER_CACHE`` (default here: the test
suite's ``.cache/test-embeddings``, which holds them), so only a cold cache embeds.

The corpus: CrisisLexT26 (24,580 tweets) + GoogleNews (11,109 headlines) + gvc + ecbplus +
allsides2021 from ../shared/data, concatenated and, past their 38,660 articles, repeated with
new ids and dates shifted back by 400 days per copy (undated articles get a date per copy, so copies
never look simultaneous). The first ``size`` articles of a fixed shuffle are clustered. Each size
runs in a fresh subprocess so that its peak RSS (``ru_maxrss``) is its own; the time covers
``StoryClusterer(n_jobs=...).fit(articles, embeddings=E)`` (``--n-jobs``; ``--no-stories`` switches
the story level off) (cleaning, language detection, duplicates,
features, candidate graph, clustering, cluster objects) and excludes embedding, which is computed
once and cached on disk.

``--hdbscan`` also times scikit-learn's ``HDBSCAN(min_cluster_size=5)`` on the same vectors (the
peer whose speed the issue names; it clusters vectors only, no text), each size in its own
subprocess, given up after ``--timeout`` seconds.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import numpy as np

import storycluster as sc
from storycluster._features.cache import CachedEmbedder
from storycluster._features.embedding import SentenceTransformerEmbedder

REPO = Path(__file__).resolve().parents[1]
DATA = REPO.parent / "shared" / "data"
os.environ.setdefault("STORYCLUSTER_CACHE", str(REPO / ".cache" / "test-embeddings"))
SETS = ("crisislex_t26", "googlenews", "gvc", "ecbplus", "allsides2021")
BASE = "2022-01-01T00:00:00+00:00"


def corpus(size: int) -> tuple[list[sc.Article], np.ndarray]:
    articles: list[sc.Article] = []
    for name in SETS:
        articles.extend(sc.read_jsonl(DATA / name / "articles.jsonl"))
    clusterer = sc.StoryClusterer()
    vectors = CachedEmbedder(SentenceTransformerEmbedder()).encode(
        clusterer.embedding_texts(articles)
    )
    base = sc.Article(id="x", title="x", published_at=BASE).published_at
    out: list[sc.Article] = []
    rows: list[int] = []
    copies = math.ceil(size / len(articles))
    for copy in range(copies):
        for i, article in enumerate(articles):
            if copy == 0:
                out.append(article)
            else:
                when = (article.published_at or base) - timedelta(days=400 * copy)
                out.append(
                    article.model_copy(update={"id": f"{article.id}#{copy}", "published_at": when})
                )
            rows.append(i)
    order = np.random.default_rng(0).permutation(len(out))[:size]
    return [out[i] for i in order], vectors[np.array(rows)[order]]


def run_one(
    size: int, method: str = "storycluster", n_jobs: int | None = None, stories: bool = True
) -> dict[str, float]:
    articles, vectors = corpus(size)
    started = time.perf_counter()
    if method == "hdbscan":
        from sklearn.cluster import HDBSCAN

        labels = HDBSCAN(min_cluster_size=5, copy=True).fit_predict(vectors)
        events = int(labels.max() + 1 + (labels < 0).sum())  # noise as singletons
    else:
        off = {} if stories else {"story_threshold": math.inf, "short_story_threshold": math.inf}
        clusterer = sc.StoryClusterer(n_jobs=n_jobs, **off)
        events = len(clusterer.fit(articles, embeddings=vectors).events_)
    elapsed = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"size": size, "seconds": elapsed, "peak_mb": peak_mb, "events": events}


def run_hdbscan(sizes: list[int], timeout: int) -> None:
    print("\n| articles | HDBSCAN s (min_cluster_size=5, vectors) | peak RSS MB | clusters |")
    print("|---|---|---|---|")
    for size in sizes:
        try:
            done = subprocess.run(
                [sys.executable, __file__, "--one", str(size), "--method", "hdbscan"],
                check=True,
                capture_output=True,
                text=True,
                timeout=timeout,
            )
        except subprocess.TimeoutExpired:
            print(f"| {size:,} | > {timeout} (stopped) | | |")
            continue
        row = json.loads(done.stdout.strip().splitlines()[-1])
        print(
            f"| {size:,} | {row['seconds']:.1f} | {row['peak_mb']:.0f} | {row['events']:,} |",
            flush=True,
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,30000,100000")
    parser.add_argument("--hdbscan", action="store_true", help="also time sklearn HDBSCAN")
    parser.add_argument("--timeout", type=int, default=900, help="seconds per HDBSCAN run")
    parser.add_argument("--n-jobs", type=int, help="StoryClusterer(n_jobs=...); default: all CPUs")
    parser.add_argument(
        "--no-stories", action="store_true", help="switch the story level off (events only)"
    )
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--method", default="storycluster", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(run_one(args.one, args.method, args.n_jobs, not args.no_stories)))
        return 0
    corpus(1)  # embed everything once (cached) before timing
    rows = []
    for size in (int(s) for s in args.sizes.split(",")):
        options = ["--no-stories"] if args.no_stories else []
        if args.n_jobs is not None:
            options += ["--n-jobs", str(args.n_jobs)]
        done = subprocess.run(
            [sys.executable, __file__, "--one", str(size), *options],
            check=True,
            capture_output=True,
            text=True,
        )
        rows.append(json.loads(done.stdout.strip().splitlines()[-1]))
        print(f"done {size}", file=sys.stderr)
    print("| articles | fit s (no embedding) | peak RSS MB (process) | events | s per 1k |")
    print("|---|---|---|---|---|")
    for row in rows:
        print(
            f"| {row['size']:,} | {row['seconds']:.1f} | {row['peak_mb']:.0f} | {row['events']:,} "
            f"| {1000 * row['seconds'] / row['size']:.2f} |"
        )
    if len(rows) >= 2:
        a, b = rows[0], rows[-1]
        slope = math.log(b["seconds"] / a["seconds"]) / math.log(b["size"] / a["size"])
        print(f"\ntime grows as n^{slope:.2f} between {a['size']:,} and {b['size']:,} articles")
    if args.hdbscan:
        run_hdbscan([row["size"] for row in rows], args.timeout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
