"""MSE vs cross-entropy on sigmoid and softmax outputs, and the softmax Jacobian.

Lecture note 003 gives both losses and their gradients through the chain
``∂E/∂V = ∂z/∂V · ∂y/∂z · ∂E/∂y``.  With a sigmoid output, MSE's ``∂E/∂z`` carries the
factor σ′(z), which vanishes when the output saturates, even when it saturates on the
wrong side; cross-entropy's ``∂E/∂z = a − y`` does not (the σ′ cancels).  Measured
three ways: the gradient ``∂E/∂z`` over z (engine losses times the engine's σ′), one
sigmoid neuron started confidently wrong and trained by gradient descent with each
loss, and a softmax network on digits trained with each loss over seeds.  The softmax
Jacobian ``∂p_i/∂z_k = p_i(δ_ik − p_k)`` is taken from the engine's backward pass.

Run alone: ``python -m neuronlab.studies.losses [--quick]``.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from neuronlab import _mathml as m
from neuronlab import activations, losses, optim
from neuronlab.layers import Activation, Dense
from neuronlab.network import MLP, Sequential
from neuronlab.studies import _train
from neuronlab.studies._core import (
    Claim,
    Key,
    Run,
    Study,
    StudyResult,
    Table,
    mean_std,
    plan_runs,
)
from neuronlab.train import Callback, fit

NAME = "losses"
TITLE = "MSE vs cross-entropy: the learning slowdown, and the softmax Jacobian"
LECTURE = (
    "Lecture note 003 teaches MSE for regression and cross-entropy for classification, "
    "each with its gradient, and the softmax with its Jacobian: p_i(1 − p_i) on the "
    "diagonal, −p_i p_k off it. The reason cross-entropy is the classification loss is "
    "in the chain rule: through a sigmoid output, MSE's gradient ∂E/∂z = 2(a − y) σ′(z) "
    "is multiplied by the sigmoid's slope, so an output stuck near 0 or 1 — even on the "
    "wrong side — learns slowly; cross-entropy's ∂E/∂z = a − y has no σ′ in it (note 004 "
    "shows the same σ′ factor in its chain, and note 001 why saturated units stall)."
)

START = {"saturated": (2.0, 2.0), "moderate": (0.6, 0.9)}  # (w, b); x = 1, y = 0
STEPS, LR = 300, 0.15
TARGET_OUTPUT = 0.2  # "learned": the output below this (the target is 0)
LOGITS = (1.1, 2.2, 0.2, -1.7)  # note 003's example
SIZES = {False: {"seeds": 5, "epochs": 6}, True: {"seeds": 3, "epochs": 4}}
HIDDEN, DIGITS_LR = [32], 0.1


def neuron(loss: str, start: str, seed: int) -> dict[str, Any]:
    """One sigmoid neuron a = σ(w x + b), x = 1, target 0, trained by the engine's SGD."""
    w, b = START[start]
    dense = Dense(1, 1, "zeros", 0.0, np.float64, 0)
    dense.W.value[:] = w
    dense.b.value[:] = b
    net = Sequential([dense, Activation("sigmoid")], dtype=np.float64)
    fn = losses.get(loss)
    opt = optim.get("sgd", net.parameters(), lr=LR)
    x, y = np.ones((1, 1)), np.zeros((1, 1))
    rows = []
    for step in range(STEPS + 1):
        a = net.forward(x)
        net.backward(fn.gradient(a, y))
        rows.append({"step": step, "output": float(a[0, 0]), "loss": fn.value(a, y),
                     "grad_w": float(dense.W.grad[0, 0])})
        opt.step()
    return {"rows": rows}


def gradient_curve() -> list[dict[str, Any]]:
    """∂E/∂z over z for target y = 1 (the output wrong for z < 0), each loss's gradient
    on the output times the engine's σ′(z)."""
    sigmoid = activations.get("sigmoid")
    z = np.linspace(-8, 8, 161)[:, None]
    a = sigmoid.forward(z)
    slope = sigmoid.derivative(z, a)
    y = np.ones_like(a)
    n = len(z)  # the losses average over samples: undo it for per-sample gradients
    mse = losses.get("mse").gradient(a, y) * slope * n
    ce = losses.get("binary_cross_entropy").gradient(a, y) * slope * n
    return [{"z": float(z[i, 0]), "a": float(a[i, 0]), "mse": float(mse[i, 0]),
             "cross_entropy": float(ce[i, 0])} for i in range(n)]


def jacobian(scale: float) -> list[dict[str, Any]]:
    """∂p_i/∂z_k of the softmax at ``scale`` × note 003's logits, from the engine's
    vector-Jacobian product with each unit vector."""
    fn = activations.get("softmax")
    z = scale * np.array([LOGITS])
    p = fn.forward(z)
    eye = np.eye(z.shape[1])
    columns = [fn.backward(z, p, eye[k][None, :])[0] for k in range(z.shape[1])]
    jac = np.array(columns).T  # symmetric, so the transposition is only for clarity
    formula = np.diag(p[0]) - np.outer(p[0], p[0])
    return [{"scale": scale, "i": i + 1, "k": k + 1, "engine": float(jac[i, k]),
             "formula": float(formula[i, k]), "p_i": float(p[0, i])}
            for i in range(jac.shape[0]) for k in range(jac.shape[1])]


