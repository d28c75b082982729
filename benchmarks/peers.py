"""storycluster's default against off-the-shelf peers on the labelled sets: prints one table.

    STORYCLUSTER_CACHE=.cache/test-embeddings HF_HUB_OFFLINE=1 \\
        .venv/bin/python benchmarks/peers.py [--sets gvc,ecbplus] [--quick] [--out results.json]

Every method clusters the same MiniLM vectors (all-MiniLM-L6-v2 of title + 400-character lead of
the article as ``StoryClusterer`` prepares it, read through the embedding cache), so the comparison
is about clustering, not embedding. storycluster runs with its one default configuration; each peer
has its main knob tuned per set to its best B-cubed F1 over a grid (generous to the peers). For
the same footing, a second storycluster row tunes its threshold too (articles and short texts set
to one value; the defaults are 4.75 for articles, 3.0 for tweets and headlines).

Peers: average-linkage agglomerative on MiniLM cosine distance (distance_threshold), scikit-learn
HDBSCAN on MiniLM (min_cluster_size; noise as singletons), BERTopic with precomputed embeddings
(min_topic_size; outliers as singletons), sentence-transformers ``community_detection``
(threshold, min_community_size=1; unassigned as singletons), TF-IDF (title + text) average-linkage
agglomerative (distance_threshold), and GSDMM (beta), the Dirichlet multinomial mixture of the
googlenews set's authors, on the words of title and text (not on the MiniLM vectors).

Time and memory of the chosen configuration come from a fresh child process that runs it once
after a warm-up on 30 items: wall time of the clustering step (everything after the embeddings
exist: for storycluster the whole ``fit(articles, embeddings=E)``), and the peak resident memory
(Linux VmHWM, reset just before the step) minus the resident memory just before it.

**Two levels.** Every fit returns events and stories (groups of events); each set is scored at
the level of its gold labels, and the peers are tuned against the same gold: events on gvc,
ecbplus and allsides2021; stories on googlenews (Google News stories), crisislex_t26 (whole
crises) and ``ecbplus_topics`` (ecbplus with gold ``topic_id``: each topic holds two look-alike
events). At story level storycluster's rows are its ``story_labels_`` (default configuration),
and the tuned row tunes the story threshold (articles and short texts set to one value).

Results are cached per (set, method) in ``benchmarks/results/<set>__<method>.json``; a re-run
reuses them unless ``--force``. Progress goes to stderr, the table to stdout.
"""

from __future__ import annotations

import argparse
import gc
import json
import re
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

import storycluster as sc

HERE = Path(__file__).resolve().parent
DATA = HERE.parents[1] / "shared" / "data"
RESULTS = HERE / "results"
RESULTS_VERSION = 1
SETS = ("gvc", "ecbplus", "allsides2021", "googlenews", "crisislex_t26", "ecbplus_topics")
#: Sets whose gold labels are stories (groups of events); the others are events.
STORY_SETS = frozenset({"googlenews", "crisislex_t26", "ecbplus_topics"})
#: Set name -> (data folder, metadata field of the gold label), where not (name, "event_id").
SET_SOURCES = {"ecbplus_topics": ("ecbplus", "topic_id")}
# Sets too large for storycluster's batch clusterer (n x n matrix, max_articles=20,000): every
# method gets the same seeded sample:
# numpy.random.default_rng(0).choice(total, size, replace=False).
SAMPLES = {"crisislex_t26": (24_580, 6_000)}
UMAP_SEED = 42
WARMUP_ITEMS = 30


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# -- data -------------------------------------------------------------------------------------


def level(name: str) -> str:
    """``"stories"`` for a set whose gold labels are stories, else ``"events"``."""
    return "stories" if name in STORY_SETS else "events"


def set_path(data: Path, name: str) -> Path:
    return data / SET_SOURCES.get(name, (name, ""))[0] / "articles.jsonl"


