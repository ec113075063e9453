"""Training dynamics per layer: what a practitioner watches while a network trains.

Four small networks on digits, each watched by :class:`neuronlab.diagnostics.Monitor`
every few steps: a healthy one (ReLU + He, SGD with momentum), the same with Adam at a
learning rate ten times too large, and sigmoid networks with the old N(0, 1) weights
and with Glorot's.
Over training, per layer: histograms of the activations (the Monitor's) and of the
weight gradients' magnitudes (a small callback reading each ``W.grad``), the update /
weight ratio ‖ΔW‖/‖W‖ against the 1e-3 rule of thumb, the weight-gradient norm, and
the fractions of saturated and dead units.

Run alone: ``python -m neuronlab.studies.dynamics [--quick]``.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from neuronlab import _mathml as m
from neuronlab import diagnostics, init
from neuronlab.layers import Dense
from neuronlab.studies import _train
from neuronlab.studies._core import Claim, Key, Run, Study, StudyResult, Table, plan_runs
from neuronlab.train import Callback

NAME = "dynamics"
TITLE = "Training dynamics per layer: histograms, update ratios, dead and saturated units"
LECTURE = (
    "The lectures explain why training fails — saturated sigmoids pass no gradient "
    "(notes 001 and 004), ReLUs die when the learning rate is too high (note 001: "
    "'as high as 50% of the ReLU units can die'), and each weight moves by η times its "
    "gradient (note 004). Practitioners watch these while a network trains: each layer's "
    "activation and gradient distributions, the size of each update relative to the "
    "weights (about 1e-3 per step is the usual rule of thumb; far above, the weights are "
    "thrown around; far below, they barely learn), and the fraction of dead and "
    "saturated units. Here the engine's Monitor records them on four networks."
)

CONFIGS = {
    "relu + He, SGD": {"activation": "relu", "init": "he_normal", "optimizer": "sgd",
                       "lr": 0.01, "momentum": 0.9},
    "relu + He, Adam lr too large": {"activation": "relu", "init": "he_normal",
                                     "optimizer": "adam", "lr": 0.03},
    "sigmoid + N(0, 1)": {"activation": "sigmoid", "init": "normal_1", "optimizer": "sgd",
                          "lr": 0.01, "momentum": 0.9},
    "sigmoid + Glorot": {"activation": "sigmoid", "init": "glorot_uniform", "optimizer": "sgd",
                         "lr": 0.01, "momentum": 0.9},
}
WIDTH, DEPTH, EVERY = 64, 4, 15
GRAD_BINS = np.linspace(-10, 1, 23)  # log10 |dW| bins
#: ``--quick`` has five seeds (a run costs ~0.1 s): with three, the saturation claim's
#: interval cleared its margin by only 0.2 half-widths
SIZES = {False: {"seeds": 4, "epochs": 6}, True: {"seeds": 5, "epochs": 3}}
GUIDE = 1e-3


class GradientHistograms(Callback):
    """Histogram of ``log10 |∂J/∂W|`` of every Dense layer, every ``every`` steps (read from
    the public ``W.grad`` after each backward pass)."""

    def __init__(self, every: int) -> None:
        self.every, self.step, self.rows = every, 0, []

    def on_step_end(self, trainer: Any, epoch: int, batch: int) -> None:
        self.step += 1
        if self.step % self.every:
            return
        dense = [layer for layer in trainer.model.layers if isinstance(layer, Dense)]
        for number, layer in enumerate(dense, start=1):
            with np.errstate(divide="ignore"):
                values = np.log10(np.abs(layer.W.grad.astype(np.float64)))
            counts, _ = np.histogram(np.clip(values, GRAD_BINS[0], GRAD_BINS[-1]), GRAD_BINS)
            self.rows.append({"step": self.step, "layer": number,
                              "counts": counts.tolist()})


def _initializer(name: str) -> Any:
    return init.Normal(0.0, 1.0) if name == "normal_1" else name


def watch(config: str, epochs: int, seed: int) -> dict[str, Any]:
    """Train one configuration with the Monitor and the gradient histograms."""
    spec = dict(CONFIGS[config])
    monitor = diagnostics.Monitor(every=EVERY)
    grads = GradientHistograms(EVERY)
    _, out = _train.train("digits", [WIDTH] * DEPTH, spec.pop("activation"),
                          _initializer(spec.pop("init")), epochs=epochs, batch_size=32,
                          seed=seed, callbacks=(monitor, grads), **spec)
    keep = ("step", "epoch", "layer", "act_mean", "act_std", "grad_norm", "delta_norm",
            "update_ratio", "saturated", "dead", "hist_edges", "hist_counts", "weight_norm")
    out["monitor"] = [{k: row[k] for k in keep} for row in monitor.table()]
    out["gradients"] = grads.rows
    return out


def plan(quick: bool, seed: int) -> list[Run]:
    sizes = SIZES[quick]
    configs = {(config, rep): {"config": config, "epochs": sizes["epochs"]}
               for config in CONFIGS for rep in range(sizes["seeds"])}
    return plan_runs(NAME, seed, watch, configs, seed_key=lambda key: key[1:],
                     cost=lambda key: 0.1 * sizes["epochs"])


def _log_ratio(rows: list[dict[str, Any]]) -> float:
    """Mean over hidden layers and intervals of log10 update ratio (finite, positive)."""
    values = [math.log10(r["update_ratio"]) for r in rows
              if r["layer"] <= DEPTH and r["update_ratio"] is not None
              and math.isfinite(r["update_ratio"]) and r["update_ratio"] > 0]
    return float(np.mean(values)) if values else math.nan


def _last_interval(rows: list[dict[str, Any]], column: str) -> float:
    last = max(r["step"] for r in rows)
    return float(np.mean([r[column] for r in rows
                          if r["step"] == last and r["layer"] <= DEPTH
                          and r[column] is not None]))


def assemble(outputs: dict[Key, Any], quick: bool, seed: int) -> StudyResult:
    sizes = SIZES[quick]
    monitor, gradients, runs = [], [], []
    for (config, rep), out in outputs.items():
        for row in out["monitor"]:
            monitor.append({"config": config, "seed": rep,
                            **{k: v for k, v in row.items() if not k.startswith("hist_")}})
        if rep == 0:
            gradients += [{"config": config, "kind": "gradient", "step": r["step"],
                           "layer": r["layer"], "edges": GRAD_BINS.tolist(),
                           "counts": r["counts"]} for r in out["gradients"]]
            gradients += [{"config": config, "kind": "activation", "step": r["step"],
                           "layer": r["layer"], "edges": r["hist_edges"],
                           "counts": r["hist_counts"]} for r in out["monitor"]]
        runs.append({"config": config, "seed": rep, "test_accuracy": out["test_accuracy"],
                     "log10_update_ratio": _log_ratio(out["monitor"]),
                     "dead_at_end": _last_interval(out["monitor"], "dead"),
                     "saturated_at_end": _last_interval(out["monitor"], "saturated"),
                     "stop_reason": out["stop_reason"]})
    by = {(r["config"], r["seed"]): r for r in runs}
    reps = sorted({r["seed"] for r in runs})
    healthy, fast, sigmoid, sigmoid_glorot = CONFIGS
    claims = [
        Claim.from_samples("In a healthy run the update / weight ratio sits near the 1e-3 "
                           "rule of thumb.",
                           f"mean log10 ‖ΔW‖/‖W‖ over layers and training, plus 3 ({healthy})",
                           [by[(healthy, k)]["log10_update_ratio"] + 3 for k in reps],
                           direction=0, margin=1.0,
                           evidence="0 is exactly 1e-3; within ±1 is 1e-4 to 1e-2"),
        Claim.from_samples("A learning rate far too large shows as updates several times "
                           "larger relative to the weights.",
                           f"log10 update ratio, {fast} − {healthy} (paired seeds)",
                           [by[(fast, k)]["log10_update_ratio"]
                            - by[(healthy, k)]["log10_update_ratio"] for k in reps],
                           direction=+1, margin=0.5,
                           evidence="0.5 means about three times larger updates, 1 ten times"),
        Claim.from_samples("... and its ReLUs die during training (note 001).",
                           f"fraction of dead hidden units at the end, {fast} − {healthy}",
                           [by[(fast, k)]["dead_at_end"] - by[(healthy, k)]["dead_at_end"]
                            for k in reps], direction=+1, margin=0.05,
                           evidence="dead: zero output and zero gradient on every sample of "
                                    "the last interval"),
        Claim.from_samples("Sigmoid units with N(0, 1) weights saturate and stay saturated "
                           "(notes 001, 004).",
                           f"fraction of saturated hidden units at the end, {sigmoid} − "
                           f"{sigmoid_glorot}",
                           [by[(sigmoid, k)]["saturated_at_end"]
                            - by[(sigmoid_glorot, k)]["saturated_at_end"] for k in reps],
                           direction=+1, margin=0.03,
                           evidence="saturated: |g′(z)| ≤ 1% of its maximum on ≥ 90% of the "
                                    "samples"),
    ]
    formats = {"test_accuracy": ".1%", "log10_update_ratio": ".2f", "dead_at_end": ".1%",
               "saturated_at_end": ".1%"}
    return StudyResult(
        NAME, TITLE, {"quick": quick, "seed": seed, "width": WIDTH, "depth": DEPTH,
                      "every": EVERY, "configs": CONFIGS, **sizes},
        [Table("runs", "Every run: accuracy, mean update ratio, dead and saturated units at "
                       "the end", runs, formats=formats),
         Table("monitor", "The Monitor's rows (every 15 steps, every layer)", monitor,
               shown=False),
         Table("histograms", "Histograms of activations and of log10 |∂J/∂W| per layer "
                             "over training (first seed)", gradients, shown=False)],
        numbers={"update-ratio guide": GUIDE}, number_formats={"update-ratio guide": ".0e"},
        claims=claims)


STUDY = Study(NAME, TITLE, "lectures", LECTURE, plan, assemble, cites=("001", "004"),
              formulas=(("The update / weight ratio watched per layer",
                         m.math(m.row(m.frac(m.row("‖", "Δ", "W", "‖"),
                                             m.row("‖", "W", "‖")), "=",
                                      m.frac(m.row("η", "‖", "∂", "J", "/", "∂", "W", "‖"),
                                             m.row("‖", "W", "‖")), "≈",
                                      m.sup(10, m.row("−", 3))))),))


run = STUDY.run  # run this study alone: run(quick=False, seed=0, jobs=1)


if __name__ == "__main__":
    from neuronlab.studies._runner import main

    raise SystemExit(main(NAME))
