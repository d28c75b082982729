"""A tiny streaming service: read articles as JSON Lines, assign them to events, save state.

    python examples/stream_service.py                       # replay the bundled sample
    tail -f feed.jsonl | python examples/stream_service.py - --state state/ --batch 20

Reads one article per line (the schema of ``storycluster.read_jsonl``) from a file or stdin,
collects ``--batch`` lines (or whatever has arrived when the input ends), assigns them with
``StreamClusterer.partial_fit`` and prints one decision per article. The state is saved every
``--save-every`` batches and at the end; an existing ``--state`` directory is resumed.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from storycluster.stream import StreamClusterer

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
    parser.add_argument("--state", type=Path, default=None, help="state directory")
    parser.add_argument("--batch", type=int, default=20, help="articles per batch")
    parser.add_argument("--save-every", type=int, default=5, help="save after N batches")
    args = parser.parse_args()

    if args.state is not None and (args.state / "manifest.json").is_file():
        stream = StreamClusterer.load(args.state)
    else:
        stream = StreamClusterer()
    pending: list[dict] = []
    batches = 0

    def flush() -> None:
        nonlocal batches
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
            batches += 1
            if args.state is not None and batches % args.save_every == 0:
                stream.save(args.state)
        pending.clear()

    for line in lines(args.input):
        if line.strip():
            pending.append(json.loads(line))
        if len(pending) >= args.batch:
            flush()
    flush()
    if args.state is not None:
        stream.save(args.state)
    print(f"{stream.n_articles} articles in {stream.n_events} events", file=sys.stderr)


if __name__ == "__main__":
    main()