def load_set(data: Path, name: str) -> tuple[list[sc.Article], list[str], str]:
    """Articles, gold labels (of the set's level) and a note saying whether it was sampled."""
    folder, field = SET_SOURCES.get(name, (name, "event_id"))
    articles = sc.read_jsonl(data / folder / "articles.jsonl")
    note = ""
    if name in SAMPLES:
        total, size = SAMPLES[name]
        if len(articles) != total:
            raise SystemExit(f"{name}: expected {total} documents, found {len(articles)}")
        idx = np.sort(np.random.default_rng(0).choice(total, size, replace=False))
        articles = [articles[i] for i in idx]
        note = f"seeded {size:,}-of-{total:,} sample"
    gold = [str(a.metadata[field]) for a in articles]
    if field != "event_id":
        note = ", ".join(filter(None, [note, f"gold {field}"]))
    return articles, gold, note


def embed(articles: list[sc.Article]) -> tuple[np.ndarray, int, int]:
    """Unit MiniLM vectors of the texts StoryClusterer embeds, through the on-disk cache."""
    from storycluster._features.cache import CachedEmbedder
    from storycluster._features.embedding import SentenceTransformerEmbedder
    from storycluster._text.fields import embedding_text

    clusterer = sc.StoryClusterer(show_progress_bar=False)
    prepare = getattr(clusterer, "_prepare", None)
    if prepare is None:  # the private helper moved: fall back to one full fit
        model = sc.StoryClusterer(show_progress_bar=False).fit(articles)
        return np.asarray(model.embeddings_, dtype=np.float32), -1, -1
    texts = [embedding_text(prepare(a), clusterer.lead_chars) for a in articles]
    embedder = CachedEmbedder(SentenceTransformerEmbedder(show_progress_bar=False))
    vectors = np.asarray(embedder.encode(texts), dtype=np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors, embedder.hits, embedder.misses


def documents(articles: list[sc.Article]) -> list[str]:
    """Title and text as given (what a user would hand TF-IDF or BERTopic)."""
    return [f"{a.title or ''}\n{a.text or ''}".strip() for a in articles]


@dataclass
class Context:
    articles: list[sc.Article]
    embeddings: np.ndarray
    docs: list[str]
    level: str = "events"


# -- helpers ----------------------------------------------------------------------------------


def noise_to_singletons(labels: np.ndarray) -> np.ndarray:
    """Give every negative (noise / outlier) label a fresh cluster id of its own."""
    labels = np.asarray(labels, dtype=np.int64).copy()
    noise = labels < 0
    start = labels.max() + 1 if (~noise).any() else 0
    labels[noise] = start + np.arange(int(noise.sum()))
    return labels


def condensed_cosine_distance(matrix: Any) -> np.ndarray:
    """1 - cosine of the rows of a unit-normed dense or sparse matrix, condensed (pdist order)."""
    n = matrix.shape[0]
    out = np.empty(n * (n - 1) // 2, dtype=np.float64)
    sparse = hasattr(matrix, "tocsr")
    position = 0
    block = 512
    for start in range(0, n, block):
        stop = min(n, start + block)
        sims = matrix[start:stop] @ matrix.T
        sims = sims.toarray() if sparse else np.asarray(sims)
        for row in range(start, stop):
            width = n - row - 1
            out[position : position + width] = sims[row - start, row + 1 :]
            position += width
    np.subtract(1.0, out, out=out)
    np.clip(out, 0.0, 2.0, out=out)
    return out


def average_linkage(matrix: Any) -> np.ndarray:
    from scipy.cluster.hierarchy import linkage

    return linkage(condensed_cosine_distance(matrix), method="average")


def cut(tree: np.ndarray, threshold: float) -> np.ndarray:
    """Flat clusters of an average-linkage tree: merges up to ``threshold`` cosine distance
    (scikit-learn's AgglomerativeClustering(metric="cosine", linkage="average",
    distance_threshold=threshold) up to ties)."""
    from scipy.cluster.hierarchy import fcluster

    return fcluster(tree, t=threshold, criterion="distance")


def tfidf(docs: list[str]) -> Any:
    from sklearn.feature_extraction.text import TfidfVectorizer

    return TfidfVectorizer(sublinear_tf=True, stop_words="english").fit_transform(docs)


def euclidean_matrix(vectors: np.ndarray) -> np.ndarray:
    """Euclidean distances of unit vectors, sqrt(2 - 2 cos), as a dense float64 matrix."""
    sims = vectors @ vectors.T
    dist = np.sqrt(np.clip(2.0 - 2.0 * sims.astype(np.float64), 0.0, None))
    np.fill_diagonal(dist, 0.0)
    return dist


def hdbscan_labels(distances: np.ndarray, min_cluster_size: int) -> np.ndarray:
    from sklearn.cluster import HDBSCAN

    model = HDBSCAN(min_cluster_size=int(min_cluster_size), metric="precomputed", copy=True)
    return noise_to_singletons(model.fit_predict(distances))


def umap_reduce(vectors: np.ndarray) -> np.ndarray:
    """BERTopic's default UMAP, seeded so every min_topic_size sees the same reduction."""
    from umap import UMAP

    model = UMAP(
        n_neighbors=15, n_components=5, min_dist=0.0, metric="cosine", random_state=UMAP_SEED
    )
    return model.fit_transform(vectors)


def bertopic_labels(docs: list[str], vectors: np.ndarray, min_topic_size: int, *, reduced: bool):
    """BERTopic topics (outliers as singletons); ``reduced``: vectors are already UMAP output."""
    from bertopic import BERTopic
    from bertopic.dimensionality import BaseDimensionalityReduction
    from umap import UMAP

    umap_model = (
        BaseDimensionalityReduction()
        if reduced
        else UMAP(
            n_neighbors=15, n_components=5, min_dist=0.0, metric="cosine", random_state=UMAP_SEED
        )
    )
    model = BERTopic(umap_model=umap_model, min_topic_size=int(min_topic_size), verbose=False)
    topics, _ = model.fit_transform(docs, embeddings=vectors)
    return noise_to_singletons(np.asarray(topics))


def gsdmm_labels(docs: list[str], beta: float, *, iterations: int = 20) -> np.ndarray:
    """GSDMM (Yin & Wang, KDD 2014): collapsed Gibbs sampling of a Dirichlet multinomial
    mixture, the reference short-text clusterer of the googlenews set's authors.

    Words as TF-IDF's analyzer reads them (English stop words removed), ``alpha`` 0.1, at most
    ``min(n, 1,000)`` clusters (the sampler empties the ones it does not need), ``beta`` the
    knob; seeded, so a run is repeatable.
    """
    from sklearn.feature_extraction.text import CountVectorizer

    counts = CountVectorizer(stop_words="english").fit_transform(docs).tocsr()
    n, vocabulary = counts.shape
    k = min(n, 1000)
    alpha = 0.1
    rng = np.random.default_rng(0)
    z = rng.integers(0, k, n)
    docs_in = np.bincount(z, minlength=k).astype(np.float64)
    words_in = np.zeros((k, vocabulary))
    total_in = np.zeros(k)
    words = [counts.indices[counts.indptr[i] : counts.indptr[i + 1]] for i in range(n)]
    times = [counts.data[counts.indptr[i] : counts.indptr[i + 1]] for i in range(n)]
    lengths = np.asarray(counts.sum(axis=1)).ravel()
    for i in range(n):
        words_in[z[i], words[i]] += times[i]
        total_in[z[i]] += lengths[i]
    for _ in range(iterations):
        for i in range(n):
            w, c, length = words[i], times[i], int(lengths[i])
            words_in[z[i], w] -= c
            total_in[z[i]] -= length
            docs_in[z[i]] -= 1
            log_p = np.log(docs_in + alpha)
            for j in range(int(c.max()) if c.size else 0):
                seen = w[c > j]
                log_p += np.log(words_in[:, seen] + beta + j).sum(axis=1)
            log_p -= np.log(total_in[:, None] + vocabulary * beta + np.arange(length)).sum(axis=1)
            p = np.exp(log_p - log_p.max())
            z[i] = rng.choice(k, p=p / p.sum())
            words_in[z[i], w] += c
            total_in[z[i]] += length
            docs_in[z[i]] += 1
    return z


def community_labels(vectors: np.ndarray, threshold: float) -> np.ndarray:
    import torch
    from sentence_transformers.util import community_detection

    communities = community_detection(
        torch.from_numpy(vectors), threshold=float(threshold), min_community_size=1
    )
    labels = np.full(len(vectors), -1, dtype=np.int64)
    for k, members in enumerate(communities):
        labels[np.asarray(members, dtype=np.int64)] = k
    return noise_to_singletons(labels)


# -- methods ----------------------------------------------------------------------------------
# Each method: run(ctx, knob) -> labels (what the timed child does), and sweep(ctx, grid) ->
# (knob, labels) pairs for the tuning, sharing the knob-independent work across the grid.


def _run_storycluster(ctx: Context, knob: Any) -> np.ndarray:
    # knob: None for the defaults, else the threshold (the story threshold at story level) for
    # articles and short texts alike. The labels are of the set's level.
    names = (
        ("story_threshold", "short_story_threshold")
        if ctx.level == "stories"
        else ("threshold", "short_threshold")
    )
    options = {} if knob is None else dict.fromkeys(names, knob)
    model = sc.StoryClusterer(show_progress_bar=False, **options)
    fitted = model.fit(ctx.articles, embeddings=ctx.embeddings)
    return fitted.story_labels_ if ctx.level == "stories" else fitted.labels_


def _sweep_storycluster(ctx: Context, grid: list[Any]) -> Iterator[tuple[Any, np.ndarray]]:
    for knob in grid:
        yield knob, _run_storycluster(ctx, knob)


def _run_agglo(ctx: Context, knob: float) -> np.ndarray:
    return cut(average_linkage(ctx.embeddings), knob)


def _sweep_agglo(ctx: Context, grid: list[float]) -> Iterator[tuple[Any, np.ndarray]]:
    tree = average_linkage(ctx.embeddings)
    for knob in grid:
        yield knob, cut(tree, knob)


def _run_tfidf(ctx: Context, knob: float) -> np.ndarray:
    return cut(average_linkage(tfidf(ctx.docs)), knob)


def _sweep_tfidf(ctx: Context, grid: list[float]) -> Iterator[tuple[Any, np.ndarray]]:
    tree = average_linkage(tfidf(ctx.docs))
    for knob in grid:
        yield knob, cut(tree, knob)


def _run_hdbscan(ctx: Context, knob: int) -> np.ndarray:
    return hdbscan_labels(euclidean_matrix(ctx.embeddings), knob)


def _sweep_hdbscan(ctx: Context, grid: list[int]) -> Iterator[tuple[Any, np.ndarray]]:
    distances = euclidean_matrix(ctx.embeddings)
    for knob in grid:
        if knob < len(ctx.articles):
            yield knob, hdbscan_labels(distances, knob)


def _run_bertopic(ctx: Context, knob: int) -> np.ndarray:
    return bertopic_labels(ctx.docs, ctx.embeddings, knob, reduced=False)


def _sweep_bertopic(ctx: Context, grid: list[int]) -> Iterator[tuple[Any, np.ndarray]]:
    reduced = umap_reduce(ctx.embeddings)
    for knob in grid:
        if knob < len(ctx.articles):
            yield knob, bertopic_labels(ctx.docs, reduced, knob, reduced=True)


def _run_gsdmm(ctx: Context, knob: float) -> np.ndarray:
    return gsdmm_labels(ctx.docs, knob)


def _sweep_gsdmm(ctx: Context, grid: list[float]) -> Iterator[tuple[Any, np.ndarray]]:
    for knob in grid:
        yield knob, gsdmm_labels(ctx.docs, knob)


def _run_community(ctx: Context, knob: float) -> np.ndarray:
    return community_labels(ctx.embeddings, knob)


def _sweep_community(ctx: Context, grid: list[float]) -> Iterator[tuple[Any, np.ndarray]]:
    for knob in grid:
        yield knob, community_labels(ctx.embeddings, knob)


@dataclass(frozen=True)
class Method:
    key: str
    label: str
    knob: str
    grid: tuple[Any, ...]
    quick_grid: tuple[Any, ...]
    run: Callable[[Context, Any], np.ndarray]
    sweep: Callable[[Context, list[Any]], Iterator[tuple[Any, np.ndarray]]]
    needs: str = ""
    levels: tuple[str, ...] = ("events", "stories")


def _steps(low: float, high: float, step: float) -> tuple[float, ...]:
    return tuple(round(float(x), 3) for x in np.arange(low, high + step / 2, step))


METHODS = {
    m.key: m
    for m in (
        Method("storycluster", "storycluster default", "—", (None,), (None,),
               _run_storycluster, _sweep_storycluster),
        Method("storycluster_tuned", "storycluster, threshold tuned like the peers", "threshold",
               tuple(sorted({*_steps(0.5, 7.0, 0.5), 4.75})), (1.5, 3.0, 4.75),
               _run_storycluster, _sweep_storycluster, levels=("events",)),
        Method("storycluster_story_tuned", "storycluster, story threshold tuned like the peers",
               "story_threshold", _steps(0.0, 3.0, 0.25), (0.5, 1.0, 1.5, 2.0),
               _run_storycluster, _sweep_storycluster, levels=("stories",)),
        Method("agglo_minilm", "agglomerative avg-link, MiniLM cosine", "distance_threshold",
               _steps(0.10, 0.90, 0.025), _steps(0.20, 0.80, 0.1), _run_agglo, _sweep_agglo),
        Method("hdbscan_minilm", "HDBSCAN (sklearn), MiniLM", "min_cluster_size",
               (2, 3, 4, 5, 6, 8, 10, 12, 15, 20, 25, 30, 40, 50, 75, 100),
               (2, 3, 5, 10, 20, 50), _run_hdbscan, _sweep_hdbscan),
        Method("bertopic", "BERTopic (precomputed embeddings)", "min_topic_size",
               (2, 3, 4, 5, 6, 8, 10, 12, 15, 20, 25, 30, 40, 50, 75, 100),
               (2, 3, 5, 10, 20, 50), _run_bertopic, _sweep_bertopic, needs="bertopic"),
        Method("community", "sentence-transformers community_detection", "threshold",
               _steps(0.40, 0.90, 0.025), _steps(0.40, 0.90, 0.1), _run_community,
               _sweep_community),
        Method("tfidf_agglo", "agglomerative avg-link, TF-IDF (title+text)", "distance_threshold",
               _steps(0.30, 0.99, 0.02), _steps(0.40, 0.95, 0.1), _run_tfidf, _sweep_tfidf),
        Method("gsdmm", "GSDMM (Dirichlet multinomial mixture, words)", "beta",
               (0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5), (0.02, 0.1), _run_gsdmm,
               _sweep_gsdmm),
    )
}  # fmt: skip


# -- the timed child ---------------------------------------------------------------------------


def _rss_kib(field: str) -> int:
    with open("/proc/self/status") as status:
        match = re.search(rf"^{field}:\s+(\d+)\s+kB", status.read(), re.MULTILINE)
    return int(match.group(1)) if match else -1


class _RssSampler(threading.Thread):
    """Fallback where VmHWM cannot be reset: polls the resident size every 5 ms."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.peak = 0
        self.running = True

    def run(self) -> None:
        while self.running:
            self.peak = max(self.peak, _rss_kib("VmRSS"))
            time.sleep(0.005)


def child_main(spec_json: str) -> int:
    spec = json.loads(spec_json)
    method = METHODS[spec["method"]]
    articles, _, _ = load_set(Path(spec["data"]), spec["set"])
    vectors = np.load(spec["embeddings"])
    ctx = Context(articles, vectors, documents(articles), level(spec["set"]))
    warm = Context(
        articles[:WARMUP_ITEMS], vectors[:WARMUP_ITEMS], ctx.docs[:WARMUP_ITEMS], ctx.level
    )  # imports, JIT compilation, model loading happen here, outside the measurement
    try:
        knob = spec["knob"]
        warm_knob = min(knob, 2) if isinstance(knob, int) else knob
        method.run(warm, warm_knob)
    except Exception as exc:
        print(f"warm-up failed ({exc!r}); continuing", file=sys.stderr)
    gc.collect()
    before = _rss_kib("VmRSS")
    try:
        with open("/proc/self/clear_refs", "w") as handle:
            handle.write("5")  # resets VmHWM to the current RSS
        sampler = None
        how = "VmHWM"
    except OSError:
        sampler = _RssSampler()
        sampler.start()
        how = "sampled RSS"
    started = time.perf_counter()
    labels = method.run(ctx, spec["knob"])
    elapsed = time.perf_counter() - started
    if sampler is None:
        peak = _rss_kib("VmHWM")
    else:
        sampler.running = False
        sampler.join()
        peak = max(sampler.peak, _rss_kib("VmRSS"))
    result = {
        "labels": np.asarray(labels).tolist(),
        "seconds": elapsed,
        "peak_mib": max(0, peak - before) / 1024,
        "memory_how": how,
    }
    print("CHILD_RESULT " + json.dumps(result))
    return 0


def timed_run(set_name: str, data: Path, method: Method, knob: Any, vectors: np.ndarray,
              timeout: int) -> dict[str, Any]:  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="peers-") as tmp:
        path = Path(tmp) / "embeddings.npy"
        np.save(path, vectors)
        spec = {
            "set": set_name, "data": str(data), "method": method.key, "knob": knob,
            "embeddings": str(path),
        }  # fmt: skip
        proc = subprocess.run(
            [sys.executable, str(Path(__file__).resolve()), "--child", json.dumps(spec)],
            capture_output=True, text=True, timeout=timeout, check=False,
        )  # fmt: skip
    for line in proc.stdout.splitlines():
        if line.startswith("CHILD_RESULT "):
            return json.loads(line[len("CHILD_RESULT ") :])
    raise RuntimeError(f"child failed (rc {proc.returncode}): {proc.stderr[-2000:]}")


# -- one (set, method) -------------------------------------------------------------------------


def scores(report: sc.EvaluationReport) -> dict[str, Any]:
    return {
        "bcubed_f1": report.bcubed_f1,
        "bcubed_precision": report.bcubed_precision,
        "bcubed_recall": report.bcubed_recall,
        "pairwise_f1": report.pairwise_f1,
        "ari": report.ari,
        "n_pred_clusters": report.n_pred_clusters,
        "n_gold_clusters": report.n_gold_clusters,
    }


def evaluate_method(set_name: str, data: Path, method: Method, ctx: Context, gold: list[str],
                    grid: list[Any], budget: float, timeout: int) -> dict[str, Any]:  # fmt: skip
    tried: list[tuple[Any, float]] = []
    best: tuple[float, Any] | None = None
    started = time.perf_counter()
    stopped_early = False
    # Nothing to tune: the timed run below is the only run.
    sweep = method.sweep(ctx, grid) if len(grid) > 1 else iter([(grid[0], None)])
    while True:
        try:
            knob, labels = next(sweep)
        except StopIteration:
            break
        except Exception as exc:
            log(f"  {method.key}: sweep failed: {exc!r}")
            break
        if labels is None:
            best = (float("nan"), knob)
            break
        f1 = sc.evaluate(labels, gold).bcubed_f1
        tried.append((knob, round(f1, 4)))
        if best is None or f1 > best[0]:
            best = (f1, knob)
        if method.knob != "—":
            log(f"  {method.key} {method.knob}={knob}: B3-F1 {f1:.3f}")
        if time.perf_counter() - started > budget and len(tried) < len(grid):
            stopped_early = True
            log(f"  {method.key}: tuning budget {budget:.0f}s spent; grid stopped")
            break
    if best is None:
        raise RuntimeError("no grid value produced a clustering")
    sweep_seconds = time.perf_counter() - started
    knob = best[1]
    log(f"  {method.key}: chosen {method.knob}={knob}; timing it in a fresh process")
    child = timed_run(set_name, data, method, knob, ctx.embeddings, timeout)
    report = sc.evaluate(child["labels"], gold)
    if tried and abs(report.bcubed_f1 - best[0]) > 1e-9:
        log(f"  {method.key}: timed run scored {report.bcubed_f1:.4f}, sweep {best[0]:.4f}")
    values = [k for k, _ in tried]
    edge = len(values) > 1 and knob in (values[0], values[-1]) and not stopped_early
    return {
        "set": set_name,
        "method": method.key,
        "label": method.label,
        "knob_name": method.knob,
        "knob": knob,
        "knob_at_grid_edge": bool(edge),
        "grid": tried,
        "grid_stopped_early": stopped_early,
        "sweep_seconds": sweep_seconds,
        "seconds": child["seconds"],
        "peak_mib": child["peak_mib"],
        "memory_how": child["memory_how"],
        **scores(report),
    }


# -- table ------------------------------------------------------------------------------------


def format_knob(row: dict[str, Any]) -> str:
    if row.get("error"):
        return f"failed: {row['error'][:60]}"
    if row["knob_name"] == "—":
        return "— (default)"
    star = "†" if row["knob_at_grid_edge"] else ""
    return f"{row['knob_name']}={row['knob']}{star}"


def table(rows: list[dict[str, Any]], notes: dict[str, str]) -> str:
    lines = [
        "| set | method | chosen knob | B³ F1 | pairwise F1 | ARI | clusters found (gold) "
        "| clustering s | peak MiB |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    by_set: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        by_set.setdefault(row["set"], []).append(row)
    for set_name, group in by_set.items():
        best = max((r["bcubed_f1"] for r in group if not r.get("error")), default=None)
        extra = f"; {notes[set_name]}" if notes.get(set_name) else ""
        label = f"{set_name}, {level(set_name)} (n={group[0]['n']:,}{extra})"
        for row in group:
            if row.get("error"):
                dashes = " — |" * 6
                lines.append(f"| {label} | {row['label']} | {format_knob(row)} |{dashes}")
                continue
            f1 = f"{row['bcubed_f1']:.3f}"
            if best is not None and abs(row["bcubed_f1"] - best) < 5e-4:
                f1 = f"**{f1}**"
            lines.append(
                f"| {label} | {row['label']} | {format_knob(row)} | {f1} | "
                f"{row['pairwise_f1']:.3f} | {row['ari']:.3f} | "
                f"{row['n_pred_clusters']:,} ({row['n_gold_clusters']:,}) | "
                f"{row['seconds']:.2f} | {row['peak_mib']:.0f} |"
            )
    return "\n".join(lines)


# -- main -------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sets", default=",".join(SETS))
    parser.add_argument("--methods", default=",".join(METHODS))
    parser.add_argument("--data", default=str(DATA), help="folder holding <set>/articles.jsonl")
    parser.add_argument("--quick", action="store_true", help="smaller tuning grids")
    parser.add_argument("--out", help="also write every row (grids included) to this JSON file")
    parser.add_argument("--results", default=str(RESULTS), help="per-(set, method) cache folder")
    parser.add_argument("--force", action="store_true", help="ignore cached per-method results")
    parser.add_argument(
        "--budget",
        type=float,
        default=600.0,
        help="seconds of tuning per (set, method) before the grid is cut short",
    )
    parser.add_argument(
        "--timeout",
        type=int,
        default=1800,
        help="seconds allowed for the timed run of the chosen configuration",
    )
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)  # fmt: skip
    if args.child:
        return child_main(args.child)

    data = Path(args.data)
    results = Path(args.results)
    results.mkdir(parents=True, exist_ok=True)
    methods = [METHODS[m] for m in args.methods.split(",")]
    rows: list[dict[str, Any]] = []
    notes: dict[str, str] = {}
    for set_name in args.sets.split(","):
        if not set_path(data, set_name).is_file():
            log(f"skipping {set_name}: {set_path(data, set_name)} not found")
            continue
        articles, gold, note = load_set(data, set_name)
        notes[set_name] = note
        ctx: Context | None = None
        for method in methods:
            if level(set_name) not in method.levels:
                continue
            grid = list(method.quick_grid if args.quick else method.grid)
            config = {
                "version": RESULTS_VERSION, "n": len(articles), "grid": grid, "note": note,
            }  # fmt: skip
            if method.key.startswith("storycluster"):
                # storycluster's labels depend on the level; the peers' do not.
                config["level"] = level(set_name)
            cache = results / f"{set_name}__{method.key}.json"
            if cache.is_file() and not args.force:
                stored = json.loads(cache.read_text())
                if stored.get("config") == config:
                    log(f"{set_name} / {method.key}: cached ({cache.name})")
                    rows.append(stored["row"])
                    continue
            if method.needs:
                try:
                    __import__(method.needs)
                except ImportError:
                    log(f"{set_name} / {method.key}: skipped, `{method.needs}` is not installed")
                    continue
            if ctx is None:
                extra = f" ({note})" if note else ""
                log(f"{set_name}: {len(articles):,} documents{extra}; embedding")
                started = time.perf_counter()
                vectors, hits, misses = embed(articles)
                log(
                    f"{set_name}: embeddings {vectors.shape} "
                    f"in {time.perf_counter() - started:.1f}s "
                    f"(cache hits {hits}, misses {misses})"
                )
                ctx = Context(articles, vectors, documents(articles), level(set_name))
            log(f"{set_name} / {method.key}: tuning over {len(grid)} value(s)")
            try:
                row = evaluate_method(set_name, data, method, ctx, gold, grid, args.budget,
                                      args.timeout)  # fmt: skip
            except Exception as exc:
                log(f"{set_name} / {method.key}: FAILED {exc!r}")
                row = {"set": set_name, "method": method.key, "label": method.label,
                       "error": repr(exc)}  # fmt: skip
            row["n"] = len(articles)
            row["note"] = note
            if not row.get("error"):
                log(
                    f"{set_name} / {method.key}: B3-F1 {row['bcubed_f1']:.3f}, "
                    f"{row['seconds']:.2f}s, {row['peak_mib']:.0f} MiB"
                )
                cache.write_text(json.dumps({"config": config, "row": row}, indent=1))
            rows.append(row)
    for row in rows:
        row.setdefault("n", 0)
    print(table(rows, notes))
    how = {r.get("memory_how") for r in rows if r.get("memory_how")}
    print(
        "\nB³ = B-cubed. Clustering s: wall time of the chosen configuration in a fresh process "
        "after a warm-up, embeddings given (storycluster: the whole fit(articles, embeddings=E)). "
        f"Peak MiB: peak resident memory during that step minus resident memory before it "
        f"({', '.join(sorted(how)) or 'VmHWM'}). † chosen knob at the edge of its grid."
    )
    if args.out:
        Path(args.out).write_text(json.dumps(rows, indent=1))
        log(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
