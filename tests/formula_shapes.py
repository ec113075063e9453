"""The slowest formulas found within the structural limits (test-only data, shared with
``benchmarks/formula_build.py`` as ``reference.py`` is with the activation benchmark).

Issue 12 left "a 200-node formula of sinh/cosh ratios takes up to ~14 s to build"; these
shapes took 14 to 33 s before: their float64 programs overflow to inf / inf at thousands
of probe points, each then recomputed by mpmath.  Now each is built (a
``sinh(u)**k / cosh(u)**k`` pair is rewritten as ``tanh(u)**k``) or refused by the
exact-work budget (``formula.EXACT_BUDGET``).
"""

from __future__ import annotations

import ast
from collections.abc import Callable

MAX_NODES = 200  # formula.MAX_NODES (checked by test_formula.py)


def nodes(text: str) -> int:
    """Syntax-tree nodes of a formula, as ``formula`` counts them."""
    return sum(1 for _ in ast.walk(ast.parse(text, mode="eval")))


def longest(term: Callable[[int], str], sep: str = " + ") -> str:
    """The longest ``term(1) sep term(2) sep ...`` within the node limit."""
    text = term(1)
    for k in range(2, 100):
        longer = f"{text}{sep}{term(k)}"
        if nodes(longer) > MAX_NODES:
            break
        text = longer
    return text


#: name -> formula text
SHAPES: dict[str, str] = {
    "sum of sinh(kx)^2/cosh(kx)^2": longest(lambda k: f"sinh({k}*x)**2/cosh({k}*x)**2"),
    "product of sinh(kx)/cosh(kx)": longest(lambda k: f"sinh({k}*x)/cosh({k}*x)", " * "),
    "sum of sinh(kx)/cosh((k+1)x)": longest(lambda k: f"sinh({k}*x)/cosh({k + 1}*x)"),
    "ratio of sums of sinh, cosh": "(" + " + ".join(f"sinh({k}*x)" for k in range(1, 9))
    + ")/(" + " + ".join(f"cosh({k}*x)" for k in range(1, 9)) + ")",
    "sinh(100x)^3/cosh(100x)^3/(1+x^2)": "sinh(100*x)**3/cosh(100*x)**3 / (1 + x**2)",
    "sum of k sinh(x)/cosh(x)": longest(lambda k: f"{k}*sinh(x)/cosh(x)"),
    "sum of sinh(kx)/cosh(kx)": longest(lambda k: f"sinh({k}*x)/cosh({k}*x)"),
}
