"""The catalogue of studies (by name and group) and running them by name.

The runs of the selected studies execute together on the shared parallel backend
(:func:`neuronlab.studies._core.run_studies`): local processes or a Dask cluster.
Each run executes with one BLAS thread and NumPy floating-point errors raised (the
same settings in the main process and in the workers), so a run's numbers depend on
its seed alone: ``jobs=1``, ``jobs=2`` and a Dask cluster give identical results.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence

from neuronlab._suggest import did_you_mean
from neuronlab.progress import Bars
from neuronlab.studies._core import Progress, Study, StudyResult, run_studies

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
            raise ValueError(f"unknown study {item!r}.{did_you_mean(key, known)} Known: "
                             f"{', '.join(known)}.")
        wanted.update(known[key])
    if not wanted:
        raise ValueError("no study selected: give at least one name")
    return [study for name, study in studies.items() if name in wanted]


def run(names: str | Sequence[str] | None = None, *, quick: bool = False, seed: int = 0,
        jobs: int = 1, scheduler: str | None = None, progress: Progress | None = None,
        on_plan: Callable[[dict[str, int]], None] | None = None) -> list[StudyResult]:
    """Run the named studies (all by default) and return their results in report order.

    Parameters
    ----------
    names : study names or groups (``"classics"``), a list or comma-separated.
    quick : the small sizes (CI); the default sizes take a few minutes on 2 cores.
    seed : every run's seed is derived from it and the run's identity.
    jobs : local worker processes (-1: every core).  The results do not depend on it.
    scheduler : address of a Dask scheduler (``tcp://HOST:PORT``): the runs execute on
        its workers (:mod:`neuronlab.parallel`), with the same results; ``jobs`` is
        then ignored.
    progress : called as ``progress(study, done, total)`` after each run.
    on_plan : called once with ``{study: number of runs}`` before anything runs.

    Examples
    --------
    >>> [r.name for r in run("self_normalising", quick=True)]
    ['self_normalising']
    """
    return run_studies(select(names), quick=quick, seed=seed, jobs=jobs, scheduler=scheduler,
                       progress=progress, on_plan=on_plan)


def main(name: str, argv: Sequence[str] | None = None) -> int:
    """``python -m neuronlab.studies.<name> [--quick] [--seed S] [--jobs N]
    [--scheduler tcp://HOST:PORT]``: run that study alone, with progress bars, and print
    whether each of its claims held.  (``neuronlab study --only <name>`` also writes the
    report.)"""
    import argparse

    parser = argparse.ArgumentParser(prog=f"python -m neuronlab.studies.{name}",
                                     description=main.__doc__)
    parser.add_argument("--quick", action="store_true", help="the small sizes (CI)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--jobs", type=int, default=1, help="local processes (default: 1)")
    parser.add_argument("--scheduler", metavar="tcp://HOST:PORT",
                        help="run on this Dask scheduler")
    args = parser.parse_args(argv)
    with Bars() as bars:
        result = run([name], quick=args.quick, seed=args.seed, jobs=args.jobs,
                     scheduler=args.scheduler, progress=bars.progress, on_plan=bars.plan)[0]
    print(f"{result.title}: {sum(c.holds for c in result.claims)}/{len(result.claims)} "
          f"claims reproduced in {result.seconds:.1f} s of runs")
    for claim in result.claims:
        print(f"  [{claim.verdict}] {claim.text}" + (f" ({claim.evidence})" if claim.evidence
                                                       else ""))
    return 0
