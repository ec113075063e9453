"""The initialization rules' constants made visible, and the cost of a circulating slip.

Lecture note 004 lists Glorot (normal σ² = 1/fan_avg, uniform limit √(3/fan_avg)), He
(σ² = 2/fan_in) and LeCun (σ² = 1/fan_in), but writes Glorot's normal *standard
deviation* as 1/fan_avg.  This study tabulates every rule's formula and constant for
one layer shape, measures the engine's initializers against them (sampled standard
deviation and limits), including Keras' truncated-normal correction, and then follows
the slip: a deep tanh network initialized with σ = 1/fan_avg instead of √(1/fan_avg)
loses its signal layer by layer and does not train.

Run alone: ``python -m neuronlab.studies.init_details [--quick]``.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from neuronlab import _mathml as m
from neuronlab import diagnostics, init
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

NAME = "init_details"
TITLE = "Initialization rules: the constants, and σ = 1/fan_avg"
LECTURE = (
    "Lecture note 004 gives the rules that keep the signal's variance from layer to "
    "layer: Glorot for tanh and sigmoid (variance 1/fan_avg, fan_avg = (fan_in + "
    "fan_out)/2; uniform on ±√(3/fan_avg)), He for ReLU (variance 2/fan_in), LeCun for "
    "SELU (variance 1/fan_in), equal to Glorot when fan_in = fan_out. The note then "
    "writes Glorot's normal standard deviation as 1/fan_avg — the variance's formula "
    "taken for the standard deviation, a slip that circulates in course notes. For a "
    "layer of 256 that is 16 times too small, and the signal of a deep network shrinks "
    "by that factor at every layer."
)

FAN_IN, FAN_OUT = 256, 128
RULES = ("glorot_normal", "glorot_uniform", "he_normal", "he_uniform", "lecun_normal",
         "lecun_uniform", "truncated_normal_glorot")
WIDTH, DEPTH = 128, 8
SIZES = {False: {"seeds": 4, "epochs": 6}, True: {"seeds": 3, "epochs": 4}}


def _rule_table(seed: int) -> list[dict[str, Any]]:
    """Each rule's formula, its standard deviation by formula, and the engine's sample."""
    fan_avg = (FAN_IN + FAN_OUT) / 2
    rng = np.random.default_rng(seed)
    spec = {
        "glorot_normal": ("N(0, 1/fan_avg)", math.sqrt(1 / fan_avg), None),
        "glorot_uniform": ("U(±√(3/fan_avg))", math.sqrt(1 / fan_avg), math.sqrt(3 / fan_avg)),
        "he_normal": ("N(0, 2/fan_in)", math.sqrt(2 / FAN_IN), None),
        "he_uniform": ("U(±√(6/fan_in))", math.sqrt(2 / FAN_IN), math.sqrt(6 / FAN_IN)),
        "lecun_normal": ("N(0, 1/fan_in)", math.sqrt(1 / FAN_IN), None),
        "lecun_uniform": ("U(±√(3/fan_in))", math.sqrt(1 / FAN_IN), math.sqrt(3 / FAN_IN)),
        "truncated_normal_glorot": ("N(0, s²) cut at ±2s, s = √(1/fan_avg)/0.8796",
                                    math.sqrt(1 / fan_avg), 2 * math.sqrt(1 / fan_avg)
                                    / init.TRUNCATED_STD),
    }
    rows = []
    for rule in RULES:
        formula, std, limit = spec[rule]
        fn = (init.VarianceScaling(1.0, "fan_avg", "truncated_normal")
              if rule == "truncated_normal_glorot" else init.get(rule))
        w = fn((FAN_IN, FAN_OUT), rng, np.float64)
        rows.append({"rule": rule, "formula": formula, "std_by_formula": std,
                     "std_sampled": float(w.std()), "limit_by_formula": limit,
                     "largest_sampled": float(np.abs(w).max())})
    rows.append({"rule": "note 004's slip", "formula": "N(0, σ²), σ = 1/fan_avg",
                 "std_by_formula": 1 / fan_avg, "std_sampled": None, "limit_by_formula": None,
                 "largest_sampled": None})
    return rows


def _initializer(kind: str) -> init.Initializer:
    if kind == "glorot_normal":
        return init.get("glorot_normal")
    # σ = 1/fan_avg, i.e. variance scale / fan_avg with scale = 1/fan_avg (square layers)
    return init.VarianceScaling(1 / WIDTH, "fan_avg", "normal")


def propagate_and_train(kind: str, epochs: int, seed: int) -> dict[str, Any]:
    """A deep tanh MLP on digits: per-layer statistics at initialization, then a short
    training run."""
    stats: list[dict[str, Any]] = []
    d = _train.dataset("digits")

    def at_start(model: Any) -> None:
        rows = diagnostics.layer_statistics(model, d.X_train, d.y_train)
        stats.extend({k: r[k] for k in ("layer", "act_std", "grad_norm")} for r in rows)

    _, out = _train.train("digits", [WIDTH] * DEPTH, "tanh", _initializer(kind),
                          optimizer="sgd", lr=0.05, momentum=0.9, epochs=epochs,
                          batch_size=32, seed=seed, callbacks=(_train.AtStart(at_start),))
    out["initial"] = stats
    return out


def _dispatch(kind: str, seed: int, **kwargs: Any) -> Any:
    if kind == "rules":
        return _rule_table(seed)
    return propagate_and_train(kind, seed=seed, **kwargs)


def plan(quick: bool, seed: int) -> list[Run]:
    sizes = SIZES[quick]
    configs: dict[Key, dict[str, Any]] = {("rules",): {"kind": "rules"}}
    for variant in ("glorot_normal", "slip"):
        for rep in range(sizes["seeds"]):
            configs[("deep", variant, rep)] = {"kind": variant, "epochs": sizes["epochs"]}
    return plan_runs(NAME, seed, _dispatch, configs,
                     seed_key=lambda key: key[2:] if key[0] == "deep" else key,
                     cost=lambda key: 0.01 if key[0] == "rules" else 0.1)


def assemble(outputs: dict[Key, Any], quick: bool, seed: int) -> StudyResult:
    sizes = SIZES[quick]
    rules = outputs[("rules",)]
    worst = max(abs(r["std_sampled"] / r["std_by_formula"] - 1) for r in rules
                if r["std_sampled"] is not None)
    per_layer, runs = [], {}
    for key, out in outputs.items():
        if key[0] != "deep":
            continue
        _, variant, rep = key
        per_layer += [{"variant": variant, "seed": rep, **r} for r in out["initial"]]
        top = out["initial"][DEPTH - 1]
        runs[(variant, rep)] = {"variant": variant, "seed": rep,
                                "act_std_last_hidden": top["act_std"],
                                "grad_norm_layer_1": out["initial"][0]["grad_norm"],
                                "test_accuracy": out["test_accuracy"],
                                "stop_reason": out["stop_reason"]}
    reps = sorted({rep for _, rep in runs})
    signal = [math.log10(runs[("slip", k)]["act_std_last_hidden"]
                         / runs[("glorot_normal", k)]["act_std_last_hidden"]) for k in reps]
    accuracy = [runs[("glorot_normal", k)]["test_accuracy"] - runs[("slip", k)]["test_accuracy"]
                for k in reps]
    summary = []
    for variant, label in (("glorot_normal", "σ = √(1/fan_avg) (Glorot)"),
                           ("slip", "σ = 1/fan_avg (the slip)")):
        mine = [r for r in runs.values() if r["variant"] == variant]
        acc, spread = mean_std([r["test_accuracy"] for r in mine])
        std_top, _ = mean_std([r["act_std_last_hidden"] for r in mine])
        grad, _ = mean_std([r["grad_norm_layer_1"] for r in mine])
        summary.append({"variant": label, "weight_std": math.sqrt(1 / WIDTH)
                        if variant == "glorot_normal" else 1 / WIDTH,
                        f"act_std_layer_{DEPTH}": std_top, "grad_norm_layer_1": grad,
                        "test_accuracy": acc, "test_accuracy_std": spread})
    claims = [
        Claim.exact("The engine's initializers draw the standard deviation their rule "
                    "states (Glorot, He, LeCun; normal, uniform, truncated).",
                    "largest |sampled std / formula − 1| over the rules",
                    worst, direction=0, margin=0.02,
                    evidence=f"one {FAN_IN}×{FAN_OUT} matrix per rule"),
        Claim.from_samples(f"With σ = 1/fan_avg the signal of a {DEPTH}-layer tanh network "
                           f"all but vanishes.",
                           "log10 of the last hidden layer's activation std, slip / Glorot "
                           "(paired seeds)", signal, direction=-1, margin=3.0,
                           evidence=f"width {WIDTH}: σ is {math.sqrt(WIDTH):.1f}× too small "
                                    f"per layer"),
        Claim.from_samples("... and that network does not train where Glorot's does.",
                           f"test accuracy after {sizes['epochs']} epochs, Glorot − slip "
                           f"(paired seeds)", accuracy, direction=+1, margin=0.3,
                           evidence="SGD with momentum 0.9, η = 0.05"),
    ]
    formats = {"std_by_formula": ".4f", "std_sampled": ".4f", "limit_by_formula": ".4f",
               "largest_sampled": ".4f", "weight_std": ".4f", f"act_std_layer_{DEPTH}": ".3g",
               "grad_norm_layer_1": ".3g", "test_accuracy": ".1%", "test_accuracy_std": ".1%"}
    return StudyResult(
        NAME, TITLE, {"quick": quick, "seed": seed, "fan_in": FAN_IN, "fan_out": FAN_OUT,
                      "width": WIDTH, "depth": DEPTH, **sizes},
        [Table("rules", f"Each rule for a {FAN_IN}→{FAN_OUT} layer (fan_avg = "
                        f"{(FAN_IN + FAN_OUT) / 2:g})", rules, formats=formats),
         Table("slip", f"{DEPTH} tanh layers of width {WIDTH} on digits", summary,
               formats=formats),
         Table("per_layer", "Per-layer statistics at initialization", per_layer, shown=False),
         Table("runs", "Every run", list(runs.values()), shown=False, formats=formats)],
        numbers={"Glorot normal σ, width 128": math.sqrt(1 / WIDTH),
                 "the slip's σ, width 128": 1 / WIDTH},
        number_formats={"Glorot normal σ, width 128": ".4f", "the slip's σ, width 128": ".4f"},
        claims=claims)


def _formulas() -> tuple[tuple[str, str], ...]:
    avg = m.sub("n", "avg")
    return (
        ("Glorot: the variance, not the standard deviation, is 1/fan_avg",
         m.math(m.row("Var", "(", "W", ")", "=", m.frac(1, avg), "⇒", "σ", "=",
                      m.sqrt(m.frac(1, avg)), ",", "r", "=", m.sqrt(m.frac(3, avg))))),
        ("He and LeCun",
         m.math(m.row(m.sub("Var", "He"), "=", m.frac(2, m.sub("n", "in")), ",",
                      m.sub("Var", "LeCun"), "=", m.frac(1, m.sub("n", "in"))))),
    )


STUDY = Study(NAME, TITLE, "lectures", LECTURE, plan, assemble, cites=("004",),
              formulas=_formulas())


run = STUDY.run  # run this study alone: run(quick=False, seed=0, jobs=1)


if __name__ == "__main__":
    from neuronlab.studies._runner import main

    raise SystemExit(main(NAME))
