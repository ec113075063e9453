"""Study 3, training comparison: each activation with its recommended initializer, shallow
and deep, on digits and on two interleaved spirals, over several seeds.

Every run trains an MLP of ``WIDTH``-unit hidden layers (3 or 15 of them) with Adam,
recording the training loss and the test accuracy after every epoch, and its
wall-clock time.  The summary gives mean ± standard deviation over the seeds.  The
recommended initializer is Glorot for the saturating sigmoid and tanh, He for the
ReLU family and the smooth ReLU-like GELU and Swish, and LeCun normal for SELU.

Run alone: ``python -m neuronlab.studies.training [--quick]``.
"""

from __future__ import annotations

from typing import Any

from neuronlab.studies import _train
from neuronlab.studies._core import Claim, Key, Run, Study, StudyResult, Table, mean_std, plan_runs

NAME = "training"
TITLE = "Training comparison: activations × depth"
LECTURE = (
    "What the propagation study predicts at initialization shows up in training: "
    "with a suitable initializer every activation trains a shallow network, but at 15 "
    "layers the saturating sigmoid, whose slope is at most 1/4, falls behind or fails, "
    "while the non-saturating ReLU family keeps learning. Smooth variants (ELU, SELU, "
    "GELU, Swish) cost more per unit than ReLU's max(0, z) — the time column shows by "
    "how much."
)

#: the activations compared, each with its recommended initializer
RECOMMENDED = {"sigmoid": "glorot_uniform", "tanh": "glorot_uniform", "relu": "he_normal",
               "leaky_relu": "he_normal", "elu": "he_normal", "selu": "lecun_normal",
               "gelu": "he_normal", "swish": "he_normal"}
DEPTHS = (3, 15)
WIDTH = 64
#: dataset -> training settings
DATASETS = {"digits": {"optimizer": "adam", "lr": 0.001, "batch_size": 32},
            "spirals": {"optimizer": "adam", "lr": 0.003, "batch_size": 32}}
SIZES = {False: {"epochs": {"digits": 20, "spirals": 40}, "seeds": 4, "width": WIDTH},
         True: {"epochs": {"digits": 3, "spirals": 6}, "seeds": 2, "width": 32}}
#: rough relative cost per step of each activation, to start the longest runs first
COST = {"gelu": 4.0, "swish": 1.3, "selu": 1.2, "elu": 1.2}


def train_one(dataset: str, activation: str, depth: int, width: int, epochs: int,
              seed: int) -> dict[str, Any]:
    """One training run: per-epoch curves, final test accuracy and time."""
    _, out = _train.train(dataset, [width] * depth, activation, RECOMMENDED[activation],
                          epochs=epochs, seed=seed, **DATASETS[dataset])
    return out


def plan(quick: bool, seed: int) -> list[Run]:
    sizes = SIZES[quick]
    configs = {(ds, act, depth, rep): {"dataset": ds, "activation": act, "depth": depth,
                                       "width": sizes["width"], "epochs": sizes["epochs"][ds]}
               for ds in DATASETS for act in RECOMMENDED for depth in DEPTHS
               for rep in range(sizes["seeds"])}

    def cost(key: Key) -> float:
        ds, act, depth, _ = key
        steps = {"digits": 42, "spirals": 24}[ds] * sizes["epochs"][ds]  # about seconds:
        return 2e-5 * COST.get(act, 1.0) * depth * steps * (1 + sizes["width"] / 64)

    # the seed depends on the dataset and the replicate only: paired comparisons
    return plan_runs(NAME, seed, train_one, configs, seed_key=lambda key: (key[0], key[3]),
                     cost=cost)


