"""Local worker processes (joblib's loky) that end with the process that started them.

Killed with ``kill -9``, a process cannot stop its workers, and loky's workers go on
computing what nobody will record (for minutes, until their task ends).  Each worker
started inside :func:`local` watches its parent instead and exits once it is gone.

Examples
--------
>>> from joblib import Parallel, delayed
>>> with local(2):
...     Parallel()(delayed(abs)(x) for x in (-1, -2))
[1, 2]
"""

from __future__ import annotations

import os
import threading
import time
from contextlib import AbstractContextManager
from typing import Any

PARENT_POLL = 0.5
"""Seconds between a worker's checks that the process that started it is alive."""


def exit_with_parent(parent: int) -> None:
    """Run in each new worker: a daemon thread ends the worker once ``parent`` is gone.

    A killed process's children are adopted by another one, so the worker's parent id
    changes; it is checked every ``PARENT_POLL`` seconds.  Workers only compute (their
    parent records the results), so ending one loses nothing.  A worker whose parent is
    not ``parent`` at this point lost it already (loky's workers are the children of
    the process that starts them) and exits at once.
    """

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(PARENT_POLL)
        os._exit(1)

    threading.Thread(target=watch, name="neuronlab-exit-with-parent", daemon=True).start()


def local(jobs: int) -> AbstractContextManager[Any]:
    """Within this block, ``joblib.Parallel`` (given no backend of its own) runs on
    ``jobs`` loky processes (``-1``: every core) that exit when this process dies."""
    import joblib

    return joblib.parallel_config(backend="loky", n_jobs=jobs, initializer=exit_with_parent,
                                  initargs=(os.getpid(),))
