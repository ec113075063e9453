"""The lecture notes' own worked numbers, recomputed by the engine.

Every number the notes work out by hand that the engine can compute (an activation or
its derivative at a point, a loss, a softmax, a gradient step, an initializer's
standard deviation) is computed here with neuronlab's own activations, losses,
optimizer and initializers, and set beside the note's value.  Where the two differ by
more than the note's rounding, both are shown and the table says which is right.

Nothing here is random: one run, no seeds.

Run alone: ``python -m neuronlab.studies.worked_numbers [--quick]``.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from neuronlab import _mathml as m
from neuronlab import activations, init, losses, optim
from neuronlab.layers import Activation, Dense
from neuronlab.network import Sequential
from neuronlab.parameter import Parameter
from neuronlab.studies._core import Claim, Key, Run, Study, StudyResult, Table, plan_runs

NAME = "worked_numbers"
TITLE = "The notes' worked numbers, recomputed"
LECTURE = (
    "Lecture notes 000, 002, 003 and 004 work many small examples by hand: σ′(0) = 0.25, "
    "a softmax of four logits, the squared errors of a two-output toy network, a gradient"
    " step on c = (1 − w)², Glorot's standard deviation. A student checking them should "
    "get the same numbers. Here the engine recomputes each one with the library's own "
    "activations, losses, optimizer and initializers; where the note and the engine "
    "differ by more than the note's rounding, both are shown and the row says which is "
    "right (the note's slips are arithmetic and sign slips, not the library's)."
)


def _g(name: str, z: float) -> float:
    return float(activations.get(name).forward(np.array([z], dtype=np.float64))[0])


def _dg(name: str, z: float) -> float:
    fn = activations.get(name)
    x = np.array([z], dtype=np.float64)
    return float(fn.derivative(x, fn.forward(x))[0])


def _mse_one(y_hat: float, y: float) -> float:
    """The note's single-sample squared error (y − ŷ)², by the engine's MSE."""
    return losses.get("mse").value(np.array([[y_hat]]), np.array([[y]]))


def _sgd_step(w: float, lr: float, grad_fn: Any) -> float:
    """One step of the engine's plain SGD on a one-weight parameter."""
    p = Parameter(np.array([w], dtype=np.float64), "w")
    p.grad[:] = grad_fn(p.value)
    optim.get("sgd", [p], lr=lr).step()
    return float(p.value[0])


def _c_grad(w: np.ndarray) -> np.ndarray:
    """dc/dw of the note's c = (1 − w)², via the engine's MSE gradient (one output)."""
    return losses.get("mse").gradient(w.reshape(1, 1), np.ones((1, 1))).reshape(-1)


def _std_of(rule: str, fan_in: int, fan_out: int, seed: int) -> float:
    w = init.get(rule)((fan_in, fan_out), np.random.default_rng(seed), np.float64)
    return float(w.std())


def _chain_gradient_w2(y: float, q1: float, w2: float) -> float:
    """∂e/∂w₂ of note 004's chain (one neuron per layer, no bias, e = (y − q₂)²) by the
    engine's backward pass."""
    dense = Dense(1, 1, "zeros", 0.0, np.float64, np.random.default_rng(0))
    dense.W.value[:] = w2
    net = Sequential([dense, Activation("sigmoid")], dtype=np.float64)
    out = net.forward(np.array([[q1]]))
    net.backward(2 * (out - y))  # d(y − q₂)²/dq₂ = −2 (y − q₂)
    return float(dense.W.grad[0, 0])