def digits(loss: str, epochs: int, seed: int) -> dict[str, Any]:
    """A softmax MLP on digits trained with ``loss`` (plain SGD, one-hot targets, which
    both losses accept); test accuracy per epoch."""
    d = _train.dataset("digits")
    eye = np.eye(d.n_classes)
    weight_seed, fit_seed = (int(s.generate_state(1)[0])
                             for s in np.random.SeedSequence(seed).spawn(2))
    model = MLP([d.n_features, *HIDDEN, d.n_classes], activation="tanh", output="softmax",
                init="glorot_uniform", seed=weight_seed)
    accuracy: list[float] = []

    class TestAccuracy(Callback):
        def on_epoch_end(self, trainer: Any, epoch: int, logs: dict[str, float]) -> None:
            accuracy.append(_train.accuracy_on_test(trainer.model, d))

    history = fit(model, d.X_train, eye[d.y_train], loss=loss, optimizer="sgd", lr=DIGITS_LR,
                  epochs=epochs, batch_size=32, seed=fit_seed, verbose=False,
                  validation_data=(d.X_test, eye[d.y_test]), callbacks=[TestAccuracy()])
    rows = [{"epoch": r["epoch"] + 1, "loss": r["loss"], "test_loss": r.get("val_loss"),
             "test_accuracy": acc} for r, acc in zip(history.epochs, accuracy, strict=True)]
    return {"epochs": rows, "test_accuracy": _train.accuracy_on_test(model, d)}


def _dispatch(kind: str, seed: int, **kwargs: Any) -> Any:
    if kind == "neuron":
        return neuron(seed=seed, **kwargs)
    if kind == "curves":
        return {"gradient": gradient_curve(), "jacobian": jacobian(1.0) + jacobian(4.0)}
    return digits(seed=seed, **kwargs)


def plan(quick: bool, seed: int) -> list[Run]:
    sizes = SIZES[quick]
    configs: dict[Key, dict[str, Any]] = {("curves",): {"kind": "curves"}}
    for loss in ("mse", "binary_cross_entropy"):
        for start in START:
            configs[("neuron", loss, start)] = {"kind": "neuron", "loss": loss, "start": start}
    for loss in ("mse", "cross_entropy"):
        for rep in range(sizes["seeds"]):
            configs[("digits", loss, rep)] = {"kind": "digits", "loss": loss,
                                              "epochs": sizes["epochs"]}
    return plan_runs(NAME, seed, _dispatch, configs,
                     seed_key=lambda key: key[2:] if key[0] == "digits" else key,
                     cost=lambda key: 0.05 if key[0] == "digits" else 0.01)


def _steps_to_target(rows: list[dict[str, Any]]) -> int | None:
    return next((r["step"] for r in rows if r["output"] < TARGET_OUTPUT), None)


