"""A replaying process for the stream crash tests: ``python stream_replayer.py STORE N``.

Opens the stream in ``STORE`` (an SQLite path or a ``postgresql://`` DSN), or starts one, and
feeds it the deterministic synthetic batches it has not committed yet, up to batch ``N``; the
tests kill it at random instants. Small articles and a hashed bag-of-words embedder keep each
batch a few milliseconds.
"""

from __future__ import annotations

import hashlib
import re
import sys
from datetime import UTC, datetime, timedelta

import numpy as np

TOPICS = [
    "earthquake nepal kathmandu rescuers rubble magnitude",
    "senate infrastructure bill manchin schumer budget",
    "hurricane louisiana orleans levees power floods",
    "barcelona sevilla messi liga goal camp",
    "election france macron lepen runoff vote",
    "wildfire california evacuations acres containment",
    "bank rates inflation central decision markets",
    "vaccine trial results efficacy pfizer dose",
]
PARAMS = {
    "short_threshold": 4.75,
    "short_dense_weight": 0.25,
    "short_lexical_weight": 0.5,
    "window": 3.0,
    "reservoir_size": 20,
    "max_members": 4,
}
DAY0 = datetime(2022, 1, 1, tzinfo=UTC)


class HashEmbedder:
    model_name = "hash-bow"

    def encode(self, texts):
        out = np.zeros((len(texts), 32), dtype=np.float32)
        for i, text in enumerate(texts):
            for word in re.findall(r"\w+", text.lower()):
                out[i, hashlib.blake2b(word.encode(), digest_size=2).digest()[0] % 31] += 1.0
            out[i, 31] = 1.0
        return out / np.linalg.norm(out, axis=1, keepdims=True)


def batches(n: int, size: int = 3) -> list[list[dict]]:
    rng = np.random.default_rng(7)
    out = []
    for b in range(n):
        batch = []
        for k in range(size):
            topic = int(rng.integers(len(TOPICS)))
            words = TOPICS[topic].split()
            picked = rng.choice(words, size=4, replace=False)
            undated = rng.random() < 0.1
            batch.append(
                {
                    "id": f"a{b}-{k}",
                    "title": " ".join(picked).capitalize() + f" update {b}",
                    "text": f"{' '.join(words)} report {topic} number {b} item {k}",
                    "published_at": None if undated else DAY0 + timedelta(days=b * 0.5),
                    "source": f"s{k}",
                }
            )
        out.append(batch)
    return out


def open_or_start(store):
    from storycluster.stream import StoreError, StreamClusterer

    try:
        return StreamClusterer.open(store, model=HashEmbedder())
    except StoreError:
        return StreamClusterer(store=store, model=HashEmbedder(), **PARAMS)


def main() -> None:
    store, n = sys.argv[1], int(sys.argv[2])
    stream = open_or_start(store)
    print("ready", flush=True)  # the tests time their kills from here
    done = stream._state.batch
    for batch in batches(n)[done:]:
        stream.partial_fit(batch)
    stream.close()


if __name__ == "__main__":
    main()
