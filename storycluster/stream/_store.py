"""The event store: one interface, SQLite (default) or PostgreSQL behind it.

The stream keeps in memory only what scoring needs for live events; everything else (articles
and their texts, every event's summary, merges, the batch log, the scoring rows of every
article, term statistics) lives in the store. Each :meth:`EventStore.commit` writes one batch
in one transaction, touching only the batch's articles and the events it changed, so its cost
grows with the batch and not with the state; a crash at any instant leaves the last committed
batch. Queries read committed data only, through their own connections: they never wait for a
batch being scored.

Schema (public tables; other services may read them with SQL, see the README):

``events``
    ``id`` (text, primary key), ``label``, ``size``, ``first_seen`` / ``last_seen`` (ISO 8601
    UTC of the earliest and latest dated member, NULL when none), ``sources`` and ``keywords``
    (JSON arrays), ``representative`` (article id), ``is_open`` (1 while the event accepts
    articles), ``absorbed_into`` (the surviving event's id once merged, else NULL),
    ``created_batch``, ``updated_batch``.
``articles``
    ``id`` (text, primary key), ``event_id`` (the current event, merges applied), ``title``,
    ``text``, ``url``, ``source``, ``published_at``, ``language``, ``metadata`` (JSON),
    ``batch``, ``arrival`` (arrival order), ``duplicate_of``, ``score``.
``merges``
    ``absorbed``, ``survivor`` (the final survivor), ``score``, ``batch``.
``batches``
    ``batch``, ``committed_at``, ``n_articles``, ``n_opened``, ``n_joined``, ``n_merges``,
    ``ms``.

Tables prefixed ``sc_`` are the stream's own (meta, scoring rows, term statistics, candidate
index) and not meant for other readers.
"""

from __future__ import annotations

import contextlib
import json
import math
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Commit", "EventStore", "StoreError", "open_store"]

SCHEMA_VERSION = 1

PUBLIC_TABLES = ("events", "articles", "merges", "batches")
#: Every table with its key, in the order a snapshot checksums them.
TABLES: dict[str, str] = {
    "sc_meta": "key",
    "events": "id",
    "articles": "arrival",
    "merges": "absorbed",
    "batches": "batch",
    "sc_rows": "arrival",
    "sc_event_terms": "term, event_id",
    "sc_term_df": "kind, term",
    "sc_term_names": "term",
}

EVENT_COLUMNS = (
    "id",
    "seq",
    "label",
    "size",
    "first_seen",
    "last_seen",
    "sources",
    "keywords",
    "representative",
    "is_open",
    "absorbed_into",
    "created_batch",
    "updated_batch",
    "first_day",
    "last_day",
    "touched_day",
    "close_day",
    "texts_dropped",
    "scoring",
)
ARTICLE_COLUMNS = (
    "arrival",
    "id",
    "event_id",
    "title",
    "text",
    "url",
    "source",
    "published_at",
    "language",
    "metadata",
    "batch",
    "duplicate_of",
    "score",
    "label",
)


class StoreError(ValueError):
    """A store that cannot be used: not a stream store, another version, inconsistent."""


@dataclass
class Commit:
    """Everything one batch (or one ``forget``) writes, in one transaction."""

    articles: list[tuple[Any, ...]] = field(default_factory=list)  # ARTICLE_COLUMNS
    rows: list[tuple[int, bytes]] = field(default_factory=list)
    updated_rows: list[tuple[int, bytes]] = field(default_factory=list)  # backgrounds again
    updated_articles: list[tuple[Any, ...]] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    deleted_events: list[str] = field(default_factory=list)
    deleted_articles: list[str] = field(default_factory=list)
    cleared_duplicates: list[str] = field(default_factory=list)
    merges: list[tuple[str, str, float, int]] = field(default_factory=list)
    stories: list[tuple[str, str]] = field(default_factory=list)  # (event_id, story_id)
    story_merges: list[tuple[str, str, float, int]] = field(default_factory=list)
    event_terms: list[tuple[int, str, int]] = field(default_factory=list)
    replaced_terms: dict[str, list[tuple[int, int]]] = field(default_factory=dict)
    df: list[tuple[int, int, int]] = field(default_factory=list)  # (kind, term, increment)
    names: list[tuple[int, str]] = field(default_factory=list)
    meta: dict[str, Any] = field(default_factory=dict)
    batch: tuple[Any, ...] | None = None
    drop_texts_before: float | None = None


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, allow_nan=False, separators=(",", ":"))


