# ruff: noqa: B023  (closures used within the iteration that defines them)
"""Story-grid v2: per-kind standardised scores, combined with several weights (meanpair), and
event documents (TF-IDF with IDF over events) as centroid evidence. Exploration only."""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer

import storycluster as sc
from storycluster._features.features import ArticleFeatures, build_features
from storycluster._scoring.similarity import SimilarityWeights, estimate_background, pair_scores
from storycluster._text.fields import entity_tokens, lexical_text
from storycluster._text.preparation import prepare_articles
from storycluster.batch import _with_languages

sys.path.insert(0, "benchmarks")
from story_grid import cut, load, merge_history


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sets", default="ecbplus")
    parser.add_argument("--thresholds", default="0,0.25,0.5,0.75,1,1.25,1.5,1.75,2,2.5,3")
    parser.add_argument("--no-centroid", action="store_true")
    args = parser.parse_args()
    thresholds = [float(t) for t in args.thresholds.split(",")]
    for name in args.sets.split(","):
        started = time.perf_counter()
        articles, _gold_events, gold_stories = load(name)
        model = sc.StoryClusterer(show_progress_bar=False).fit(articles)
        ev = model.labels_
        k = int(ev.max()) + 1
        print(f"## {name} n={len(articles)} events={k}", flush=True)
        prepared = prepare_articles(_with_languages(articles), clean=True, max_chars=20_000)
        features = build_features(prepared, model.embeddings_, max_chars=20_000)
        background = estimate_background(features)
        n = len(articles)
        idx = np.arange(n)
        member = sparse.csr_matrix((np.ones(n), (idx, ev)), shape=(n, k))
        sizes = np.bincount(ev, minlength=k)
        # Per kind: event-pair sums of z * mask and of mask.
        zsum, msum = [], []
        for kind in range(3):
            w = SimilarityWeights(*(1.0 if j == kind else 0.0 for j in range(3)), time_penalty=0.0)
            has = features.has_evidence[kind].astype(np.float64)
            mz = np.zeros((k, n))
            for lo in range(0, n, 2000):
                z = pair_scores(features, background, idx[lo : lo + 2000], idx, w)
                mz[:, lo : lo + 2000] = np.asarray(member.T @ z.astype(np.float64).T)
            zsum.append(np.asarray(member.T @ mz.T))
            mh = np.asarray(member.T @ has)
            msum.append(np.outer(mh, mh))
        print(f"  components {time.perf_counter() - started:.0f}s", flush=True)
        np.savez(
            f"/tmp/story_{name}.npz",
            zsum=np.stack(zsum),
            msum=np.stack(msum),
            sizes=sizes,
            ev=ev,
            gold=np.array(gold_stories),
            days=features.days,
            dense=np.asarray(member.T @ features.dense),
            words=features.words,
        )
        days = features.days

        def report(tag: str, total: np.ndarray, weights: np.ndarray) -> None:
            merges = merge_history(total, weights, min(thresholds))
            cells = []
            for t in thresholds:
                story = cut(k, merges, t)[ev]
                rep = sc.evaluate(story, gold_stories)
                cells.append(f"{t:g}:{rep.bcubed_f1:.3f}/{len(set(story.tolist()))}")
            print(f"  {tag:34s} " + " ".join(cells), flush=True)

        for wd, wl, we in [
            (1, 0, 0),
            (0.75, 0.25, 0.25),
            (0.5, 0.5, 0.25),
            (0.25, 0.5, 0.25),
            (0, 1, 0),
            (0.5, 0.25, 0.5),
        ]:
            # Mean over pairs of the per-pair combination is not separable when masks vary;
            # approximate by the ratio of sums (exact where every pair has the evidence).
            num = wd * zsum[0] + wl * zsum[1] + we * zsum[2]
            den = wd * msum[0] + wl * msum[1] + we * msum[2]
            total = num / np.maximum(den, 1e-9) * np.outer(sizes, sizes)
            report(f"meanpair d{wd} l{wl} e{we}", total, sizes)
        if args.no_centroid:
            continue
        # Event documents: concatenated texts, IDF over events.
        texts = [lexical_text(a, 20_000) for a in prepared]
        docs = [[] for _ in range(k)]
        for i, c in enumerate(ev.tolist()):
            docs[c].append(texts[i])
        joined = ["\n".join(d) for d in docs]
        md = 2 if k >= 50 else 1
        lv = TfidfVectorizer(
            sublinear_tf=True,
            stop_words="english",
            min_df=md,
            max_df=0.5 if k >= 50 else 1.0,
            dtype=np.float32,
        )
        lex = sparse.csr_matrix(lv.fit_transform(joined))
        ents = [entity_tokens(t) for t in joined]
        try:
            evz = TfidfVectorizer(
                sublinear_tf=True,
                token_pattern=r"\S+",
                max_df=0.5 if k >= 50 else 1.0,
                dtype=np.float32,
            )
            ent = sparse.csr_matrix(evz.fit_transform(ents))
        except ValueError:
            ent = sparse.csr_matrix((k, 0), dtype=np.float32)
        dense = np.asarray(member.T @ features.dense)
        dense /= np.maximum(np.linalg.norm(dense, axis=1, keepdims=True), 1e-12)
        ev_days = np.array(
            [
                np.nanmedian(days[ev == c]) if np.isfinite(days[ev == c]).any() else np.nan
                for c in range(k)
            ]
        )
        ef = ArticleFeatures(
            dense=dense.astype(np.float32),
            lexical=lex,
            entities=ent,
            days=ev_days,
            vocabulary=lv.get_feature_names_out(),
            words=np.asarray(member.T @ features.words).astype(np.int64),
        )
        eb = estimate_background(ef)
        kidx = np.arange(k)
        for wd, wl, we in [
            (0.75, 0.25, 0.25),
            (0.5, 0.5, 0.25),
            (0.25, 0.5, 0.25),
            (0, 1, 0),
            (1, 0, 0),
        ]:
            for penalty, scale in [(0.0, 0.0), (0.5, 30.0)]:
                cw = SimilarityWeights(wd, wl, we, time_penalty=penalty, time_scale_days=scale)
                cs = pair_scores(ef, eb, kidx, kidx, cw).astype(np.float64)
                report(f"evdoc d{wd} l{wl} e{we} t{penalty}", cs, np.ones(k))
    return 0


if __name__ == "__main__":
    sys.exit(main())
