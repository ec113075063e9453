"""Gradient descent: the learning rate, the batch size, and the number of epochs.

Three experiments on lecture notes 004 and 003:

- *learning rate*: note 004's own example, c = (1 − w)² from w = 3, for step sizes that
  creep, converge, oscillate and diverge; then an MLP on digits with plain SGD at a
  learning rate too small, about right, and too large (the large one diverges: the
  engine's guard stops it and the report names it);
- *batch size*: the mini-batch gradient's noise E‖g_B − g‖² against the batch size B
  at fixed weights (it falls as 1/B), and the optimizer steps needed to reach a target
  test accuracy at each batch size;
- *epochs*: a wide network on a small part of digits, trained long: the training loss
  keeps falling while the validation loss turns up (overfitting).

Run alone: ``python -m neuronlab.studies.gradient_descent [--quick]``.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from neuronlab import _mathml as m
from neuronlab import losses
from neuronlab.network import MLP
from neuronlab.studies import _train
from neuronlab.studies._core import (
    Claim,
    Key,
    Run,
    Study,
    StudyResult,
    Table,
    interval,
    mean_std,
    plan_runs,
)
from neuronlab.train import Callback, fit

NAME = "gradient_descent"
TITLE = "Gradient descent: learning rate, batch size, epochs"
LECTURE = (
    "Lecture note 004 motivates the learning rate on c = (1 − w)²: stepping by the whole "
    "gradient from w = 3 overshoots to w = −1, adding it climbs to w = 7, and a fraction "
    "η = 0.1 of it walks down to 2.6 and on to the minimum; it warns that huge gradients "
    "make the solution diverge and that small data sets overfit. Note 003 adds that "
    "backpropagating after every sample is expensive — 'do it in batches' — and that "
    "one pass over the data is an epoch. Measured here: a learning rate too small "
    "barely moves, too large diverges; a batch of B samples has a gradient whose noise "
    "falls as 1/B; and training past the validation minimum overfits."
)

TOY_RATES = (0.05, 0.1, 0.5, 0.9, 1.05)  # on c = (1 - w)^2: creep, walk, jump, zig-zag, diverge
LEARNING_RATES = {"too small": 0.001, "about right": 0.1, "too large": 3.0}
BATCHES = (1, 4, 16, 64, 256)
NOISE_DRAWS = 40
TRAIN_BATCHES = (8, 32, 128)
TARGET_ACCURACY = 0.9
SIZES = {False: {"seeds": 4, "step_seeds": 16, "epochs": 8, "step_epochs": 15,
                 "overfit_epochs": 100, "overfit_samples": 150, "overfit_width": 256},
         True: {"seeds": 3, "step_seeds": 8, "epochs": 5, "step_epochs": 10,
                "overfit_epochs": 100, "overfit_samples": 150, "overfit_width": 128}}
# The batch-size claim gets more seeds than the others.  Counted per epoch, its steps
# moved in jumps of 169 at batch 8 and its interval over 4 seeds cleared the margin by
# 0.04 half-widths; counted per step, the log ratio spreads by about 0.05 per seed and
# 16 seeds put the interval well clear of the margin (steps runs cost about 0.1 s each).
STEP_LR = 0.2
HIDDEN = [32]


def toy(lr: float) -> list[dict[str, Any]]:
    """Gradient descent on c = (1 − w)² from w = 3 (note 004), with the engine's MSE."""
    mse = losses.get("mse")
    w, rows = 3.0, []
    for step in range(31):
        c = mse.value(np.array([[w]]), np.ones((1, 1)))
        rows.append({"lr": lr, "step": step, "w": w, "c": c})
        if not math.isfinite(c) or abs(w) > 1e6:
            break
        w -= lr * float(mse.gradient(np.array([[w]]), np.ones((1, 1)))[0, 0])
    return rows


class _StepsToTarget(Callback):
    """Test accuracy after every epoch (``curve``), and the number of optimizer updates
    after which it first reaches ``target``, checked after every update (an epoch of
    batch 8 has 169 updates: counted per epoch, the steps would move in steps of 169)."""

    def __init__(self, d: Any, target: float) -> None:
        self.d, self.target = d, target
        self.curve: list[float] = []
        self.updates = self.checked = 0  # updates made; updates when last checked
        self.reached: int | None = None

    def _check(self, trainer: Any) -> float:
        with np.errstate(all="ignore"):
            accuracy = _train.accuracy_on_test(trainer.model, self.d)
        self.checked = self.updates
        if self.reached is None and accuracy >= self.target:
            self.reached = self.updates
        return accuracy

    def on_step_end(self, trainer: Any, epoch: int, batch: int) -> None:
        # called before this step's update: the weights have had ``updates`` updates
        # (the initial weights, and those the epoch's end just checked, are skipped)
        if self.reached is None and self.updates > self.checked:
            self._check(trainer)
        self.updates += 1

    def on_epoch_end(self, trainer: Any, epoch: int, logs: dict[str, float]) -> None:
        self.curve.append(self._check(trainer))
        if self.reached is not None:
            trainer.stop = True