class EventStore:
    """SQL store shared by the SQLite and PostgreSQL back ends (see the module docstring).

    Subclasses give :meth:`_connect` (a new DB-API connection), the dialect bits below, and
    whether readers get connections of their own (:attr:`shared_reader`).
    """

    placeholder = "?"
    blob_type = "BLOB"
    real_type = "REAL"
    int_type = "INTEGER"
    greatest = "max"
    text_order = ""
    cross_join = "CROSS JOIN"  # SQLite: the left table drives the join
    nulls_last = ""  # SQLite: DESC puts NULLs last already (and indexes cannot say so)
    # SQLite: the upserted index tables are their own primary key (one B-tree written, not two)
    without_rowid = " WITHOUT ROWID"
    span_index = "INDEXED BY events_span"  # SQLite: events near a day, by their last day
    #: One connection for writer and readers (an in-memory database): a lock serialises them.
    shared_reader = False
    url = ""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._local = threading.local()
        self._readers: list[Any] = []
        self._writer = self._connect(writer=True)

    # -- dialect ----------------------------------------------------------------------------

    def _connect(self, *, writer: bool) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError

    def _sql(self, sql: str) -> str:
        return sql if self.placeholder == "?" else sql.replace("?", self.placeholder)

    # -- connections --------------------------------------------------------------------------

    @contextmanager
    def _reading(self) -> Iterator[Any]:
        if self.shared_reader:
            with self._lock:
                yield self._writer.cursor()
            return
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._connect(writer=False)
            self._local.conn = conn
            with self._lock:
                self._readers.append(conn)
        yield conn.cursor()

    def _query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        with self._reading() as cur:
            cur.execute(self._sql(sql), tuple(params))
            rows = cur.fetchall()
        self._end_read()
        return rows

    def _end_read(self) -> None:
        """Close the read transaction (PostgreSQL keeps one open otherwise)."""

    def _writer_query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        with self._lock:
            cur = self._writer.cursor()
            cur.execute(self._sql(sql), tuple(params))
            rows = cur.fetchall()
            self._writer_end_read()
            return rows

    def _writer_end_read(self) -> None:
        """Close the writer's read transaction where the back end opened one."""

    def close(self) -> None:
        with self._lock:
            for conn in self._readers:
                # A reader of a thread that is gone: closing it is best effort.
                with contextlib.suppress(Exception):
                    conn.close()
            self._readers.clear()
            self._writer.close()

    # -- schema -------------------------------------------------------------------------------

    def _schema(self) -> list[str]:
        i, r, b = self.int_type, self.real_type, self.blob_type
        return [
            "CREATE TABLE sc_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
            f"""CREATE TABLE events (
                id TEXT PRIMARY KEY, seq {i} NOT NULL, label TEXT NOT NULL, size {i} NOT NULL,
                first_seen TEXT, last_seen TEXT, sources TEXT NOT NULL, keywords TEXT NOT NULL,
                representative TEXT, is_open {i} NOT NULL, absorbed_into TEXT,
                created_batch {i} NOT NULL, updated_batch {i} NOT NULL,
                first_day {r}, last_day {r}, touched_day {r}, close_day {r},
                texts_dropped {i} NOT NULL DEFAULT 0, scoring TEXT NOT NULL)""",
            # Live events (absorbed_into IS NULL) in each order events() offers, ties by id:
            # events(limit=20) reads 20 index entries, whatever the number of events.
            f"CREATE INDEX events_size ON events (size DESC, id{self.text_order}) "
            "WHERE absorbed_into IS NULL",
            f"CREATE INDEX events_last ON events (last_day DESC{self.nulls_last}, "
            f"id{self.text_order}) "
            "WHERE absorbed_into IS NULL",
            f"CREATE INDEX events_first ON events (first_day DESC{self.nulls_last}, "
            f"id{self.text_order}) "
            "WHERE absorbed_into IS NULL",
            f"CREATE INDEX events_updated ON events (updated_batch DESC, size DESC, "
            f"id{self.text_order}) WHERE absorbed_into IS NULL",
            "CREATE INDEX events_absorbed ON events (absorbed_into) "
            "WHERE absorbed_into IS NOT NULL",
            "CREATE INDEX events_span ON events (last_day, first_day)",
            "CREATE INDEX events_close ON events (is_open, texts_dropped, close_day)",
            f"""CREATE TABLE articles (
                arrival {i} NOT NULL UNIQUE, id TEXT PRIMARY KEY, event_id TEXT NOT NULL,
                title TEXT, text TEXT, url TEXT, source TEXT, published_at TEXT, language TEXT,
                metadata TEXT NOT NULL, batch {i} NOT NULL, duplicate_of TEXT, score {r},
                label TEXT NOT NULL)""",
            "CREATE INDEX articles_event ON articles (event_id, arrival)",
            f"""CREATE TABLE merges (absorbed TEXT PRIMARY KEY, survivor TEXT NOT NULL,
                score {r}, batch {i} NOT NULL)""",
            "CREATE INDEX merges_survivor ON merges (survivor)",
            f"""CREATE TABLE batches (batch {i} PRIMARY KEY, committed_at TEXT NOT NULL,
                n_articles {i} NOT NULL, n_opened {i} NOT NULL, n_joined {i} NOT NULL,
                n_merges {i} NOT NULL, ms {r} NOT NULL)""",
            f"CREATE TABLE sc_rows (arrival {i} PRIMARY KEY, data {b} NOT NULL)",
            f"""CREATE TABLE sc_event_terms (term {i} NOT NULL, event_id TEXT NOT NULL,
                last_row {i} NOT NULL, PRIMARY KEY (term, event_id)){self.without_rowid}""",
            "CREATE INDEX sc_event_terms_event ON sc_event_terms (event_id)",
            f"""CREATE TABLE sc_term_df (kind {i} NOT NULL, term {i} NOT NULL, df {i} NOT NULL,
                PRIMARY KEY (kind, term)){self.without_rowid}""",
            f"CREATE TABLE sc_term_names (term {i} PRIMARY KEY, name TEXT NOT NULL)",
            *self._story_schema(),
        ]

    def _story_schema(self) -> list[str]:
        """The story tables: each event's story, and the story merges (absorbed, survivor)."""
        i, r = self.int_type, self.real_type
        return [
            "CREATE TABLE IF NOT EXISTS stories (event_id TEXT PRIMARY KEY, "
            "story_id TEXT NOT NULL)",
            "CREATE INDEX IF NOT EXISTS stories_story ON stories (story_id)",
            f"""CREATE TABLE IF NOT EXISTS story_merges (absorbed TEXT PRIMARY KEY,
                survivor TEXT NOT NULL, score {r}, batch {i} NOT NULL)""",
        ]

    def ensure_story_tables(self) -> None:
        """Add the story tables to a store written before they existed (idempotent)."""
        if "stories" in self._tables():
            return
        with self._transaction() as cur:
            for statement in self._story_schema():
                cur.execute(statement)

    def stories_of(self, event_ids: Sequence[str]) -> dict[str, str]:
        """The story of each of ``event_ids`` that has one."""
        out: dict[str, str] = {}
        for chunk in _chunks(list(event_ids), 500):
            marks = ", ".join("?" * len(chunk))
            rows = self._query(
                f"SELECT event_id, story_id FROM stories WHERE event_id IN ({marks})", chunk
            )
            out.update({str(e): str(s) for e, s in rows})
        return out

    def story_events(self, story_id: str) -> list[str]:
        """Ids of the events of a story (absorbed events excluded), oldest first."""
        rows = self._query(
            "SELECT s.event_id FROM stories s JOIN events e ON e.id = s.event_id "
            "WHERE s.story_id = ? AND e.absorbed_into IS NULL ORDER BY e.seq",
            (story_id,),
        )
        return [str(r[0]) for r in rows]

    def resolve_story(self, story_id: str) -> str:
        """The story a (possibly absorbed) story id lives on in."""
        rows = self._query("SELECT survivor FROM story_merges WHERE absorbed = ?", (story_id,))
        return str(rows[0][0]) if rows else story_id

    def has_stream(self) -> bool:
        return bool(self._tables()) and "sc_meta" in self._tables()

    def _tables(self) -> set[str]:  # pragma: no cover - abstract
        raise NotImplementedError

    def create(self, meta: dict[str, Any]) -> None:
        """Create the schema and write ``meta``, in one transaction."""
        with self._transaction() as cur:
            for statement in self._schema():
                cur.execute(statement)
            self._put_meta(cur, {**meta, "schema_version": SCHEMA_VERSION})

    def read_meta(self) -> dict[str, Any]:
        rows = self._writer_query("SELECT key, value FROM sc_meta")
        meta = {key: json.loads(value) for key, value in rows}
        version = meta.get("schema_version")
        if version != SCHEMA_VERSION:
            raise StoreError(
                f"store {self.url} has schema_version {version!r}; this storycluster reads "
                f"version {SCHEMA_VERSION}"
            )
        return meta

    def _put_meta(self, cur: Any, meta: dict[str, Any]) -> None:
        sql = self._sql(
            "INSERT INTO sc_meta (key, value) VALUES (?, ?) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value"
        )
        cur.executemany(sql, [(key, _json(value)) for key, value in sorted(meta.items())])

    @contextmanager
    def _transaction(self) -> Iterator[Any]:  # pragma: no cover - abstract
        raise NotImplementedError
        yield

    # -- loading (writer side) ----------------------------------------------------------------

    def live_events(self) -> list[dict[str, Any]]:
        cols = ", ".join(EVENT_COLUMNS)
        rows = self._writer_query(
            f"SELECT {cols} FROM events WHERE is_open = 1 AND absorbed_into IS NULL ORDER BY seq"
        )
        return [dict(zip(EVENT_COLUMNS, r, strict=True)) for r in rows]

    def events_by_id(self, ids: Sequence[str]) -> list[dict[str, Any]]:
        cols = ", ".join(EVENT_COLUMNS)
        out: list[dict[str, Any]] = []
        for chunk in _chunks(list(ids), 500):
            marks = ", ".join("?" * len(chunk))
            rows = self._writer_query(f"SELECT {cols} FROM events WHERE id IN ({marks})", chunk)
            out.extend(dict(zip(EVENT_COLUMNS, r, strict=True)) for r in rows)
        return out

    def rows(self, arrivals: Iterable[int]) -> list[tuple[int, str, str, bytes, str | None]]:
        """``(arrival, article id, label, blob, duplicate_of)`` of these scoring rows, in
        arrival order."""
        wanted = sorted({int(a) for a in arrivals})
        out: list[tuple[int, str, str, bytes, str | None]] = []
        for chunk in _chunks(wanted, 500):
            marks = ", ".join("?" * len(chunk))
            out.extend(
                self._writer_query(
                    "SELECT r.arrival, a.id, a.label, r.data, a.duplicate_of FROM sc_rows r "
                    f"JOIN articles a ON a.arrival = r.arrival WHERE r.arrival IN ({marks}) "
                    "ORDER BY r.arrival",
                    chunk,
                )
            )
        return out

    def event_terms(self, event_ids: Sequence[str]) -> list[tuple[int, str, int]]:
        out: list[tuple[int, str, int]] = []
        for chunk in _chunks(list(event_ids), 500):
            marks = ", ".join("?" * len(chunk))
            out.extend(
                self._writer_query(
                    "SELECT term, event_id, last_row FROM sc_event_terms "
                    f"WHERE event_id IN ({marks})",
                    chunk,
                )
            )
        return out

    def labels(self, ids: Sequence[str]) -> dict[str, str]:
        out: dict[str, str] = {}
        for chunk in _chunks(list(ids), 500):
            marks = ", ".join("?" * len(chunk))
            out.update(
                self._writer_query(f"SELECT id, label FROM articles WHERE id IN ({marks})", chunk)
            )
        return out

    def member_terms(self, event_id: str) -> list[tuple[int, bytes]]:
        """``(arrival, blob)`` of every member with a scoring row (for ``forget``)."""
        return self._writer_query(
            "SELECT r.arrival, r.data FROM sc_rows r JOIN articles a ON a.arrival = r.arrival "
            "WHERE a.event_id = ? ORDER BY r.arrival",
            (event_id,),
        )

    def term_df(self) -> list[tuple[int, int, int]]:
        return self._writer_query("SELECT kind, term, df FROM sc_term_df")

    def term_names(self) -> list[tuple[int, str]]:
        return self._writer_query("SELECT term, name FROM sc_term_names")

    def known_articles(self, ids: Sequence[str]) -> dict[str, tuple[int, str]]:
        """``{id: (arrival, event id)}`` of those ids already stored."""
        out: dict[str, tuple[int, str]] = {}
        for chunk in _chunks(list(ids), 500):
            marks = ", ".join("?" * len(chunk))
            for article_id, arrival, event_id in self._writer_query(
                f"SELECT id, arrival, event_id FROM articles WHERE id IN ({marks})", chunk
            ):
                out[article_id] = (int(arrival), event_id)
        return out

    def existing_events(self, ids: Sequence[str]) -> set[str]:
        out: set[str] = set()
        for chunk in _chunks(list(ids), 500):
            marks = ", ".join("?" * len(chunk))
            out.update(
                r[0]
                for r in self._writer_query(f"SELECT id FROM events WHERE id IN ({marks})", chunk)
            )
        return out

    def closed_candidates(
        self, terms: Sequence[int], lo: float | None, hi: float | None, limit: int
    ) -> list[str]:
        """Closed events sharing the most of ``terms`` (ties: newest first), whose span meets
        ``[lo, hi]`` (any span when ``lo`` is None)."""
        if not terms:
            return []
        marks = ", ".join("?" * len(terms))
        terms_ = [int(t) for t in terms]
        tail = (
            f"AND e.is_open = 0 AND e.absorbed_into IS NULL GROUP BY e.id, e.seq "
            f"ORDER BY COUNT(*) DESC, e.seq DESC LIMIT {int(limit)}"
        )
        if lo is None:
            rows = self._writer_query(
                "SELECT e.id FROM sc_event_terms p JOIN events e ON e.id = p.event_id "
                f"WHERE p.term IN ({marks}) {tail}",
                terms_,
            )
            return [r[0] for r in rows]
        # A dated article: only events whose span comes near its day, found by their span
        # first (a handful), not by its terms (every event that ever used them).
        rows = self._writer_query(
            f"SELECT e.id FROM events e {self.span_index} {self.cross_join} sc_event_terms p "
            f"ON p.event_id = e.id WHERE e.last_day >= ? AND e.first_day <= ? "
            f"AND p.term IN ({marks}) {tail}",
            [lo, hi, *terms_],
        )
        undated = self._writer_query(
            f"SELECT e.id FROM events e {self.cross_join} sc_event_terms p "
            f"ON p.event_id = e.id WHERE e.last_day IS NULL AND e.is_open = 0 "
            f"AND p.term IN ({marks}) {tail}",
            terms_,
        )
        return [r[0] for r in rows] + [r[0] for r in undated if r[0] not in {x[0] for x in rows}]

    # -- the one write ------------------------------------------------------------------------

    def commit(self, change: Commit) -> None:
        """Write ``change`` in one transaction (all or nothing)."""
        sql = self._sql
        with self._transaction() as cur:
            for article_id in change.deleted_articles:
                cur.execute(
                    sql(
                        "DELETE FROM sc_rows WHERE arrival IN (SELECT arrival FROM articles "
                        "WHERE id = ?)"
                    ),
                    (article_id,),
                )
                cur.execute(sql("DELETE FROM articles WHERE id = ?"), (article_id,))
            for article_id in change.cleared_duplicates:
                cur.execute(
                    sql("UPDATE articles SET duplicate_of = NULL WHERE duplicate_of = ?"),
                    (article_id,),
                )
            if change.articles:
                cols = ", ".join(ARTICLE_COLUMNS)
                marks = ", ".join("?" * len(ARTICLE_COLUMNS))
                cur.executemany(
                    sql(f"INSERT INTO articles ({cols}) VALUES ({marks})"), change.articles
                )
            if change.rows:
                cur.executemany(
                    sql("INSERT INTO sc_rows (arrival, data) VALUES (?, ?)"), change.rows
                )
            if change.updated_rows:
                cur.executemany(
                    sql("UPDATE sc_rows SET data = ? WHERE arrival = ?"),
                    [(data, arrival) for arrival, data in change.updated_rows],
                )
            if change.updated_articles:
                cur.executemany(
                    sql(
                        "UPDATE articles SET title = ?, text = ?, url = ?, source = ?, "
                        "language = ?, metadata = ? WHERE id = ?"
                    ),
                    change.updated_articles,
                )
            for absorbed, survivor, score, batch in change.merges:
                cur.execute(
                    sql("UPDATE articles SET event_id = ? WHERE event_id = ?"), (survivor, absorbed)
                )
                cur.execute(
                    sql("UPDATE events SET absorbed_into = ?, is_open = 0 WHERE id = ?"),
                    (survivor, absorbed),
                )
                cur.execute(
                    sql("UPDATE events SET absorbed_into = ? WHERE absorbed_into = ?"),
                    (survivor, absorbed),
                )
                cur.execute(
                    sql("UPDATE merges SET survivor = ? WHERE survivor = ?"), (survivor, absorbed)
                )
                cur.execute(
                    sql(
                        "INSERT INTO merges (absorbed, survivor, score, batch) VALUES (?, ?, ?, ?)"
                    ),
                    (absorbed, survivor, score, batch),
                )
            for absorbed, survivor, score, batch in change.story_merges:
                cur.execute(
                    sql("UPDATE stories SET story_id = ? WHERE story_id = ?"), (survivor, absorbed)
                )
                cur.execute(
                    sql("UPDATE story_merges SET survivor = ? WHERE survivor = ?"),
                    (survivor, absorbed),
                )
                cur.execute(
                    sql(
                        "INSERT INTO story_merges (absorbed, survivor, score, batch) "
                        "VALUES (?, ?, ?, ?)"
                    ),
                    (absorbed, survivor, score, batch),
                )
            if change.stories:
                cur.executemany(
                    sql(
                        "INSERT INTO stories (event_id, story_id) VALUES (?, ?) ON CONFLICT "
                        "(event_id) DO UPDATE SET story_id = excluded.story_id"
                    ),
                    change.stories,
                )
            for event_id, entries in change.replaced_terms.items():
                cur.execute(sql("DELETE FROM sc_event_terms WHERE event_id = ?"), (event_id,))
                cur.executemany(
                    sql("INSERT INTO sc_event_terms (term, event_id, last_row) VALUES (?, ?, ?)"),
                    [(t, event_id, r) for t, r in entries],
                )
            if change.event_terms:
                cur.executemany(
                    sql(
                        "INSERT INTO sc_event_terms (term, event_id, last_row) VALUES (?, ?, ?) "
                        "ON CONFLICT (term, event_id) DO UPDATE SET last_row = "
                        f"{self.greatest}(sc_event_terms.last_row, excluded.last_row)"
                    ),
                    change.event_terms,
                )
            for event_id in change.deleted_events:
                cur.execute(
                    sql("DELETE FROM events WHERE id = ? OR absorbed_into = ?"),
                    (event_id, event_id),
                )
                cur.execute(sql("DELETE FROM merges WHERE survivor = ?"), (event_id,))
                cur.execute(sql("DELETE FROM sc_event_terms WHERE event_id = ?"), (event_id,))
            if change.events:
                cols = ", ".join(EVENT_COLUMNS)
                marks = ", ".join("?" * len(EVENT_COLUMNS))
                updates = ", ".join(f"{c} = excluded.{c}" for c in EVENT_COLUMNS[1:])
                cur.executemany(
                    sql(
                        f"INSERT INTO events ({cols}) VALUES ({marks}) "
                        f"ON CONFLICT (id) DO UPDATE SET {updates}"
                    ),
                    [tuple(e[c] for c in EVENT_COLUMNS) for e in change.events],
                )
            if change.df:
                cur.executemany(
                    sql(
                        "INSERT INTO sc_term_df (kind, term, df) VALUES (?, ?, ?) "
                        "ON CONFLICT (kind, term) DO UPDATE SET df = sc_term_df.df + excluded.df"
                    ),
                    change.df,
                )
            if change.names:
                cur.executemany(
                    sql(
                        "INSERT INTO sc_term_names (term, name) VALUES (?, ?) "
                        "ON CONFLICT (term) DO NOTHING"
                    ),
                    change.names,
                )
            if change.drop_texts_before is not None:
                cur.execute(
                    sql(
                        "UPDATE articles SET text = NULL WHERE event_id IN (SELECT id FROM events "
                        "WHERE is_open = 0 AND texts_dropped = 0 AND close_day < ?)"
                    ),
                    (change.drop_texts_before,),
                )
                cur.execute(
                    sql(
                        "UPDATE events SET texts_dropped = 1 WHERE is_open = 0 "
                        "AND texts_dropped = 0 AND close_day < ?"
                    ),
                    (change.drop_texts_before,),
                )
            if change.batch is not None:
                cur.execute(
                    sql(
                        "INSERT INTO batches (batch, committed_at, n_articles, n_opened, n_joined, "
                        "n_merges, ms) VALUES (?, ?, ?, ?, ?, ?, ?)"
                    ),
                    change.batch,
                )
            if change.meta:
                self._put_meta(cur, change.meta)

    # -- queries (reader side) ----------------------------------------------------------------

    def event_of(self, article_id: str) -> str | None:
        rows = self._query("SELECT event_id FROM articles WHERE id = ?", (article_id,))
        return rows[0][0] if rows else None

    def resolve(self, event_id: str) -> str | None:
        """The current id of an event (an absorbed id gives its survivor); None if unknown."""
        rows = self._query("SELECT id, absorbed_into FROM events WHERE id = ?", (event_id,))
        if not rows:
            return None
        # Survivors are kept final on every merge: one hop at most, whatever was stored.
        survivor = rows[0][1]
        if survivor is None:
            return event_id
        again = self._query("SELECT absorbed_into FROM events WHERE id = ?", (survivor,))
        if not again or again[0][0] is not None:
            raise StoreError(f"store {self.url}: event {event_id!r} resolves to no live event")
        return str(survivor)

    SUMMARY_COLUMNS = (
        "id",
        "label",
        "size",
        "first_seen",
        "last_seen",
        "sources",
        "keywords",
        "representative",
        "is_open",
        "created_batch",
        "updated_batch",
    )

    def summary(self, event_id: str) -> dict[str, Any] | None:
        cols = ", ".join(self.SUMMARY_COLUMNS)
        rows = self._query(f"SELECT {cols} FROM events WHERE id = ?", (event_id,))
        return _summary(self.SUMMARY_COLUMNS, rows[0]) if rows else None

    def summaries(
        self,
        *,
        since: float | None,
        until: float | None,
        open_only: bool,
        min_size: int,
        order_by: str,
        limit: int | None,
    ) -> list[dict[str, Any]]:
        where = ["absorbed_into IS NULL", "size >= ?"]
        params: list[Any] = [int(min_size)]
        if since is not None:
            where.append("last_day >= ?")
            params.append(since)
        if until is not None:
            where.append("first_day <= ?")
            params.append(until)
        if open_only:
            where.append("is_open = 1")
        order = {
            "size": f"size DESC, id{self.text_order}",
            "last_seen": f"last_day DESC NULLS LAST, id{self.text_order}",
            "first_seen": f"first_day DESC NULLS LAST, id{self.text_order}",
            "updated": f"updated_batch DESC, size DESC, id{self.text_order}",
            "id": f"id{self.text_order}",
        }[order_by]
        cols = ", ".join(self.SUMMARY_COLUMNS)
        sql = f"SELECT {cols} FROM events WHERE {' AND '.join(where)} ORDER BY {order}"
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        return [_summary(self.SUMMARY_COLUMNS, r) for r in self._query(sql, params)]

    def members(self, event_id: str) -> list[tuple[Any, ...]]:
        """Member articles with their scoring blobs: ``ARTICLE_COLUMNS + (blob,)``."""
        cols = ", ".join(f"a.{c}" for c in ARTICLE_COLUMNS)
        return self._query(
            f"SELECT {cols}, r.data FROM articles a LEFT JOIN sc_rows r ON r.arrival = a.arrival "
            "WHERE a.event_id = ? ORDER BY a.arrival",
            (event_id,),
        )

    def assignments(self) -> dict[str, str]:
        return dict(self._query("SELECT id, event_id FROM articles ORDER BY arrival"))

    def counts(self) -> tuple[int, int]:
        articles = self._query("SELECT COUNT(*) FROM articles")[0][0]
        events = self._query("SELECT COUNT(*) FROM events WHERE absorbed_into IS NULL")[0][0]
        return int(articles), int(events)

    def dump(self, table: str) -> Iterator[tuple[Any, ...]]:
        """Every row of a table, in key order (snapshots)."""
        key = TABLES[table]
        rows = self._query(f"SELECT * FROM {table} ORDER BY {key}")
        yield from rows

    def columns(self, table: str) -> list[str]:
        with self._reading() as cur:
            cur.execute(f"SELECT * FROM {table} WHERE 1 = 0")
            names = [d[0] for d in cur.description]
        self._end_read()
        return names

    def load_rows(
        self, table: str, columns: Sequence[str], rows: Sequence[tuple[Any, ...]]
    ) -> None:
        """Bulk insert (snapshot import)."""
        cols = ", ".join(columns)
        marks = ", ".join("?" * len(columns))
        with self._transaction() as cur:
            cur.executemany(self._sql(f"INSERT INTO {table} ({cols}) VALUES ({marks})"), rows)


def _summary(columns: Sequence[str], row: tuple[Any, ...]) -> dict[str, Any]:
    out = dict(zip(columns, row, strict=True))
    out["sources"] = json.loads(out["sources"])
    out["keywords"] = json.loads(out["keywords"])
    out["is_open"] = bool(out["is_open"])
    return out


def _chunks(items: list[Any], size: int) -> Iterator[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def finite_or_none(value: float) -> float | None:
    return None if value is None or math.isnan(value) else float(value)


def open_store(target: Any) -> EventStore:
    """An :class:`EventStore` for ``target``: None (in memory), a ``postgresql://`` DSN, an
    :class:`EventStore` (returned as is) or a path of an SQLite file."""
    if isinstance(target, EventStore):
        return target
    if target is None:
        from ._sqlite import SQLiteStore

        return SQLiteStore(None)
    text = str(target)
    if text.startswith(("postgresql://", "postgres://")):
        from ._postgres import PostgresStore

        return PostgresStore(text)
    from ._sqlite import SQLiteStore

    return SQLiteStore(text)
