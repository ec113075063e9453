"""Backpropagation worked by hand on lecture 002's 2-2-2 network, and what it saves.

Part one follows lecture note 002 number by number: two inputs, two sigmoid hidden
units, two sigmoid outputs, no biases, J = ½ eᵀe with e = ŷ − y.  The forward pass
``z = W a``, ``a = g(z)`` and the backward pass ``δ = g′(z) ⊙ e``, ``e = Wᵀ δ``,
``∂J/∂w_ij = δ_i a_j`` are computed in the lecture's column form with plain NumPy (the
"by hand" column, small enough to follow with a calculator), then by the engine's
layers (rows are samples, so the engine's ``W`` is the lecture's ``Wᵀ``), then by
central finite differences (:func:`neuronlab.gradcheck.numerical_gradient`).

Part two is why backprop matters: finite differences need two forward passes per
weight, backprop one forward and one backward pass for all of them.  Both are timed
on networks of growing width (wall-clock, one BLAS thread).

Run alone: ``python -m neuronlab.studies.backprop [--quick]``.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from neuronlab import _mathml as m
from neuronlab import gradcheck
from neuronlab.layers import Activation, Dense
from neuronlab.network import MLP, Sequential
from neuronlab.studies._core import Claim, Key, Run, Study, StudyResult, Table, plan_runs

NAME = "backprop"
TITLE = "Backpropagation: the delta rule by hand, and its cost"
LECTURE = (
    "Lecture note 002 derives backpropagation on a network of two inputs, two hidden "
    "and two output neurons: the forward pass z = W a, a = g(z); at the output the "
    "error e = ŷ − y becomes δ = g′(z) ⊙ e; each layer sends e = Wᵀ δ down (the weight "
    "matrix transposed), and the gradient of every weight is ∂J/∂w_ij = δ_i a_j. Its "
    "claim is that one forward and one backward pass give every weight's gradient — "
    "'extremely clever as well as extremely cheap' — where perturbing each weight "
    "would cost two forward passes per weight (note 000 sets up the same notation on a "
    "2-4-3-2 network)."
)

# the lecture's column form: W[i, j] connects input j to unit i ("to, then from")
X = np.array([1.0, 0.5])
Y = np.array([1.0, 0.0])
W1 = np.array([[0.1, 0.2], [0.3, 0.4]])
W2 = np.array([[0.5, 0.6], [0.7, 0.8]])

WIDTHS = {False: (2, 4, 8, 16, 32), True: (2, 4, 8, 16)}
N_INPUTS, N_OUTPUTS, DEPTH, BATCH, REPEATS = 8, 3, 3, 16, 5


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))


def by_hand() -> dict[str, dict[int, np.ndarray]]:
    """The lecture's passes in column form, one line per formula."""
    z1 = W1 @ X
    a1 = _sigmoid(z1)
    z2 = W2 @ a1
    a2 = _sigmoid(z2)
    e2 = a2 - Y                          # ∂J/∂ŷ for J = ½ eᵀe
    d2 = a2 * (1 - a2) * e2              # δ = g′(z) ⊙ e, g′ = σ(1 − σ)
    e1 = W2.T @ d2                       # e = Wᵀ δ
    d1 = a1 * (1 - a1) * e1
    return {"z": {1: z1, 2: z2}, "a": {1: a1, 2: a2}, "e": {1: e1, 2: e2},
            "δ": {1: d1, 2: d2}, "∂J/∂W": {1: np.outer(d1, X), 2: np.outer(d2, a1)}}


def _lecture_network() -> tuple[Sequential, list[Dense]]:
    dense = [Dense(2, 2, "zeros", 0.0, np.float64, 0) for _ in range(2)]
    dense[0].W.value[:] = W1.T  # rows are samples: the engine's W is the lecture's Wᵀ
    dense[1].W.value[:] = W2.T
    net = Sequential([dense[0], Activation("sigmoid"), dense[1], Activation("sigmoid")],
                     dtype=np.float64)
    return net, dense


