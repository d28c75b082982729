"""Snapshots of a stream: export to one checksummed SQLite file, import into a store.

:func:`save_snapshot` copies every table of a store into a new SQLite file written beside the
target under a unique temporary name, adds a BLAKE2 checksum of every table's rows, syncs it to
disk and renames it over the target in one step: at every instant the target is the old
snapshot or the new one, never nothing. It overwrites only a snapshot (a file it could have
written); it refuses a directory or any other file, and removes nothing but its own temporary
file when it fails. :func:`load_snapshot` checks the format, every checksum and the consistency
of events, articles and scoring rows before it imports anything.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import sqlite3
from pathlib import Path
from typing import Any

from ._store import TABLES, EventStore, StoreError

__all__ = ["FORMAT_VERSION", "StateError", "load_snapshot", "save_snapshot"]

FORMAT_VERSION = 4
_SNAPSHOT = "sc_snapshot"


class StateError(StoreError):
    """A snapshot that cannot be read: not a snapshot, another version, corrupted, inconsistent."""


def _digest(columns: list[str], rows: list[tuple[Any, ...]]) -> str:
    h = hashlib.blake2b(digest_size=16)
    h.update(json.dumps(columns).encode())
    for row in rows:
        for value in row:
            if isinstance(value, (bytes, bytearray, memoryview)):
                data = bytes(value)
                h.update(b"b" + len(data).to_bytes(8, "little") + data)
            else:
                text = json.dumps(value, ensure_ascii=False).encode("utf-8")
                h.update(b"j" + len(text).to_bytes(8, "little") + text)
    return h.hexdigest()


def _is_snapshot(path: Path) -> bool:
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            rows = conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name = ?", (_SNAPSHOT,)
            ).fetchall()
        finally:
            conn.close()
    except sqlite3.DatabaseError:
        return False
    return bool(rows)


def save_snapshot(store: EventStore, path: str | os.PathLike[str]) -> None:
    """Write every table of ``store`` to the SQLite file ``path`` (see the module docstring)."""
    from ._sqlite import SQLiteStore

    target = Path(path)
    if target.is_dir():
        raise StateError(f"{target} is a directory; give the path of a snapshot file")
    if target.exists() and not _is_snapshot(target):
        raise StateError(f"{target} exists and is not a storycluster snapshot; not replacing it")
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".{target.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    try:
        copy = SQLiteStore(temporary)
        try:
            copy.create({})
            checksums: dict[str, str] = {}
            with copy._transaction() as cur:
                cur.execute("DELETE FROM sc_meta")
            for table in TABLES:
                columns = store.columns(table)
                rows = list(store.dump(table))
                checksums[table] = _digest(columns, rows)
                copy.load_rows(table, columns, rows)
            with copy._transaction() as cur:
                cur.execute(f"CREATE TABLE {_SNAPSHOT} (key TEXT PRIMARY KEY, value TEXT)")
                cur.executemany(
                    f"INSERT INTO {_SNAPSHOT} (key, value) VALUES (?, ?)",
                    [("format_version", str(FORMAT_VERSION)), ("checksums", json.dumps(checksums))],
                )
            copy._writer.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            copy._writer.execute("PRAGMA journal_mode=DELETE")
        finally:
            copy.close()
        with open(temporary, "rb+") as handle:
            os.fsync(handle.fileno())
        os.replace(temporary, target)
        _sync_dir(target.parent)
    finally:
        for leftover in (temporary, Path(f"{temporary}-wal"), Path(f"{temporary}-shm")):
            if leftover.exists():
                leftover.unlink()


def _sync_dir(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:  # pragma: no cover - platforms without directory handles
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def load_snapshot(path: str | os.PathLike[str], store: EventStore) -> None:
    """Check the snapshot at ``path`` and import it into the empty ``store``."""
    source = Path(path)
    if not source.is_file():
        raise StateError(f"no stream snapshot at {source}")
    if not _is_snapshot(source):
        raise StateError(f"{source} is not a storycluster stream snapshot")
    if store.has_stream():
        raise StateError(f"{store.url} already holds a stream; import into an empty store")
    conn = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    try:
        info = dict(conn.execute(f"SELECT key, value FROM {_SNAPSHOT}").fetchall())
        if info.get("format_version") != str(FORMAT_VERSION):
            raise StateError(
                f"snapshot {source} has format_version {info.get('format_version')}; this "
                f"storycluster reads version {FORMAT_VERSION} only"
            )
        checksums = json.loads(info.get("checksums", "{}"))
        tables: dict[str, tuple[list[str], list[tuple[Any, ...]]]] = {}
        for table, key in TABLES.items():
            try:
                cur = conn.execute(f"SELECT * FROM {table} ORDER BY {key}")
            except sqlite3.DatabaseError as exc:
                raise StateError(f"snapshot {source} is missing table {table} ({exc})") from None
            columns = [d[0] for d in cur.description]
            rows = cur.fetchall()
            if checksums.get(table) != _digest(columns, rows):
                raise StateError(
                    f"snapshot {source}: table {table} is corrupted (checksum mismatch)"
                )
            tables[table] = (columns, rows)
    except sqlite3.DatabaseError as exc:
        raise StateError(f"snapshot {source} is corrupted: {exc}") from None
    finally:
        conn.close()
    _check_consistency(source, tables)
    store.create({})
    with store._transaction() as cur:
        cur.execute("DELETE FROM sc_meta")
    for table, (columns, rows) in tables.items():
        if rows:
            store.load_rows(table, columns, rows)


def _check_consistency(
    source: Path, tables: dict[str, tuple[list[str], list[tuple[Any, ...]]]]
) -> None:
    def records(table: str) -> list[dict[str, Any]]:
        columns, rows = tables[table]
        return [dict(zip(columns, r, strict=True)) for r in rows]

    meta = {r["key"]: json.loads(r["value"]) for r in records("sc_meta")}
    events = {r["id"]: r for r in records("events")}
    articles = records("articles")
    rows = {r["arrival"] for r in records("sc_rows")}
    problems: list[str] = []
    sizes: dict[str, int] = {}
    for article in articles:
        sizes[article["event_id"]] = sizes.get(article["event_id"], 0) + 1
        event = events.get(article["event_id"])
        if event is None or event["absorbed_into"] is not None:
            problems.append(f"article {article['id']!r} is in no live event")
        if article["arrival"] >= meta.get("n_rows", 0):
            problems.append(f"article {article['id']!r} arrived after the last batch")
    for event_id, event in events.items():
        if event["absorbed_into"] is None and sizes.get(event_id, 0) != event["size"]:
            problems.append(
                f"event {event_id!r} has size {event['size']} but {sizes.get(event_id, 0)} articles"
            )
        if event["absorbed_into"] is None and event["is_open"]:
            for arrival in json.loads(event["scoring"]):
                if arrival not in rows:
                    problems.append(f"event {event_id!r} lacks scoring row {arrival}")
        survivor = event["absorbed_into"]
        if survivor is not None and (
            survivor not in events or events[survivor]["absorbed_into"] is not None
        ):
            problems.append(f"event {event_id!r} is absorbed into no live event")
    for arrival in meta.get("reservoir", []):
        if arrival not in rows:
            problems.append(f"reservoir row {arrival} is missing")
    if problems:
        shown = "; ".join(problems[:5])
        more = f" (and {len(problems) - 5} more)" if len(problems) > 5 else ""
        raise StateError(f"snapshot {source} is inconsistent: {shown}{more}")