def assemble(outputs: dict[Key, Any], quick: bool, seed: int) -> StudyResult:
    curves, runs = [], []
    for (ds, act, depth, rep), out in outputs.items():
        curves.extend({"dataset": ds, "activation": act, "depth": depth, "seed": rep, **row}
                      for row in out["epochs"])
        runs.append({"dataset": ds, "activation": act, "depth": depth, "seed": rep,
                     "test_accuracy": out["test_accuracy"],
                     "final_loss": out["epochs"][-1]["loss"] if out["epochs"] else None,
                     "stop_reason": out["stop_reason"], "time_s": out["time_s"]})
    summary = []
    for ds in DATASETS:
        for depth in DEPTHS:
            for act, init in RECOMMENDED.items():
                mine = [r for r in runs if (r["dataset"], r["activation"], r["depth"])
                        == (ds, act, depth)]
                acc, acc_sd = mean_std([r["test_accuracy"] for r in mine])
                loss, loss_sd = mean_std([r["final_loss"] for r in mine])
                time_s, time_sd = mean_std([r["time_s"] for r in mine])
                summary.append({"dataset": ds, "depth": depth, "activation": act, "init": init,
                                "test_accuracy": acc, "test_accuracy_std": acc_sd,
                                "final_loss": loss, "final_loss_std": loss_sd,
                                "time_s": time_s, "time_s_std": time_sd, "seeds": len(mine)})

    def acc(ds: str, depth: int, act: str) -> float:
        return next(r["test_accuracy"] for r in summary
                    if (r["dataset"], r["depth"], r["activation"]) == (ds, depth, act))

    deep = max(DEPTHS)
    relu_family = ("relu", "leaky_relu", "elu", "selu")
    best_relu = max(acc("digits", deep, a) for a in relu_family)
    sig_deep, sig_shallow = acc("digits", deep, "sigmoid"), acc("digits", min(DEPTHS), "sigmoid")
    claims = [Claim.boolean(f"At {deep} layers the saturating sigmoid falls behind the ReLU family "
                    f"(digits).",
                    sig_deep < best_relu - 0.1,
                    f"test accuracy sigmoid {sig_shallow:.1%} at {min(DEPTHS)} layers, "
                    f"{sig_deep:.1%} at {deep}; best of {', '.join(relu_family)} at {deep}: "
                    f"{best_relu:.1%}")]
    notes = []
    for ds in DATASETS:
        for depth in DEPTHS:
            panel = sorted((r for r in summary if (r["dataset"], r["depth"]) == (ds, depth)),
                           key=lambda r: -r["test_accuracy"])
            notes.append(f"{ds}, {depth} hidden layers: best {panel[0]['activation']} "
                         f"({panel[0]['test_accuracy']:.1%}), worst {panel[-1]['activation']} "
                         f"({panel[-1]['test_accuracy']:.1%}).")
    formats = {"test_accuracy": ".1%", "test_accuracy_std": ".1%", "final_loss": ".3g",
               "final_loss_std": ".2g", "time_s": ".2f", "time_s_std": ".2f"}
    sizes = SIZES[quick]
    return StudyResult(
        NAME, TITLE, {"quick": quick, "seed": seed, "depths": list(DEPTHS),
                      "width": sizes["width"], "seeds": sizes["seeds"],
                      "epochs": sizes["epochs"], "training": DATASETS,
                      "recommended_init": RECOMMENDED},
        [Table("summary", "Final test accuracy, loss and time (mean ± std over seeds)",
               summary, formats=formats, timing=("time_s", "time_s_std")),
         Table("runs", "Every run", runs, shown=False, timing=("time_s",)),
         Table("curves", "Per-epoch training loss and test accuracy", curves, shown=False)],
        numbers={f"digits, {deep} layers: sigmoid test accuracy": sig_deep,
                 f"digits, {deep} layers: best ReLU-family test accuracy": best_relu},
        number_formats={f"digits, {deep} layers: sigmoid test accuracy": ".1%",
                        f"digits, {deep} layers: best ReLU-family test accuracy": ".1%"},
        claims=claims, notes=notes)


STUDY = Study(NAME, TITLE, "training", LECTURE, plan, assemble, cites=("004",))


run = STUDY.run  # run this study alone: run(quick=False, seed=0, jobs=1)


if __name__ == "__main__":
    from neuronlab.studies._runner import main

    raise SystemExit(main(NAME))