def assemble(outputs: dict[Key, Any], quick: bool, seed: int) -> StudyResult:
    sizes = SIZES[quick]
    trajectories, learned = [], []
    for key, out in outputs.items():
        if key[0] != "neuron":
            continue
        _, loss, start = key
        trajectories += [{"loss_fn": loss, "start": start, **r} for r in out["rows"]]
        first = out["rows"][0]
        learned.append({"loss_fn": loss, "start": start, "w0": START[start][0],
                        "b0": START[start][1], "initial_output": first["output"],
                        "initial_grad_w": first["grad_w"],
                        "steps_to_output_below_0.2": _steps_to_target(out["rows"])})

    def steps(loss: str, start: str) -> float:
        found = next(r["steps_to_output_below_0.2"] for r in learned
                     if r["loss_fn"] == loss and r["start"] == start)
        return float(STEPS + 1 if found is None else found)

    curves = outputs[("curves",)]
    gradient, jac = curves["gradient"], curves["jacobian"]
    at = min(gradient, key=lambda r: abs(r["z"] + 6))
    ratio = abs(at["mse"]) / abs(at["cross_entropy"])
    jac_error = max(abs(r["engine"] - r["formula"]) for r in jac)
    digits_rows, accuracy = [], {}
    for key, out in outputs.items():
        if key[0] == "digits":
            _, loss, rep = key
            digits_rows += [{"loss_fn": loss, "seed": rep, **r} for r in out["epochs"]]
            accuracy.setdefault(loss, {})[rep] = out["test_accuracy"]
    paired = [accuracy["cross_entropy"][rep] - accuracy["mse"][rep]
              for rep in sorted(accuracy["mse"])]
    slowdown = steps("mse", "saturated") / steps("binary_cross_entropy", "saturated")
    claims = [
        Claim.exact("Through a saturated sigmoid output, MSE's gradient ∂E/∂z vanishes "
                    "while cross-entropy's does not.",
                    "log10 of |∂E/∂z| of MSE / |∂E/∂z| of cross-entropy at z = −6, "
                    "target 1", math.log10(ratio), direction=-1, margin=1.0,
                    evidence=f"at z = −6 (output {at['a']:.4f}, target 1): MSE "
                             f"{at['mse']:.3g}, cross-entropy {at['cross_entropy']:.3g}"),
        Claim.exact("A confidently wrong sigmoid neuron learns several times slower with "
                    "MSE than with cross-entropy.",
                    "steps until the output falls below 0.2, MSE / cross-entropy "
                    "(start w = b = 2, output 0.98, target 0)",
                    slowdown, direction=+1, margin=2.0,
                    evidence=f"MSE {steps('mse', 'saturated'):.0f} steps, cross-entropy "
                             f"{steps('binary_cross_entropy', 'saturated'):.0f} (η = {LR})"),
        Claim.from_samples("A softmax network on digits learns faster with cross-entropy "
                           "than with MSE at the same learning rate.",
                           f"test accuracy after {sizes['epochs']} epochs, cross-entropy − "
                           f"MSE (paired seeds)", paired, direction=+1, margin=0.02,
                           evidence=f"plain SGD, η = {DIGITS_LR}, hidden {HIDDEN} tanh"),
        Claim.exact("The engine's softmax Jacobian is note 003's p_i(δ_ik − p_k).",
                    "largest |engine − formula|", jac_error, direction=0, margin=1e-12,
                    evidence="from the engine's backward pass with each unit vector, at "
                             "note 003's logits and four times them"),
    ]
    summary = []
    for loss in ("mse", "cross_entropy"):
        acc, spread = mean_std(list(accuracy[loss].values()))
        summary.append({"loss_fn": loss, "test_accuracy": acc, "test_accuracy_std": spread,
                        "seeds": len(accuracy[loss])})
    formats = {"initial_output": ".3f", "initial_grad_w": ".3g", "test_accuracy": ".1%",
               "test_accuracy_std": ".1%"}
    return StudyResult(
        NAME, TITLE, {"quick": quick, "seed": seed, "steps": STEPS, "lr": LR,
                      "digits_lr": DIGITS_LR, "hidden": HIDDEN, **sizes},
        [Table("neuron", "One sigmoid neuron, x = 1, target 0: steps until it has learned",
               learned, formats=formats),
         Table("digits_summary", f"Digits, softmax output, after {sizes['epochs']} epochs",
               summary, formats=formats),
         Table("trajectories", "The neuron's output, loss and ∂E/∂w per step", trajectories,
               shown=False),
         Table("gradient", "∂E/∂z over z, target 1", gradient, shown=False),
         Table("jacobian", "Softmax Jacobian at note 003's logits (scale 1) and 4× them",
               jac, shown=False),
         Table("digits", "Digits: per-epoch curves", digits_rows, shown=False)],
        numbers={"MSE / cross-entropy steps (saturated start)": slowdown,
                 "MSE / cross-entropy |∂E/∂z| at z = −6": ratio},
        number_formats={"MSE / cross-entropy steps (saturated start)": ".1f",
                        "MSE / cross-entropy |∂E/∂z| at z = −6": ".2g"},
        claims=claims)


def _formulas() -> tuple[tuple[str, str], ...]:
    return (
        ("MSE through a sigmoid output: the slope σ′(z) stays in the gradient",
         m.math(m.row("E", "=", m.sup(m.row("(", "a", "−", "y", ")"), 2), ",",
                      m.partial("E", "z"), "=", 2, "(", "a", "−", "y", ")", "σ", "′", "(",
                      "z", ")"))),
        ("Cross-entropy through a sigmoid (or softmax) output: σ′ cancels",
         m.math(m.row("E", "=", "−", m.under("∑", "i"), m.sub("y", "i"), "log",
                      m.sub("a", "i"), ",", m.partial("E", m.sub("z", "i")), "=",
                      m.sub("a", "i"), "−", m.sub("y", "i")))),
        ("The softmax and its Jacobian (note 003)",
         m.math(m.row(m.sub("p", "i"), "=", m.frac(m.sup("e", m.sub("z", "i")),
                                                   m.row(m.under("∑", "j"),
                                                         m.sup("e", m.sub("z", "j")))),
                      ",", m.frac(m.row("∂", m.sub("p", "i")), m.row("∂", m.sub("z", "k"))),
                      "=", m.sub("p", "i"), "(", m.sub("δ", "ik"), "−", m.sub("p", "k"),
                      ")"))),
    )


STUDY = Study(NAME, TITLE, "lectures", LECTURE, plan, assemble, cites=("003", "004", "001"),
              formulas=_formulas())


run = STUDY.run  # run this study alone: run(quick=False, seed=0, jobs=1)


if __name__ == "__main__":
    from neuronlab.studies._runner import main

    raise SystemExit(main(NAME))
