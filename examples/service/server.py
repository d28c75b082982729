"""A small HTTP event service on the standard library: ingest batches, answer event queries.

    python examples/service/server.py --store events.db --port 8080
    curl -X POST localhost:8080/articles -d '{"articles": [{"id": "a1", "title": "..."}]}'
    curl 'localhost:8080/events?open_only=true&limit=20'
    curl localhost:8080/events/ev_0123456789abcdef
    curl localhost:8080/articles/a1/event

Endpoints (JSON in, JSON out):

``POST /articles``        ``{"articles": [...], "embeddings": [[...], ...]?}``: one batch
                          (``partial_fit``; re-delivered ids are skipped); returns the update.
``GET /events``           summaries; query parameters ``since``, ``until``, ``open_only``,
                          ``min_size``, ``order_by``, ``limit`` as ``StreamClusterer.events``.
``GET /events/<id>``      one event with its members.
``GET /events/<id>/articles``  its articles.
``GET /articles/<id>/event``   ``{"event_id": ...}``.
``POST /forget``          ``{"ids": [...]}``.
``GET /health``           counts.

The stream lives in ``--store`` (an SQLite file or a ``postgresql://`` DSN): every batch is
committed before the reply, so a restarted service (or one that crashed) answers from the last
committed batch and goes on. ``ThreadingHTTPServer`` answers queries while a batch is embedded.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from dataclasses import asdict
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlparse

from storycluster import StreamClusterer
from storycluster.stream import StoreError


def open_stream(store: str, **params: Any) -> StreamClusterer:
    try:
        return StreamClusterer.open(store)
    except StoreError:
        return StreamClusterer(store=store, **params)


def _json_default(value: Any) -> Any:
    if hasattr(value, "isoformat"):
        return value.isoformat()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


class Handler(BaseHTTPRequestHandler):
    stream: StreamClusterer

    def log_message(self, format: str, *args: Any) -> None:
        logging.getLogger("service").debug(format, *args)

    def _send(self, status: int, body: Any) -> None:
        data = json.dumps(body, default=_json_default, ensure_ascii=False).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _body(self) -> Any:
        length = int(self.headers.get("Content-Length") or 0)
        return json.loads(self.rfile.read(length) or b"null")

    def do_GET(self) -> None:
        url = urlparse(self.path)
        parts = [unquote(p) for p in url.path.strip("/").split("/") if p]
        query = {k: v[-1] for k, v in parse_qs(url.query).items()}
        try:
            if parts == ["health"]:
                self._send(
                    200, {"articles": self.stream.n_articles, "events": self.stream.n_events}
                )
            elif parts == ["events"]:
                summaries = self.stream.events(
                    since=query.get("since"),
                    until=query.get("until"),
                    open_only=query.get("open_only", "false").lower() in ("1", "true", "yes"),
                    min_size=int(query.get("min_size", 1)),
                    order_by=query.get("order_by", "size"),
                    limit=int(query["limit"]) if "limit" in query else None,
                )
                self._send(200, [asdict(s) for s in summaries])
            elif len(parts) == 2 and parts[0] == "events":
                self._send(200, self.stream.event(parts[1]).model_dump(mode="json"))
            elif len(parts) == 3 and parts[0] == "events" and parts[2] == "articles":
                articles = self.stream.articles_of(parts[1])
                self._send(200, [a.model_dump(mode="json") for a in articles])
            elif len(parts) == 3 and parts[0] == "articles" and parts[2] == "event":
                self._send(200, {"event_id": self.stream.event_of(parts[1])})
            else:
                self._send(404, {"error": f"no route {url.path}"})
        except KeyError as exc:
            self._send(404, {"error": str(exc.args[0] if exc.args else exc)})
        except ValueError as exc:
            self._send(400, {"error": str(exc)})

    def do_POST(self) -> None:
        path = urlparse(self.path).path.rstrip("/")
        try:
            body = self._body()
            if path == "/articles":
                articles = body["articles"] if isinstance(body, dict) else body
                embeddings = body.get("embeddings") if isinstance(body, dict) else None
                if embeddings is not None:
                    import numpy as np

                    embeddings = np.asarray(embeddings, dtype=np.float32)
                update = self.stream.partial_fit(articles, embeddings=embeddings)
                self._send(200, asdict(update))
            elif path == "/forget":
                self._send(200, {"forgotten": self.stream.forget(body["ids"])})
            else:
                self._send(404, {"error": f"no route {path}"})
        except (ValueError, KeyError, TypeError) as exc:
            self._send(400, {"error": str(exc)})


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Serve a stream of events over HTTP.")
    parser.add_argument("--store", required=True, help="SQLite file or postgresql:// DSN")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8080, help="0 picks a free port")
    parser.add_argument("--model", default=None, help="embedding model for a new stream")
    parser.add_argument(
        "--params", default="{}", help="JSON of StreamClusterer parameters for a new stream"
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    params = json.loads(args.params)
    if args.model is not None:
        params["model"] = args.model
    stream = open_stream(args.store, **params)
    Handler.stream = stream
    server = ThreadingHTTPServer((args.host, args.port), Handler)
    host, port = server.server_address[:2]
    print(f"listening on http://{host}:{port}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        stream.close()
        sys.stdout.flush()


if __name__ == "__main__":
    main()
