"""Dump batch and replayed-stream results as JSON, to prove that a refactor changes no result.

    STORYCLUSTER_CACHE=.cache/test-embeddings HF_HUB_OFFLINE=1 \
        python scripts/dump_results.py --out before.json
    ... change the code ...
    python scripts/dump_results.py --out after.json --compare before.json

For the shipped sample and each labelled set found in ``../shared/data`` (gvc, ecbplus,
allsides2021), the default :class:`StoryClusterer` is fitted and every event is written as its
members (sorted ids), representative and keywords; for gvc and allsides2021 the articles are
also replayed through the default stream in batches of 50 (dated in time order, undated last) and
its events written as member sets. Event ids are left out: they are names, and a refactor may
rename them; the partition, representatives and keywords are the results. ``--compare`` prints
the first difference per set and exits 1 when anything differs.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parents[1]
DATA = REPO.parent / "shared" / "data"
SETS = ("gvc", "ecbplus", "allsides2021")
STREAM_SETS = ("gvc", "allsides2021")


def _events(model: Any) -> list[Any]:
    return list(getattr(model, "events_", None) or model.clusters_)


def _batch(articles: list[Any], sc: Any) -> dict[str, Any]:
    model = sc.StoryClusterer(show_progress_bar=False).fit(articles)
    events = sorted(
        (
            {
                "members": sorted(m.article_id for m in event.members),
                "representative": event.representative.id,
                "keywords": list(event.keywords),
                "label": event.label,
                "duplicates": sorted(
                    (m.article_id, m.duplicate_of) for m in event.members if m.duplicate_of
                ),
            }
            for event in _events(model)
        ),
        key=lambda e: e["members"],
    )
    labels = np.asarray(model.labels_).tolist()
    return {"events": events, "n_events": len(events), "labels": labels}


def _replay(articles: list[Any], sc: Any) -> dict[str, Any]:
    dated = sorted((a for a in articles if a.published_at), key=lambda a: (a.published_at, a.id))
    order = dated + [a for a in articles if not a.published_at]
    stream = sc.StreamClusterer()
    for start in range(0, len(order), 50):
        stream.partial_fit(order[start : start + 50])
    groups: dict[str, list[str]] = {}
    for article in articles:
        groups.setdefault(stream.event_of(article.id), []).append(article.id)
    return {"events": sorted(sorted(g) for g in groups.values())}


def dump() -> dict[str, Any]:
    import storycluster as sc

    out: dict[str, Any] = {}
    sources = {"sample": REPO / "data" / "sample" / "articles.jsonl"}
    sources.update({name: DATA / name / "articles.jsonl" for name in SETS})
    for name, path in sources.items():
        if not path.is_file():
            print(f"skip {name}: {path} not found", file=sys.stderr)
            continue
        articles = sc.read_jsonl(path)
        out[f"batch/{name}"] = _batch(articles, sc)
        print(f"batch/{name}: {out[f'batch/{name}']['n_events']} events", file=sys.stderr)
        if name in STREAM_SETS:
            out[f"stream/{name}"] = _replay(articles, sc)
            print(f"stream/{name}: {len(out[f'stream/{name}']['events'])} events", file=sys.stderr)
    return out


def compare(before: dict[str, Any], after: dict[str, Any]) -> bool:
    same = True
    for key in sorted(set(before) | set(after)):
        if before.get(key) == after.get(key):
            print(f"{key}: identical")
            continue
        same = False
        old, new = before.get(key), after.get(key)
        if old is None or new is None:
            print(f"{key}: only in {'after' if old is None else 'before'}")
            continue
        for field in old:
            was, now = old[field], new.get(field)
            if was == now:
                continue
            if not isinstance(was, list) or not isinstance(now, list):
                print(f"{key}: {field} {was!r} -> {now!r}")
                continue
            pairs = enumerate(zip(was, now, strict=False))
            diff = next((i for i, (a, b) in pairs if a != b), min(len(was), len(now)))
            print(f"{key}: {field} differs first at index {diff}")
    return same


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True)
    parser.add_argument("--compare", help="an earlier dump to compare with")
    args = parser.parse_args()
    result = dump()
    Path(args.out).write_text(json.dumps(result, sort_keys=True))
    if args.compare:
        now = json.loads(json.dumps(result, sort_keys=True))
        return 0 if compare(json.loads(Path(args.compare).read_text()), now) else 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
