"""Held-out articles placed by a saved and reloaded model: save -> load -> predict.

    HF_HUB_OFFLINE=1 .venv/bin/python benchmarks/predict.py [--sets gvc,ecbplus] [--seeds 0,1,2]

For each set and seed, a seeded random 80 % of the articles is fitted with the default
``StoryClusterer``, the model is saved to a temporary directory and loaded back, and the loaded
model predicts the other 20 %. (The script also checks that the loaded model predicts exactly
what the fitted one does.) Measured, over the held-out articles:

* **seen events**: those whose gold event has fitted members. Its *home* is the fitted event
  holding most of those members (ties: the larger fitted event, then the earlier one in
  ``events_``). ``home`` is the share placed in their home, ``other`` the share placed in another
  fitted event, ``new`` the share given a new id.
* **unseen events**: those whose gold event has no fitted member; ``new`` is the share given a
  new id (the right answer), the rest joined some fitted event.
* **B³ F1 all**: B-cubed F1 of the fitted labels and the predicted ids together against the gold
  events, over all articles; ``fit all`` is the B-cubed F1 of one fit on every article, for
  comparison.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import numpy as np

import storycluster as sc

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def split(n: int, seed: int, share: float) -> tuple[np.ndarray, np.ndarray]:
    """Sorted train and held-out positions: a seeded random ``share`` of ``n`` for training."""
    order = np.random.default_rng(seed).permutation(n)
    cut = round(share * n)
    return np.sort(order[:cut]), np.sort(order[cut:])


def homes(model: sc.StoryClusterer, gold: list[str]) -> dict[str, str]:
    """Gold event -> id of the fitted event holding most of its fitted members."""
    counts: dict[str, Counter[int]] = {}
    for label, event in zip(model.labels_.tolist(), gold, strict=True):
        counts.setdefault(event, Counter())[label] += 1
    sizes = [event.size for event in model.events_]
    return {
        event: model.events_[
            min(counter, key=lambda label: (-counter[label], -sizes[label], label))
        ].id
        for event, counter in counts.items()
    }


def run(name: str, articles: list[sc.Article], seed: int, share: float) -> dict[str, float]:
    gold = [str(a.metadata["event_id"]) for a in articles]
    train, held = split(len(articles), seed, share)
    fitted_articles = [articles[i] for i in train]
    started = time.perf_counter()
    model = sc.StoryClusterer(show_progress_bar=False).fit(fitted_articles)
    fit_s = time.perf_counter() - started
    new = [articles[i] for i in held]
    with tempfile.TemporaryDirectory(prefix="sc-predict-") as folder:
        model.save(Path(folder) / "model")
        loaded = sc.StoryClusterer.load(Path(folder) / "model")
    started = time.perf_counter()
    predicted = loaded.predict(new)
    predict_s = time.perf_counter() - started
    if not np.array_equal(predicted, model.predict(new)):
        raise AssertionError("the loaded model predicts differently from the fitted one")
    home = homes(model, [gold[i] for i in train])
    fitted_ids = {event.id for event in model.events_}
    seen = {"home": 0, "other": 0, "new": 0}
    unseen = {"new": 0, "joined": 0}
    for i, event_id in zip(held.tolist(), predicted.tolist(), strict=True):
        if gold[i] in home:
            if event_id == home[gold[i]]:
                seen["home"] += 1
            else:
                seen["other" if event_id in fitted_ids else "new"] += 1
        else:
            unseen["new" if event_id not in fitted_ids else "joined"] += 1
    combined = [""] * len(articles)
    for i, label in zip(train.tolist(), model.labels_.tolist(), strict=True):
        combined[i] = model.events_[label].id
    for i, event_id in zip(held.tolist(), predicted.tolist(), strict=True):
        combined[i] = event_id
    n_seen, n_unseen = sum(seen.values()), sum(unseen.values())
    return {
        "held": len(held),
        "n_seen": n_seen,
        "home": seen["home"] / max(n_seen, 1),
        "other": seen["other"] / max(n_seen, 1),
        "new_seen": seen["new"] / max(n_seen, 1),
        "n_unseen": n_unseen,
        "new_unseen": unseen["new"] / max(n_unseen, 1) if n_unseen else float("nan"),
        "f1_all": sc.evaluate(combined, gold).bcubed_f1,
        "fit_s": fit_s,
        "predict_s": predict_s,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sets", default="gvc")
    parser.add_argument("--seeds", default="0")
    parser.add_argument("--train", type=float, default=0.8, help="share of articles fitted")
    parser.add_argument("--data", default=str(DATA), help="folder holding <set>/articles.jsonl")
    args = parser.parse_args()
    print(
        "| set | seed | held out | seen: home | other | new | unseen: new | B³ F1 all "
        "(fit all) | fit s | predict s |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for name in args.sets.split(","):
        path = Path(args.data) / name / "articles.jsonl"
        if not path.is_file():
            print(f"skipping {name}: {path} not found", file=sys.stderr)
            continue
        articles = sc.read_jsonl(path)
        everything = sc.StoryClusterer(show_progress_bar=False).fit(articles)
        f1_fit_all = sc.evaluate(
            everything.labels_, [str(a.metadata["event_id"]) for a in articles]
        ).bcubed_f1
        for seed in (int(s) for s in args.seeds.split(",")):
            r = run(name, articles, seed, args.train)
            print(
                f"| {name} | {seed} | {r['held']} ({r['n_seen']} seen, {r['n_unseen']} unseen) "
                f"| **{r['home']:.3f}** | {r['other']:.3f} | {r['new_seen']:.3f} "
                f"| {'n/a' if r['n_unseen'] == 0 else format(r['new_unseen'], '.3f')} "
                f"| {r['f1_all']:.3f} ({f1_fit_all:.3f}) "
                f"| {r['fit_s']:.1f} | {r['predict_s']:.1f} |"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
