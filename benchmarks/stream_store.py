"""The event store under a long replay: commit time per batch, query latency, peak memory.

Real sets (allsides2021, gvc and the dated ECB+ articles, each mapped onto one 180-day cycle)
are replayed again and again with shifted dates and fresh ids, with precomputed embeddings (the
embedding cache), in batches of ``--batch``. At each checkpoint the script prints the articles
and events stored, the live events in memory, the mean time per batch over the last
``--window`` batches (of which the store commit), the peak RSS so far, and the median latency of
``events(limit=20)`` and ``event_of`` (random stored ids).

    python benchmarks/stream_store.py --store sqlite [--articles 200000] [--batch 100]
    python benchmarks/stream_store.py --store postgres     # starts a throw-away local server
    python benchmarks/stream_store.py --store sqlite --queries 100000   # query latency only

``--queries N`` fills a new store with N synthetic events (two articles each) directly through
the store's bulk loader, then times ``events(limit=20)`` (by size, open only, last day) and
``event_of``.

PostgreSQL runs from the machine's binaries (``--pg-bin``, default /usr/lib/postgresql/15/bin)
in a temporary directory, on a loopback port.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import shutil
import statistics
import subprocess
import tempfile
import time
from datetime import timedelta
from pathlib import Path

import numpy as np

from storycluster import CachedEmbedder, SentenceTransformerEmbedder, StoryClusterer
from storycluster.io import read_jsonl
from storycluster.stream import StreamClusterer

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
CYCLE_DAYS = 180.0


def corpus():
    """One cycle: the dated articles of three sets, each spread over CYCLE_DAYS, time order."""
    items, vectors = [], []
    embedder = CachedEmbedder(SentenceTransformerEmbedder(show_progress_bar=False))
    texts = StoryClusterer().embedding_texts
    for name in ("allsides2021", "gvc", "ecbplus"):
        articles = [a for a in read_jsonl(DATA / name / "articles.jsonl") if a.published_at]
        dense = embedder.encode(texts(articles))
        start = min(a.published_at for a in articles)
        span = (max(a.published_at for a in articles) - start).total_seconds() or 1.0
        for article, vector in zip(articles, dense, strict=True):
            offset = (article.published_at - start).total_seconds() / span * CYCLE_DAYS
            items.append((offset, f"{name}/{article.id}", article))
            vectors.append(vector)
    order = sorted(range(len(items)), key=lambda i: (items[i][0], items[i][1]))
    return [items[i] for i in order], np.asarray(vectors, dtype=np.float32)[order]


def replay(cycle, vectors, n_articles: int, batch: int):
    """Batches of (articles, embeddings), cycle after cycle, dates shifted by CYCLE_DAYS."""
    base = min(a.published_at for _, _, a in cycle)
    produced, k = 0, 0
    while produced < n_articles:
        shift = timedelta(days=k * CYCLE_DAYS)
        for lo in range(0, len(cycle), batch):
            chunk = cycle[lo : lo + batch][: n_articles - produced]
            if not chunk:
                return
            articles = [
                a.model_copy(
                    update={
                        "id": f"c{k}/{key}",
                        "published_at": base + timedelta(days=offset) + shift,
                    }
                )
                for offset, key, a in chunk
            ]
            yield articles, vectors[lo : lo + len(chunk)]
            produced += len(chunk)
            if produced >= n_articles:
                return
        k += 1


def start_postgres(pg_bin: Path):
    import pwd
    import socket

    root = Path(tempfile.mkdtemp(prefix="sc-bench-pg-"))
    prefix: list[str] = []
    if os.geteuid() == 0:
        user = pwd.getpwnam("postgres")
        os.chown(root, user.pw_uid, user.pw_gid)
        prefix = ["runuser", "-u", "postgres", "--"]
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    data = root / "data"
    subprocess.run(
        [
            *prefix,
            str(pg_bin / "initdb"),
            "-D",
            str(data),
            "-U",
            "postgres",
            "--auth=trust",
            "-E",
            "UTF8",
            "--locale=C",
        ],
        check=True,
        capture_output=True,
    )
    subprocess.run(
        [
            *prefix,
            str(pg_bin / "pg_ctl"),
            "-D",
            str(data),
            "-l",
            str(root / "log"),
            "-w",
            "-o",
            f"-p {port} -h 127.0.0.1 -k {root}",
            "start",
        ],
        check=True,
        capture_output=True,
    )

    def stop() -> None:
        subprocess.run(
            [*prefix, str(pg_bin / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"],
            capture_output=True,
        )
        shutil.rmtree(root, ignore_errors=True)

    return f"postgresql://postgres@127.0.0.1:{port}/postgres", stop


def latency(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return 1e3 * statistics.median(times)


def query_latency(stream: StreamClusterer, n_events: int, label: str) -> None:
    import json

    from storycluster.stream._store import ARTICLE_COLUMNS, EVENT_COLUMNS

    rng = np.random.default_rng(0)
    store = stream.event_store
    events, articles = [], []
    for i in range(n_events):
        day = 19_000 + i / 500
        size = int(rng.zipf(2.0)) if i % 7 else 2
        events.append(
            {
                "id": f"ev_{i:016x}",
                "seq": i,
                "label": f"event {i}",
                "size": size,
                "first_seen": None,
                "last_seen": None,
                "sources": "[]",
                "keywords": "[]",
                "representative": f"a{i}-0",
                "is_open": int(i > n_events - 500),
                "absorbed_into": None,
                "created_batch": i // 100,
                "updated_batch": i // 100,
                "first_day": day,
                "last_day": day + 1,
                "touched_day": day + 1,
                "close_day": day + 91,
                "texts_dropped": 0,
                "scoring": "[]",
            }
        )
        for k in range(2):
            row = dict.fromkeys(ARTICLE_COLUMNS)
            row.update(
                arrival=2 * i + k,
                id=f"a{i}-{k}",
                event_id=f"ev_{i:016x}",
                metadata="{}",
                batch=i // 100,
                label="x",
                title=f"title {i}",
                text="text " * 50,
            )
            articles.append(tuple(row[c] for c in ARTICLE_COLUMNS))
    store.load_rows("events", EVENT_COLUMNS, [tuple(e[c] for c in EVENT_COLUMNS) for e in events])
    store.load_rows("articles", ARTICLE_COLUMNS, articles)
    ids = [f"a{int(i)}-0" for i in rng.integers(0, n_events, 500)]
    it = iter(ids)
    timings = {
        "events(limit=20)": latency(lambda: stream.events(limit=20), 50),
        "events(open_only=True, limit=20)": latency(
            lambda: stream.events(open_only=True, limit=20), 50
        ),
        "events(order_by='last_seen', limit=20)": latency(
            lambda: stream.events(order_by="last_seen", limit=20), 50
        ),
        "event_of": latency(lambda: stream.event_of(next(it)), 500),
    }
    print(json.dumps({"store": label, "events": n_events, "median_ms": timings}, indent=1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--store", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--articles", type=int, default=200_000)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--checkpoints", type=int, nargs="+", default=[20_000, 100_000, 200_000])
    parser.add_argument("--window", type=int, default=50, help="batches averaged per checkpoint")
    parser.add_argument("--pg-bin", type=Path, default=Path("/usr/lib/postgresql/15/bin"))
    parser.add_argument("--stream-window", type=float, default=90.0, help="the stream's window")
    parser.add_argument("--queries", type=int, default=0, help="query latency with N events")
    args = parser.parse_args()

    cycle, vectors = corpus() if not args.queries else ([], None)
    workdir = Path(tempfile.mkdtemp(prefix="sc-bench-"))
    stop = None
    if args.store == "sqlite":
        target = str(workdir / "events.db")
    else:
        target, stop = start_postgres(args.pg_bin)
    stream = StreamClusterer(store=target, model="unused", cache=False, window=args.stream_window)
    commit_times: list[float] = []
    original_commit = stream.event_store.commit

    def timed_commit(change) -> None:
        t0 = time.perf_counter()
        original_commit(change)
        commit_times.append(time.perf_counter() - t0)

    stream.event_store.commit = timed_commit  # type: ignore[method-assign]
    if args.queries:
        try:
            query_latency(stream, args.queries, args.store)
        finally:
            stream.close()
            shutil.rmtree(workdir, ignore_errors=True)
            if stop is not None:
                stop()
        return
    batch_times: list[float] = []
    seen: list[str] = []
    rng = random.Random(0)
    checkpoints = sorted(args.checkpoints)
    print(
        f"| store | articles | events | live events | ms/batch ({args.batch}) | commit ms | "
        "peak RSS MB | events(limit=20) ms | event_of ms |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |", flush=True)
    try:
        for articles, dense in replay(cycle, vectors, args.articles, args.batch):
            t0 = time.perf_counter()
            stream.partial_fit(articles, embeddings=dense)
            batch_times.append(time.perf_counter() - t0)
            seen.extend(a.id for a in articles)
            if checkpoints and len(seen) >= checkpoints[0]:
                checkpoints.pop(0)
                n_articles, n_events = stream.event_store.counts()
                ids = rng.sample(seen, 200)
                it = iter(ids * 2)
                q_events = latency(lambda: stream.events(limit=20), 30)
                q_event_of = latency(lambda it=it: stream.event_of(next(it)), 200)
                rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
                print(
                    f"| {args.store} | {n_articles:,} | {n_events:,} | {stream.n_live_events:,} | "
                    f"{1e3 * statistics.mean(batch_times[-args.window :]):.0f} | "
                    f"{1e3 * statistics.mean(commit_times[-args.window :]):.1f} | {rss:.0f} | "
                    f"{q_events:.1f} | {q_event_of:.2f} |",
                    flush=True,
                )
    finally:
        stream.close()
        shutil.rmtree(workdir, ignore_errors=True)
        if stop is not None:
            stop()


if __name__ == "__main__":
    main()
