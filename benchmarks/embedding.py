"""What to embed, and what the cache saves: docs/s and B-cubed F1 per text choice, cold vs warm.

    HF_HUB_OFFLINE=1 .venv/bin/python benchmarks/embedding.py [--set gvc]

For each text choice (title + 400-char lead, the default; title + full body, truncated by the model
at 256 word pieces) the articles are embedded with an empty cache (throughput in docs/s) and then
clustered with those vectors. Then the default pipeline runs twice over the same file with one
fresh cache directory: the first run embeds, the second finds every vector cached.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", default="gvc")
    args = parser.parse_args()
    os.environ["STORYCLUSTER_CACHE"] = tempfile.mkdtemp(prefix="storycluster-bench-")

    import storycluster as sc
    from storycluster._features.embedding import SentenceTransformerEmbedder
    from storycluster._text.fields import lexical_text

    articles = sc.read_jsonl(DATA / args.set / "articles.jsonl")
    gold = [str(a.metadata["event_id"]) for a in articles]
    clusterer = sc.StoryClusterer(show_progress_bar=False)
    embedder = SentenceTransformerEmbedder(show_progress_bar=False)
    embedder.encode(["warm up the model"])
    choices = {
        "title + 400-char lead (default)": clusterer.embedding_texts(articles),
        "title + body (256 word pieces)": [
            lexical_text(clusterer._prepare(a), 20_000) for a in articles
        ],
    }
    print(f"{args.set}: {len(articles)} articles\n")
    print("| embedded text | docs/s (cold) | B³ F1 | pairwise F1 |")
    print("|---|---|---|---|")
    for name, texts in choices.items():
        started = time.perf_counter()
        vectors = embedder.encode(texts)
        rate = len(texts) / (time.perf_counter() - started)
        model = sc.StoryClusterer(show_progress_bar=False).fit(articles, embeddings=vectors)
        report = sc.evaluate(model.labels_, gold)
        print(f"| {name} | {rate:.1f} | {report.bcubed_f1:.3f} | {report.pairwise_f1:.3f} |")

    times = []
    for _ in range(2):
        started = time.perf_counter()
        sc.StoryClusterer(show_progress_bar=False).fit(articles)
        times.append(time.perf_counter() - started)
    print(
        f"\ndefault pipeline, same file twice, one fresh cache: first {times[0]:.1f} s, "
        f"second {times[1]:.1f} s ({times[0] / times[1]:.0f}x faster)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
