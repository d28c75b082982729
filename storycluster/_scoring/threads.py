"""Threads for the block loops of scoring: independent blocks, each writing its own slice.

NumPy and SciPy release the GIL in gathers, products and sorts, so blocks of pairs or rows
scored on several threads run side by side. Results never depend on the number of threads.
"""

from __future__ import annotations

import contextlib
import numbers
import os
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor

__all__ = ["for_each", "one_blas_thread", "worker_count"]


def worker_count(n_jobs: int | None) -> int:
    """Threads for ``n_jobs``: ``None`` and ``-1`` mean every CPU this process may run on;
    anything but those and a positive int raises ``ValueError``."""
    if n_jobs is None or (_is_int(n_jobs) and n_jobs == -1):
        cpus = os.sched_getaffinity(0) if hasattr(os, "sched_getaffinity") else None
        return max(1, len(cpus) if cpus else os.cpu_count() or 1)
    if not _is_int(n_jobs) or n_jobs < 1:
        raise ValueError(f"n_jobs must be None, -1 or a positive int, got {n_jobs!r}")
    return int(n_jobs)


def _is_int(value: object) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def for_each(work: Callable[[int], None], starts: Iterable[int], n_jobs: int | None = None) -> None:
    """``work(start)`` for every start, on up to :func:`worker_count` ``(n_jobs)`` threads;
    the first error is raised."""
    starts = list(starts)
    n_jobs = worker_count(n_jobs)
    if n_jobs == 1 or len(starts) <= 1:
        for start in starts:
            work(start)
        return
    with ThreadPoolExecutor(min(n_jobs, len(starts))) as pool:
        for _ in pool.map(work, starts):
            pass


@contextlib.contextmanager
def one_blas_thread() -> Iterator[None]:
    """BLAS on one thread inside the block (threadpoolctl, which scikit-learn brings).

    Many mid-sized matrix products run faster side by side on :func:`for_each` threads than one
    after another on a multi-threaded BLAS, whose threads wait for each other (badly so on a
    busy machine). The thread count of a product can change its last bits, so code that uses
    this keeps it on for every product it makes, whatever ``n_jobs`` is.
    """
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1, user_api="blas"):
        yield
