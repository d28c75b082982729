"""Run storycluster on a Ray cluster the user already has (``pip install storycluster[ray]``).

Ray is imported inside the functions, so importing this module never needs it. The work itself
is done by the engine-independent functions of :mod:`storycluster.distributed`; Ray Data moves
the rows:

* :func:`embed_dataset` adds an ``embedding`` column with ``map_batches`` on a pool of actors;
  each actor loads the model from its own disk in its constructor
  (:class:`storycluster.distributed.BatchEmbedder`), so no weights travel with a task.
* :func:`cluster_dataset` copies articles into overlapping time windows (``map_batches``, the
  result materialised once so a lazy input such as :func:`embed_dataset` runs once), clusters
  each (window, block) group with ``groupby(...).map_groups``, links the windows and
  summarises the events. **Linking runs on the driver**, as with Spark: the per-window
  assignment table (a few small columns per article and window) is collected and joined with
  union-find; the resulting article -> event table is put in the object store once and read
  by the tasks that attach it to the articles. The events are summarised on the driver too,
  from that table and each article's source and publication time (vectorised: about a second
  for 100k articles).
* :func:`to_events` turns the top events into :class:`storycluster.Event` objects.
* :func:`init_local` starts a single-machine Ray with the settings below.

Pitfalls handled here or documented: Ray Data's shuffles default to 200 partitions, far too
many for a small job (each is a task), so the groupby uses about two per CPU of the cluster
(``num_partitions``) and Ray's sort-based shuffle (the default hash shuffle of Ray 2.60 spent
about 9 s per groupby even on 1,000 rows; ``shuffle_strategy``); the embedding pool is sized
below the cluster's CPUs (one left free), so the tasks that feed it can still run (a pool
holding every CPU can hang); Ray writes to ``/tmp/ray`` and ``~/.ray`` unless told otherwise
(:func:`init_local` takes a ``temp_dir``); the functions Ray ships to workers all live in this
package, so ``storycluster`` must be installed on every worker.
"""

from __future__ import annotations

import logging
import os
import secrets
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from .._compat import renamed
from .._features.embedding import DEFAULT_MODEL
from . import _core as dist

if TYPE_CHECKING:  # pragma: no cover
    from ray.data import Dataset

    from ..models import Event

__all__ = ["cluster_dataset", "embed_dataset", "init_local", "to_events"]

_EXTRA_HINT = "pip install 'storycluster[ray]'"
_LEAD_CHARS = 400
_OPTIONAL_COLUMNS = ("title", "text", "published_at", "language", "source", "url")
#: Columns of the ``assignments`` dataset, in order (as Spark's ``cluster_dataframe``).
ASSIGNMENT_COLUMNS = [
    "article_id",
    "event_id",
    "story_id",
    "score",
    "cluster_size",
    "keywords",
    "title",
    "lead",
    "source",
    "url",
    "published_at",
]
_MEMBER_COLUMNS = [
    "event_id",
    "article_id",
    "score",
    "title",
    "lead",
    "source",
    "url",
    "published_at",
]


def _ray() -> Any:
    try:
        import ray
        import ray.data
    except ImportError as error:  # pragma: no cover - depends on the environment
        raise ImportError(
            f"storycluster.distributed.ray needs ray[data], which is not installed: {_EXTRA_HINT}"
        ) from error
    return ray


def _started_ray() -> Any:
    """The ``ray`` module, connected: to the running Ray, else to a new local one."""
    ray = _ray()
    if not ray.is_initialized():
        init_local()
    return ray


def _cluster_cpus(ray: Any) -> int:
    return max(1, int(ray.cluster_resources().get("CPU", 1)))


# -- start-up -------------------------------------------------------------------------------


def init_local(
    *,
    num_cpus: int | None = None,
    temp_dir: str | os.PathLike[str] | None = None,
    **kwargs: Any,
) -> Any:
    """Start Ray on this machine (or connect, with ``address=``) with quiet defaults.

    Calls :func:`ray.init` with ``include_dashboard=False`` and warning-level logging;
    ``kwargs`` go to it unchanged. With ``temp_dir`` everything a new local Ray writes goes
    under that directory instead of ``/tmp/ray`` and ``~/.ray``: its session files, logs and
    spilled objects, and the cluster's authentication token (written to
    ``temp_dir/auth_token`` and named by ``RAY_AUTH_TOKEN_PATH`` in this process's
    environment, unless a token is already configured). Keep ``temp_dir`` short: Ray puts
    Unix sockets under it, whose paths are limited to about 100 characters.

    Returns what :func:`ray.init` returns. On a real cluster call
    ``ray.init(address="auto")`` (or this with ``address="auto"``) instead.
    """
    ray = _ray()
    options: dict[str, Any] = {
        "include_dashboard": False,
        "logging_level": logging.WARNING,
        **kwargs,
    }
    if num_cpus is not None:
        options["num_cpus"] = num_cpus
    if temp_dir is not None:
        root = Path(temp_dir).resolve()
        root.mkdir(parents=True, exist_ok=True)
        options["_temp_dir"] = str(root)
        if options.get("address") is None:
            _token_under(root)
    return ray.init(**options)


