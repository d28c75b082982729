"""The PostgreSQL event store (psycopg 3, the ``postgres`` extra), same schema as SQLite."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from ._store import EventStore

__all__ = ["PostgresStore"]

_INSTALL_HINT = "a postgresql:// store needs psycopg 3: pip install 'storycluster[postgres]'"


def _psycopg() -> Any:
    try:
        import psycopg
    except ImportError as exc:  # pragma: no cover - exercised only without psycopg
        raise ImportError(_INSTALL_HINT) from exc
    return psycopg


class PostgresStore(EventStore):
    """Tables in the database (and ``search_path``) of a ``postgresql://`` DSN.

    Each batch is one transaction; readers use connections of their own in autocommit mode,
    so they see committed batches only and never wait for one being written.
    """

    placeholder = "%s"
    blob_type = "BYTEA"
    real_type = "DOUBLE PRECISION"
    int_type = "BIGINT"
    greatest = "GREATEST"
    text_order = ' COLLATE "C"'
    cross_join = "JOIN"
    nulls_last = " NULLS LAST"
    without_rowid = ""
    span_index = ""

    def __init__(self, dsn: str) -> None:
        self.dsn = dsn
        self.url = dsn.split("@")[-1] if "@" in dsn else dsn
        super().__init__()

    def _connect(self, *, writer: bool) -> Any:
        psycopg = _psycopg()
        return psycopg.connect(self.dsn, autocommit=True)

    def _tables(self) -> set[str]:
        rows = self._writer_query(
            "SELECT table_name FROM information_schema.tables "
            "WHERE table_schema = ANY (current_schemas(false))"
        )
        return {r[0] for r in rows}

    @contextmanager
    def _transaction(self) -> Iterator[Any]:
        with self._lock, self._writer.transaction():
            yield self._writer.cursor()