def learning_rate(lr: float, epochs: int, seed: int) -> dict[str, Any]:
    """An MLP on digits with plain SGD at ``lr``; a diverging run stops at the guard."""
    _, out = _train.train("digits", HIDDEN, "tanh", "glorot_uniform", optimizer="sgd", lr=lr,
                              epochs=epochs, batch_size=32, seed=seed)
    return out


def batch_noise(seed: int) -> list[dict[str, Any]]:
    """E‖g_B − g‖² of the first layer's weight gradient over ``NOISE_DRAWS`` mini-batches
    of each size, at the same (initial) weights; g is the full-training-set gradient."""
    d = _train.dataset("digits")
    rng = np.random.default_rng(seed)
    model = MLP([d.n_features, *HIDDEN, d.n_classes], activation="relu", init="he_normal",
                dtype=np.float64, seed=seed)
    loss = losses.get("softmax_cross_entropy")
    eye = np.eye(d.n_classes)

    def gradient(rows: np.ndarray) -> np.ndarray:
        logits = model.forward(d.X_train[rows])
        model.backward(loss.gradient(logits, eye[d.y_train[rows]]),
                       skip_output_activation=True)
        return model.parameters()[0].grad.copy()

    full = gradient(np.arange(len(d.X_train)))
    out = []
    for batch in BATCHES:
        errors = [float(np.sum((gradient(rng.choice(len(d.X_train), batch, replace=False))
                                - full) ** 2)) for _ in range(NOISE_DRAWS)]
        out.append({"batch_size": batch, "noise": float(np.mean(errors)),
                    "full_gradient_norm2": float(np.sum(full ** 2))})
    return out


def steps_to_target(batch_size: int, epochs: int, seed: int) -> dict[str, Any]:
    """Optimizer steps until the test accuracy first reaches ``TARGET_ACCURACY``
    (checked after every step), plain SGD with the same learning rate; None when it
    is not reached within ``epochs``."""
    d = _train.dataset("digits")
    weight_seed, fit_seed = (int(s.generate_state(1)[0])
                             for s in np.random.SeedSequence(seed).spawn(2))
    model = MLP([d.n_features, *HIDDEN, d.n_classes], activation="relu", init="he_normal",
                seed=weight_seed)
    watch = _StepsToTarget(d, TARGET_ACCURACY)
    fit(model, d.X_train, d.y_train, optimizer="sgd", lr=STEP_LR, epochs=epochs,
        batch_size=batch_size, seed=fit_seed, verbose=False, callbacks=[watch])
    per_epoch = math.ceil(len(d.X_train) / batch_size)
    return {"accuracy": watch.curve, "steps_per_epoch": per_epoch,
            "epochs_to_target": None if watch.reached is None else watch.reached / per_epoch,
            "steps_to_target": watch.reached}


def overfit(samples: int, epochs: int, width: int, seed: int) -> list[dict[str, Any]]:
    """A wide MLP (two hidden layers of ``width``) on ``samples`` training digits,
    validated on the test split."""
    d = _train.dataset("digits")
    weight_seed, fit_seed = (int(s.generate_state(1)[0])
                             for s in np.random.SeedSequence(seed).spawn(2))
    model = MLP([d.n_features, width, width, d.n_classes], activation="relu", init="he_normal",
                seed=weight_seed)
    history = fit(model, d.X_train[:samples], d.y_train[:samples], optimizer="adam",
                  lr=0.003, epochs=epochs, batch_size=16, seed=fit_seed, verbose=False,
                  validation_data=(d.X_test, d.y_test))
    return [{"epoch": r["epoch"] + 1, "loss": r["loss"], "val_loss": r.get("val_loss"),
             "val_accuracy": r.get("val_accuracy")} for r in history.epochs]


def _dispatch(kind: str, seed: int, **kwargs: Any) -> Any:
    return {"toy": lambda: {"rows": [r for lr in TOY_RATES for r in toy(lr)]},
            "lr": lambda: learning_rate(seed=seed, **kwargs),
            "noise": lambda: batch_noise(seed),
            "steps": lambda: steps_to_target(seed=seed, **kwargs),
            "overfit": lambda: overfit(seed=seed, **kwargs)}[kind]()


