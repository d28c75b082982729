"""The stream's state and what one batch does to it.

:class:`LiveState` holds what scoring needs for live events, and nothing else: each live
event's capped scoring members (its first member and its ``max_members`` latest ones), their
:class:`~._rows.Row`, the background reservoir's rows, the candidate index, the running
document frequencies and term names, the clock and the random state. Everything else is in the
store.

:func:`plan_batch` computes a batch without touching the state: it returns the store
:class:`~._store.Commit` and a function that applies the batch to the state once the commit has
succeeded (appends and assignments only), so a batch that fails leaves the state as it was.

One batch, on the shared pipeline:

1. Features as the batch clusterer's (same cleaning, texts, TF-IDF analyser and rules), with
   term weights from running document frequencies and each article's background measured
   against the reservoir and its own batch, then frozen.
2. Candidates: per article, the live events open at its time that share its index terms, and
   the ``dense_candidates`` ones nearest to it by dense centroid (short texts of one event often
   share no term: on the first 3,000 googlenews headlines the term index alone leaves the replay
   at 0.705 B-cubed F1, with 3 nearest events 0.720); an undated article, or one older than the
   newest closed event's horizon, also looks up closed events in the store.
3. Assignment and merging in one step: average linkage (the batch clusterer's criterion and
   threshold) over the batch's articles and the candidate events, each event a fixed group of
   its scoring members. Groups merge while their mean pair score is at least the threshold, as
   in the batch clusterer, whatever their time apart (the window decides which events are
   candidates, not which candidates may join: undated articles bridge reports of one event
   months apart as they do in a batch run); two events merge only once one of them has
   received an article of the batch.
4. Per changed event: representative, keywords and near-copies by the batch clusterer's rules.

The warm-up: while the stream has seen fewer than ``reservoir_size`` articles, the backgrounds
of its first articles, measured against the few seen before them, age fast. Each batch of the
warm-up then measures the rows of its candidate events again (written back to the store),
takes every live event open at one of its articles' times as a candidate, and lets two events
merge with each other by the same criterion even without an article of the batch. Replaying
ECB+ in batches of 50 it lifts B-cubed F1 from 0.911 to 0.924 (batch 0.932); it costs a
linkage over the batch and all live scoring rows, at most ``reservoir_size`` of them, per
batch of the warm-up, and nothing after it.
"""

from __future__ import annotations

import heapq
import json
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

import numpy as np
from scipy import sparse

from .._grouping import ids
from .._scoring.similarity import (
    ScoringRows,
    SimilarityWeights,
    combine_scores,
    length_share,
    scoring_for_corpus,
    shrunk_background,
)
from ..models import Article
from ._index import TermIndex
from ._rows import LEXICAL_MIN_DF, N_FEATURES, Row, csr, idf, pack, weighted
from ._store import Commit, EventStore

__all__ = ["Incoming", "LiveEvent", "LiveState", "Outcome", "plan_batch"]

_SECONDS_PER_DAY = 86_400.0


def nanmin(a: float, b: float) -> float:
    return b if math.isnan(a) else a if math.isnan(b) else min(a, b)


def nanmax(a: float, b: float) -> float:
    return b if math.isnan(a) else a if math.isnan(b) else max(a, b)


def _none(value: float) -> float | None:
    return None if math.isnan(value) else float(value)


def _nan(value: float | None) -> float:
    return math.nan if value is None else float(value)


def iso(day: float) -> str | None:
    """ISO 8601 UTC of a day number, or None."""
    if math.isnan(day):
        return None
    return datetime.fromtimestamp(day * _SECONDS_PER_DAY, tz=UTC).isoformat()


@dataclass
class LiveEvent:
    """An event in memory: its span, size, scoring members and summary."""

    id: str
    seq: int
    size: int
    first: float  # earliest dated member, days; NaN when none is dated
    last: float
    touched: float  # the clock when it last received an article; NaN before any date
    rows: list[int]  # capped scoring members, ascending arrival
    sources: list[str]
    created_batch: int
    updated_batch: int
    label: str = ""
    representative: str | None = None
    keywords: list[str] = field(default_factory=list)

    def close_day(self, window: float) -> float:
        """The clock beyond which the event is closed (NaN: never, no date seen yet)."""
        return nanmax(self.last, self.touched) + window

    def copy(self) -> LiveEvent:
        return replace(
            self, rows=list(self.rows), sources=list(self.sources), keywords=list(self.keywords)
        )

    def record(self, window: float, is_open: bool) -> dict[str, Any]:
        return {
            "id": self.id,
            "seq": self.seq,
            "label": self.label,
            "size": self.size,
            "first_seen": iso(self.first),
            "last_seen": iso(self.last),
            "sources": json.dumps(self.sources, ensure_ascii=False),
            "keywords": json.dumps(self.keywords, ensure_ascii=False),
            "representative": self.representative,
            "is_open": int(is_open),
            "absorbed_into": None,
            "created_batch": self.created_batch,
            "updated_batch": self.updated_batch,
            "first_day": _none(self.first),
            "last_day": _none(self.last),
            "touched_day": _none(self.touched),
            "close_day": _none(self.close_day(window)),
            "texts_dropped": 0,
            "scoring": json.dumps(self.rows),
        }

    @classmethod
    def from_record(cls, rec: dict[str, Any]) -> LiveEvent:
        return cls(
            id=rec["id"],
            seq=int(rec["seq"]),
            size=int(rec["size"]),
            first=_nan(rec["first_day"]),
            last=_nan(rec["last_day"]),
            touched=_nan(rec["touched_day"]),
            rows=[int(r) for r in json.loads(rec["scoring"])],
            sources=list(json.loads(rec["sources"])),
            created_batch=int(rec["created_batch"]),
            updated_batch=int(rec["updated_batch"]),
            label=rec["label"],
            representative=rec["representative"],
            keywords=list(json.loads(rec["keywords"])),
        )