def _token_under(root: Path) -> None:
    """Point Ray's token authentication at ``root/auth_token`` unless one is configured."""
    configured = any(os.environ.get(k) for k in ("RAY_AUTH_TOKEN", "RAY_AUTH_TOKEN_PATH"))
    mode = os.environ.get("RAY_AUTH_MODE", "token").lower()
    if configured or mode != "token" or (Path.home() / ".ray" / "auth_token").is_file():
        return
    token = root / "auth_token"
    if not token.is_file():
        token.touch(mode=0o600)
        token.write_text(secrets.token_hex(32))
    os.environ["RAY_AUTH_TOKEN_PATH"] = str(token)


# -- embedding ------------------------------------------------------------------------------


def embed_dataset(
    ds: Dataset,
    *,
    model: str = DEFAULT_MODEL,
    batch_size: int = 32,
    device: str | None = None,
    lead_chars: int = _LEAD_CHARS,
    clean: bool = True,
    cache: bool | str = False,
    offline: bool = True,
    output_col: str = "embedding",
    num_actors: int | None = None,
    num_cpus: float = 1.0,
    num_gpus: float | None = None,
    rows_per_batch: int = 256,
) -> Dataset:
    """``ds`` with a column of float32 vectors of title and lead (lazy, like any Ray Dataset).

    Embeds exactly what :meth:`storycluster.StoryClusterer.embedding_texts` gives, with
    ``map_batches`` on a fixed pool of ``num_actors`` actors, each reserving ``num_cpus``
    CPUs (and ``num_gpus`` GPUs). Each actor loads ``model`` (a name or a directory present
    on every worker) once, from disk, in its constructor; ``offline`` sets
    ``HF_HUB_OFFLINE=1`` there so nothing is downloaded. ``num_actors`` defaults to as many
    actors as fit in the cluster's CPUs less one (and in its GPUs, with ``num_gpus``), at
    least one: a pool that holds every CPU leaves none for the tasks that read and feed it,
    and Ray can then hang. Each actor receives
    ``rows_per_batch`` rows at a time and encodes them ``batch_size`` at a time. ``cache``
    (``True`` or a directory visible to the workers) uses
    :class:`storycluster._features.cache.CachedEmbedder`; off by default.
    """
    ray = _started_ray()
    if num_actors is None:
        num_actors = _default_actors(ray, num_cpus, num_gpus)
    options = {
        "model": model,
        "batch_size": batch_size,
        "device": device,
        "lead_chars": lead_chars,
        "clean": clean,
        "cache": cache,
        "offline": offline,
        "output_col": output_col,
    }
    return ds.map_batches(
        dist.BatchEmbedder,
        fn_constructor_kwargs=options,
        batch_format="pandas",
        batch_size=rows_per_batch,
        compute=ray.data.ActorPoolStrategy(size=num_actors),
        num_cpus=num_cpus,
        num_gpus=num_gpus,
    )


