"""Streaming clustering: articles arrive in batches and join, open or merge live events.

>>> import storycluster as sc
>>> stream = sc.StreamClusterer()  # doctest: +SKIP
>>> update = stream.partial_fit(batch)  # doctest: +SKIP
"""

from ._clusterer import Assignment, Merge, StreamClusterer, StreamUpdate
from ._persistence import FORMAT_VERSION, StateError, load_state, save_state

__all__ = [
    "FORMAT_VERSION",
    "Assignment",
    "Merge",
    "StateError",
    "StreamClusterer",
    "StreamUpdate",
    "load_state",
    "save_state",
]
