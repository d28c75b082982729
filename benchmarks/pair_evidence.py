"""How well the event score separates an article's own event from the rest, and what other cues add.

    HF_HUB_OFFLINE=1 STORYCLUSTER_CACHE=... .venv/bin/python benchmarks/pair_evidence.py \\
        [--sets allsides2021,gvc,ecbplus] [--dated] [--model NAME_OR_DIR]

The question behind issue 17: is the gap of allsides2021 without dates in the grouping (which
pairs average linkage joins) or in the pair evidence itself? Two tables, per set, with dates
removed unless ``--dated``:

* **Separability.** For each article with at least one same-event partner: whether every partner
  scores above every article of other events (``partners on top``), the median score of its weakest
  partner and of its strongest other-event article, beside the event threshold. Where the
  strongest other article outscores the weakest partner, no grouping of these scores can be right
  for that article at any bar.
* **What a cue adds.** The pairs near or above the bar (score >= threshold - 2.5) are the ones a
  grouping decides. A logistic regression of "same event" on the default score alone gives an
  average precision (AP); each cue is then added to the score as a second feature. The fit and the
  AP are on the same pairs (in-sample), so a gain is an upper bound on what the cue can bring.
  Cues: the dense cosine of the titles alone and of the first sentence of the body alone (the
  same sentence model), leads naming disjoint months, disjoint explicit dates ("Aug. 31"), and the
  Jaccard overlap of the numbers they quote (years left out).

Nothing is trained for the library; no set is used to fit anything it ships.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import average_precision_score

import storycluster as sc
from storycluster._features.vectors import make_embedder
from storycluster._text.fields import body_text

sys.path.insert(0, str(Path(__file__).resolve().parent))
from accuracy_dates import DATA, _corpus, _load, _scores

_MONTH = re.compile(
    r"\b(january|february|march|april|june|july|august|september|october|november|december)\b",
    re.IGNORECASE,
)
_DATE = re.compile(
    r"\b(jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?\s+(\d{1,2})\b",
    re.IGNORECASE,
)
_NUMBER = re.compile(r"\b\d[\d,.]*\b")
_YEAR = re.compile(r"(19|20)\d\d")
#: Pairs this far below the threshold, and above, are the ones a grouping decides.
_MARGIN = 2.5


def _unit(rows: np.ndarray) -> np.ndarray:
    rows = np.asarray(rows, dtype=np.float32)
    return rows / np.maximum(np.linalg.norm(rows, axis=1, keepdims=True), 1e-12)


def _disjoint(sets: list[set[object]], i: np.ndarray, j: np.ndarray) -> np.ndarray:
    return np.array(
        [
            bool(sets[a]) and bool(sets[b]) and not sets[a] & sets[b]
            for a, b in zip(i, j, strict=True)
        ]
    )


def _cues(articles: list[sc.Article], embedder: object, i: np.ndarray, j: np.ndarray) -> dict:
    titles = [a.title or "" for a in articles]
    firsts = [re.split(r"(?<=[.!?])\s", body_text(a).strip(), maxsplit=1)[0] for a in articles]
    leads = [f"{a.title or ''} {body_text(a)[:600]}" for a in articles]
    title_vectors = _unit(embedder.encode(titles))  # type: ignore[attr-defined]
    first_vectors = _unit(embedder.encode(firsts))  # type: ignore[attr-defined]
    months = [{m.lower()[:3] for m in _MONTH.findall(text)} for text in leads]
    dates = [{(m.lower()[:3], d) for m, d in _DATE.findall(text)} for text in leads]
    numbers = [
        {n.strip(".,") for n in _NUMBER.findall(text) if not _YEAR.fullmatch(n.strip(".,"))}
        for text in leads
    ]
    return {
        "title cosine": np.einsum("ij,ij->i", title_vectors[i], title_vectors[j]),
        "first-sentence cosine": np.einsum("ij,ij->i", first_vectors[i], first_vectors[j]),
        "months apart": _disjoint(months, i, j),
        "dates apart": _disjoint(dates, i, j),
        "numbers shared (Jaccard)": np.array(
            [
                len(numbers[a] & numbers[b]) / max(1, len(numbers[a] | numbers[b]))
                for a, b in zip(i, j, strict=True)
            ]
        ),
    }


def _ap(features: np.ndarray, same: np.ndarray) -> float:
    model = LogisticRegression(max_iter=1000).fit(features, same)
    return float(average_precision_score(same, model.decision_function(features)))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sets", default="allsides2021,gvc,ecbplus")
    parser.add_argument("--dated", action="store_true", help="keep the dates (default: removed)")
    parser.add_argument("--data", default=str(DATA), help="folder holding <set>/articles.jsonl")
    parser.add_argument(
        "--model", default=sc.DEFAULT_MODEL, help="sentence-transformers model name or directory"
    )
    args = parser.parse_args()
    embedder = make_embedder(args.model, batch_size=32, show_progress_bar=False, cache=True)
    separability = []
    added = []
    for name in args.sets.split(","):
        if not (Path(args.data) / name).is_dir():
            print(f"skipping {name}: not in {args.data}", file=sys.stderr)
            continue
        for label, articles in _load(name, Path(args.data)):
            corpus = _corpus(label, articles, embedder)
            scores, threshold = _scores(corpus, args.dated)
            scores = scores.astype(np.float64)
            gold = corpus.gold
            same = gold[:, None] == gold[None, :]
            np.fill_diagonal(same, False)
            others = np.where(same, -np.inf, scores)
            np.fill_diagonal(others, -np.inf)
            weakest = np.where(same, scores, np.inf).min(axis=1)
            strongest = others.max(axis=1)
            has = same.any(axis=1)
            separability.append(
                (
                    label,
                    int(has.sum()),
                    float((weakest[has] > strongest[has]).mean()),
                    float(np.median(weakest[has])),
                    float(np.median(strongest[has])),
                    threshold,
                )
            )
            i, j = np.triu_indices(len(gold), 1)
            near = scores[i, j] >= threshold - _MARGIN
            i, j = i[near], j[near]
            truth = gold[i] == gold[j]
            base = scores[i, j][:, None]
            row = [label, int(near.sum()), int(truth.sum()), _ap(base, truth)]
            for cue in _cues(articles, embedder, i, j).values():
                row.append(_ap(np.column_stack([base, cue.astype(np.float64)]), truth))
            added.append(row)
    print(f"Dates {'kept' if args.dated else 'removed'}; model {args.model}\n")
    print(
        "| set | articles with a partner | partners on top | weakest partner (median) "
        "| strongest other (median) | threshold |"
    )
    print("|---|---:|---:|---:|---:|---:|")
    for label, n, top, weak, strong, threshold in separability:
        print(f"| {label} | {n} | {top:.3f} | {weak:.2f} | {strong:.2f} | {threshold:.2f} |")
    names = ["title cosine", "first-sentence cosine", "months apart", "dates apart", "numbers"]
    print(
        f"\nAP of same event on the pairs scoring >= threshold - {_MARGIN}: the score alone, "
        "then the score and one cue\n"
    )
    print(
        "| set | pairs | same-event | score alone | " + " | ".join(f"+ {n}" for n in names) + " |"
    )
    print("|---|---:|---:|---:|" + "---:|" * len(names))
    for label, pairs, positives, alone, *with_cue in added:
        cells = " | ".join(f"{ap:.3f} ({ap - alone:+.3f})" for ap in with_cue)
        print(f"| {label} | {pairs} | {positives} | {alone:.3f} | {cells} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
