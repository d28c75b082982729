"""Replay the labelled sets through StreamClusterer in batches of 50 and compare with batch.

Dated articles in publication order, undated ones at the end (googlenews: its first 3,000
headlines, as stored); the same embeddings (the batch clusterer's, from the embedding cache) for
both. Prints B-cubed F1 of the batch StoryClusterer() and of the replayed stream per set.

    python benchmarks/stream_replay.py [gvc allsides2021 ecbplus googlenews] [--batch 50]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from storycluster import CachedEmbedder, SentenceTransformerEmbedder, StoryClusterer, evaluate
from storycluster.io import read_jsonl
from storycluster.stream import StreamClusterer

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
SETS = ["gvc", "allsides2021", "ecbplus", "googlenews"]


def replay_order(name: str):
    items = read_jsonl(DATA / name / "articles.jsonl")
    if name == "googlenews":
        return items[:3000]
    dated = sorted(
        (a for a in items if a.published_at is not None), key=lambda a: (a.published_at, a.id)
    )
    return dated + [a for a in items if a.published_at is None]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("sets", nargs="*", default=SETS)
    parser.add_argument("--batch", type=int, default=50)
    args = parser.parse_args()
    embedder = CachedEmbedder(SentenceTransformerEmbedder(show_progress_bar=False))
    print("| set | articles | batch | stream | events (batch / stream) | replay s |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for name in args.sets:
        articles = replay_order(name)
        gold = [a.metadata["event_id"] for a in articles]
        model = StoryClusterer(model=embedder).fit(articles)
        dense = model.embeddings_
        stream = StreamClusterer(model=embedder)
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


if __name__ == "__main__":
    main()
