"""The SQLite event store (standard library): one file in WAL mode, or in memory."""

from __future__ import annotations

import itertools
import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from ._store import EventStore

__all__ = ["SQLiteStore"]

_MEMORY = itertools.count()


class SQLiteStore(EventStore):
    """An SQLite file (``path``) or, with ``path=None``, a private in-memory database.

    The file is in WAL mode with ``synchronous=FULL``: a committed batch survives a crash of the
    process or of the machine, and readers (each thread its own connection) see the last
    committed batch without waiting for the writer.
    """

    def __init__(self, path: str | os.PathLike[str] | None) -> None:
        self.path = None if path is None else os.fspath(path)
        self.url = self.path or ":memory:"
        self.shared_reader = self.path is None
        super().__init__()

    def _connect(self, *, writer: bool) -> Any:
        if self.path is None:
            conn = sqlite3.connect(":memory:", check_same_thread=False, isolation_level=None)
        else:
            conn = sqlite3.connect(
                self.path, check_same_thread=False, isolation_level=None, timeout=30.0
            )
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=FULL")
            conn.execute("PRAGMA busy_timeout=30000")
            if writer:  # the candidate index and term statistics take random upserts
                conn.execute("PRAGMA cache_size=-32768")
        return conn

    def _tables(self) -> set[str]:
        rows = self._writer_query("SELECT name FROM sqlite_master WHERE type = 'table'")
        return {r[0] for r in rows}

    @contextmanager
    def _transaction(self) -> Iterator[Any]:
        with self._lock:
            cur = self._writer.cursor()
            cur.execute("BEGIN IMMEDIATE")
            try:
                yield cur
            except BaseException:
                cur.execute("ROLLBACK")
                raise
            cur.execute("COMMIT")
