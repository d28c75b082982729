"""Default StoryClusterer on the labelled sets in ../shared/data: prints one table.

    HF_HUB_OFFLINE=1 .venv/bin/python benchmarks/quality.py \\
        [--sets gvc,ecbplus,allsides2021] [--titles]

``--titles`` adds, for each set, a row that clusters the titles alone (bodies dropped): event-level
headlines, the check that the short-text scoring (tweets, headlines) generalises beyond the two
short-text sets (googlenews, crisislex_t26), whose labels are stories and whole crises.

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
    parser.add_argument(
        "--titles", action="store_true", help="also cluster each set's titles alone"
    )
    args = parser.parse_args()
    rows = []
    for name in args.sets.split(","):
        path = Path(args.data) / name / "articles.jsonl"
        if not path.is_file():
            print(f"skipping {name}: {path} not found", file=sys.stderr)
            continue
        articles = sc.read_jsonl(path)
        variants = [(name, articles)]
        if args.titles and any(a.title for a in articles):
            titled = [a.model_copy(update={"text": None}) for a in articles if a.title]
            variants.append((f"{name} (titles only)", titled))
        for label, items in variants:
            gold = [str(a.metadata["event_id"]) for a in items]
            started = time.perf_counter()
            model = sc.StoryClusterer(show_progress_bar=False).fit(items)
            elapsed = time.perf_counter() - started
            report = sc.evaluate(model.labels_, gold)
            rows.append((label, len(items), report, model.threshold_, elapsed))
    print(
        "| set | articles | threshold used | B³ P | B³ R | B³ F1 | pairwise F1 | ARI "
        "| events (gold) | wall s |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for name, n, r, threshold, elapsed in rows:
        print(
            f"| {name} | {n} | {threshold:.2f} | {r.bcubed_precision:.3f} | "
            f"{r.bcubed_recall:.3f} | **{r.bcubed_f1:.3f}** | {r.pairwise_f1:.3f} | {r.ari:.3f} | "
            f"{r.n_pred_clusters} ({r.n_gold_clusters}) | {elapsed:.1f} |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
