"""``python -m benchmarks.formula_build``: seconds to build the slowest formulas within
the structural limits (200 nodes, 6 nested calls), each built or refused.

A formula is built once per distinct text (parse, stable rewrites, derivatives, the
NumPy program, measured properties).  Where its float64 program overflows (inf / inf
in ``sinh(k x) / cosh(k x)`` beyond ``k x = 710``) the measurement recomputes the value
exactly with mpmath, point by point; ``formula.EXACT_BUDGET`` bounds that work.  Each
shape is built ``--repeats`` times with every cache cleared (neuronlab's and SymPy's),
and the median is printed with what happened.  Not a section of ``python -m
benchmarks``: it measures a one-off cost, not a training step.
"""

from __future__ import annotations

import argparse
import importlib
import statistics
import time

from neuronlab import formula


def shapes() -> dict[str, str]:
    """The slowest shapes found, name -> text (``tests/formula_shapes.py``, shared with
    the test that checks each is built right or refused)."""
    return importlib.import_module("tests.formula_shapes").SHAPES


def _clear_caches() -> None:
    from sympy.core.cache import clear_cache

    for cached in (formula._compile, formula._measured, formula._exact_steps):
        cached.cache_clear()
    clear_cache()


def build_once(text: str) -> tuple[float, str]:
    """(seconds, outcome) of one cold build of ``text``."""
    _clear_caches()
    start = time.perf_counter()
    try:
        g = formula.from_formula(text)
        outcome = f"built: {g.stable_expression[:48]}"
    except formula.FormulaError as exc:
        outcome = "refused: " + ("exact-work budget" if "too many points" in str(exc)
                                 else str(exc)[-48:])
    return time.perf_counter() - start, outcome


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.formula_build",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    formula._kit()  # SymPy's import is not part of a build
    budget = getattr(formula, "EXACT_BUDGET", "none")  # none before the budget existed
    print(f"EXACT_BUDGET = {budget} steps; median of {args.repeats} cold builds")
    nodes = importlib.import_module("tests.formula_shapes").nodes
    for name, text in shapes().items():
        runs = [build_once(text) for _ in range(args.repeats)]
        seconds = statistics.median(t for t, _ in runs)
        print(f"{name:36s} {nodes(text):4d} nodes {seconds:6.2f} s  {runs[0][1]}")


if __name__ == "__main__":
    main()