def _default_actors(ray: Any, num_cpus: float, num_gpus: float | None) -> int:
    """Actors that fit in the cluster's CPUs less one, and in its GPUs; at least one."""
    resources = ray.cluster_resources()
    fits = int((resources.get("CPU", 1) - 1) // num_cpus) if num_cpus > 0 else 1
    if num_gpus:
        fits = min(fits, int(resources.get("GPU", 0) // num_gpus))
    return max(1, fits)


# -- batch clustering -----------------------------------------------------------------------


def cluster_dataset(
    ds: Dataset,
    *,
    window_days: int = 30,
    step_days: int = 15,
    max_group_size: int = 5_000,
    max_span_days: float = 90.0,
    max_story_span_days: float = 365.0,
    seed: int = 0,
    reference_size: int = dist.DEFAULT_REFERENCE_SIZE,
    num_partitions: int | None = None,
    shuffle_strategy: str | None = "sort_shuffle_pull_based",
    **params: Any,
) -> tuple[Dataset, Dataset]:
    """Cluster a Dataset of articles with embeddings into events: ``(assignments, events)``.

    Parameters
    ----------
    ds
        Rows with ``id`` and ``embedding`` (a list or array per row) and any of ``title,
        text, published_at, language, source, url``; ids must be unique.
    window_days, step_days, max_group_size, max_span_days, max_story_span_days, seed, reference_size
        As :func:`storycluster.distributed.cluster_pandas`: each group is clustered with the
        ``reference_size`` rows of :func:`storycluster.distributed.reference_sample`
        (collected to the driver and sent with the group tasks).
    num_partitions
        Partitions of the ``groupby``, so tasks that cluster groups; default two per CPU of
        the cluster, at most the number of groups. (Ray
        Data's own default, 200 for the hash shuffle, suits large jobs only; the sort-based
        shuffle makes as many partitions as the input has blocks, so the data is
        repartitioned to this many blocks first.)
    shuffle_strategy
        Ray Data shuffle used by the groupby (a ``ray.data.context.ShuffleStrategy`` value;
        ``None`` keeps the input's). Default: the sort-based shuffle; with Ray 2.60's default
        (``"shuffle_v2"``) each groupby took about 9 s more, even on 1,000 rows.
    **params
        Passed to :class:`storycluster.StoryClusterer` for each group.

    Returns
    -------
    assignments, events
        Materialised Ray Datasets. ``assignments``: one row per article, ``article_id,
        event_id, story_id, score, cluster_size, keywords, title, lead, source, url,
        published_at``. ``events``: one row per event, ``event_id, story_id,
        representative_id, size, first_seen, last_seen, keywords, sources`` (UTC timestamps),
        largest first; every event lies in one story. The same result as
        :func:`storycluster.distributed.cluster_pandas` on the same rows. Both carry
        ``shuffle_strategy`` in their context.
    """
    ray = _started_ray()
    dist._check_window_params(window_days, step_days)
    _check_columns(ds)
    window_options = {"window_days": window_days, "step_days": step_days, "seed": seed}
    exploded = ds.map_batches(
        _explode_batch, fn_kwargs=window_options, batch_format="pandas"
    ).materialize()
    if shuffle_strategy is not None:
        # materialize() gave the dataset its own copy of the context: the caller's is untouched.
        exploded.context.shuffle_strategy = shuffle_strategy
    counts = _group_counts(exploded)
    n_articles = int(counts["articles"].sum())
    if n_articles == 0:
        return _empty_results(ray)
    bits = dist.block_bits(counts, max_group_size=max_group_size)
    partitions = num_partitions or _default_partitions(ray, int((2 ** bits["n_bits"]).sum()))
    reference = _reference(exploded, size=reference_size, seed=seed)
    local = _local_clusters(exploded, bits, partitions, {"reference": reference, **params})
    links = dist.link_windows(
        local, max_span_days=max_span_days, max_story_span_days=max_story_span_days
    )
    if len(links) != n_articles:
        raise ValueError(f"article ids must be unique: {n_articles} rows, {len(links)} ids")
    assignments = exploded.map_batches(
        _attach_batch, fn_kwargs={"links": ray.put(_to_arrow(links))}, batch_format="pandas"
    ).materialize()
    return assignments, _events(ray, assignments, links)


def _check_columns(ds: Dataset) -> None:
    """Fail early when the schema is known without running anything (else in the tasks)."""
    schema = ds.schema(fetch_if_missing=False)
    if schema is None:
        return
    missing = [c for c in ("id", "embedding") if c not in schema.names]
    if missing:
        raise ValueError(f"cluster_dataset needs column(s) {missing} (see embed_dataset)")


def _default_partitions(ray: Any, n_groups: int) -> int:
    return max(1, min(n_groups, 2 * _cluster_cpus(ray)))


def _group_counts(exploded: Dataset) -> pd.DataFrame:
    """``window, language, count, articles`` summed over the batches (a small table)."""
    parts = exploded.map_batches(_count_batch, batch_format="pandas").to_pandas()
    if len(parts) == 0:
        return pd.DataFrame({"window": [], "language": [], "count": [], "articles": []})
    summed = parts.groupby(["window", "language"], as_index=False)[["count", "articles"]].sum()
    return summed.astype({"window": object, "language": object})


def _reference(exploded: Dataset, *, size: int, seed: int) -> pd.DataFrame:
    """:func:`distributed.reference_sample` of the articles: each batch gives its own sample,
    and the sample of those is the sample of the whole (the keys are per-article hashes)."""
    parts = exploded.map_batches(
        _reference_batch, fn_kwargs={"size": size, "seed": seed}, batch_format="pandas"
    ).to_pandas()
    reference = dist.reference_sample(parts, size=size, seed=seed)
    return reference.assign(embedding=list(dist._embedding_matrix(reference["embedding"])))


def _local_clusters(
    exploded: Dataset, bits: pd.DataFrame, partitions: int, params: dict[str, Any]
) -> pd.DataFrame:
    """Every (window, block) group clustered by :func:`distributed.cluster_group`, collected."""
    blocked = exploded.map_batches(
        _block_batch,
        fn_kwargs={"bits": bits[["window", "language", "n_bits"]]},
        batch_format="pandas",
    )
    grouped = blocked.repartition(partitions).groupby(
        ["window", "block"], num_partitions=partitions
    )
    local = grouped.map_groups(_cluster_group, fn_kwargs=params, batch_format="pandas")
    return local.to_pandas()


def _events(ray: Any, assignments: Dataset, links: pd.DataFrame) -> Dataset:
    """One row per event by :func:`distributed.summarise_events`, largest first, on the
    driver: it holds ``links`` already and collects each article's source and time."""
    info = assignments.select_columns(["article_id", "source", "published_at"]).to_pandas()
    events = dist.summarise_events(links, info.rename(columns={"article_id": "id"}))
    return ray.data.from_arrow(_to_arrow(events))


def _empty_results(ray: Any) -> tuple[Dataset, Dataset]:
    assignments = pd.DataFrame({c: pd.Series(dtype=object) for c in ASSIGNMENT_COLUMNS})
    events = pd.DataFrame({c: pd.Series(dtype=object) for c in dist.EVENT_COLUMNS})
    return ray.data.from_pandas(assignments), ray.data.from_pandas(events)


# -- functions run on the workers, one batch at a time ----------------------------------------


def _explode_batch(
    pdf: pd.DataFrame, *, window_days: int, step_days: int, seed: int
) -> pd.DataFrame:
    """:func:`distributed.explode_windows` of a batch, with ``_first`` marking one copy of
    each input row (so the articles can be read back from the exploded rows)."""
    missing = [c for c in ("id", "embedding") if c not in pdf]
    if missing:
        raise ValueError(f"cluster_dataset needs column(s) {missing} (see embed_dataset)")
    pdf = pdf.assign(id=pdf["id"].astype(str), _row=np.arange(len(pdf)))
    for column in _OPTIONAL_COLUMNS:
        if column not in pdf:
            pdf[column] = None
    out = dist.explode_windows(pdf, window_days=window_days, step_days=step_days, seed=seed)
    out["_first"] = ~out["_row"].duplicated()
    return out.drop(columns="_row")


def _count_batch(pdf: pd.DataFrame) -> pd.DataFrame:
    """Rows (``count``) and input articles (``articles``) per (window, language) of a batch."""
    grouped = pdf.groupby(["window", "language"], sort=True)
    return pd.DataFrame(
        {"count": grouped.size(), "articles": grouped["_first"].sum().astype(np.int64)}
    ).reset_index()


def _reference_batch(pdf: pd.DataFrame, *, size: int, seed: int) -> pd.DataFrame:
    """The batch's :func:`distributed.reference_sample` (one row per article, input columns)."""
    columns = ["id", *_OPTIONAL_COLUMNS, "embedding"]
    articles = pdf.loc[pdf["_first"].astype(bool), columns]
    return dist.reference_sample(articles, size=size, seed=seed)


def _block_batch(pdf: pd.DataFrame, *, bits: pd.DataFrame) -> pd.DataFrame:
    """The batch with its ``block`` key (see :func:`distributed.assign_windows`)."""
    return dist._with_blocks(pdf.drop(columns="_first"), bits)


def _cluster_group(pdf: pd.DataFrame, **params: Any) -> Any:
    """:func:`distributed.cluster_group` of one group, as a typed Arrow table."""
    return _to_arrow(dist.cluster_group(pdf, **params))


def _attach_batch(pdf: pd.DataFrame, *, links: Any) -> Any:
    """One row per article of the batch: its event (from the ``links`` table) and display
    fields (``ASSIGNMENT_COLUMNS``), as an Arrow table."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if not isinstance(links, pa.Table):  # an ObjectRef that Ray did not resolve
        links = _ray().get(links)
    articles = pdf.loc[pdf["_first"].astype(bool)]
    ids = pa.array(articles["id"].astype(str).tolist(), type=pa.string())
    table = links.take(pc.index_in(ids, value_set=links["article_id"]))
    display = _to_arrow(
        pd.DataFrame(
            {
                "title": articles["title"].to_numpy(),
                "lead": [_lead(text) for text in articles["text"].tolist()],
                "source": articles["source"].to_numpy(),
                "url": articles["url"].to_numpy(),
                "published_at": articles["published_at"].to_numpy(),
            }
        )
    )
    for name in display.column_names:
        table = table.append_column(name, display[name])
    return table.select(ASSIGNMENT_COLUMNS)


def _lead(text: Any) -> str | None:
    return text[:_LEAD_CHARS] if isinstance(text, str) else None


def _top_batch(pdf: pd.DataFrame, *, limit: int | None) -> pd.DataFrame:
    """The batch's ``limit`` largest events (all with ``None``)."""
    ranked = dist.sort_events(pdf)
    return ranked if limit is None else ranked.head(limit)


def _members_batch(pdf: pd.DataFrame, *, event_ids: list[str]) -> pd.DataFrame:
    """The batch's rows of members of ``event_ids``."""
    return pdf.loc[pdf["event_id"].isin(event_ids), _MEMBER_COLUMNS]


# -- to objects -----------------------------------------------------------------------------


def to_events(events: Dataset, assignments: Dataset, *, limit: int | None = 20) -> list[Event]:
    """The ``limit`` largest events (all with ``None``) as :class:`Event` objects.

    Only these events and their members are collected to the driver (each batch gives its
    ``limit`` largest events, the driver keeps the overall ``limit``). Members are ordered
    representative first, then by score (ties: id); the representative's text is its lead.
    """
    top = events.map_batches(_top_batch, fn_kwargs={"limit": limit}, batch_format="pandas")
    top_events = dist.sort_events(top.to_pandas())
    if limit is not None:
        top_events = top_events.head(int(limit))
    if len(top_events) == 0:
        return []
    ids = top_events["event_id"].tolist()
    members = assignments.map_batches(
        _members_batch, fn_kwargs={"event_ids": ids}, batch_format="pandas"
    ).to_pandas()
    return dist.event_objects(top_events, members)


# -- Arrow types ----------------------------------------------------------------------------

_STRING_COLUMNS = frozenset(
    {
        "article_id",
        "event_id",
        "story_id",
        "representative_id",
        "window",
        "block",
        "title",
        "lead",
        "source",
        "url",
    }
)
_INT_COLUMNS = frozenset({"local_cluster", "local_story", "cluster_size", "size"})
_FLOAT_COLUMNS = frozenset({"score", "day"})
_LIST_COLUMNS = frozenset({"keywords", "sources"})
_TIME_COLUMNS = frozenset({"first_seen", "last_seen"})


def _to_arrow(pdf: pd.DataFrame) -> Any:
    """``pdf`` as an Arrow table with fixed types for the known columns.

    Lists of keywords are ``list<string>`` even when empty, and missing strings are nulls, so
    the blocks of one dataset always share a schema (inferred types differ between an
    all-empty block and others).
    """
    import pyarrow as pa

    columns = {}
    for name in pdf.columns:
        values = pdf[name]
        if name in _LIST_COLUMNS:
            columns[name] = pa.array([_strings(v) for v in values], type=pa.list_(pa.string()))
        elif name in _STRING_COLUMNS:
            columns[name] = pa.array(
                [None if dist._clean(v) is None else str(v) for v in values], type=pa.string()
            )
        elif name in _INT_COLUMNS:
            columns[name] = pa.array(values.to_numpy(dtype=np.int64), type=pa.int64())
        elif name in _FLOAT_COLUMNS:
            columns[name] = pa.array(values.to_numpy(dtype=np.float64), type=pa.float64())
        elif name in _TIME_COLUMNS:
            stamps = pd.to_datetime(values, utc=True).astype("datetime64[us, UTC]")
            columns[name] = pa.array(stamps, type=pa.timestamp("us", tz="UTC"), from_pandas=True)
        else:
            columns[name] = pa.array(values, from_pandas=True)
    return pa.table(columns)


def _strings(value: Any) -> list[str]:
    return [str(v) for v in dist._as_list(value)]


__getattr__ = renamed(__name__, {"to_clusters": "to_events"})