def recompute(seed: int) -> list[dict[str, Any]]:
    """Every worked example: ``note, where, expression, note_value, engine_value, tolerance,
    right`` (who is right when they differ, and why)."""
    rows: list[dict[str, Any]] = []

    def add(note: str, where: str, expression: str, note_value: float, engine: float,
            tolerance: float, right: str = "") -> None:
        rows.append({"note": note, "where": where, "expression": expression,
                     "note_value": note_value, "engine_value": engine,
                     "tolerance": tolerance, "right": right})

    s0, t0 = _dg("sigmoid", 0.0), _dg("tanh", 0.0)
    add("000", "sigmoid's slope at 0", "σ′(0) = 0.5 × 0.5", 0.25, s0, 0.005)
    add("000", "tanh's slope at 0", "tanh′(0) = 1 − tanh²(0)", 1.0, t0, 0.005)
    add("002", "sigmoid's slope at 0", "σ′(0) = 0.5 (1 − 0.5)", 0.25, s0, 0.005)
    add("002", "gradient through 10 sigmoid layers at z = 0", "0.25¹⁰", 0.25 ** 10,
        float(np.prod([s0] * 10)), 1e-9)
    # note 003: the toy network's first hidden unit and its errors
    z = 1 * 0.2 + 0 * 1.5 + 1 * 0.5
    add("003", "toy forward pass, first hidden unit", "1×0.2 + 0×1.5 + 1×0.5", 0.7, z, 0.005)
    add("003", "toy forward pass, first hidden unit", "sigmoid(0.7)", 0.668,
        _g("sigmoid", 0.7), 0.0005)
    for note_value, y_hat, y in ((0.01, 0.9, 1.0), (0.01, 0.1, 0.0), (0.16, 0.6, 1.0),
                                 (0.36, 0.4, 0.0)):
        engine = _mse_one(y_hat, y)
        add("003", "squared error of one output", f"({y_hat:g} − {y:g})²", note_value,
            engine, 0.005,
            "" if abs(engine - note_value) < 0.005 else
            f"the engine: ({y_hat:g} − {y:g})² = {y_hat - y:g}² = {engine:.2f}")
    p, q = np.array([[0.9, 0.1]]), np.array([[0.6, 0.4]])
    add("003", "cross-entropy of q = (0.6, 0.4) against p = (0.9, 0.1)",
        "−0.6 log 0.9 − 0.4 log 0.1 (log base 2)", 1.42,
        losses.CrossEntropy(base=2).value(p, q), 0.005,
        f"both, in bits (log₂); the note does not say which log: with the natural log "
        f"the engine trains with it is {losses.CrossEntropy().value(p, q):.3f} nats")
    logits = np.array([1.1, 2.2, 0.2, -1.7])
    probs = activations.get("softmax").forward(logits)
    for k, note_value in enumerate((0.224, 0.672, 0.091, 0.013)):
        add("003", f"softmax of (1.1, 2.2, 0.2, −1.7), entry {k + 1}",
            f"e^{logits[k]:g} / Σ e^z", note_value, float(probs[k]), 0.0005,
            "" if abs(probs[k] - note_value) < 0.0005 else
            f"the engine: {probs[k]:.4f} rounds to {probs[k]:.3f} (the note truncates)")
    jac = _softmax_jacobian(logits)
    formula = np.diag(probs) - np.outer(probs, probs)
    add("003", "softmax Jacobian: p_i(1 − p_i) on the diagonal, −p_i p_k off it",
        "max |engine − formula|", 0.0, float(np.abs(jac - formula).max()), 1e-12)
    grad = losses.CrossEntropy().gradient(p, q)[0]  # dJ/dp_i = −q_i / p_i (one sample)
    add("003", "cross-entropy gradient ∂E/∂y₁ at y = (0.9, 0.1), ŷ = (0.6, 0.4)",
        "note: −Σ_i ŷ_i / y_i", -(0.6 / 0.9 + 0.4 / 0.1), float(grad[0]), 0.005,
        "the engine: ∂E/∂y_i = −ŷ_i / y_i for each i, no sum (only the i-th term depends "
        "on y_i): −0.667, not −4.67")
    w_plus = 3.0 + 0.1 * float(_c_grad(np.array([3.0]))[0])
    add("003", "the update V ← V + η∇ on c = (1 − w)² from w = 3, η = 0.1",
        "note's sign: 3 + 0.1 × 4", w_plus, _sgd_step(3.0, 0.1, _c_grad), 0.005,
        "the engine: descent subtracts the gradient, V ← V − η∇ (w = 2.6, c falls from 4 "
        "to 2.56); with the note's + sign w = 3.4 and c rises to 5.76")
    elu_z = -1.0
    add("003", "ELU's slope for x < 0 (α = 1)", "f(x) + α at x = −1",
        _g("elu", elu_z) + 1.0, _dg("elu", elu_z), 1e-9)
    # note 004
    add("004", "magnitude of 3i + 2j", "√(3² + 2²) = √13", math.sqrt(13),
        float(np.linalg.norm([3.0, 2.0])), 0.0005)
    add("004", "gradient of c = (1 − w)² at w = 3", "2 (w − 1)", 4.0,
        float(_c_grad(np.array([3.0]))[0]), 0.005)
    add("004", "stepping up the gradient from w = 3", "w + Δw = 3 + 4", 7.0, 3.0 + 4.0, 0.005)
    add("004", "gradient at the overshoot w = −1", "2 (w − 1)", -4.0,
        float(_c_grad(np.array([-1.0]))[0]), 0.005)
    add("004", "one gradient-descent step, η = 0.1", "w − η ∇c = 3 − 0.1 × 4", 2.6,
        _sgd_step(3.0, 0.1, _c_grad), 0.005)
    chain = 0.1 * 0.2 * 0.8
    add("004", "vanishing gradient: product of three ratios", "0.1 × 0.2 × 0.8", 0.006,
        chain, 0.0005, f"the engine: 0.1 × 0.2 × 0.8 = {chain:.3f}")
    add("004", "the resulting update, η = 0.1", "0.1 × (0.1 × 0.2 × 0.8)", 0.0006,
        _sgd_step(0.0, 0.1, lambda w: np.array([chain])) * -1, 0.00005,
        f"the engine: 0.1 × {chain:.3f} = {0.1 * chain:.4f} (the slip above carried on)")
    add("004", "exploding gradient: product of three ratios", "10 × 20 × 30", 6000.0,
        10.0 * 20.0 * 30.0, 0.5)
    add("004", "Euler's number", "e", 2.73, math.e, 0.005,
        f"the engine: e = {math.e:.4f} ≈ 2.72")
    add("004", "sigmoid at z = 10", "σ(10)", 1.0, _g("sigmoid", 10.0), 0.005)
    add("004", "sigmoid's slope at z = 10", "σ(10)(1 − σ(10))", 0.0, _dg("sigmoid", 10.0),
        0.005)
    add("004", "sigmoid's slope at z = −10", "σ(−10)(1 − σ(−10))", 0.0,
        _dg("sigmoid", -10.0), 0.005)
    add("004", "sigmoid's slope at z = 0", "0.5 × 0.5", 0.25, s0, 0.005)
    add("004", "tanh's slope at z = 10", "1 − tanh²(10)", 0.0, _dg("tanh", 10.0), 0.005)
    add("004", "tanh's slope at z = −10", "1 − tanh²(−10)", 1.0, _dg("tanh", -10.0), 0.005,
        "the engine: tanh(−10) ≈ −1, so 1 − tanh²(−10) ≈ 1 − 1 = 0 (8e−9): tanh saturates "
        "on both sides")
    add("004", "tanh's slope at z = 0", "1 − 0²", 1.0, t0, 0.005)
    add("004", "tanh written as (eᶻ + e⁻ᶻ)/(eᶻ − e⁻ᶻ), at z = 0.5", "the note's fraction",
        math.cosh(0.5) / math.sinh(0.5), _g("tanh", 0.5), 0.005,
        "the engine: tanh = (eᶻ − e⁻ᶻ)/(eᶻ + e⁻ᶻ) = 0.462; the note's fraction is "
        "upside down (that is coth = 2.16)")
    t5 = _g("tanh", 0.5)
    add("004", "tanh′ by the quotient rule d(u/v) = (u′v + v′u)/v², at z = 0.5",
        "the note's rule gives 1 + tanh²", 1 + t5 ** 2, _dg("tanh", 0.5), 0.005,
        "the engine: the quotient rule has a minus sign, (u′v − uv′)/v², which gives "
        "1 − tanh²(0.5) = 0.786 (the note's own next line uses the minus)")
    y, q1, w2 = 1.0, 0.5, 0.8
    a2 = _g("sigmoid", w2 * q1)
    add("004", "∂e/∂w₂ = −2(y − q₂) × σ′(z₂)[1 − σ(z₂)] × q₁ at y = 1, q₁ = 0.5, w₂ = 0.8",
        "the note's extra factor [1 − σ(z₂)]",
        -2 * (y - a2) * _dg("sigmoid", w2 * q1) * (1 - a2) * q1,
        _chain_gradient_w2(y, q1, w2), 0.0005,
        "the engine's backward pass: −2(y − q₂) σ′(z₂) q₁ with σ′ = σ(1 − σ) — the note "
        "writes σ′(z₂)[1 − σ(z₂)], one factor too many")
    fan = 256
    add("004", f"Glorot normal std, fan_in = fan_out = {fan}", "σ = 1 / fan_avg", 1 / fan,
        _std_of("glorot_normal", fan, fan, seed), 0.002,
        f"the engine: σ = √(1 / fan_avg) = {math.sqrt(1 / fan):.4f} (the variance is "
        f"1 / fan_avg); the note's σ is {math.sqrt(fan):.0f}× too small")
    limit = float(np.abs(init.get("glorot_uniform")((fan, fan), np.random.default_rng(seed),
                                                      np.float64)).max())
    add("004", f"Glorot uniform limit, fan_avg = {fan}", "r = √(3 / fan_avg)",
        math.sqrt(3 / fan), limit, 0.002)
    add("004", f"He normal variance, fan_in = {fan}", "σ² = 2 / fan_in", 2 / fan,
        _std_of("he_normal", fan, fan, seed) ** 2, 0.0005)
    add("004", f"LeCun normal variance, fan_in = {fan}", "σ² = 1 / fan_in", 1 / fan,
        _std_of("lecun_normal", fan, fan, seed) ** 2, 0.0005)
    return rows


