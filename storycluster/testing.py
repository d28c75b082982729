"""Helpers for testing code that uses storycluster: fake embedders and article factories.

Nothing here loads a model or touches the network, so a service's own tests can build a
clusterer in milliseconds. Pass the fake where a model goes; no module global needs patching:

>>> import storycluster as sc
>>> from storycluster.testing import HashingEmbedder, article, event_articles
>>> records, gold = event_articles()  # four news events and one unrelated article
>>> model = sc.StoryClusterer(model=HashingEmbedder(), detect_language=False).fit(records)
>>> sorted(event.size for event in model.events_)
[1, 3, 3, 3, 4]
>>> article("a1", title="Quake hits Nepal").published_at.year
2020

For the command line, ``storycluster.cli.main(argv, embedder=HashingEmbedder())`` runs any
command with the fake in place of the named model.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

import numpy as np

from .models import Article

__all__ = ["HashingEmbedder", "article", "event_articles", "event_embeddings"]


class HashingEmbedder:
    """A tiny deterministic stand-in for a sentence model: hashed bag of lower-cased words.

    Rows are L2-normalised float32; a constant component keeps empty texts off the zero vector.
    ``calls`` and ``texts`` record what was asked, for cache tests.
    """

    model_name = "test-hashing-bow"

    def __init__(self, dim: int = 256) -> None:
        if dim < 2:
            raise ValueError(f"dim must be >= 2, got {dim}")
        self.dim = dim
        self.calls = 0
        self.texts: list[str] = []

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        if isinstance(texts, str):
            raise TypeError("encode() takes a sequence of texts, not a single str")
        self.calls += 1
        self.texts.extend(texts)
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            out[row, 0] = 0.1
            for word in re.findall(r"\w+", text.lower()):
                digest = hashlib.blake2b(word.encode("utf-8"), digest_size=4).digest()
                out[row, 1 + int.from_bytes(digest, "little") % (self.dim - 1)] += 1.0
        normalised: np.ndarray = out / np.linalg.norm(out, axis=1, keepdims=True)
        return normalised


def article(
    id: str,
    title: str | None = None,
    *,
    text: str | None = None,
    published_at: datetime | date | str | None = datetime(2020, 1, 1, 12, tzinfo=UTC),
    **fields: Any,
) -> Article:
    """An :class:`~storycluster.Article` with defaults for what a test does not care about: the
    title defaults to ``"Article <id>"`` and the publication time to 2020-01-01 12:00 UTC
    (``published_at=None`` for an undated one); other fields (``source``, ``url``,
    ``language``, ``metadata``) pass through."""
    return Article.model_validate(
        {
            "id": id,
            "title": title if title is not None or text is not None else f"Article {id}",
            "text": text,
            "published_at": published_at,
            **fields,
        }
    )


# Four well-separated events and one unrelated article; ids deliberately not in event order.
_EVENTS = {
    "quake": (
        "2015-04-25",
        [
            (
                "Magnitude 7.8 earthquake strikes Nepal near Kathmandu",
                "A powerful earthquake struck Nepal on Saturday, toppling buildings in Kathmandu "
                "and killing hundreds. The quake of magnitude 7.8 was centred near Lamjung.",
            ),
            (
                "Nepal earthquake death toll rises as rescuers search Kathmandu rubble",
                "Rescuers in Kathmandu dug through collapsed buildings after the Nepal earthquake. "
                "The magnitude 7.8 quake also triggered avalanches on Everest.",
            ),
            (
                "Everest avalanche after Nepal quake kills climbers",
                "The Nepal earthquake set off an avalanche at Everest base camp. Officials in "
                "Kathmandu said the magnitude 7.8 quake killed hundreds across Nepal.",
            ),
            (
                "Kathmandu quake: Nepal appeals for international help",
                "Nepal asked for foreign rescue teams after the magnitude 7.8 earthquake flattened "
                "parts of Kathmandu and the Everest region.",
            ),
        ],
    ),
    "teixeira": (
        "2008-12-23",
        [
            (
                "Yankees sign Mark Teixeira to eight-year deal",
                "The New York Yankees agreed to an eight-year, $180 million contract with first "
                "baseman Mark Teixeira, beating offers from the Red Sox and Angels.",
            ),
            (
                "Teixeira picks Yankees over Red Sox",
                "Free agent first baseman Mark Teixeira chose the Yankees, signing an eight-year "
                "contract worth $180 million. The Red Sox and Angels had also bid.",
            ),
            (
                "Mark Teixeira joins Yankees in $180 million contract",
                "First baseman Mark Teixeira signed with the New York Yankees for eight years and "
                "$180 million after talks with the Angels and Red Sox.",
            ),
        ],
    ),
    "iphone": (
        "2019-09-10",
        [
            (
                "Apple unveils iPhone 11 with dual camera",
                "Apple introduced the iPhone 11 at its Cupertino event, with a dual camera, a "
                "faster A13 chip and a lower price than the iPhone XR.",
            ),
            (
                "iPhone 11 and iPhone 11 Pro announced at Apple event",
                "At the Steve Jobs Theater in Cupertino, Apple announced the iPhone 11 and iPhone "
                "11 Pro, powered by the A13 chip with new camera features.",
            ),
            (
                "Apple's new iPhone 11 gets A13 chip and night mode camera",
                "Apple said the iPhone 11 brings the A13 chip and a night mode camera; the "
                "Cupertino company cut the price compared with last year's iPhone XR.",
            ),
        ],
    ),
    "wildfire": (
        "2018-11-09",
        [
            (
                "Camp Fire destroys town of Paradise in California",
                "The Camp Fire swept through Paradise, California, destroying thousands of homes "
                "as residents fled. Cal Fire said the blaze in Butte County was uncontained.",
            ),
            (
                "Paradise residents flee as Camp Fire burns Butte County",
                "Thousands evacuated Paradise as the Camp Fire raced across Butte County, "
                "California. Cal Fire crews fought the wildfire through the night.",
            ),
            (
                "Cal Fire: Camp Fire is deadliest wildfire in California history",
                "Cal Fire said the Camp Fire that burned Paradise in Butte County is the deadliest "
                "wildfire in California history, with thousands of homes destroyed.",
            ),
        ],
    ),
}
_LONER = (
    "How to bake sourdough bread at home",
    "Mix flour, water and salt with an active starter, fold the dough every half hour, "
    "then proof it overnight in the fridge before baking in a hot Dutch oven.",
)
_SOURCES = ["Reuters", "BBC", "AP", "Guardian"]


def event_articles() -> tuple[list[dict[str, Any]], list[str]]:
    """Records of four events plus one unrelated article, and their gold event names."""
    records: list[dict[str, Any]] = []
    gold: list[str] = []
    number = 0
    for event, (day, items) in _EVENTS.items():
        start = date.fromisoformat(day)
        for k, (title, text) in enumerate(items):
            records.append(
                {
                    "id": f"{event[:2]}-{(number * 7) % 17:02d}",
                    "title": title,
                    "text": text,
                    "source": _SOURCES[(k + 1) % len(_SOURCES)],
                    "published_at": (start + timedelta(days=k % 2)).isoformat() + "T12:00:00Z",
                    "metadata": {"event_id": event},
                }
            )
            gold.append(event)
            number += 1
    records.append(
        {
            "id": "zz-loner",
            "title": _LONER[0],
            "text": _LONER[1],
            "source": "Food Blog",
            "published_at": "2020-01-01",
            "metadata": {"event_id": "loner"},
        }
    )
    gold.append("loner")
    return records, gold


def event_embeddings(
    gold: Sequence[str], dim: int = 32, noise: float = 0.25, seed: int = 0
) -> np.ndarray:
    """Precomputed dense vectors: one random centroid per event plus a little noise, normalised
    (float32, one row per item of ``gold``, the event name of each article)."""
    rng = np.random.default_rng(seed)
    centroids = {name: rng.normal(size=dim) for name in sorted(set(gold))}
    rows = []
    for name in gold:
        centroid = centroids[name] / np.linalg.norm(centroids[name])
        rows.append(centroid + noise * rng.normal(size=dim) / np.sqrt(dim))
    matrix = np.array(rows, dtype=np.float32)
    normalised: np.ndarray = matrix / np.linalg.norm(matrix, axis=1, keepdims=True)
    return normalised
