"""Replay the labelled sets through StreamClusterer in batches of 50 and compare with batch.

Dated articles in publication order, undated ones at the end (googlenews: its first 3,000
headlines, as stored); the same embeddings (the batch clusterer's, from the embedding cache) for
both. Prints B-cubed F1 of the batch StoryClusterer() and of the replayed stream per set.

    python benchmarks/stream_replay.py [gvc allsides2021 ecbplus googlenews] [--batch 50]
    python benchmarks/stream_replay.py --stories [ecbplus googlenews crisislex_t26]

``--stories`` compares stories instead, against each set's story gold: ecbplus' topics
(``topic_id``), googlenews' labels (its first 3,000 headlines) and crisislex_t26's crises (the
seeded 6,000-tweet sample of ``benchmarks/quality.py``, in time order). ``--window`` sets the
stream's window (days an event stays live, 90 by default). A new event's story is found among
live events, and the closed ones its undated articles find: ecbplus' undated half arrives after
2004-2013 of dated articles, whose events have closed, so its stories fall behind batch (0.882
at 90 days, 0.909 at 365).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from storycluster import CachedEmbedder, SentenceTransformerEmbedder, StoryClusterer, evaluate
from storycluster.io import read_jsonl
from storycluster.stream import StreamClusterer

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
SETS = ["gvc", "allsides2021", "ecbplus", "googlenews"]
STORY_SETS = ["ecbplus", "googlenews", "crisislex_t26"]


def replay_order(name: str):
    items = read_jsonl(DATA / name / "articles.jsonl")
    if name == "googlenews":
        return items[:3000]
    if name == "crisislex_t26":  # the seeded sample of benchmarks/quality.py
        index = np.sort(np.random.default_rng(0).choice(len(items), 6000, replace=False))
        items = [items[i] for i in index]
    dated = sorted(
        (a for a in items if a.published_at is not None), key=lambda a: (a.published_at, a.id)
    )
    return dated + [a for a in items if a.published_at is None]


def story_gold(name: str, article) -> str:
    return str(article.metadata["topic_id" if name == "ecbplus" else "event_id"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("sets", nargs="*")
    parser.add_argument("--batch", type=int, default=50)
    parser.add_argument("--stories", action="store_true", help="compare stories, not events")
    parser.add_argument(
        "--window", type=float, default=90.0, help="the stream's window in days (default 90)"
    )
    args = parser.parse_args()
    sets = args.sets or (STORY_SETS if args.stories else SETS)
    embedder = CachedEmbedder(SentenceTransformerEmbedder(show_progress_bar=False))
    level = "stories" if args.stories else "events"
    print(f"| set | articles | batch | stream | {level} (batch / stream) | replay s |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for name in sets:
        articles = replay_order(name)
        if args.stories:
            report_stories(name, articles, embedder, args.batch, args.window)
            continue
        gold = [a.metadata["event_id"] for a in articles]
        model = StoryClusterer(model=embedder).fit(articles)
        dense = model.embeddings_
        stream = StreamClusterer(model=embedder, window=args.window)
        started = time.perf_counter()
        for lo in range(0, len(articles), args.batch):
            stream.partial_fit(
                articles[lo : lo + args.batch], embeddings=dense[lo : lo + args.batch]
            )
        seconds = time.perf_counter() - started
        f_batch = evaluate(model.labels_, gold).bcubed_f1
        f_stream = evaluate([stream.event_of(a.id) for a in articles], gold).bcubed_f1
        print(
            f"| {name} | {len(articles)} | {f_batch:.3f} | {f_stream:.3f} | "
            f"{len(model.events_)} / {stream.n_events} | {seconds:.0f} |",
            flush=True,
        )


def report_stories(name: str, articles, embedder, batch: int, window: float) -> None:
    gold = [story_gold(name, a) for a in articles]
    model = StoryClusterer(model=embedder).fit(articles)
    dense = model.embeddings_
    stream = StreamClusterer(model=embedder, window=window)
    started = time.perf_counter()
    for lo in range(0, len(articles), batch):
        stream.partial_fit(articles[lo : lo + batch], embeddings=dense[lo : lo + batch])
    seconds = time.perf_counter() - started
    replayed = [stream.story_of(stream.event_of(a.id)) for a in articles]
    f_batch = evaluate(model.story_labels_, gold).bcubed_f1
    f_stream = evaluate(replayed, gold).bcubed_f1
    print(
        f"| {name} | {len(articles)} | {f_batch:.3f} | {f_stream:.3f} | "
        f"{len(model.stories_)} / {len(set(replayed))} | {seconds:.0f} |",
        flush=True,
    )


if __name__ == "__main__":
    main()
