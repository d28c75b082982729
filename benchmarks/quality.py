"""Default StoryClusterer on the labelled sets in ../shared/data: prints one table per level.

    HF_HUB_OFFLINE=1 .venv/bin/python benchmarks/quality.py \\
        [--events gvc,ecbplus,allsides2021,googlenews,sample] [--titles] \\
        [--stories googlenews,crisislex_t26,crisislex_t26:all,ecbplus] [--model NAME_OR_DIR]

Every fit returns both levels; each set is scored at the level its gold labels describe:

* events (one real-world happening): gvc, ecbplus (``event_id``), allsides2021, and the shipped
  95-article ``sample`` (``data/sample``); googlenews' event row scores its events against its
  story labels (the level the default's events are compared with since 0.1);
* stories (groups of events): googlenews (``event_id``: Google News stories), crisislex_t26
  (``event_id``: whole crises; the seeded 6,000-tweet sample
  ``numpy.random.default_rng(0).choice(24580, 6000, replace=False)`` in file order, and with
  ``crisislex_t26:all`` all 24,580 tweets) and ecbplus topics (``topic_id``: each topic holds two
  look-alike events).

Every event set is clustered twice: as published (``dates: yes``; googlenews has none) and with
every ``published_at`` set to ``None`` (``dates: removed``), so that a figure that only holds with
dates shows. ``--titles`` adds, for each event set, rows that cluster the titles alone (bodies
dropped). ``threshold used`` is the bar after the adjustment for text length, less the
small-corpus shift where there is one (``weights_.corpus_offset``, below 500 articles).

Learned pieces: none. The default has no trained component, so no set was seen in training and
every figure is on the whole set (``trained on`` column: ``-``).

``--model`` fits with another sentence-transformers model (a name, or a local directory such as
a copy of ``all-mpnet-base-v2``) instead of the default all-MiniLM-L6-v2; everything else stays
the default. It answers "would a larger model help?" on the same sets.

Wall time covers the whole fit (cleaning, embedding, features, events and stories). Embeddings are
cached on disk (``$STORYCLUSTER_CACHE``), so the first run shows the cold cost and later runs the
warm one.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

import storycluster as sc

REPO = Path(__file__).resolve().parents[1]
DATA = REPO.parent / "shared" / "data"
SAMPLE = REPO / "data" / "sample" / "articles.jsonl"
#: Sets each learned piece of the default was trained on (none: the default learns nothing).
TRAINED_ON: dict[str, str] = {}
#: Story gold per set: the metadata field holding it.
STORY_GOLD = {"googlenews": "event_id", "crisislex_t26": "event_id", "ecbplus": "topic_id"}
SAMPLES = {"crisislex_t26": (24_580, 6_000)}


def load(data: Path, spec: str) -> tuple[str, list[sc.Article]] | None:
    """``(row name, articles)`` of ``name`` or ``name:all``; None when the set is absent."""
    name, _, whole = spec.partition(":")
    path = SAMPLE if name == "sample" else data / name / "articles.jsonl"
    if not path.is_file():
        print(f"skipping {name}: {path} not found", file=sys.stderr)
        return None
    articles = sc.read_jsonl(path)
    if name in SAMPLES and whole != "all":
        total, size = SAMPLES[name]
        index = np.sort(np.random.default_rng(0).choice(total, size, replace=False))
        return f"{name} ({size:,} sample)", [articles[i] for i in index]
    label = f"{name} (all {len(articles):,})" if whole == "all" else name
    return label, articles


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--events", "--sets", dest="events", default="gvc,ecbplus,allsides2021,googlenews,sample"
    )
    parser.add_argument("--stories", default="googlenews,crisislex_t26,crisislex_t26:all,ecbplus")
    parser.add_argument("--data", default=str(DATA), help="folder holding <set>/articles.jsonl")
    parser.add_argument(
        "--titles", action="store_true", help="also cluster each event set's titles alone"
    )
    parser.add_argument(
        "--model", default=sc.DEFAULT_MODEL, help="sentence-transformers model name or directory"
    )
    args = parser.parse_args()
    data = Path(args.data)
    fits: dict[str, tuple[list[sc.Article], sc.StoryClusterer, float]] = {}

    def fit(label: str, items: list[sc.Article]) -> tuple[sc.StoryClusterer, float]:
        if label not in fits:
            started = time.perf_counter()
            model = sc.StoryClusterer(model=args.model, show_progress_bar=False).fit(items)
            fits[label] = (items, model, time.perf_counter() - started)
        return fits[label][1], fits[label][2]

    event_rows = []
    for spec in filter(None, args.events.split(",")):
        loaded = load(data, spec)
        if loaded is None:
            continue
        label, articles = loaded
        variants = [(label, articles)]
        if args.titles and any(a.title for a in articles):
            titled = [a.model_copy(update={"text": None}) for a in articles if a.title]
            variants.append((f"{label} (titles only)", titled))
        for name, items in variants:
            runs = [("none", name, items)]
            if any(a.published_at is not None for a in items):
                undated = [a.model_copy(update={"published_at": None}) for a in items]
                runs = [("yes", name, items), ("removed", f"{name} (dates removed)", undated)]
            for dates, key, corpus in runs:
                model, elapsed = fit(key, corpus)
                gold = [str(a.metadata["event_id"]) for a in corpus]
                report = sc.evaluate(model.labels_, gold)
                bar = f"{model.threshold_:.2f}"
                if model.weights_.corpus_offset:
                    bar += f" - {model.weights_.corpus_offset:.2f}"
                trained = TRAINED_ON.get(spec, "-")
                event_rows.append((name, dates, len(corpus), trained, report, bar, elapsed))
    story_rows = []
    for spec in filter(None, args.stories.split(",")):
        loaded = load(data, spec)
        if loaded is None:
            continue
        label, articles = loaded
        model, elapsed = fit(label, articles)
        field = STORY_GOLD.get(spec.partition(":")[0], "event_id")
        gold = [str(a.metadata[field]) for a in articles]
        report = sc.evaluate(model.story_labels_, gold)
        name = f"{label} (gold {field})" if field != "event_id" else label
        story_rows.append(
            (name, len(articles), report, model.story_threshold_, len(model.events_), elapsed)
        )
    if event_rows:
        print("Events")
        print()
        print(
            "| set | dates | articles | trained on | threshold used | B³ P | B³ R | B³ F1 "
            "| pairwise F1 | ARI | events (gold) | wall s |"
        )
        print("|---|---|---|---|---|---|---|---|---|---|---|---|")
        for name, dates, n, trained, r, bar, elapsed in event_rows:
            print(
                f"| {name} | {dates} | {n} | {trained} | {bar} | {r.bcubed_precision:.3f} | "
                f"{r.bcubed_recall:.3f} | **{r.bcubed_f1:.3f}** | {r.pairwise_f1:.3f} | "
                f"{r.ari:.3f} | {r.n_pred_clusters} ({r.n_gold_clusters}) | {elapsed:.1f} |"
            )
    if story_rows:
        print()
        print("Stories")
        print()
        print(
            "| set | articles | story threshold used | B³ P | B³ R | B³ F1 | pairwise F1 | ARI "
            "| stories (gold) | events | wall s |"
        )
        print("|---|---|---|---|---|---|---|---|---|---|---|")
        for name, n, r, threshold, n_events, elapsed in story_rows:
            print(
                f"| {name} | {n:,} | {threshold:.2f} | {r.bcubed_precision:.3f} | "
                f"{r.bcubed_recall:.3f} | **{r.bcubed_f1:.3f}** | {r.pairwise_f1:.3f} | "
                f"{r.ari:.3f} | {r.n_pred_clusters} ({r.n_gold_clusters}) | {n_events} | "
                f"{elapsed:.1f} |"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
