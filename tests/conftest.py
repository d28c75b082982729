"""Shared fixtures: the real model loaded once, an embedding cache, the labelled data sets."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from storycluster.testing import HashingEmbedder, event_articles, event_embeddings

# The fakes and factories live in storycluster.testing; import them from there. These names
# stay for test modules written before the move.
__all__ = ["HashingEmbedder", "event_embeddings", "make_event_articles"]
make_event_articles = event_articles

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


@pytest.fixture
def fake_embedder() -> HashingEmbedder:
    """A fresh deterministic hashed bag-of-words embedder (no model, no network)."""
    return HashingEmbedder()


@pytest.fixture
def event_records() -> list[dict]:
    """14 article records: four separate events (4, 3, 3, 3 articles) and one loner."""
    return event_articles()[0]


@pytest.fixture
def event_gold() -> list[str]:
    """Gold event name of each record of ``event_records``, in the same order."""
    return event_articles()[1]


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


@pytest.fixture(params=["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.slow)])
def store_target(request, tmp_path):
    """Each store: in memory, an SQLite file, a PostgreSQL database (slow: it starts a
    PostgreSQL server)."""
    if request.param == "memory":
        return None
    if request.param == "sqlite":
        return str(tmp_path / "events.db")
    return request.getfixturevalue("postgres_dsn")


#: Fixtures that load the real model; a test that uses one must be marked slow.
_REAL_MODEL_FIXTURES = frozenset({"embedder", "windowed_reference"})


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Refuse a test that loads the real model without the ``slow`` marker, so that
    ``make test-fast`` (``-m "not slow"``) never loads it."""
    unmarked = [
        item.nodeid
        for item in items
        if _REAL_MODEL_FIXTURES & set(getattr(item, "fixturenames", ()))
        and item.get_closest_marker("slow") is None
    ]
    if unmarked:
        raise pytest.UsageError(
            "tests that load the real model must be marked @pytest.mark.slow: "
            + ", ".join(unmarked)
        )
