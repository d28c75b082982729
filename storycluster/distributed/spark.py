"""Run storycluster on a Spark cluster the user already has (``pip install storycluster[spark]``).

pyspark is imported inside the functions, so importing this module never needs it. The work
itself is done by the engine-independent functions of :mod:`storycluster.distributed`; Spark
moves the rows:

* :func:`embed_dataframe` adds an ``embedding`` column with ``mapInPandas``; each Python worker
  loads the model from its own disk (no weights travel in a closure).
* :func:`cluster_dataframe` copies articles into overlapping time windows (``mapInPandas``),
  clusters each (window, block) group with ``groupBy(...).applyInPandas``, links the windows and
  summarises the events. **Linking runs on the driver**: the per-window assignment table (a few
  small columns per article and window) is collected with ``toPandas()`` and joined with
  union-find, then sent back as a DataFrame. That is fine for millions of articles (tens of bytes
  per row); a label-propagation linking in Spark is future work.
* :func:`to_events` turns the top events into :class:`storycluster.Event` objects.
* :func:`stream_clusters` feeds each micro-batch of a Structured Streaming DataFrame to a
  :class:`storycluster.StreamClusterer` on the driver (``foreachBatch``), one commit each.

Pitfalls handled here or documented: ``applyInPandas`` picks its calling convention by the
function's arity (a one-argument function is used); Spark sets ``OMP_NUM_THREADS`` to the task's
cores in Python workers (so one task uses ``spark.task.cpus`` threads); set
``spark.sql.shuffle.partitions`` low (e.g. 4) for small jobs, since each shuffle partition is a
task.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from .._compat import renamed
from .._features.embedding import DEFAULT_MODEL
from . import _core as dist

if TYPE_CHECKING:  # pragma: no cover
    from pyspark.sql import DataFrame
    from pyspark.sql.streaming import StreamingQuery

    from ..models import Event
    from ..stream._clusterer import StreamUpdate

__all__ = ["cluster_dataframe", "embed_dataframe", "stream_clusters", "to_events"]

_EXTRA_HINT = "pip install 'storycluster[spark]'"
_LEAD_CHARS = 400


def _pyspark():
    try:
        import pyspark  # noqa: F401
        from pyspark.sql import functions, types
    except ImportError as error:  # pragma: no cover - depends on the environment
        raise ImportError(
            f"storycluster.distributed.spark needs pyspark, which is not installed: {_EXTRA_HINT}"
        ) from error
    return functions, types


# -- schemas --------------------------------------------------------------------------------


def _input_schema(T: Any) -> Any:
    return T.StructType(
        [
            T.StructField("id", T.StringType()),
            T.StructField("title", T.StringType()),
            T.StructField("text", T.StringType()),
            T.StructField("published_at", T.StringType()),
            T.StructField("language", T.StringType()),
            T.StructField("source", T.StringType()),
            T.StructField("url", T.StringType()),
            T.StructField("embedding", T.ArrayType(T.FloatType())),
        ]
    )


def _assignment_schema(T: Any) -> Any:
    return T.StructType(
        [
            T.StructField("article_id", T.StringType()),
            T.StructField("window", T.StringType()),
            T.StructField("block", T.StringType()),
            T.StructField("local_cluster", T.LongType()),
            T.StructField("local_story", T.LongType()),
            T.StructField("cluster_size", T.LongType()),
            T.StructField("score", T.DoubleType()),
            T.StructField("day", T.DoubleType()),
            T.StructField("keywords", T.ArrayType(T.StringType())),
        ]
    )


def _link_schema(T: Any) -> Any:
    return T.StructType(
        [
            T.StructField("article_id", T.StringType()),
            T.StructField("event_id", T.StringType()),
            T.StructField("story_id", T.StringType()),
            T.StructField("score", T.DoubleType()),
            T.StructField("cluster_size", T.LongType()),
            T.StructField("keywords", T.ArrayType(T.StringType())),
        ]
    )


def _normalised(df: DataFrame) -> DataFrame:
    """``df`` with the input columns, typed; timestamps become ISO strings with their offset."""
    F, T = _pyspark()
    if "id" not in df.columns or "embedding" not in df.columns:
        raise ValueError("cluster_dataframe needs columns 'id' and 'embedding' (embed_dataframe)")
    columns = []
    for field in _input_schema(T).fields:
        name = field.name
        if name not in df.columns:
            columns.append(F.lit(None).cast(field.dataType).alias(name))
        elif name == "published_at" and isinstance(
            df.schema[name].dataType, (T.TimestampType, T.TimestampNTZType, T.DateType)
        ):
            stamp = F.col(name).cast("timestamp")
            columns.append(F.date_format(stamp, "yyyy-MM-dd'T'HH:mm:ss.SSSSSSXXX").alias(name))
        else:
            columns.append(F.col(name).cast(field.dataType).alias(name))
    return df.select(*columns)


# -- embedding ------------------------------------------------------------------------------


def embed_dataframe(
    df: DataFrame,
    *,
    model: str = DEFAULT_MODEL,
    batch_size: int = 32,
    device: str | None = None,
    lead_chars: int = _LEAD_CHARS,
    clean: bool = True,
    cache: bool | str = False,
    offline: bool = True,
    output_col: str = "embedding",
) -> DataFrame:
    """``df`` with an ``array<float>`` column of dense vectors of title and lead.

    Embeds exactly what :meth:`storycluster.StoryClusterer.embedding_texts` gives. Runs with
    ``mapInPandas``: each Python worker process loads ``model`` (a name or a directory present
    on every worker) once, from disk, and reuses it; ``offline`` sets ``HF_HUB_OFFLINE=1`` on the
    workers so nothing is downloaded there. ``cache`` (``True`` or a directory visible to the
    workers) uses :class:`storycluster.CachedEmbedder`; off by default, since executors rarely
    share a disk.
    """
    _F, T = _pyspark()
    schema = T.StructType(
        [f for f in df.schema.fields if f.name != output_col]
        + [T.StructField(output_col, T.ArrayType(T.FloatType()))]
    )
    embed = _batch_embedder(
        model=model,
        batch_size=batch_size,
        device=device,
        lead_chars=lead_chars,
        clean=clean,
        cache=cache,
        offline=offline,
        output_col=output_col,
    )
    return df.mapInPandas(embed, schema=schema)


def _batch_embedder(**options: Any) -> Callable[[Iterator[pd.DataFrame]], Iterator[pd.DataFrame]]:
    def embed_batches(batches: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        embed = dist.BatchEmbedder(**options)  # the model loads here, on the worker
        for pdf in batches:
            yield embed(pdf)

    return embed_batches


# -- batch clustering -----------------------------------------------------------------------


def cluster_dataframe(
    df: DataFrame,
    *,
    window_days: int = 30,
    step_days: int = 15,
    max_group_size: int = 5_000,
    max_span_days: float = 90.0,
    max_story_span_days: float = 365.0,
    seed: int = 0,
    reference_size: int = dist.DEFAULT_REFERENCE_SIZE,
    **params: Any,
) -> tuple[DataFrame, DataFrame]:
    """Cluster a DataFrame of articles with embeddings into events: ``(assignments, events)``.

    ``df`` has ``id, embedding`` and any of ``title, text, published_at, language, source,
    url``. ``params`` go to :class:`storycluster.StoryClusterer` for each group, fitted
    with the ``reference_size`` rows of :func:`storycluster.distributed.reference_sample`
    (collected to the driver and shipped with the group function). The result is the same as
    :func:`storycluster.distributed.cluster_pandas` on the same rows.

    ``assignments``: one row per article, ``article_id, event_id, story_id, score,
    cluster_size, keywords, title, lead, source, url, published_at``. ``events``: one row per
    event, ``event_id, story_id, representative_id, size, first_seen, last_seen, keywords,
    sources`` (timestamps are Spark timestamps), largest first. Every event lies in one story
    (see :func:`storycluster.distributed.link_windows`).
    """
    F, T = _pyspark()
    spark = df.sparkSession
    base = _normalised(df)
    dist._check_window_params(window_days, step_days)

    exploded_schema = T.StructType(
        [
            *list(base.schema.fields),
            T.StructField("day", T.DoubleType()),
            T.StructField("bits", T.StringType()),
            T.StructField("window", T.StringType()),
        ]
    )

    def explode(batches: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        for pdf in batches:
            yield dist.explode_windows(pdf, window_days=window_days, step_days=step_days, seed=seed)

    exploded = base.mapInPandas(explode, schema=exploded_schema)
    # One row per (window, language): small enough for the driver.
    counts = exploded.groupBy("window", "language").count().toPandas()
    bits = dist.block_bits(counts, max_group_size=max_group_size)
    bits_df = spark.createDataFrame(
        bits[["window", "language", "n_bits"]].astype({"n_bits": "int64"}),
        schema="window string, language string, n_bits long",
    )
    blocked = exploded.join(F.broadcast(bits_df), ["window", "language"]).withColumn(
        "block",
        F.when(F.col("n_bits") == 0, F.col("language")).otherwise(
            F.concat(F.col("language"), F.lit(":"), F.expr("substring(bits, 1, n_bits)"))
        ),
    )
    reference = _reference(base, size=reference_size, seed=seed)
    local = blocked.groupBy("window", "block").applyInPandas(
        dist.group_function(reference=reference, **params), schema=_assignment_schema(T)
    )
    # Linking on the driver over the small assignment table.
    links = dist.link_windows(
        local.toPandas(), max_span_days=max_span_days, max_story_span_days=max_story_span_days
    )
    links_df = spark.createDataFrame(links, schema=_link_schema(T))
    assignments = links_df.join(
        base.select(
            F.col("id").alias("article_id"),
            "title",
            F.substring("text", 1, _LEAD_CHARS).alias("lead"),
            "source",
            "url",
            "published_at",
        ),
        "article_id",
    )
    return assignments, _events(assignments)


def _reference(base: DataFrame, *, size: int, seed: int) -> pd.DataFrame:
    """:func:`storycluster.distributed.reference_sample` of ``base``, computed by Spark."""
    _, T = _pyspark()
    if size <= 0:
        return base.limit(0).toPandas()

    def keyed(batches: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        for pdf in batches:
            yield pdf.assign(_key=dist.reference_keys(pdf["id"].astype(str), seed=seed))

    schema = T.StructType([*base.schema.fields, T.StructField("_key", T.LongType())])
    rows = base.mapInPandas(keyed, schema=schema).orderBy("_key", "id").limit(size)
    return rows.drop("_key").toPandas()


def _events(assignments: DataFrame) -> DataFrame:
    """The Spark twin of :func:`storycluster.distributed.summarise_events` (same tie rules)."""
    F, _ = _pyspark()
    rank = F.struct(-F.col("score"), F.col("article_id"))
    keyword_rank = F.struct(-F.col("cluster_size"), -F.col("score"), F.col("article_id"))
    stamp = F.to_timestamp("published_at")
    source = F.when(F.col("source") != "", F.col("source"))
    events = assignments.groupBy("event_id").agg(
        F.min("story_id").alias("story_id"),
        F.min_by("article_id", rank).alias("representative_id"),
        F.count(F.lit(1)).alias("size"),
        F.min(stamp).alias("first_seen"),
        F.max(stamp).alias("last_seen"),
        F.min_by("keywords", keyword_rank).alias("keywords"),
        F.array_sort(F.collect_set(source)).alias("sources"),
    )
    return events.select(*dist.EVENT_COLUMNS).orderBy(F.desc("size"), "event_id")


def to_events(events: DataFrame, assignments: DataFrame, *, limit: int | None = 20) -> list[Event]:
    """The ``limit`` largest events (all with ``None``) as :class:`Event` objects.

    Only these events' members are collected to the driver. Members are ordered
    representative first, then by score (ties: id); the representative's text is its lead.
    """
    F, _ = _pyspark()
    top = events.orderBy(F.desc("size"), "event_id")
    if limit is not None:
        top = top.limit(int(limit))
    rows = top.collect()
    if not rows:
        return []
    ids = [row["event_id"] for row in rows]
    members = (
        assignments.where(F.col("event_id").isin(ids))
        .select("event_id", "article_id", "score", "title", "lead", "source", "url", "published_at")
        .toPandas()
    )
    top_events = pd.DataFrame([row.asDict() for row in rows], columns=dist.EVENT_COLUMNS)
    for column in ("first_seen", "last_seen"):
        top_events[column] = pd.Series([_aware(row[column]) for row in rows], dtype=object)
    return dist.event_objects(top_events, members)


def _aware(value: Any) -> Any:
    """Spark gives naive datetimes in the session time zone; make them aware in UTC."""
    if value is None:
        return None
    stamp = pd.Timestamp(value)
    if stamp.tzinfo is None:
        stamp = stamp.tz_localize(_local_zone())
    return stamp.tz_convert("UTC").to_pydatetime()


def _local_zone() -> Any:
    from pyspark.sql import SparkSession

    session = SparkSession.getActiveSession()
    zone = session.conf.get("spark.sql.session.timeZone") if session is not None else None
    return zone or "UTC"


# -- streaming ------------------------------------------------------------------------------


def stream_clusters(
    stream_df: DataFrame,
    *,
    state_dir: str | os.PathLike[str],
    checkpoint_location: str | os.PathLike[str] | None = None,
    available_now: bool = True,
    processing_time: str | None = None,
    on_update: Callable[[int, StreamUpdate], None] | None = None,
    **params: Any,
) -> StreamingQuery:
    """Start a streaming query that assigns each micro-batch to events with a StreamClusterer.

    Each micro-batch is collected to the driver (``foreachBatch``), ordered by publication time
    then id (Spark does not order rows inside a micro-batch), and passed to
    :meth:`storycluster.StreamClusterer.partial_fit` (with the ``embedding`` column when
    present, else the clusterer embeds on the driver). Each micro-batch is committed to the
    event store ``state_dir/events.db`` (SQLite) and its id written to ``state_dir/batch.json``;
    a restarted query reopens the store and skips micro-batches it already applied. ``params`` go
    to :class:`storycluster.StreamClusterer` (ignored when a state is loaded).
    ``on_update(batch_id, update)`` is called after each applied batch. Returns the started
    query (``available_now``: process what is there and stop; else ``processing_time``, e.g.
    ``"10 seconds"``); ``query.awaitTermination()`` waits for it.
    """
    _pyspark()
    root = Path(state_dir)
    root.mkdir(parents=True, exist_ok=True)
    holder: dict[str, Any] = {}

    def apply_batch(batch_df: DataFrame, batch_id: int) -> None:
        from ..stream import StreamClusterer

        store = root / "events.db"
        marker = root / "batch.json"
        if "stream" not in holder:
            holder["stream"] = StreamClusterer.open(store) if store.exists() else None
            holder["last"] = json.loads(marker.read_text())["batch_id"] if marker.exists() else -1
        if batch_id <= holder["last"]:
            return  # replayed after a restart: already applied
        pdf = stream_batch_order(batch_df.toPandas())
        if len(pdf):
            if holder["stream"] is None:
                holder["stream"] = StreamClusterer(store=store, **params)
            embeddings = (
                dist._embedding_matrix(pdf["embedding"]) if "embedding" in pdf.columns else None
            )
            # One transaction per micro-batch; a micro-batch replayed after a crash between the
            # commit and the marker finds its ids known and skips them.
            update = holder["stream"].partial_fit(
                dist._records(pdf), embeddings=embeddings, on_known="skip"
            )
            if on_update is not None:
                on_update(batch_id, update)
        tmp = marker.with_suffix(".tmp")
        tmp.write_text(json.dumps({"batch_id": int(batch_id)}))
        tmp.replace(marker)
        holder["last"] = batch_id

    writer = stream_df.writeStream.foreachBatch(apply_batch)
    if checkpoint_location is None:
        checkpoint_location = root / "checkpoint"
    writer = writer.option("checkpointLocation", str(checkpoint_location))
    if available_now:
        writer = writer.trigger(availableNow=True)
    elif processing_time is not None:
        writer = writer.trigger(processingTime=processing_time)
    return writer.start()


def stream_batch_order(pdf: pd.DataFrame) -> pd.DataFrame:
    """Rows of one micro-batch in the order they are streamed: publication time, then id
    (undated last). Feed :class:`storycluster.StreamClusterer` in this order to reproduce
    :func:`stream_clusters`."""
    if len(pdf) == 0:
        return pdf
    days = (
        dist.published_days(pdf["published_at"])
        if "published_at" in pdf.columns
        else np.full(len(pdf), np.nan)
    )
    keyed = pdf.assign(_undated=np.isnan(days), _day=np.nan_to_num(days), _id=pdf["id"].astype(str))
    keyed = keyed.sort_values(["_undated", "_day", "_id"], kind="stable")
    return keyed.drop(columns=["_undated", "_day", "_id"]).reset_index(drop=True)


__getattr__ = renamed(__name__, {"to_clusters": "to_events"})
