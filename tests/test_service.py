"""The example HTTP service (examples/service/server.py): ingest, query, survive a restart."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import numpy as np
from test_stream import ARTICLE_SCORING, FakeEmbedder, article

REPO = Path(__file__).resolve().parents[1]
SERVER = REPO / "examples" / "service" / "server.py"


class Service:
    def __init__(self, store: Path) -> None:
        env = {**os.environ, "PYTHONPATH": str(REPO)}
        self.process = subprocess.Popen(
            [
                sys.executable,
                str(SERVER),
                "--store",
                str(store),
                "--port",
                "0",
                "--params",
                json.dumps(ARTICLE_SCORING),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            env=env,
        )
        line = self.process.stdout.readline()
        assert line.startswith("listening on "), line
        self.url = line.split()[-1]

    def get(self, path: str):
        with urllib.request.urlopen(self.url + path, timeout=30) as response:
            return json.loads(response.read())

    def post(self, path: str, body) -> tuple[int, dict]:
        request = urllib.request.Request(
            self.url + path,
            data=json.dumps(body).encode(),
            headers={"Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read())

    def stop(self) -> None:
        self.process.kill()
        self.process.wait()
        self.process.stdout.close()


def _batch(items):
    records = [a.model_dump(mode="json") for a in items]
    vectors = FakeEmbedder().encode([f"{a.title}\n{a.text}" for a in items])
    return {"articles": records, "embeddings": np.asarray(vectors).tolist()}


def test_service_ingests_answers_and_survives_a_restart(tmp_path) -> None:
    store = tmp_path / "events.db"
    service = Service(store)
    try:
        status, update = service.post(
            "/articles", _batch([article(0, "quake"), article(1, "quake"), article(0, "vote")])
        )
        assert status == 200 and len(update["assignments"]) == 3
        quake = service.get("/articles/quake-0/event")["event_id"]
        assert service.get("/articles/quake-1/event")["event_id"] == quake
        top = service.get("/events?limit=1")
        assert top[0]["id"] == quake and top[0]["size"] == 2
        assert service.get(f"/events/{quake}")["size"] == 2
        status, again = service.post("/articles", _batch([article(0, "quake")]))
        assert status == 200 and again["skipped"] == ["quake-0"]
        status, error = service.post("/articles", {"articles": [{"id": "x", "title": " "}]})
        assert status == 400 and "error" in error
    finally:
        service.stop()  # killed, not shut down: the store holds every committed batch
    service = Service(store)
    try:
        assert service.get("/health") == {"articles": 3, "events": 2}
        assert service.get("/articles/quake-1/event")["event_id"] == quake
        status, _ = service.post("/articles", _batch([article(2, "quake", 0.5)]))
        assert status == 200
        assert service.get(f"/events/{quake}")["size"] == 3
        assert len(service.get(f"/events/{quake}/articles")) == 3
        assert service.get("/events?open_only=true&min_size=2")[0]["id"] == quake
        status, body = service.post("/forget", {"ids": ["vote-0"]})
        assert status == 200 and body["forgotten"] == ["vote-0"]
        assert service.get("/health")["events"] == 1
    finally:
        service.stop()