@dataclass
class Params:
    """The parameters a batch needs (a view of the stream's)."""

    weights: SimilarityWeights
    short_weights: SimilarityWeights
    threshold: float
    short_threshold: float
    window: float
    reservoir_size: int
    max_members: int
    n_candidates: int
    postings_cap: int
    dense_candidates: int
    terms_per_article: int
    n_keywords: int
    dedup_threshold: float | None
    retention_days: float | None


@dataclass
class LiveState:
    """What scoring needs for live events (see the module docstring)."""

    events: dict[str, LiveEvent] = field(default_factory=dict)
    rows: dict[int, Row] = field(default_factory=dict)
    index: TermIndex = field(default_factory=TermIndex)
    df: np.ndarray = field(default_factory=lambda: np.zeros((2, N_FEATURES), dtype=np.int64))
    names: dict[int, str] = field(default_factory=dict)
    reservoir: list[int] = field(default_factory=list)
    rng_state: dict[str, Any] = field(default_factory=dict)
    seq: int = 0
    clock: float = math.nan
    horizon: float = -math.inf  # latest last day of a closed event
    n_rows: int = 0
    batch: int = 0
    threshold_: float | None = None
    weights_: SimilarityWeights | None = None
    closing: list[tuple[float, str]] = field(default_factory=list)  # heap of close days

    def meta(self) -> dict[str, Any]:
        return {
            "rng_state": self.rng_state,
            "seq": self.seq,
            "clock": _none(self.clock),
            "horizon": None if self.horizon == -math.inf else self.horizon,
            "n_rows": self.n_rows,
            "batch": self.batch,
            "reservoir": self.reservoir,
            "threshold_": self.threshold_,
            "weights_": None if self.weights_ is None else self.weights_.__dict__,
        }


@dataclass
class Incoming:
    """A batch prepared outside the lock: validated, cleaned, embedded and hashed."""

    articles: list[Article]
    dense: np.ndarray
    lex: list[tuple[np.ndarray, np.ndarray]]
    ent: list[tuple[np.ndarray, np.ndarray]]
    days: np.ndarray
    words: np.ndarray
    weekdays: np.ndarray
    published: list[float]
    norm_keys: list[bytes]
    sigs: list[np.ndarray | None]
    names: dict[int, str]
    labels: list[str]
    records: list[tuple[Any, ...]]  # (title, text, url, source, published_at, language, metadata)


@dataclass
class Outcome:
    """What a planned batch did, for :class:`StreamUpdate`."""

    events: list[str]  # final event of each article, input order
    created: list[bool]
    scores: list[float | None]
    merges: list[tuple[str, str, float]]
    changed: list[str]
    opened: int
    joined: int
    closed: dict[str, list[Row]] = field(default_factory=dict)
    """Closed events loaded from the store as candidates of the batch's articles (undated or
    older than the newest closed event), with their scoring rows: story candidates too."""


# -- scoring over rows -------------------------------------------------------------------------


@dataclass
class Bundle:
    dense: np.ndarray
    lexical: sparse.csr_matrix
    entities: sparse.csr_matrix
    mean: np.ndarray
    sd: np.ndarray
    days: np.ndarray
    weekdays: np.ndarray

    def take(self, index: np.ndarray) -> Bundle:
        """The rows ``index`` only, in that order."""
        return Bundle(
            dense=self.dense[index],
            lexical=self.lexical[index],
            entities=self.entities[index],
            mean=self.mean[:, index],
            sd=self.sd[:, index],
            days=self.days[index],
            weekdays=self.weekdays[index],
        )


def bundle(rows: Sequence[Row], idf_lex: np.ndarray, idf_ent: np.ndarray, dim: int) -> Bundle:
    dense = np.vstack([r.dense for r in rows]) if rows else np.zeros((0, dim), np.float32)
    return Bundle(
        dense=dense.astype(np.float32, copy=False),
        lexical=weighted(csr([r.lex for r in rows]), idf_lex),
        entities=weighted(csr([r.ent for r in rows]), idf_ent),
        mean=np.array([r.mean for r in rows]).T.reshape(3, len(rows)),
        sd=np.array([r.sd for r in rows]).T.reshape(3, len(rows)),
        days=np.array([r.day for r in rows], dtype=np.float64),
        weekdays=np.array([r.weekdays for r in rows], dtype=np.int64),
    )


def _cosines(a: Bundle, b: Bundle) -> list[np.ndarray]:
    out = [a.dense @ b.dense.T]
    for x, y in ((a.lexical, b.lexical), (a.entities, b.entities)):
        out.append(np.asarray((x @ y.T).toarray()))
    return [np.asarray(block, dtype=np.float32) for block in out]


def _scoring_rows(b: Bundle, axis: int) -> ScoringRows:
    evidence = np.vstack(
        [
            np.ones(b.dense.shape[0], dtype=bool),
            np.diff(b.lexical.indptr) > 0,
            np.diff(b.entities.indptr) > 0,
        ]
    )
    return ScoringRows(
        mean=np.expand_dims(b.mean, axis + 1),
        sd=np.expand_dims(b.sd, axis + 1),
        evidence=np.expand_dims(evidence, axis + 1),
        days=np.expand_dims(b.days, axis),
        weekdays=np.expand_dims(b.weekdays, axis),
    )