def plan(quick: bool, seed: int) -> list[Run]:
    sizes = SIZES[quick]
    configs: dict[Key, dict[str, Any]] = {("toy",): {"kind": "toy"}}
    for rep in range(sizes["seeds"]):
        for label, lr in LEARNING_RATES.items():
            configs[("lr", label, rep)] = {"kind": "lr", "lr": lr, "epochs": sizes["epochs"]}
        configs[("noise", rep)] = {"kind": "noise"}
        configs[("overfit", rep)] = {"kind": "overfit", "samples": sizes["overfit_samples"],
                                     "epochs": sizes["overfit_epochs"],
                                     "width": sizes["overfit_width"]}
    for rep in range(sizes["step_seeds"]):
        for batch in TRAIN_BATCHES:  # paired: every batch size from the same seed
            configs[("steps", batch, rep)] = {"kind": "steps", "batch_size": batch,
                                              "epochs": sizes["step_epochs"]}
    return plan_runs(NAME, seed, _dispatch, configs, seed_key=lambda key: key[-1:],
                     cost=lambda key: {"toy": 0.01, "noise": 0.1, "overfit": 0.3}.get(
                         key[0], 0.05))


def _slope(rows: list[dict[str, Any]]) -> float:
    x = np.log10([r["batch_size"] for r in rows])
    y = np.log10([r["noise"] for r in rows])
    return float(np.polyfit(x, y, 1)[0])


def _batch_claim(step_ratio: list[float], unreached: list[int], epochs: int) -> Claim:
    """The batch-size claim, from the seeds that reached the target at both batch sizes
    (``step_ratio``); ``unreached`` lists the seeds that did not, at one size or both.
    When no seed reached it at both, nothing was measured and the claim says so."""
    text = ("Larger batches reach the target accuracy in fewer steps (though in more "
            "passes over the data).")
    quantity = (f"log10 of the steps to {TARGET_ACCURACY:.0%}, batch {TRAIN_BATCHES[0]} / "
                f"batch {TRAIN_BATCHES[-1]} (paired seeds)")
    left_out = (f"; left out, not reaching it within {epochs} epochs at one size or both: "
                f"seed{'s' if len(unreached) > 1 else ''} "
                f"{', '.join(str(k) for k in unreached)}" if unreached else "")
    if not step_ratio:
        return Claim.unmeasured(
            text, quantity, f"no seed reached {TARGET_ACCURACY:.0%} test accuracy at both "
            f"batch {TRAIN_BATCHES[0]} and batch {TRAIN_BATCHES[-1]} within {epochs} "
            f"epochs (plain SGD, η = {STEP_LR}), so there is no step ratio to measure",
            direction=+1, margin=math.log10(2))
    return Claim.from_samples(
        text, quantity, step_ratio, direction=+1, margin=math.log10(2),
        evidence=f"{len(step_ratio)} seeds reached the target at both sizes{left_out}; "
                 f"test accuracy checked after every step; plain SGD, η = {STEP_LR}; "
                 f"0.3 is twice as many")


