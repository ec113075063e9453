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
from neuronlab.studies._core import (
    Claim,
    Key,
    Run,
    Study,
    StudyResult,
    Table,
    fmt,
    mean_std,
    plan_runs,
)

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
SIZES = {False: {"epochs": 60, "grid": 401, "seeds": 5},
         True: {"epochs": 25, "grid": 201, "seeds": 3}}
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


def linear_versus_relu(activation: str, epochs: int, grid: int, draw: bool,
                       seed: int) -> dict[str, Any]:
    """Train a deep MLP on circles; for the identity network, check the collapse.
    With ``draw``, also the decision map on a grid and the test points (the figure)."""
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
        out["relative_deviation_init"] = out["max_deviation_init"] / out["scale_init"]
    model, trained = _train.train(DATASET, hidden, activation, "glorot_uniform",
                                  epochs=epochs, seed=seed, **OPTIMIZER)
    out.update(test_accuracy=trained["test_accuracy"], epochs=trained["epochs"])
    # a grid over the data: the decision map of the figure, and where the trained
    # identity network is compared with its single linear map
    lo, hi = d.X_train.min(axis=0) - 0.3, d.X_train.max(axis=0) + 0.3
    g1, g2 = np.meshgrid(np.linspace(lo[0], hi[0], grid // 4 + 1),
                         np.linspace(lo[1], hi[1], grid // 4 + 1))
    points = np.column_stack([g1.ravel(), g2.ravel()])
    if activation == "identity":  # trained in float32: the collapse holds to rounding
        logits = Sequential(model.layers[:-1], model.dtype).forward(points)
        W, b = collapse(model)
        out["max_deviation_trained"] = float(np.max(np.abs(logits - (points @ W + b))))
    if draw:
        p = model.predict(points)[:, 1]
        out["decision"] = [{"x1": a, "x2": c, "p1": q}
                           for a, c, q in zip(*points.T, p, strict=True)]
        out["points"] = [{"x1": a, "x2": c, "y": int(t)}
                         for (a, c), t in zip(d.X_test, d.y_test, strict=True)]
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
    # the same seed for both activations: paired comparisons (same data, same draws)
    runs = plan_runs(NAME, seed, linear_versus_relu,
                     {("circles", act, rep): {"activation": act, "epochs": sizes["epochs"],
                                              "grid": sizes["grid"], "draw": rep == 0}
                      for act in ("identity", "relu") for rep in range(sizes["seeds"])},
                     seed_key=lambda key: (key[0], key[2]),
                     cost=lambda key: 0.03 * sizes["epochs"])
    runs += plan_runs(NAME, seed, steps, {("steps",): {"grid": sizes["grid"]}},
                      cost=lambda key: 0.05)
    return runs


def assemble(outputs: dict[Key, Any], quick: bool, seed: int) -> StudyResult:
    reps = range(SIZES[quick]["seeds"])
    lin, relu = outputs[("circles", "identity", 0)], outputs[("circles", "relu", 0)]
    runs = [{"network": act, "seed": rep,
             "test_accuracy": outputs[("circles", act, rep)]["test_accuracy"],
             "relative_deviation_init":
                 outputs[("circles", act, rep)].get("relative_deviation_init"),
             "max_deviation_trained":
                 outputs[("circles", act, rep)].get("max_deviation_trained")}
            for act in ("identity", "relu") for rep in reps]

    def accuracies(act: str) -> list[float]:
        return [r["test_accuracy"] for r in runs if r["network"] == act]

    summary = []
    for act, label in (("identity", f"{DEPTH} identity layers"), ("relu", f"{DEPTH} ReLU layers")):
        acc, acc_sd = mean_std(accuracies(act))
        summary.append({"network": label, "test_accuracy": acc, "test_accuracy_std": acc_sd,
                        "seeds": len(reps),
                        "relative_deviation_init": max(
                            (r["relative_deviation_init"] for r in runs
                             if r["network"] == act), default=None) if act == "identity"
                        else None})
    decision = [{"network": act, **row} for act, out in (("identity", lin), ("relu", relu))
                for row in out["decision"]]
    curves = [{"network": act, "seed": rep, **row} for act in ("identity", "relu")
              for rep in reps for row in outputs[("circles", act, rep)]["epochs"]]
    st = outputs[("steps",)]
    errors = st["errors"]
    deviations = [r["relative_deviation_init"] for r in runs if r["network"] == "identity"]
    gap = [r - i for r, i in zip(accuracies("relu"), accuracies("identity"), strict=True)]
    n = np.log([e["steps"] for e in errors])
    exponent = float(np.polyfit(n, np.log([e["max_error"] for e in errors]), 1)[0])
    claims = [
        Claim.from_samples(
            f"A deep network ({DEPTH} layers) with identity activations equals one linear "
            f"map (the product of its weights reproduces it).",
            "max |f(X) − (X W + b)| / max |X W + b| at initialization (float64)",
            deviations, direction=0, margin=1e-10,
            evidence=f"largest relative deviation {max(deviations):.2g} over "
                     f"{len(deviations)} networks; after training in float32 (seed 0): "
                     f"max |f(X) − (X W + b)| = {fmt(lin['max_deviation_trained'])}"),
        Claim.from_samples(
            "… so it cannot fit two circles, which ReLUs separate.",
            "test accuracy, ReLU − identity network (paired: same data and seed)", gap,
            direction=+1, margin=0.2,
            evidence=f"test accuracy {np.mean(accuracies('identity')):.1%} (identity) vs "
                     f"{np.mean(accuracies('relu')):.1%} (ReLU), mean over "
                     f"{len(gap)} seeds"),
        Claim.exact(
            "Two ReLUs make a step; sums of n steps approximate a function with an error "
            "that falls like 1/n.",
            f"exponent p of max error ∝ n^p (least squares on log-log over n = "
            f"{', '.join(str(e['steps']) for e in errors)})", exponent,
            direction=-1, margin=0.5,
            evidence="max error " + ", ".join(f"{e['max_error']:.3f} with {e['steps']} steps"
                                              for e in errors)
                     + "; hand-set weights, no randomness"),
    ]
    formats = {"test_accuracy": ".1%", "test_accuracy_std": ".1%",
               "relative_deviation_init": ".2e", "max_deviation_trained": ".2e",
               "max_error": ".4f"}
    return StudyResult(
        NAME, TITLE, {"quick": quick, "seed": seed, "depth": DEPTH, "width": WIDTH,
                      "dataset": DATASET, "steepness": list(STEEPNESS), "towers": list(TOWERS),
                      **SIZES[quick], **OPTIMIZER},
        [Table("collapse", "Deep identity network vs deep ReLU network on two circles (mean "
               "± std over seeds; deviation: the largest over seeds)", summary,
               formats=formats),
         Table("runs", "Every run", runs, formats=formats, shown=False),
         Table("approximation", "Sum of two-ReLU steps approximating sin(2πx) + x/2",
               errors, formats=formats),
         Table("decision", "Predicted probability of the inner circle on a grid (seed 0)",
               decision,
               shown=False),
         Table("points", "The test points of two circles", relu["points"], shown=False),
         Table("curves", "Per-epoch loss and accuracy", curves, shown=False),
         Table("steps", "Step and approximation curves", st["curves"], shown=False)],
        numbers={"identity net: relative deviation from one linear map": max(deviations),
                 "identity net: circles test accuracy (mean over seeds)":
                     summary[0]["test_accuracy"],
                 "ReLU net: circles test accuracy (mean over seeds)":
                     summary[1]["test_accuracy"]},
        number_formats={"identity net: relative deviation from one linear map": ".1e",
                        "identity net: circles test accuracy (mean over seeds)": ".1%",
                        "ReLU net: circles test accuracy (mean over seeds)": ".1%"},
        claims=claims)


STUDY = Study(NAME, TITLE, "classics", LECTURE, plan, assemble, cites=("001",))


run = STUDY.run  # run this study alone: run(quick=False, seed=0, jobs=1)


if __name__ == "__main__":
    from neuronlab.studies._runner import main

    raise SystemExit(main(NAME))
