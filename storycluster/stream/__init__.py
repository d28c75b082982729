"""Streaming clustering: articles arrive in batches and join, open or merge events in a store.

>>> import storycluster as sc
>>> stream = sc.StreamClusterer(store="events.db")  # doctest: +SKIP
>>> update = stream.partial_fit(batch)  # doctest: +SKIP
>>> stream.events(open_only=True, limit=20)  # doctest: +SKIP
"""

from ._clusterer import (
    FORMAT_VERSION,
    Assignment,
    EventSummary,
    Merge,
    StreamClusterer,
    StreamUpdate,
)
from ._persistence import StateError, load_snapshot, save_snapshot
from ._store import EventStore, StoreError, open_store

__all__ = [
    "FORMAT_VERSION",
    "Assignment",
    "EventStore",
    "EventSummary",
    "Merge",
    "StateError",
    "StoreError",
    "StreamClusterer",
    "StreamUpdate",
    "load_snapshot",
    "open_store",
    "save_snapshot",
]
