"""Study 1, the activation atlas: every registered activation, measured.

For each elementwise activation in :mod:`neuronlab.activations` (the registry is the
only list), on a float64 grid:

- the curves g(z) and g'(z) on [-6, 6] for the figure;
- the properties measured numerically (:func:`neuronlab.probe.measure_properties`, the
  probe every module uses) beside the declared ones: observed range (a bound is
  infinite when g still grows between ``|z| = 1e15`` and ``1e30``), zero-centred (g(0) = 0 and
  both signs taken), monotonic, smooth (no jump of g or g' at a kink), continuous,
  saturating (g' -> 0 at an end), largest slope ``max |g'|``, and the saturation
  regions, where ``|g'(z)|`` is below 1% of that largest slope on [-40, 40];
- the measured cost of the forward and the backward pass (``delta = g'(z) * e``)
  per element of a float32 array (best of a few repeats; wall-clock, so it varies).

Vector-valued activations (softmax, log-softmax) have no per-element curve; they are
listed in a note.

Run alone: ``python -m neuronlab.studies.atlas [--quick]``.
"""

from __future__ import annotations

import math
import time
from typing import Any

import numpy as np

from neuronlab import activations
from neuronlab.probe import (
    PROBE_RANGE,
    PROBE_STEP,
    SATURATION_SLOPE,
    Probe,
    measure_properties,
)
from neuronlab.studies._core import Claim, Key, Run, Study, StudyResult, Table, plan_runs

NAME = "atlas"
TITLE = "Activation atlas"
LECTURE = (
    "The activation is where the non-linearity enters: without it any stack of layers "
    "is one linear map. Its derivative is the factor g'(z) that the backward pass "
    "multiplies into every delta, so where g' is tiny (the saturated tails of sigmoid "
    "and tanh, the negative half of ReLU) gradients vanish. Sigmoid's slope never "
    "exceeds 1/4, and its outputs are not centred on zero; tanh is a rescaled sigmoid "
    "that is. The table checks each activation's declared properties against what the "
    "function actually does on a grid."
)

PLOT_RANGE = 6.0          # the curves are drawn on [-6, 6]
PLOT_STEP = 0.05
SIZES = {False: {"elements": 1_000_000, "repeats": 5},
         True: {"elements": 200_000, "repeats": 3}}


def elementwise_names() -> list[str]:
    """Registered activations that act on each element alone (curves exist)."""
    return [name for name in activations.names() if activations.get(name).elementwise]


#: The "formula" entry is a template (its default expression is x, a copy of identity):
#: the atlas shows it with an example expression instead, mish written as a formula.
FORMULA_EXAMPLE = "x * tanh(softplus(x))"


def _instance(name: str, dtype: Any) -> activations.Activation:
    fn = activations.get(name, expression=FORMULA_EXAMPLE) if name == "formula" else \
        activations.get(name)
    fn.build(1, np.dtype(dtype))  # per-unit parameters (PReLU) at their initial values
    return fn


def _interval_text(left: float | None, right: float | None) -> str:
    if left == math.inf:
        return "everywhere (g' = 0)"
    parts = []
    if left is not None:
        parts.append(f"z ≤ {left:.3g}")
    if right is not None:
        parts.append(f"z ≥ {right:.3g}")
    return " and ".join(parts) if parts else "none"


def _range_text(low: float, high: float) -> str:
    def show(v: float) -> str:
        return "∞" if v == math.inf else "-∞" if v == -math.inf else f"{v:.4g}"
    return f"[{show(low)}, {show(high)}]"


def _measure(name: str, elements: int, repeats: int, seed: int) -> dict[str, Any]:
    """Curves, numerical properties and cost of one activation."""
    fn = _instance(name, np.float64)
    declared = fn.properties

    # curves for the figure
    z_plot = np.round(np.arange(-PLOT_RANGE, PLOT_RANGE + PLOT_STEP / 2, PLOT_STEP), 10)
    a_plot, d_plot = (v[:, 0] for v in Probe(fn).evaluate(z_plot))

    # numerical properties: the package's one probe
    measured = measure_properties(fn)
    low, high = measured["range"]
    max_slope = measured["max_slope"]
    left, right = measured["saturated_below"], measured["saturated_above"]
    if max_slope == 0:  # flat everywhere (step, sign)
        left, right = math.inf, -math.inf

    # cost: forward and backward per element, float32, best of `repeats`
    rng = np.random.default_rng(seed)
    fn32 = _instance(name, np.float32)
    x = rng.standard_normal(elements).astype(np.float32)[:, None]
    e = rng.standard_normal(elements).astype(np.float32)[:, None]
    forward = backward = math.inf
    with np.errstate(over="ignore", under="ignore"):
        for _ in range(repeats):
            start = time.perf_counter()
            out = fn32.forward(x, training=False)
            middle = time.perf_counter()
            fn32.backward(x, out, e)
            end = time.perf_counter()
            forward, backward = min(forward, middle - start), min(backward, end - middle)

    declared_range = tuple(float(v) for v in declared.range)
    range_agrees = all(
        (d_ == o) if math.isinf(d_) or math.isinf(o) else abs(d_ - o) <= 1e-3 * max(1, abs(d_))
        for d_, o in zip(declared_range, (low, high), strict=True))
    observed = {key: measured[key] == getattr(declared, key)
                for key in ("zero_centred", "monotonic", "smooth", "saturating")}
    observed = {"range": range_agrees, **observed}
    return {
        "curve": {"z": z_plot, "g": a_plot, "dg": d_plot},
        "properties": {
            "activation": name,
            "observed_range": _range_text(low, high),
            "declared_range": _range_text(*declared_range),
            "zero_centred": measured["zero_centred"],
            "declared_zero_centred": declared.zero_centred,
            "monotonic": measured["monotonic"], "declared_monotonic": declared.monotonic,
            "smooth": measured["smooth"], "declared_smooth": declared.smooth,
            "continuous": measured["continuous"],
            "saturating": measured["saturating"], "declared_saturating": declared.saturating,
            "max_slope": max_slope,
            "saturated_below": None if left == math.inf else left,
            "saturated_above": None if right == -math.inf else right,
            "saturation_regions": _interval_text(left, right),
            "disagreements": ", ".join(k for k, ok in observed.items() if not ok) or "none",
        },
        "cost": {"activation": name, "forward_ns": 1e9 * forward / elements,
                 "backward_ns": 1e9 * backward / elements,
                 "total_ns": 1e9 * (forward + backward) / elements},
    }


