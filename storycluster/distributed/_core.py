"""Engine-independent pieces for clustering very large corpora on Spark, Ray or one process.

Nothing here imports an engine: every function takes and returns plain pandas DataFrames, so
an engine only has to move rows between them (see :mod:`storycluster.distributed.spark` and
:mod:`storycluster.distributed.ray`), and :func:`cluster_pandas` runs the very same
functions in a loop on one machine. The plan:

1. :func:`assign_windows` copies each article into the overlapping time windows it falls in
   (by default 30-day windows starting every 15 days, so each dated article is in two
   windows, the streaming clusterer's 30-day horizon;
   undated articles go to one ``"undated"`` window) and gives it a blocking key: its language,
   plus, only when a (window, language) group holds more than ``max_group_size`` articles, a
   coarse embedding bucket (signs of its projections on a few seeded random hyperplanes).
2. :func:`cluster_group` runs :class:`storycluster.StoryClusterer` on one (window, block) group
   with the precomputed embeddings and returns each row's local cluster.
3. :func:`link_windows` joins the local clusters into global events: clusters that share an
   article (the window overlap) are unioned with union-find, largest clusters first, unless the
   union would make an event span more than ``max_span_days``; each article then takes the event
   of its largest local cluster. An event id is ``"ev_"`` plus a hash of its smallest member id.
   Stories are linked the same way one level up: each group's fit also groups its events into
   stories (``local_story``), and the events whose articles share a local story are unioned
   into one story (unless it would span more than ``max_story_span_days``), so every event lies
   in exactly one story, named after its founder as events are.
4. :func:`summarise_events` gives one row per event, with its story.

Input columns: ``id, title, text, published_at, language, source, url, embedding`` (the
embedding a list or array per row; ``language`` may be missing or null).
"""

from __future__ import annotations

import hashlib
import math
import os
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from .._compat import renamed
from .._features.embedding import DEFAULT_MODEL
from .._grouping.ids import event_id as founder_event_id
from .._grouping.ids import story_id as founder_story_id
from ..models import normalize_id

if TYPE_CHECKING:  # pragma: no cover
    from ..models import Event

__all__ = [
    "ASSIGNMENT_COLUMNS",
    "DEFAULT_REFERENCE_SIZE",
    "UNDATED",
    "BatchEmbedder",
    "assign_windows",
    "block_bits",
    "cluster_group",
    "cluster_pandas",
    "event_id_for",
    "event_objects",
    "explode_windows",
    "frame_from_articles",
    "group_function",
    "link_windows",
    "reference_keys",
    "reference_sample",
    "story_id_for",
    "summarise_event_group",
    "summarise_events",
    "summarise_members",
]

#: Articles of the corpus every group is fitted with (see :func:`reference_sample`).
DEFAULT_REFERENCE_SIZE = 200

#: Window label of articles without a publication time.
UNDATED = "undated"
#: Blocking language of articles without one.
UNKNOWN_LANGUAGE = "und"
#: Hyperplanes computed per article; a block uses as many of them as its size needs.
MAX_PLANES = 12
_SECONDS_PER_DAY = 86_400.0

#: Columns :func:`cluster_group` returns, in order.
ASSIGNMENT_COLUMNS = [
    "article_id",
    "window",
    "block",
    "local_cluster",
    "local_story",
    "cluster_size",
    "score",
    "day",
    "keywords",
]

#: Columns of the per-article result of :func:`link_windows`.
LINK_COLUMNS = ["article_id", "event_id", "story_id", "score", "cluster_size", "keywords"]

#: Columns of :func:`summarise_events`.
EVENT_COLUMNS = [
    "event_id",
    "story_id",
    "representative_id",
    "size",
    "first_seen",
    "last_seen",
    "keywords",
    "sources",
]

_ARTICLE_FIELDS = ("id", "title", "text", "url", "source", "published_at", "language")


# -- 1. windows and blocks ------------------------------------------------------------------


def published_days(values: pd.Series) -> np.ndarray:
    """Publication times as float days since 1970-01-01 UTC; NaN where missing or unparsable.

    Strings are read as ISO 8601 (an offset is honoured, none means UTC); naive datetimes are
    UTC.
    """
    if pd.api.types.is_datetime64_any_dtype(values):
        times = values
        if getattr(times.dt, "tz", None) is None:
            times = times.dt.tz_localize("UTC")
        else:
            times = times.dt.tz_convert("UTC")
    else:
        objects = values.astype(object).where(values.notna(), None)
        strings = objects.map(lambda v: v.strip() if isinstance(v, str) else v)
        times = pd.to_datetime(
            strings.replace("", None), utc=True, format="ISO8601", errors="coerce"
        )
    seconds = (times - pd.Timestamp(0, tz="UTC")).dt.total_seconds()
    return seconds.to_numpy(dtype=np.float64, na_value=np.nan) / _SECONDS_PER_DAY


