"""Running studies: plan every run, execute them (in parallel with joblib), assemble.

Each run executes with one BLAS thread and NumPy floating-point errors raised (the
same settings in the main process and in the workers), so a run's numbers depend on
its seed alone: ``jobs=1`` and ``jobs=2`` give identical results.
"""

from __future__ import annotations

import difflib
import importlib
import os
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np

from neuronlab import _workers
from neuronlab.studies._core import Run, Study, StudyResult

#: The study modules, in report order.  Each defines ``STUDY``.
MODULES = ("atlas", "depth", "training", "signal", "he_vs_glorot", "sigmoid_saturation",
           "self_normalising", "dying_relu", "zero_centred", "linear_collapse",
           "backprop", "losses", "gradient_descent", "init_details", "dynamics",
           "worked_numbers")


def registry() -> dict[str, Study]:
    """Every study, by name, in report order."""
    studies = {}
    for module in MODULES:
        study = importlib.import_module(f"neuronlab.studies.{module}").STUDY
        studies[study.name] = study
    return studies


def names() -> list[str]:
    """Names of the registered studies."""
    return list(registry())


def groups() -> dict[str, list[str]]:
    """Names that stand for several studies (``classics``: the six reproductions)."""
    out: dict[str, list[str]] = {}
    for study in registry().values():
        out.setdefault(study.group, []).append(study.name)
    return {group: members for group, members in out.items()
            if members != [group]} | {"all": names()}


def select(spec: str | Sequence[str] | None = None) -> list[Study]:
    """The studies named in ``spec`` (names or groups, comma-separated or a list), in
    report order; all of them for None."""
    studies = registry()
    if spec is None:
        return list(studies.values())
    items = [s.strip() for s in (spec.split(",") if isinstance(spec, str) else spec)]
    wanted: set[str] = set()
    known = {**{n: [n] for n in studies}, **groups()}
    for item in filter(None, items):
        key = item.lower().replace("-", "_")
        if key not in known:
            close = difflib.get_close_matches(key, list(known), n=1)
            hint = f" Did you mean {close[0]!r}?" if close else ""
            raise ValueError(f"unknown study {item!r}.{hint} Known: "
                             f"{', '.join(known)}.")
        wanted.update(known[key])
    if not wanted:
        raise ValueError("no study selected: give at least one name")
    return [study for name, study in studies.items() if name in wanted]


def effective_jobs(jobs: int, n_runs: int) -> int:
    """Worker count: ``jobs`` (-1 for every core), never more than the runs."""
    if isinstance(jobs, bool) or not isinstance(jobs, int | np.integer) or jobs == 0 \
            or jobs < -1:
        raise ValueError(f"jobs must be a positive integer or -1 (every core), got {jobs!r}")
    cores = os.cpu_count() or 1
    return max(1, min(cores if jobs == -1 else int(jobs), n_runs))


def _call(run: Run) -> tuple[Any, float]:
    """Execute one run with one BLAS thread and floating-point errors raised."""
    from threadpoolctl import threadpool_limits

    start = time.perf_counter()
    with threadpool_limits(1), np.errstate(all="raise", under="ignore"):
        try:
            output = run()
        except Exception as exc:
            raise RuntimeError(f"study {run.study!r}, run {run.key!r} (seed {run.seed}) "
                               f"failed: {type(exc).__name__}: {exc}") from exc
    return output, time.perf_counter() - start


def _indexed_call(index: int, run: Run) -> tuple[int, Any, float]:
    return (index, *_call(run))


def execute(runs: Sequence[Run], jobs: int = 1) -> Iterator[tuple[Run, Any, float]]:
    """Yield ``(run, output, seconds)`` as runs finish, longest (by ``cost``) first.

    With one job the runs execute in this process; otherwise in joblib's loky worker
    processes.  Results are matched to runs by index, never by completion order.
    """
    order = sorted(range(len(runs)), key=lambda i: -runs[i].cost)
    n_jobs = effective_jobs(jobs, len(runs)) if runs else 1
    if n_jobs == 1:
        for i in order:
            yield (runs[i], *_call(runs[i]))
        return
    from joblib import Parallel, delayed

    with _workers.local(n_jobs):  # workers that exit if this process is killed
        parallel = Parallel(return_as="generator_unordered")
        for i, output, seconds in parallel(delayed(_indexed_call)(i, runs[i]) for i in order):
            yield runs[i], output, seconds


Progress = Callable[[str, int, int], None]


def run(names: str | Sequence[str] | None = None, *, quick: bool = False, seed: int = 0,
        jobs: int = 1, progress: Progress | None = None,
        on_plan: Callable[[dict[str, int]], None] | None = None) -> list[StudyResult]:
    """Run the named studies (all by default) and return their results in report order.

    Parameters
    ----------
    names : study names or groups (``"classics"``), a list or comma-separated.
    quick : the small sizes (CI); the default sizes take a few minutes on 2 cores.
    seed : every run's seed is derived from it and the run's identity.
    jobs : worker processes (-1: every core).  The results do not depend on it.
    progress : called as ``progress(study, done, total)`` after each run.
    on_plan : called once with ``{study: number of runs}`` before anything runs.

    Examples
    --------
    >>> [r.name for r in run("self_normalising", quick=True)]
    ['self_normalising']
    """
    studies = select(names)
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    plans: dict[str, list[Run]] = {}
    for study in studies:
        planned = study.plan(bool(quick), int(seed))
        keys = [r.key for r in planned]
        if len(set(keys)) != len(keys):
            raise RuntimeError(f"study {study.name!r} planned two runs with the same key")
        plans[study.name] = planned
    if on_plan is not None:
        on_plan({name: len(p) for name, p in plans.items()})
    outputs: dict[str, dict[tuple, Any]] = {name: {} for name in plans}
    seconds = dict.fromkeys(plans, 0.0)
    all_runs = [r for p in plans.values() for r in p]
    for finished, output, elapsed in execute(all_runs, jobs):
        outputs[finished.study][finished.key] = output
        seconds[finished.study] += elapsed
        if progress is not None:
            progress(finished.study, len(outputs[finished.study]), len(plans[finished.study]))
    results = []
    for study in studies:
        ordered = {r.key: outputs[study.name][r.key] for r in plans[study.name]}
        with np.errstate(all="raise", under="ignore"):
            result = study.assemble(ordered, bool(quick), int(seed))
        result.seconds = seconds[study.name]
        results.append(result)
    return results


def main(name: str, argv: Sequence[str] | None = None) -> int:
    """``python -m neuronlab.studies.<name>``: the ``study`` command for that study."""
    import sys

    from neuronlab.cli import main as cli_main

    return cli_main(["study", "--only", name, *(sys.argv[1:] if argv is None else argv)])
