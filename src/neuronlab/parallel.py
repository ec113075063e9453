"""One parallel backend for everything that runs many independent tasks (sweep cells,
study runs, report figures): local processes with joblib (loky), or the workers of an
existing Dask cluster through joblib's Dask backend.

``jobs`` counts local worker processes (``-1``: every core; ``1``: this process);
``scheduler="tcp://HOST:PORT"`` sends the tasks to that Dask scheduler instead (its
workers need the same neuronlab installed), and then ``jobs`` is ignored: the cluster
decides.  Results come back as tasks finish; callers match them to tasks by index,
never by completion order, so the numbers do not depend on the backend.

Examples
--------
>>> sorted(map_unordered(abs, [-2, 1, -3], jobs=1))
[1, 2, 3]
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterable, Iterator
from typing import TypeVar

import numpy as np

from neuronlab import _workers

__all__ = ["SCHEDULER_ENV", "backend", "check_jobs", "effective_jobs", "map_unordered"]

T = TypeVar("T")
R = TypeVar("R")

SCHEDULER_ENV = "NEURONLAB_DASK_SCHEDULER"
"""Environment variable naming a Dask scheduler (``tcp://HOST:PORT``) for the CLI."""


def check_jobs(jobs: object) -> int:
    """``jobs`` as an int: a positive number of processes, or -1 for every core.

    >>> check_jobs(-1), check_jobs(3)
    (-1, 3)
    """
    if isinstance(jobs, bool) or not isinstance(jobs, int | np.integer):
        raise TypeError(f"jobs must be an integer (a positive number of processes or -1 "
                        f"for every core), got {type(jobs).__name__} {jobs!r}")
    if jobs == 0 or jobs < -1:
        raise ValueError(f"jobs must be a positive integer or -1 (every core), got {jobs!r}")
    return int(jobs)


def effective_jobs(jobs: int, n_tasks: int) -> int:
    """Local worker count: ``jobs`` (-1 for every core), never more than the tasks.

    >>> effective_jobs(8, 3), effective_jobs(2, 0)
    (3, 1)
    """
    jobs = check_jobs(jobs)
    cores = os.cpu_count() or 1
    return max(1, min(cores if jobs == -1 else jobs, int(n_tasks)))


@contextlib.contextmanager
def backend(jobs: int = 1, scheduler: str | None = None) -> Iterator[None]:
    """Within this block, ``joblib.Parallel`` (given no backend of its own) runs on
    ``jobs`` local processes (loky), or on every worker of the Dask ``scheduler``
    through joblib's Dask backend, with a ``distributed.Client`` that is closed on exit.

    Raises
    ------
    ValueError
        when dask.distributed is missing or the scheduler cannot be reached (after
        Dask's ``distributed.comm.timeouts.connect``).
    """
    import joblib

    jobs = check_jobs(jobs)
    if scheduler is None:
        with _workers.local(jobs):  # workers that exit if this process is killed
            yield
        return
    try:
        from distributed import Client
    except ImportError:
        raise ValueError("running on a Dask scheduler needs dask.distributed "
                         "(pip install 'dask[distributed]')") from None
    try:  # the connect timeout is Dask's: distributed.comm.timeouts.connect
        client = Client(scheduler, set_as_default=False)
    except OSError as exc:
        raise ValueError(f"cannot reach the Dask scheduler at {scheduler!r}: {exc}") from None
    with client, joblib.parallel_config(backend="dask", client=client, n_jobs=-1):
        yield


def map_unordered(fn: Callable[[T], R], items: Iterable[T], jobs: int = 1,
                  scheduler: str | None = None) -> Iterator[R]:
    """``fn(item)`` for every item, yielded as each finishes (in any order).

    One local job and no scheduler: in this process, in the items' order.  Otherwise on
    :func:`backend` (``fn`` and the items must pickle).  An exception in a task is
    raised here.
    """
    items = list(items)
    if scheduler is None and effective_jobs(jobs, len(items)) == 1:
        yield from map(fn, items)
        return
    from joblib import Parallel, delayed

    tasks = (delayed(fn)(item) for item in items)
    if scheduler is None:
        jobs = effective_jobs(jobs, len(items))
    with backend(jobs, scheduler):
        yield from Parallel(return_as="generator_unordered")(tasks)
