"""Stories by modularity (Louvain) on a nearest-neighbour graph instead of average linkage.

    HF_HUB_OFFLINE=1 STORYCLUSTER_CACHE=... .venv/bin/python benchmarks/story_louvain.py \\
        [--sets ecbplus,crisislex_t26,googlenews] [--k 5,10,15] [--resolution 2,3,4,6] [--floor 1]

Fits the default ``StoryClusterer`` once per set, takes each article's ``max(k)`` best partners
by story score (``model.story_weights_``: the event evidence with the story time term) and
builds a graph whose edges weigh ``score - floor`` (edges at or below the floor left out). Two
ways to read it, each by NetworkX's Louvain (``louvain_communities``, seed 0) at each resolution:

* ``events``: one node per default event, its articles' edges summed (edges inside an event are
  its self-loop), so every story is a group of whole events, as the library requires;
* ``articles``: one node per article, ignoring the events (stories may split an event; shown for
  what the event partition costs).

Prints the story-level B-cubed F1 against the story gold (ecbplus ``meta.topic_id``;
googlenews and crisislex_t26 ``event_id``; crisislex_t26 is the seeded 6,000 sample) beside the
default's. Exploration only (issue 14); the default lives in :mod:`storycluster._grouping.stories`.
NetworkX comes with PyTorch.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import networkx as nx
import numpy as np

import storycluster as sc
from storycluster._scoring.similarity import pair_scores

sys.path.insert(0, str(Path(__file__).resolve().parent))
from story_grid import load
from story_grid3 import fitted


def best_partners(model: sc.StoryClusterer, features: object, background: object, k: int):
    """Each article's ``k`` best partners by story score, best first, and their scores."""
    n = len(model.labels_)
    every = np.arange(n)
    partners = np.empty((n, k), dtype=np.int64)
    scores = np.empty((n, k))
    for start in range(0, n, 1000):
        rows = every[start : start + 1000]
        block = pair_scores(features, background, rows, every, model.story_weights_)  # type: ignore[arg-type]
        block = block.astype(np.float64)
        block[np.arange(rows.size), rows] = -np.inf
        top = np.argpartition(-block, k, axis=1)[:, :k]
        values = np.take_along_axis(block, top, axis=1)
        order = np.argsort(-values, axis=1, kind="stable")
        partners[rows] = np.take_along_axis(top, order, axis=1)
        scores[rows] = np.take_along_axis(values, order, axis=1)
    return partners, scores


def louvain(nodes: np.ndarray, a: np.ndarray, b: np.ndarray, w: np.ndarray, resolution: float):
    """Louvain communities of the graph on ``nodes`` ids ``0..m-1`` with edges ``(a, b, w)``
    (repeated edges summed); returns each node's community."""
    m = int(nodes.size)
    low, high = np.minimum(a, b), np.maximum(a, b)
    keys, inverse = np.unique(low * m + high, return_inverse=True)
    weights = np.bincount(inverse, weights=w)
    graph = nx.Graph()
    graph.add_nodes_from(range(m))
    graph.add_weighted_edges_from(
        zip((keys // m).tolist(), (keys % m).tolist(), weights.tolist(), strict=True)
    )
    found = nx.community.louvain_communities(graph, weight="weight", resolution=resolution, seed=0)
    labels = np.empty(m, dtype=np.int64)
    for community, members in enumerate(found):
        labels[list(members)] = community
    return labels


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sets", default="ecbplus,crisislex_t26,googlenews")
    parser.add_argument("--k", default="5,10,15")
    parser.add_argument("--resolution", default="2,3,4,6")
    parser.add_argument("--floor", default="1")
    args = parser.parse_args()
    ks = [int(x) for x in args.k.split(",")]
    resolutions = [float(x) for x in args.resolution.split(",")]
    floors = [float(x) for x in args.floor.split(",")]
    print("| set | default | nodes | k | floor | " + " | ".join(f"res {r:g}" for r in resolutions))
    print("|---|---:|---|---:|---:|" + "---:|" * len(resolutions))
    for name in args.sets.split(","):
        articles, _, story_gold = load(name)
        model, features, background = fitted(articles)
        events = np.asarray(model.labels_, dtype=np.int64)
        default = sc.evaluate(model.story_labels_, story_gold).bcubed_f1
        partners, scores = best_partners(model, features, background, max(ks))
        n = events.size
        for nodes in ("events", "articles"):
            for k in ks:
                for floor in floors:
                    rows = np.repeat(np.arange(n), k)
                    cols = partners[:, :k].ravel()
                    w = scores[:, :k].ravel() - floor
                    keep = w > 0
                    rows, cols, w = rows[keep], cols[keep], w[keep]
                    cells = []
                    for resolution in resolutions:
                        if nodes == "events":
                            ids = np.arange(int(events.max()) + 1)
                            labels = louvain(ids, events[rows], events[cols], w, resolution)[events]
                        else:
                            labels = louvain(np.arange(n), rows, cols, w, resolution)
                        cells.append(f"{sc.evaluate(labels, story_gold).bcubed_f1:.3f}")
                    print(
                        f"| {name} | {default:.3f} | {nodes} | {k} | {floor:g} | "
                        + " | ".join(cells)
                        + " |",
                        flush=True,
                    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