def _softmax_jacobian(z: np.ndarray) -> np.ndarray:
    """The softmax Jacobian ∂p_i/∂z_k from the engine's backward pass (one unit vector
    per column: the vector-Jacobian product with e_k is row k of Jᵀ)."""
    fn = activations.get("softmax")
    a = fn.forward(z[None, :])
    eye = np.eye(z.size)
    return np.vstack([fn.backward(z[None, :], a, eye[k][None, :])[0]
                      for k in range(z.size)]).T


def plan(quick: bool, seed: int) -> list[Run]:
    return plan_runs(NAME, seed, recompute, {("all",): {}}, cost=lambda key: 0.01)


def assemble(outputs: dict[Key, Any], quick: bool, seed: int) -> StudyResult:
    rows = outputs[("all",)]
    for r in rows:
        r["difference"] = r["engine_value"] - r["note_value"]
        r["agrees"] = abs(r["difference"]) < r["tolerance"]
        if r["agrees"]:
            r["right"] = r["right"] or "both"
    claims = []
    for note in sorted({r["note"] for r in rows}):
        mine = [r for r in rows if r["note"] == note]
        worst = max(abs(r["difference"]) / r["tolerance"] for r in mine)
        slips = [r for r in mine if not r["agrees"]]
        evidence = (f"{len(mine) - len(slips)} of {len(mine)} agree to the note's rounding"
                    + ("; slips: " + "; ".join(f"{r['expression']}: note {r['note_value']:.4g}"
                                               f", engine {r['engine_value']:.4g}"
                                               for r in slips) if slips else ""))
        claims.append(Claim.exact(
            f"Lecture note {note}'s worked numbers are right (the engine gets the same, to "
            f"the note's rounding).",
            "largest |engine − note| in units of the note's rounding", worst, direction=0,
            margin=1.0, evidence=evidence))
    slips = [r for r in rows if not r["agrees"]]
    notes = [f"{len(rows)} worked numbers recomputed; {len(slips)} differ from the note by "
             f"more than its rounding. Each row of the table says which value is right."]
    numbers = {"worked numbers recomputed": len(rows), "slips found": len(slips)}
    formats = {"note_value": ".4g", "engine_value": ".4g", "difference": ".2g",
               "tolerance": ".1g"}
    return StudyResult(NAME, TITLE, {"quick": quick, "seed": seed},
                       [Table("worked", "Every worked number: the note's value and the "
                                        "engine's", rows, formats=formats)],
                       numbers=numbers, claims=claims, notes=notes)


STUDY = Study(NAME, TITLE, "lectures", LECTURE, plan, assemble,
              cites=("000", "002", "003", "004"),
              formulas=(("The quotient rule (note 004 writes + for −)",
                         m.math(m.row(m.frac(m.row("d"), m.row("d", "z")),
                                      m.frac("u", "v"), "=",
                                      m.frac(m.row("u", "′", "v", "−", "u", "v", "′"),
                                             m.sup("v", 2))))),
                        ("Gradient descent (note 003 writes + for −)",
                         m.math(m.row("w", "←", "w", "−", "η",
                                      m.partial("J", "w")))),
                        ("Glorot normal (note 004 writes σ = 1/fan_avg)",
                         m.math(m.row("σ", "=", m.sqrt(m.frac(1, m.sub("n", "avg"))), ",",
                                      m.sub("n", "avg"), "=",
                                      m.frac(m.row(m.sub("n", "in"), "+", m.sub("n", "out")),
                                             2))))))


run = STUDY.run  # run this study alone: run(quick=False, seed=0, jobs=1)


if __name__ == "__main__":
    from neuronlab.studies._runner import main

    raise SystemExit(main(NAME))
