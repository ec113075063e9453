"""Classic result (b): a deep sigmoid network with the old default initialization
(Glorot & Bengio 2010, figure 2).

Five sigmoid hidden layers initialized with U(-1/sqrt(n), 1/sqrt(n)) and trained by
plain SGD: a :class:`neuronlab.diagnostics.Monitor` records every layer's activations
and gradients every ``EVERY`` steps.  The top hidden layer is pushed towards 0
(its units switch off, the saturation Glorot & Bengio observed) while the lower
layers stay near 1/2, and the lower layers' weight gradients are orders of magnitude
smaller than the top's: they barely learn.  The same network with tanh + Glorot and
with ReLU + He trains.

Run alone: ``python -m neuronlab.studies.sigmoid_saturation [--quick]``.
"""

from __future__ import annotations

from typing import Any

from neuronlab import diagnostics
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

NAME = "sigmoid_saturation"
TITLE = "Deep sigmoid with the old default init: saturation and vanishing gradients"
LECTURE = (
    "A sigmoid's slope is at most 1/4, so the delta rule multiplies the error by at most "
    "1/4 per layer (times the weights, which the old default U(±1/√n) keeps small): "
    "the lower layers receive almost no gradient. Meanwhile the output layer learns "
    "fastest and finds it easiest to ignore the top hidden layer by driving it to 0, "
    "where sigmoid saturates — the lecture's 'neurons stuck at the extremes'. Zero-"
    "centred tanh with Glorot's scale, or ReLU with He's, avoid both."
)

DEPTH = 5
WIDTH = 128
CONFIGS = {"sigmoid": "legacy_uniform", "tanh": "glorot_uniform", "relu": "he_normal"}
SIZES = {False: {"epochs": 30, "seeds": 3}, True: {"epochs": 6, "seeds": 2}}
OPTIMIZER = {"optimizer": "sgd", "lr": 0.1, "batch_size": 10}
EVERY = 25
DATASET = "digits"
STAT_COLUMNS = ("epoch", "step", "layer", "activation", "act_mean", "act_std", "saturated",
                "dead", "grad_norm", "delta_norm")


def train_monitored(activation: str, init: str, epochs: int, seed: int) -> dict[str, Any]:
    """Train with a Monitor; its rows (a subset of columns) and the test accuracy."""
    monitor = diagnostics.Monitor(every=EVERY)
    _, out = _train.train(DATASET, [WIDTH] * DEPTH, activation, init, epochs=epochs,
                          seed=seed, callbacks=(monitor,), **OPTIMIZER)
    out["monitor"] = [{k: row[k] for k in STAT_COLUMNS} for row in monitor.table()]
    return out


def plan(quick: bool, seed: int) -> list[Run]:
    sizes = SIZES[quick]
    configs = {(act, rep): {"activation": act, "init": init, "epochs": sizes["epochs"]}
               for act, init in CONFIGS.items() for rep in range(sizes["seeds"])}
    return plan_runs(NAME, seed, train_monitored, configs, seed_key=lambda key: key[1:],
                     cost=lambda key: 0.1 * sizes["epochs"])


