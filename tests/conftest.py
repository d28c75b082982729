"""Shared fixtures: the real model loaded once, an embedding cache, the labelled data sets."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
DATA = SHARED / "data"
SEEDS = SHARED / "seeds"
SAMPLE = REPO / "data" / "sample" / "articles.jsonl"

# The packaged model must load with no network; embeddings are cached across test runs.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("STORYCLUSTER_CACHE", str(REPO / ".cache" / "test-embeddings"))


def dataset_path(name: str) -> Path:
    """Path of ``../shared/data/<name>/articles.jsonl``, skipping the test when it is absent."""
    path = DATA / name / "articles.jsonl"
    if not path.is_file():
        pytest.skip(
            f"labelled set {name!r} not found at {path} (needs ../shared/data beside the repo)"
        )
    return path


@pytest.fixture(scope="session")
def embedder():
    """The real all-MiniLM-L6-v2, loaded once per session, behind the on-disk cache."""
    from storycluster._features.cache import CachedEmbedder
    from storycluster._features.embedding import SentenceTransformerEmbedder

    return CachedEmbedder(SentenceTransformerEmbedder(show_progress_bar=False))


class HashingEmbedder:
    """A tiny deterministic stand-in for a sentence model: hashed bag of lower-cased words.

    Rows are L2-normalised float32; a constant component keeps empty texts off the zero vector.
    ``calls`` and ``texts`` record what was asked, for cache tests.
    """

    model_name = "test-hashing-bow"

    def __init__(self, dim: int = 256) -> None:
        self.dim = dim
        self.calls = 0
        self.texts: list[str] = []

    def encode(self, texts):
        import hashlib
        import re

        import numpy as np

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
        return out / np.linalg.norm(out, axis=1, keepdims=True)


@pytest.fixture
def fake_embedder() -> HashingEmbedder:
    """A fresh deterministic hashed bag-of-words embedder (no model, no network)."""
    return HashingEmbedder()


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


def make_event_articles() -> tuple[list[dict], list[str]]:
    """Records of four events plus one unrelated article, and their gold event names."""
    from datetime import date, timedelta

    records: list[dict] = []
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


def event_embeddings(gold: list[str], dim: int = 32, noise: float = 0.25, seed: int = 0):
    """Precomputed dense vectors: one random centroid per event plus a little noise, normalised."""
    import numpy as np

    rng = np.random.default_rng(seed)
    centroids = {name: rng.normal(size=dim) for name in sorted(set(gold))}
    rows = []
    for name in gold:
        centroid = centroids[name] / np.linalg.norm(centroids[name])
        rows.append(centroid + noise * rng.normal(size=dim) / np.sqrt(dim))
    matrix = np.array(rows, dtype=np.float32)
    return matrix / np.linalg.norm(matrix, axis=1, keepdims=True)


@pytest.fixture
def event_records() -> list[dict]:
    """14 article records: four separate events (4, 3, 3, 3 articles) and one loner."""
    return make_event_articles()[0]


@pytest.fixture
def event_gold() -> list[str]:
    """Gold event name of each record of ``event_records``, in the same order."""
    return make_event_articles()[1]


@pytest.fixture
def event_vectors(event_gold):
    """Precomputed ``(14, 32)`` normalised embeddings of ``event_records``."""
    return event_embeddings(event_gold)


@pytest.fixture(scope="session")
def windowed_reference(embedder):
    """``name -> (articles, vectors, frame, links, events)`` for a labelled set, computed once
    per session and shared by the engine tests (Spark, Ray): the articles, their cached MiniLM
    vectors, the input frame and :func:`storycluster.distributed.cluster_pandas` of it.
    Treat the returned objects as read-only."""
    import storycluster as sc
    from storycluster.distributed import _core as dist

    computed: dict[str, tuple] = {}

    def reference(name: str) -> tuple:
        if name not in computed:
            articles = sc.read_jsonl(dataset_path(name))
            vectors = embedder.encode(sc.StoryClusterer().embedding_texts(articles))
            frame = dist.frame_from_articles(articles, vectors)
            computed[name] = (articles, vectors, frame, *dist.cluster_pandas(frame))
        return computed[name]

    return reference


# -- PostgreSQL -------------------------------------------------------------------------------

PG_BIN = Path(os.environ.get("STORYCLUSTER_PG_BIN", "/usr/lib/postgresql/15/bin"))


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def postgres_server():
    """A throw-away PostgreSQL server on a loopback port, for the whole session.

    Started from the machine's binaries (``initdb`` and ``pg_ctl`` in ``$STORYCLUSTER_PG_BIN``,
    default ``/usr/lib/postgresql/15/bin``) in a temporary directory; as root, the server runs
    as the ``postgres`` user. Stopped and removed at the end of the session. Yields the DSN of
    its ``postgres`` database.
    """
    import shutil
    import subprocess
    import tempfile

    initdb, pg_ctl = PG_BIN / "initdb", PG_BIN / "pg_ctl"
    if not (initdb.is_file() and pg_ctl.is_file()):
        pytest.skip(f"PostgreSQL binaries not found in {PG_BIN} (set STORYCLUSTER_PG_BIN)")
    pytest.importorskip("psycopg", reason="the postgres extra (psycopg 3) is not installed")
    root = Path(tempfile.mkdtemp(prefix="storycluster-pg-"))
    prefix: list[str] = []
    if os.geteuid() == 0:
        import pwd

        user = pwd.getpwnam("postgres")
        os.chown(root, user.pw_uid, user.pw_gid)
        prefix = ["runuser", "-u", "postgres", "--"]
    data = root / "data"
    port = _free_port()
    subprocess.run(
        [
            *prefix,
            str(initdb),
            "-D",
            str(data),
            "-U",
            "postgres",
            "--auth=trust",
            "-E",
            "UTF8",
            "--locale=C",
        ],
        check=True,
        capture_output=True,
    )
    subprocess.run(
        [
            *prefix,
            str(pg_ctl),
            "-D",
            str(data),
            "-l",
            str(root / "log"),
            "-w",
            "-t",
            "60",
            "-o",
            f"-p {port} -h 127.0.0.1 -k {root} -c fsync=off",
            "start",
        ],
        check=True,
        capture_output=True,
    )
    try:
        yield f"postgresql://postgres@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run(
            [*prefix, str(pg_ctl), "-D", str(data), "-m", "immediate", "-w", "stop"],
            capture_output=True,
        )
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def postgres_dsn(postgres_server):
    """A fresh, empty database on the session's server; dropped after the test."""
    import uuid

    import psycopg

    name = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(postgres_server, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    yield postgres_server.rsplit("/", 1)[0] + f"/{name}"
    with psycopg.connect(postgres_server, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture(params=["memory", "sqlite", "postgres"])
def store_target(request, tmp_path):
    """Each store: in memory, an SQLite file, a PostgreSQL database."""
    if request.param == "memory":
        return None
    if request.param == "sqlite":
        return str(tmp_path / "events.db")
    return request.getfixturevalue("postgres_dsn")