def engine() -> dict[str, Any]:
    """The same passes by the engine's layers, and ∂J/∂W by finite differences."""
    net, dense = _lecture_network()
    x, y = X[None, :], Y[None, :]
    out = net.forward(x)
    net.backward(out - y)
    acts = [layer for layer in net.layers if isinstance(layer, Activation)]
    result: dict[str, Any] = {
        "z": {k + 1: acts[k].z[0].copy() for k in range(2)},
        "a": {k + 1: acts[k].a[0].copy() for k in range(2)},
        "∂J/∂W": {k + 1: dense[k].W.grad.T.copy() for k in range(2)}}

    def J() -> float:
        e = net.forward(x) - y
        return 0.5 * float(np.vdot(e, e))

    result["finite differences"] = {k + 1: gradcheck.numerical_gradient(J, dense[k].W.value).T
                                    for k in range(2)}
    return result


def worked(seed: int) -> dict[str, Any]:
    """Rows ``layer, quantity, i, j, by_hand, engine, finite_differences``."""
    hand, eng = by_hand(), engine()
    rows = []
    for quantity in ("z", "a", "e", "δ", "∂J/∂W"):
        for layer in (1, 2):
            value = np.atleast_2d(hand[quantity][layer])
            if value.shape[0] == 1:
                value = value.T
            for (i, j), v in np.ndenumerate(value):
                row = {"layer": layer, "quantity": quantity, "i": i + 1,
                       "j": j + 1 if quantity == "∂J/∂W" else None, "by_hand": float(v)}
                if quantity in eng:
                    got = np.atleast_2d(eng[quantity][layer])
                    got = got.T if got.shape[0] == 1 else got
                    row["engine"] = float(got[i, j])
                if quantity == "∂J/∂W":
                    row["finite_differences"] = float(eng["finite differences"][layer][i, j])
                rows.append(row)
    return {"rows": rows}


def cost(width: int, seed: int) -> dict[str, Any]:
    """Seconds for one gradient of a float64 MLP: backprop vs finite differences."""
    rng = np.random.default_rng(seed)
    net = MLP([N_INPUTS, *[width] * DEPTH, N_OUTPUTS], activation="tanh", output="softmax",
              init="glorot_uniform", dtype=np.float64, seed=seed)
    x = rng.standard_normal((BATCH, N_INPUTS))
    y = np.eye(N_OUTPUTS)[rng.integers(0, N_OUTPUTS, BATCH)]
    n_params = sum(p.value.size for p in net.parameters())

    def backprop_once() -> None:
        a = net.forward(x)
        net.backward((a - y) / BATCH, skip_output_activation=True)

    def finite_differences_once() -> None:
        def J() -> float:
            p = net.forward(x)
            return -float(np.sum(y * np.log(p))) / BATCH

        for p in net.parameters():
            gradcheck.numerical_gradient(J, p.value)

    timings = {}
    for label, fn, repeats in (("backprop", backprop_once, REPEATS),
                               ("finite_differences", finite_differences_once, 1)):
        best = np.inf
        for _ in range(repeats):
            start = time.perf_counter()
            fn()
            best = min(best, time.perf_counter() - start)
        timings[label] = best
    return {"width": width, "parameters": n_params, "backprop_s": timings["backprop"],
            "finite_differences_s": timings["finite_differences"]}


def plan(quick: bool, seed: int) -> list[Run]:
    configs: dict[Key, dict[str, Any]] = {("worked",): {}}
    configs.update({("cost", w): {"width": w} for w in WIDTHS[quick]})
    return plan_runs(NAME, seed, _dispatch, {k: {"kind": k[0], **v} for k, v in configs.items()},
                     cost=lambda key: 0.02 if key[0] == "worked" else 0.01 * key[-1] / 4)


def _dispatch(kind: str, seed: int, **kwargs: Any) -> dict[str, Any]:
    return worked(seed) if kind == "worked" else cost(seed=seed, **kwargs)


