"""Classic result (f): without a non-linearity depth buys nothing; with two ReLUs you get a
step, and with steps any function (the lecture's universal-approximation picture).

Part 1 — collapse.  A deep MLP with identity activations computes
``((X W1 + b1) W2 + b2) ... = X W + b`` with ``W = W1 W2 ... WL`` and
``b = b1 W2...WL + ... + bL``: one linear map.  The product of its weights is
computed and compared with the network's output (float64), at initialization and
after training on two circles, where the deep linear network cannot beat a straight
line while the same network with ReLUs separates the circles.

Part 2 — steps.  ``relu(k (x - c)) - relu(k (x - c) - 1)`` is 0 left of c, 1 right of
c + 1/k, and a ramp in between: a step as k grows, built as a 1-2-1 ReLU MLP with
hand-set weights.  Summing n such steps (a 1-2n-1 network) approximates a function,
with an error that falls like 1/n.

Run alone: ``python -m neuronlab.studies.linear_collapse [--quick]``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from neuronlab.layers import Dense
from neuronlab.network import MLP, Sequential
from neuronlab.studies import _train
from neuronlab.studies._core import Claim, Key, Run, Study, StudyResult, Table, fmt, plan_runs

NAME = "linear_collapse"
TITLE = "Identity activations collapse to one linear map; two ReLUs make a step"
LECTURE = (
    "Replace every sigmoid by the identity and each layer is W h + b: a composition of "
    "linear maps is linear, so however deep, the network draws a straight line and "
    "cannot separate two concentric circles. The non-linearity is what gives depth its "
    "power. And very little non-linearity suffices: the difference of two ReLUs is a "
    "step, two steps make a tower, and a sum of towers approximates any continuous "
    "function — the illustrative proof of the universal approximation theorem."
)

DEPTH = 8
WIDTH = 16
DATASET = "circles"
STEEPNESS = (1.0, 4.0, 32.0)
TOWERS = (4, 16, 64)
SIZES = {False: {"epochs": 60, "grid": 401}, True: {"epochs": 25, "grid": 201}}
OPTIMIZER = {"optimizer": "adam", "lr": 0.01, "batch_size": 32}


def target(x: np.ndarray) -> np.ndarray:
    """The function the steps approximate."""
    return np.sin(2 * np.pi * x) + 0.5 * x


def collapse(model: Sequential) -> tuple[np.ndarray, np.ndarray]:
    """``(W, b)`` of the single affine map an all-linear network computes."""
    dense = [layer for layer in model.layers if isinstance(layer, Dense)]
    W = np.eye(dense[0].fan_in)
    b = np.zeros(dense[0].fan_in)
    for layer in dense:
        W = W @ layer.W.value
        b = b @ layer.W.value + layer.b.value
    return W, b


def linear_versus_relu(activation: str, epochs: int, grid: int, seed: int) -> dict[str, Any]:
    """Train a deep MLP on circles; for the identity network, check the collapse."""
    d = _train.dataset(DATASET)
    hidden = [WIDTH] * DEPTH
    out: dict[str, Any] = {}
    if activation == "identity":
        probe = MLP([2, *hidden, 2], activation="identity", output=None, bias_init=0.1,
                    dtype=np.float64, seed=seed)
        X = np.random.default_rng(seed).standard_normal((1000, 2))
        W, b = collapse(probe)
        out["max_deviation_init"] = float(np.max(np.abs(probe.forward(X) - (X @ W + b))))
        out["scale_init"] = float(np.max(np.abs(X @ W + b)))
    model, trained = _train.train(DATASET, hidden, activation, "glorot_uniform",
                                  epochs=epochs, seed=seed, **OPTIMIZER)
    out.update(test_accuracy=trained["test_accuracy"], epochs=trained["epochs"])
    # the decision map on a grid over the data, for the figure
    lo, hi = d.X_train.min(axis=0) - 0.3, d.X_train.max(axis=0) + 0.3
    g1, g2 = np.meshgrid(np.linspace(lo[0], hi[0], grid // 4 + 1),
                         np.linspace(lo[1], hi[1], grid // 4 + 1))
    points = np.column_stack([g1.ravel(), g2.ravel()])
    p = model.predict(points)[:, 1]
    out["decision"] = [{"x1": a, "x2": c, "p1": q} for a, c, q in zip(*points.T, p, strict=True)]
    out["points"] = [{"x1": a, "x2": c, "y": int(t)}
                     for (a, c), t in zip(d.X_test, d.y_test, strict=True)]
    if activation == "identity":  # trained in float32: the collapse holds to rounding
        logits = Sequential(model.layers[:-1], model.dtype).forward(points)
        W, b = collapse(model)
        out["max_deviation_trained"] = float(np.max(np.abs(logits - (points @ W + b))))
    return out


def steps(grid: int, seed: int) -> dict[str, Any]:
    """Two-ReLU steps of growing steepness, and sums of steps approximating ``target``."""
    x = np.linspace(0.0, 1.0, grid)
    curves, errors = [], []
    for k in STEEPNESS:
        net = MLP([1, 2, 1], activation="relu", output=None, dtype=np.float64)
        first, second = (layer for layer in net.layers if isinstance(layer, Dense))
        c = 0.5 - 0.5 / k  # centre the ramp on 0.5
        first.W.value[...] = [[k, k]]
        first.b.value[...] = [-k * c, -k * c - 1]
        second.W.value[...] = [[1.0], [-1.0]]
        second.b.value[...] = 0.0
        y = net.forward(x[:, None])[:, 0]
        curves.extend({"kind": f"step k={k:g}", "x": a, "y": b} for a, b in zip(x, y, strict=True))
    for n in TOWERS:
        knots = np.linspace(0.0, 1.0, n + 1)
        k = 4.0 * n  # each ramp a quarter of the knot spacing
        heights = np.diff(target(knots))
        net = MLP([1, 2 * n, 1], activation="relu", output=None, dtype=np.float64)
        first, second = (layer for layer in net.layers if isinstance(layer, Dense))
        starts = knots[:-1]
        first.W.value[...] = k
        first.b.value[...] = np.ravel(np.column_stack([-k * starts, -k * starts - 1]))
        second.W.value[...] = np.ravel(np.column_stack([heights, -heights]))[:, None]
        second.b.value[...] = target(knots[:1])
        y = net.forward(x[:, None])[:, 0]
        curves.extend({"kind": f"{n} steps", "x": a, "y": b} for a, b in zip(x, y, strict=True))
        errors.append({"steps": n, "relu_units": 2 * n,
                       "max_error": float(np.max(np.abs(y - target(x))))})
    curves.extend({"kind": "target", "x": a, "y": b} for a, b in zip(x, target(x), strict=True))
    return {"curves": curves, "errors": errors}


def plan(quick: bool, seed: int) -> list[Run]:
    sizes = SIZES[quick]
    runs = plan_runs(NAME, seed, linear_versus_relu,
                     {("circles", act): {"activation": act, "epochs": sizes["epochs"],
                                         "grid": sizes["grid"]}
                      for act in ("identity", "relu")},
                     seed_key=lambda key: key[:1], cost=lambda key: 0.03 * sizes["epochs"])
    runs += plan_runs(NAME, seed, steps, {("steps",): {"grid": sizes["grid"]}},
                      cost=lambda key: 0.05)
    return runs


def assemble(outputs: dict[Key, Any], quick: bool, seed: int) -> StudyResult:
    lin, relu = outputs[("circles", "identity")], outputs[("circles", "relu")]
    summary = [
        {"network": f"{DEPTH} identity layers", "test_accuracy": lin["test_accuracy"],
         "max_deviation_init": lin["max_deviation_init"],
         "max_deviation_trained": lin["max_deviation_trained"]},
        {"network": f"{DEPTH} ReLU layers", "test_accuracy": relu["test_accuracy"],
         "max_deviation_init": None, "max_deviation_trained": None}]
    decision = [{"network": act, **row} for act, out in (("identity", lin), ("relu", relu))
                for row in out["decision"]]
    curves = [{"network": act, **row} for act, out in (("identity", lin), ("relu", relu))
              for row in out["epochs"]]
    st = outputs[("steps",)]
    errors = st["errors"]
    claims = [
        Claim.boolean(f"A deep network ({DEPTH} layers) with identity activations equals one linear "  # noqa: E501 (transitional)
              f"map (the product of its weights reproduces it).",
              lin["max_deviation_init"] < 1e-10,
              f"max |f(X) − (X W + b)| = {fmt(lin['max_deviation_init'])} in float64 (outputs "
              f"up to {lin['scale_init']:.2g}); after training in float32: "
              f"{fmt(lin['max_deviation_trained'])}"),
        Claim.boolean("… so it cannot fit two circles, which ReLUs separate.",
              lin["test_accuracy"] < 0.7 and relu["test_accuracy"] > 0.9,
              f"test accuracy {lin['test_accuracy']:.1%} (identity) vs "
              f"{relu['test_accuracy']:.1%} (ReLU)"),
        Claim.boolean("Two ReLUs make a step; sums of steps approximate a function with an error "
              "that shrinks as steps are added.",
              all(b["max_error"] < a["max_error"] for a, b in zip(errors, errors[1:],
                                                                  strict=False)),
              "max error " + ", ".join(f"{e['max_error']:.3f} with {e['steps']} steps"
                                       for e in errors)),
    ]
    formats = {"test_accuracy": ".1%", "max_deviation_init": ".2e",
               "max_deviation_trained": ".2e", "max_error": ".4f"}
    return StudyResult(
        NAME, TITLE, {"quick": quick, "seed": seed, "depth": DEPTH, "width": WIDTH,
                      "dataset": DATASET, "steepness": list(STEEPNESS), "towers": list(TOWERS),
                      **SIZES[quick], **OPTIMIZER},
        [Table("collapse", "Deep identity network vs deep ReLU network on two circles",
               summary, formats=formats),
         Table("approximation", "Sum of two-ReLU steps approximating sin(2πx) + x/2",
               errors, formats=formats),
         Table("decision", "Predicted probability of the inner circle on a grid", decision,
               shown=False),
         Table("points", "The test points of two circles", relu["points"], shown=False),
         Table("curves", "Per-epoch loss and accuracy", curves, shown=False),
         Table("steps", "Step and approximation curves", st["curves"], shown=False)],
        numbers={"identity net: max deviation from one linear map": lin["max_deviation_init"],
                 "identity net: circles test accuracy": lin["test_accuracy"],
                 "ReLU net: circles test accuracy": relu["test_accuracy"]},
        number_formats={"identity net: max deviation from one linear map": ".1e",
                        "identity net: circles test accuracy": ".1%",
                        "ReLU net: circles test accuracy": ".1%"},
        claims=claims)


STUDY = Study(NAME, TITLE, "classics", LECTURE, plan, assemble, cites=("001",))


run = STUDY.run  # run this study alone: run(quick=False, seed=0, jobs=1)


if __name__ == "__main__":
    from neuronlab.studies._runner import main

    raise SystemExit(main(NAME))