def assemble(outputs: dict[Key, Any], quick: bool, seed: int) -> StudyResult:
    sizes = SIZES[quick]
    toy_rows = outputs[("toy",)]["rows"]
    lr_curves, lr_runs = [], []
    for key, out in outputs.items():
        if key[0] == "lr":
            _, label, rep = key
            lr_curves += [{"setting": label, "lr": LEARNING_RATES[label], "seed": rep, **r}
                          for r in out["epochs"]]
            lr_runs.append({"setting": label, "lr": LEARNING_RATES[label], "seed": rep,
                            "final_loss": out["epochs"][-1]["loss"] if out["epochs"] else None,
                            "test_accuracy": out["test_accuracy"],
                            "stop_reason": out["stop_reason"],
                            "epochs_run": len(out["epochs"])})
    lr_summary = []
    for label, lr in LEARNING_RATES.items():
        mine = [r for r in lr_runs if r["setting"] == label]
        acc, spread = mean_std([r["test_accuracy"] for r in mine])
        diverged = sum(r["stop_reason"] == "diverged" for r in mine)
        lr_summary.append({"setting": label, "lr": lr, "test_accuracy": acc,
                           "test_accuracy_std": spread, "diverged": f"{diverged} of {len(mine)}",
                           "stop_reasons": ", ".join(sorted({r["stop_reason"] for r in mine}))})
    by = {(r["setting"], r["seed"]): r for r in lr_runs}
    reps = sorted({r["seed"] for r in lr_runs})
    small_vs_right = [by[("about right", k)]["test_accuracy"] - by[("too small", k)]
                      ["test_accuracy"] for k in reps]
    chance_loss = math.log(10)  # the loss of a uniform guess over 10 classes
    blown_up = [math.log10(by[("too large", k)]["final_loss"] / chance_loss)
                if by[("too large", k)]["final_loss"] is not None else math.inf
                for k in reps]
    toy_growth = {lr: abs([r for r in toy_rows if r["lr"] == lr][-1]["w"] - 1) / 2
                  for lr in TOY_RATES}

    noise_rows, slopes = [], []
    for key, out in outputs.items():
        if key[0] == "noise":
            noise_rows += [{"seed": key[1], **r} for r in out]
            slopes.append(_slope(out))
    step_rows, step_curves = [], []
    for key, out in outputs.items():
        if key[0] == "steps":
            _, batch, rep = key
            step_rows.append({"batch_size": batch, "seed": rep,
                              "steps_per_epoch": out["steps_per_epoch"],
                              "epochs_to_target": out["epochs_to_target"],
                              "steps_to_target": out["steps_to_target"]})
            step_curves += [{"batch_size": batch, "seed": rep, "epoch": k + 1,
                             "step": (k + 1) * out["steps_per_epoch"], "test_accuracy": a}
                            for k, a in enumerate(out["accuracy"])]
    step_summary = []
    for batch in TRAIN_BATCHES:
        mine = [r for r in step_rows if r["batch_size"] == batch]
        steps, _ = mean_std([r["steps_to_target"] for r in mine])
        epochs, _ = mean_std([r["epochs_to_target"] for r in mine])
        step_summary.append({"batch_size": batch, "steps_to_target": steps,
                             "epochs_to_target": epochs,
                             "reached": f"{sum(r['steps_to_target'] is not None for r in mine)}"
                                        f" of {len(mine)}"})

    step_ratio, unreached = [], []
    for rep in sorted({r["seed"] for r in step_rows}):
        mine = {r["batch_size"]: r["steps_to_target"] for r in step_rows if r["seed"] == rep}
        small, large = mine[TRAIN_BATCHES[0]], mine[TRAIN_BATCHES[-1]]
        if small is not None and large is not None:
            step_ratio.append(math.log10(small / large))
        else:
            unreached.append(rep)
    overfit_rows, gaps = [], []
    for key, out in outputs.items():
        if key[0] == "overfit":
            overfit_rows += [{"seed": key[1], **r} for r in out]
            val = [r["val_loss"] for r in out]
            gaps.append(val[-1] - min(val))
    best_epochs = []
    for rep in sorted({r["seed"] for r in overfit_rows}):
        mine = [r for r in overfit_rows if r["seed"] == rep]
        best_epochs.append(min(mine, key=lambda r: r["val_loss"])["epoch"])

    claims = [
        Claim.from_samples("A learning rate 100× too small barely moves in the same epochs.",
                           f"test accuracy, η = {LEARNING_RATES['about right']} − η = "
                           f"{LEARNING_RATES['too small']} (paired seeds)",
                           small_vs_right, direction=+1, margin=0.1,
                           evidence=f"after {sizes['epochs']} epochs, plain SGD, batch 32"),
        Claim.exact("On c = (1 − w)², a step size η > 1 diverges: every step lands "
                    "farther from the minimum (note 004's overshoot, repeated).",
                    f"|w − 1| after 30 steps / |w₀ − 1|, η = {TOY_RATES[-1]}",
                    toy_growth[TOY_RATES[-1]], direction=+1, margin=10.0,
                    evidence=f"|w − 1| is multiplied by |1 − 2η| per step: "
                             f"{abs(1 - 2 * TOY_RATES[-1]):.2f}; with η = 0.1 it ends at "
                             f"{toy_growth[0.1]:.1e} of its start"),
        Claim.from_samples("A learning rate far too large makes the loss blow up instead "
                           "of falling.",
                           f"log10 of the final training loss / ln 10 (a uniform guess), "
                           f"η = {LEARNING_RATES['too large']}",
                           blown_up, direction=+1, margin=0.5,
                           evidence="values above 0 mean worse than guessing; the runs' "
                                    "stop reasons are in the table"),
        Claim.from_samples("The mini-batch gradient's noise falls as 1/B.",
                           "slope of log10 E‖g_B − g‖² against log10 B, plus 1 (0 is 1/B)",
                           [s + 1 for s in slopes], direction=0, margin=0.15,
                           evidence=f"first-layer weight gradient, {NOISE_DRAWS} batches per "
                                    f"size, B in {list(BATCHES)}, slopes "
                                    f"{', '.join(f'{s:.2f}' for s in slopes)}"),
        _batch_claim(step_ratio, unreached, sizes["step_epochs"]),
        Claim.from_samples("Training a wide network long on little data overfits: the "
                           "validation loss turns up.",
                           "validation loss at the last epoch − its minimum",
                           gaps, direction=+1, margin=0.02,
                           evidence=f"{sizes['overfit_samples']} training samples, "
                                    f"{sizes['overfit_epochs']} epochs, Adam; best epoch per "
                                    f"seed {best_epochs}"),
    ]
    formats = {"test_accuracy": ".1%", "test_accuracy_std": ".1%", "final_loss": ".3g",
               "steps_to_target": ".0f", "epochs_to_target": ".1f"}
    return StudyResult(
        NAME, TITLE, {"quick": quick, "seed": seed, "hidden": HIDDEN,
                      "learning_rates": LEARNING_RATES, "toy_rates": list(TOY_RATES),
                      "batches": list(BATCHES), "train_batches": list(TRAIN_BATCHES),
                      "target_accuracy": TARGET_ACCURACY, **sizes},
        [Table("learning_rate", f"Digits, plain SGD, {sizes['epochs']} epochs", lr_summary,
               formats=formats),
         Table("steps", f"Steps and epochs to {TARGET_ACCURACY:.0%} test accuracy (SGD, "
                        f"η = {STEP_LR})", step_summary, formats=formats),
         Table("toy", "c = (1 − w)² from w = 3 (note 004)", toy_rows, shown=False),
         Table("lr_curves", "Per-epoch curves at each learning rate", lr_curves, shown=False),
         Table("lr_runs", "Every learning-rate run", lr_runs, shown=False),
         Table("noise", "Mini-batch gradient noise", noise_rows, shown=False),
         Table("step_curves", "Test accuracy against steps", step_curves, shown=False),
         Table("step_runs", "Steps to target, every run", step_rows, shown=False),
         Table("overfit", "Training and validation loss per epoch", overfit_rows,
               shown=False)],
        numbers={"noise slope (−1 is 1/B)": float(np.mean(slopes)),
                 "validation loss rise after its minimum": float(np.mean(gaps))},
        number_formats={"noise slope (−1 is 1/B)": ".2f",
                        "validation loss rise after its minimum": ".2f"},
        claims=claims,
        notes=_batch_notes(step_ratio, next(r["steps_per_epoch"] for r in step_rows
                                            if r["batch_size"] == TRAIN_BATCHES[0])))