def plan(quick: bool, seed: int) -> list[Run]:
    sizes = SIZES[quick]
    configs = {(name,): {"name": name, **sizes} for name in elementwise_names()}
    # one shared seed: every activation is timed on the same random input
    return plan_runs(NAME, seed, _measure, configs, seed_key=lambda key: (),
                     cost=lambda key: 0.1)


def assemble(outputs: dict[Key, Any], quick: bool, seed: int) -> StudyResult:
    names = [key[0] for key in outputs]
    order = [n for n in elementwise_names() if (n,) in outputs] + \
        [n for n in names if n not in elementwise_names()]
    curves = [{"activation": n, "z": z, "g": g, "dg": dg}
              for n in order
              for z, g, dg in zip(*(outputs[(n,)]["curve"][k] for k in ("z", "g", "dg")),
                                  strict=True)]
    properties = [outputs[(n,)]["properties"] for n in order]
    cost = [outputs[(n,)]["cost"] for n in order]
    ranked = sorted(cost, key=lambda r: r["total_ns"])
    vector_valued = [n for n in activations.names() if n not in elementwise_names()]
    by_name = {row["activation"]: row for row in properties}
    claims = []
    if "sigmoid" in by_name:
        s = by_name["sigmoid"]["max_slope"]
        claims.append(Claim.exact(
            "Sigmoid's slope never exceeds 1/4, so every sigmoid layer shrinks the backward "
            "signal by at least 4 (before weights).", "max σ'(z) on the grid − 1/4",
            s - 0.25, direction=0, margin=1e-6,
            evidence=f"max σ'(z) = {s:.6f} on [-{PROBE_RANGE:g}, {PROBE_RANGE:g}] in "
                     f"steps of {PROBE_STEP:g} (float64)"))
    at_zero = {row["activation"]: row["g"] for row in curves if row["z"] == 0.0}
    if "tanh" in at_zero and "sigmoid" in at_zero:
        claims.append(Claim.exact(
            "tanh is zero-centred and sigmoid is not.",
            "sigmoid(0) − tanh(0): the offset of sigmoid's outputs at the centre",
            at_zero["sigmoid"] - at_zero["tanh"], direction=+1, margin=0.25,
            evidence=f"tanh(0) = {at_zero['tanh']:g} with range "
                     f"{by_name['tanh']['observed_range']}; sigmoid(0) = "
                     f"{at_zero['sigmoid']:g} with range "
                     f"{by_name['sigmoid']['observed_range']}"))
    mismatched = [r["activation"] for r in properties if r["disagreements"] != "none"]
    notes = [f"{len(properties)} elementwise activations measured, generated from the "
             f"registry; vector-valued ones not plotted: {', '.join(vector_valued)}.",
             "Declared and observed properties disagree for: "
             + (", ".join(f"{n} ({by_name[n]['disagreements']})" for n in mismatched)
                if mismatched else "none") + "."]
    timing_notes = [f"Fastest forward+backward: {ranked[0]['activation']} "
                    f"({ranked[0]['total_ns']:.2g} ns per element); slowest: "
                    f"{ranked[-1]['activation']} ({ranked[-1]['total_ns']:.2g} ns, "
                    f"{ranked[-1]['total_ns'] / ranked[0]['total_ns']:.0f}× the fastest). "
                    f"Wall-clock, best of {SIZES[quick]['repeats']} repeats; it varies "
                    f"from machine to machine."]
    pct = {"max_slope": ".4g", "forward_ns": ".3g", "backward_ns": ".3g", "total_ns": ".3g",
           "saturated_below": ".3g", "saturated_above": ".3g"}
    return StudyResult(
        NAME, TITLE, {"quick": quick, "seed": seed, "plot_range": PLOT_RANGE,
                      "probe_range": PROBE_RANGE, "probe_step": PROBE_STEP,
                      "saturation_threshold": SATURATION_SLOPE, **SIZES[quick]},
        [Table("properties", "Declared and numerically observed properties", properties,
               formats=pct),
         Table("cost", "Cost per element (float32, ns)", cost, formats=pct,
               timing=("forward_ns", "backward_ns", "total_ns")),
         Table("curves", "g(z) and g'(z) on the plotting grid", curves, shown=False)],
        numbers={"activations measured": len(properties),
                 "declared/observed disagreements": len(mismatched),
                 "sigmoid max slope": by_name.get("sigmoid", {}).get("max_slope")},
        number_formats={"sigmoid max slope": ".4f"},
        claims=claims, notes=notes, timing_notes=timing_notes)


STUDY = Study(NAME, TITLE, "atlas", LECTURE, plan, assemble,
              cites=("000", "001", "003", "004"))


run = STUDY.run  # run this study alone: run(quick=False, seed=0, jobs=1)


if __name__ == "__main__":
    from neuronlab.studies._runner import main

    raise SystemExit(main(NAME))