def _window_label(start_day: int) -> str:
    return (pd.Timestamp(0, tz="UTC") + pd.Timedelta(days=int(start_day))).strftime("%Y-%m-%d")


def _hyperplane_bits(embeddings: np.ndarray, seed: int) -> list[str]:
    """``MAX_PLANES`` '0'/'1' characters per row: signs on seeded random hyperplanes."""
    if len(embeddings) == 0:
        return []
    planes = np.random.default_rng(seed).standard_normal((MAX_PLANES, embeddings.shape[1]))
    signs = (embeddings @ planes.T) > 0
    return ["".join("1" if s else "0" for s in row) for row in signs]


def explode_windows(
    pdf: pd.DataFrame, *, window_days: int = 30, step_days: int = 15, seed: int = 0
) -> pd.DataFrame:
    """Copy each row into every window it falls in; row by row, no global information needed.

    Adds ``window`` (start date ``YYYY-MM-DD`` of a window of ``window_days`` UTC days, windows
    starting every ``step_days`` days from 1970-01-01, or ``"undated"``), ``language`` filled
    with ``"und"`` where missing, ``day`` (float days since the epoch, NaN if undated) and
    ``bits`` (hyperplane signs of the embedding, used by :func:`block_bits`). A dated article
    lands in ``window_days / step_days`` windows.
    """
    _check_window_params(window_days, step_days)
    days = (
        published_days(pdf["published_at"]) if "published_at" in pdf else np.full(len(pdf), np.nan)
    )
    embeddings = _embedding_matrix(pdf["embedding"]) if len(pdf) else np.zeros((0, 1))
    base = pdf.copy()
    if "language" not in base:
        base["language"] = None
    language = base["language"].astype(object)
    base["language"] = language.where(language.notna() & (language != ""), UNKNOWN_LANGUAGE)
    base["day"] = days
    base["bits"] = _hyperplane_bits(embeddings, seed)
    positions: list[int] = []
    windows: list[str] = []
    for position, day in enumerate(days):
        if math.isnan(day):
            positions.append(position)
            windows.append(UNDATED)
            continue
        whole = math.floor(day)
        first = -((-(whole - window_days + 1)) // step_days)  # ceil division
        for k in range(first, whole // step_days + 1):
            positions.append(position)
            windows.append(_window_label(k * step_days))
    out = base.iloc[positions].reset_index(drop=True)
    out["window"] = windows
    return out


def block_bits(counts: pd.DataFrame, *, max_group_size: int = 5_000) -> pd.DataFrame:
    """Hyperplane bits each (window, language) group needs to get under ``max_group_size``.

    ``counts`` has ``window, language, count``; the result adds ``n_bits`` (0 for a group that
    is small enough, else ``ceil(log2(count / max_group_size)) + 1``, at most ``MAX_PLANES``).
    Random hyperplanes split unevenly, hence the extra bit.
    """
    if max_group_size < 1:
        raise ValueError(f"max_group_size must be >= 1, got {max_group_size!r}")
    out = counts[["window", "language", "count"]].copy()
    ratio = out["count"].to_numpy(dtype=np.float64) / max_group_size
    needed = np.where(ratio > 1, np.ceil(np.log2(np.maximum(ratio, 1.0))) + 1, 0)
    out["n_bits"] = np.minimum(needed, MAX_PLANES).astype(np.int64)
    return out


def _with_blocks(exploded: pd.DataFrame, bits: pd.DataFrame) -> pd.DataFrame:
    merged = exploded.merge(bits[["window", "language", "n_bits"]], on=["window", "language"])
    merged["block"] = [
        language if n == 0 else f"{language}:{b[:n]}"
        for language, b, n in zip(merged["language"], merged["bits"], merged["n_bits"], strict=True)
    ]
    return merged.drop(columns=["bits", "n_bits"])


def assign_windows(
    df: pd.DataFrame,
    *,
    window_days: int = 30,
    step_days: int = 15,
    max_group_size: int = 5_000,
    seed: int = 0,
) -> pd.DataFrame:
    """Rows duplicated into overlapping time windows, each with a ``window`` and ``block`` key.

    Each (window, block) group is clustered on its own by :func:`cluster_group`. The block is
    the language; a (window, language) group larger than ``max_group_size`` is split further
    by the signs of the embeddings on a few seeded random hyperplanes (``"en:0110"``).
    """
    exploded = explode_windows(df, window_days=window_days, step_days=step_days, seed=seed)
    counts = exploded.groupby(["window", "language"]).size().rename("count").reset_index()
    return _with_blocks(exploded, block_bits(counts, max_group_size=max_group_size))


# -- 2. one group ---------------------------------------------------------------------------


def reference_keys(ids: Iterable[Any], *, seed: int = 0) -> np.ndarray:
    """Seeded pseudo-random non-negative ``int64`` keys of article ids (56-bit hashes, so
    that every engine can store them as a signed long); the smallest form the reference.

    A hash of the id, not a random draw, so every engine picks the same rows whatever their
    order or partitioning (Spark and Ray compute it with this function in ``mapInPandas`` /
    ``map_batches``).
    """
    return np.array(
        [
            int.from_bytes(hashlib.blake2b(f"{seed}:{i}".encode(), digest_size=7).digest(), "big")
            for i in ids
        ],
        dtype=np.int64,
    )


def reference_sample(
    df: pd.DataFrame, *, size: int = DEFAULT_REFERENCE_SIZE, seed: int = 0
) -> pd.DataFrame:
    """The ``size`` rows of ``df`` with the smallest :func:`reference_keys` (ties: id).

    Every group is fitted with this sample of the whole corpus as its reference (see
    :func:`cluster_group`), so that its term weights and background statistics are those of
    the corpus, not of a few dozen articles of one window.
    """
    if size <= 0 or len(df) == 0:
        return df.iloc[0:0]
    keyed = df.assign(_key=reference_keys(df["id"].astype(str), seed=seed))
    keyed = keyed.sort_values(["_key", "id"], kind="stable").head(size)
    return keyed.drop(columns="_key").reset_index(drop=True)


def cluster_group(
    pdf: pd.DataFrame, *, reference: pd.DataFrame | None = None, **params: Any
) -> pd.DataFrame:
    """Cluster one (window, block) group; one row per input row (see ``ASSIGNMENT_COLUMNS``).

    ``params`` go to :class:`storycluster.StoryClusterer` (the embeddings are taken from the
    ``embedding`` column, so no model is loaded). Rows are sorted by id first, so the result
    does not depend on the order an engine delivers them in. ``local_cluster`` numbers the
    group's clusters largest first, ``local_story`` its stories (groups of those clusters);
    ``score`` is the member's cosine to its cluster centroid.

    ``reference`` (see :func:`reference_sample`) is passed to ``StoryClusterer.fit``: its rows
    shape the term weights and set the background statistics and neutral time gap, but are
    not clustered. A window holds few articles, and a few dozen articles give poor term
    weights and backgrounds: on gvc, 30-day windows alone lose 0.035 B-cubed F1 against one
    clusterer on the whole set, with a 200-article reference 0.015 (recall: follow-ups more
    than a window apart). Reference rows that are also in the group count once (``fit`` drops
    them from the reference).
    """
    from ..batch import StoryClusterer

    if len(pdf) == 0:
        return _empty_assignments()
    pdf = pdf.sort_values("id", kind="stable").reset_index(drop=True)
    options: dict[str, Any] = {}
    if reference is not None and len(reference):
        options = {
            "reference": _records(reference),
            "reference_embeddings": _embedding_matrix(reference["embedding"]),
        }
    # Near-copy marks are not part of the output, and their LSH set-up dominates small groups.
    params = {"cache": False, "show_progress_bar": False, "dedup_threshold": None, **params}
    model = StoryClusterer(**params).fit(
        _records(pdf), embeddings=_embedding_matrix(pdf["embedding"]), **options
    )
    sizes = np.array([cluster.size for cluster in model.events_], dtype=np.int64)
    labels = np.asarray(model.labels_, dtype=np.int64)
    similarity = {
        member.article_id: member.similarity
        for cluster in model.events_
        for member in cluster.members
    }
    ids = pdf["id"].astype(str).tolist()
    days = (
        pdf["day"].to_numpy(dtype=np.float64)
        if "day" in pdf
        else published_days(pdf["published_at"])
    )
    return pd.DataFrame(
        {
            "article_id": ids,
            "window": pdf["window"].astype(str).to_numpy(),
            "block": pdf["block"].astype(str).to_numpy(),
            "local_cluster": labels,
            "local_story": np.asarray(model.story_labels_, dtype=np.int64),
            "cluster_size": sizes[labels],
            "score": np.array([similarity[i] for i in ids], dtype=np.float64),
            "day": days,
            "keywords": [list(model.events_[label].keywords) for label in labels],
        },
        columns=ASSIGNMENT_COLUMNS,
    )


def group_function(*, reference: pd.DataFrame | None = None, **params: Any):
    """A one-argument ``pdf -> pdf`` wrapper of :func:`cluster_group` with ``params`` bound.

    Engines pick a calling convention by arity (Spark's ``applyInPandas`` treats a 2-argument
    function as ``(key, pdf)``), so this is a plain one-argument closure. ``reference`` (a few
    hundred rows with their embeddings) travels with it.
    """

    def cluster_one_group(pdf: pd.DataFrame) -> pd.DataFrame:
        return cluster_group(pdf, reference=reference, **params)

    return cluster_one_group


# -- 3. linking windows ---------------------------------------------------------------------


class _UnionFind:
    def __init__(self, n: int, lo: np.ndarray, hi: np.ndarray) -> None:
        self.parent = list(range(n))
        self.lo = lo.tolist()
        self.hi = hi.tolist()

    def find(self, x: int) -> int:
        parent = self.parent
        root = x
        while parent[root] != root:
            root = parent[root]
        while parent[x] != root:
            parent[x], x = root, parent[x]
        return root

    def union(self, a: int, b: int, max_span: float) -> bool:
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return True
        lo = _nanmin(self.lo[ra], self.lo[rb])
        hi = _nanmax(self.hi[ra], self.hi[rb])
        if not math.isnan(lo) and hi - lo > max_span:
            return False
        if rb < ra:
            ra, rb = rb, ra
        self.parent[rb] = ra
        self.lo[ra], self.hi[ra] = lo, hi
        return True


def _nanmin(a: float, b: float) -> float:
    return b if math.isnan(a) else a if math.isnan(b) else min(a, b)


def _nanmax(a: float, b: float) -> float:
    return b if math.isnan(a) else a if math.isnan(b) else max(a, b)


#: The id of the event founded by an article: :func:`storycluster._grouping.ids.event_id`.
event_id_for = founder_event_id


#: ``"st_"`` and the hash of a story's founder id (:func:`storycluster._grouping.ids.story_id`).
story_id_for = founder_story_id


def link_windows(
    assignments: pd.DataFrame,
    *,
    max_span_days: float = 90.0,
    max_story_span_days: float = 365.0,
) -> pd.DataFrame:
    """Join per-window clusters into global events; one row per article (``LINK_COLUMNS``).

    Nodes are local clusters, keyed by (window, block, local_cluster). For each article, its
    clusters are ranked largest first (ties: earlier window, then block, then cluster number);
    the first is its *primary* cluster, and it is unioned with each of the others, the unions
    of larger clusters first. A union that would make the event span (first to last
    publication time of the members of its clusters) more than ``max_span_days`` is skipped,
    so a long-running story does not chain into one giant event. Each article then takes the
    event of its primary cluster, with that cluster's score, size and keywords. The event is
    named after its founder (:func:`event_id_for`): its earliest member, undated members last,
    ties by smallest id, as in a batch run.

    Stories link events the same way: nodes are the events, and the events of the articles of
    each local story are unioned, larger local stories first, unless the story would span more
    than ``max_story_span_days``. An event is a node, so it lies whole in one story. A story is
    named after its founder too (:func:`story_id_for`). The result depends only on the
    assignment rows, not on their order.
    """
    if len(assignments) == 0:
        return pd.DataFrame(columns=LINK_COLUMNS)
    frame = assignments.reset_index(drop=True)
    keys = frame[["window", "block", "local_cluster"]]
    codes, uniques = pd.MultiIndex.from_frame(keys).factorize(sort=True)
    n_clusters = len(uniques)
    days = frame["day"].to_numpy(dtype=np.float64)
    with np.errstate(all="ignore"):
        lo = pd.Series(days).groupby(codes).min().reindex(range(n_clusters)).to_numpy()
        hi = pd.Series(days).groupby(codes).max().reindex(range(n_clusters)).to_numpy()
    uf = _UnionFind(n_clusters, lo, hi)

    # codes follow sorted (window, block, local_cluster), so the code breaks size ties.
    frame = frame.assign(_code=codes, _neg_size=-frame["cluster_size"].to_numpy())
    ranked = frame.sort_values(["article_id", "_neg_size", "_code"], kind="stable")
    first = ~ranked["article_id"].duplicated()
    primary = ranked.loc[first].set_index("article_id")
    others = ranked.loc[~first]
    if len(others):
        pairs = pd.DataFrame(
            {
                "a": primary.loc[others["article_id"], "_code"].to_numpy(),
                "b": others["_code"].to_numpy(),
                "size": -primary.loc[others["article_id"], "_neg_size"].to_numpy()
                - others["_neg_size"].to_numpy(),
            }
        ).sort_values(["size", "a", "b"], ascending=[False, True, True], kind="stable")
        for a, b in zip(pairs["a"].tolist(), pairs["b"].tolist(), strict=True):
            uf.union(a, b, float(max_span_days))

    roots = np.array([uf.find(c) for c in primary["_code"].tolist()], dtype=np.int64)
    article_ids = primary.index.to_numpy()
    founders = _founders(article_ids, primary["day"].to_numpy(dtype=np.float64), roots)
    stories = _link_stories(frame, article_ids, roots, float(max_story_span_days))
    story_founders = _founders(article_ids, primary["day"].to_numpy(dtype=np.float64), stories)
    return pd.DataFrame(
        {
            "article_id": article_ids,
            "event_id": [founder_event_id(founders[root]) for root in roots.tolist()],
            "story_id": [founder_story_id(story_founders[s]) for s in stories.tolist()],
            "score": primary["score"].to_numpy(dtype=np.float64),
            "cluster_size": primary["cluster_size"].to_numpy(dtype=np.int64),
            "keywords": primary["keywords"].tolist(),
        },
        columns=LINK_COLUMNS,
    )


def _founders(article_ids: np.ndarray, days: np.ndarray, roots: np.ndarray) -> dict[int, str]:
    """Each root's founder id: the earliest member, undated last, ties by smallest id."""
    order = pd.DataFrame(
        {"root": roots, "undated": np.isnan(days), "day": days, "article_id": article_ids}
    ).sort_values(["root", "undated", "day", "article_id"], kind="stable")
    first = order.drop_duplicates("root")
    return dict(zip(first["root"].tolist(), first["article_id"].tolist(), strict=True))


def _link_stories(
    frame: pd.DataFrame, article_ids: np.ndarray, roots: np.ndarray, max_span: float
) -> np.ndarray:
    """Story node of each article of ``article_ids`` (whose events are ``roots``): the events
    of each local story unioned, larger local stories first, within ``max_span`` days."""
    _, events = np.unique(roots, return_inverse=True)
    n_events = int(events.max()) + 1 if events.size else 0
    event_of = pd.Series(events, index=article_ids)
    row_event = event_of.loc[frame["article_id"].to_numpy()].to_numpy()
    days = frame["day"].to_numpy(dtype=np.float64)
    with np.errstate(all="ignore"):
        lo = pd.Series(days).groupby(row_event).min().reindex(range(n_events)).to_numpy()
        hi = pd.Series(days).groupby(row_event).max().reindex(range(n_events)).to_numpy()
    uf = _UnionFind(n_events, lo, hi)
    if "local_story" in frame:
        story_keys = frame[["window", "block", "local_story"]]
        codes, _ = pd.MultiIndex.from_frame(story_keys).factorize(sort=True)
        pairs = pd.DataFrame({"story": codes, "event": row_event}).drop_duplicates()
        sizes = pairs.groupby("story")["event"].transform("size").to_numpy()
        pairs = pairs.assign(_size=sizes).sort_values(
            ["_size", "story", "event"], ascending=[False, True, True], kind="stable"
        )
        previous_story, previous_event = -1, -1
        for story, event in zip(pairs["story"].tolist(), pairs["event"].tolist(), strict=True):
            if story == previous_story:
                uf.union(previous_event, event, max_span)
            else:
                previous_story = story
            previous_event = event
    return np.array([uf.find(e) for e in events.tolist()], dtype=np.int64)


# -- 4. events ------------------------------------------------------------------------------


def summarise_event_group(pdf: pd.DataFrame) -> pd.DataFrame:
    """One event's row from its members' rows (``event_id, article_id, score, cluster_size,
    keywords``, and ``story_id``, ``source``, ``published_at`` where present); a one-argument
    function for ``groupby().apply``.

    The same as :func:`summarise_members`, which does all events at once.
    """
    return summarise_members(pdf)


def summarise_members(members: pd.DataFrame) -> pd.DataFrame:
    """One row per event (``EVENT_COLUMNS``, by event id) from its members' rows
    (``event_id, article_id, score, cluster_size, keywords``, and ``story_id``, ``source``,
    ``published_at`` where present), for all events at once. Without ``story_id`` each event is
    its own story.

    The representative is the member closest to its cluster centroid (ties: smallest id); the
    keywords are those of the event's largest local cluster (ties: the representative's);
    ``first_seen``/``last_seen`` the first and last publication times (NaT when undated);
    ``sources`` the distinct non-empty sources, sorted.
    """
    if len(members) == 0:
        return pd.DataFrame(columns=EVENT_COLUMNS)
    frame = pd.DataFrame(
        {
            "event_id": members["event_id"].astype(str).to_numpy(),
            "_story": (
                members["story_id"].astype(str).to_numpy()
                if "story_id" in members
                else members["event_id"].astype(str).to_numpy()
            ),
            "_id": members["article_id"].astype(str).to_numpy(),
            "score": members["score"].to_numpy(dtype=np.float64),
            "cluster_size": members["cluster_size"].to_numpy(dtype=np.int64),
            "_row": np.arange(len(members)),
        }
    )
    ranked = frame.sort_values(
        ["event_id", "score", "_id"], ascending=[True, False, True], kind="stable"
    )
    representatives = ranked.drop_duplicates("event_id").set_index("event_id")
    by_size = ranked.sort_values(
        ["event_id", "cluster_size"], ascending=[True, False], kind="stable"
    )
    keyword_rows = by_size.drop_duplicates("event_id").set_index("event_id")["_row"]
    keywords = members["keywords"].tolist()
    days = (
        published_days(members["published_at"])
        if "published_at" in members
        else np.full(len(members), np.nan)
    )
    with np.errstate(all="ignore"):
        span = pd.Series(days).groupby(frame["event_id"].to_numpy()).agg(["min", "max"])
    sources = _event_sources(frame["event_id"], members)
    event_ids = representatives.index.tolist()
    return pd.DataFrame(
        {
            "event_id": event_ids,
            "story_id": representatives["_story"].tolist(),
            "representative_id": representatives["_id"].tolist(),
            "size": frame.groupby("event_id").size().loc[event_ids].to_numpy(dtype=np.int64),
            "first_seen": [_day_to_timestamp(d) for d in span.loc[event_ids, "min"].tolist()],
            "last_seen": [_day_to_timestamp(d) for d in span.loc[event_ids, "max"].tolist()],
            "keywords": [_as_list(keywords[r]) for r in keyword_rows.loc[event_ids].tolist()],
            "sources": [sources.get(e, []) for e in event_ids],
        },
        columns=EVENT_COLUMNS,
    )


def _event_sources(event_ids: pd.Series, members: pd.DataFrame) -> dict[str, list[str]]:
    """Event id -> its members' distinct non-empty sources, sorted."""
    if "source" not in members:
        return {}
    pairs = sorted(
        {
            (e, s)
            for e, s in zip(event_ids.tolist(), members["source"].tolist(), strict=True)
            if isinstance(s, str) and s
        }
    )
    out: dict[str, list[str]] = {}
    for event_id, source in pairs:
        out.setdefault(event_id, []).append(source)
    return out


def summarise_events(links: pd.DataFrame, articles: pd.DataFrame) -> pd.DataFrame:
    """One row per event (``EVENT_COLUMNS``), largest first (ties: event id).

    ``links`` is the result of :func:`link_windows`; ``articles`` the input (``id``, and
    ``source`` and ``published_at`` where present). ``first_seen``/``last_seen`` are UTC
    timestamps (NaT for an undated event); ``sources`` sorted and distinct.
    """
    columns = [c for c in ("id", "source", "published_at") if c in articles]
    info = articles[columns].rename(columns={"id": "article_id"})
    info = info.assign(article_id=info["article_id"].astype(str))
    if "source" not in info:
        info["source"] = None
    if "published_at" not in info:
        info["published_at"] = None
    members = links.merge(info, on="article_id", how="left")
    if len(members) == 0:
        return pd.DataFrame(columns=EVENT_COLUMNS)
    return sort_events(summarise_members(members))


def sort_events(events: pd.DataFrame) -> pd.DataFrame:
    """Events largest first, ties by event id, with a fresh index."""
    return events.sort_values(
        ["size", "event_id"], ascending=[False, True], kind="stable"
    ).reset_index(drop=True)


def _day_to_timestamp(day: float) -> pd.Timestamp:
    if day is None or not np.isfinite(day):
        return pd.NaT
    return pd.Timestamp(round(day * _SECONDS_PER_DAY * 1e6), unit="us", tz="UTC")


# -- shared by the engines: embedding batches, events as objects ----------------------------


class BatchEmbedder:
    """Embed batches of articles: a ``pdf -> pdf`` callable adding a float32 vector column.

    Embeds exactly what :meth:`storycluster.StoryClusterer.embedding_texts` gives (title and
    lead). The model (a name or a directory present where this runs) is loaded once, from the
    local disk, when the object is built, so an engine builds one per worker (Spark's
    ``mapInPandas`` function, a Ray actor) and no weights travel with the task. ``offline``
    sets ``HF_HUB_OFFLINE=1`` first, so nothing is downloaded on a worker. ``cache`` (``True``
    or a directory) wraps the model in :class:`storycluster._features.cache.CachedEmbedder`.
    """

    def __init__(
        self,
        *,
        model: str = DEFAULT_MODEL,
        batch_size: int = 32,
        device: str | None = None,
        lead_chars: int = 400,
        clean: bool = True,
        cache: bool | str = False,
        offline: bool = True,
        output_col: str = "embedding",
    ) -> None:
        if offline:
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
        from .._features.cache import CachedEmbedder
        from .._features.embedding import SentenceTransformerEmbedder
        from ..batch import StoryClusterer

        embedder: Any = SentenceTransformerEmbedder(
            model, batch_size=batch_size, device=device, show_progress_bar=False
        )
        if cache is not False:
            embedder = CachedEmbedder(embedder, cache_dir=None if cache is True else cache)
        self.embedder = embedder
        self.texts_of = StoryClusterer(clean=clean, lead_chars=lead_chars, detect_language=False)
        self.output_col = output_col

    def __call__(self, pdf: pd.DataFrame) -> pd.DataFrame:
        """``pdf`` (article columns) with ``output_col`` holding one float32 vector per row."""
        out = pdf.copy()
        if len(pdf) == 0:
            out[self.output_col] = []
            return out
        texts = self.texts_of.embedding_texts(_records(pdf))
        vectors = np.asarray(self.embedder.encode(texts), dtype=np.float32)
        out[self.output_col] = list(vectors)
        return out


def event_objects(events: pd.DataFrame, members: pd.DataFrame) -> list[Event]:
    """:class:`storycluster.Event` objects, one per row of ``events``, in its order.

    ``events`` has ``EVENT_COLUMNS`` (``first_seen``/``last_seen`` aware timestamps, or
    missing); ``members`` has ``event_id, article_id, score, title, lead, source, url,
    published_at`` for every member of those events. Members are ordered representative first,
    then by score (ties: id); the representative's text is its lead.
    """
    out = []
    for event in events.to_dict("records"):
        group = members[members["event_id"] == event["event_id"]]
        group = group.assign(_rep=group["article_id"] == event["representative_id"])
        group = group.sort_values(
            ["_rep", "score", "article_id"], ascending=[False, False, True], kind="stable"
        )
        out.append(_event_object(event, group))
    return out


def _event_object(event: dict[str, Any], group: pd.DataFrame) -> Event:
    from ..models import Article, Event, EventMember

    rep = group.iloc[0]
    title = _clean(rep["title"])
    representative = Article(
        id=rep["article_id"],
        title=title,
        text=_clean(rep["lead"]) or (None if title else "(no text)"),
        source=_clean(rep["source"]),
        url=_clean(rep["url"]),
        published_at=_clean(rep["published_at"]),
    )
    members = [
        EventMember(
            article_id=m["article_id"],
            title=_clean(m["title"]),
            source=_clean(m["source"]),
            url=_clean(m["url"]),
            published_at=_clean(m["published_at"]),
            similarity=float(m["score"]),
            is_representative=bool(m["_rep"]),
        )
        for m in group.to_dict("records")
    ]
    return Event(
        id=event["event_id"],
        size=int(event["size"]),
        representative=representative,
        members=members,
        first_published=_clean(event.get("first_seen")),
        last_published=_clean(event.get("last_seen")),
        sources=_as_list(event.get("sources")),
        keywords=_as_list(event.get("keywords")),
        label=(representative.title or representative.text or "")[:120],
    )


def _as_list(value: Any) -> list[Any]:
    """A list from a list, array or missing value (engines give list columns either way)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return []
    return list(value)


# -- single process -------------------------------------------------------------------------


def cluster_pandas(
    df: pd.DataFrame,
    *,
    window_days: int = 30,
    step_days: int = 15,
    max_group_size: int = 5_000,
    max_span_days: float = 90.0,
    max_story_span_days: float = 365.0,
    seed: int = 0,
    reference_size: int = DEFAULT_REFERENCE_SIZE,
    **params: Any,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The windowed pipeline in one process: ``(links, events)``.

    ``links`` has one row per article (``LINK_COLUMNS``), ``events`` one row per event
    (``EVENT_COLUMNS``). ``params`` go to :class:`storycluster.StoryClusterer`;
    every group is fitted with the ``reference_size`` articles of :func:`reference_sample`.
    The engines run exactly these steps, so their results are identical to this one.
    """
    _check_input_frame(df)
    reference = reference_sample(df, size=reference_size, seed=seed)
    windowed = assign_windows(
        df,
        window_days=window_days,
        step_days=step_days,
        max_group_size=max_group_size,
        seed=seed,
    )
    fn = group_function(reference=reference, **params)
    parts = [fn(group) for _, group in windowed.groupby(["window", "block"], sort=True)]
    assignments = pd.concat(parts, ignore_index=True) if parts else _empty_assignments()
    links = link_windows(
        assignments, max_span_days=max_span_days, max_story_span_days=max_story_span_days
    )
    events = summarise_events(links, df)
    return links, events


# -- helpers --------------------------------------------------------------------------------


def _check_window_params(window_days: int, step_days: int) -> None:
    for name, value in (("window_days", window_days), ("step_days", step_days)):
        if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < 1:
            raise ValueError(f"{name} must be a positive int, got {value!r}")
    if step_days > window_days:
        raise ValueError(
            f"step_days ({step_days}) > window_days ({window_days}) leaves gaps between windows"
        )


def _check_input_frame(df: pd.DataFrame) -> None:
    missing = [c for c in ("id", "embedding") if c not in df]
    if missing:
        raise ValueError(f"input is missing column(s) {missing}; see storycluster.distributed")
    if not df["id"].is_unique:
        raise ValueError("article ids must be unique")


def _embedding_matrix(column: Iterable[Any]) -> np.ndarray:
    """The vectors of an ``embedding`` column as one matrix, validated at the input edge
    (:func:`storycluster._features.vectors.check_embeddings`: ragged, complex, NaN and zero
    rows are refused with a message saying which); a float32 column stays float32."""
    from .._features.vectors import check_embeddings

    rows = [np.asarray(v) for v in column]
    if not rows:
        return np.zeros((0, 0), dtype=np.float32)
    if len({row.shape for row in rows}) > 1:
        check_embeddings([row.tolist() for row in rows], len(rows), source="the embedding column")
    matrix = np.stack(rows)
    check_embeddings(matrix, len(rows), source="the embedding column")
    return matrix if matrix.dtype == np.float32 else matrix.astype(np.float64)


def _clean(value: Any) -> Any:
    if value is None or value is pd.NA:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if value is pd.NaT:
        return None
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    if isinstance(value, np.datetime64):
        return pd.Timestamp(value).to_pydatetime() if not np.isnat(value) else None
    return value


def _records(pdf: pd.DataFrame) -> list[dict[str, Any]]:
    fields = [f for f in _ARTICLE_FIELDS if f in pdf]
    out = []
    for row in pdf[fields].itertuples(index=False, name=None):
        record = {f: _clean(v) for f, v in zip(fields, row, strict=True)}
        record["id"] = normalize_id(record["id"])
        if record.get("language") == UNKNOWN_LANGUAGE:
            record["language"] = None
        out.append(record)
    return out


def _empty_assignments() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=object) for c in ASSIGNMENT_COLUMNS})


def frame_from_articles(articles: Any, embeddings: np.ndarray) -> pd.DataFrame:
    """The input DataFrame for these functions (and the engines) from articles and vectors.

    ``published_at`` is kept as an ISO 8601 string with its offset, so no engine converts it
    to its session time zone.
    """
    from .._features.vectors import check_embeddings
    from ..io import as_articles

    items = as_articles(articles)
    # Validated at the edge as fit validates them (shape, ragged, complex, NaN, zero rows);
    # stored as unit float32 rows, so entries beyond float32's range survive the cast.
    matrix = check_embeddings(embeddings, len(items))
    return pd.DataFrame(
        {
            "id": [a.id for a in items],
            "title": [a.title for a in items],
            "text": [a.text for a in items],
            "published_at": [
                a.published_at.isoformat() if a.published_at is not None else None for a in items
            ],
            "language": [a.language for a in items],
            "source": [a.source for a in items],
            "url": [a.url for a in items],
            "embedding": list(matrix),
        }
    )


__getattr__ = renamed(__name__, {"story_clusters": "event_objects"})