def _batch_notes(step_ratio: list[float], small_epoch: int) -> list[str]:
    """What the batch-size measurement means, in numbers."""
    if not step_ratio:
        return []
    mean, low, high = (10 ** v for v in interval(step_ratio)) if len(step_ratio) > 1 \
        else (10 ** step_ratio[0],) * 3
    large, small = TRAIN_BATCHES[-1], TRAIN_BATCHES[0]
    return [f"Batch {large} reached {TARGET_ACCURACY:.0%} in {mean:.2g}× fewer steps than "
            f"batch {small} (95% interval {low:.2g}–{high:.2g}×) for {large // small}× the "
            f"samples per step: at a fixed learning rate a larger batch only removes "
            f"gradient noise, and each step still moves by η·g on average.  The steps are "
            f"counted after every update: counted per epoch, batch {small}'s "
            f"{small_epoch}-step epochs would round its steps up and make the ratio look "
            f"larger than it is."]


def _formulas() -> tuple[tuple[str, str], ...]:
    return (
        ("One gradient-descent step with learning rate η (note 004)",
         m.math(m.row("w", "←", "w", "−", "η", m.partial("c", "w"), ",", "c", "=",
                      m.sup(m.row("(", 1, "−", "w", ")"), 2), "⇒",
                      m.sub("w", m.row("t", "+", 1)), "−", 1, "=",
                      "(", 1, "−", 2, "η", ")", "(", m.sub("w", "t"), "−", 1, ")"))),
        ("The mini-batch gradient: its noise falls as 1/B",
         m.math(m.row(m.sub("g", "B"), "=", m.frac(1, "B"), m.under("∑", m.row("i", "∈",
                                                                                "batch")),
                      "∇", m.sub("J", "i"), ",", "E", "‖", m.sub("g", "B"), "−", "g",
                      m.sup("‖", 2), "∝", m.frac(1, "B")))),
    )


STUDY = Study(NAME, TITLE, "lectures", LECTURE, plan, assemble, cites=("004", "003"),
              formulas=_formulas())


run = STUDY.run  # run this study alone: run(quick=False, seed=0, jobs=1)


if __name__ == "__main__":
    from neuronlab.studies._runner import main

    raise SystemExit(main(NAME))
