"""Crash safety of the event store: a replaying process killed at random instants.

Every reopen must give the state after some committed batch (the same assignments and events
as an uninterrupted run after that many batches), and finishing the replay must give the same
events as an uninterrupted run.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import stream_replayer as replayer

from storycluster.stream import StreamClusterer

HERE = Path(__file__).resolve().parent
N_BATCHES = 40


def _events(stream: StreamClusterer) -> list[dict]:
    return [stream.event(e.id).model_dump() for e in stream.events(order_by="id")]


@pytest.fixture(scope="module")
def reference() -> list[tuple[dict, list[dict]]]:
    """Assignments and events after each batch of an uninterrupted run."""
    stream = StreamClusterer(model=replayer.HashEmbedder(), **replayer.PARAMS)
    out = [({}, [])]
    for batch in replayer.batches(N_BATCHES):
        stream.partial_fit(batch)
        out.append((stream.assignments(), _events(stream)))
    return out


def _env() -> dict[str, str]:
    root = str(HERE.parent)
    path = os.environ.get("PYTHONPATH")
    return {**os.environ, "PYTHONPATH": root if not path else f"{root}{os.pathsep}{path}"}


def _crash_and_resume(new_target, reference, tries: int, seed: int, points: int = 3) -> None:
    """Kill replays at random instants, ``tries`` times in all; each round replays into a new
    store until a replay completes, then the round's store must hold the uninterrupted run."""
    rng = random.Random(seed)
    seen_batches: set[int] = set()
    done_tries = 0
    round_no = 0
    while done_tries < tries:
        target = new_target(round_no)
        round_no += 1
        command = [sys.executable, str(HERE / "stream_replayer.py"), target, str(N_BATCHES)]
        while done_tries < tries:
            done_tries += 1
            child = subprocess.Popen(
                command, env=_env(), stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
            )
            if rng.random() < 0.1:  # now and then, while it starts (or creates the store)
                deadline = time.monotonic() + rng.uniform(0.0, 2.0)
            else:  # mostly while it replays: a batch commits every few tens of milliseconds
                child.stdout.readline()
                deadline = time.monotonic() + rng.uniform(0.0, 1.0)
            while time.monotonic() < deadline and child.poll() is None:
                time.sleep(0.005)
            if child.poll() is None:
                child.send_signal(signal.SIGKILL)
            child.wait()
            child.stdout.close()
            try:
                stream = StreamClusterer.open(target, model=replayer.HashEmbedder())
            except ValueError:  # killed before its first transaction: no stream yet
                seen_batches.add(0)
                continue
            try:
                k = stream._state.batch
                seen_batches.add(k)
                assignments, events = reference[k]
                assert stream.assignments() == assignments, f"after batch {k}"
                assert _events(stream) == events, f"after batch {k}"
            finally:
                stream.close()
            if k == N_BATCHES:
                break
        done = subprocess.run(command, env=_env(), capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr
        stream = StreamClusterer.open(target, model=replayer.HashEmbedder())
        assert stream.assignments() == reference[-1][0]
        assert _events(stream) == reference[-1][1]
        stream.close()
    assert len(seen_batches) >= points, seen_batches  # kills landed at different points


@pytest.mark.slow  # kills child processes: about 10 s on a shared machine
def test_sqlite_survives_a_few_kills(tmp_path, reference) -> None:
    _crash_and_resume(
        lambda r: str(tmp_path / f"events{r}.db"), reference, tries=4, seed=1, points=1
    )


@pytest.mark.slow
def test_sqlite_survives_kills_at_random_instants(tmp_path, reference) -> None:
    _crash_and_resume(lambda r: str(tmp_path / f"events{r}.db"), reference, tries=55, seed=2)


@pytest.mark.slow
def test_postgres_survives_kills_at_random_instants(postgres_server, reference) -> None:
    import psycopg

    def new_database(round_no: int) -> str:
        name = f"crash_{os.getpid()}_{round_no}"
        with psycopg.connect(postgres_server, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
            conn.execute(f"CREATE DATABASE {name}")
        return postgres_server.rsplit("/", 1)[0] + f"/{name}"

    _crash_and_resume(new_database, reference, tries=55, seed=3)
