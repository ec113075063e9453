"""Classic result (d): dying ReLU.  The fraction of dead units after training rises with
the learning rate; leaky ReLU has none; the bias initialization barely matters here.

A ReLU MLP (3 hidden layers, He normal) is trained on digits with Adam at several
learning rates.  After training, :func:`neuronlab.diagnostics.layer_statistics` on
the training set counts the *dead* units: zero output and zero gradient for every
training sample, so no update can ever revive them.  The same runs with leaky ReLU
(slope 0.01 for z < 0) and with the biases initialized to 0.01 or 0.1 instead of 0
(the lecture's advice) are compared.  ``saturated`` counts the units that are off
(slope at most 1% of the maximum) on at least 90% of the samples: for leaky ReLU
these are alive but nearly inactive units, which can still recover.

Run alone: ``python -m neuronlab.studies.dying_relu [--quick]``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from neuronlab import diagnostics
from neuronlab.studies import _train
from neuronlab.studies._core import Claim, Key, Run, Study, StudyResult, Table, mean_std, plan_runs

NAME = "dying_relu"
TITLE = "Dying ReLU: dead units grow with the learning rate"
LECTURE = (
    "A ReLU unit whose pre-activation is negative for every input outputs 0 and has "
    "g'(z) = 0, so its weights and bias never receive a gradient again: it is dead for "
    "the rest of training. A large update (a high learning rate) can throw a unit's "
    "bias far negative in one step. The lecture's remedies: a smaller learning rate, "
    "a small positive bias at initialization (0.01) so units start active, or a leaky "
    "ReLU whose slope α for z < 0 keeps the gradient flowing."
)

HIDDEN = [128, 128, 128]
DATASET = "digits"
#: key -> (activation, bias_init)
CONFIGS = {"relu": ("relu", 0.0), "relu_bias_0.01": ("relu", 0.01),
           "relu_bias_0.1": ("relu", 0.1), "leaky_relu": ("leaky_relu", 0.0)}
SIZES = {False: {"lrs": (0.001, 0.003, 0.01, 0.03, 0.1), "epochs": 5, "seeds": 5},
         True: {"lrs": (0.001, 0.01, 0.1), "epochs": 2, "seeds": 2}}
OPTIMIZER = {"optimizer": "adam", "batch_size": 32}


def _fractions(rows: list[dict[str, Any]]) -> dict[str, float]:
    hidden = rows[:-1]  # the last row is the output layer
    units = sum(r["units"] for r in hidden)
    return {key: sum(r[key] * r["units"] for r in hidden) / units
            for key in ("dead", "saturated")}


def train_and_count(activation: str, bias_init: float, lr: float, epochs: int,
                    seed: int) -> dict[str, Any]:
    """Dead and saturated fractions of the hidden units before and after training."""
    d = _train.dataset(DATASET)
    before: dict[str, float] = {}

    def at_start(model: Any) -> None:
        before.update(_fractions(diagnostics.layer_statistics(model, d.X_train)))

    model, out = _train.train(DATASET, HIDDEN, activation, "he_normal", lr=lr, epochs=epochs,
                              seed=seed, bias_init=bias_init,
                              callbacks=(_train.AtStart(at_start),), **OPTIMIZER)
    with np.errstate(over="ignore", invalid="ignore"):
        after = _fractions(diagnostics.layer_statistics(model, d.X_train))
    return {"dead_before": before["dead"], "dead": after["dead"],
            "saturated": after["saturated"], "test_accuracy": out["test_accuracy"],
            "stop_reason": out["stop_reason"]}


def plan(quick: bool, seed: int) -> list[Run]:
    sizes = SIZES[quick]
    configs = {(name, lr, rep): {"activation": act, "bias_init": bias, "lr": lr,
                                 "epochs": sizes["epochs"]}
               for name, (act, bias) in CONFIGS.items() for lr in sizes["lrs"]
               for rep in range(sizes["seeds"])}
    # the same seed for every configuration and learning rate: paired comparisons
    return plan_runs(NAME, seed, train_and_count, configs, seed_key=lambda key: key[2:],
                     cost=lambda key: 0.05 * sizes["epochs"])


def assemble(outputs: dict[Key, Any], quick: bool, seed: int) -> StudyResult:
    runs = [{"config": name, "activation": CONFIGS[name][0], "bias_init": CONFIGS[name][1],
             "lr": lr, "seed": rep, **out} for (name, lr, rep), out in outputs.items()]
    summary = []
    for name in CONFIGS:
        for lr in SIZES[quick]["lrs"]:
            mine = [r for r in runs if r["config"] == name and r["lr"] == lr]
            dead, dead_sd = mean_std([r["dead"] for r in mine])
            summary.append({"config": name, "lr": lr, "dead": dead, "dead_std": dead_sd,
                            "dead_before": mean_std([r["dead_before"] for r in mine])[0],
                            "saturated": mean_std([r["saturated"] for r in mine])[0],
                            "test_accuracy": mean_std([r["test_accuracy"] for r in mine])[0]})

    def curve(name: str, column: str = "dead") -> list[float]:
        return [r[column] for r in summary if r["config"] == name]

    lrs = SIZES[quick]["lrs"]
    relu, leaky = curve("relu"), curve("leaky_relu")
    bias01, bias1 = curve("relu_bias_0.01"), curve("relu_bias_0.1")
    increasing = all(b > a for a, b in zip(relu, relu[1:], strict=False))
    pairs = ", ".join(f"{lr:g}: {v:.0%}" for lr, v in zip(lrs, relu, strict=True))
    claims = [
        Claim.boolean("The fraction of dead ReLU units after training rises with the learning rate.",  # noqa: E501 (transitional)
              increasing, f"dead fraction by learning rate (Adam) — {pairs}"),
        Claim.boolean("Leaky ReLU has fewer dead units (none: its gradient never vanishes).",
              all(lk < r for lk, r in zip(leaky, relu, strict=True) if r > 0),
              f"leaky ReLU dead fraction {max(leaky):.0%} at every learning rate; "
              f"nearly inactive (saturated) units at lr {lrs[-1]:g}: "
              f"{curve('leaky_relu', 'saturated')[-1]:.0%}, which can still recover"),
        Claim.boolean("A small positive bias at initialization (0.01) lowers the dead fraction.",
              sum(bias01) < sum(relu),
              "dead fraction with bias 0 / 0.01 / 0.1 at each learning rate: "
              + "; ".join(f"{a:.0%} / {b:.0%} / {c:.0%}"
                          for a, b, c in zip(relu, bias01, bias1, strict=True))
              + " — next to a pre-activation of std ≈ 1 a bias of 0.01 hardly moves a "
                "unit"),
    ]
    at_init = mean_std([r["dead_before"] for r in runs if r["config"] == "relu"])[0]
    notes = [f"Already before training {at_init:.1%} of the ReLU units are dead: the digits' "
             f"pixels are never negative, so a unit whose weights on the inked pixels are "
             f"mostly negative never fires. Higher learning rates then kill many more."]
    formats = {"dead": ".1%", "dead_std": ".1%", "dead_before": ".1%", "saturated": ".1%",
               "test_accuracy": ".1%", "lr": "g"}
    return StudyResult(
        NAME, TITLE, {"quick": quick, "seed": seed, "hidden": HIDDEN, "dataset": DATASET,
                      "init": "he_normal", **SIZES[quick], **OPTIMIZER},
        [Table("summary", "Hidden units dead after training (mean over seeds)", summary,
               formats=formats),
         Table("runs", "Every run", runs, shown=False)],
        numbers={f"ReLU dead fraction at lr {lrs[0]:g}": relu[0],
                 f"ReLU dead fraction at lr {lrs[-1]:g}": relu[-1],
                 f"leaky ReLU dead fraction at lr {lrs[-1]:g}": leaky[-1]},
        number_formats={f"ReLU dead fraction at lr {lrs[0]:g}": ".0%",
                        f"ReLU dead fraction at lr {lrs[-1]:g}": ".0%",
                        f"leaky ReLU dead fraction at lr {lrs[-1]:g}": ".0%"},
        claims=claims, notes=notes)


STUDY = Study(NAME, TITLE, "classics", LECTURE, plan, assemble, cites=("001",))


run = STUDY.run  # run this study alone: run(quick=False, seed=0, jobs=1)


if __name__ == "__main__":
    from neuronlab.studies._runner import main

    raise SystemExit(main(NAME))
