"""Beyond one machine: an engine-free core (``_core``: windows, groups, linking across windows,
summaries) that Spark (:mod:`storycluster.distributed.spark`) and Ray
(:mod:`storycluster.distributed.ray`) run; :func:`cluster_pandas` runs the same functions in one
process."""

from .._compat import renamed
from ._core import *  # noqa: F403
from ._core import __all__ as __all__

__getattr__ = renamed(__name__, {"story_clusters": "event_objects"})