#: Pairs scored per block in :func:`scores` (bounds the float64 intermediates).
_BLOCK_PAIRS = 1_000_000


def _rows_of(b: Bundle, lo: int, hi: int) -> Bundle:
    return Bundle(
        dense=b.dense[lo:hi],
        lexical=b.lexical[lo:hi],
        entities=b.entities[lo:hi],
        mean=b.mean[:, lo:hi],
        sd=b.sd[:, lo:hi],
        days=b.days[lo:hi],
        weekdays=b.weekdays[lo:hi],
    )


def scores(a: Bundle, b: Bundle, weights: SimilarityWeights) -> np.ndarray:
    """The shared event similarity (:func:`combine_scores`) of every pair of rows, float32,
    computed in row blocks."""
    n_a, n_b = a.dense.shape[0], b.dense.shape[0]
    step = max(1, _BLOCK_PAIRS // max(n_b, 1))
    if n_a <= step:
        return combine_scores(_cosines(a, b), _scoring_rows(a, 1), _scoring_rows(b, 0), weights)
    out = np.empty((n_a, n_b), dtype=np.float32)
    rows_b = _scoring_rows(b, 0)
    for lo in range(0, n_a, step):
        part = _rows_of(a, lo, min(lo + step, n_a))
        out[lo : lo + step] = combine_scores(
            _cosines(part, b), _scoring_rows(part, 1), rows_b, weights
        )
    return out


# -- one batch ---------------------------------------------------------------------------------


class _Rows:
    """Rows of the state, of closed candidates loaded for this batch, and of the batch."""

    def __init__(self, state: LiveState, extra: dict[int, Row]) -> None:
        self.state = state
        self.extra = extra

    def __getitem__(self, arrival: int) -> Row:
        row = self.extra.get(arrival)
        return row if row is not None else self.state.rows[arrival]


def lexical_idf(df: np.ndarray, n_docs: int, words: np.ndarray, reservoir_size: int) -> np.ndarray:
    """The stream's word weights: :func:`idf` with the batch features' rule that a word found in
    one document only weighs nothing, except while a stream of short texts warms up.

    In a batch, a word in one document of the whole corpus is noise. In a stream, a word seen
    once *so far* may be the name every later report of its event carries: while the stream
    has seen fewer than ``reservoir_size`` articles, most words of a six-word headline have
    been seen once, and dropping them leaves each headline one or two common words, so
    headlines of different stories look alike and the first events over-merge (the first
    3,000 googlenews headlines in batches of 50: B-cubed F1 0.722 dropping them, 0.742 keeping
    them; batch 0.733). Long articles share enough words from the first batch, and there the
    rule helps from the start (gvc 0.973 with it, 0.961 without), so it is kept for them.
    ``words`` are the word counts of the sample the scoring is set for (:func:`length_share`
    under 0.5: short).
    """
    warming_short = n_docs < reservoir_size and length_share(words) < 0.5
    return idf(df, n_docs, min_df=1 if warming_short else LEXICAL_MIN_DF)


def live_idf(state: LiveState, reservoir_size: int) -> tuple[np.ndarray, np.ndarray]:
    """The word and name weights of the live state, as its last batch set them (the word counts
    of the background reservoir stand for the sample; they are read only while warming up)."""
    n_docs = max(state.n_rows, 1)
    words = (
        np.array([state.rows[r].words for r in state.reservoir if r in state.rows], np.int64)
        if n_docs < reservoir_size
        else np.zeros(0, np.int64)  # past the warm-up the sample does not matter
    )
    return lexical_idf(state.df[0], n_docs, words, reservoir_size), idf(state.df[1], n_docs)


def plan_batch(
    state: LiveState,
    store: EventStore,
    incoming: Incoming,
    params: Params,
    *,
    forced: Sequence[tuple[str, Sequence[int]]] | None = None,
) -> tuple[Commit, Callable[[], None], Outcome]:
    """Compute one batch (see the module docstring); nothing in ``state`` changes."""
    started = time.perf_counter()
    n_new = len(incoming.articles)
    start = state.n_rows
    arrivals = list(range(start, start + n_new))
    dim = incoming.dense.shape[1]
    batch_no = state.batch + 1

    # Scoring for the corpus: the reservoir of past articles and this batch.
    res_rows = [state.rows[r] for r in state.reservoir]
    words = np.concatenate([np.array([r.words for r in res_rows], np.int64), incoming.words])
    weights, threshold = scoring_for_corpus(
        params.weights,
        params.threshold,
        params.short_weights,
        params.short_threshold,
        words=words,
        days=np.concatenate([np.array([r.day for r in res_rows]), incoming.days]),
    )
    df_inc = np.zeros((2, N_FEATURES), dtype=np.int64)
    for indices, _ in incoming.lex:
        df_inc[0, indices] += 1
    for indices, _ in incoming.ent:
        df_inc[1, indices] += 1
    df = state.df + df_inc
    n_docs = start + n_new
    idf_lex = lexical_idf(df[0], n_docs, words, params.reservoir_size)
    idf_ent = idf(df[1], n_docs)

    rng = np.random.Generator(np.random.PCG64())
    rng.bit_generator.state = state.rng_state
    new_rows = [
        Row(
            row=arrivals[j],
            article_id=incoming.articles[j].id,
            # Copies: a view would keep the whole batch's array alive as long as the row.
            dense=incoming.dense[j].copy(),
            lex=incoming.lex[j],
            ent=incoming.ent[j],
            mean=np.zeros(3),
            sd=np.ones(3),
            day=float(incoming.days[j]),
            words=int(incoming.words[j]),
            weekdays=int(incoming.weekdays[j]),
            published=incoming.published[j],
            original=True,
            norm_key=incoming.norm_keys[j],
            sig=incoming.sigs[j],
            terms=(),
            label=incoming.labels[j],
        )
        for j in range(n_new)
    ]
    reference = _reference(new_rows, res_rows, params.reservoir_size, rng)
    mean, sd = _measure(new_rows, reference, idf_lex, idf_ent, dim)
    for j, row in enumerate(new_rows):
        row.mean, row.sd = mean[:, j].copy(), sd[:, j].copy()
    new_bundle = bundle(new_rows, idf_lex, idf_ent, dim)
    for j, row in enumerate(new_rows):
        row.terms = _top_terms(new_bundle, j, params.terms_per_article)
    new_by_arrival = {row.row: row for row in new_rows}

    def fresh(wanted: Sequence[int]) -> list[Row]:  # rows of the batch or of the state
        return [new_by_arrival.get(a) or rows[a] for a in wanted]

    dated = incoming.days[~np.isnan(incoming.days)]
    clock = nanmax(state.clock, float(dated.max())) if dated.size else state.clock

    # Candidates: live events from the index, closed ones from the store.
    extra_rows: dict[int, Row] = {}
    closed: dict[str, LiveEvent] = {}
    closed_terms: dict[str, dict[int, int]] = {}
    rows = _Rows(state, extra_rows)

    def event(event_id: str) -> LiveEvent:
        found = state.events.get(event_id)
        return found if found is not None else closed[event_id]

    def eligible(ev: LiveEvent, t: float) -> bool:
        if math.isnan(t) or math.isnan(ev.first):
            return True
        return ev.last >= t - params.window and ev.first <= t + params.window

    groups_of_old: list[str] = []
    # The warm-up: while the reservoir fills, backgrounds measured against the few articles
    # seen so far age fast. Each batch then measures the candidates' rows again, every live
    # event is a candidate, and events merge with each other by the same criterion.
    warm = forced is None and start < params.reservoir_size
    remeasured: list[Row] = []
    if forced is None:
        union: dict[str, None] = {}
        want_closed: dict[str, None] = {}
        nearest = _nearest_events(state, new_rows, params.dense_candidates, eligible)
        for j, row in enumerate(new_rows):
            t = row.day

            def eligible_at(e: str, t: float = t) -> bool:
                return eligible(state.events[e], t)

            found = state.index.lookup(
                row.terms,
                params.postings_cap,
                eligible_at,
                lambda e: state.events[e].seq,
                params.n_candidates,
            )
            union.update(dict.fromkeys(found))
            if nearest is not None:
                union.update(dict.fromkeys(nearest(j, t)))
            if math.isnan(t) or t - params.window <= state.horizon:
                lo = None if math.isnan(t) else t - params.window
                hi = None if math.isnan(t) else t + params.window
                for e in store.closed_candidates(row.terms, lo, hi, params.n_candidates):
                    if e not in state.events:
                        want_closed[e] = None
        if want_closed:
            for rec in store.events_by_id(list(want_closed)):
                closed[rec["id"]] = LiveEvent.from_record(rec)
            for term, event_id, arrival in store.event_terms(list(closed)):
                closed_terms.setdefault(event_id, {})[int(term)] = int(arrival)
            needed = {r for ev in closed.values() for r in ev.rows if r not in state.rows}
            for row in _load_rows(store, needed):
                extra_rows[row.row] = row
            union.update(dict.fromkeys(want_closed))
        if warm:  # every live event open at the time of an article is a candidate
            for e in sorted(state.events, key=lambda e: state.events[e].seq):
                if any(eligible(state.events[e], row.day) for row in new_rows):
                    union.setdefault(e, None)
        groups_of_old = list(union)
        if warm:
            stale = sorted({a for e in groups_of_old for a in event(e).rows})
            if stale:
                aged = [rows[a] for a in stale]
                mean_old, sd_old = _measure(aged, reference, idf_lex, idf_ent, dim)
                for k, old in enumerate(aged):
                    again = replace(old, mean=mean_old[:, k].copy(), sd=sd_old[:, k].copy())
                    extra_rows[old.row] = again
                    remeasured.append(again)

    # Assignment and merging: average linkage over the batch and the candidate events.
    merges: list[tuple[str, str, float]] = []
    final_groups: list[tuple[list[str], list[int]]] = []  # (old events, batch positions)
    item_scores: np.ndarray | None = None
    item_index: dict[int, int] = {}
    if forced is not None:
        for _, positions in forced:
            final_groups.append(([], sorted(positions)))
    else:
        member_lists = [event(e).rows for e in groups_of_old]
        flat = [r for ms in member_lists for r in ms]
        keep: list[int] = []
        if flat:
            old_bundle = bundle(fresh(flat), idf_lex, idf_ent, dim)
            cross = scores(new_bundle, old_bundle, weights).astype(np.float64)
            sizes_c = np.array([len(m) for m in member_lists])
            labels = np.repeat(np.arange(len(groups_of_old)), sizes_c)
            indicator = sparse.csr_matrix(
                (np.ones(len(flat)), (labels, np.arange(len(flat)))),
                shape=(len(groups_of_old), len(flat)),
            )
            means = np.asarray(indicator @ cross.T).T / sizes_c
            # An event no article of the batch reaches on its own cannot be reached by a group
            # of them either (a group's mean is the mean of its members' means).
            keep = np.flatnonzero((means >= threshold).any(axis=0)).tolist()
            if warm:
                keep = list(range(len(groups_of_old)))
        cands = [groups_of_old[k] for k in keep]
        cand_members = [event(e).rows for e in cands]
        items = arrivals + [r for ms in cand_members for r in ms]
        item_index = {a: i for i, a in enumerate(items)}
        all_bundle = bundle(new_rows + fresh(items[n_new:]), idf_lex, idf_ent, dim)
        item_scores = scores(all_bundle, all_bundle, weights)
        old_of_group: list[list[str]] = [[] for _ in range(n_new)] + [[e] for e in cands]
        group_sizes = [1] * n_new + [len(m) for m in cand_members]
        linked = _linkage(
            item_scores,
            group_sizes,
            n_new,
            threshold,
            old_of_group,
            lambda e: _age_key(event(e)),
            old_with_old=warm,
        )
        for olds, positions, steps in linked:
            merges.extend(steps)
            final_groups.append((olds, positions))

    # Outcomes per group: survivor or new event, members, summaries.
    events_out = [""] * n_new
    created = [False] * n_new
    score_out: list[float | None] = [None] * n_new
    changed: dict[str, LiveEvent] = {}
    absorbed: dict[str, str] = {}
    new_ids: list[str] = []
    proposed: list[tuple[int, str]] = []
    for k, (olds, positions) in enumerate(final_groups):
        if olds or not positions:
            continue
        if forced is not None:
            proposed.append((k, forced[k][0]))
        else:
            proposed.append((k, ids.event_id(new_rows[positions[0]].article_id)))
    taken = store.existing_events([p for _, p in proposed]) if proposed else set()
    seq = state.seq
    group_event: dict[int, LiveEvent] = {}
    for k, event_id in proposed:
        if event_id in taken or event_id in new_ids:
            event_id = ids.event_id(f"{new_rows[final_groups[k][1][0]].article_id}#{seq}")
        new_ids.append(event_id)
        first_pos = final_groups[k][1][0]
        group_event[k] = LiveEvent(
            id=event_id,
            seq=seq,
            size=0,
            first=math.nan,
            last=math.nan,
            touched=math.nan,
            rows=[],
            sources=[],
            created_batch=batch_no,
            updated_batch=batch_no,
        )
        seq += 1
        created[first_pos] = True
    dedup_th = params.dedup_threshold
    duplicate_of: list[str | None] = [None] * n_new
    for k, (olds, positions) in enumerate(final_groups):
        if olds:
            ordered = sorted(olds, key=lambda e: _age_key(event(e)))
            ev = event(ordered[0]).copy()
            for other_id in ordered[1:]:
                other = event(other_id)
                absorbed[other_id] = ev.id
                ev.size += other.size
                ev.first = nanmin(ev.first, other.first)
                ev.last = nanmax(ev.last, other.last)
                ev.touched = nanmax(ev.touched, other.touched)
                ev.rows = sorted(set(ev.rows) | set(other.rows))
                ev.sources = sorted(set(ev.sources) | set(other.sources))
            group_event[k] = ev
        ev = group_event[k]
        if not positions and len(olds) < 2:
            continue
        pool = [rows[r] for r in ev.rows if rows[r].original] if dedup_th is not None else []
        for j in positions:
            row = new_rows[j]
            if dedup_th is not None:
                original = _duplicate_of(row, pool, dedup_th)
                if original is None:
                    pool.append(row)
                else:
                    duplicate_of[j] = original
                    row.original = False
                    row.duplicate_of = original
            ev.size += 1
            ev.first = nanmin(ev.first, row.day)
            ev.last = nanmax(ev.last, row.day)
            source = incoming.articles[j].source
            if source and source not in ev.sources:
                ev.sources = sorted({*ev.sources, source})
            ev.rows.append(row.row)
            events_out[j] = ev.id
        if positions:
            ev.touched = nanmax(ev.touched, clock)
        ev.rows = _capped(sorted(set(ev.rows)), params.max_members)
        ev.updated_batch = batch_no
        changed[ev.id] = ev
    # Final survivors for the merges (a chain of merges in one group ends at its survivor).
    merge_out = [(a, _final(s, absorbed), sc) for a, s, sc in merges]

    if item_scores is not None:
        for k, (_, positions) in enumerate(final_groups):
            ev = group_event[k]
            members = [item_index[a] for a in ev.rows if a in item_index]
            members += [item_index[arrivals[j]] for j in positions if arrivals[j] not in ev.rows]
            member_set = sorted(set(members))
            for j in positions:
                others = [i for i in member_set if i != j]
                if others:
                    score_out[j] = round(float(item_scores[j, others].astype(np.float64).mean()), 6)

    # Summaries of changed events (representative, keywords, label).
    res_bundle_mean = _reservoir_mean(res_rows + new_rows, idf_lex)
    names = dict(state.names)
    for column, name in incoming.names.items():
        names.setdefault(column, name)
    dup_map = {new_rows[j].article_id: duplicate_of[j] for j in range(n_new)}
    missing_dups: dict[str, None] = {}
    for ev in changed.values():
        member_rows = fresh(ev.rows)
        block = None
        if item_scores is not None and all(r in item_index for r in ev.rows):
            at = np.array([item_index[r] for r in ev.rows])
            block = item_scores[np.ix_(at, at)]
        rep = _representative(member_rows, idf_lex, idf_ent, dim, weights, block)
        rep_id = member_rows[rep].article_id
        original = dup_map.get(rep_id) if rep_id in dup_map else rep_row_dup(member_rows[rep])
        ev.representative = original or rep_id
        if original is None:
            ev.label = member_rows[rep].label
        else:
            originals = [r for r in member_rows if r.article_id == original]
            if originals:
                ev.label = originals[0].label
            else:
                missing_dups[ev.id] = None
                ev.label = member_rows[rep].label
        ev.keywords = _keywords(member_rows, idf_lex, res_bundle_mean, names, params.n_keywords)
    if missing_dups:
        stored_labels = store.labels([changed[e].representative or "" for e in missing_dups])
        for event_id in missing_dups:
            ev = changed[event_id]
            ev.label = stored_labels.get(ev.representative or "", ev.label)

    # Reservoir (algorithm R over arrivals) and closing.
    reservoir = list(state.reservoir)
    for j in range(n_new):
        index = arrivals[j]
        if len(reservoir) < params.reservoir_size:
            reservoir.append(index)
        else:
            slot = int(rng.integers(0, index + 1))
            if slot < params.reservoir_size:
                reservoir[slot] = index
    rng_state = rng.bit_generator.state

    def is_open(ev: LiveEvent) -> bool:
        close = ev.close_day(params.window)
        return math.isnan(close) or math.isnan(clock) or close >= clock

    closing = list(state.closing)
    for ev in changed.values():
        if is_open(ev) and not math.isnan(ev.close_day(params.window)):
            heapq.heappush(closing, (ev.close_day(params.window), ev.id))
    horizon = state.horizon
    # Changed events that are closed all the same (a closed event that took an article
    # without a date while the clock is unknown cannot happen; one that took a late one can).
    to_close: list[str] = [e for e, ev in changed.items() if not is_open(ev)]
    while closing and not math.isnan(clock) and closing[0][0] < clock:
        _, event_id = heapq.heappop(closing)
        due = changed.get(event_id) or state.events.get(event_id)
        if due is None or event_id in absorbed or is_open(due) or event_id in to_close:
            continue
        to_close.append(event_id)
    for event_id in to_close:
        ev = changed.get(event_id) or state.events[event_id]
        if not math.isnan(ev.last):
            horizon = max(horizon, ev.last)

    # The commit.
    commit = Commit()
    for j, article in enumerate(incoming.articles):
        title, text, url, source, published_at, language, metadata = incoming.records[j]
        commit.articles.append(
            (
                arrivals[j],
                article.id,
                _final(events_out[j], absorbed),
                title,
                text,
                url,
                source,
                published_at,
                language,
                metadata,
                batch_no,
                duplicate_of[j],
                score_out[j],
                new_rows[j].label,
            )
        )
        commit.rows.append((arrivals[j], pack(new_rows[j])))
        for term in new_rows[j].terms:
            commit.event_terms.append((term, _final(events_out[j], absorbed), arrivals[j]))
    commit.updated_rows = [(row.row, pack(row)) for row in remeasured]
    for absorbed_id, survivor, score in merge_out:
        commit.merges.append((absorbed_id, survivor, score, batch_no))
    closed_now = set(to_close)
    for ev in changed.values():
        commit.events.append(ev.record(params.window, ev.id not in closed_now and is_open(ev)))
    for event_id in to_close:
        if event_id not in changed:
            ev = state.events[event_id]
            commit.events.append(ev.record(params.window, False))
    for kind in (0, 1):
        nz = np.flatnonzero(df_inc[kind])
        commit.df.extend((kind, int(t), int(df_inc[kind, t])) for t in nz)
    commit.names = [(c, n) for c, n in incoming.names.items() if c not in state.names]
    if params.retention_days is not None and not math.isnan(clock):
        commit.drop_texts_before = clock - params.retention_days
    new_state_meta = {
        "rng_state": rng_state,
        "seq": seq,
        "clock": _none(clock),
        "horizon": None if horizon == -math.inf else horizon,
        "n_rows": start + n_new,
        "batch": batch_no,
        "reservoir": reservoir,
        "threshold_": threshold,
        "weights_": weights.__dict__,
    }
    commit.meta = new_state_meta
    opened = sum(created)
    joined = n_new - opened
    elapsed = 1e3 * (time.perf_counter() - started)
    commit.batch = (
        batch_no,
        datetime.now(UTC).isoformat(),
        n_new,
        opened,
        joined,
        len(merge_out),
        round(elapsed, 3),
    )

    def apply() -> None:
        state.df += df_inc
        for column, name in incoming.names.items():
            state.names.setdefault(column, name)
        for row in new_rows:
            state.rows[row.row] = row
        state.rows.update(extra_rows)
        # Closed events that took part come back into the index with their stored terms,
        # then merges move entries to survivors, then the batch's articles are indexed.
        for event_id, entries in closed_terms.items():
            if event_id in absorbed or event_id in changed:
                for term, arrival in entries.items():
                    state.index.add(event_id, (term,), arrival)
        for absorbed_id in absorbed:
            state.index.merge(absorbed_id, _final(absorbed_id, absorbed))
            state.events.pop(absorbed_id, None)
        for ev in changed.values():
            state.events[ev.id] = ev
        for j, row in enumerate(new_rows):
            state.index.add(_final(events_out[j], absorbed), row.terms, row.row)
        for event_id in to_close:
            state.index.remove(event_id)
            state.events.pop(event_id, None)
        state.reservoir = reservoir
        state.rng_state = rng_state
        state.seq = seq
        state.clock = clock
        state.horizon = horizon
        state.n_rows = start + n_new
        state.batch = batch_no
        state.threshold_ = threshold
        state.weights_ = weights
        state.closing = closing
        _release(state)

    outcome = Outcome(
        events=[_final(e, absorbed) for e in events_out],
        created=created,
        scores=score_out,
        merges=merge_out,
        changed=list(changed),
        opened=opened,
        joined=joined,
        closed={e: [rows[a] for a in ev.rows] for e, ev in closed.items()},
    )
    return commit, apply, outcome


def rep_row_dup(row: Row) -> str | None:
    return row.duplicate_of


def _final(event_id: str, absorbed: dict[str, str]) -> str:
    seen = set()
    while event_id in absorbed and event_id not in seen:
        seen.add(event_id)
        event_id = absorbed[event_id]
    return event_id


def _release(state: LiveState) -> None:
    """Drop rows nothing needs any more (neither a live event's scoring member nor the
    reservoir)."""
    keep = set(state.reservoir)
    for ev in state.events.values():
        keep.update(ev.rows)
    if len(keep) != len(state.rows):
        for arrival in [a for a in state.rows if a not in keep]:
            del state.rows[arrival]


def _age_key(ev: LiveEvent) -> tuple[float, int]:
    """Merge survivor order: the earlier first article, then the event opened first."""
    return (math.inf if math.isnan(ev.first) else ev.first, ev.seq)


def _capped(members: list[int], max_members: int) -> list[int]:
    if len(members) <= max_members + 1:
        return members
    return [members[0], *members[-max_members:]]


def _linkage(
    item_scores: np.ndarray,
    group_sizes: list[int],
    n_new: int,
    threshold: float,
    old_of_group: list[list[str]],
    age: Callable[[str], tuple[float, int]],
    *,
    old_with_old: bool = False,
) -> list[tuple[list[str], list[int], list[tuple[str, str, float]]]]:
    """Average linkage over groups of items (the first ``n_new`` are the batch's articles,
    one per group; the others the candidate events' members, one group each), cut at
    ``threshold``, as the batch clusterer's; two groups made only of old events merge only
    with ``old_with_old``.
    Returns per final group its old events, its batch positions and the merges of old events
    it made, as ``(absorbed, survivor, mean score)``."""
    n_groups = len(group_sizes)
    labels = np.repeat(np.arange(n_groups), group_sizes)
    indicator = sparse.csr_matrix(
        (np.ones(labels.size), (labels, np.arange(labels.size))), shape=(n_groups, labels.size)
    )
    left = np.asarray(indicator @ item_scores)
    sums = np.asarray(indicator @ left.T).T
    sizes = np.array(group_sizes, dtype=np.float64)
    has_new = np.arange(n_groups) < n_new
    active = np.ones(n_groups, dtype=bool)
    members: dict[int, list[int]] = {g: [g] for g in range(n_groups)}
    steps: dict[int, list[tuple[str, str, float]]] = {g: [] for g in range(n_groups)}
    olds = {g: list(old_of_group[g]) for g in range(n_groups)}
    while n_groups > 1:
        means = sums / np.outer(sizes, sizes)
        np.fill_diagonal(means, -np.inf)
        means[~active, :] = -np.inf
        means[:, ~active] = -np.inf
        if not old_with_old:
            means[np.ix_(~has_new, ~has_new)] = -np.inf
        flat = int(np.argmax(means))
        a, b = divmod(flat, n_groups)
        best = float(means[a, b])
        if not best >= threshold:
            break
        a, b = min(a, b), max(a, b)
        if olds[a] and olds[b]:
            oa = min(olds[a], key=age)
            ob = min(olds[b], key=age)
            survivor, loser = (oa, ob) if age(oa) < age(ob) else (ob, oa)
            steps[a].append((loser, survivor, round(best, 6)))
        sums[a, :] += sums[b, :]
        sums[:, a] += sums[:, b]
        sizes[a] += sizes[b]
        active[b] = False
        has_new[a] = has_new[a] or has_new[b]
        members[a] += members.pop(b)
        steps[a] += steps.pop(b)
        olds[a] += olds.pop(b)
    out = []
    for g in sorted(members):
        positions = sorted(m for m in members[g] if m < n_new)
        out.append((olds[g], positions, steps[g]))
    return out


def members_in_memory(state: LiveState, event_id: str) -> list[Row]:
    """The scoring members of a live event whose rows are held in memory, in order."""
    return [state.rows[r] for r in state.events[event_id].rows if r in state.rows]


def dense_centroid(rows: Sequence[Row]) -> np.ndarray:
    """The mean dense vector of ``rows`` (not normalised)."""
    return np.mean([row.dense for row in rows], axis=0)


def _nearest_events(
    state: LiveState,
    new_rows: list[Row],
    k: int,
    eligible: Callable[[LiveEvent, float], bool],
) -> Callable[[int, float], list[str]] | None:
    """Per batch position and day, the ``k`` live events eligible at that day whose centroid
    (mean dense vector of their scoring members) is nearest to the article's (ties: the event
    opened first); None when ``k`` is 0 or nothing is live."""
    if k < 1 or not state.events:
        return None
    # In opening order, as a reopened stream holds them (ties go the same way after a crash).
    live = sorted(state.events, key=lambda e: state.events[e].seq)
    centres = np.vstack([dense_centroid(members_in_memory(state, e)) for e in live])
    centres /= np.maximum(np.linalg.norm(centres, axis=1, keepdims=True), 1e-12)
    sims = np.vstack([row.dense for row in new_rows]) @ centres.T

    def nearest(j: int, day: float) -> list[str]:
        out: list[str] = []
        for position in np.argsort(-sims[j], kind="stable").tolist():
            if eligible(state.events[live[position]], day):
                out.append(live[position])
                if len(out) == k:
                    break
        return out

    return nearest


def _reference(
    new_rows: list[Row], reservoir: list[Row], reservoir_size: int, rng: np.random.Generator
) -> list[Row]:
    """The rows backgrounds are measured against: the reservoir and (a sample of) the batch."""
    n_new = len(new_rows)
    if n_new > reservoir_size:
        picked = np.sort(rng.choice(n_new, size=reservoir_size, replace=False)).tolist()
    else:
        picked = list(range(n_new))
    return reservoir + [new_rows[p] for p in picked]


def _measure(
    targets: list[Row],
    reference: list[Row],
    idf_lex: np.ndarray,
    idf_ent: np.ndarray,
    dim: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Each target's background (mean and sd of each cosine) against ``reference`` (itself
    left out), shrunk towards the prior as the batch clusterer's :func:`estimate_background`."""
    n = len(targets)
    position = {row.row: p for p, row in enumerate(reference)}
    ref = bundle(reference, idf_lex, idf_ent, dim)
    sums = np.zeros((3, n))
    squares = np.zeros((3, n))
    counts = np.zeros(n)
    for lo in range(0, n, 512):
        hi = min(lo + 512, n)
        block = bundle(targets[lo:hi], idf_lex, idf_ent, dim)
        own = [(r, position.get(targets[lo + r].row)) for r in range(hi - lo)]
        for k, cos in enumerate(_cosines(block, ref)):
            cos = cos.astype(np.float64)
            for r, p in own:
                if p is not None:
                    cos[r, p] = 0.0
            sums[k, lo:hi] = cos.sum(axis=1)
            squares[k, lo:hi] = (cos * cos).sum(axis=1)
        counts[lo:hi] = [len(reference) - (p is not None) for _, p in own]
    background = shrunk_background(sums, squares, counts)
    return background.mean, background.sd


def _top_terms(b: Bundle, j: int, per_kind: int) -> tuple[int, ...]:
    terms: list[int] = []
    for offset, matrix in ((0, b.lexical), (N_FEATURES, b.entities)):
        lo, hi = matrix.indptr[j], matrix.indptr[j + 1]
        indices, data = matrix.indices[lo:hi], matrix.data[lo:hi]
        keep = data > 0
        indices, data = indices[keep], data[keep]
        order = np.lexsort((indices, -data))[:per_kind]
        terms.extend(int(offset + t) for t in indices[order])
    return tuple(terms)


def _duplicate_of(row: Row, pool: list[Row], threshold: float) -> str | None:
    """The earliest original in ``pool`` that ``row`` is a near-copy of (the batch clusterer's
    test: same normalised words, or MinHash Jaccard estimate at least ``threshold``)."""
    if row.norm_key == bytes(16):
        return None
    for other in pool:
        if other.norm_key == row.norm_key:
            return other.article_id
    if row.sig is None:
        return None
    best, best_sim = None, -1.0
    for other in pool:
        if other.sig is None or other.sig.size != row.sig.size:
            continue
        sim = float(np.mean(other.sig == row.sig))
        if sim > best_sim:
            best, best_sim = other, sim
    if best is not None and best_sim >= threshold:
        return best.article_id
    return None


def _representative(
    members: list[Row],
    idf_lex: np.ndarray,
    idf_ent: np.ndarray,
    dim: int,
    weights: SimilarityWeights,
    block: np.ndarray | None = None,
) -> int:
    """Position of the member with the highest mean score to the others (ties: earliest, then
    lowest id), as the batch clusterer picks it; among the scoring members. ``block``: their
    scores, when already computed."""
    if len(members) == 1:
        return 0
    if block is None:
        b = bundle(members, idf_lex, idf_ent, dim)
        block = scores(b, b, weights)
    block = np.array(block, dtype=np.float64)
    np.fill_diagonal(block, 0.0)
    centrality = block.sum(axis=1) / (len(members) - 1)
    rounded = [round(v, 9) for v in centrality.tolist()]
    highest = max(rounded)
    top = [p for p, v in enumerate(rounded) if v == highest]
    return min(top, key=lambda p: (members[p].published, members[p].article_id))


def _reservoir_mean(rows: list[Row], idf_lex: np.ndarray) -> np.ndarray:
    if not rows:
        return np.zeros(N_FEATURES)
    lexical = weighted(csr([r.lex for r in rows]), idf_lex)
    return np.asarray(lexical.mean(axis=0)).ravel()


def _keywords(
    members: list[Row],
    idf_lex: np.ndarray,
    corpus_mean: np.ndarray,
    names: dict[int, str],
    k: int,
) -> list[str]:
    """Terms weighing more in the event than in the corpus (the batch rule), named back from
    the hashed columns."""
    lexical = weighted(csr([r.lex for r in members]), idf_lex)
    columns, inverse = np.unique(lexical.indices, return_inverse=True)
    sums = np.bincount(inverse, weights=lexical.data, minlength=columns.size)
    keep = sums != 0
    columns, sums = columns[keep], sums[keep]
    lift = dict(
        zip(
            columns.tolist(),
            (sums / len(members) - corpus_mean[columns]).tolist(),
            strict=True,
        )
    )
    ranked = sorted(
        (c for c, v in lift.items() if v > 0 and c in names), key=lambda c: (-lift[c], names[c])
    )
    return [names[c] for c in ranked[:k]]


def _load_rows(store: EventStore, arrivals: set[int]) -> list[Row]:
    from ._rows import unpack

    return [unpack(a, i, label, blob, dup) for a, i, label, blob, dup in store.rows(arrivals)]
