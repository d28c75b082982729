"""Per-article assignment time of StreamClusterer with 1k, 10k and 100k events in the stream.

Synthetic articles: random unit vectors (no embedding model) and texts drawn from a large
synthetic vocabulary, each article its own topic so that every article opens an event. The
stream is filled with ``n`` events, then ``probe`` further articles are timed (feature hashing,
background, candidate search, scoring; no embedding).

    python benchmarks/bench_stream.py [--sizes 1000 5000 10000 100000] [--probe 200]

Filling goes through partial_fit (about 20 ms per article on 2 cores), so the default
stops at 5k events; 10k and 100k take tens of minutes to fill.
"""

from __future__ import annotations

import argparse
import time
from datetime import UTC, datetime, timedelta

import numpy as np

from storycluster.stream import StreamClusterer

START = datetime(2024, 1, 1, tzinfo=UTC)


def synthetic(rng: np.random.Generator, start: int, n: int, dim: int = 384):
    vocabulary = [f"w{i}" for i in range(50_000)]
    names = [f"Name{i}" for i in range(20_000)]
    articles = []
    for i in range(start, start + n):
        words = rng.choice(vocabulary, size=40)
        ents = rng.choice(names, size=4)
        articles.append(
            {
                "id": f"a{i}",
                "title": " ".join([*ents[:2], *words[:8]]),
                "text": " ".join([*words, *ents]),
                # Spread over a few days so nothing leaves the window.
                "published_at": START + timedelta(seconds=i),
            }
        )
    vectors = rng.standard_normal((n, dim)).astype(np.float32)
    return articles, vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 5_000])
    parser.add_argument("--probe", type=int, default=200)
    parser.add_argument("--fill-batch", type=int, default=2_000)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    stream = StreamClusterer(model="unused", clean=False, window=365.0)
    filled = 0
    for size in sorted(args.sizes):
        started = time.perf_counter()
        while filled < size:
            n = min(args.fill_batch, size - filled)
            articles, vectors = synthetic(rng, filled, n)
            stream.partial_fit(articles, embeddings=vectors)
            filled += n
        fill_s = time.perf_counter() - started
        articles, vectors = synthetic(rng, 10_000_000 + size, args.probe)
        timings = []
        for start in range(0, args.probe, 50):
            chunk = slice(start, start + 50)
            t0 = time.perf_counter()
            stream.partial_fit(articles[chunk], embeddings=vectors[chunk])
            timings.append((time.perf_counter() - t0) / len(articles[chunk]))
        filled += args.probe
        print(
            f"{stream.n_events:>7} events: {1e3 * float(np.mean(timings)):.2f} ms/article "
            f"(batches of 50, {args.probe} probes; filling took {fill_s:.0f}s)",
            flush=True,
        )


if __name__ == "__main__":
    main()
