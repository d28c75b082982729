"""Default StoryClusterer on the labelled sets in ../shared/data: prints one table.

    HF_HUB_OFFLINE=1 .venv/bin/python benchmarks/quality.py [--sets gvc,ecbplus,allsides2021]

Wall time covers the whole fit (cleaning, embedding, features, clustering). Embeddings are cached
on disk (``$STORYCLUSTER_CACHE``), so the first run shows the cold cost and later runs the warm one.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import storycluster as sc

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sets", default="gvc,ecbplus,allsides2021")
    parser.add_argument("--data", default=str(DATA), help="folder holding <set>/articles.jsonl")
    args = parser.parse_args()
    rows = []
    for name in args.sets.split(","):
        path = Path(args.data) / name / "articles.jsonl"
        if not path.is_file():
            print(f"skipping {name}: {path} not found", file=sys.stderr)
            continue
        articles = sc.read_jsonl(path)
        gold = [str(a.metadata["event_id"]) for a in articles]
        started = time.perf_counter()
        model = sc.StoryClusterer(show_progress_bar=False).fit(articles)
        elapsed = time.perf_counter() - started
        report = sc.evaluate(model.labels_, gold)
        rows.append((name, len(articles), report, elapsed))
    print("| set | articles | B³ P | B³ R | B³ F1 | pairwise F1 | ARI | events (gold) | wall s |")
    print("|---|---|---|---|---|---|---|---|---|")
    for name, n, r, elapsed in rows:
        print(
            f"| {name} | {n} | {r.bcubed_precision:.3f} | {r.bcubed_recall:.3f} | "
            f"**{r.bcubed_f1:.3f}** | {r.pairwise_f1:.3f} | {r.ari:.3f} | "
            f"{r.n_pred_clusters} ({r.n_gold_clusters}) | {elapsed:.1f} |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