def assemble(outputs: dict[Key, Any], quick: bool, seed: int) -> StudyResult:
    rows = outputs[("worked",)]["rows"]
    hand_vs_engine = max(abs(r["by_hand"] - r["engine"]) for r in rows if "engine" in r)
    grads = [r for r in rows if r["quantity"] == "∂J/∂W"]
    relative = max(abs(r["engine"] - r["finite_differences"]) / max(abs(r["engine"]), 1e-12)
                   for r in grads)
    costs = []
    for key, out in outputs.items():
        if key[0] == "cost":
            # forward-pass equivalents: backprop ~ 1 forward + 1 backward (about two
            # forwards' multiply-adds); finite differences: 2 forwards per parameter
            costs.append({**out, "fd_forward_passes": 2 * out["parameters"],
                          "backprop_forward_equivalents": 3,
                          "measured_ratio": out["finite_differences_s"] / out["backprop_s"]})
    largest = max(costs, key=lambda r: r["parameters"])
    claims = [
        Claim.exact("The delta rule computed by hand (lecture 002's formulas) gives the "
                    "engine's z, a and ∂J/∂W on the 2-2-2 network.",
                    "largest |by hand − engine|", hand_vs_engine, direction=0, margin=1e-12,
                    evidence=f"{sum('engine' in r for r in rows)} numbers compared"),
        Claim.exact("Backprop's ∂J/∂W equals the finite-difference derivative.",
                    "largest relative difference, backprop vs central differences",
                    relative, direction=0, margin=1e-6,
                    evidence=f"{len(grads)} weights, h = 1e-6, float64"),
        Claim.exact("Backprop costs a fixed number of passes; finite differences two "
                    "forward passes per weight.",
                    f"forward passes per gradient, finite differences / backprop, at "
                    f"{largest['parameters']} parameters",
                    largest["fd_forward_passes"] / largest["backprop_forward_equivalents"],
                    direction=+1, margin=100.0,
                    evidence="counted, not timed; the measured times are in the table"),
    ]
    timing_notes = [f"Measured on this machine: one gradient of the {largest['parameters']}-"
                    f"parameter network takes {largest['backprop_s'] * 1e3:.2f} ms by backprop "
                    f"and {largest['finite_differences_s']:.2f} s by finite differences "
                    f"({largest['measured_ratio']:.0f}× longer)."]
    formats = {"by_hand": ".6f", "engine": ".6f", "finite_differences": ".6f"}
    cost_formats = {"backprop_s": ".2e", "finite_differences_s": ".3g",
                    "measured_ratio": ".0f"}
    return StudyResult(
        NAME, TITLE, {"quick": quick, "seed": seed, "x": X.tolist(), "y": Y.tolist(),
                      "W1": W1.tolist(), "W2": W2.tolist(), "widths": list(WIDTHS[quick]),
                      "depth": DEPTH, "batch": BATCH},
        [Table("worked", "Lecture 002's network, x = (1, 0.5), y = (1, 0), "
                         "W¹ = [[0.1, 0.2], [0.3, 0.4]], W² = [[0.5, 0.6], [0.7, 0.8]] "
                         "(w_ij: to unit i from input j)", rows, formats=formats),
         Table("cost", "One gradient: backprop vs finite differences", costs,
               formats=cost_formats, timing=("backprop_s", "finite_differences_s",
                                             "measured_ratio"))],
        numbers={"largest |hand − engine|": hand_vs_engine,
                 "largest relative error vs finite differences": relative},
        number_formats={"largest |hand − engine|": ".1e",
                        "largest relative error vs finite differences": ".1e"},
        claims=claims, timing_notes=timing_notes)


def _formulas() -> tuple[tuple[str, str], ...]:
    sup_l = m.row("(", "l", ")")
    sup_prev = m.row("(", "l", "−", 1, ")")
    return (
        ("Forward pass (lecture 002)",
         m.math(m.row(m.sup("z", sup_l), "=", m.sup("W", sup_l), m.sup("a", sup_prev), ",",
                      m.sup("a", sup_l), "=", "g", "(", m.sup("z", sup_l), ")"))),
        ("The delta rule: the error e becomes δ through the slope of g",
         m.math(m.row(m.sup("δ", sup_l), "=", "g", "′", "(", m.sup("z", sup_l), ")", "⊙",
                      m.sup("e", sup_l)))),
        ("The error sent one layer down: the weights transposed",
         m.math(m.row(m.sup("e", sup_prev), "=", m.sup(m.sup("W", sup_l), "⊤"),
                      m.sup("δ", sup_l)))),
        ("Every weight's gradient from one forward and one backward pass",
         m.math(m.row(m.frac(m.row("∂", "J"), m.row("∂", m.subsup("w", "ij", sup_l))), "=",
                      m.subsup("δ", "i", sup_l), m.subsup("a", "j", sup_prev)))),
    )


STUDY = Study(NAME, TITLE, "lectures", LECTURE, plan, assemble, cites=("002", "000"),
              formulas=_formulas())


run = STUDY.run  # run this study alone: run(quick=False, seed=0, jobs=1)


if __name__ == "__main__":
    from neuronlab.studies._runner import main

    raise SystemExit(main(NAME))