def assemble(outputs: dict[Key, Any], quick: bool, seed: int) -> StudyResult:
    monitor, runs = [], []
    for (act, rep), out in outputs.items():
        rows = out["monitor"]
        monitor.extend({"config": act, "seed": rep, **r} for r in rows)
        steps = sorted({r["step"] for r in rows})
        first = {r["layer"]: r for r in rows if r["step"] == steps[0]}
        last = {r["layer"]: r for r in rows if r["step"] == steps[-1]}
        runs.append({
            "activation": act, "init": CONFIGS[act], "seed": rep,
            "test_accuracy": out["test_accuracy"],
            "top_mean_start": first[DEPTH]["act_mean"], "top_mean_end": last[DEPTH]["act_mean"],
            "lower_mean_end": sum(last[k]["act_mean"] for k in range(1, DEPTH)) / (DEPTH - 1),
            "top_saturated_end": last[DEPTH]["saturated"],
            "top_std_end": last[DEPTH]["act_std"],
            "grad_ratio_first_top": first[1]["grad_norm"] / first[DEPTH]["grad_norm"],
            "grad_ratio_first_output": first[1]["grad_norm"] / first[DEPTH + 1]["grad_norm"],
            "time_s": out["time_s"]})
    summary = []
    for act, init in CONFIGS.items():
        mine = [r for r in runs if r["activation"] == act]
        row: dict[str, Any] = {"activation": act, "init": init}
        for column in ("test_accuracy", "top_mean_start", "top_mean_end", "lower_mean_end",
                       "top_std_end", "top_saturated_end", "grad_ratio_first_top",
                       "grad_ratio_first_output"):
            row[column], spread = mean_std([r[column] for r in mine])
            if column == "test_accuracy":
                row["test_accuracy_std"] = spread
        summary.append(row)
    by = {r["activation"]: r for r in summary}
    sig = by["sigmoid"]
    others = [by[a] for a in CONFIGS if a != "sigmoid"]
    epochs = SIZES[quick]["epochs"]
    claims = [
        Claim.boolean("With the old default init the top sigmoid hidden layer is driven towards 0 "
              "while the lower layers stay near 1/2.",
              sig["top_mean_end"] < 0.5 * sig["top_mean_start"]
              and sig["lower_mean_end"] > 0.4,
              f"top layer mean activation {sig['top_mean_start']:.2f} → "
              f"{sig['top_mean_end']:.2f} in {epochs} epochs; layers 1-{DEPTH - 1}: "
              f"{sig['lower_mean_end']:.2f}"),
        Claim.boolean("The lower layers get vanishing gradients (first/top hidden layer gradient "
              "ratio below 1e-3 at the start).",
              sig["grad_ratio_first_top"] < 1e-3,
              f"‖dW₁‖ / ‖dW₅‖ = {fmt(sig['grad_ratio_first_top'])}, ‖dW₁‖ / ‖dW_out‖ = "
              f"{fmt(sig['grad_ratio_first_output'])} (tanh + Glorot: "
              f"{fmt(by['tanh']['grad_ratio_first_top'])})"),
        Claim.boolean("tanh + Glorot and ReLU + He train where sigmoid + old default does not.",
              all(o["test_accuracy"] > 0.8 for o in others) and sig["test_accuracy"] < 0.5,
              "test accuracy " + ", ".join(f"{r['activation']} {r['test_accuracy']:.1%}"
                                           for r in summary)),
    ]
    notes = [f"The whole top layer moves together (std of its outputs "
             f"{fmt(sig['top_std_end'])} at the end). By the monitor's strict criterion "
             f"(slope ≤ 1% of its maximum on 90% of the samples) "
             f"{sig['top_saturated_end']:.0%} of its units are saturated: within "
             f"{epochs} epochs they are pushed towards 0 but not yet into the flat tail, "
             f"where σ' < 0.0025 (σ < 0.0025). Glorot & Bengio saw the same layer stay "
             f"there for about 100 epochs before slowly recovering."]
    formats = {c: ".3g" for c in ("top_mean_start", "top_mean_end", "lower_mean_end",
                                  "grad_ratio_first_top", "grad_ratio_first_output")}
    formats.update(test_accuracy=".1%", test_accuracy_std=".1%", top_saturated_end=".0%",
                   top_std_end=".3g",
                   time_s=".2f")
    return StudyResult(
        NAME, TITLE, {"quick": quick, "seed": seed, "depth": DEPTH, "width": WIDTH,
                      "dataset": DATASET, "monitor_every": EVERY, **SIZES[quick],
                      **OPTIMIZER},
        [Table("summary", "Mean over seeds", summary, formats=formats),
         Table("runs", "Every run", runs, formats=formats, timing=("time_s",)),
         Table("monitor", "Monitor rows (every layer, every interval)", monitor,
               shown=False)],
        numbers={"sigmoid: top layer mean activation at the end": sig["top_mean_end"],
                 "sigmoid: gradient ratio layer 1 / layer 5": sig["grad_ratio_first_top"],
                 "sigmoid: test accuracy": sig["test_accuracy"],
                 "tanh: test accuracy": by["tanh"]["test_accuracy"],
                 "relu: test accuracy": by["relu"]["test_accuracy"]},
        number_formats={"sigmoid: top layer mean activation at the end": ".3f",
                        "sigmoid: gradient ratio layer 1 / layer 5": ".2g",
                        **{f"{a}: test accuracy": ".1%" for a in CONFIGS}},
        claims=claims, notes=notes)


STUDY = Study(NAME, TITLE, "classics", LECTURE, plan, assemble, cites=("001", "004"))


run = STUDY.run  # run this study alone: run(quick=False, seed=0, jobs=1)


if __name__ == "__main__":
    from neuronlab.studies._runner import main

    raise SystemExit(main(NAME))
