"""A tiny streaming loop: read articles as JSON Lines, assign them to events in an event store.

    python examples/stream_service.py                        # replay the bundled sample
    tail -f feed.jsonl | python examples/stream_service.py - --store events.db --batch 20

Reads one article per line (the schema of ``storycluster.read_jsonl``) from a file or stdin,
collects ``--batch`` lines (or whatever has arrived when the input ends), assigns them with
``StreamClusterer.partial_fit`` and prints one decision per article. Each batch is committed to
the store (an SQLite file, or a ``postgresql://`` DSN); an existing store is resumed, and a
re-delivered article is skipped. See ``examples/service/`` for an HTTP service.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from storycluster import StreamClusterer

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample" / "articles.jsonl"


def lines(source: str):
    if source == "-":
        yield from sys.stdin
        return
    path = Path(source)
    rows = [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    if path == SAMPLE:  # replay the sample in publication order
        rows.sort(key=lambda line: json.loads(line).get("published_at") or "")
    yield from rows


def main() -> None:
    parser = argparse.ArgumentParser(description="Assign a stream of articles to events.")
    parser.add_argument("input", nargs="?", default=str(SAMPLE), help="JSONL file or - (stdin)")
    parser.add_argument("--store", default=None, help="SQLite file or postgresql:// DSN")
    parser.add_argument("--batch", type=int, default=20, help="articles per batch")
    args = parser.parse_args()

    if args.store is not None and (args.store.startswith("postgres") or Path(args.store).exists()):
        try:
            stream = StreamClusterer.open(args.store)
        except ValueError:  # an empty database: start a stream in it
            stream = StreamClusterer(store=args.store)
    else:
        stream = StreamClusterer(store=args.store)
    pending: list[dict] = []

    def flush() -> None:
        if not pending:
            return
        try:
            update = stream.partial_fit(pending)
        except ValueError as exc:  # a bad batch changes nothing; report it and go on
            print(f"rejected batch of {len(pending)}: {exc}", file=sys.stderr)
        else:
            for a in update.assignments:
                verb = "opened" if a.created else "joined"
                score = "" if a.score is None else f" (score {a.score:.2f})"
                print(f"{a.article_id}\t{verb} {a.event_id}{score}")
            for m in update.merges:
                print(f"merged {m.absorbed} into {m.survivor} (score {m.score:.2f})")
            for skipped in update.skipped:
                print(f"{skipped}\talready seen, skipped")
        pending.clear()

    for line in lines(args.input):
        if line.strip():
            pending.append(json.loads(line))
        if len(pending) >= args.batch:
            flush()
    flush()
    print(f"{stream.n_articles} articles in {stream.n_events} events", file=sys.stderr)
    for event in stream.events(limit=5):
        print(f"{event.size:4d}  {event.label}", file=sys.stderr)
    stream.close()


if __name__ == "__main__":
    main()
