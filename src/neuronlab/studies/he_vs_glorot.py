"""Classic result (a): a 30-layer ReLU network trains with He initialization and stalls
near chance with Glorot (He et al. 2015, figure 3).

Both networks see the same data, the same batches and the same underlying random
draws (the seed leaves the initializer out), trained with plain SGD + momentum: an
adaptive optimizer such as Adam would rescale the tiny gradients and hide the
effect.  Before training, :func:`neuronlab.diagnostics.layer_statistics` shows
where the signal went: with Glorot, Var(W) = 1/n in a square network and a ReLU
zeroes half of each layer's input, so the activations' variance halves at every
layer, 2^-30 after 30 layers.

Run alone: ``python -m neuronlab.studies.he_vs_glorot [--quick]``.
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

NAME = "he_vs_glorot"
TITLE = "30-layer ReLU: He trains, Glorot stalls"
LECTURE = (
    "Glorot's variance 2/(fan_in + fan_out) keeps the signal of a linear (or tanh-like) "
    "layer. A ReLU passes only the positive half of its input, which halves the second "
    "moment, so He et al. (2015) doubled the variance to 2/fan_in. The factor of two "
    "looks harmless but compounds: over 30 layers Glorot leaves 2^-15 of the signal's "
    "standard deviation, the softmax sees almost constant logits, and every gradient is "
    "scaled down by the same factor."
)

DEPTH = 30
INITS = {"he_normal": "He normal", "glorot_uniform": "Glorot uniform"}
SIZES = {False: {"width": 128, "epochs": 20, "seeds": 5},
         True: {"width": 96, "epochs": 10, "seeds": 2}}
OPTIMIZER = {"optimizer": "sgd", "lr": 0.002, "momentum": 0.9, "batch_size": 32}
DATASET = "digits"


def train_deep_relu(init: str, width: int, epochs: int, seed: int) -> dict[str, Any]:
    """Train the 30-layer ReLU MLP; statistics at initialization and per epoch."""
    d = _train.dataset(DATASET)
    stats: list[dict[str, Any]] = []

    def at_start(model: Any) -> None:
        rows = diagnostics.layer_statistics(model, d.X_train, d.y_train)
        stats.extend({k: r[k] for k in ("layer", "act_std", "grad_norm")} for r in rows)

    _, out = _train.train(DATASET, [width] * DEPTH, "relu", init, epochs=epochs, seed=seed,
                          callbacks=(_train.AtStart(at_start),), **OPTIMIZER)
    out["initial"] = stats
    return out


def plan(quick: bool, seed: int) -> list[Run]:
    sizes = SIZES[quick]
    configs = {(init, rep): {"init": init, "width": sizes["width"], "epochs": sizes["epochs"]}
               for init in INITS for rep in range(sizes["seeds"])}
    return plan_runs(NAME, seed, train_deep_relu, configs, seed_key=lambda key: key[1:],
                     cost=lambda key: 0.15 * sizes["epochs"] * sizes["width"] / 128)


def assemble(outputs: dict[Key, Any], quick: bool, seed: int) -> StudyResult:
    curves, runs, initial = [], [], []
    for (init, rep), out in outputs.items():
        for row in out["epochs"]:
            curves.append({"init": init, "seed": rep, **row})
        layers = out["initial"]
        top, first = layers[DEPTH - 1], layers[0]
        runs.append({"init": init, "seed": rep, "test_accuracy": out["test_accuracy"],
                     "final_loss": out["epochs"][-1]["loss"] if out["epochs"] else None,
                     "act_std_layer_30": top["act_std"], "act_std_layer_1": first["act_std"],
                     "grad_norm_layer_1": first["grad_norm"], "stop_reason": out["stop_reason"],
                     "time_s": out["time_s"]})
        if rep == 0:
            initial.extend({"init": init, **r} for r in layers)
    summary = []
    for init, label in INITS.items():
        mine = [r for r in runs if r["init"] == init]
        acc, acc_sd = mean_std([r["test_accuracy"] for r in mine])
        std30, _ = mean_std([r["act_std_layer_30"] for r in mine])
        summary.append({"init": init, "label": label, "test_accuracy": acc,
                        "test_accuracy_std": acc_sd, "act_std_layer_30": std30,
                        "seeds": len(mine)})
    he, glorot = summary
    chance = 1 / 10
    claims = [Claim.boolean(f"A {DEPTH}-layer ReLU MLP trains with He initialization and stalls near "  # noqa: E501 (transitional)
                    f"chance ({chance:.0%}) with Glorot.",
                    he["test_accuracy"] > 0.5 and glorot["test_accuracy"] < 0.2,
                    f"test accuracy He {he['test_accuracy']:.1%} ± "
                    f"{he['test_accuracy_std']:.1%}, Glorot {glorot['test_accuracy']:.1%} ± "
                    f"{glorot['test_accuracy_std']:.1%} (mean ± std over {he['seeds']} seeds)")]
    notes = [f"At initialization the activations' std at layer {DEPTH} is "
             f"{fmt(he['act_std_layer_30'])} with He and {fmt(glorot['act_std_layer_30'])} "
             f"with Glorot: Glorot loses a factor √2 per layer, 2^{DEPTH // 2} = "
             f"{2 ** (DEPTH // 2)} in all."]
    formats = {"test_accuracy": ".1%", "test_accuracy_std": ".1%", "act_std_layer_30": ".3g",
               "act_std_layer_1": ".3g", "grad_norm_layer_1": ".3g", "final_loss": ".4g",
               "time_s": ".2f"}
    return StudyResult(
        NAME, TITLE, {"quick": quick, "seed": seed, "depth": DEPTH, "dataset": DATASET,
                      **SIZES[quick], **OPTIMIZER},
        [Table("summary", "Test accuracy after training (mean ± std over seeds)", summary,
               formats=formats),
         Table("runs", "Every run", runs, formats=formats, timing=("time_s",)),
         Table("curves", "Per-epoch loss and accuracy", curves, shown=False),
         Table("initial", "Per-layer statistics at initialization (first seed)", initial,
               shown=False)],
        numbers={"He: test accuracy": he["test_accuracy"],
                 "Glorot: test accuracy": glorot["test_accuracy"],
                 "chance": chance},
        number_formats=dict.fromkeys(("He: test accuracy", "Glorot: test accuracy", "chance"),
                                     ".1%"),
        claims=claims, notes=notes)


STUDY = Study(NAME, TITLE, "classics", LECTURE, plan, assemble, cites=("004",))


run = STUDY.run  # run this study alone: run(quick=False, seed=0, jobs=1)


if __name__ == "__main__":
    from neuronlab.studies._runner import main

    raise SystemExit(main(NAME))
